package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"

	"github.com/urfave/cli/v2"

	"github.com/pulllab/pulllab/internal/config"
)

// initOptions are the flags of `pulllab init`.
type initOptions struct {
	force bool
	path  string
}

func newInitCommand(g *globals) *cli.Command {
	o := &initOptions{}
	return &cli.Command{
		Name:      "init",
		Usage:     "write a commented pulllab.yaml with every setting and its default",
		UsageText: "pulllab init [--force] [--path FILE]",
		Description: "Every key in the file is commented out and shows its default, its flag and\n" +
			"its PULLLAB_* variable; remove the \"# \" in front of a key to set it.\n" +
			"pulllab reads ./pulllab.yaml when it exists, or the file given with --config.",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "force", Usage: "overwrite the file if it exists", Destination: &o.force},
			&cli.StringFlag{Name: "path", TakesFile: true, Usage: "write `FILE` (default: the --config file, else ./" + config.DefaultFile + ")", Destination: &o.path},
		},
		Action: commandAction(g, o),
	}
}

func (o *initOptions) validate(args cli.Args) error {
	return noArgs("init", args, "write the file name with --path FILE, before any argument")
}

func (o *initOptions) run(_ context.Context, e env) error {
	path := o.path
	if path == "" {
		path = e.configPath
	}
	if path == "" {
		path = config.DefaultFile
	}
	if path == "-" {
		_, err := e.out.Write(config.Template())
		return err
	}
	if err := writeOutput(path, config.Template(), o.force, "--path"); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return usagef("%s already exists; run 'pulllab init --force' to overwrite it, or write another file with --path FILE", path)
		}
		return err
	}
	fmt.Fprintf(e.out, "Wrote %s. For OpenShift Local set crc.pullSecretFile in it (or pass --pull-secret), then run: pulllab up\n", path)
	if path != config.DefaultFile && e.configPath != path {
		fmt.Fprintf(e.out, "pulllab reads ./%s by itself; for this file pass --config %s or set PULLLAB_CONFIG.\n", config.DefaultFile, path)
	}
	return nil
}
