package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/pulllab/pulllab/crcctl"
	"github.com/pulllab/pulllab/internal/config"
	"github.com/pulllab/pulllab/internal/version"
)

// Step is one named phase of `pulllab up`. Run prints its own step lines
// (g.status Start / defer End(false) / End(true)).
type Step struct {
	Name string
	Run  func(ctx context.Context) error
}

// upStepNames are the steps of `pulllab up`, in order.
var upStepNames = []string{"crc", "cluster", "image", "build"}

// upState is what the steps of `pulllab up` hand on to each other.
type upState struct {
	// Kubeconfig and Context reach the cluster: the user's --kubeconfig
	// and --context when given, else crc's admin kubeconfig.
	Kubeconfig string
	Context    string
	// CRC is what the crc step found and did.
	CRC *crcctl.UpResult
	// BaseImage is the image the lab builds on for the crc step's preset
	// (see labBaseImage); "" means the configured one.
	BaseImage string
}

type upOptions struct {
	installCRC bool
	until      string
	// crc holds the CRC settings in effect when the command runs, and
	// settings their crcctl form.
	crc      config.CRC
	settings crcctl.Settings
}

func newUpCommand(g *globals) *cli.Command {
	o := &upOptions{}
	flags := append(g.configFlags(append(slices.Clone(crcFlagPaths), "lab.baseImage")...),
		&cli.BoolFlag{Name: "install-crc", Usage: "download, verify and install crc when it is missing (from --crc-mirror, version --crc-version)", Destination: &o.installCRC},
		&cli.StringFlag{Name: "until", Usage: "stop after `STEP`: " + strings.Join(upStepNames, ", "), Destination: &o.until},
	)
	return &cli.Command{
		Name:  "up",
		Usage: "get OpenShift Local running and the lab's images built",
		Description: "Runs the steps crc (find or install crc, configure, crc setup, crc start, wait for OpenShift),\n" +
			"cluster, image and build, in order. Running it again skips what is already done.\n\n" +
			"--preset okd needs no Red Hat pull secret; its cluster cannot pull the EAP image, so the lab\n" +
			"builds on the public WildFly S2I image unless --base-image is given. --preset microshift is\n" +
			"refused: it has no ImageStreams, builds or registry (use `pulllab verify --registry HOST:PORT`).",
		Flags: flags,
		Action: func(c *cli.Context) error {
			if err := o.complete(g); err != nil {
				return err
			}
			if err := o.validate(); err != nil {
				return err
			}
			return o.run(c.Context, g)
		},
	}
}

// complete reads the settings in effect.
func (o *upOptions) complete(g *globals) error {
	o.crc = crcSettings(g)
	s, err := crcctlSettings(g, o.crc)
	o.settings = s
	return err
}

// validate refuses bad input, including values below crc's minimums (in
// crc's words), before anything is touched.
func (o *upOptions) validate() error {
	if o.until != "" {
		known := false
		for _, n := range upStepNames {
			known = known || n == o.until
		}
		if !known {
			return usagef("--until %q is not a step; use one of %s", o.until, strings.Join(upStepNames, ", "))
		}
	}
	if err := checkPreset(o.settings.Preset); err != nil {
		return err
	}
	if err := o.settings.Validate(); err != nil {
		return err
	}
	if p := o.settings.PullSecretFile; p != "" {
		if _, err := crcctl.LoadPullSecret(os.ReadFile, p); err != nil {
			return err
		}
	}
	return nil
}

func (o *upOptions) run(ctx context.Context, g *globals) error {
	st := &upState{}
	steps := []Step{{Name: "crc", Run: func(ctx context.Context) error { return o.crcStep(ctx, g, st) }}}
	steps = append(steps, openshiftUpSteps(g, st)...)
	return runSteps(ctx, g, steps, o.until)
}

// runSteps runs steps in order, stopping after the one named until.
func runSteps(ctx context.Context, g *globals, steps []Step, until string) error {
	have := make([]string, len(steps))
	for i, s := range steps {
		have[i] = s.Name
	}
	if until != "" && !slices.Contains(have, until) {
		return usagef("--until %q is not a step of up; the steps are %s", until, strings.Join(have, ", "))
	}
	for _, s := range steps {
		if err := ctx.Err(); err != nil {
			return err
		}
		g.log.Debugf("up: step %s", s.Name)
		if err := s.Run(ctx); err != nil {
			return err
		}
		if s.Name == until {
			g.log.Debugf("up: stopping after %s (--until)", s.Name)
			return nil
		}
	}
	return nil
}

// crcStep gets OpenShift Local running and leaves the kubeconfig in st.
func (o *upOptions) crcStep(ctx context.Context, g *globals, st *upState) error {
	paths, err := crcPaths(g)
	if err != nil {
		return err
	}
	path, err := findCRC(g, paths)
	if crcctl.KindOf(err) == crcctl.KindNotInstalled {
		if !o.installCRC {
			var e *crcctl.Error
			if errors.As(err, &e) {
				e.Hint = crcctl.ManualInstall(g.goos, goarch(), o.crc.Version, o.crc.Mirror) + "; then get a pull secret at https://console.redhat.com/openshift/create/local"
			}
			return err
		}
		path, err = o.install(ctx, g, paths)
	}
	if err != nil {
		return err
	}

	client := newCRCClient(g, path)
	g.status.Start("Ensuring OpenShift Local (CRC) is running")
	defer g.status.End(false)
	res, err := client.Up(ctx, crcctl.UpOptions{
		Settings:     o.settings,
		StartTimeout: o.crc.StartTimeout,
		Reporter:     g.status,
	})
	if err != nil {
		return err
	}
	g.status.End(true)

	st.CRC = res
	st.Kubeconfig, st.Context = g.kubeconfig, g.context
	if st.Kubeconfig == "" {
		st.Kubeconfig = paths.Kubeconfig
		if _, err := os.Stat(st.Kubeconfig); err != nil {
			g.status.Warnf("crc's kubeconfig %s is missing; `crc stop` and `pulllab up` rewrite it", st.Kubeconfig)
		}
	}
	g.log.Debugf("up: kubeconfig %s context %q", st.Kubeconfig, st.Context)
	g.status.Infof("oc is in %s; `pulllab env` prints the line that puts it on PATH", paths.OcDir)
	st.BaseImage = o.baseImageLine(g, res)
	return nil
}

// baseImageLine chooses the base image for the preset crc now runs and,
// on okd, says in one line which image the lab builds on and why (the EAP
// image needs registry.redhat.io credentials an okd cluster lacks).
func (o *upOptions) baseImageLine(g *globals, res *crcctl.UpResult) string {
	p := o.settings.Preset
	if res != nil && res.Status != nil && res.Status.Preset != "" {
		p = res.Status.Preset
	}
	choice := labBaseImage(g, g.cfg.Config.Lab.BaseImage, string(p))
	sayBaseImage(g, p, choice)
	return choice.Image
}

// install downloads and installs crc (--install-crc).
func (o *upOptions) install(ctx context.Context, g *globals, paths crcctl.Paths) (string, error) {
	file, err := crcctl.ReleaseFile(g.goos, goarch())
	if err != nil {
		return "", err
	}
	cache, err := g.cacheDir()
	if err != nil {
		return "", fmt.Errorf("finding a download directory: %w", err)
	}
	dir := filepath.Join(cache, "pulllab", "crc-"+o.crc.Version)
	g.status.Infof("crc is not installed; downloading crc %s (%s) from %s", o.crc.Version, file, o.crc.Mirror)
	p := newProgress(g.status, g.status.Smart(), file)
	dl := &crcctl.Downloader{UserAgent: version.UserAgent(), Log: g.log}
	if !g.quiet {
		dl.Progress = p.update
	}
	res, err := crcctl.Install(ctx, crcctl.InstallOptions{
		GOOS: g.goos, GOARCH: goarch(),
		Version: o.crc.Version, Mirror: o.crc.Mirror,
		Paths: paths, DownloadDir: dir, Downloader: dl,
	})
	p.finish()
	if err != nil {
		return "", err
	}
	if res.CRC == "" {
		return "", &crcctl.Error{
			Kind: crcctl.KindNotInstalled,
			Op:   "installing crc",
			Msg:  fmt.Sprintf("downloaded and verified %s; installing it needs an administrator", res.Installer),
			Hint: "run " + res.AdminCommand + ", then run `pulllab up` again",
		}
	}
	g.status.Infof("verified the SHA-256 and installed crc %s at %s", o.crc.Version, res.CRC)
	return res.CRC, nil
}
