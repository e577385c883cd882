package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestUsageErrors: bad commands and flags exit 2 with one short message on
// stderr that spells the flag as the user typed it, suggests only what is
// close, and leaves stdout empty (issue 12, items 2 and 3).
func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		args    []string
		want    []string
		notWant []string
	}{
		{"unknown command", []string{"foo"}, []string{`"foo" is not a command of pulllab`, "see 'pulllab --help'"}, []string{"did you mean", "help topic"}},
		{"typo of a command", []string{"docter"}, []string{"did you mean 'pulllab doctor'?"}, nil},
		{"unknown subcommand", []string{"config", "foo"}, []string{`"foo" is not a command of pulllab config`, "see 'pulllab config --help'"}, []string{`""`}},
		{"help for an unknown command", []string{"help", "foo"}, []string{`"foo" is not a command of pulllab`}, []string{"help topic"}},
		{"unknown flag", []string{"cases", "--bogus"}, []string{"pulllab cases has no flag --bogus", "see 'pulllab cases --help'"}, []string{"-bogus\"", "did you mean", "Incorrect Usage"}},
		{"typo of a flag", []string{"cases", "--outpt", "json"}, []string{"did you mean --output?"}, nil},
		{"short flag", []string{"cases", "-x"}, []string{"has no flag -x"}, nil},
		{"missing value", []string{"cases", "-o"}, []string{"-o needs a value"}, nil},
		{"unknown global flag", []string{"--bogus", "cases"}, []string{"pulllab has no flag --bogus"}, nil},
		{"report without --from", []string{"report"}, []string{"report needs --from FILE", "'pulllab verify' wrote"}, []string{"Required flag"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, stderr := runCmdForTest(t, tc.args...)
			if code != 2 {
				t.Errorf("exit code %d, want 2 (stderr %q)", code, stderr)
			}
			if out != "" {
				t.Errorf("stdout must stay empty on a usage error, got %q", out)
			}
			if n := strings.Count(strings.TrimSpace(stderr), "\n"); n != 0 {
				t.Errorf("want one line on stderr, got %d:\n%s", n+1, stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr %q lacks %q", stderr, w)
				}
			}
			for _, w := range append(tc.notWant, "The full log is in") {
				if strings.Contains(stderr, w) {
					t.Errorf("stderr %q must not contain %q", stderr, w)
				}
			}
		})
	}
}

// TestStrayArgumentsAreRefused: a command that takes no arguments refuses
// one with exit 2 before doing anything, since urfave/cli stops reading
// flags at the first argument and would silently drop "-o json" after it.
func TestStrayArgumentsAreRefused(t *testing.T) {
	for _, cmd := range [][]string{
		{"up"}, {"verify"}, {"status"}, {"down"}, {"doctor"}, {"env"},
		{"report", "--from", "results.json"}, {"cases"}, {"init"}, {"version"}, {"config", "view"},
	} {
		name := strings.Join(cmd, " ")
		if cmd[0] == "report" {
			name = "report"
		}
		t.Run(name, func(t *testing.T) {
			args := append(append([]string{}, cmd...), "stray", "-o", "json")
			code, out, stderr := runCmdForTest(t, args...)
			if code != 2 {
				t.Errorf("exit code %d, want 2 (stderr %q)", code, stderr)
			}
			if out != "" {
				t.Errorf("stdout must stay empty, got %q", out)
			}
			if want := name + ` takes no arguments, got "stray"`; !strings.Contains(stderr, want) {
				t.Errorf("stderr %q lacks %q", stderr, want)
			}
		})
	}
}

// TestLoggingFlagsAfterEveryCommand: -q, -v, --no-color and --log-level are
// accepted after every command's name (issue 12, item 4).
func TestLoggingFlagsAfterEveryCommand(t *testing.T) {
	for _, args := range [][]string{
		{"cases"}, {"version"}, {"config", "view"}, {"completion"}, {"cases", "-o", "json"},
	} {
		for _, f := range [][]string{{"-q"}, {"-v"}, {"--no-color"}, {"--log-level", "info"}} {
			full := append(append([]string{}, args...), f...)
			if args[0] == "completion" { // flags come before the shell argument
				full = append(append([]string{"completion"}, f...), "bash")
			}
			t.Run(strings.Join(full, " "), func(t *testing.T) {
				code, _, stderr := runCmdForTest(t, full...)
				if code != 0 {
					t.Errorf("exit %d: %s", code, stderr)
				}
			})
		}
	}
}

// TestNoColorVariable: PULLLAB_NO_COLOR and NO_COLOR take any non-empty
// value, as the NO_COLOR convention says (issue 12, item 1).
func TestNoColorVariable(t *testing.T) {
	for _, v := range []string{"yes", "1", "true", "whatever", ""} {
		t.Run("PULLLAB_NO_COLOR="+v, func(t *testing.T) {
			t.Setenv("PULLLAB_NO_COLOR", v)
			code, out, stderr := runCmdForTest(t, "version")
			if code != 0 || !strings.HasPrefix(out, "pulllab ") {
				t.Errorf("exit %d, stdout %q, stderr %q", code, out, stderr)
			}
		})
	}
	g := newGlobals(newStreams())
	for _, tc := range []struct {
		env  map[string]string
		want bool
	}{
		{map[string]string{"NO_COLOR": "1"}, true},
		{map[string]string{"NO_COLOR": ""}, false},
		{map[string]string{"PULLLAB_NO_COLOR": "no"}, true},
		{map[string]string{}, false},
	} {
		g.lookupEnv = func(k string) (string, bool) { v, ok := tc.env[k]; return v, ok }
		if got := g.envSet("NO_COLOR") || g.envSet("PULLLAB_NO_COLOR"); got != tc.want {
			t.Errorf("%v: no colour %v, want %v", tc.env, got, tc.want)
		}
	}
}

// TestOutputPaths: one rule for every file written at a user's path — no
// unknown directory trees are created, "-" is stdout (issue 12, item 8).
func TestOutputPaths(t *testing.T) {
	dir := t.TempDir()
	sample := filepath.Join("..", "..", "docs", "sample", "v1.34.4-cri-o", "results.json")
	missing := filepath.Join(dir, "no", "such", "dir")
	for _, tc := range []struct {
		name     string
		args     []string
		code     int
		stdout   string
		stderr   string
		mustMiss string
	}{
		{"report into a missing directory", []string{"report", "--from", sample, "--out", filepath.Join(missing, "x.md")}, 2, "", "does not exist; create it first", filepath.Join(dir, "no")},
		{"report to stdout with -", []string{"report", "--from", sample, "--out", "-"}, 0, "# imagePullPolicy lab report", "", ""},
		{"init into a missing directory", []string{"init", "--path", filepath.Join(missing, "p.yaml")}, 2, "", "does not exist; create it first", filepath.Join(dir, "no")},
		{"init to stdout with -", []string{"init", "--path", "-"}, 0, "# pulllab.yaml", "", ""},
		{"report from a directory", []string{"report", "--from", dir}, 2, "", "cannot be read", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, stderr := runCmdForTest(t, tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d (stderr %q)", code, tc.code, stderr)
			}
			if !strings.HasPrefix(out, tc.stdout) {
				t.Errorf("stdout %q, want it to start with %q", out, tc.stdout)
			}
			if !strings.Contains(stderr, tc.stderr) {
				t.Errorf("stderr %q lacks %q", stderr, tc.stderr)
			}
			if tc.mustMiss != "" {
				if _, err := os.Stat(tc.mustMiss); err == nil {
					t.Errorf("%s was created", tc.mustMiss)
				}
			}
		})
	}
	// a report written twice replaces the file and leaves no temporary file
	out := filepath.Join(dir, "r.md")
	for i := 0; i < 2; i++ {
		if code, _, stderr := runCmdForTest(t, "report", "--from", sample, "--out", out); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".pulllab-") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
}

// TestConfigViewShortensAndValidates: a huge value does not blow the table
// up, and a value verify would reject is rejected by config view too
// (issue 12, item 11).
func TestConfigViewShortensAndValidates(t *testing.T) {
	t.Setenv("PULLLAB_BASE_IMAGE", "example.com/"+strings.Repeat("a", 1<<20)+":1")
	code, out, stderr := runCmdForTest(t, "config", "view")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if len(out) > 20000 {
		t.Errorf("config view printed %d bytes for one long value", len(out))
	}
	if !strings.Contains(out, "characters) ...") {
		t.Errorf("the long value is not shortened visibly:\n%.2000s", out)
	}
	t.Setenv("PULLLAB_BASE_IMAGE", "")
	t.Setenv("PULLLAB_REGISTRY", "127.0.0.1:5000/Upper")
	for _, args := range [][]string{{"config", "view"}, {"verify", "--dry-run"}} {
		code, _, stderr = runCmdForTest(t, args...)
		if code != 2 || !strings.Contains(stderr, "PULLLAB_REGISTRY") || !strings.Contains(stderr, "lower-case path") {
			t.Errorf("%v: exit %d, stderr %q", args, code, stderr)
		}
	}
	t.Setenv("PULLLAB_REGISTRY", "")
	t.Setenv("PULLLAB_NODE", "Not_A_Node")
	for _, args := range [][]string{{"config", "view"}, {"verify", "--dry-run"}} {
		code, _, stderr = runCmdForTest(t, args...)
		if code != 2 || !strings.Contains(stderr, "PULLLAB_NODE") || !strings.Contains(stderr, "is not a node name") {
			t.Errorf("%v: exit %d, stderr %q", args, code, stderr)
		}
	}
	if got := shorten("abcdef", 60); got != "abcdef" {
		t.Errorf("short value changed: %q", got)
	}
	if got := shorten("a\tb", 60); got != `a\tb` {
		t.Errorf("tab not escaped: %q", got)
	}
}
