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
	"github.com/pulllab/pulllab/lab"
	"github.com/pulllab/pulllab/lab/target"
)

// Step is one named phase of `pulllab up`. Run prints its own step lines
// (env.status Start / defer End(false) / End(true)).
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
	// Cluster is the connection the crc step made when it found that the
	// lab's cluster is not OpenShift Local; nil means connect to
	// Kubeconfig and Context.
	Cluster *cluster
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
	flags := append(g.configFlags(append(slices.Clone(crcFlagPaths), "lab.namespace", "lab.node", "lab.registry", "lab.registryPull", "lab.registryAuth", "lab.baseImage", "lab.deploymentsDir", "lab.debugImage")...),
		&cli.BoolFlag{Name: "install-crc", Usage: "download, verify and install crc when it is missing (from --crc-mirror, version --crc-version)", Destination: &o.installCRC},
		&cli.StringFlag{Name: "until", Usage: "stop after `STEP`: " + strings.Join(upStepNames, ", "), Destination: &o.until},
	)
	return &cli.Command{
		Name:  "up",
		Usage: "get the cluster (OpenShift Local by default) running and the lab's images built",
		Description: "Runs the steps crc (find or install crc, configure, crc setup, crc start, wait for OpenShift),\n" +
			"cluster, image and build, in order. Running it again skips what is already done.\n\n" +
			"The crc step is skipped, with a line that says why, when the lab's cluster is not OpenShift\n" +
			"Local: --kubeconfig, $KUBECONFIG or --context names another one, or crc is not installed and\n" +
			"~/.kube/config reaches a cluster. On plain Kubernetes and MicroShift the lab needs a registry\n" +
			"(--registry, or the one the cluster announces) and is prepared there the same way.\n\n" +
			"--preset okd needs no Red Hat pull secret; its cluster cannot pull the EAP image, so the lab\n" +
			"builds on the public WildFly S2I image unless --base-image is given. --preset microshift is\n" +
			"refused: it has no ImageStreams, builds or registry (on a MicroShift host, run `pulllab up` with its\n" +
			"kubeconfig and --registry HOST:PORT).",
		Flags:  flags,
		Action: commandAction(g, o),
	}
}

// complete reads the settings in effect.
func (o *upOptions) complete(e env) error {
	o.crc = crcSettings(e)
	s, err := crcctlSettings(e, o.crc)
	o.settings = s
	return err
}

// validate refuses bad input, including values below crc's minimums (in
// crc's words), before anything is touched. up takes no arguments: flags
// after one would not be read.
func (o *upOptions) validate(args cli.Args) error {
	if err := noArgs("up", args, "stop after a step with --until STEP"); err != nil {
		return err
	}
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

func (o *upOptions) run(ctx context.Context, e env) error {
	st := &upState{}
	steps := []Step{{Name: "crc", Run: func(ctx context.Context) error { return o.crcStep(ctx, e, st) }}}
	steps = append(steps, labUpSteps(e, st)...)
	return runSteps(ctx, e, steps, o.until)
}

// runSteps runs steps in order, stopping after the one named until.
func runSteps(ctx context.Context, e env, steps []Step, until string) error {
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
		e.log.Debugf("up: step %s", s.Name)
		if err := s.Run(ctx); err != nil {
			return err
		}
		if s.Name == until {
			e.log.Debugf("up: stopping after %s (--until)", s.Name)
			return nil
		}
	}
	return nil
}

// crcStep gets OpenShift Local running and leaves the kubeconfig in st.
func (o *upOptions) crcStep(ctx context.Context, e env, st *upState) error {
	paths, err := crcPaths(e)
	if err != nil {
		return err
	}
	if why := o.otherKubeconfig(e, paths); why != "" {
		e.status.Infof("skipping the crc step: %s", why)
		st.Kubeconfig, st.Context = e.kubeconfig, e.kubecontext
		return nil
	}
	path, err := findCRC(e, paths)
	if crcctl.KindOf(err) == crcctl.KindNotInstalled {
		if !o.installCRC && e.kubeconfig == "" && !e.envSet("KUBECONFIG") {
			if c, why := o.defaultCluster(ctx, e); c != nil {
				e.status.Infof("skipping the crc step: %s", why)
				st.Context, st.Cluster = e.kubecontext, c
				return nil
			}
		}
		if !o.installCRC {
			var ce *crcctl.Error
			if errors.As(err, &ce) {
				ce.Hint = crcctl.ManualInstall(e.goos, goarch(), o.crc.Version, o.crc.Mirror) + "; then get a pull secret at https://console.redhat.com/openshift/create/local"
			}
			return err
		}
		path, err = o.install(ctx, e, paths)
	}
	if err != nil {
		return err
	}

	client := newCRCClient(e, path)
	e.status.Start("Ensuring OpenShift Local (CRC) is running")
	defer e.status.End(false)
	res, err := client.Up(ctx, crcctl.UpOptions{
		Settings:     o.settings,
		StartTimeout: o.crc.StartTimeout,
		Reporter:     e.status,
	})
	if err != nil {
		return err
	}
	e.status.End(true)

	st.CRC = res
	st.Kubeconfig, st.Context = e.kubeconfig, e.kubecontext
	if st.Kubeconfig == "" {
		st.Kubeconfig = paths.Kubeconfig
		if _, err := os.Stat(st.Kubeconfig); err != nil {
			e.status.Warnf("crc's kubeconfig %s is missing; `crc stop` and `pulllab up` rewrite it", st.Kubeconfig)
		}
	}
	e.log.Debugf("up: kubeconfig %s context %q", st.Kubeconfig, st.Context)
	e.status.Infof("oc is in %s; `pulllab env` prints the line that puts it on PATH", paths.OcDir)
	st.BaseImage = o.baseImageLine(e, res)
	return nil
}

// otherKubeconfig says why the lab's cluster is not OpenShift Local
// when the user named another one: --kubeconfig or $KUBECONFIG other than
// crc's kubeconfig, or a --context that crc's kubeconfig does not have;
// "" when the user named none (or crc's own).
func (o *upOptions) otherKubeconfig(e env, paths crcctl.Paths) string {
	switch {
	case e.kubeconfig != "":
		if !samePath(e.kubeconfig, paths.Kubeconfig) {
			return fmt.Sprintf("--kubeconfig %s is not OpenShift Local's kubeconfig", e.kubeconfig)
		}
	case e.envSet("KUBECONFIG"):
		v, _ := e.lookupEnv("KUBECONFIG")
		if !samePath(v, paths.Kubeconfig) {
			return fmt.Sprintf("$KUBECONFIG (%s) is not OpenShift Local's kubeconfig", v)
		}
	case e.kubecontext != "":
		if _, ok := crcKubeconfig(e, e.kubecontext); !ok {
			return fmt.Sprintf("--context %s is not a context of OpenShift Local's kubeconfig", e.kubecontext)
		}
	}
	return ""
}

// defaultCluster connects, when crc is not installed, to the cluster of
// the default kubeconfig (~/.kube/config); nil when there is none or it
// does not answer (then crc's not-installed error stands).
func (o *upOptions) defaultCluster(ctx context.Context, e env) (*cluster, string) {
	c, err := e.connectTo(ctx, "", e.kubecontext)
	if err != nil {
		e.log.Debugf("up: crc is not installed and the default kubeconfig reaches no cluster: %v", err)
		return nil, ""
	}
	return c, fmt.Sprintf("crc is not installed and %s reaches the cluster at %s", c.from, c.Host())
}

// samePath reports whether a and b name the same file: the same file on
// disk, or the same absolute path.
func samePath(a, b string) bool {
	if fa, err := os.Stat(a); err == nil {
		if fb, err := os.Stat(b); err == nil {
			return os.SameFile(fa, fb)
		}
	}
	aa, errA := filepath.Abs(a)
	ab, errB := filepath.Abs(b)
	return errA == nil && errB == nil && aa == ab
}

// labUpSteps are the steps of `pulllab up` after crc, on any target:
// connect and prepare the lab namespace, make the base image available,
// build both variants. Each step prints its own status lines.
func labUpSteps(e env, st *upState) []Step {
	var t *target.Target
	open := func(ctx context.Context) (*target.Target, error) {
		if t != nil {
			return t, nil
		}
		c := st.Cluster
		if c == nil {
			var err error
			if c, err = e.connectTo(ctx, st.Kubeconfig, st.Context); err != nil {
				return nil, err
			}
		}
		s := labSettings(e.cfg.Config.Lab)
		switch {
		case st.BaseImage != "" && st.BaseImage != s.BaseImage:
			// chosen for crc's preset by the crc step
			s = withBase(s, config.BaseImageChoice{Image: st.BaseImage, Why: "preset", Reason: lab.BaseReasonOKD})
		case c.Flavor != target.OpenShift:
			// plain Kubernetes or MicroShift: the public WildFly image
			// unless the user chose one
			s = withBase(s, clusterBaseImage(ctx, e, false, s.BaseImage, true))
		}
		lt, err := openLab(ctx, e, c, s)
		if err != nil {
			return nil, err
		}
		t = lt
		return t, nil
	}
	return []Step{
		{Name: "cluster", Run: func(ctx context.Context) error {
			t, err := open(ctx)
			if err != nil {
				return err
			}
			return t.Prepare(ctx)
		}},
		{Name: "image", Run: func(ctx context.Context) error {
			t, err := open(ctx)
			if err != nil {
				return err
			}
			_, err = t.EnsureBase(ctx)
			return err
		}},
		{Name: "build", Run: func(ctx context.Context) error {
			t, err := open(ctx)
			if err != nil {
				return err
			}
			builds, err := t.BuildVariants(ctx)
			if err != nil {
				return err
			}
			for _, bd := range builds {
				state := "reused"
				if bd.Built {
					state = "built"
				}
				e.status.Infof("%s: %s (%s)", bd.Variant.WAR(), bd.Digest, state)
			}
			fmt.Fprintf(e.out, "The lab is ready. Run 'pulllab verify' to run every case.\n")
			return nil
		}},
	}
}

// baseImageLine chooses the base image for the preset crc now runs and,
// on okd, says in one line which image the lab builds on and why (the EAP
// image needs registry.redhat.io credentials an okd cluster lacks).
func (o *upOptions) baseImageLine(e env, res *crcctl.UpResult) string {
	p := o.settings.Preset
	if res != nil && res.Status != nil && res.Status.Preset != "" {
		p = res.Status.Preset
	}
	choice := labBaseImage(e, e.cfg.Config.Lab.BaseImage, string(p))
	sayBaseImage(e, p, choice)
	return choice.Image
}

// install downloads and installs crc (--install-crc).
func (o *upOptions) install(ctx context.Context, e env, paths crcctl.Paths) (string, error) {
	file, err := crcctl.ReleaseFile(e.goos, goarch())
	if err != nil {
		return "", err
	}
	cache, err := e.cacheDir()
	if err != nil {
		return "", fmt.Errorf("finding a download directory: %w", err)
	}
	dir := filepath.Join(cache, "pulllab", "crc-"+o.crc.Version)
	e.status.Infof("crc is not installed; downloading crc %s (%s) from %s", o.crc.Version, file, o.crc.Mirror)
	p := newProgress(e.status, e.status.Smart(), file)
	dl := &crcctl.Downloader{UserAgent: version.UserAgent(), Log: e.log}
	if !e.quiet {
		dl.Progress = p.update
	}
	res, err := crcctl.Install(ctx, crcctl.InstallOptions{
		GOOS: e.goos, GOARCH: goarch(),
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
	e.status.Infof("verified the SHA-256 and installed crc %s at %s", o.crc.Version, res.CRC)
	return res.CRC, nil
}
