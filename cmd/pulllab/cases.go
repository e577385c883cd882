package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/urfave/cli/v2"
	"go.yaml.in/yaml/v3"

	"github.com/pulllab/pulllab/lab"
)

// casesOptions are the flags of `pulllab cases`.
type casesOptions struct {
	extended bool
	output   string
}

func newCasesCommand(g *globals) *cli.Command {
	o := &casesOptions{}
	return &cli.Command{
		Name:  "cases",
		Usage: "print the case matrix with the expected outcomes",
		Description: "Every case states the pull policy, what the node's image cache and the registry hold\n" +
			"under the app's reference, how the Deployment names the image, and what the kubelet should do.\n" +
			"Cases 1-6 are the article's; 7-10 run with --extended.",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "extended", Usage: "include cases 7-10 (Never, digest references, :latest)", Destination: &o.extended, DisableDefaultText: true},
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "output `FORMAT`: text, json or yaml", Value: "text", Destination: &o.output},
		},
		Action: commandAction(g, o),
	}
}

func (o *casesOptions) validate(args cli.Args) error {
	if err := noArgs("cases", args, ""); err != nil {
		return err
	}
	switch o.output {
	case "text", "", "json", "yaml":
		return nil
	}
	return usagef("-o %q is not an output format; use text, json or yaml", o.output)
}

func (o *casesOptions) run(_ context.Context, e env) error {
	return writeCases(e.out, lab.Matrix(o.extended), o.output, o.extended)
}

// writeCases prints the cases as an aligned table, JSON or YAML.
func writeCases(w io.Writer, cases []lab.Case, format string, extended bool) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(cases)
	case "yaml":
		enc := yaml.NewEncoder(w)
		enc.SetIndent(2)
		if err := enc.Encode(cases); err != nil {
			return err
		}
		return enc.Close()
	case "text", "":
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "NO.\tPOLICY\tNODE\tREGISTRY\tREF\tEXPECTED")
		for _, c := range cases {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", c.ID, c.Policy, holdingCell(c.Node), holdingCell(c.Registry), refCell(c.Ref), lab.ExpectationText(c))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		if !extended {
			_, err := fmt.Fprintln(w, "\nCases 7-10 (Never, a digest reference, :latest) are shown with --extended.")
			return err
		}
		return nil
	}
	return usagef("-o %q is not an output format; use text, json or yaml", format)
}

// holdingCell names what a case needs the node or registry to hold.
func holdingCell(h lab.Holding) string {
	if v := h.Variant(); v != "" {
		return v.WAR()
	}
	return string(h)
}

func refCell(r lab.RefKind) string {
	if r == lab.RefDigest {
		return "digest of :" + r.Tag()
	}
	return "tag :" + r.Tag()
}
