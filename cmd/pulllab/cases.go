package main

import (
	"errors"

	"github.com/urfave/cli/v2"
)

// PLACEHOLDER: replaced by the real command; must not land.
func newCasesCommand(g *globals) *cli.Command {
	return &cli.Command{Name: "cases", Action: func(*cli.Context) error { return errors.New("cases: not built yet") }}
}
