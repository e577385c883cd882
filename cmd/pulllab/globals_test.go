package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

// leafCommands lists the path of every command that runs (one without
// subcommands), at any depth, from the app's own command list, followed by
// a value for each of its required flags: a new command is covered by the
// tests below without being named there.
func leafCommands(prefix []string, cmds []*cli.Command) [][]string {
	var out [][]string
	for _, c := range cmds {
		path := append(slices.Clone(prefix), c.Name)
		if len(c.Subcommands) > 0 {
			out = append(out, leafCommands(path, c.Subcommands)...)
			continue
		}
		for _, f := range c.Flags {
			if r, ok := f.(cli.RequiredFlag); ok && r.IsRequired() {
				path = append(path, "--"+f.Names()[0], "x")
			}
		}
		out = append(out, path)
	}
	return out
}

// parseGlobals runs pulllab with args up to the command's Action, which is
// replaced by one that records the global options, so that no command
// reaches a cluster or writes a file. env is the environment pulllab sees
// (urfave/cli reads the app's variables from the process environment).
func parseGlobals(t *testing.T, args ...string) (globalOptions, int, string) {
	t.Helper()
	var out, errb bytes.Buffer
	g := newGlobals(streams{in: strings.NewReader(""), out: &out, err: &errb})
	g.lookupEnv = func(string) (string, bool) { return "", false }
	cache := t.TempDir()
	g.cacheDir = func() (string, error) { return cache, nil }
	g.homeDir = func() (string, error) { return "/home/ada", nil }
	app := newApp(g)
	var got globalOptions
	ran := false
	var record func([]*cli.Command)
	record = func(cmds []*cli.Command) {
		for _, c := range cmds {
			record(c.Subcommands)
			c.Action = func(*cli.Context) error { got, ran = g.globalOptions, true; return nil }
		}
	}
	record(app.Commands)
	ctx := context.Background()
	err := app.RunContext(ctx, append([]string{"pulllab"}, args...))
	code := exitCode(ctx, err)
	if err != nil {
		printError(g, err, code)
	}
	if err == nil && !ran {
		t.Fatalf("pulllab %s: the command's action did not run", strings.Join(args, " "))
	}
	return got, code, errb.String()
}

// TestGlobalFlagsBeforeAndAfterEveryCommand: every command takes every
// global flag both before and after its name, with the same result
// (issue 11, item 5).
func TestGlobalFlagsBeforeAndAfterEveryCommand(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	cfgFile := filepath.Join(dir, "other.yaml")
	if err := os.WriteFile(cfgFile, []byte("lab:\n  namespace: from-other\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PULLLAB_LOG_LEVEL", "")
	t.Setenv("PULLLAB_CONFIG", "")
	defaults := globalOptions{logLevel: "warn"}
	flagCases := []struct {
		name  string
		flags []string
		want  func(o *globalOptions)
	}{
		{"--quiet", []string{"--quiet"}, func(o *globalOptions) { o.quiet = true }},
		{"-q", []string{"-q"}, func(o *globalOptions) { o.quiet = true }},
		{"-v", []string{"-v"}, func(o *globalOptions) { o.verbose = true }},
		{"--no-color", []string{"--no-color"}, func(o *globalOptions) { o.noColor = true }},
		{"--log-level", []string{"--log-level", "info"}, func(o *globalOptions) { o.logLevel = "info" }},
		{"--kubeconfig", []string{"--kubeconfig", "/k/config"}, func(o *globalOptions) { o.kubeconfig = "/k/config" }},
		{"--context", []string{"--context", "crc-admin"}, func(o *globalOptions) { o.context = "crc-admin" }},
		{"--config", []string{"--config", cfgFile}, func(o *globalOptions) { o.configFile = cfgFile }},
		{"all", []string{"-q", "--log-level=error", "--kubeconfig=/k", "--context", "c", "--config", cfgFile, "--no-color"}, func(o *globalOptions) {
			*o = globalOptions{quiet: true, logLevel: "error", kubeconfig: "/k", context: "c", configFile: cfgFile, noColor: true}
		}},
	}
	cmds := leafCommands(nil, newApp(newGlobals(newStreams())).Commands)
	if len(cmds) < 12 {
		t.Fatalf("found %d commands: %v", len(cmds), cmds)
	}
	for _, cmd := range cmds {
		for _, fc := range flagCases {
			want := defaults
			fc.want(&want)
			before := append(slices.Clone(fc.flags), cmd...)
			after := append(slices.Clone(cmd), fc.flags...)
			t.Run(strings.Join(cmd, " ")+"/"+fc.name, func(t *testing.T) {
				for _, args := range [][]string{before, after} {
					got, code, stderr := parseGlobals(t, args...)
					if code != 0 || got != want {
						t.Errorf("pulllab %s: exit %d, %+v, stderr %q; want exit 0, %+v", strings.Join(args, " "), code, got, stderr, want)
					}
				}
			})
		}
	}
}

// TestGlobalFlagPrecedence: a flag after the command name beats one before
// it, which beats the environment, which beats the default.
func TestGlobalFlagPrecedence(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  string
		args []string
		want string
	}{
		{"default", "", []string{"cases"}, "warn"},
		{"environment", "error", []string{"cases"}, "error"},
		{"before over environment", "error", []string{"--log-level", "info", "cases"}, "info"},
		{"after over environment", "error", []string{"cases", "--log-level", "info"}, "info"},
		{"after over before", "", []string{"--log-level", "error", "cases", "--log-level", "debug"}, "debug"},
		{"subcommand after over before", "", []string{"--log-level", "error", "config", "view", "--log-level", "info"}, "info"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Chdir(t.TempDir())
			t.Setenv("PULLLAB_LOG_LEVEL", tc.env)
			got, code, stderr := parseGlobals(t, tc.args...)
			if code != 0 || got.logLevel != tc.want {
				t.Errorf("exit %d, --log-level %q, stderr %q; want %q", code, got.logLevel, stderr, tc.want)
			}
		})
	}
}

// TestBadGlobalFlagAfterCommand: a bad value is the same usage error in
// either position.
func TestBadGlobalFlagAfterCommand(t *testing.T) {
	t.Chdir(t.TempDir())
	for _, args := range [][]string{{"--log-level", "loud", "cases"}, {"cases", "--log-level", "loud"}} {
		_, code, stderr := parseGlobals(t, args...)
		if code != 2 || !strings.Contains(stderr, `--log-level "loud" is not a level`) {
			t.Errorf("pulllab %s: exit %d, %q", strings.Join(args, " "), code, stderr)
		}
	}
}
