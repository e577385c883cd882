package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/pulllab/pulllab/lab"
)

// fakeFS serves files from a map; a missing name is fs.ErrNotExist.
func fakeFS(files map[string]string) func(string) ([]byte, error) {
	return func(name string) ([]byte, error) {
		s, ok := files[name]
		if !ok {
			return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
		}
		return []byte(s), nil
	}
}

func fakeEnv(env map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := env[k]; return v, ok }
}

// TestKeysCoverConfig checks the one table against the Config struct: every
// YAML field has exactly one key, and the names follow the documented rule.
func TestKeysCoverConfig(t *testing.T) {
	var fields []string
	ct := reflect.TypeOf(Config{})
	for i := 0; i < ct.NumField(); i++ {
		sec := ct.Field(i)
		for j := 0; j < sec.Type.NumField(); j++ {
			fields = append(fields, sec.Tag.Get("yaml")+"."+sec.Type.Field(j).Tag.Get("yaml"))
		}
	}
	var paths []string
	flags, envs := map[string]bool{}, map[string]bool{}
	for _, k := range Keys() {
		paths = append(paths, k.Path)
		if flags[k.Flag] || envs[k.Env] {
			t.Errorf("%s: flag --%s or variable %s is used twice", k.Path, k.Flag, k.Env)
		}
		flags[k.Flag], envs[k.Env] = true, true
		if want := "PULLLAB_" + strings.ToUpper(strings.ReplaceAll(k.Flag, "-", "_")); k.Env != want {
			t.Errorf("%s: variable %s, want %s (PULLLAB_ + flag in upper snake case)", k.Path, k.Env, want)
		}
		if !regexp.MustCompile("`[^`]+`").MatchString(k.Help) && k.Kind() != Bool {
			t.Errorf("%s: help %q has no `PLACEHOLDER`", k.Path, k.Help)
		}
		if !isSection(k.Section()) {
			t.Errorf("%s: section %q is not in sections", k.Path, k.Section())
		}
		// The pointer must point into the Config it was given.
		var c Config
		switch p := k.field(&c).(type) {
		case *string:
			*p = "x"
		case *int:
			*p = 7
		case *bool:
			*p = true
		case *time.Duration:
			*p = time.Second
		}
		if reflect.DeepEqual(c, Config{}) {
			t.Errorf("%s: field does not point into the Config", k.Path)
		}
	}
	if !reflect.DeepEqual(fields, paths) {
		t.Errorf("keys table does not match Config's fields:\n table:  %v\n struct: %v", paths, fields)
	}
	if k, ok := LookupFlag("pull-secret"); !ok || k.Path != "crc.pullSecretFile" || k.Env != "PULLLAB_PULL_SECRET" {
		t.Errorf("LookupFlag(pull-secret) = %+v, %v", k, ok)
	}
}

func TestDefaultIsValid(t *testing.T) {
	if err := NewEffective().Validate(); err != nil {
		t.Fatalf("BuiltIn() does not validate: %v", err)
	}
}

func TestLoad(t *testing.T) {
	tests := []struct {
		name    string
		file    string // content of pulllab.yaml; "" means no file
		env     map[string]string
		wantErr []string // substrings, all of them; nil means success
		check   func(t *testing.T, e *Effective)
	}{
		{
			name: "no file",
			check: func(t *testing.T, e *Effective) {
				if !reflect.DeepEqual(e.Config, BuiltIn()) || e.File != "" {
					t.Errorf("got %+v from %q, want the defaults", e.Config, e.File)
				}
			},
		},
		{
			name: "empty file",
			file: "# nothing yet\n",
			check: func(t *testing.T, e *Effective) {
				if !reflect.DeepEqual(e.Config, BuiltIn()) || e.File != "pulllab.yaml" {
					t.Errorf("got %+v from %q", e.Config, e.File)
				}
			},
		},
		{
			name:    "a key of the other section",
			file:    "crc:\n  cpus: 6\nlab:\n  namespace: workshop\n  version: 1\n",
			wantErr: []string{`pulllab.yaml:5: unknown key "lab.version"`},
		},
		{
			name: "values",
			file: "crc:\n  cpus: 6\n  startTimeout: 1h30m\n  version: 2.61\nlab:\n  namespace: workshop\n  extended: true\n  lang: ja\n",
			check: func(t *testing.T, e *Effective) {
				want := BuiltIn()
				want.CRC.CPUs, want.CRC.StartTimeout, want.CRC.Version = 6, 90*time.Minute, "2.61"
				want.Lab.Namespace, want.Lab.Extended, want.Lab.Lang = "workshop", true, "ja"
				if !reflect.DeepEqual(e.Config, want) {
					t.Errorf("got  %+v\nwant %+v", e.Config, want)
				}
				for path, src := range map[string]string{
					"crc.cpus":           "file pulllab.yaml:2",
					"crc.startTimeout":   "file pulllab.yaml:3",
					"lab.namespace":      "file pulllab.yaml:6",
					"lab.extended":       "file pulllab.yaml:7",
					"crc.memory":         "default",
					"crc.pullSecretFile": "default",
				} {
					if got := e.Source(path); got != src {
						t.Errorf("Source(%s) = %q, want %q", path, got, src)
					}
				}
			},
		},
		{
			name:    "unknown key names the line and suggests",
			file:    "# comment\nlab:\n  nmespace: x\n",
			wantErr: []string{`pulllab.yaml:3: unknown key "lab.nmespace"`, `did you mean "lab.namespace"?`},
		},
		{
			name:    "key at the top level",
			file:    "crc:\n  cpus: 4\nnamespace: x\n",
			wantErr: []string{`pulllab.yaml:3: unknown key "namespace"`, `did you mean "namespace" under lab:?`},
		},
		{
			name:    "flag spelling of a key",
			file:    "crc:\n  pull-secret: ps.json\n",
			wantErr: []string{`pulllab.yaml:2: unknown key "crc.pull-secret"`, `did you mean "crc.pullSecretFile"?`},
		},
		{
			name:    "unknown section",
			file:    "labs:\n  namespace: x\n",
			wantErr: []string{`pulllab.yaml:1: unknown key "labs"`, `did you mean "lab"?`},
		},
		{
			name:    "wrong type: text for a number",
			file:    "crc:\n  memory: 10752\n  cpus: four\n",
			wantErr: []string{`pulllab.yaml:3: crc.cpus: want a whole number, got "four"`},
		},
		{
			name:    "wrong type: number for a duration",
			file:    "lab:\n\n  caseTimeout: 300\n",
			wantErr: []string{`pulllab.yaml:3: lab.caseTimeout: want a duration with a unit, such as 300m or 300s`},
		},
		{
			name:    "wrong type: bad duration",
			file:    "crc:\n  startTimeout: forever\n",
			wantErr: []string{`pulllab.yaml:2: crc.startTimeout: want a duration such as 90s, 45m or 1h30m, got "forever"`},
		},
		{
			name:    "wrong type: list for text",
			file:    "lab:\n  namespace:\n    - a\n    - b\n",
			wantErr: []string{`pulllab.yaml:3: lab.namespace: want text, got a list`},
		},
		{
			name:    "wrong type: bool for text",
			file:    "crc:\n  consentTelemetry: yes\n",
			wantErr: nil, // YAML 1.2: yes is text
			check: func(t *testing.T, e *Effective) {
				if e.Config.CRC.ConsentTelemetry != "yes" {
					t.Errorf("consentTelemetry = %q", e.Config.CRC.ConsentTelemetry)
				}
			},
		},
		{
			name:    "wrong type: true for text",
			file:    "lab:\n  node: true\n",
			wantErr: []string{`pulllab.yaml:2: lab.node: want text, got true; quote it ("true")`},
		},
		{
			name:    "wrong type: text for a bool",
			file:    "lab:\n  extended: sometimes\n",
			wantErr: []string{`pulllab.yaml:2: lab.extended: want true or false, got "sometimes"`},
		},
		{
			name:    "null for a number",
			file:    "crc:\n  cpus:\n",
			wantErr: []string{`pulllab.yaml:2: crc.cpus: want a whole number, got nothing`},
		},
		{
			name:    "section is not a mapping",
			file:    "crc: 4\n",
			wantErr: []string{`pulllab.yaml:1: crc: want keys such as "preset:", got 4`},
		},
		{
			name:    "file is a list",
			file:    "- crc\n",
			wantErr: []string{`pulllab.yaml:1: want sections such as "crc:" and "lab:", got a list`},
		},
		{
			name:    "duplicate key",
			file:    "lab:\n  lang: en\n  lang: ja\n",
			wantErr: []string{`pulllab.yaml:3: lab.lang is already given on line 2`},
		},
		{
			name:    "syntax error names the line",
			file:    "lab:\n  namespace: a\n bad: [\n",
			wantErr: []string{`pulllab.yaml:`},
		},
		{
			name:    "two documents",
			file:    "lab:\n  lang: en\n---\nlab:\n  lang: ja\n",
			wantErr: []string{`more than one YAML document`},
		},
		{
			name:    "several errors at once",
			file:    "crc:\n  cpus: x\nlab:\n  foo: 1\n",
			wantErr: []string{`pulllab.yaml:2: crc.cpus`, `pulllab.yaml:4: unknown key "lab.foo"`},
		},
		{
			name:    "invalid value names its line",
			file:    "lab:\n  lang: fr\n",
			wantErr: []string{`pulllab.yaml:2: lab.lang: want en or ja, got "fr"`},
		},
		{
			name:    "invalid namespace",
			file:    "lab:\n  namespace: Pull_Lab\n",
			wantErr: []string{`pulllab.yaml:2: lab.namespace: "Pull_Lab" is not a namespace name`},
		},
		{
			name:    "namespace too long for the namespaces made from it",
			file:    "lab:\n  namespace: " + strings.Repeat("a", MaxNamespaceLen+1) + "\n",
			wantErr: []string{`pulllab.yaml:2: lab.namespace: "` + strings.Repeat("a", MaxNamespaceLen+1) + `" is not a namespace name: up to 55`},
		},
		{
			name:    "the cluster's own namespace",
			file:    "lab:\n  namespace: openshift-config\n",
			wantErr: []string{`pulllab.yaml:2: lab.namespace: "openshift-config" belongs to the cluster`},
		},
		{
			name:    "default namespace",
			file:    "lab:\n  namespace: default\n",
			wantErr: []string{`"default" belongs to the cluster`},
		},
		{
			name:    "kube- namespace",
			file:    "lab:\n  namespace: kube-system\n",
			wantErr: []string{`"kube-system" belongs to the cluster`},
		},
		{
			name:    "registry with a scheme",
			env:     map[string]string{"PULLLAB_REGISTRY": "http://127.0.0.1:5000/lab"},
			wantErr: []string{`PULLLAB_REGISTRY: write HOST:PORT[/PREFIX] without a scheme, e.g. "127.0.0.1:5000/lab"`},
		},
		{
			name:    "registryPull without registry",
			file:    "lab:\n  registryPull: kind-registry:5000\n",
			wantErr: []string{`pulllab.yaml:2: lab.registryPull: needs lab.registry too: give --registry HOST:PORT[/PREFIX]`},
		},
		{
			name:    "registryPull with a scheme",
			env:     map[string]string{"PULLLAB_REGISTRY": "localhost:5001", "PULLLAB_REGISTRY_PULL": "http://kind-registry:5000"},
			wantErr: []string{`PULLLAB_REGISTRY_PULL: write HOST:PORT[/PREFIX] without a scheme, e.g. "kind-registry:5000"`},
		},
		{
			name: "registry and registryPull",
			file: "lab:\n  registry: localhost:5001\n  registryPull: kind-registry:5000\n",
			check: func(t *testing.T, e *Effective) {
				if e.Config.Lab.Registry != "localhost:5001" || e.Config.Lab.RegistryPull != "kind-registry:5000" || e.Source("lab.registryPull") != "file pulllab.yaml:3" {
					t.Errorf("got %+v from %s", e.Config.Lab, e.Source("lab.registryPull"))
				}
			},
		},
		{
			name:    "unknown preset",
			env:     map[string]string{"PULLLAB_PRESET": "ocp"},
			wantErr: []string{`PULLLAB_PRESET: want one of openshift, okd, microshift, got "ocp"`},
		},
		{
			name: "preset from the file",
			file: "crc:\n  preset: okd\n",
			check: func(t *testing.T, e *Effective) {
				if e.Config.CRC.Preset != PresetOKD || e.Source("crc.preset") == SourceDefault {
					t.Errorf("preset %q from %s", e.Config.CRC.Preset, e.Source("crc.preset"))
				}
			},
		},
		{
			name:    "version with a v",
			file:    "crc:\n  version: v2.60.1\n",
			wantErr: []string{`pulllab.yaml:2: crc.version: write "2.60.1" without the leading v`},
		},
		{
			name: "anchors and aliases",
			file: "lab:\n  caseTimeout: &t 10m\ncrc:\n  startTimeout: *t\n",
			check: func(t *testing.T, e *Effective) {
				if e.Config.Lab.CaseTimeout != 10*time.Minute || e.Config.CRC.StartTimeout != 10*time.Minute {
					t.Errorf("got %+v", e.Config)
				}
			},
		},
		{
			name: "env overrides file",
			file: "lab:\n  namespace: fromfile\n  lang: ja\n",
			env:  map[string]string{"PULLLAB_NAMESPACE": "fromenv", "PULLLAB_CPUS": "8", "PULLLAB_EXTENDED": "1", "PULLLAB_CASE_TIMEOUT": "90s", "PULLLAB_NODE": ""},
			check: func(t *testing.T, e *Effective) {
				c := e.Config
				if c.Lab.Namespace != "fromenv" || c.CRC.CPUs != 8 || !c.Lab.Extended || c.Lab.CaseTimeout != 90*time.Second || c.Lab.Lang != "ja" {
					t.Errorf("got %+v", c)
				}
				for path, src := range map[string]string{
					"lab.namespace":   "env PULLLAB_NAMESPACE",
					"crc.cpus":        "env PULLLAB_CPUS",
					"lab.lang":        "file pulllab.yaml:3",
					"lab.node":        "default", // empty variable counts as unset
					"lab.caseTimeout": "env PULLLAB_CASE_TIMEOUT",
				} {
					if got := e.Source(path); got != src {
						t.Errorf("Source(%s) = %q, want %q", path, got, src)
					}
				}
			},
		},
		{
			name:    "bad env value",
			env:     map[string]string{"PULLLAB_CPUS": "four", "PULLLAB_START_TIMEOUT": "45"},
			wantErr: []string{`PULLLAB_CPUS="four": want a whole number`, `PULLLAB_START_TIMEOUT="45": want a duration with a unit, such as 45m or 45s`},
		},
		{
			name:    "invalid env value names the variable",
			env:     map[string]string{"PULLLAB_LANG": "de"},
			wantErr: []string{`PULLLAB_LANG: want en or ja, got "de"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := map[string]string{}
			if tt.file != "" {
				files["pulllab.yaml"] = tt.file
			}
			e, err := Loader{LookupEnv: fakeEnv(tt.env), ReadFile: fakeFS(files)}.Load("", false)
			if tt.wantErr != nil {
				if err == nil {
					t.Fatalf("Load succeeded with %+v, want an error containing %q", e.Config, tt.wantErr)
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not contain %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			for _, k := range Keys() {
				if e.Sources[k.Path] == "" {
					t.Errorf("no source for %s", k.Path)
				}
			}
			if tt.check != nil {
				tt.check(t, e)
			}
		})
	}
}

func TestLoadFileErrors(t *testing.T) {
	dir := t.TempDir()
	t.Run("explicit file missing", func(t *testing.T) {
		p := filepath.Join(dir, "nope.yaml")
		_, err := Load(p, true, fakeEnv(nil))
		if err == nil || !strings.Contains(err.Error(), "config file "+p+" does not exist") || !strings.Contains(err.Error(), "pulllab init --path") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("default file missing is fine", func(t *testing.T) {
		e, err := Load(filepath.Join(dir, "nope.yaml"), false, fakeEnv(nil))
		if err != nil || e.File != "" {
			t.Fatalf("e.File = %q, err = %v", e.File, err)
		}
	})
	t.Run("a directory", func(t *testing.T) {
		_, err := Load(dir, false, fakeEnv(nil))
		if err == nil || !strings.Contains(err.Error(), "reading config file") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("real file", func(t *testing.T) {
		p := filepath.Join(dir, "lab.yaml")
		if err := os.WriteFile(p, []byte("lab:\n  lang: ja\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		e, err := Load(p, true, fakeEnv(nil))
		if err != nil || e.Config.Lab.Lang != "ja" || e.Source("lab.lang") != "file "+p+":2" || e.File != p {
			t.Fatalf("e = %+v, err = %v", e, err)
		}
	})
}

func TestPaths(t *testing.T) {
	home := filepath.Join(string(filepath.Separator)+"home", "ada")
	l := Loader{
		HomeDir: func() (string, error) { return home, nil },
		ReadFile: fakeFS(map[string]string{
			filepath.Join("conf", "pulllab.yaml"): "crc:\n  pullSecretFile: ps.json\nlab:\n  out: ~/results\n",
		}),
		LookupEnv: fakeEnv(nil),
	}
	e, err := l.Load(filepath.Join("conf", "pulllab.yaml"), true)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join("conf", "ps.json"); e.Config.CRC.PullSecretFile != want {
		t.Errorf("pullSecretFile = %q, want %q (relative to the file)", e.Config.CRC.PullSecretFile, want)
	}
	if want := filepath.Join(home, "results"); e.Config.Lab.Out != want {
		t.Errorf("out = %q, want %q", e.Config.Lab.Out, want)
	}
	// A flag's relative path stays relative to the working directory.
	if err := e.Override("crc.pullSecretFile", "mine.json", FlagSource("pull-secret")); err != nil {
		t.Fatal(err)
	}
	if e.Config.CRC.PullSecretFile != "mine.json" {
		t.Errorf("pullSecretFile = %q", e.Config.CRC.PullSecretFile)
	}
	if err := e.Override("crc.pullSecretFile", "~/Downloads/pull-secret.txt", FlagSource("pull-secret")); err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(home, "Downloads", "pull-secret.txt"); e.Config.CRC.PullSecretFile != want {
		t.Errorf("pullSecretFile = %q, want %q", e.Config.CRC.PullSecretFile, want)
	}
}

func TestPrecedence(t *testing.T) {
	l := Loader{
		ReadFile:  fakeFS(map[string]string{"pulllab.yaml": "lab:\n  namespace: file\n  out: out-file\n"}),
		LookupEnv: fakeEnv(map[string]string{"PULLLAB_NAMESPACE": "env", "PULLLAB_LANG": "ja"}),
	}
	e, err := l.Load("", false)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Override("lab.namespace", "flag", FlagSource("namespace")); err != nil {
		t.Fatal(err)
	}
	if err := e.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ path, value, source string }{
		{"lab.namespace", "flag", "flag --namespace"},
		{"lab.lang", "ja", "env PULLLAB_LANG"},
		{"lab.out", "out-file", "file pulllab.yaml:3"},
		{"lab.node", "", "default"},
	} {
		k, _ := LookupKey(c.path)
		if got := k.Text(&e.Config); got != c.value || e.Source(c.path) != c.source {
			t.Errorf("%s = %q from %q, want %q from %q", c.path, got, e.Source(c.path), c.value, c.source)
		}
	}
}

func TestOverride(t *testing.T) {
	tests := []struct {
		path, value string
		wantErr     string
		check       func(c Config) bool
	}{
		{"crc.cpus", "8", "", func(c Config) bool { return c.CRC.CPUs == 8 }},
		{"crc.cpus", "eight", `--x "eight": want a whole number`, nil},
		{"lab.extended", "true", "", func(c Config) bool { return c.Lab.Extended }},
		{"lab.extended", "maybe", `--x "maybe": want true or false`, nil},
		{"crc.startTimeout", "1h", "", func(c Config) bool { return c.CRC.StartTimeout == time.Hour }},
		{"crc.startTimeout", "soon", `want a duration such as 90s`, nil},
		{"lab.namespace", "other", "", func(c Config) bool { return c.Lab.Namespace == "other" }},
		{"lab.nothing", "x", `unknown setting "lab.nothing"`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.path+"="+tt.value, func(t *testing.T) {
			e := NewEffective()
			err := e.Override(tt.path, tt.value, FlagSource("x"))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || !tt.check(e.Config) || e.Source(tt.path) != "flag --x" {
				t.Fatalf("err = %v, config %+v, source %q", err, e.Config, e.Source(tt.path))
			}
		})
	}
	e := NewEffective()
	_ = e.Override("lab.caseTimeout", "0s", FlagSource("case-timeout"))
	if err := e.Validate(); err == nil || !strings.Contains(err.Error(), "--case-timeout: want a duration above 0, got 0s") {
		t.Errorf("Validate after a zero timeout: %v", err)
	}
}

// uncomment turns every "# key: value" line of the template whose key is a
// real setting into an active line.
func uncomment(t *testing.T, tpl string) string {
	t.Helper()
	re := regexp.MustCompile(`(?m)^  # (\w+): (.*)$`)
	n := 0
	out := re.ReplaceAllStringFunc(tpl, func(line string) string {
		m := re.FindStringSubmatch(line)
		for _, k := range Keys() {
			if k.Name() == m[1] {
				n++
				return "  " + m[1] + ": " + m[2]
			}
		}
		return line
	})
	if n != len(Keys()) {
		t.Fatalf("uncommented %d keys, want %d", n, len(Keys()))
	}
	return out
}

func TestTemplate(t *testing.T) {
	tpl := string(Template())
	for _, k := range Keys() {
		for _, w := range []string{"# " + k.Name() + ": ", "--" + k.Flag, k.Env} {
			if !strings.Contains(tpl, w) {
				t.Errorf("template lacks %q for %s", w, k.Path)
			}
		}
	}
	for i, line := range strings.Split(strings.TrimSuffix(tpl, "\n"), "\n") {
		if len(line) > 76 && !strings.Contains(line, ": ") {
			t.Errorf("line %d is %d long: %q", i+1, len(line), line)
		}
	}
	t.Run("as written loads to the defaults", func(t *testing.T) {
		e, err := Loader{ReadFile: fakeFS(map[string]string{"pulllab.yaml": tpl})}.Load("", false)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(e.Config, BuiltIn()) {
			t.Errorf("got %+v, want the defaults", e.Config)
		}
		for path, src := range e.Sources {
			if src != SourceDefault {
				t.Errorf("%s from %q", path, src)
			}
		}
	})
	t.Run("uncommented loads to the defaults", func(t *testing.T) {
		e, err := Loader{ReadFile: fakeFS(map[string]string{"pulllab.yaml": uncomment(t, tpl)})}.Load("", false)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(e.Config, BuiltIn()) {
			t.Errorf("got %+v, want the defaults", e.Config)
		}
		for path, src := range e.Sources {
			if !strings.HasPrefix(src, "file pulllab.yaml:") {
				t.Errorf("%s from %q, want the file", path, src)
			}
		}
	})
}

func TestYAMLRoundTrip(t *testing.T) {
	l := Loader{
		ReadFile:  fakeFS(map[string]string{"pulllab.yaml": "crc:\n  cpus: 6\n  consentTelemetry: \"yes\"\nlab:\n  caseTimeout: 90s\n  version: 1\n"}),
		LookupEnv: fakeEnv(nil),
	}
	if _, err := l.Load("", false); err == nil {
		t.Fatal("lab.version must be unknown")
	}
	l.ReadFile = fakeFS(map[string]string{"pulllab.yaml": "crc:\n  cpus: 6\n  consentTelemetry: \"yes\"\nlab:\n  caseTimeout: 90s\n"})
	l.LookupEnv = fakeEnv(map[string]string{"PULLLAB_EXTENDED": "true", "PULLLAB_DEBUG_IMAGE": "busybox:1"})
	e, err := l.Load("", false)
	if err != nil {
		t.Fatal(err)
	}
	out, err := e.YAML()
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"cpus: 6 # file pulllab.yaml:2", "extended: true # env PULLLAB_EXTENDED", "caseTimeout: 1m30s # file pulllab.yaml:5", "namespace: pulllab # default", "consentTelemetry: \"yes\"", "Config file: pulllab.yaml"} {
		if !strings.Contains(string(out), w) {
			t.Errorf("YAML lacks %q:\n%s", w, out)
		}
	}
	back, err := Loader{ReadFile: fakeFS(map[string]string{"view.yaml": string(out)})}.Load("view.yaml", true)
	if err != nil {
		t.Fatalf("view output does not load: %v\n%s", err, out)
	}
	if !reflect.DeepEqual(back.Config, e.Config) {
		t.Errorf("round trip:\n got  %+v\n want %+v", back.Config, e.Config)
	}
	var generic map[string]map[string]any
	if err := yaml.Unmarshal(out, &generic); err != nil || len(generic["crc"])+len(generic["lab"]) != len(Keys()) {
		t.Errorf("YAML has %d keys, err %v", len(generic["crc"])+len(generic["lab"]), err)
	}
}

func TestSettings(t *testing.T) {
	e := NewEffective()
	s := e.Settings()
	if len(s) != len(Keys()) {
		t.Fatalf("%d settings", len(s))
	}
	if s[8].Key.Path != "crc.startTimeout" || s[8].Text != "45m" || s[8].Value != 45*time.Minute || s[8].Source != "default" {
		t.Errorf("settings[8] = %+v", s[8])
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		45 * time.Minute:        "45m",
		90 * time.Minute:        "1h30m",
		2 * time.Hour:           "2h",
		90 * time.Second:        "1m30s",
		1500 * time.Millisecond: "1.5s",
		0:                       "0s",
	} {
		if got := FormatDuration(d); got != want {
			t.Errorf("FormatDuration(%v) = %q, want %q", d, got, want)
		}
		if back, err := time.ParseDuration(FormatDuration(d)); err != nil || back != d {
			t.Errorf("%q does not parse back to %v: %v", FormatDuration(d), d, err)
		}
	}
}

func TestMarkdownTable(t *testing.T) {
	md := MarkdownTable()
	for _, k := range Keys() {
		if !strings.Contains(md, "| `"+k.Path+"` | `--"+k.Flag+"`") || !strings.Contains(md, "`"+k.Env+"`") {
			t.Errorf("table lacks a row for %s", k.Path)
		}
	}
}

// FuzzLoad feeds arbitrary files to the loader: it must never panic, and
// whatever it accepts must validate and survive a round trip through YAML.
func FuzzLoad(f *testing.F) {
	f.Add(string(Template()))
	f.Add("crc:\n  cpus: 6\nlab:\n  namespace: a\n")
	f.Add("lab: &a\n  lang: ja\ncrc: *a\n")
	f.Add("lab:\n  caseTimeout: 1h\n  extended: false\n")
	f.Add("- 1\n- 2\n")
	f.Add("lab: [\n")
	f.Add("---\n---\n")
	f.Add("crc:\n  cpus: 0x10\n  memory: 1_0752\n")
	f.Fuzz(func(t *testing.T, data string) {
		l := Loader{ReadFile: fakeFS(map[string]string{"pulllab.yaml": data})}
		e, err := l.Load("", true)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("unexpected not-exist: %v", err)
			}
			return
		}
		out, err := e.YAML()
		if err != nil {
			t.Fatalf("YAML: %v", err)
		}
		back, err := Loader{ReadFile: fakeFS(map[string]string{"v.yaml": string(out)})}.Load("v.yaml", true)
		if err != nil {
			t.Fatalf("round trip of %q: %v\n%s", data, err, out)
		}
		if !reflect.DeepEqual(back.Config, e.Config) {
			t.Fatalf("round trip of %q changed %+v to %+v", data, e.Config, back.Config)
		}
	})
}

func TestChooseBaseImage(t *testing.T) {
	tests := []struct {
		name       string
		configured string
		explicit   bool
		preset     string
		want       string
		why        bool
	}{
		{"openshift keeps EAP", EAPBaseImage, false, PresetOpenShift, EAPBaseImage, false},
		{"unknown preset keeps EAP", EAPBaseImage, false, "", EAPBaseImage, false},
		{"okd without a choice uses WildFly", EAPBaseImage, false, PresetOKD, WildFlyS2IImage, true},
		{"okd with EAP chosen keeps it", EAPBaseImage, true, PresetOKD, EAPBaseImage, false},
		{"okd with another image keeps it", "registry.example.com/app/server:1", true, PresetOKD, "registry.example.com/app/server:1", false},
		{"microshift keeps the configured image", EAPBaseImage, false, PresetMicroShift, EAPBaseImage, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ChooseBaseImage(tt.configured, tt.explicit, tt.preset)
			if got.Image != tt.want || (got.Why != "") != tt.why {
				t.Errorf("ChooseBaseImage = %+v, want %s (reason: %v)", got, tt.want, tt.why)
			}
			if got.Why != "" && (!strings.Contains(got.Why, "registry.redhat.io") || strings.Contains(got.Why, "\n")) {
				t.Errorf("reason is not one line naming the missing credentials: %q", got.Why)
			}
		})
	}
	if BuiltIn().CRC.Version != DefaultCRCVersion || DefaultCRCVersion != "2.65.0" {
		t.Errorf("default crc version %q", BuiltIn().CRC.Version)
	}
}

// TestMention: a setting is named as the user should change it, by where
// its value came from (issue 11, item 3).
func TestMention(t *testing.T) {
	e := NewEffective()
	for _, tc := range []struct {
		path, source, want string
	}{
		{"lab.registry", SourceDefault, "--registry"},
		{"lab.registry", FlagSource("registry"), "--registry"},
		{"lab.registry", "env PULLLAB_REGISTRY", "PULLLAB_REGISTRY"},
		{"lab.registry", "file pulllab.yaml:3", "lab.registry (pulllab.yaml:3)"},
		{"crc.pullSecretFile", SourceDefault, "--pull-secret"},
		{"crc.pullSecretFile", "env PULLLAB_PULL_SECRET", "PULLLAB_PULL_SECRET"},
		{"crc.diskSize", "file conf/lab.yaml:9", "crc.diskSize (conf/lab.yaml:9)"},
		{"lab.namespace", FlagSource("n"), "--namespace"},
		{"lab.nothing", SourceDefault, "lab.nothing"},
	} {
		e.Sources[tc.path] = tc.source
		if got := e.Mention(tc.path); got != tc.want {
			t.Errorf("Mention(%s) from %q = %q, want %q", tc.path, tc.source, got, tc.want)
		}
	}
}

func TestChooseKubernetesBaseImage(t *testing.T) {
	tests := []struct {
		name       string
		configured string
		explicit   bool
		want       string
		reason     lab.BaseImageReason
	}{
		{"nothing chosen: WildFly", EAPBaseImage, false, KubernetesBaseImage, lab.BaseReasonKubernetes},
		{"the user's image", "127.0.0.1:5000/pulllab-e2e/appserver:1", true, "127.0.0.1:5000/pulllab-e2e/appserver:1", ""},
		{"EAP chosen on purpose stays", EAPBaseImage, true, EAPBaseImage, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ChooseKubernetesBaseImage(tt.configured, tt.explicit)
			if got.Image != tt.want || got.Reason != tt.reason {
				t.Errorf("ChooseKubernetesBaseImage = %+v, want %s (%q)", got, tt.want, tt.reason)
			}
			if (got.Why != "") != (tt.reason != "") || strings.Contains(got.Why, "\n") {
				t.Errorf("why = %q", got.Why)
			}
			if got.Why != "" && (!strings.Contains(got.Why, KubernetesBaseImage) || !strings.Contains(got.Why, "--base-image")) {
				t.Errorf("why %q does not name the image and the flag", got.Why)
			}
		})
	}
	if got := ChooseBaseImage(EAPBaseImage, false, PresetOKD); got.Reason != lab.BaseReasonOKD {
		t.Errorf("okd choice reason = %q", got.Reason)
	}
}

func TestValidateDeploymentsDir(t *testing.T) {
	for _, tc := range []struct{ value, want string }{
		{"/opt/jboss/wildfly/standalone/deployments", ""},
		{"deployments", `--deployments-dir: want an absolute directory in the base image`},
		{"/", `--deployments-dir: the WAR cannot go into the image's root directory`},
		{"/my dir", `--deployments-dir: "/my dir" contains white space`},
	} {
		e := NewEffective()
		if err := e.Override("lab.deploymentsDir", tc.value, FlagSource("deployments-dir")); err != nil {
			t.Fatal(err)
		}
		err := e.Validate()
		if tc.want == "" {
			if err != nil {
				t.Errorf("%q: %v", tc.value, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: Validate = %v, want %q", tc.value, err, tc.want)
		}
	}
}
