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
	logLevel   string
	verbose    bool
	quiet      bool
	noColor    bool
	kubeconfig string
	context    string
	configFile string
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

	goos      string
	lookupEnv func(string) (string, bool)
	homeDir   func() (string, error)
	cacheDir  func() (string, error)
}

func newGlobals(s streams) *globals {
	return &globals{
		streams:   s,
		goos:      runtime.GOOS,
		lookupEnv: os.LookupEnv,
		homeDir:   os.UserHomeDir,
		cacheDir:  os.UserCacheDir,
		log:       logrus.New(),
		status:    ui.Discard(),
		cfg:       config.Defaults(),
		cfgFlags:  map[cli.Flag]string{},
	}
}

// usageError is bad input: exit code 2, with a message that says what to do.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }
func (e *usageError) ExitCode() int { return 2 }

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

// exitCode maps an error to the process exit code, in one place:
// 0 success; 1 the lab ran and some case did not match; 2 pulllab could not
// do what was asked (usage, config, CRC, cluster, a precondition); 130
// interrupted.
func exitCode(ctx context.Context, err error) int {
	if err == nil {
		return 0
	}
	if errors.Is(err, context.Canceled) || (ctx != nil && errors.Is(ctx.Err(), context.Canceled)) {
		return 130
	}
	var ec interface{ ExitCode() int }
	if errors.As(err, &ec) && ec.ExitCode() != 0 {
		return ec.ExitCode()
	}
	return 2
}

func printError(g *globals, err error, code int) {
	g.status.End(false)
	if code == 130 {
		fmt.Fprintln(g.err, "Interrupted; cleaned up. Run the same command again to continue.")
		return
	}
	msg := withSelf(err.Error(), g.self)
	fmt.Fprintf(g.err, "ERROR: %s\n", msg)
	var detail interface{ Detail() string }
	if errors.As(err, &detail) && detail.Detail() != "" && g.log.IsLevelEnabled(logrus.DebugLevel) {
		fmt.Fprintln(g.err, strings.TrimRight(detail.Detail(), "\n"))
	}
	var usage *usageError
	if g.logFilePath != "" && !errors.As(err, &usage) {
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
		Flags:                globalFlags(g),
		Before:               func(c *cli.Context) error { return g.setup(c) },
		After:                func(c *cli.Context) error { g.teardown(); return nil },
		Commands:             commands(g),
	}
	app.HideVersion = false
	bindConfigFlags(g, app.Commands)
	addCommandFlags(g, app.Commands)
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

func globalFlags(g *globals) []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "log-level", Usage: "log `LEVEL` on stderr: debug, info, warn, error", Value: "warn", EnvVars: []string{"PULLLAB_LOG_LEVEL"}, Destination: &g.logLevel, Category: "Logging:"},
		&cli.BoolFlag{Name: "verbose", Aliases: []string{"v"}, Usage: "same as --log-level debug", Destination: &g.verbose, Category: "Logging:"},
		&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print only results and errors", Destination: &g.quiet, Category: "Logging:"},
		// PULLLAB_NO_COLOR is read in configureLogging like NO_COLOR (any
		// non-empty value), not as a strict boolean.
		&cli.BoolFlag{Name: "no-color", Usage: "no colour, spinner or Unicode marks (also NO_COLOR or PULLLAB_NO_COLOR, any non-empty value)", Destination: &g.noColor, Category: "Logging:"},
		&cli.StringFlag{Name: "kubeconfig", TakesFile: true, Usage: "use this kubeconfig `FILE` only (default: " + kubeconfigDefaults + ")", Destination: &g.kubeconfig, Category: "Cluster:"},
		&cli.StringFlag{Name: "context", Usage: "kubeconfig `CONTEXT` to use (default: the current one)", Destination: &g.context, Category: "Cluster:"},
		&cli.StringFlag{Name: "config", TakesFile: true, Usage: "read settings from `FILE` (default: ./pulllab.yaml when present)", EnvVars: []string{"PULLLAB_CONFIG"}, Destination: &g.configFile, Category: "Config:"},
	}
}

// setup configures logging once the flags are parsed: warnings and above
// (or the chosen level) on stderr, everything at debug level into a log file
// under the user's cache directory. Then it loads the config.
func (g *globals) setup(c *cli.Context) error {
	if f, path := g.openLogFile(); f != nil {
		g.logFile, g.logFilePath = f, path
	}
	if err := g.configureLogging(); err != nil {
		return err
	}
	g.log.Debugf("%s: %s", version.String(), redactArgs(c.Args().Slice()))
	return g.loadConfig(c)
}

// configureLogging (re)applies the logging flags; a command calls it again
// when the flags were given after the command's name.
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

	g.log.SetLevel(logrus.DebugLevel)
	g.log.SetFormatter(&logrus.TextFormatter{FullTimestamp: true, DisableColors: true})
	g.log.SetOutput(io.Discard)
	g.log.ReplaceHooks(make(logrus.LevelHooks))
	g.log.AddHook(&levelWriterHook{w: g.status, min: lvl, fmt: &logrus.TextFormatter{DisableTimestamp: true, DisableColors: !smart, ForceColors: smart}})
	if g.logFile != nil {
		g.log.AddHook(&levelWriterHook{w: g.logFile, min: logrus.DebugLevel, fmt: &logrus.TextFormatter{FullTimestamp: true, DisableColors: true}})
	}
	return nil
}

// envSet reports whether the variable is set to a non-empty value, the
// NO_COLOR convention (no-color.org).
func (g *globals) envSet(name string) bool {
	v, ok := g.lookupEnv(name)
	return ok && v != ""
}

// clusterCommands are the commands that also take the cluster flags after
// their name (`pulllab verify --kubeconfig K`); every command takes the
// logging flags there. urfave/cli only parses app-level flags before the
// command.
var clusterCommands = []string{"up", "verify", "down", "status", "doctor", "env"}

// addCommandFlags gives every command (and subcommand) its own copies of the
// logging flags, and the cluster commands of the cluster flags too. The
// copies have no destinations (a flag with a destination would reset the
// app-level value it shares); Before copies what the user gave after the
// command into g and reconfigures logging.
func addCommandFlags(g *globals, cmds []*cli.Command) {
	for _, cmd := range cmds {
		addCommandFlags(g, cmd.Subcommands)
		cmd.Flags = append(cmd.Flags, commandFlags(slices.Contains(clusterCommands, cmd.Name))...)
		before := cmd.Before
		cmd.Before = func(c *cli.Context) error {
			strs := map[string]*string{"log-level": &g.logLevel, "kubeconfig": &g.kubeconfig, "context": &g.context}
			bools := map[string]*bool{"verbose": &g.verbose, "quiet": &g.quiet, "no-color": &g.noColor}
			relog := false
			for name, dst := range strs {
				if c.IsSet(name) && hasFlag(c, name) && c.String(name) != *dst {
					*dst = c.String(name)
					relog = relog || name == "log-level"
				}
			}
			for name, dst := range bools {
				if c.IsSet(name) && c.Bool(name) != *dst {
					*dst = c.Bool(name)
					relog = true
				}
			}
			if relog {
				if err := g.configureLogging(); err != nil {
					return err
				}
			}
			if before != nil {
				return before(c)
			}
			return nil
		}
	}
}

// commandFlags are the logging flags, and with cluster the cluster flags, as
// a command takes them after its name.
func commandFlags(cluster bool) []cli.Flag {
	var out []cli.Flag
	if cluster {
		out = append(out,
			&cli.StringFlag{Name: "kubeconfig", Usage: "use this kubeconfig `FILE` only (as the global flag)", TakesFile: true, Category: "Global:"},
			&cli.StringFlag{Name: "context", Usage: "kubeconfig `CONTEXT` to use (as the global flag)", Category: "Global:"},
		)
	}
	return append(out,
		&cli.StringFlag{Name: "log-level", Usage: "log `LEVEL` on stderr (as the global flag)", Category: "Global:"},
		&cli.BoolFlag{Name: "verbose", Aliases: []string{"v"}, Usage: "same as --log-level debug", Category: "Global:"},
		&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print only results and errors", Category: "Global:"},
		&cli.BoolFlag{Name: "no-color", Usage: "no colour, spinner or Unicode marks", Category: "Global:"},
	)
}

// hasFlag reports whether the command of c declares the flag name.
func hasFlag(c *cli.Context, name string) bool {
	if c.Command == nil {
		return false
	}
	return slices.Contains(flagNames(c.Command.Flags), name)
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

// levelWriterHook writes entries at or above min to w with its own formatter.
type levelWriterHook struct {
	w   io.Writer
	min logrus.Level
	fmt logrus.Formatter
}

func (h *levelWriterHook) Levels() []logrus.Level { return logrus.AllLevels }

func (h *levelWriterHook) Fire(e *logrus.Entry) error {
	if e.Level > h.min {
		return nil
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
