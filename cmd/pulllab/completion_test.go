package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

func TestCompletion(t *testing.T) {
	for _, tt := range []struct{ shell, want string }{
		{"bash", "complete -o bashdefault -o default -F _pulllab_complete pulllab"},
		{"zsh", "compdef _pulllab pulllab"},
		{"fish", "complete -c pulllab -n '__fish_pulllab_no_subcommand'"},
		{"powershell", "Register-ArgumentCompleter -Native -CommandName 'pulllab'"},
		{"pwsh", "Register-ArgumentCompleter"},
	} {
		t.Run(tt.shell, func(t *testing.T) {
			r := testRunApp(t, nil, nil, "completion", tt.shell)
			if r.code != 0 || !strings.Contains(r.out, tt.want) {
				t.Fatalf("code %d, stderr %q, out lacks %q:\n%s", r.code, r.err, tt.want, r.out)
			}
			if tt.shell == "fish" {
				for _, w := range []string{"-a 'config'", "-l output", "-l path"} {
					if !strings.Contains(r.out, w) {
						t.Errorf("fish script lacks %q", w)
					}
				}
				if strings.Contains(r.out, "`") || strings.Count(r.out, "-l version -d") != 1 {
					t.Errorf("fish script has backquotes or a repeated --version")
				}
			} else if !strings.Contains(r.out, "--generate-bash-completion") {
				t.Errorf("script does not ask pulllab for completions")
			}
			// Syntax check with the shell itself when it is installed.
			shell := map[string]string{"bash": "bash", "zsh": "zsh", "fish": "fish"}[tt.shell]
			if path, err := exec.LookPath(shell); shell != "" && err == nil {
				f := filepath.Join(t.TempDir(), "script")
				writeConfigTestFile(t, f, r.out)
				if out, err := exec.Command(path, "-n", f).CombinedOutput(); err != nil {
					t.Errorf("%s -n: %v\n%s", shell, err, out)
				}
			}
		})
	}
	for _, args := range [][]string{{"completion"}, {"completion", "tcsh"}, {"completion", "bash", "zsh"}} {
		r := testRunApp(t, nil, nil, args...)
		if r.code != 2 || !strings.Contains(r.err, "bash") || !strings.Contains(r.err, "powershell") {
			t.Errorf("%v: code %d, stderr %q; want 2 and the list of shells", args, r.code, r.err)
		}
	}
}

// TestCompletionBash loads the bash script into a real bash and completes
// against a freshly built pulllab, as a user's shell does.
func TestCompletionBash(t *testing.T) {
	if testing.Short() {
		t.Skip("builds pulllab; skipped with -short")
	}
	bash, err := exec.LookPath("bash")
	if err != nil || runtime.GOOS == "windows" {
		t.Skip("no bash")
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build pulllab with")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "pulllab")
	build := exec.Command(gobin, "build", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	script := filepath.Join(dir, "pulllab.bash")
	writeConfigTestFile(t, script, testRunApp(t, nil, nil, "completion", "bash").out)

	for _, tt := range []struct {
		words []string // the last one is the word being completed
		want  string
	}{
		{[]string{"co"}, "config completion"},
		{[]string{"config", ""}, "view help h"},
		{[]string{"config", "view", "--o"}, "--output"},
		{[]string{"completion", "p"}, "powershell"},
		{[]string{"init", "--"}, "--force --path --log-level --verbose --quiet --no-color --help"},
		{[]string{"--con"}, "--context --config"},
		// After "--" the script must not run pulllab at all (it would run
		// the command instead of completing it).
		{[]string{"init", "--", ""}, ""},
	} {
		t.Run(strings.Join(tt.words, "_"), func(t *testing.T) {
			quoted := make([]string, len(tt.words))
			for i, w := range tt.words {
				quoted[i] = "'" + w + "'"
			}
			prog := "source " + script + "\n" +
				"COMP_WORDS=(" + bin + " " + strings.Join(quoted, " ") + ")\n" +
				"COMP_CWORD=" + strconv.Itoa(len(tt.words)) + "\n" +
				"_pulllab_complete\n" +
				`echo "${COMPREPLY[*]}"` + "\n"
			// A command that really runs (rather than completes) goes through
			// the app's Before, which opens the log file under the cache
			// directory; completing does not.
			cache := t.TempDir()
			cmd := exec.Command(bash, "--norc", "--noprofile", "-c", prog)
			cmd.Dir = t.TempDir()
			cmd.Env = append(os.Environ(), "XDG_CACHE_HOME="+cache, "HOME="+cache)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("bash: %v\n%s", err, out)
			}
			if got := strings.TrimSpace(string(out)); got != tt.want {
				t.Errorf("completions %q, want %q", got, tt.want)
			}
			if _, err := os.Stat(filepath.Join(cache, "pulllab", "pulllab.log")); err == nil {
				t.Errorf("completing ran the command instead (it wrote a log)")
			}
		})
	}
}
