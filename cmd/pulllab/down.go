package main

import (
	"errors"

	"github.com/urfave/cli/v2"
)

// PLACEHOLDER: replaced by the real command; must not land.
func newDownCommand(g *globals) *cli.Command {
	return &cli.Command{Name: "down", Action: func(*cli.Context) error { return errors.New("down: not built yet") }}
}
