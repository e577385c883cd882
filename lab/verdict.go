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
	// Detail explains the verdict in one English sentence (for logs and
	// the English report).
	Detail string
	// Explanation is the same explanation as a key and the facts it
	// names, for the reports to word in their language.
	Explanation *Explanation
}

// ExplanationKey names the shape of a verdict's explanation.
type ExplanationKey string

// The explanations Decide gives.
const (
	// ExplainTimedOut: the pod reached no final state in time (Status).
	ExplainTimedOut ExplanationKey = "timed-out"
	// ExplainUnjudgeable: the pod ended in a state pulllab cannot judge (Status).
	ExplainUnjudgeable ExplanationKey = "unjudgeable"
	// ExplainFailsAsExpected: the container waits with the expected Reason.
	ExplainFailsAsExpected ExplanationKey = "fails-as-expected"
	// ExplainFailsOtherReason: the container waits with Reason, not the
	// expected one.
	ExplainFailsOtherReason ExplanationKey = "fails-other-reason"
	// ExplainFailsInsteadOfRunning: a variant was expected to run, but the
	// container waits with Reason.
	ExplainFailsInsteadOfRunning ExplanationKey = "fails-instead-of-running"
	// ExplainRunsUnknownImage: the container runs ImageID, which is
	// neither variant (NodeDigest, RegistryDigest).
	ExplainRunsUnknownImage ExplanationKey = "runs-unknown-image"
	// ExplainLogDisagrees: ImageID is Variant, but the log names WAR
	// (LogVariant, or none when the WAR is neither variant's).
	ExplainLogDisagrees ExplanationKey = "log-disagrees"
	// ExplainRunsAsExpected: the expected Variant ran.
	ExplainRunsAsExpected ExplanationKey = "runs-as-expected"
	// ExplainRunsOtherVariant: another variant than the expected one ran.
	ExplainRunsOtherVariant ExplanationKey = "runs-other-variant"
	// ExplainRunsInsteadOfFailing: a failure was expected, but Variant ran.
	ExplainRunsInsteadOfFailing ExplanationKey = "runs-instead-of-failing"
)

// Evidence kinds: what the kubelet's events say about the image, in the
// order PullEvidence.String names them.
const (
	EvidencePresent   = "present"
	EvidencePulled    = "pulled"
	EvidencePullFail  = "pull-failed"
	EvidenceBackOff   = "back-off"
	EvidenceNeverPull = "never-pull"
)

// Explanation is a verdict's explanation without words: a key and the
// facts it names. The expected outcome is the case's own (Case.Expect).
// Notes from the observation (StatusNote, LogNote) are kept as pulllab
// recorded them.
type Explanation struct {
	Key ExplanationKey `json:"key" yaml:"key"`
	// Status is the pod's last status (timed-out, unjudgeable).
	Status string `json:"status,omitempty" yaml:"status,omitempty"`
	// Reason is the observed waiting reason.
	Reason string `json:"reason,omitempty" yaml:"reason,omitempty"`
	// Message is the kubelet's waiting message, shortened.
	Message string `json:"message,omitempty" yaml:"message,omitempty"`
	// Variant is the variant the imageID names.
	Variant Variant `json:"variant,omitempty" yaml:"variant,omitempty"`
	// ImageID is the container's imageID, shortened to 12 hex digits.
	ImageID string `json:"imageID,omitempty" yaml:"imageID,omitempty"`
	// NodeDigest and RegistryDigest are the variants' short digests
	// (runs-unknown-image).
	NodeDigest     string `json:"nodeDigest,omitempty" yaml:"nodeDigest,omitempty"`
	RegistryDigest string `json:"registryDigest,omitempty" yaml:"registryDigest,omitempty"`
	// WAR is the WAR the log names; LogVariant the variant deploying it.
	WAR        string  `json:"war,omitempty" yaml:"war,omitempty"`
	LogVariant Variant `json:"logVariant,omitempty" yaml:"logVariant,omitempty"`
	// Evidence lists what the events say (Evidence* constants).
	Evidence []string `json:"evidence,omitempty" yaml:"evidence,omitempty"`
	// StatusNote is set when the pod line lags the event the verdict
	// rests on; LogNote says why the log named no WAR.
	StatusNote string `json:"statusNote,omitempty" yaml:"statusNote,omitempty"`
	LogNote    string `json:"logNote,omitempty" yaml:"logNote,omitempty"`
}

// Kinds lists the evidence as Evidence* constants.
func (p PullEvidence) Kinds() []string {
	var k []string
	if p.AlreadyPresent {
		k = append(k, EvidencePresent)
	}
	if p.Pulled {
		k = append(k, EvidencePulled)
	}
	if p.PullFailed {
		k = append(k, EvidencePullFail)
	}
	if p.BackOff {
		k = append(k, EvidenceBackOff)
	}
	if p.NeverPull {
		k = append(k, EvidenceNeverPull)
	}
	return k
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
	if IsExpectedPullFailure(o.Status) {
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
	x := &Explanation{Evidence: ev.Kinds()}
	d.Explanation = x

	obs, ok := ObservedOutcome(o, builds)
	if !ok {
		d.Verdict = VerdictError
		x.Status = o.Status
		x.Key = ExplainUnjudgeable
		if o.TimedOut {
			x.Key = ExplainTimedOut
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
		x.Reason = obs.Reason
		x.StatusNote = o.StatusNote
		switch {
		case c.Expect.Outcome == OutcomeFails && sameFailure(c.Expect.Reason, obs.Reason):
			d.Verdict = VerdictPass
			x.Key = ExplainFailsAsExpected
			d.Detail = fmt.Sprintf("the container waits with %s, as expected%s", obs.Reason, evidenceSuffix(ev))
		case c.Expect.Outcome == OutcomeFails:
			d.Verdict = VerdictFail
			x.Key, x.Message = ExplainFailsOtherReason, clip(o.Message, 200)
			d.Detail = fmt.Sprintf("expected %s, but the container waits with %s%s", c.Expect.Reason, obs.Reason, msg)
		default:
			d.Verdict = VerdictFail
			x.Key, x.Message = ExplainFailsInsteadOfRunning, clip(o.Message, 200)
			d.Detail = fmt.Sprintf("expected %s to run, but the container waits with %s%s", c.Expect.Variant.WAR(), obs.Reason, msg)
		}
		if o.StatusNote != "" {
			d.Detail += "; " + o.StatusNote // the pod line lags the event
		}
		return d
	}

	// The container runs.
	d.RanVariant = obs.Variant
	x.Variant, x.ImageID = obs.Variant, shortDigest(o.ImageID)
	if obs.Variant == VariantUnknown {
		d.Verdict = VerdictFail
		x.Key, x.ImageID = ExplainRunsUnknownImage, orUnknown(o.ImageID)
		x.NodeDigest, x.RegistryDigest = shortDigest(builds[VariantNode].Digest), shortDigest(builds[VariantRegistry].Digest)
		d.Detail = fmt.Sprintf("the container runs imageID %s, which is neither the node variant (%s) nor the registry variant (%s)",
			orUnknown(o.ImageID), shortDigest(builds[VariantNode].Digest), shortDigest(builds[VariantRegistry].Digest))
		return d
	}
	x.WAR, x.LogVariant = war, logVariant
	if war != "" && logVariant != obs.Variant {
		d.Verdict = VerdictFail
		x.Key = ExplainLogDisagrees
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
		x.LogNote = o.LogNote
	case war == "":
		logPart = "; the log had no line naming a WAR"
	}
	switch {
	case c.Expect.Outcome == OutcomeRuns && c.Expect.Variant == obs.Variant:
		d.Verdict = VerdictPass
		x.Key = ExplainRunsAsExpected
		d.Detail = fmt.Sprintf("%s ran as expected: the imageID %s is the %s variant%s%s",
			obs.Variant.WAR(), shortDigest(o.ImageID), obs.Variant, logPart, evidenceSuffix(ev))
	case c.Expect.Outcome == OutcomeRuns:
		d.Verdict = VerdictFail
		x.Key = ExplainRunsOtherVariant
		d.Detail = fmt.Sprintf("expected %s to run, but %s ran: the imageID %s is the %s variant%s%s",
			c.Expect.Variant.WAR(), obs.Variant.WAR(), shortDigest(o.ImageID), obs.Variant, logPart, evidenceSuffix(ev))
	default:
		d.Verdict = VerdictFail
		x.Key = ExplainRunsInsteadOfFailing
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
