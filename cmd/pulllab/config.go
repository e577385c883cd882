package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/pulllab/pulllab/internal/config"
	"github.com/pulllab/pulllab/lab/kube"
)

// configOptionalCommands run even when the config file is broken: they do
// not use it, and init is how a user replaces a broken file.
var configOptionalCommands = map[string]bool{"": true, "init": true, "version": true, "completion": true, "help": true, "h": true}

// loadConfig reads the configuration into g.cfg: the defaults, then
// --config FILE ($PULLLAB_CONFIG) or ./pulllab.yaml when present, then the
// PULLLAB_* variables. A broken config is a usage error (exit 2), except
// for the commands in configOptionalCommands, which get defaults and
// environment only.
func (g *globals) loadConfig(c *cli.Context) error {
	l := config.Loader{LookupEnv: g.lookupEnv, HomeDir: g.homeDir}
	path := g.configPath()
	cmd := topCommand(c)
	eff, err := l.Load(path, path != "")
	if err != nil {
		if !configOptionalCommands[cmd] {
			return &usageError{msg: err.Error()}
		}
		g.log.Debugf("not using the config for %q: %v", cmd, err)
		if eff, err = l.Env(); err != nil {
			g.log.Debugf("not using the environment either: %v", err)
			eff = config.NewEffective()
		}
	}
	if err := checkSettings(eff); err != nil && !configOptionalCommands[cmd] {
		return &usageError{msg: err.Error()}
	}
	if eff.File != "" {
		g.log.Debugf("config: read %s", eff.File)
	}
	g.cfg = eff
	return nil
}

// topCommand is the name of the command right under the app in c's lineage
// ("config" for `pulllab config view`), or "" for the app itself.
func topCommand(c *cli.Context) string {
	lineage := commandLineage(c)
	if len(lineage) < 2 {
		return ""
	}
	return lineage[len(lineage)-2].Command.Name
}

// checkSettings runs the checks whose rules live outside internal/config,
// once, where the source of each value is known: config view rejects what
// verify would.
func checkSettings(eff *config.Effective) error {
	check := func(v string) error {
		_, err := kube.ParseRegistry(v)
		var oe *kube.OptionError
		if errors.As(err, &oe) {
			return fmt.Errorf("%q is not HOST:PORT[/prefix] with a lower-case path (e.g. 127.0.0.1:5000/pulllab): %s", v, oe.Reason)
		}
		return err
	}
	return errors.Join(eff.Check("lab.registry", check), eff.Check("lab.registryPull", check))
}

// configPath is the config file the user named with --config or
// $PULLLAB_CONFIG, or "" for the default (./pulllab.yaml when present).
// urfave/cli reads $PULLLAB_CONFIG into the flag from the process
// environment; g.lookupEnv is consulted too so that tests can fake it.
func (g *globals) configPath() string {
	if g.configFile != "" {
		return g.configFile
	}
	if v, ok := g.lookupEnv("PULLLAB_CONFIG"); ok {
		return v
	}
	return ""
}

// configFlags returns flags for the given settings (key paths such as
// "lab.namespace"), named, described and defaulted from the settings table.
// A command adds them to its Flags and reads g.cfg.Config in its Action:
// when the user gives one of these flags, its value is applied to g.cfg
// (source "flag --name", above file and environment) and validated by
// begin, before the command's own Before and Action run. The environment variable is not
// bound to the flag: the config loader reads it, so that config view can
// tell the two apart.
func (g *globals) configFlags(paths ...string) []cli.Flag {
	flags := make([]cli.Flag, 0, len(paths))
	def := config.BuiltIn()
	for _, p := range paths {
		k, ok := config.LookupKey(p)
		if !ok {
			panic(fmt.Sprintf("configFlags: unknown setting %q", p))
		}
		var f cli.Flag
		if k.Kind() == config.Bool {
			f = &cli.BoolFlag{Name: k.Flag, Aliases: k.Aliases, Usage: k.Help + " [$" + k.Env + "]", DisableDefaultText: true}
		} else {
			usage := k.Help
			if d := k.Text(&def); d != "" {
				usage += " (default: " + d + ")"
			}
			f = &cli.StringFlag{Name: k.Flag, Aliases: k.Aliases, Usage: usage + " [$" + k.Env + "]", TakesFile: k.IsPath}
		}
		g.cfgFlags[f] = k.Path
		flags = append(flags, f)
	}
	return flags
}

// applyConfigFlags copies the config flags the user gave to g.cfg and
// validates the result; a bad value is a usage error naming the flag.
func (g *globals) applyConfigFlags(c *cli.Context) error {
	changed := false
	for _, f := range c.Command.Flags {
		path, ok := g.cfgFlags[f]
		if !ok {
			continue
		}
		name := f.Names()[0]
		if !c.IsSet(name) {
			continue
		}
		value := c.String(name)
		if _, isBool := f.(*cli.BoolFlag); isBool {
			value = strconv.FormatBool(c.Bool(name))
		}
		if err := g.cfg.Override(path, value, config.FlagSource(name)); err != nil {
			return &usageError{msg: err.Error()}
		}
		changed = true
	}
	if changed {
		if err := errors.Join(g.cfg.Validate(), checkSettings(g.cfg)); err != nil {
			return &usageError{msg: err.Error()}
		}
	}
	return nil
}

func newConfigCommand(g *globals) *cli.Command {
	return &cli.Command{
		Name:  "config",
		Usage: "show the settings in force and where each came from",
		Description: "Settings come from, lowest precedence first: the defaults, the config file\n" +
			"(--config FILE or $PULLLAB_CONFIG, else ./pulllab.yaml when present),\n" +
			"PULLLAB_* environment variables, and command flags. 'pulllab init' writes\n" +
			"a commented config file.",
		Subcommands: []*cli.Command{newConfigViewCommand(g)},
	}
}

// configViewOptions are the flags of `pulllab config view`.
type configViewOptions struct {
	output string
}

func newConfigViewCommand(g *globals) *cli.Command {
	o := &configViewOptions{}
	return &cli.Command{
		Name:      "view",
		Usage:     "print every setting with its value and source",
		UsageText: "pulllab config view [-o text|json|yaml]",
		Description: "text: a KEY VALUE SOURCE table; json: the same as a list; yaml: a\n" +
			"pulllab.yaml with the values in force, each source as a comment.\n" +
			"A source is default, file FILE:LINE, env PULLLAB_..., or flag --....",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "print as `FORMAT`: text, json or yaml", Value: "text", Destination: &o.output},
		},
		Action: commandAction(g, o),
	}
}

func (o *configViewOptions) validate(args cli.Args) error {
	if err := noArgs("config view", args, "put flags such as -o before any argument"); err != nil {
		return err
	}
	switch o.output {
	case "text", "", "json", "yaml":
		return nil
	}
	return usagef("--output %q is not a format; use text, json or yaml", o.output)
}

// configSettingJSON is one line of `config view -o json`.
type configSettingJSON struct {
	Key    string `json:"key"`
	Value  any    `json:"value"`
	Source string `json:"source"`
	Flag   string `json:"flag"`
	Env    string `json:"env"`
}

// configViewJSON is the document `config view -o json` prints.
type configViewJSON struct {
	// File is the config file read; empty when none was.
	File     string              `json:"file"`
	Settings []configSettingJSON `json:"settings"`
}

func (o *configViewOptions) run(_ context.Context, e env) error {
	eff, out := e.cfg, e.out
	switch o.output {
	case "text", "":
		file := eff.File
		if file == "" {
			file = "none (no " + config.DefaultFile + " here, and no --config)"
		}
		fmt.Fprintf(out, "Config file: %s\n\n", file)
		tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "KEY\tVALUE\tSOURCE")
		for _, s := range eff.Settings() {
			v := s.Text
			if v == "" {
				v = `""`
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\n", s.Key.Path, shorten(v, maxTableValue), shorten(s.Source, maxTableValue))
		}
		return tw.Flush()
	case "json":
		doc := configViewJSON{File: eff.File, Settings: []configSettingJSON{}}
		for _, s := range eff.Settings() {
			v := s.Value
			if s.Key.Kind() == config.Duration {
				v = s.Text
			}
			doc.Settings = append(doc.Settings, configSettingJSON{Key: s.Key.Path, Value: v, Source: s.Source, Flag: "--" + s.Key.Flag, Env: s.Key.Env})
		}
		b, err := json.MarshalIndent(doc, "", "  ")
		if err != nil {
			return fmt.Errorf("encoding settings: %w", err)
		}
		_, err = fmt.Fprintf(out, "%s\n", b)
		return err
	case "yaml":
		b, err := eff.YAML()
		if err != nil {
			return err
		}
		_, err = out.Write(b)
		return err
	default:
		return usagef("--output %q is not a format; use text, json or yaml", o.output)
	}
}

// maxTableValue is the widest value `config view` prints in its table;
// -o json and -o yaml print values whole.
const maxTableValue = 100

// shorten keeps a table cell readable: a longer value keeps its start and
// end around "...", with its length, and control characters are escaped.
func shorten(v string, max int) string {
	if strings.ContainsAny(v, "\t\r\n") {
		v = strings.NewReplacer("\t", `\t`, "\r", `\r`, "\n", `\n`).Replace(v)
	}
	r := []rune(v)
	if len(r) <= max {
		return v
	}
	note := fmt.Sprintf("... (%d characters) ...", len(r))
	keep := max - len([]rune(note))
	if keep < 2 {
		return string(r[:max])
	}
	head := keep - keep/3
	return string(r[:head]) + note + string(r[len(r)-(keep-head):])
}
