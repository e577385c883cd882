package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/pulllab/pulllab/internal/config"
	"github.com/pulllab/pulllab/internal/version"
	"github.com/pulllab/pulllab/lab"
	"github.com/pulllab/pulllab/lab/kube"
	"github.com/pulllab/pulllab/lab/report"
	"github.com/pulllab/pulllab/lab/target"
)

// verifyOptions are the verify command's settings. The cluster is chosen by
// the global --kubeconfig and --context (env.kubeconfig, env.kubecontext).
type verifyOptions struct {
	cases    string
	extended bool
	dryRun   bool
	keep     bool
	out      string
	lang     string
	// lab is where the lab runs: namespace, node, registry, images.
	lab         target.Settings
	caseTimeout time.Duration
	// selected are the cases to run (validate).
	selected []lab.Case
}

func newVerifyCommand(g *globals) *cli.Command {
	o := &verifyOptions{}
	flags := []cli.Flag{
		&cli.StringFlag{Name: "cases", Usage: "run only these `CASES`, e.g. 1,2,6 or 1-4 (default: all; 7-10 need no --extended when named)", Destination: &o.cases},
		&cli.BoolFlag{Name: "dry-run", Usage: "print the planned order and operations for an empty lab; needs no cluster", Destination: &o.dryRun, DisableDefaultText: true},
		&cli.BoolFlag{Name: "keep", Usage: "leave the last case's pod and the node debug pod in place (they are removed anyway after an error or Ctrl-C)", Destination: &o.keep, DisableDefaultText: true},
	}
	// The lab settings come from pulllab.yaml, PULLLAB_* and these flags
	// (env.cfg); --lang ja writes report.ja.md beside the English report.md.
	flags = append(flags, g.configFlags("lab.extended", "lab.out", "lab.lang", "lab.caseTimeout",
		"lab.namespace", "lab.node", "lab.registry", "lab.registryPull", "lab.registryAuth", "lab.baseImage", "lab.deploymentsDir", "lab.debugImage")...)
	return &cli.Command{
		Name:  "verify",
		Usage: "run every case for real and write the report",
		Description: "verify builds both variants (once; later runs reuse them), then runs each case in the\n" +
			"order that needs the fewest changes: it reads what the node and the registry hold, changes\n" +
			"only what the case needs, checks it, deploys and judges the pod from its imageID, its events\n" +
			"and its log. It writes results.json, report.md (English), report.ja.md (with --lang ja) and\n" +
			"junit.xml into --out, and prints a summary.\n\n" + exitCodesText(),
		Flags:  flags,
		Action: commandAction(g, o),
	}
}

// complete takes the lab settings in force (e.cfg).
func (o *verifyOptions) complete(e env) error {
	o.setLab(e.cfg.Config.Lab)
	return nil
}

// setLab takes the lab settings (defaults ← pulllab.yaml ← PULLLAB_* ←
// flags, merged by the config loader).
func (o *verifyOptions) setLab(l config.Lab) {
	o.extended = l.Extended
	o.out = l.Out
	o.lang = l.Lang
	o.caseTimeout = l.CaseTimeout
	o.lab = labSettings(l)
}

// validate checks the arguments (none) and what the config loader does not
// (it has already checked the language, namespace, images, output
// directory and timeout, naming where each value came from), and selects
// the cases.
func (o *verifyOptions) validate(args cli.Args) error {
	if err := noArgs("verify", args, "choose cases with --cases"); err != nil {
		return err
	}
	cases, err := o.selectCases()
	if err != nil {
		return err
	}
	o.selected = cases
	return nil
}

// selectCases returns the cases --cases and lab.extended select, after
// checking the registry credentials file.
func (o *verifyOptions) selectCases() ([]lab.Case, error) {
	cases, err := lab.SelectCases(o.cases, o.extended)
	if err != nil {
		return nil, usagef("--cases: %v ('pulllab cases --extended' lists every case)", err)
	}
	// the language, the node name and the registry address were validated
	// with the rest of the settings, where their source is known
	// (loadConfig, applyConfigFlags)
	if o.lab.RegistryAuth != "" {
		// Checked before anything connects; the error names the file and
		// where in it, never a credential (exit code 2).
		if _, err := kube.ReadRegistryAuth(o.lab.RegistryAuth); err != nil {
			return nil, err
		}
	}
	return cases, nil
}

// run runs the lab (or prints its plan) and writes the reports.
func (o *verifyOptions) run(ctx context.Context, e env) error {
	cases := o.selected
	if o.dryRun {
		fmt.Fprintln(e.out, "Dry run: nothing is changed. This plan starts from an empty lab; a real run reads what the node")
		fmt.Fprintln(e.out, "and the registry hold before every case and does only what is missing.")
		model := lab.RemovesAllAppTags
		if o.lab.Registry != "" {
			model = lab.RemovesTag
			fmt.Fprintln(e.out, "With --registry (plain Kubernetes) \"registry has none\" removes only the case's tag.")
		} else {
			fmt.Fprintln(e.out, "On OpenShift \"registry has none\" deletes the app's ImageStream: every app tag goes.")
		}
		fmt.Fprintln(e.out)
		return lab.NewPlanFor(cases, lab.State{}, model).Format(e.out)
	}

	t, err := labTarget(ctx, e, o.lab, true)
	if err != nil {
		return err
	}
	res, runErr := t.Verify(ctx, cases, target.VerifyOptions{
		CaseTimeout: o.caseTimeout,
		Keep:        o.keep,
		Tool:        lab.Tool{Name: "pulllab", Version: version.Version()},
	})
	if res == nil || len(res.Cases) == 0 {
		return runErr
	}
	res.Performance.PeakRSSBytes = peakRSS()
	if t.Flavor() == target.OpenShift && res.Environment.CRCVersion == "" {
		res.Environment.CRCVersion = crcVersion(context.WithoutCancel(ctx), e)
	}
	if err := writeReports(e.out, o, res); err != nil {
		if runErr != nil {
			// Not %w: exit code 1 promises a written report.
			return fmt.Errorf("%v; the reports could not be written either: %w", runErr, err)
		}
		return err
	}
	return runErr
}

// writeReports writes results.json, report.md (English), report.ja.md (when
// the language is ja) and junit.xml into o.out, then prints the summary
// table and where the files are.
func writeReports(w io.Writer, o *verifyOptions, res *lab.Results) error {
	type file struct {
		name   string
		render func(io.Writer) error
	}
	files := []file{
		{"results.json", func(w io.Writer) error { return report.JSON(w, res) }},
		{"report.md", func(w io.Writer) error { return report.Markdown(w, res, "en") }},
	}
	if o.lang != "en" {
		files = append(files, file{"report." + o.lang + ".md", func(w io.Writer) error { return report.Markdown(w, res, o.lang) }})
	}
	files = append(files, file{"junit.xml", func(w io.Writer) error { return report.JUnit(w, res) }})

	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return fmt.Errorf("creating the output directory: %w", err)
	}
	for _, f := range files {
		var buf bytes.Buffer
		if err := f.render(&buf); err != nil {
			return fmt.Errorf("rendering %s: %w", f.name, err)
		}
		if err := os.WriteFile(filepath.Join(o.out, f.name), buf.Bytes(), 0o644); err != nil {
			return fmt.Errorf("writing %s: %w", f.name, err)
		}
	}
	var summary bytes.Buffer
	if err := report.Summary(&summary, res, o.lang); err != nil {
		return fmt.Errorf("rendering the summary: %w", err)
	}
	mainReport := "report.md"
	if o.lang != "en" {
		mainReport = "report." + o.lang + ".md"
	}
	if _, err := w.Write(summary.Bytes()); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\nReport: %s (results.json and junit.xml beside it)\n", filepath.Join(o.out, mainReport))
	return err
}
