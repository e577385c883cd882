package main

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"

	"github.com/urfave/cli/v2"
	"go.yaml.in/yaml/v3"

	"github.com/pulllab/pulllab/internal/version"
)

// versionInfo is what `pulllab version -o json|yaml` prints.
type versionInfo struct {
	Version string `json:"version" yaml:"version"`
	Commit  string `json:"commit" yaml:"commit"`
	Go      string `json:"go" yaml:"go"`
	OS      string `json:"os" yaml:"os"`
	Arch    string `json:"arch" yaml:"arch"`
}

func currentVersion() versionInfo {
	return versionInfo{
		Version: version.Version(),
		Commit:  version.Commit(),
		Go:      runtime.Version(),
		OS:      runtime.GOOS,
		Arch:    runtime.GOARCH,
	}
}

// versionOptions are the flags of `pulllab version`.
type versionOptions struct {
	output string
}

func newVersionCommand(g *globals) *cli.Command {
	o := &versionOptions{}
	return &cli.Command{
		Name:      "version",
		Usage:     "print pulllab's version, commit, Go version and platform",
		UsageText: "pulllab version [-o text|json|yaml]",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "print as `FORMAT`: text, json or yaml", Value: "text", Destination: &o.output},
		},
		Action: commandAction(g, o),
	}
}

func (o *versionOptions) validate(args cli.Args) error {
	if err := noArgs("version", args, ""); err != nil {
		return err
	}
	switch o.output {
	case "text", "", "json", "yaml":
		return nil
	}
	return usagef("--output %q is not a format; use text, json or yaml", o.output)
}

func (o *versionOptions) run(_ context.Context, e env) error {
	switch o.output {
	case "json":
		b, err := json.MarshalIndent(currentVersion(), "", "  ")
		if err != nil {
			return fmt.Errorf("encoding version: %w", err)
		}
		_, err = fmt.Fprintf(e.out, "%s\n", b)
		return err
	case "yaml":
		b, err := yaml.Marshal(currentVersion())
		if err != nil {
			return fmt.Errorf("encoding version: %w", err)
		}
		_, err = e.out.Write(b)
		return err
	default:
		_, err := fmt.Fprintln(e.out, version.String())
		return err
	}
}
