package main

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

func TestCompletion(t *testing.T) {
	t.Parallel()
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
	// Runs pulllab, bash and fish as subprocesses with their own environment.
	t.Parallel()
	if testing.Short() {
		t.Skip("builds pulllab; skipped with -short")
	}
	bash, err := exec.LookPath("bash")
	if err != nil || runtime.GOOS == "windows" {
		t.Skip("no bash")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command to build pulllab with")
	}
	dir := t.TempDir()
	bin := pulllabBinary(t)
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
		{[]string{"init", "--"}, "--force --path --log-level --verbose --quiet --no-color --kubeconfig --context --config --help"},
		{[]string{"--con"}, "--context --config"},
		// After "--" the script must not run pulllab at all (it would run
		// the command instead of completing it).
		{[]string{"init", "--", ""}, ""},
		// A flag's value, not the flag names (issue 12, item 5).
		{[]string{"cases", "-o", ""}, "text json yaml"},
		{[]string{"cases", "-o", "j"}, "json"},
		{[]string{"status", "--output", "=", "y"}, "yaml"},
		{[]string{"doctor", "-o", ""}, "text json"},
		{[]string{"report", "--format", ""}, "markdown junit summary"},
		{[]string{"report", "--lang", ""}, "en ja"},
		{[]string{"verify", "--lang", "j"}, "ja"},
		{[]string{"env", "--shell", ""}, "bash zsh fish powershell cmd"},
		{[]string{"up", "--until", "c"}, "crc cluster"},
		{[]string{"verify", "--cases", "1,1"}, "1,10 1,11 1,12"},
		{[]string{"up", "--preset", ""}, "openshift okd microshift"},
		{[]string{"--log-level", "d"}, "debug"},
		{[]string{"verify", "-q", "--log-level", "e"}, "error"},
		{[]string{"-o", "json", "cases", "--extended", "-o", "t"}, "text"},
		// A value nobody can guess: nothing, and certainly no flag names.
		{[]string{"verify", "--namespace", ""}, ""},
		// Files where a file goes.
		{[]string{"--kubeconfig", "kc"}, "kc-file"},
		{[]string{"verify", "--kubeconfig", "kc"}, "kc-file"},
		{[]string{"--config", "lab-c"}, "lab-config.yaml"},
		{[]string{"report", "--from", "res"}, "results.json"},
		{[]string{"up", "--pull-secret", "pull"}, "pull-secret.json"},
		{[]string{"verify", "--registry-auth", "reg"}, "registry-auth.json"},
		// Flags still complete after a value.
		{[]string{"cases", "-o", "json", "--ext"}, "--extended"},
	} {
		t.Run(strings.Join(tt.words, "_"), func(t *testing.T) {
			t.Parallel()
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
			cmd.Dir = completionFiles(t)
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

// completionFiles is a directory with one file for each file flag's test.
func completionFiles(t *testing.T) string {
	dir := t.TempDir()
	for _, f := range []string{"kc-file", "lab-config.yaml", "results.json", "pull-secret.json", "registry-auth.json"} {
		writeConfigTestFile(t, filepath.Join(dir, f), "x")
	}
	return dir
}

// TestCompletionFish loads the fish script into a real fish (when
// installed) and completes against a freshly built pulllab on PATH.
func TestCompletionFish(t *testing.T) {
	// Runs pulllab, bash and fish as subprocesses with their own environment.
	t.Parallel()
	if testing.Short() {
		t.Skip("builds pulllab; skipped with -short")
	}
	fish, err := exec.LookPath("fish")
	if err != nil || runtime.GOOS == "windows" {
		t.Skip("no fish")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command to build pulllab with")
	}
	dir := t.TempDir()
	bin := pulllabBinary(t)
	script := filepath.Join(dir, "pulllab.fish")
	writeConfigTestFile(t, script, testRunApp(t, nil, nil, "completion", "fish").out)
	for _, tt := range []struct {
		line string // the command line up to the cursor
		want string // the candidates, without descriptions
	}{
		{"pulllab cases -o ", "json text yaml"},
		{"pulllab cases --output=j", "--output=json"},
		{"pulllab status -o y", "yaml"},
		{"pulllab report --format ", "junit markdown summary"},
		{"pulllab verify --lang ", "en ja"},
		{"pulllab env --shell f", "fish"},
		{"pulllab up --until b", "build"},
		{"pulllab up --preset ok", "okd"},
		{"pulllab verify --cases 1", "1 10 11 12"},
		{"pulllab report --from res", "results.json"},
		{"pulllab --kubeconfig kc", "kc-file"},
		{"pulllab up --pull-secret pull", "pull-secret.json"},
		{"pulllab verify --registry-auth reg", "registry-auth.json"},
		{"pulllab --config lab-c", "lab-config.yaml"},
	} {
		t.Run(tt.line, func(t *testing.T) {
			t.Parallel()
			cache := t.TempDir()
			cmd := exec.Command(fish, "--no-config", "-c", "source "+script+"; complete -C '"+tt.line+"'")
			cmd.Dir = completionFiles(t)
			cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(bin)+string(os.PathListSeparator)+os.Getenv("PATH"), "XDG_CACHE_HOME="+cache, "HOME="+cache)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("fish: %v\n%s", err, out)
			}
			var got []string
			for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
				if c, _, _ := strings.Cut(l, "\t"); c != "" {
					got = append(got, c)
				}
			}
			slices.Sort(got)
			if strings.Join(got, " ") != tt.want {
				t.Errorf("completions %q, want %q", strings.Join(got, " "), tt.want)
			}
		})
	}
}

// TestEveryValueFlagCompletes walks the whole command tree: each flag
// whose values are known completes to some, and each flag that takes a
// file completes files, so a flag added or reworded later cannot silently
// fall back to listing flag names.
func TestEveryValueFlagCompletes(t *testing.T) {
	t.Parallel()
	app := newApp(newGlobals(streams{in: strings.NewReader(""), out: io.Discard, err: io.Discard}))
	known := []string{"output", "format", "lang", "shell", "until", "cases", "preset", "log-level"}
	files := []string{"kubeconfig", "config", "from", "pull-secret", "registry-auth", "out", "path"}
	seen := map[string]bool{}
	var walk func(path []string, flags []cli.Flag, cmds []*cli.Command)
	walk = func(path []string, flags []cli.Flag, cmds []*cli.Command) {
		for _, f := range flags {
			name := f.Names()[0]
			if !flagTakesValue(f) {
				continue
			}
			words := append(slices.Clone(path), "--"+name, "")
			kind, values := flagValueCompletion(app, words)
			switch {
			case slices.Contains(files, name):
				seen[name] = true
				if kind != "files" {
					t.Errorf("pulllab %s: %q, want files", strings.Join(words, " "), kind)
				}
			case slices.Contains(known, name):
				seen[name] = true
				if kind != "values" || len(values) == 0 {
					t.Errorf("pulllab %s: %q %q, want values", strings.Join(words, " "), kind, values)
				}
			case kind != "values":
				t.Errorf("pulllab %s: %q, want values (maybe none)", strings.Join(words, " "), kind)
			}
		}
		for _, c := range cmds {
			walk(append(slices.Clone(path), c.Name), c.Flags, c.Subcommands)
		}
	}
	walk(nil, app.Flags, app.Commands)
	for _, n := range append(known, files...) {
		if !seen[n] {
			t.Errorf("no flag --%s in the command tree (rename the test's list?)", n)
		}
	}
}
