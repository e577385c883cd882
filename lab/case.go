// Package lab runs the imagePullPolicy experiment: it holds the case matrix,
// plans the order of the cases, brings the node's image cache and the
// registry into the state each case needs, deploys, gathers evidence from the
// kubelet and decides a verdict per case.
//
// The package talks to a cluster only through the Backend interface; the
// OpenShift and plain-Kubernetes backends live in sub-packages. It never
// imports urfave/cli and never reads the environment.
package lab

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Policy is a container's imagePullPolicy. The empty Policy means the field
// is omitted and the API server defaults it.
type Policy string

// The pull policies.
const (
	PolicyAlways       Policy = "Always"
	PolicyIfNotPresent Policy = "IfNotPresent"
	PolicyNever        Policy = "Never"
	PolicyDefault      Policy = ""
)

// String returns the policy name, or "(omitted)" for the default.
func (p Policy) String() string {
	if p == PolicyDefault {
		return "(omitted)"
	}
	return string(p)
}

// Variant names one of the two builds of the app. Both are pushed under the
// same tag; they differ only in the WAR they deploy.
type Variant string

// The two variants.
const (
	VariantNode     Variant = "node"
	VariantRegistry Variant = "registry"
)

// Variants lists the variants in a stable order.
var Variants = []Variant{VariantNode, VariantRegistry}

// WAR returns the file name of the variant's web archive, e.g. "node.war".
func (v Variant) WAR() string { return string(v) + ".war" }

// Holding is what the node's cache or the registry holds under the app's
// reference: nothing, or one of the variants.
type Holding string

// The holdings. HoldsAny is only valid as a requirement ("don't care").
const (
	HoldsNone     Holding = "none"
	HoldsNode     Holding = "node"
	HoldsRegistry Holding = "registry"
	HoldsAny      Holding = "any"
	// HoldsOther is only an observation: something the lab did not build
	// sits under the app's reference.
	HoldsOther Holding = "other"
)

// Variant returns the variant held, or "" for none, any and other.
func (h Holding) Variant() Variant {
	switch h {
	case HoldsNode:
		return VariantNode
	case HoldsRegistry:
		return VariantRegistry
	}
	return ""
}

// Holds returns the holding for a variant.
func Holds(v Variant) Holding {
	switch v {
	case VariantNode:
		return HoldsNode
	case VariantRegistry:
		return HoldsRegistry
	}
	return HoldsNone
}

// Satisfies reports whether an observed holding meets a required one.
func (h Holding) Satisfies(required Holding) bool {
	return required == HoldsAny || h == required
}

// RefKind is how the Deployment names the image.
type RefKind string

// The reference kinds.
const (
	// RefTag names the image by the app tag (the article's situation).
	RefTag RefKind = "tag"
	// RefDigest names the image by the digest the app tag points at in the
	// registry.
	RefDigest RefKind = "digest"
	// RefLatest names the image by the tag "latest".
	RefLatest RefKind = "latest"
)

// AppTag is the tag the article reuses for both variants.
const AppTag = "v1"

// LatestTag is the tag used by RefLatest cases.
const LatestTag = "latest"

// Tag returns the tag whose node and registry state a case with this
// reference kind depends on.
func (r RefKind) Tag() string {
	if r == RefLatest {
		return LatestTag
	}
	return AppTag
}

// Outcome is what a pod does: it runs, or it fails to start.
type Outcome string

// The outcomes.
const (
	OutcomeRuns  Outcome = "runs"
	OutcomeFails Outcome = "fails"
)

// Expect is the expected (or observed) outcome of a case: runs(variant) or
// fails(reason).
type Expect struct {
	Outcome Outcome `json:"outcome" yaml:"outcome"`
	// Variant is set when Outcome is OutcomeRuns.
	Variant Variant `json:"variant,omitempty" yaml:"variant,omitempty"`
	// Reason is the container's waiting reason when Outcome is OutcomeFails
	// (ImagePullBackOff, ErrImageNeverPull).
	Reason string `json:"reason,omitempty" yaml:"reason,omitempty"`
}

// Runs returns the expectation that the variant runs.
func Runs(v Variant) Expect { return Expect{Outcome: OutcomeRuns, Variant: v} }

// Fails returns the expectation that the pod fails with the reason.
func Fails(reason string) Expect { return Expect{Outcome: OutcomeFails, Reason: reason} }

// String renders the expectation like "runs(node)" or "fails(ImagePullBackOff)".
func (e Expect) String() string {
	switch e.Outcome {
	case OutcomeRuns:
		return fmt.Sprintf("runs(%s)", e.Variant)
	case OutcomeFails:
		return fmt.Sprintf("fails(%s)", e.Reason)
	}
	return "unknown"
}

// Waiting reasons the kubelet reports for image problems.
const (
	ReasonErrImagePull      = "ErrImagePull"
	ReasonImagePullBackOff  = "ImagePullBackOff"
	ReasonErrImageNeverPull = "ErrImageNeverPull"
)

// Case is one row of the matrix: the state it needs and what the kubelet
// should do in it.
type Case struct {
	ID       int     `json:"id" yaml:"id"`
	Policy   Policy  `json:"policy" yaml:"policy"`
	Node     Holding `json:"node" yaml:"node"`
	Registry Holding `json:"registry" yaml:"registry"`
	Ref      RefKind `json:"ref" yaml:"ref"`
	Expect   Expect  `json:"expect" yaml:"expect"`
	// Extended marks cases 7–12, run only with --extended.
	Extended bool `json:"extended" yaml:"extended"`
	// NoCredentials runs the case's pod in the second lab namespace, which
	// has no pull secret for the registry (cases 11 and 12).
	NoCredentials bool `json:"noCredentials,omitempty" yaml:"noCredentials,omitempty"`
	// NodePulledWithSecret requires that the node's image under the case's
	// tag was pulled by the kubelet for a pod that had the lab's pull secret
	// (a warm-up pod in the lab namespace during this run). A preloaded
	// copy (crictl pull, an earlier run) does not count: only a kubelet
	// pull makes the kubelet record the credentials (KEP-2535).
	NodePulledWithSecret bool `json:"nodePulledWithSecret,omitempty" yaml:"nodePulledWithSecret,omitempty"`
	// ExpectVerifying, when set, is the expectation on a kubelet that
	// re-checks the credentials of cached images (KEP-2535's gate
	// KubeletEnsureSecretPulledImages on, policy not NeverVerify); Expect is
	// then the expectation on one that does not. The runner picks one by
	// the state read from the node (Resolve).
	ExpectVerifying *Expect `json:"expectVerifying,omitempty" yaml:"expectVerifying,omitempty"`
}

// Resolve returns the case with the expectation for a kubelet that
// verifies cached images' credentials (verifies) or not. Cases without
// ExpectVerifying do not depend on it and are returned unchanged.
func (c Case) Resolve(verifies bool) Case {
	if c.ExpectVerifying == nil {
		return c
	}
	if verifies {
		c.Expect = *c.ExpectVerifying
	}
	c.ExpectVerifying = nil
	return c
}

// Name returns a short unique name such as "case-6-IfNotPresent".
func (c Case) Name() string {
	p := string(c.Policy)
	if p == "" {
		p = "default"
	}
	return fmt.Sprintf("case-%d-%s", c.ID, p)
}

// expectVerifying returns a pointer to e, for Case.ExpectVerifying.
func expectVerifying(e Expect) *Expect { return &e }

// matrix is the single table of cases: 1–6 from the article, 7–12
// extended. Cases 11 and 12 (KEP-2535) deploy from a namespace without
// credentials the tag whose node variant the kubelet pulled with the lab's
// pull secret; what they show depends on whether the kubelet re-checks.
var matrix = []Case{
	{ID: 1, Policy: PolicyAlways, Node: HoldsNode, Registry: HoldsNone, Ref: RefTag, Expect: Fails(ReasonImagePullBackOff)},
	{ID: 2, Policy: PolicyAlways, Node: HoldsNode, Registry: HoldsRegistry, Ref: RefTag, Expect: Runs(VariantRegistry)},
	{ID: 3, Policy: PolicyIfNotPresent, Node: HoldsNone, Registry: HoldsNone, Ref: RefTag, Expect: Fails(ReasonImagePullBackOff)},
	{ID: 4, Policy: PolicyIfNotPresent, Node: HoldsNone, Registry: HoldsRegistry, Ref: RefTag, Expect: Runs(VariantRegistry)},
	{ID: 5, Policy: PolicyIfNotPresent, Node: HoldsNode, Registry: HoldsNone, Ref: RefTag, Expect: Runs(VariantNode)},
	{ID: 6, Policy: PolicyIfNotPresent, Node: HoldsNode, Registry: HoldsRegistry, Ref: RefTag, Expect: Runs(VariantNode)},
	{ID: 7, Policy: PolicyNever, Node: HoldsNode, Registry: HoldsAny, Ref: RefTag, Expect: Runs(VariantNode), Extended: true},
	{ID: 8, Policy: PolicyNever, Node: HoldsNone, Registry: HoldsRegistry, Ref: RefTag, Expect: Fails(ReasonErrImageNeverPull), Extended: true},
	{ID: 9, Policy: PolicyIfNotPresent, Node: HoldsNode, Registry: HoldsRegistry, Ref: RefDigest, Expect: Runs(VariantRegistry), Extended: true},
	{ID: 10, Policy: PolicyDefault, Node: HoldsNode, Registry: HoldsRegistry, Ref: RefLatest, Expect: Runs(VariantRegistry), Extended: true},
	{ID: 11, Policy: PolicyIfNotPresent, Node: HoldsNode, Registry: HoldsRegistry, Ref: RefTag, Expect: Runs(VariantNode), Extended: true,
		NoCredentials: true, NodePulledWithSecret: true, ExpectVerifying: expectVerifying(Fails(ReasonImagePullBackOff))},
	{ID: 12, Policy: PolicyNever, Node: HoldsNode, Registry: HoldsRegistry, Ref: RefTag, Expect: Runs(VariantNode), Extended: true,
		NoCredentials: true, NodePulledWithSecret: true, ExpectVerifying: expectVerifying(Fails(ReasonErrImageNeverPull))},
}

// Matrix returns the article's six cases, and with extended also cases 7–12.
// The slice is a copy.
func Matrix(extended bool) []Case {
	var out []Case
	for _, c := range matrix {
		if extended || !c.Extended {
			out = append(out, c)
		}
	}
	return out
}

// CaseByID returns the case with the ID from the full matrix.
func CaseByID(id int) (Case, bool) {
	for _, c := range matrix {
		if c.ID == id {
			return c, true
		}
	}
	return Case{}, false
}

// SelectCases parses a selection such as "1,2,6" or "1-4,9" into cases, in
// ID order. An empty selection returns Matrix(extended). Selecting an
// extended case by number does not need extended.
func SelectCases(sel string, extended bool) ([]Case, error) {
	sel = strings.TrimSpace(sel)
	if sel == "" {
		return Matrix(extended), nil
	}
	seen := map[int]bool{}
	for _, part := range strings.Split(sel, ",") {
		part = strings.TrimSpace(part)
		lo, hi := part, part
		if i := strings.Index(part, "-"); i > 0 {
			lo, hi = part[:i], part[i+1:]
		}
		a, err1 := strconv.Atoi(strings.TrimSpace(lo))
		b, err2 := strconv.Atoi(strings.TrimSpace(hi))
		if err1 != nil || err2 != nil || a > b {
			return nil, fmt.Errorf("invalid case selection %q: use numbers and ranges such as 1,2,6 or 1-4", part)
		}
		for id := a; id <= b; id++ {
			if _, ok := CaseByID(id); !ok {
				return nil, fmt.Errorf("there is no case %d: cases are numbered 1 to %d", id, len(matrix))
			}
			seen[id] = true
		}
	}
	ids := make([]int, 0, len(seen))
	for id := range seen {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	out := make([]Case, 0, len(ids))
	for _, id := range ids {
		c, _ := CaseByID(id)
		out = append(out, c)
	}
	return out, nil
}
