package main

import (
	"errors"

	"github.com/urfave/cli/v2"
)

// PLACEHOLDER: replaced by the real command; must not land.
func newVerifyCommand(g *globals) *cli.Command {
	return &cli.Command{Name: "verify", Action: func(*cli.Context) error { return errors.New("verify: not built yet") }}
}
