package main

import (
	"errors"

	"github.com/urfave/cli/v2"
)

// PLACEHOLDER: replaced by the real command; must not land.
func newUpCommand(g *globals) *cli.Command {
	return &cli.Command{Name: "up", Action: func(*cli.Context) error { return errors.New("up: not built yet") }}
}
