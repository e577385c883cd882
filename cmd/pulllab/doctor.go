package main

import (
	"errors"

	"github.com/urfave/cli/v2"
)

// PLACEHOLDER: replaced by the real command; must not land.
func newDoctorCommand(g *globals) *cli.Command {
	return &cli.Command{Name: "doctor", Action: func(*cli.Context) error { return errors.New("doctor: not built yet") }}
}
