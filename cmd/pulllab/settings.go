package main

import (
	"errors"
	"regexp"

	"github.com/pulllab/pulllab/internal/config"
	"github.com/pulllab/pulllab/lab"
)

// The libraries (lab/..., crcctl) name a setting by its key path in
// pulllab.yaml ("lab.registry", "crc.memory") and never a flag or a
// variable; they do not know where the user gave the value. The command
// line does (config.Effective records the source of every value), so it
// renders each setting in their messages as the user should change it.

// settingPathRE finds a candidate key path: a section, a dot and a name,
// not inside a longer word or path ("pulllab.yaml" has no key "lab.yaml"
// and "xlab.node" is no key either; renderSettings checks the table).
var settingPathRE = regexp.MustCompile(`(^|[^A-Za-z0-9_./-])((?:crc|lab)\.[A-Za-z]+)\b`)

// renderSettings rewrites every setting key path in text with
// eff.Mention: "--registry", "PULLLAB_REGISTRY" or "lab.registry
// (pulllab.yaml:3)". Text that names no setting is returned unchanged.
func renderSettings(text string, eff *config.Effective) string {
	if eff == nil {
		eff = config.NewEffective()
	}
	return settingPathRE.ReplaceAllStringFunc(text, func(m string) string {
		sub := settingPathRE.FindStringSubmatch(m)
		if _, ok := config.LookupKey(sub[2]); !ok {
			return m
		}
		return sub[1] + eff.Mention(sub[2])
	})
}

// explain is an error's message as the user reads it: the settings the
// libraries name rendered for the command line (a usage error is worded
// for it already), and what to run when the lab is not set up yet.
func (g *globals) explain(err error) string {
	msg := err.Error()
	var usage *usageError
	if !errors.As(err, &usage) {
		msg = renderSettings(msg, g.cfg)
	}
	if errors.Is(err, lab.ErrNotPrepared) {
		msg += "; run 'pulllab up' to set it up"
	}
	return msg
}

// renderSettings renders the settings and the actions named in the
// report's problems and fixes, which come from crcctl and the lab (see
// renderSettings and withSelf), for every output format.
func (r *statusReport) renderSettings(eff *config.Effective) {
	for _, p := range []*string{&r.CRC.Problem, &r.CRC.Fix, &r.KubeconfigNote, &r.LabProblem} {
		*p = withSelf(renderSettings(*p, eff), r.self)
	}
}
