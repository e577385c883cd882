package main

import (
	"errors"

	"github.com/urfave/cli/v2"
)

// PLACEHOLDER: replaced by the real command; must not land.
func newConfigCommand(g *globals) *cli.Command {
	return &cli.Command{Name: "config", Action: func(*cli.Context) error { return errors.New("config: not built yet") }}
}
