package main

import (
	"context"

	"github.com/sirupsen/logrus"
	"github.com/urfave/cli/v2"

	"github.com/pulllab/pulllab/internal/config"
	"github.com/pulllab/pulllab/internal/ui"
)

// Every command has the same shape: an options struct its flags fill, a
// validate that checks the options and the arguments before anything is
// done, and a run that receives the command's environment (env) rather
// than the whole of globals. commandAction wires the two to urfave/cli.

// env is what a command's run receives: its streams, its logger and step
// printer, and the settings in force. begin has prepared all of them
// (global flags, logging, settings validated with their sources) before
// the command's Action runs.
type env struct {
	streams
	log    *logrus.Logger
	status *ui.Status
	// cfg is the merged, validated settings with the source of each value.
	cfg *config.Effective
	// configPath is the file named with --config or $PULLLAB_CONFIG; empty
	// for the default (./pulllab.yaml when present).
	configPath string
	// self is how hints name pulllab (selfCommand).
	self string
}

// env returns the environment of the command that is running.
func (g *globals) env() env {
	return env{streams: g.streams, log: g.log, status: g.status, cfg: g.cfg, configPath: g.configPath(), self: g.self}
}

// commandOptions is a command's options: validate checks them and the
// command's arguments, run does the work.
type commandOptions interface {
	validate(args cli.Args) error
	run(ctx context.Context, e env) error
}

// commandAction is the Action of a command with options o: validate, then
// run with the command's environment.
func commandAction(g *globals, o commandOptions) cli.ActionFunc {
	return func(c *cli.Context) error {
		if err := o.validate(c.Args()); err != nil {
			return err
		}
		return o.run(c.Context, g.env())
	}
}

// noArgs is the validate of a command that takes no arguments; hint says
// how to give what the user may have meant.
func noArgs(name string, args cli.Args, hint string) error {
	if args.Len() == 0 {
		return nil
	}
	if hint != "" {
		return usagef("%s takes no arguments, got %q; %s", name, args.First(), hint)
	}
	return usagef("%s takes no arguments, got %q", name, args.First())
}
