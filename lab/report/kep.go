package report

import (
	"strings"

	"github.com/pulllab/pulllab/lab"
)

// KEP-2535's cases: the node variant, pulled by the kubelet for a pod with
// the lab's pull secret, deployed from a namespace without credentials
// (11 with IfNotPresent, 12 with Never).
const (
	kepCaseIfNotPresent = 11
	kepCaseNever        = 12
)

// verdictSkipped is the verdict of a case that cannot show anything on the
// cluster (e.g. 11 and 12 where the registry serves without credentials).
const verdictSkipped lab.Verdict = "skipped"

// kepView is the KEP-2535 section: the state as read (or inferred, or only
// the old one-line record) and what cases 11 and 12 showed.
type kepView struct {
	// Gate is "on", "off", "unknown", or "" when not recorded.
	Gate string
	// Policy is imagePullCredentialsVerificationPolicy; PolicyDefaulted
	// marks the kubelet default shown because none was read.
	Policy          string
	PolicyDefaulted bool
	Allowlist       []string
	// Source is "configz", "metrics", "kubelet version", or "" for results
	// that carry only the one-line record; Detail is how or why.
	Source string
	Detail string
	// Legacy is set for results written before the state was read: only
	// EnsureSecretPulledImages is known.
	Legacy bool
	// Inferred is set when the state came from the kubelet version.
	Inferred bool
	// Verifies and Known are (*lab.KubeletImageCredentials).Verifies.
	Verifies bool
	Known    bool
	// Cases are cases 11 and 12 when the results hold them.
	Cases []*kepCase
}

// kepCase is case 11 or 12 and what it showed.
type kepCase struct {
	*caseView
	// Skipped: the case could not show anything here (Detail says why).
	Skipped bool
	// Borrowed: the pod without credentials ran the node's cached image.
	Borrowed bool
	// Refused: the pod failed (the kubelet re-checked the credentials).
	Refused bool
	// Fresh: the pod ran the registry's image (the kubelet pulled it
	// anonymously: the registry serves without credentials after all).
	Fresh bool
	// Pass is the verdict pass.
	Pass bool
}

// newKEPView reads the KEP-2535 state from env and picks cases 11 and 12.
func newKEPView(env lab.Environment, cases []*caseView) kepView {
	var k kepView
	if s := env.KubeletImageCredentials; s != nil {
		k.Gate, k.Policy, k.PolicyDefaulted, k.Allowlist = s.Gate, s.Policy, s.PolicyDefaulted, s.Allowlist
		k.Source, k.Detail, k.Inferred = s.Source, s.Detail, s.Inferred()
		k.Verifies, k.Known = s.Verifies()
		if k.Gate == "" {
			k.Gate = lab.GateUnknown
		}
	} else if env.EnsureSecretPulledImages != "" {
		st, why, _ := strings.Cut(env.EnsureSecretPulledImages, ":")
		k.Legacy, k.Gate, k.Detail = true, strings.TrimSpace(st), strings.TrimSpace(why)
		k.Verifies, k.Known = (&lab.KubeletImageCredentials{Gate: k.Gate}).Verifies()
	}
	for _, c := range cases {
		if c.Case.ID != kepCaseIfNotPresent && c.Case.ID != kepCaseNever {
			continue
		}
		kc := &kepCase{caseView: c, Skipped: c.Verdict == verdictSkipped, Pass: c.Verdict == lab.VerdictPass}
		if o := c.Observed; o != nil && !kc.Skipped {
			switch {
			case o.Outcome == lab.OutcomeRuns && c.Ran == lab.VariantNode:
				kc.Borrowed = true
			case o.Outcome == lab.OutcomeRuns && c.Ran == lab.VariantRegistry:
				kc.Fresh = true
			case o.Outcome == lab.OutcomeFails:
				kc.Refused = true
			}
		}
		k.Cases = append(k.Cases, kc)
	}
	return k
}
