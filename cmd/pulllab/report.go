package main

import (
	"bytes"
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/pulllab/pulllab/lab"
	"github.com/pulllab/pulllab/lab/report"
)

type reportOptions struct {
	from   string
	lang   string
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
			&cli.StringFlag{Name: "from", Usage: "read the results from `FILE` (a results.json from verify)", Required: true, TakesFile: true, Destination: &o.from},
			&cli.StringFlag{Name: "out", Usage: "write to `FILE` instead of stdout (- is stdout; its directory must exist)", TakesFile: true, Destination: &o.out},
			&cli.StringFlag{Name: "format", Usage: "`FORMAT`: markdown, junit or summary", Value: "markdown", Destination: &o.format},
		}, g.configFlags("lab.lang")...),
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usagef("report takes no arguments, got %q; name the results with --from", c.Args().First())
			}
			// The language is a setting (lab.lang), validated with the
			// others where its source is known.
			o.lang = g.cfg.Config.Lab.Lang
			return o.run(g)
		},
	}
}

func (o *reportOptions) validate() error {
	switch o.format {
	case "markdown", "junit", "summary":
	default:
		return usagef("--format %q is not one of markdown, junit, summary", o.format)
	}
	return nil
}

func (o *reportOptions) run(g *globals) error {
	if err := o.validate(); err != nil {
		return err
	}
	res, err := lab.ReadResults(o.from)
	if err != nil {
		return usagef("%v; name the results.json that 'pulllab verify' wrote (in its --out directory)", err)
	}
	var buf bytes.Buffer
	switch o.format {
	case "junit":
		err = report.JUnit(&buf, res)
	case "summary":
		err = report.Summary(&buf, res, o.lang)
	default:
		err = report.Markdown(&buf, res, o.lang)
	}
	if err != nil {
		return fmt.Errorf("rendering the report: %w", err)
	}
	if o.out == "" || o.out == "-" {
		_, err = g.out.Write(buf.Bytes())
		return err
	}
	if err := writeOutput(o.out, buf.Bytes(), true, "--out"); err != nil {
		return err
	}
	fmt.Fprintf(g.out, "Report: %s\n", o.out)
	return nil
}
