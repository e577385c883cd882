package main

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/pulllab/pulllab/internal/suggest"
)

// Usage errors are rendered here, in one place: one short line on stderr
// that names the flag or command as the user typed it, a suggestion when one
// is close, and the help page to read. stdout stays clean, so
// `pulllab cases -o json --bogus | jq` never feeds help text to jq.

// flagErrorRE reads the errors the standard flag package returns, which
// urfave/cli passes on: the flag is spelled with one dash there.
var flagErrorRE = regexp.MustCompile(`^(flag provided but not defined|flag needs an argument|invalid value "(.*)" for flag|invalid boolean value "(.*)" for|bad flag syntax):? -{0,2}([^:\s]*)(?::\s*(.*))?$`)

// dashed renders a flag name the way the help pages spell it.
func dashed(name string) string {
	name = strings.TrimLeft(name, "-")
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

// helpHint is the command line that shows the help of the command at path.
func helpHint(path string) string {
	return fmt.Sprintf("see '%s --help'", path)
}

// commandPath is "pulllab cases" for the context of `cases`.
func commandPath(c *cli.Context) string {
	if c == nil || c.Command == nil || c.Command.HelpName == "" {
		return "pulllab"
	}
	return c.Command.HelpName
}

// flagNames lists every name (and alias) of the flags.
func flagNames(flags []cli.Flag) []string {
	var out []string
	for _, f := range flags {
		out = append(out, f.Names()...)
	}
	return out
}

// onUsageError turns urfave/cli's flag parsing error into a usage error.
func onUsageError(c *cli.Context, err error, _ bool) error {
	path := commandPath(c)
	var flags []cli.Flag
	if c != nil && c.Command != nil {
		flags = c.Command.Flags
	}
	if c != nil && c.Command != nil && c.Command.HelpName == c.App.Name {
		flags = c.App.Flags
	}
	return usageFromFlagError(path, err.Error(), flagNames(flags))
}

// usageFromFlagError is onUsageError without urfave/cli, for tests.
func usageFromFlagError(path, msg string, known []string) error {
	m := flagErrorRE.FindStringSubmatch(strings.TrimSpace(msg))
	if m == nil {
		return usagef("%s; %s", msg, helpHint(path))
	}
	name := m[4]
	switch {
	case strings.HasPrefix(m[1], "flag provided but not defined"):
		s := fmt.Sprintf("%s has no flag %s", path, dashed(name))
		if sug := suggest.Closest(strings.TrimLeft(name, "-"), known); sug != "" {
			s += fmt.Sprintf("; did you mean %s?", dashed(sug))
		}
		return usagef("%s (%s)", s, helpHint(path))
	case strings.HasPrefix(m[1], "flag needs an argument"):
		return usagef("%s needs a value (%s)", dashed(name), helpHint(path))
	case strings.HasPrefix(m[1], "invalid boolean value"):
		return usagef("%s takes no value, or true or false, not %q (%s)", dashed(name), m[3], helpHint(path))
	case strings.HasPrefix(m[1], "invalid value"):
		return usagef("%q is not a valid value for %s (%s)", m[2], dashed(name), helpHint(path))
	}
	return usagef("bad flag syntax %q (%s)", name, helpHint(path))
}

// commandNotFound records an unknown command (`pulllab foo`, `pulllab config
// foo`, `pulllab help foo`) as a usage error. urfave/cli's hook cannot return
// one, so run picks it up from g once the app returns.
func commandNotFound(g *globals) cli.CommandNotFoundFunc {
	return func(c *cli.Context, name string) {
		path := "pulllab"
		var cmds []*cli.Command
		if c != nil && c.Command != nil && c.Command.Name != "help" && len(c.Command.Subcommands) > 0 {
			path, cmds = commandPath(c), c.Command.Subcommands
		} else if c != nil && c.App != nil {
			cmds = c.App.Commands
		}
		var names []string
		for _, cmd := range cmds {
			if cmd.Hidden || cmd.Name == "help" {
				continue
			}
			names = append(names, cmd.Names()...)
		}
		msg := fmt.Sprintf("%q is not a command of %s", name, path)
		if sug := suggest.Closest(name, names); sug != "" {
			msg += fmt.Sprintf("; did you mean '%s %s'?", path, sug)
		}
		g.pending = usagef("%s (%s)", msg, helpHint(path))
	}
}

// setUsageHandlers gives every command, at any depth, the same usage error
// rendering.
func setUsageHandlers(cmds []*cli.Command) {
	for _, cmd := range cmds {
		cmd.OnUsageError = onUsageError
		setUsageHandlers(cmd.Subcommands)
	}
}
