package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"

	"github.com/pulllab/pulllab/internal/config"
)

// appRun is what one run of the app produced.
type appRun struct {
	code     int
	out, err string
}

// testRunApp runs the app as run() does, with a fake environment, a
// temporary cache directory for the log file and a fixed home directory.
// extend, if not nil, may add commands before the run.
func testRunApp(t *testing.T, env map[string]string, extend func(*globals, *cli.App), args ...string) appRun {
	t.Helper()
	var out, errb bytes.Buffer
	g := newGlobals(streams{in: strings.NewReader(""), out: &out, err: &errb})
	g.lookupEnv = func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	cache := t.TempDir()
	g.cacheDir = func() (string, error) { return cache, nil }
	g.homeDir = func() (string, error) { return "/home/ada", nil }
	app := newApp(g)
	if extend != nil {
		extend(g, app)
	}
	ctx := context.Background()
	err := app.RunContext(ctx, append([]string{"pulllab"}, args...))
	code := exitCode(ctx, err)
	if err != nil {
		printError(g, err, code)
	}
	return appRun{code: code, out: out.String(), err: errb.String()}
}

func writeConfigTestFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestInit(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)

	r := testRunApp(t, nil, nil, "init")
	if r.code != 0 || !strings.Contains(r.out, "Wrote pulllab.yaml") {
		t.Fatalf("init: code %d, out %q, err %q", r.code, r.out, r.err)
	}
	data, err := os.ReadFile("pulllab.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(data, config.Template()) {
		t.Errorf("pulllab.yaml is not the template")
	}
	e, err := config.Load("pulllab.yaml", true, func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatalf("the written file does not load: %v", err)
	}
	if !reflect.DeepEqual(e.Config, config.BuiltIn()) {
		t.Errorf("the written file loads to %+v, want the defaults", e.Config)
	}

	t.Run("refuses to overwrite", func(t *testing.T) {
		writeConfigTestFile(t, "pulllab.yaml", "lab:\n  lang: ja\n")
		r := testRunApp(t, nil, nil, "init")
		if r.code != 2 || !strings.Contains(r.err, "pulllab.yaml already exists") || !strings.Contains(r.err, "--force") {
			t.Errorf("code %d, err %q", r.code, r.err)
		}
		if b, _ := os.ReadFile("pulllab.yaml"); string(b) != "lab:\n  lang: ja\n" {
			t.Errorf("the file was changed: %q", b)
		}
	})
	t.Run("--force overwrites, even a broken file", func(t *testing.T) {
		writeConfigTestFile(t, "pulllab.yaml", "lab:\n  nope: 1\n")
		r := testRunApp(t, nil, nil, "init", "--force")
		if r.code != 0 {
			t.Fatalf("code %d, err %q", r.code, r.err)
		}
		if b, _ := os.ReadFile("pulllab.yaml"); !bytes.Equal(b, config.Template()) {
			t.Errorf("not overwritten")
		}
		if st, _ := os.Stat("pulllab.yaml"); st.Mode().Perm() != 0o644 {
			t.Errorf("mode %v", st.Mode())
		}
		left, _ := filepath.Glob(".pulllab-*")
		if len(left) > 0 {
			t.Errorf("temporary files left: %v", left)
		}
	})
	t.Run("--path", func(t *testing.T) {
		r := testRunApp(t, nil, nil, "init", "--path", "workshop.yaml")
		if r.code != 0 || !strings.Contains(r.out, "--config workshop.yaml") {
			t.Fatalf("code %d, out %q, err %q", r.code, r.out, r.err)
		}
		if _, err := os.Stat("workshop.yaml"); err != nil {
			t.Error(err)
		}
	})
	t.Run("--config names the file", func(t *testing.T) {
		r := testRunApp(t, map[string]string{"PULLLAB_CONFIG": "from-env.yaml"}, nil, "init")
		if r.code != 0 {
			t.Fatalf("code %d, err %q", r.code, r.err)
		}
		if _, err := os.Stat("from-env.yaml"); err != nil {
			t.Error(err)
		}
	})
	t.Run("bad input", func(t *testing.T) {
		for _, args := range [][]string{
			{"init", "extra"},
			{"init", "--path", "no/such/dir/pulllab.yaml"},
			{"init", "--path", "."},
		} {
			r := testRunApp(t, nil, nil, args...)
			if r.code != 2 || !strings.HasPrefix(r.err, "ERROR: ") {
				t.Errorf("%v: code %d, err %q", args, r.code, r.err)
			}
		}
	})
}

func TestConfigFileErrors(t *testing.T) {
	tests := []struct {
		name, file string
		args       []string
		env        map[string]string
		wantCode   int
		wantErr    string
	}{
		{"unknown key names the line", "crc:\n  cpus: 4\nlab:\n  nmespace: x\n", []string{"config", "view"}, nil, 2,
			`ERROR: pulllab.yaml:4: unknown key "lab.nmespace"; did you mean "lab.namespace"?`},
		{"wrong type names the line", "crc:\n  cpus: four\n", []string{"config", "view"}, nil, 2,
			`ERROR: pulllab.yaml:2: crc.cpus: want a whole number, got "four"`},
		{"wrong duration names the line", "lab:\n\n\n  caseTimeout: 5\n", []string{"config", "view"}, nil, 2,
			`ERROR: pulllab.yaml:4: lab.caseTimeout: want a duration with a unit, such as 5m or 5s`},
		{"explicit file missing", "", []string{"--config", "missing.yaml", "config", "view"}, nil, 2,
			"ERROR: config file missing.yaml does not exist; create it with 'pulllab init --path missing.yaml'"},
		{"PULLLAB_CONFIG file missing", "", []string{"config", "view"}, map[string]string{"PULLLAB_CONFIG": "gone.yaml"}, 2,
			"ERROR: config file gone.yaml does not exist"},
		{"bad environment value", "", []string{"config", "view"}, map[string]string{"PULLLAB_MEMORY": "10GiB"}, 2,
			`ERROR: PULLLAB_MEMORY="10GiB": want a whole number`},
		{"version runs with a broken file", "crc: [\n", []string{"version"}, nil, 0, ""},
		{"completion runs with a broken file", "crc: 1\n", []string{"completion", "bash"}, nil, 0, ""},
		{"no ./pulllab.yaml is fine", "", []string{"config", "view"}, nil, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Chdir(t.TempDir())
			if tt.file != "" {
				writeConfigTestFile(t, "pulllab.yaml", tt.file)
			}
			r := testRunApp(t, tt.env, nil, tt.args...)
			if r.code != tt.wantCode || !strings.Contains(r.err, tt.wantErr) {
				t.Errorf("code %d, stderr %q; want %d and %q", r.code, r.err, tt.wantCode, tt.wantErr)
			}
		})
	}
}

// probeCommand is a command that uses config flags, as up and verify do.
func probeCommand(got **config.Effective) func(*globals, *cli.App) {
	return func(g *globals, app *cli.App) {
		cmd := &cli.Command{
			Name:   "probe",
			Flags:  g.configFlags("lab.namespace", "crc.cpus", "lab.extended", "lab.lang", "crc.pullSecretFile", "lab.caseTimeout"),
			Action: func(*cli.Context) error { *got = g.cfg; return nil },
		}
		app.Commands = append(app.Commands, cmd)
		addGlobalFlags(g, []*cli.Command{cmd})
	}
}

func TestConfigPrecedence(t *testing.T) {
	t.Chdir(t.TempDir())
	writeConfigTestFile(t, "pulllab.yaml", "crc:\n  cpus: 6\nlab:\n  namespace: from-file\n  lang: ja\n")
	env := map[string]string{"PULLLAB_NAMESPACE": "from-env", "PULLLAB_CPUS": "8"}

	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		want    map[string][2]string // path → value, source
		wantErr string
	}{
		{
			name: "file over defaults",
			args: []string{"probe"},
			want: map[string][2]string{
				"lab.namespace": {"from-file", "file pulllab.yaml:4"},
				"crc.cpus":      {"6", "file pulllab.yaml:2"},
				"lab.extended":  {"false", "default"},
			},
		},
		{
			name: "env over file",
			env:  env,
			args: []string{"probe"},
			want: map[string][2]string{
				"lab.namespace": {"from-env", "env PULLLAB_NAMESPACE"},
				"crc.cpus":      {"8", "env PULLLAB_CPUS"},
				"lab.lang":      {"ja", "file pulllab.yaml:5"},
			},
		},
		{
			name: "flag over env",
			env:  env,
			args: []string{"probe", "--namespace", "from-flag", "--extended", "--pull-secret", "~/ps.json", "--case-timeout", "90s"},
			want: map[string][2]string{
				"lab.namespace":      {"from-flag", "flag --namespace"},
				"crc.cpus":           {"8", "env PULLLAB_CPUS"},
				"lab.extended":       {"true", "flag --extended"},
				"crc.pullSecretFile": {filepath.Join("/home/ada", "ps.json"), "flag --pull-secret"},
				"lab.caseTimeout":    {"1m30s", "flag --case-timeout"},
			},
		},
		{
			name: "alias -n",
			args: []string{"probe", "-n", "short"},
			want: map[string][2]string{"lab.namespace": {"short", "flag --namespace"}},
		},
		{
			name:    "bad flag value",
			args:    []string{"probe", "--cpus", "four"},
			wantErr: `ERROR: --cpus "four": want a whole number`,
		},
		{
			name:    "invalid flag value",
			args:    []string{"probe", "--lang", "fr"},
			wantErr: `ERROR: --lang: want en or ja, got "fr"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got *config.Effective
			r := testRunApp(t, tt.env, probeCommand(&got), tt.args...)
			if tt.wantErr != "" {
				if r.code != 2 || !strings.Contains(r.err, tt.wantErr) {
					t.Errorf("code %d, stderr %q, want 2 and %q", r.code, r.err, tt.wantErr)
				}
				return
			}
			if r.code != 0 || got == nil {
				t.Fatalf("code %d, stderr %q", r.code, r.err)
			}
			for path, w := range tt.want {
				k, _ := config.LookupKey(path)
				if v, s := k.Text(&got.Config), got.Source(path); v != w[0] || s != w[1] {
					t.Errorf("%s = %q from %q, want %q from %q", path, v, s, w[0], w[1])
				}
			}
		})
	}
}

func TestConfigView(t *testing.T) {
	t.Chdir(t.TempDir())
	writeConfigTestFile(t, "pulllab.yaml", "# workshop\nlab:\n  namespace: workshop\n  caseTimeout: 2m\n")
	env := map[string]string{"PULLLAB_EXTENDED": "true"}

	t.Run("json lists every value and its source", func(t *testing.T) {
		r := testRunApp(t, env, nil, "config", "view", "-o", "json")
		if r.code != 0 {
			t.Fatalf("code %d, stderr %q", r.code, r.err)
		}
		var doc configViewJSON
		if err := json.Unmarshal([]byte(r.out), &doc); err != nil {
			t.Fatalf("%v\n%s", err, r.out)
		}
		if doc.File != "pulllab.yaml" || len(doc.Settings) != len(config.Keys()) {
			t.Fatalf("file %q, %d settings", doc.File, len(doc.Settings))
		}
		bySource := map[string]configSettingJSON{}
		for _, s := range doc.Settings {
			if s.Source == "" || s.Flag == "" || s.Env == "" {
				t.Errorf("incomplete: %+v", s)
			}
			bySource[s.Key] = s
		}
		for key, want := range map[string]configSettingJSON{
			"lab.namespace":   {Key: "lab.namespace", Value: "workshop", Source: "file pulllab.yaml:3", Flag: "--namespace", Env: "PULLLAB_NAMESPACE"},
			"lab.caseTimeout": {Key: "lab.caseTimeout", Value: "2m", Source: "file pulllab.yaml:4", Flag: "--case-timeout", Env: "PULLLAB_CASE_TIMEOUT"},
			"lab.extended":    {Key: "lab.extended", Value: true, Source: "env PULLLAB_EXTENDED", Flag: "--extended", Env: "PULLLAB_EXTENDED"},
			"crc.cpus":        {Key: "crc.cpus", Value: float64(4), Source: "default", Flag: "--cpus", Env: "PULLLAB_CPUS"},
		} {
			if got := bySource[key]; !reflect.DeepEqual(got, want) {
				t.Errorf("%s: got %+v, want %+v", key, got, want)
			}
		}
	})
	t.Run("text is an aligned table", func(t *testing.T) {
		r := testRunApp(t, env, nil, "config", "view")
		if r.code != 0 {
			t.Fatalf("code %d, stderr %q", r.code, r.err)
		}
		if !strings.HasPrefix(r.out, "Config file: pulllab.yaml\n\nKEY ") {
			t.Errorf("header:\n%s", r.out)
		}
		for _, re := range []string{
			`(?m)^lab\.namespace +workshop +file pulllab\.yaml:3$`,
			`(?m)^lab\.extended +true +env PULLLAB_EXTENDED$`,
			`(?m)^lab\.node +"" +default$`,
		} {
			if !regexp.MustCompile(re).MatchString(r.out) {
				t.Errorf("no line matching %s in\n%s", re, r.out)
			}
		}
		lines := strings.Split(strings.TrimSpace(r.out), "\n")[2:]
		col := strings.Index(lines[0], "SOURCE")
		for _, l := range lines {
			if len(l) < col || l[col-1] != ' ' || l[col] == ' ' {
				t.Errorf("SOURCE column not aligned at %d: %q", col, l)
			}
		}
	})
	t.Run("yaml loads back", func(t *testing.T) {
		r := testRunApp(t, env, nil, "config", "view", "-o", "yaml")
		if r.code != 0 {
			t.Fatalf("code %d, stderr %q", r.code, r.err)
		}
		if !strings.Contains(r.out, "namespace: workshop # file pulllab.yaml:3") {
			t.Errorf("no source comment:\n%s", r.out)
		}
		writeConfigTestFile(t, "view.yaml", r.out)
		back := testRunApp(t, nil, nil, "--config", "view.yaml", "config", "view", "-o", "json")
		var doc configViewJSON
		if err := json.Unmarshal([]byte(back.out), &doc); err != nil {
			t.Fatalf("%v: %s %s", err, back.out, back.err)
		}
		for _, s := range doc.Settings {
			if s.Key == "lab.extended" && s.Value != true {
				t.Errorf("lab.extended = %v after the round trip", s.Value)
			}
		}
	})
	t.Run("bad output format", func(t *testing.T) {
		r := testRunApp(t, nil, nil, "config", "view", "-o", "xml")
		if r.code != 2 || !strings.Contains(r.err, `--output "xml" is not a format; use text, json or yaml`) {
			t.Errorf("code %d, stderr %q", r.code, r.err)
		}
	})
}

func TestConfigFlagsHelp(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	g := newGlobals(streams{in: strings.NewReader(""), out: &out, err: &out})
	for _, f := range g.configFlags("lab.namespace", "lab.extended", "lab.node") {
		s := f.String()
		k, _ := config.LookupFlag(f.Names()[0])
		if !strings.Contains(s, "[$"+k.Env+"]") {
			t.Errorf("%q does not name %s", s, k.Env)
		}
		if k.Path == "lab.namespace" && !strings.Contains(s, "--namespace NAME, -n NAME") || strings.Contains(s, "`") {
			t.Errorf("placeholder: %q", s)
		}
		if k.Path == "lab.namespace" && !strings.Contains(s, "(default: pulllab)") {
			t.Errorf("no default: %q", s)
		}
		if k.Path != "lab.namespace" && strings.Contains(s, "default") {
			t.Errorf("a default where there is none: %q", s)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("configFlags accepted an unknown setting")
		}
	}()
	g.configFlags("lab.nothing")
}
