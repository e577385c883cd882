package lab

import (
	"fmt"
	"strings"
)

// VariantUnknown is the observed variant of a container that runs an image
// which is neither of the lab's variants.
const VariantUnknown Variant = "unknown"

// Decision is the verdict on one case and the evidence it rests on.
type Decision struct {
	// Observed is the outcome read from the evidence; nil when the pod
	// reached no state pulllab can judge.
	Observed *Expect
	// RanVariant is the variant the container's imageID names.
	RanVariant Variant
	// LogVariant is the variant named by the WAR in the container log.
	LogVariant Variant
	Verdict    Verdict
	// Detail explains the verdict in one sentence.
	Detail string
}

// ObservedOutcome reads the outcome from an observation: runs(variant) when
// the container is Running or Ready (the variant from its imageID, or
// VariantUnknown), fails(reason) when it waits with an image pull reason
// (or any other waiting reason). ok is false when the observation timed out
// or shows neither.
func ObservedOutcome(o Observation, builds map[Variant]Build) (e Expect, ok bool) {
	if o.TimedOut {
		return Expect{}, false
	}
	if o.Ready || o.Status == "Running" {
		v := VariantOfImageID(o.ImageID, builds)
		if v == "" {
			v = VariantUnknown
		}
		return Runs(v), true
	}
	if o.Reason != "" {
		return Fails(o.Reason), true
	}
	if isPullFailure(o.Status) {
		return Fails(o.Status), true
	}
	return Expect{}, false
}

// Decide compares what the case's pod did with what the case expects. The
// container's imageID decides which variant ran; the WAR named in the log
// must agree with it, or the case fails. A pod that reached no judgeable
// state is an error.
func Decide(c Case, o Observation, builds map[Variant]Build, p Profile) Decision {
	var d Decision
	logVariant, war := LogVariant(p, o.LogLine)
	d.LogVariant = logVariant
	ev := SummarizeEvents(o.Events)

	obs, ok := ObservedOutcome(o, builds)
	if !ok {
		d.Verdict = VerdictError
		if o.TimedOut {
			d.Detail = fmt.Sprintf("the pod reached no final state within the case timeout (last status %s)%s", orUnknown(o.Status), evidenceSuffix(ev))
		} else {
			d.Detail = fmt.Sprintf("the pod ended in a state pulllab cannot judge (status %s)", orUnknown(o.Status))
		}
		return d
	}
	d.Observed = &obs

	if obs.Outcome == OutcomeFails {
		msg := ""
		if o.Message != "" {
			msg = ": " + clip(o.Message, 200)
		}
		switch {
		case c.Expect.Outcome == OutcomeFails && sameFailure(c.Expect.Reason, obs.Reason):
			d.Verdict = VerdictPass
			d.Detail = fmt.Sprintf("the container waits with %s, as expected%s", obs.Reason, evidenceSuffix(ev))
		case c.Expect.Outcome == OutcomeFails:
			d.Verdict = VerdictFail
			d.Detail = fmt.Sprintf("expected %s, but the container waits with %s%s", c.Expect.Reason, obs.Reason, msg)
		default:
			d.Verdict = VerdictFail
			d.Detail = fmt.Sprintf("expected %s to run, but the container waits with %s%s", c.Expect.Variant.WAR(), obs.Reason, msg)
		}
		if o.StatusNote != "" {
			d.Detail += "; " + o.StatusNote // the pod line lags the event
		}
		return d
	}

	// The container runs.
	d.RanVariant = obs.Variant
	if obs.Variant == VariantUnknown {
		d.Verdict = VerdictFail
		d.Detail = fmt.Sprintf("the container runs imageID %s, which is neither the node variant (%s) nor the registry variant (%s)",
			orUnknown(o.ImageID), shortDigest(builds[VariantNode].Digest), shortDigest(builds[VariantRegistry].Digest))
		return d
	}
	if war != "" && logVariant != obs.Variant {
		d.Verdict = VerdictFail
		if logVariant == "" {
			d.Detail = fmt.Sprintf("the digest and the log disagree: the imageID %s is the %s variant, but the log names %s, which neither variant deploys",
				shortDigest(o.ImageID), obs.Variant, war)
		} else {
			d.Detail = fmt.Sprintf("the digest and the log disagree: the imageID %s is the %s variant, but the log names %s",
				shortDigest(o.ImageID), obs.Variant, war)
		}
		return d
	}
	logPart := fmt.Sprintf(" and the log names %s", war)
	switch {
	case war == "" && o.LogNote != "":
		logPart = "; " + o.LogNote // silent, ended, or unreadable
	case war == "":
		logPart = "; the log had no line naming a WAR"
	}
	switch {
	case c.Expect.Outcome == OutcomeRuns && c.Expect.Variant == obs.Variant:
		d.Verdict = VerdictPass
		d.Detail = fmt.Sprintf("%s ran as expected: the imageID %s is the %s variant%s%s",
			obs.Variant.WAR(), shortDigest(o.ImageID), obs.Variant, logPart, evidenceSuffix(ev))
	case c.Expect.Outcome == OutcomeRuns:
		d.Verdict = VerdictFail
		d.Detail = fmt.Sprintf("expected %s to run, but %s ran: the imageID %s is the %s variant%s%s",
			c.Expect.Variant.WAR(), obs.Variant.WAR(), shortDigest(o.ImageID), obs.Variant, logPart, evidenceSuffix(ev))
	default:
		d.Verdict = VerdictFail
		d.Detail = fmt.Sprintf("expected %s, but %s ran: the imageID %s is the %s variant%s",
			c.Expect.Reason, obs.Variant.WAR(), shortDigest(o.ImageID), obs.Variant, evidenceSuffix(ev))
	}
	return d
}

func evidenceSuffix(ev PullEvidence) string {
	if s := ev.String(); s != "" {
		return "; " + s
	}
	return ""
}

// shortDigest shortens a digest or imageID to "sha256:" and 12 hex digits.
func shortDigest(s string) string {
	h := digestHex(s)
	if h == "" {
		return "(none)"
	}
	if len(h) > 12 {
		h = h[:12]
	}
	return "sha256:" + h
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// clip shortens s to at most n bytes on a rune boundary, marking the cut.
func clip(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) <= n {
		return s
	}
	for n > 0 && !isRuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }
