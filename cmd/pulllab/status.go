package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/crc-org/crc/v2/pkg/crc/preset"
	"github.com/urfave/cli/v2"
	"go.yaml.in/yaml/v3"

	"github.com/pulllab/pulllab/crcctl"
	"github.com/pulllab/pulllab/lab/target"
)

// statusReport is what `pulllab status` prints; -o json|yaml print it as is.
type statusReport struct {
	CRC crcStatusSection `json:"crc" yaml:"crc"`
	// OpenShift is present when crc reported the cluster.
	OpenShift *openshiftSection `json:"openshift,omitempty" yaml:"openshift,omitempty"`
	// Kubeconfig is the file (or $KUBECONFIG's existing files) the lab uses
	// to reach the cluster; empty when there is none, and KubeconfigNote
	// then says why.
	Kubeconfig     string `json:"kubeconfig,omitempty" yaml:"kubeconfig,omitempty"`
	KubeconfigNote string `json:"kubeconfigNote,omitempty" yaml:"kubeconfigNote,omitempty"`
	// Lab is what the lab holds on the cluster (labStatus); LabProblem
	// says why it could not be read.
	Lab        *target.Status `json:"lab,omitempty" yaml:"lab,omitempty"`
	LabProblem string         `json:"labProblem,omitempty" yaml:"labProblem,omitempty"`

	// self names pulllab in the text's hints (withSelf).
	self string
}

// Bounds of status's calls (variables for tests): each crc question, and
// reading the lab from the cluster (connecting included).
var (
	statusCRCTimeout = crcctl.DefaultQueryTimeout
	statusLabTimeout = time.Minute
)

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
		Action: commandAction(g, o),
	}
}

// validate accepts the output formats status prints; status takes no
// arguments (flags after one would not be read).
func (o *statusOptions) validate(args cli.Args) error {
	if err := noArgs("status", args, "put flags such as -o before any argument"); err != nil {
		return err
	}
	return validateOutput(o.output, "json", "yaml")
}

func (o *statusOptions) run(ctx context.Context, e env) error {
	r, err := collectStatus(ctx, e)
	if err != nil {
		return err
	}
	r.renderSettings(e.cfg)
	switch o.output {
	case "json":
		enc := json.NewEncoder(e.out)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	case "yaml":
		enc := yaml.NewEncoder(e.out)
		enc.SetIndent(2)
		if err := enc.Encode(r); err != nil {
			return err
		}
		return enc.Close()
	default:
		return r.writeText(e.out)
	}
}

// collectStatus asks crc and the cluster, each within its bound. What
// cannot be read (no crc, no VM, a crc or cluster that does not answer) is
// reported in the result with what to do, not as an error: only an
// interruption or a home directory that cannot be found fails.
func collectStatus(ctx context.Context, e env) (*statusReport, error) {
	paths, err := crcPaths(e)
	if err != nil {
		return nil, err
	}
	r := &statusReport{self: e.self}
	r.Kubeconfig, r.KubeconfigNote = kubeconfigInUse(e)
	path, err := findCRC(e, paths)
	if err != nil {
		if crcctl.KindOf(err) != crcctl.KindNotInstalled {
			return nil, err
		}
		r.CRC = crcStatusSection{State: "NotInstalled", Problem: firstLine(err), Fix: crcctl.HintOf(err)}
	} else if err := r.readCRC(ctx, newCRCClient(e, path), path); err != nil {
		return nil, err
	}
	if r.Kubeconfig == "" {
		r.LabProblem = "no kubeconfig to reach the cluster with (see kubeconfig)"
		return r, nil
	}
	lctx, cancel := context.WithTimeout(ctx, statusLabTimeout)
	defer cancel()
	lab, err := labStatus(lctx, e)
	switch {
	case ctx.Err() != nil:
		return nil, ctx.Err()
	case err != nil && lctx.Err() != nil:
		r.LabProblem = fmt.Sprintf("the cluster gave no answer within %s (%s)", statusLabTimeout, firstLine(err))
	case err != nil:
		r.LabProblem = firstLine(err)
	}
	r.Lab = lab
	return r, nil
}

// readCRC fills the CRC and OpenShift sections from `crc version` and `crc status`, each bounded
// by statusCRCTimeout. A crc that fails or does not answer is a state
// with a problem and a fix; only an interruption is an error.
func (r *statusReport) readCRC(ctx context.Context, client *crcctl.Client, path string) error {
	s := &r.CRC
	client.QueryTimeout = statusCRCTimeout
	s.Path = path
	problem := func(err error) error {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		s.State = "Error"
		switch crcctl.KindOf(err) {
		case crcctl.KindNoAnswer:
			s.State = "NoAnswer"
		case crcctl.KindVMMissing:
			s.State, s.Fix = "NoVM", "`pulllab up` creates and starts it"
			return nil
		case crcctl.KindDaemonUnreachable:
			s.State = "NotSetUp"
		}
		s.Problem, s.Fix = firstLine(err), crcctl.HintOf(err)
		return nil
	}
	v, err := client.Version(ctx)
	if err != nil {
		return problem(err)
	}
	s.Version, s.Commit = v.Version, v.Commit
	s.Ships = map[string]string{}
	if v.OpenShiftVersion != "" {
		s.Ships["OpenShift"] = v.OpenShiftVersion
	}
	if v.MicroShiftVersion != "" {
		s.Ships["MicroShift"] = v.MicroShiftVersion
	}
	st, err := client.Status(ctx)
	if err != nil {
		return problem(err)
	}
	s.State = string(st.CRCStatus)
	s.Preset = string(st.Preset)
	s.Disk = newUsage(st.DiskUsage, st.DiskSize, "")
	s.RAM = newUsage(st.RAMUsage, st.RAMSize, "")
	s.Cache = newUsage(st.CacheUsage, 0, st.CacheDir)
	r.OpenShift = &openshiftSection{Kind: crcctl.DisplayPreset(st.Preset), State: string(st.OpenShiftStatus), Version: st.OpenShiftVersion}
	if st.Preset == preset.Microshift {
		s.Problem = crcctl.MicroShiftNote
		s.Fix = crcctl.MicroShiftFix
	}
	return nil
}

// kubeconfigInUse is the kubeconfig the lab connects with, in the order
// clientConfig uses, naming only files that exist; with
// none, the note says why and what to do.
func kubeconfigInUse(e env) (path, note string) {
	exists := func(p string) bool {
		fi, err := os.Stat(p)
		return err == nil && !fi.IsDir()
	}
	if e.kubeconfig != "" {
		if exists(e.kubeconfig) {
			return e.kubeconfig, ""
		}
		return "", fmt.Sprintf("--kubeconfig %s: no such file; pass a kubeconfig that exists", e.kubeconfig)
	}
	if v, ok := e.lookupEnv("KUBECONFIG"); ok && v != "" {
		var found []string
		for _, p := range filepath.SplitList(v) {
			if p != "" && exists(p) {
				found = append(found, p)
			}
		}
		if len(found) == 0 {
			return "", "$KUBECONFIG names no file that exists; fix it or unset it"
		}
		return strings.Join(found, string(filepath.ListSeparator)), ""
	}
	if p, ok := crcKubeconfig(e, e.kubecontext); ok {
		return p, ""
	}
	if home, err := e.homeDir(); err == nil {
		if p := filepath.Join(home, ".kube", "config"); exists(p) {
			return p, ""
		}
	}
	return "", "none found: `pulllab up` writes OpenShift Local's, or pass --kubeconfig FILE"
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
	if r.Kubeconfig != "" {
		add("Kubeconfig", r.Kubeconfig)
	} else {
		add("Kubeconfig", r.KubeconfigNote)
	}
	if r.LabProblem != "" {
		add("Lab", "not read: "+r.LabProblem)
	}
	for _, l := range lines {
		if _, err := fmt.Fprintf(w, "%-11s %s\n", l[0]+":", withSelf(l[1], r.self)); err != nil {
			return err
		}
	}
	if r.Lab != nil {
		b, err := yaml.Marshal(map[string]*target.Status{"Lab": r.Lab})
		if err != nil {
			return fmt.Errorf("rendering the lab status: %w", err)
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	return nil
}

// labStatus is the lab part of `pulllab status`: what the lab has built,
// what the app tags point at and what the node caches. A plain-Kubernetes
// cluster without a known registry gets a note instead.
func labStatus(ctx context.Context, e env) (*target.Status, error) {
	c, err := e.connect(ctx)
	if err != nil {
		return nil, err // status says why the lab could not be read
	}
	s := labSettings(e.cfg.Config.Lab)
	s = withBase(s, clusterBaseImage(ctx, e, c.Flavor == target.OpenShift, s.BaseImage, false))
	if c.Flavor != target.OpenShift {
		if s, err = withAnnouncedRegistry(ctx, e, c, s); err != nil {
			return nil, err
		}
		if s.Registry == "" {
			return &target.Status{Flavor: c.Flavor, Note: fmt.Sprintf("%s: set the lab's registry (lab.registry in pulllab.yaml, or PULLLAB_REGISTRY) to see what the lab holds", c.Flavor.Name())}, nil
		}
	}
	t, err := openLab(ctx, e, c, s)
	if err != nil {
		return nil, err
	}
	st, err := t.Status(ctx)
	if err != nil {
		return nil, err
	}
	return &st, nil
}
