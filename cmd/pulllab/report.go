package main

import (
	"errors"

	"github.com/urfave/cli/v2"
)

// PLACEHOLDER: replaced by the real command; must not land.
func newReportCommand(g *globals) *cli.Command {
	return &cli.Command{Name: "report", Action: func(*cli.Context) error { return errors.New("report: not built yet") }}
}
