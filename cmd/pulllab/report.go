package main

import (
	"bytes"
	"context"
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/pulllab/pulllab/lab"
	"github.com/pulllab/pulllab/lab/report"
)

// reportOptions are the flags of `pulllab report`; the language is the
// lab.lang setting.
type reportOptions struct {
	from   string
	out    string
	format string
}

func newReportCommand(g *globals) *cli.Command {
	o := &reportOptions{}
	return &cli.Command{
		Name:  "report",
		Usage: "re-render a report from results.json",
		Description: "report renders the Markdown report (or the JUnit XML, or the summary table) again from the\n" +
			"results.json that verify wrote: for another language, or after upgrading pulllab.\n" +
			"It prints to stdout unless --out names a file.",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "from", Usage: "read the results from `FILE` (a results.json from verify; required)", TakesFile: true, Destination: &o.from},
			&cli.StringFlag{Name: "out", Usage: "write to `FILE` instead of stdout (- is stdout; its directory must exist)", TakesFile: true, Destination: &o.out},
			&cli.StringFlag{Name: "format", Usage: "`FORMAT`: markdown, junit or summary", Value: "markdown", Destination: &o.format},
		}, g.configFlags("lab.lang")...),
		Action: commandAction(g, o),
	}
}

func (o *reportOptions) validate(args cli.Args) error {
	if err := noArgs("report", args, "name the results with --from"); err != nil {
		return err
	}
	if o.from == "" {
		return usagef("report needs --from FILE: the results.json that 'pulllab verify' wrote (in its --out directory)")
	}
	switch o.format {
	case "markdown", "junit", "summary":
	default:
		return usagef("--format %q is not one of markdown, junit, summary", o.format)
	}
	return nil
}

func (o *reportOptions) run(_ context.Context, e env) error {
	// The language is a setting (lab.lang), validated with the others
	// where its source is known.
	lang := e.cfg.Config.Lab.Lang
	res, err := lab.ReadResults(o.from)
	if err != nil {
		return usagef("%v; name the results.json that 'pulllab verify' wrote (in its --out directory)", err)
	}
	var buf bytes.Buffer
	switch o.format {
	case "junit":
		err = report.JUnit(&buf, res)
	case "summary":
		err = report.Summary(&buf, res, lang)
	default:
		err = report.Markdown(&buf, res, lang)
	}
	if err != nil {
		return fmt.Errorf("rendering the report: %w", err)
	}
	if o.out == "" || o.out == "-" {
		_, err = e.out.Write(buf.Bytes())
		return err
	}
	if err := writeOutput(o.out, buf.Bytes(), true, "--out"); err != nil {
		return err
	}
	fmt.Fprintf(e.out, "Report: %s\n", o.out)
	return nil
}
