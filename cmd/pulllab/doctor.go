package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/urfave/cli/v2"

	"github.com/pulllab/pulllab/crcctl"
	"github.com/pulllab/pulllab/internal/config"
)

type doctorOptions struct {
	output string
}

// doctorReport is `pulllab doctor -o json`.
type doctorReport struct {
	OK     bool           `json:"ok"`
	Checks []crcctl.Check `json:"checks"`
}

func newDoctorCommand(g *globals) *cli.Command {
	o := &doctorOptions{}
	return &cli.Command{
		Name:  "doctor",
		Usage: "check this machine for OpenShift Local: crc, cluster version, virtualization, CPUs, memory, disk, pull secret, preset",
		Description: "Each check prints one line, and a fix when it fails. Nothing is changed.\n" +
			"Exit code 0 when every check passes (warnings allowed), 2 otherwise.",
		Flags: append(g.configFlags("crc.preset", "crc.pullSecretFile", "crc.cpus", "crc.memory", "lab.baseImage"),
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "print as `FORMAT`: text or json", Destination: &o.output},
		),
		Action: commandAction(g, o),
	}
}

// validate accepts the output formats doctor prints; doctor takes no
// arguments (flags after one would not be read).
func (o *doctorOptions) validate(args cli.Args) error {
	if err := noArgs("doctor", args, "put flags such as -o before any argument"); err != nil {
		return err
	}
	return validateOutput(o.output, "json")
}

func (o *doctorOptions) run(ctx context.Context, e env) error {
	settings, err := crcctlSettings(e, crcSettings(e))
	if err != nil {
		return err
	}
	paths, err := crcPaths(e)
	if err != nil {
		return err
	}
	choice := labBaseImage(e, e.cfg.Config.Lab.BaseImage, string(settings.Preset))
	in := crcctl.DoctorInput{
		Host: crcctl.OSHost{LookupEnv: e.lookupEnv}, Paths: paths, Settings: settings,
		RecommendedCRC: config.DefaultCRCVersion,
		BaseImage:      choice.Image, BaseImageNote: choice.Why,
	}
	if path, err := findCRC(e, paths); err != nil {
		in.FindErr = err
	} else {
		in.Client = newCRCClient(e, path)
	}
	checks := crcctl.Doctor(ctx, in)
	if err := ctx.Err(); err != nil {
		return err
	}
	failed := 0
	for i, c := range checks {
		if c.Status == crcctl.CheckFail {
			failed++
		}
		checks[i].Message = withSelf(renderSettings(c.Message, e.cfg), e.self)
		checks[i].Fix = withSelf(renderSettings(c.Fix, e.cfg), e.self)
	}
	if o.output == "json" {
		enc := json.NewEncoder(e.out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(doctorReport{OK: failed == 0, Checks: checks}); err != nil {
			return err
		}
	} else if err := writeChecks(e.out, checks); err != nil {
		return err
	}
	if failed > 0 {
		return &doctorFailed{n: failed, total: len(checks)}
	}
	return nil
}

// doctorFailed is the exit-2 result of failed checks.
type doctorFailed struct{ n, total int }

func (e *doctorFailed) Error() string {
	return fmt.Sprintf("%d of %d checks failed; each has a fix line", e.n, e.total)
}

var checkMarks = map[crcctl.CheckStatus]string{
	crcctl.CheckOK:   "ok",
	crcctl.CheckWarn: "warn",
	crcctl.CheckFail: "FAIL",
	crcctl.CheckSkip: "skip",
}

// writeChecks prints one line per check and an indented fix line.
func writeChecks(w io.Writer, checks []crcctl.Check) error {
	width := 0
	for _, c := range checks {
		width = max(width, len(c.Name))
	}
	for _, c := range checks {
		if _, err := fmt.Fprintf(w, "%-4s  %-*s  %s\n", checkMarks[c.Status], width, c.Name, c.Message); err != nil {
			return err
		}
		if c.Fix != "" && c.Status != crcctl.CheckOK {
			if _, err := fmt.Fprintf(w, "%-4s  %-*s  fix: %s\n", "", width, "", c.Fix); err != nil {
				return err
			}
		}
	}
	return nil
}
