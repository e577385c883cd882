package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/crc-org/crc/v2/pkg/crc/preset"

	"github.com/pulllab/pulllab/crcctl"
	"github.com/pulllab/pulllab/internal/config"
)

// crcSettings returns the CRC settings in effect: defaults, pulllab.yaml,
// PULLLAB_* variables and the command's flags (see configFlags), merged by
// the config loader before the command's Action runs. It is the one place
// the crc commands read settings from.
func crcSettings(g *globals) config.CRC {
	return g.cfg.Config.CRC
}

// crcFlagPaths are the settings `pulllab up` takes as flags.
var crcFlagPaths = []string{
	"crc.pullSecretFile", "crc.cpus", "crc.memory", "crc.diskSize",
	"crc.consentTelemetry", "crc.startTimeout", "crc.version", "crc.mirror",
}

// crcctlSettings turns the CRC settings into crcctl's, with the pull
// secret's path made absolute (crc stores it verbatim). Sizes and the
// telemetry answer that nobody set (still pulllab's defaults, which are
// crc's) are passed as zero, so crcctl keeps what the user may have set
// with `crc config set`. crc's minimums are checked by crcctl, not here.
func crcctlSettings(g *globals, c config.CRC) (crcctl.Settings, error) {
	ps, err := absPath(g, c.PullSecretFile)
	if err != nil {
		return crcctl.Settings{}, usagef("pull secret %s: %v", c.PullSecretFile, err)
	}
	s := crcctl.Settings{
		Preset:             preset.OpenShift,
		CPUs:               c.CPUs,
		MemoryMiB:          c.MemoryMiB,
		DiskGiB:            c.DiskGiB,
		PullSecretFile:     ps,
		ConsentTelemetry:   strings.ToLower(c.ConsentTelemetry),
		DisableUpdateCheck: true,
	}
	unset := func(path string) bool { return g.cfg.Source(path) == config.SourceDefault }
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
func absPath(g *globals, p string) (string, error) {
	if p == "" {
		return "", nil
	}
	if p == "~" || strings.HasPrefix(p, "~/") || strings.HasPrefix(p, `~\`) {
		home, err := g.homeDir()
		if err != nil {
			return "", err
		}
		p = filepath.Join(home, p[1:])
	}
	return filepath.Abs(p)
}

// crcPaths returns crc's paths for this user.
func crcPaths(g *globals) (crcctl.Paths, error) {
	home, err := g.homeDir()
	if err != nil {
		return crcctl.Paths{}, fmt.Errorf("finding the home directory: %w", err)
	}
	return crcctl.NewPaths(g.goos, home), nil
}

// findCRC looks for crc on PATH and in its usual places.
func findCRC(g *globals, p crcctl.Paths) (string, error) {
	path, err := crcctl.Finder{Paths: p, LookPath: exec.LookPath, Stat: os.Stat}.Find()
	if err == nil {
		g.log.Debugf("using crc at %s", path)
	}
	return path, err
}

// newCRCClient runs crc at path with this process's environment.
func newCRCClient(g *globals, path string) *crcctl.Client {
	return crcctl.New(&crcctl.ExecRunner{Env: os.Environ(), Log: g.log}, path, g.log)
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
