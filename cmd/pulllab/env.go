package main

import (
	"errors"

	"github.com/urfave/cli/v2"
)

// PLACEHOLDER: replaced by the real command; must not land.
func newEnvCommand(g *globals) *cli.Command {
	return &cli.Command{Name: "env", Action: func(*cli.Context) error { return errors.New("env: not built yet") }}
}
