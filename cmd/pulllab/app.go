package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/sirupsen/logrus"
	"github.com/urfave/cli/v2"

	"github.com/pulllab/pulllab/internal/config"
	"github.com/pulllab/pulllab/internal/ui"
	"github.com/pulllab/pulllab/internal/version"
	"github.com/pulllab/pulllab/lab"
)

// streams are the process's standard streams; tests substitute buffers.
type streams struct {
	in       io.Reader
	out, err io.Writer
}

func newStreams() streams { return streams{in: os.Stdin, out: os.Stdout, err: os.Stderr} }

// globals is what every command shares: the streams, the global flags, the
// logger, the step printer and the process environment (injected so tests
// can fake it).
type globals struct {
	streams
	// globalOptions are the global flags (readGlobals).
	globalOptions
	// self is how hints name pulllab (selfCommand).
	self string

	// cfg is the merged configuration (defaults ← file ← PULLLAB_* ←
	// flags) with the source of each value; commands read cfg.Config.
	// setup loads it; a command's config flags (configFlags) are applied
	// just before that command runs.
	cfg *config.Effective
	// cfgFlags maps each flag made by configFlags to its setting's path.
	cfgFlags map[cli.Flag]string

	log    *logrus.Logger
	status *ui.Status
	// logFile is the full debug log; closed in After.
	logFile     *os.File
	logFilePath string

	// pending is a usage error found in a urfave/cli hook that cannot
	// return one (an unknown command); run returns it.
	pending error

	host
}

// host is the process's environment: the OS pulllab runs on, its
// variables and its home and cache directories (injected so tests can
// fake them). globals and every command's env carry it.
type host struct {
	goos      string
	lookupEnv func(string) (string, bool)
	homeDir   func() (string, error)
	cacheDir  func() (string, error)
}

func newGlobals(s streams) *globals {
	return &globals{
		streams:  s,
		host:     host{goos: runtime.GOOS, lookupEnv: os.LookupEnv, homeDir: os.UserHomeDir, cacheDir: os.UserCacheDir},
		log:      logrus.New(),
		status:   ui.Discard(),
		cfg:      config.NewEffective(),
		cfgFlags: map[cli.Flag]string{},
	}
}

// usageError is bad input on the command line or in the settings, found
// before anything ran: exit code 2, with a message that says what to do.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// Is makes a usage error an input error like the libraries' (lab.ErrBadInput).
func (e *usageError) Is(target error) bool { return target == lab.ErrBadInput }

func usagef(format string, args ...any) error { return &usageError{msg: fmt.Sprintf(format, args...)} }

// run is main without os.Exit, so tests can call it.
func run(ctx context.Context, args []string, s streams) int {
	g := newGlobals(s)
	if len(args) > 0 {
		g.self = selfCommand(args[0])
	}
	app := newApp(g)
	err := app.RunContext(ctx, args)
	if err == nil && g.pending != nil {
		err = g.pending
	}
	if err == nil && ctx.Err() != nil {
		err = ctx.Err()
	}
	code := exitCode(ctx, err)
	if err != nil {
		printError(g, err, code)
	}
	return code
}

// exitCode maps an error to the process exit code, in one place (the
// libraries' errors carry kinds, not codes): 0 success; 1 the lab ran and
// some case did not match (a *lab.MismatchError without errors); 2 a case
// could not be evaluated, or pulllab could not do what was asked (usage,
// settings, CRC, cluster, a precondition); 130 interrupted.
func exitCode(ctx context.Context, err error) int {
	if err == nil {
		return 0
	}
	if errors.Is(err, context.Canceled) || (ctx != nil && errors.Is(ctx.Err(), context.Canceled)) {
		return 130
	}
	var mismatch *lab.MismatchError
	if errors.As(err, &mismatch) && mismatch.Summary.Errors == 0 {
		return 1
	}
	return 2
}

func printError(g *globals, err error, code int) {
	g.status.End(false)
	if code == 130 {
		fmt.Fprintln(g.err, "Interrupted; cleaned up. Run the same command again to continue.")
		return
	}
	msg := withSelf(g.explain(err), g.self)
	fmt.Fprintf(g.err, "ERROR: %s\n", msg)
	var detail interface{ Detail() string }
	if errors.As(err, &detail) && detail.Detail() != "" && g.log.IsLevelEnabled(logrus.DebugLevel) {
		fmt.Fprintln(g.err, strings.TrimRight(detail.Detail(), "\n"))
	}
	// Bad input (a usage error, a setting or file the user gave) is said
	// whole in the message; other failures point to the debug log.
	if g.logFilePath != "" && !errors.Is(err, lab.ErrBadInput) {
		fmt.Fprintf(g.err, "The full log is in %s\n", g.logFilePath)
	}
}

// versionFlagOnce replaces urfave/cli's global --version flag, whose -v
// alias collides with --verbose (-v) and makes the app panic.
var versionFlagOnce sync.Once

func newApp(g *globals) *cli.App {
	versionFlagOnce.Do(func() {
		cli.VersionFlag = &cli.BoolFlag{Name: "version", Usage: "print the version and exit"}
		cli.VersionPrinter = func(c *cli.Context) { fmt.Fprintln(c.App.Writer, version.String()) }
	})
	app := &cli.App{
		Name:                 "pulllab",
		Usage:                "run the imagePullPolicy lab on OpenShift Local (CRC) or any Kubernetes cluster",
		Version:              version.Version(),
		EnableBashCompletion: true,
		Suggest:              true,
		Reader:               g.in,
		Writer:               g.out,
		ErrWriter:            g.err,
		ExitErrHandler:       func(*cli.Context, error) {},
		OnUsageError:         onUsageError,
		CommandNotFound:      commandNotFound(g),
		Flags:                globalFlags(),
		Before:               func(c *cli.Context) error { return g.setup(c) },
		After:                func(c *cli.Context) error { g.teardown(); return nil },
		Commands:             commands(g),
	}
	app.HideVersion = false
	addGlobalFlags(g, app.Commands)
	setUsageHandlers(app.Commands)
	return app
}

// commands lists every subcommand, one file each.
func commands(g *globals) []*cli.Command {
	return []*cli.Command{
		newUpCommand(g),
		newVerifyCommand(g),
		newDownCommand(g),
		newEnvCommand(g),
		newStatusCommand(g),
		newDoctorCommand(g),
		newCasesCommand(g),
		newReportCommand(g),
		newInitCommand(g),
		newConfigCommand(g),
		newVersionCommand(g),
		newCompletionCommand(g),
	}
}

// globalFlag is one flag that every command takes, before or after its
// name: `pulllab --quiet cases` and `pulllab cases --quiet` are the same.
type globalFlag struct {
	name    string
	aliases []string
	// usage is the help line; the word in backquotes is the placeholder.
	usage string
	// env is the variable urfave/cli reads into the app's copy of the flag.
	env      string
	value    string
	isBool   bool
	file     bool
	category string
}

// globalFlagTable is the one list of global flags; every declaration of
// them is made from it (makeGlobalFlags).
var globalFlagTable = []globalFlag{
	{name: "log-level", usage: "log `LEVEL` on stderr: debug, info, warn, error", env: "PULLLAB_LOG_LEVEL", value: "warn", category: "Logging:"},
	{name: "verbose", aliases: []string{"v"}, usage: "same as --log-level debug", isBool: true, category: "Logging:"},
	{name: "quiet", aliases: []string{"q"}, usage: "print only results and errors", isBool: true, category: "Logging:"},
	// PULLLAB_NO_COLOR is read in configureLogging like NO_COLOR (any
	// non-empty value), not as a strict boolean.
	{name: "no-color", usage: "no colour, spinner or Unicode marks (also NO_COLOR or PULLLAB_NO_COLOR, any non-empty value)", isBool: true, category: "Logging:"},
	{name: "kubeconfig", usage: "use this kubeconfig `FILE` only (default: " + kubeconfigDefaults + ")", file: true, category: "Cluster:"},
	{name: "context", usage: "kubeconfig `CONTEXT` to use (default: the current one)", category: "Cluster:"},
	{name: "config", usage: "read settings from `FILE` (default: ./pulllab.yaml when present)", env: "PULLLAB_CONFIG", file: true, category: "Config:"},
}

// globalFlags are the global flags as the app declares them, before any
// command name, with their environment variables.
func globalFlags() []cli.Flag { return makeGlobalFlags(true) }

// makeGlobalFlags builds one set of the global flags. The app's set (app)
// carries the environment variables; a command's set does not, so that a
// variable never hides a flag given before the command name, and it is
// listed under "Global:" in the command's help. No flag has a Destination:
// each is read from the context that parsed it (readGlobals).
func makeGlobalFlags(app bool) []cli.Flag {
	out := make([]cli.Flag, 0, len(globalFlagTable))
	for _, gf := range globalFlagTable {
		category, env := "Global:", []string(nil)
		if app {
			category = gf.category
			if gf.env != "" {
				env = []string{gf.env}
			}
		}
		if gf.isBool {
			out = append(out, &cli.BoolFlag{Name: gf.name, Aliases: gf.aliases, Usage: gf.usage, EnvVars: env, Category: category})
			continue
		}
		out = append(out, &cli.StringFlag{Name: gf.name, Aliases: gf.aliases, Usage: gf.usage, EnvVars: env, Value: gf.value, TakesFile: gf.file, Category: category})
	}
	return out
}

// globalOptions are the values of the global flags.
type globalOptions struct {
	logLevel   string
	verbose    bool
	quiet      bool
	noColor    bool
	kubeconfig string
	context    string
	configFile string
}

// readGlobals reads the global flags from c's lineage: the innermost
// context where the user gave a flag wins (in `pulllab -q verify
// --log-level info` verify's --log-level and the app's -q), then the
// app's environment variable (urfave/cli counts it as given at the app),
// then the default.
func readGlobals(c *cli.Context) globalOptions {
	var o globalOptions
	strs := map[string]*string{"log-level": &o.logLevel, "kubeconfig": &o.kubeconfig, "context": &o.context, "config": &o.configFile}
	bools := map[string]*bool{"verbose": &o.verbose, "quiet": &o.quiet, "no-color": &o.noColor}
	for _, gf := range globalFlagTable {
		if p, ok := strs[gf.name]; ok {
			*p = gf.value
		}
		given := func(n string) bool { return n == gf.name || slices.Contains(gf.aliases, n) }
		for _, ctx := range commandLineage(c) {
			if !slices.ContainsFunc(ctx.LocalFlagNames(), given) {
				continue
			}
			if p, ok := bools[gf.name]; ok {
				*p = ctx.Bool(gf.name)
			} else if v := ctx.String(gf.name); v != "" {
				*strs[gf.name] = v
			} else {
				// An empty value (PULLLAB_LOG_LEVEL=) counts as unset,
				// as it does for every PULLLAB_* variable.
				continue
			}
			break
		}
	}
	return o
}

// setup runs before any command: it opens the debug log file and applies
// the logging flags given before the command name, so that a bad
// --log-level is reported even without a command. Each command that runs
// then starts with begin.
func (g *globals) setup(c *cli.Context) error {
	if f, path := g.openLogFile(); f != nil {
		g.logFile, g.logFilePath = f, path
	}
	g.globalOptions = readGlobals(c)
	return g.configureLogging()
}

// configureLogging applies the logging flags: setup those given before the
// command name, begin those of the whole command line.
func (g *globals) configureLogging() error {
	level := g.logLevel
	if g.verbose {
		level = "debug"
	}
	lvl, err := logrus.ParseLevel(level)
	if err != nil {
		return usagef("--log-level %q is not a level; use debug, info, warn or error", level)
	}
	smart := !g.noColor && !g.envSet("NO_COLOR") && !g.envSet("PULLLAB_NO_COLOR") && ui.IsSmartTerminal(g.err, g.goos, g.lookupEnv)
	g.status = ui.NewStatus(g.err, smart, g.quiet)
	// Libraries name settings by key path; say them as this run got them.
	render := func(text string) string { return renderSettings(text, g.cfg) }
	g.status.SetRewrite(render)

	g.log.SetLevel(logrus.DebugLevel)
	g.log.SetFormatter(&logrus.TextFormatter{FullTimestamp: true, DisableColors: true})
	g.log.SetOutput(io.Discard)
	g.log.ReplaceHooks(make(logrus.LevelHooks))
	g.log.AddHook(&levelWriterHook{w: g.status, min: lvl, fmt: &logrus.TextFormatter{DisableTimestamp: true, DisableColors: !smart, ForceColors: smart}, render: render})
	if g.logFile != nil {
		g.log.AddHook(&levelWriterHook{w: g.logFile, min: logrus.DebugLevel, fmt: &logrus.TextFormatter{FullTimestamp: true, DisableColors: true}})
	}
	return nil
}

// envSet reports whether the variable is set to a non-empty value, the
// NO_COLOR convention (no-color.org).
func (h host) envSet(name string) bool {
	v, ok := h.lookupEnv(name)
	return ok && v != ""
}

// commandLineage is c and its parents that parsed a command line, innermost
// first: the app's own context is last (urfave/cli's outermost context,
// which holds only the Go context, is left out).
func commandLineage(c *cli.Context) []*cli.Context {
	var out []*cli.Context
	for _, ctx := range c.Lineage() {
		if ctx.Command != nil {
			out = append(out, ctx)
		}
	}
	return out
}

// addGlobalFlags gives every command, at any depth, the global flags after
// its name, and makes every command that runs (one without subcommands)
// start with begin, the one place that reads the global flags.
func addGlobalFlags(g *globals, cmds []*cli.Command) {
	for _, cmd := range cmds {
		addGlobalFlags(g, cmd.Subcommands)
		cmd.Flags = append(cmd.Flags, makeGlobalFlags(false)...)
		if len(cmd.Subcommands) > 0 {
			continue
		}
		before := cmd.Before
		cmd.Before = func(c *cli.Context) error {
			if err := g.begin(c); err != nil {
				return err
			}
			if before != nil {
				return before(c)
			}
			return nil
		}
	}
}

// begin prepares a command to run: the global flags from the whole command
// line, logging, then the settings (loadConfig) with the command's own
// setting flags applied and validated (applyConfigFlags).
func (g *globals) begin(c *cli.Context) error {
	g.globalOptions = readGlobals(c)
	if err := g.configureLogging(); err != nil {
		return err
	}
	lineage := commandLineage(c)
	g.log.Debugf("%s: %s", version.String(), redactArgs(lineage[len(lineage)-1].Args().Slice()))
	if err := g.loadConfig(c); err != nil {
		return err
	}
	return g.applyConfigFlags(c)
}

func (g *globals) openLogFile() (*os.File, string) {
	dir, err := g.cacheDir()
	if err != nil {
		return nil, ""
	}
	dir = filepath.Join(dir, "pulllab")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, ""
	}
	path := filepath.Join(dir, "pulllab.log")
	if st, err := os.Stat(path); err == nil && st.Size() > 10<<20 {
		_ = os.Rename(path, path+".1")
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, ""
	}
	return f, path
}

func (g *globals) teardown() {
	if g.logFile != nil {
		_ = g.logFile.Close()
		g.logFile = nil
	}
}

// levelWriterHook writes entries at or above min to w with its own
// formatter, the message passed through render when that is set.
type levelWriterHook struct {
	w      io.Writer
	min    logrus.Level
	fmt    logrus.Formatter
	render func(string) string
}

func (h *levelWriterHook) Levels() []logrus.Level { return logrus.AllLevels }

func (h *levelWriterHook) Fire(e *logrus.Entry) error {
	if e.Level > h.min {
		return nil
	}
	if h.render != nil {
		rendered := *e
		rendered.Message = h.render(e.Message)
		e = &rendered
	}
	b, err := h.fmt.Format(e)
	if err != nil {
		return err
	}
	_, err = h.w.Write(b)
	return err
}

// redactArgs hides values of flags that may carry secrets before logging.
func redactArgs(args []string) string {
	out := make([]string, len(args))
	copy(out, args)
	for i, a := range out {
		low := strings.ToLower(a)
		if strings.Contains(low, "password") || strings.Contains(low, "token") {
			if j := strings.Index(a, "="); j >= 0 {
				out[i] = a[:j+1] + "***"
			} else if i+1 < len(out) {
				out[i+1] = "***"
			}
		}
	}
	return strings.Join(out, " ")
}
