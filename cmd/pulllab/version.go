package main

import (
	"errors"

	"github.com/urfave/cli/v2"
)

// PLACEHOLDER: replaced by the real command; must not land.
func newVersionCommand(g *globals) *cli.Command {
	return &cli.Command{Name: "version", Action: func(*cli.Context) error { return errors.New("version: not built yet") }}
}
