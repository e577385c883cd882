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
	// kubeconfig and kubecontext are --kubeconfig and --context ("" when
	// not given): the cluster the user chose (clientConfig has the order).
	kubeconfig, kubecontext string
	// quiet is -q: no progress lines, only warnings and results.
	quiet bool
	// host is the OS, variables and directories pulllab runs with.
	host
}

// env returns the environment of the command that is running.
func (g *globals) env() env {
	return env{
		streams: g.streams, log: g.log, status: g.status, cfg: g.cfg, configPath: g.configPath(), self: g.self,
		kubeconfig: g.kubeconfig, kubecontext: g.context, quiet: g.quiet, host: g.host,
	}
}

// commandOptions is a command's options: validate checks them and the
// command's arguments, run does the work.
type commandOptions interface {
	validate(args cli.Args) error
	run(ctx context.Context, e env) error
}

// completer is the options of a command whose validation needs the
// settings in force (up's crc settings): complete reads them from env
// before validate runs.
type completer interface {
	complete(e env) error
}

// commandAction is the Action of a command with options o: complete (when
// o has it), validate, then run with the command's environment.
func commandAction(g *globals, o commandOptions) cli.ActionFunc {
	return func(c *cli.Context) error {
		e := g.env()
		if oc, ok := o.(completer); ok {
			if err := oc.complete(e); err != nil {
				return err
			}
		}
		if err := o.validate(c.Args()); err != nil {
			return err
		}
		return o.run(c.Context, e)
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
