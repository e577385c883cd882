package main

import (
	"errors"

	"github.com/urfave/cli/v2"
)

// PLACEHOLDER: replaced by the real command; must not land.
func newCompletionCommand(g *globals) *cli.Command {
	return &cli.Command{Name: "completion", Action: func(*cli.Context) error { return errors.New("completion: not built yet") }}
}
