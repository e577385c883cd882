package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/crc-org/crc/v2/pkg/crc/preset"

	"github.com/pulllab/pulllab/crcctl"
	"github.com/pulllab/pulllab/internal/config"
)

// crcSettings returns the CRC settings in effect: defaults, pulllab.yaml,
// PULLLAB_* variables and the command's flags (see configFlags), merged by
// the config loader before the command's Action runs. It is the one place
// the crc commands read settings from.
func crcSettings(e env) config.CRC {
	return e.cfg.Config.CRC
}

// crcFlagPaths are the settings `pulllab up` takes as flags.
var crcFlagPaths = []string{
	"crc.preset", "crc.pullSecretFile", "crc.cpus", "crc.memory", "crc.diskSize",
	"crc.consentTelemetry", "crc.startTimeout", "crc.version", "crc.mirror",
}

// crcctlSettings turns the CRC settings into crcctl's, with the pull
// secret's path made absolute (crc stores it verbatim). Sizes and the
// telemetry answer that nobody set (still pulllab's defaults, which are
// crc's) are passed as zero, so crcctl keeps what the user may have set
// with `crc config set`. crc's minimums are checked by crcctl, not here.
func crcctlSettings(e env, c config.CRC) (crcctl.Settings, error) {
	ps, err := absPath(e, c.PullSecretFile)
	if err != nil {
		return crcctl.Settings{}, usagef("pull secret %s: %v", c.PullSecretFile, err)
	}
	s := crcctl.Settings{
		Preset:             preset.Preset(c.Preset),
		CPUs:               c.CPUs,
		MemoryMiB:          c.MemoryMiB,
		DiskGiB:            c.DiskGiB,
		PullSecretFile:     ps,
		ConsentTelemetry:   strings.ToLower(c.ConsentTelemetry),
		DisableUpdateCheck: true,
	}
	unset := func(path string) bool { return e.cfg.Source(path) == config.SourceDefault }
	if unset("crc.cpus") {
		s.CPUs = 0
	}
	if unset("crc.memory") {
		s.MemoryMiB = 0
	}
	if unset("crc.diskSize") {
		s.DiskGiB = 0
	}
	if unset("crc.consentTelemetry") {
		s.ConsentTelemetry = ""
	}
	return s, nil
}

// absPath expands a leading ~ and makes p absolute; "" stays "".
func absPath(e env, p string) (string, error) {
	if p == "" {
		return "", nil
	}
	if p == "~" || strings.HasPrefix(p, "~/") || strings.HasPrefix(p, `~\`) {
		home, err := e.homeDir()
		if err != nil {
			return "", err
		}
		p = filepath.Join(home, p[1:])
	}
	return filepath.Abs(p)
}

// crcPaths returns crc's paths for this user.
func crcPaths(e env) (crcctl.Paths, error) {
	home, err := e.homeDir()
	if err != nil {
		return crcctl.Paths{}, fmt.Errorf("finding the home directory: %w", err)
	}
	return crcctl.NewPaths(e.goos, home), nil
}

// findCRC looks for crc on PATH and in its usual places.
func findCRC(e env, p crcctl.Paths) (string, error) {
	path, err := crcctl.Finder{Paths: p, LookPath: exec.LookPath, Stat: os.Stat}.Find()
	if err == nil {
		e.log.Debugf("using crc at %s", path)
	}
	return path, err
}

// newCRCClient runs crc at path with this process's environment.
func newCRCClient(e env, path string) *crcctl.Client {
	return crcctl.New(&crcctl.ExecRunner{Env: os.Environ(), Log: e.log}, path, e.log)
}

// validateOutput accepts the -o values a command supports ("" is text).
func validateOutput(o string, allowed ...string) error {
	if o == "" || o == "text" {
		return nil
	}
	for _, a := range allowed {
		if o == a {
			return nil
		}
	}
	return usagef("-o %q is not a format; use %s", o, strings.Join(append([]string{"text"}, allowed...), ", "))
}

// goarch is the architecture crc is installed for: pulllab's own.
func goarch() string { return runtime.GOARCH }

// checkPreset refuses, before anything is touched, a preset `pulllab up`
// cannot use: microshift (no ImageStreams, builds or internal registry;
// the message says what works there instead) and okd on arm64 (crc has
// no okd bundle for it). Exit code 2.
func checkPreset(p preset.Preset) error {
	if p == preset.Microshift {
		return &crcctl.Error{Kind: crcctl.KindOther, Msg: crcctl.MicroShiftNote, Hint: crcctl.MicroShiftFix}
	}
	if err := crcctl.PresetSupported(p, goarch()); err != nil {
		return err
	}
	return nil
}

// crcPresetInUse is the preset of the OpenShift Local cluster the lab
// talks to: the crc.preset setting when the user gave it; else, when the
// kubeconfig is crc's own (no --kubeconfig, no $KUBECONFIG), the preset
// of crc's VM as `crc status` reports it; else "" (not CRC, or unknown).
func crcPresetInUse(ctx context.Context, e env) string {
	if e.cfg.Source("crc.preset") != config.SourceDefault {
		return e.cfg.Config.CRC.Preset
	}
	if e.kubeconfig != "" || e.envSet("KUBECONFIG") {
		return ""
	}
	c := installedCRC(e)
	if c == nil {
		return ""
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	st, err := c.Status(ctx)
	if err != nil {
		e.log.Debugf("crc status for the preset: %v", err)
		return ""
	}
	return string(st.Preset)
}

// labBaseImage is the base image the lab builds on for a cluster of crc
// preset p ("" when not CRC or unknown), with the line that says why when
// pulllab chose it (config.ChooseBaseImage has the rule).
func labBaseImage(e env, configured string, p string) config.BaseImageChoice {
	return config.ChooseBaseImage(configured, e.cfg.Source("lab.baseImage") != config.SourceDefault, p)
}

// clusterBaseImage is the base image the lab builds on in a cluster
// (openshift: an OpenShift one): on an OpenShift Local cluster of the okd preset, the public WildFly S2I
// image unless the user chose one; on plain Kubernetes, the public WildFly
// image unless the user chose one; otherwise the configured image. With
// say, a choice pulllab made is told in one line (verify); status is
// silent.
func clusterBaseImage(ctx context.Context, e env, openshift bool, configured string, say bool) config.BaseImageChoice {
	if !openshift {
		choice := config.ChooseKubernetesBaseImage(configured, e.cfg.Source("lab.baseImage") != config.SourceDefault)
		if say && choice.Why != "" {
			e.status.Infof("%s", choice.Why)
		}
		return choice
	}
	p := preset.Preset(crcPresetInUse(ctx, e))
	choice := labBaseImage(e, configured, string(p))
	if say {
		sayBaseImage(e, p, choice)
	}
	return choice
}

// sayBaseImage prints, on okd, the one line saying which base image the
// lab builds on and why: a warning when it is the EAP image, which needs
// registry.redhat.io credentials an okd cluster lacks.
func sayBaseImage(e env, p preset.Preset, choice config.BaseImageChoice) {
	if p != preset.OKD {
		return
	}
	c := crcctl.BaseImageCheck(p, choice.Image, choice.Why)
	if c.Status == crcctl.CheckOK {
		e.status.Infof("%s", c.Message)
		return
	}
	e.status.Warnf("%s; fix: %s", withSelf(c.Message, e.self), withSelf(c.Fix, e.self))
}
