package main

import (
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

func newVersionCommand(g *globals) *cli.Command {
	var output string
	return &cli.Command{
		Name:      "version",
		Usage:     "print pulllab's version, commit, Go version and platform",
		UsageText: "pulllab version [-o text|json|yaml]",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "print as `FORMAT`: text, json or yaml", Value: "text", Destination: &output},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usagef("version takes no arguments, got %q", c.Args().First())
			}
			switch output {
			case "text", "":
				_, err := fmt.Fprintln(g.out, version.String())
				return err
			case "json":
				b, err := json.MarshalIndent(currentVersion(), "", "  ")
				if err != nil {
					return fmt.Errorf("encoding version: %w", err)
				}
				_, err = fmt.Fprintf(g.out, "%s\n", b)
				return err
			case "yaml":
				b, err := yaml.Marshal(currentVersion())
				if err != nil {
					return fmt.Errorf("encoding version: %w", err)
				}
				_, err = g.out.Write(b)
				return err
			default:
				return usagef("--output %q is not a format; use text, json or yaml", output)
			}
		},
	}
}
