package main

import (
	"errors"

	"github.com/urfave/cli/v2"
)

// PLACEHOLDER: replaced by the real command; must not land.
func newInitCommand(g *globals) *cli.Command {
	return &cli.Command{Name: "init", Action: func(*cli.Context) error { return errors.New("init: not built yet") }}
}
