package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/crc-org/crc/v2/pkg/crc/preset"
	"github.com/urfave/cli/v2"
	"go.yaml.in/yaml/v3"

	"github.com/pulllab/pulllab/crcctl"
)

// statusReport is what `pulllab status` prints; -o json|yaml print it as is.
type statusReport struct {
	CRC crcStatusSection `json:"crc" yaml:"crc"`
	// OpenShift is present when crc reported the cluster.
	OpenShift *openshiftSection `json:"openshift,omitempty" yaml:"openshift,omitempty"`
	// Kubeconfig is what the lab uses to reach the cluster.
	Kubeconfig string `json:"kubeconfig" yaml:"kubeconfig"`
	// Lab is what the lab holds on the cluster (labStatus).
	Lab any `json:"lab,omitempty" yaml:"lab,omitempty"`
}

type crcStatusSection struct {
	// State is the VM's state (Running, Stopped, Starting, Stopping,
	// Error), or NotInstalled, NotSetUp (no crc daemon) or NoVM.
	State   string `json:"state" yaml:"state"`
	Path    string `json:"path,omitempty" yaml:"path,omitempty"`
	Version string `json:"version,omitempty" yaml:"version,omitempty"`
	Commit  string `json:"commit,omitempty" yaml:"commit,omitempty"`
	// Ships are the cluster versions this crc release ships, by
	// `crc version` ("OpenShift": "5.0.0", "MicroShift": "5.0.0").
	Ships  map[string]string `json:"ships,omitempty" yaml:"ships,omitempty"`
	Preset string            `json:"preset,omitempty" yaml:"preset,omitempty"`
	// Problem and Fix explain a state that needs action.
	Problem string `json:"problem,omitempty" yaml:"problem,omitempty"`
	Fix     string `json:"fix,omitempty" yaml:"fix,omitempty"`
	Disk    *usage `json:"disk,omitempty" yaml:"disk,omitempty"`
	RAM     *usage `json:"ram,omitempty" yaml:"ram,omitempty"`
	Cache   *usage `json:"cache,omitempty" yaml:"cache,omitempty"`
}

// openshiftSection is the cluster crc runs: OpenShift, OKD or MicroShift
// (Kind, crc's name for the preset), whatever its version.
type openshiftSection struct {
	Kind    string `json:"kind" yaml:"kind"`
	State   string `json:"state" yaml:"state"`
	Version string `json:"version,omitempty" yaml:"version,omitempty"`
}

// usage is a byte count (and its limit) plus its human form.
type usage struct {
	UsedBytes int64  `json:"usedBytes" yaml:"usedBytes"`
	SizeBytes int64  `json:"sizeBytes,omitempty" yaml:"sizeBytes,omitempty"`
	Where     string `json:"where,omitempty" yaml:"where,omitempty"`
	Human     string `json:"human" yaml:"human"`
}

func newUsage(used, size int64, where string) *usage {
	if used == 0 && size == 0 {
		return nil
	}
	u := &usage{UsedBytes: used, SizeBytes: size, Where: where, Human: crcctl.HumanBytes(used)}
	if size > 0 {
		u.Human += " of " + crcctl.HumanBytes(size)
	}
	if where != "" {
		u.Human += " in " + where
	}
	return u
}

type statusOptions struct {
	output string
}

func newStatusCommand(g *globals) *cli.Command {
	o := &statusOptions{}
	return &cli.Command{
		Name:  "status",
		Usage: "show crc, the OpenShift cluster and the lab",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "print as `FORMAT`: text, json or yaml", Destination: &o.output},
		},
		Action: func(c *cli.Context) error {
			if err := validateOutput(o.output, "json", "yaml"); err != nil {
				return err
			}
			return o.run(c.Context, g)
		},
	}
}

func (o *statusOptions) run(ctx context.Context, g *globals) error {
	r, err := collectStatus(ctx, g)
	if err != nil {
		return err
	}
	switch o.output {
	case "json":
		enc := json.NewEncoder(g.out)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	case "yaml":
		enc := yaml.NewEncoder(g.out)
		enc.SetIndent(2)
		if err := enc.Encode(r); err != nil {
			return err
		}
		return enc.Close()
	default:
		return r.writeText(g.out)
	}
}

// collectStatus asks crc; a missing crc, VM or daemon is reported in the
// result, not as an error. Only an interruption or a crc that cannot be
// read fails.
func collectStatus(ctx context.Context, g *globals) (*statusReport, error) {
	paths, err := crcPaths(g)
	if err != nil {
		return nil, err
	}
	r := &statusReport{Kubeconfig: g.kubeconfig}
	if r.Kubeconfig == "" {
		r.Kubeconfig = paths.Kubeconfig
	}
	path, err := findCRC(g, paths)
	if err != nil {
		if crcctl.KindOf(err) != crcctl.KindNotInstalled {
			return nil, err
		}
		r.CRC = crcStatusSection{State: "NotInstalled", Problem: firstLine(err), Fix: crcctl.HintOf(err)}
	} else {
		client := newCRCClient(g, path)
		r.CRC.Path = path
		v, err := client.Version(ctx)
		if err != nil {
			return nil, err
		}
		r.CRC.Version, r.CRC.Commit = v.Version, v.Commit
		r.CRC.Ships = map[string]string{}
		if v.OpenShiftVersion != "" {
			r.CRC.Ships["OpenShift"] = v.OpenShiftVersion
		}
		if v.MicroShiftVersion != "" {
			r.CRC.Ships["MicroShift"] = v.MicroShiftVersion
		}
		st, err := client.Status(ctx)
		switch crcctl.KindOf(err) {
		case crcctl.KindOther:
			if err != nil {
				return nil, err
			}
			r.CRC.State = string(st.CRCStatus)
			r.CRC.Preset = string(st.Preset)
			r.CRC.Disk = newUsage(st.DiskUsage, st.DiskSize, "")
			r.CRC.RAM = newUsage(st.RAMUsage, st.RAMSize, "")
			r.CRC.Cache = newUsage(st.CacheUsage, 0, st.CacheDir)
			r.OpenShift = &openshiftSection{Kind: crcctl.DisplayPreset(st.Preset), State: string(st.OpenShiftStatus), Version: st.OpenShiftVersion}
			if st.Preset == preset.Microshift {
				r.CRC.Problem = crcctl.MicroShiftNote
				r.CRC.Fix = crcctl.MicroShiftFix
			}
		case crcctl.KindVMMissing:
			r.CRC.State, r.CRC.Fix = "NoVM", "`pulllab up` creates and starts it"
		case crcctl.KindDaemonUnreachable:
			r.CRC.State, r.CRC.Problem, r.CRC.Fix = "NotSetUp", firstLine(err), crcctl.HintOf(err)
		default:
			r.CRC.State, r.CRC.Problem, r.CRC.Fix = "Error", firstLine(err), crcctl.HintOf(err)
		}
	}
	lab, err := labStatus(ctx, g)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		g.status.Warnf("lab status: %v", err)
	}
	r.Lab = lab
	return r, nil
}

func firstLine(err error) string {
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// writeText prints the report as aligned "Label: value" lines.
func (r *statusReport) writeText(w io.Writer) error {
	var lines [][2]string
	add := func(k, v string) {
		if v != "" {
			lines = append(lines, [2]string{k, v})
		}
	}
	crc := r.CRC.State
	switch {
	case r.CRC.Version != "":
		crc = fmt.Sprintf("%s (crc %s at %s)", r.CRC.State, r.CRC.Version, r.CRC.Path)
	}
	add("CRC", crc)
	if len(r.CRC.Ships) > 0 {
		var ships []string
		for _, k := range []string{"OpenShift", "MicroShift"} {
			if v := r.CRC.Ships[k]; v != "" {
				ships = append(ships, k+" "+v)
			}
		}
		add("Ships", strings.Join(ships, ", "))
	}
	if r.CRC.Problem != "" {
		add("Problem", r.CRC.Problem)
	}
	add("Fix", r.CRC.Fix)
	add("Preset", r.CRC.Preset)
	if r.OpenShift != nil {
		os := r.OpenShift.State
		if r.OpenShift.Version != "" {
			os += " (" + r.OpenShift.Version + ")"
		}
		add(r.OpenShift.Kind, os)
	}
	if r.CRC.Disk != nil {
		add("Disk", r.CRC.Disk.Human+" (inside the VM)")
	}
	if r.CRC.RAM != nil {
		add("RAM", r.CRC.RAM.Human)
	}
	if r.CRC.Cache != nil {
		add("Cache", r.CRC.Cache.Human)
	}
	add("Kubeconfig", r.Kubeconfig)
	for _, l := range lines {
		if _, err := fmt.Fprintf(w, "%-11s %s\n", l[0]+":", l[1]); err != nil {
			return err
		}
	}
	if r.Lab != nil {
		b, err := yaml.Marshal(map[string]any{"Lab": r.Lab})
		if err != nil {
			return fmt.Errorf("rendering the lab status: %w", err)
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	return nil
}
