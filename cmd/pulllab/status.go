package main

import (
	"errors"

	"github.com/urfave/cli/v2"
)

// PLACEHOLDER: replaced by the real command; must not land.
func newStatusCommand(g *globals) *cli.Command {
	return &cli.Command{Name: "status", Action: func(*cli.Context) error { return errors.New("status: not built yet") }}
}
