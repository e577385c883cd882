package lab

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
)

// OpKind is a kind of state-changing operation.
type OpKind string

// The operations the runner uses to reach a case's state.
const (
	// OpPointApp points the registry's app tag at a stashed variant (a tag
	// operation, cheap).
	OpPointApp OpKind = "point-app"
	// OpRemoveApp removes the app tag from the registry (cheap).
	OpRemoveApp OpKind = "remove-app"
	// OpWarmNode puts a variant into the node's cache under the app tag:
	// it points the registry tag at the variant and runs a short warm-up pod
	// with imagePullPolicy Always, which pulls it (expensive). It leaves the
	// registry tag on that variant.
	OpWarmNode OpKind = "warm-node"
	// OpRemoveNodeImage removes the image the node holds under the app tag
	// (medium: an exec on the node).
	OpRemoveNodeImage OpKind = "remove-node-image"
)

// Relative costs of the operations. A warm-up runs a pod and pulls an app
// server image; a node removal is one exec; tag operations are one API call.
const (
	CostTagOp      = 1
	CostRemoveNode = 3
	CostWarmNode   = 10
)

// Op is one state-changing operation on one tag.
type Op struct {
	Kind OpKind `json:"kind" yaml:"kind"`
	Tag  string `json:"tag" yaml:"tag"`
	// Variant is set for OpPointApp and OpWarmNode.
	Variant Variant `json:"variant,omitempty" yaml:"variant,omitempty"`
	// AllTags is set for OpRemoveApp when the backend removes every app
	// tag at once (OpenShift deletes the app's ImageStream).
	AllTags bool `json:"allTags,omitempty" yaml:"allTags,omitempty"`
}

// RegistryModel says what the backend's RemoveApp removes, so the plan
// simulates what the runner will really do.
type RegistryModel int

const (
	// RemovesTag: RemoveApp removes only the given tag (an OCI registry:
	// pulllab deletes the tag's manifest and puts the other tags back).
	RemovesTag RegistryModel = iota
	// RemovesAllAppTags: RemoveApp removes every app tag (OpenShift: it
	// deletes the ImageStream custom-image-java, v1 and latest alike, as
	// the article does with `oc delete is`).
	RemovesAllAppTags
)

// AllAppTagsRemover is implemented by a backend whose RemoveApp removes
// every app tag at once.
type AllAppTagsRemover interface {
	// RemovesAllAppTags reports whether RemoveApp removes every app tag.
	RemovesAllAppTags() bool
}

// ModelOf returns the RegistryModel of backend b: RemovesAllAppTags when
// it says so, else RemovesTag.
func ModelOf(b any) RegistryModel {
	if r, ok := b.(AllAppTagsRemover); ok && r.RemovesAllAppTags() {
		return RemovesAllAppTags
	}
	return RemovesTag
}

// Cost is the operation's relative cost.
func (o Op) Cost() int {
	switch o.Kind {
	case OpWarmNode:
		return CostWarmNode
	case OpRemoveNodeImage:
		return CostRemoveNode
	}
	return CostTagOp
}

// String describes the operation for people.
func (o Op) String() string {
	switch o.Kind {
	case OpPointApp:
		return fmt.Sprintf("point the registry tag %s at the %s variant (%s)", o.Tag, o.Variant, o.Variant.WAR())
	case OpRemoveApp:
		if o.AllTags {
			return fmt.Sprintf("delete the app's ImageStream %s, so that the registry serves nothing under %s (nor under any other app tag)", AppName, o.Tag)
		}
		return fmt.Sprintf("remove the tag %s from the registry", o.Tag)
	case OpWarmNode:
		return fmt.Sprintf("warm the node: point the tag %s at the %s variant (%s) and pull it with a warm-up pod (imagePullPolicy Always)", o.Tag, o.Variant, o.Variant.WAR())
	case OpRemoveNodeImage:
		return fmt.Sprintf("remove the image tagged %s from the node's cache", o.Tag)
	}
	return fmt.Sprintf("%s %s %s", o.Kind, o.Tag, o.Variant)
}

// hcode is a Holding as a small number, for the planner's search.
type hcode uint8

const (
	hNone hcode = iota
	hNode
	hRegistry
	hOther
)

func codeOf(h Holding) hcode {
	switch h {
	case HoldsNode:
		return hNode
	case HoldsRegistry:
		return hRegistry
	case HoldsOther:
		return hOther
	}
	return hNone
}

func (c hcode) holding() Holding {
	return [...]Holding{HoldsNone, HoldsNode, HoldsRegistry, HoldsOther}[c]
}

// maxPlanTags bounds the tags a plan deals with; the cases use two.
const maxPlanTags = 4

// simState is a State over a fixed list of tags (by index), comparable so
// the search can memoise on it.
type simState struct {
	node, reg [maxPlanTags]hcode
	// allTags: RemoveApp removes every app tag (RemovesAllAppTags).
	allTags bool
	// pulled marks a node holding the kubelet pulled with the lab's pull
	// secret during this run (State.Pulled).
	pulled [maxPlanTags]bool
}

func simFromState(s State, tags []string, m RegistryModel) simState {
	x := simState{allTags: m == RemovesAllAppTags}
	for i, t := range tags {
		x.node[i] = codeOf(s.NodeAt(t))
		x.reg[i] = codeOf(s.RegistryAt(t))
		x.pulled[i] = s.PulledAt(t)
	}
	return x
}

func (x simState) toState(tags []string) State {
	s := State{Node: map[string]Holding{}, Registry: map[string]Holding{}}
	for i, t := range tags {
		s.Node[t] = x.node[i].holding()
		s.Registry[t] = x.reg[i].holding()
		if x.pulled[i] {
			if s.Pulled == nil {
				s.Pulled = map[string]bool{}
			}
			s.Pulled[t] = true
		}
	}
	return s
}

// apply returns the state after op on the tag with index i, as the planner
// models it.
func (x simState) apply(op Op, i int) simState {
	switch op.Kind {
	case OpPointApp:
		x.reg[i] = codeOf(Holds(op.Variant))
	case OpRemoveApp:
		x.reg[i] = hNone
		if op.AllTags {
			for j := range x.reg {
				x.reg[j] = hNone
			}
		}
	case OpWarmNode:
		// The warm-up pod runs in the lab namespace, with its pull secret.
		x.reg[i] = codeOf(Holds(op.Variant))
		x.node[i] = codeOf(Holds(op.Variant))
		x.pulled[i] = true
	case OpRemoveNodeImage:
		// A container runtime removes the whole image with all its tags,
		// so every tag holding the same variant loses it too.
		h := x.node[i]
		for j := range x.node {
			if j == i || (h != hOther && h != hNone && x.node[j] == h) {
				x.node[j] = hNone
				x.pulled[j] = false
			}
		}
	}
	return x
}

// ops returns the smallest change from x to the case's state on the tag
// with index i: the node first (a warm-up also moves the registry tag),
// then the registry. It returns the state reached and the cost.
func (x simState) ops(i int, tag string, c Case) ([]Op, simState, int) {
	var ops []Op
	x, cost := x.reach(i, tag, c, &ops)
	return ops, x, cost
}

// reach is ops without building the list when out is nil.
func (x simState) reach(i int, tag string, c Case, out *[]Op) (simState, int) {
	cost := 0
	do := func(op Op) {
		if out != nil {
			*out = append(*out, op)
		}
		x = x.apply(op, i)
		cost += op.Cost()
	}
	if !x.node[i].holding().Satisfies(c.Node) || c.NodePulledWithSecret && !x.pulled[i] {
		if v := c.Node.Variant(); v != "" {
			do(Op{Kind: OpWarmNode, Tag: tag, Variant: v})
		} else {
			do(Op{Kind: OpRemoveNodeImage, Tag: tag})
		}
	}
	if !x.reg[i].holding().Satisfies(c.Registry) {
		if v := c.Registry.Variant(); v != "" {
			do(Op{Kind: OpPointApp, Tag: tag, Variant: v})
		} else {
			do(Op{Kind: OpRemoveApp, Tag: tag, AllTags: x.allTags})
		}
	}
	return x, cost
}

// effect returns the state after the case's pod ran, as the planner models
// the kubelet: a pod that runs variant v by a tag reference leaves the
// node's cache holding v under that tag (it pulled it, or it was there); a
// digest reference leaves the tag alone; a pod that fails to start changes
// nothing.
//
// A pod that pulls in the lab namespace pulls with the lab's pull secret, so
// a node holding that changes is then one the kubelet pulled with it.
func (x simState) effect(i int, c Case) simState {
	if c.Expect.Outcome == OutcomeRuns && c.Ref != RefDigest {
		if h := codeOf(Holds(c.Expect.Variant)); x.node[i] != h {
			x.node[i] = h
			x.pulled[i] = !c.NoCredentials
		}
	}
	return x
}

// opsFor returns the smallest change from s to the case's state, for a
// backend of model m.
func opsFor(s State, c Case, m RegistryModel) []Op {
	tag := c.Ref.Tag()
	ops, _, _ := simFromState(s, []string{tag}, m).ops(0, tag, c)
	return ops
}

// reached reports whether s meets the case's requirements.
func reached(s State, c Case) bool {
	tag := c.Ref.Tag()
	return s.NodeAt(tag).Satisfies(c.Node) && s.RegistryAt(tag).Satisfies(c.Registry) &&
		(!c.NodePulledWithSecret || s.PulledAt(tag))
}

// Plan is an ordered run of cases with the operations that bring the lab
// from one case's state to the next, simulated from a starting state.
type Plan struct {
	// Start is the state the plan starts from.
	Start State
	// Steps are the cases in run order.
	Steps []PlanStep
	// Cost is the total relative cost of all operations.
	Cost int
}

// PlanStep is one case of a plan. Its states cover the tags the plan's
// cases use.
type PlanStep struct {
	Case Case
	// Before is the simulated state before the case's operations.
	Before State
	// Ops reach the case's state from Before.
	Ops []Op
	// Ready is the state the case's pod starts in.
	Ready State
	// After is the state the case's pod leaves behind.
	After State
	// Cost is the relative cost of Ops.
	Cost int
}

// NewPlanFor orders the cases so that reaching every case's state from
// start costs least, simulating each case's effect on the node's cache (a
// pod that runs variant v by tag leaves v cached under the tag). The search
// is exact: dynamic programming over the subsets of cases and the simulated
// states, which is small for the matrix's ten cases. Among orders of equal
// cost it picks the one that is lexicographically smallest by case ID, so
// plans are deterministic. Case IDs must be unique. The registry is
// modelled as m says (ModelOf gives a backend's model).
func NewPlanFor(cases []Case, start State, m RegistryModel) Plan {
	cs := append([]Case(nil), cases...)
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].ID < cs[j].ID })
	tags := caseTags(cs)
	if len(tags) > maxPlanTags {
		panic(fmt.Sprintf("lab: a plan handles at most %d tags, the cases use %d", maxPlanTags, len(tags)))
	}
	p := &planner{cases: cs, tags: tags, memo: map[planKey]planVal{}}
	for i, c := range cs {
		p.ti = append(p.ti, slices.Index(tags, c.Ref.Tag()))
		if c.NodePulledWithSecret {
			p.needPulled |= uint64(1) << i
		}
	}
	x := simFromState(start, tags, m)
	full := uint64(1)<<len(cs) - 1
	best := p.solve(0, full, x)

	plan := Plan{Start: start.Clone(), Cost: best.cost}
	// Follow the memo's first steps from the start.
	for done := uint64(0); done != full; {
		i := p.memo[p.key(done, x)].next
		done |= uint64(1) << i
		c := cs[i]
		step := PlanStep{Case: c, Before: x.toState(tags)}
		step.Ops, x, step.Cost = x.ops(p.ti[i], tags[p.ti[i]], c)
		step.Ready = x.toState(tags)
		x = x.effect(p.ti[i], c)
		step.After = x.toState(tags)
		plan.Steps = append(plan.Steps, step)
	}
	return plan
}

type planKey struct {
	done uint64
	s    simState
}

// planVal is the cheapest cost of the cases not yet done and the index of
// the case to run first (the order is rebuilt from the memo, so the search
// allocates no order slices).
type planVal struct {
	cost int
	next int
}

type planner struct {
	cases []Case
	tags  []string
	ti    []int // tag index of each case
	memo  map[planKey]planVal
	// needPulled has a bit for each case with NodePulledWithSecret.
	needPulled uint64
}

// key is the memo key of the cases not in done from x. Once no case left
// needs a node image pulled with the lab's secret, whether one was makes
// no difference, so those states share one entry.
func (p *planner) key(done uint64, x simState) planKey {
	if p.needPulled&^done == 0 {
		x.pulled = [maxPlanTags]bool{}
	}
	return planKey{done: done, s: x}
}

// solve returns the cheapest order of the cases not in done, from x.
func (p *planner) solve(done, full uint64, x simState) planVal {
	if done == full {
		return planVal{}
	}
	k := p.key(done, x)
	if v, ok := p.memo[k]; ok {
		return v
	}
	best := planVal{cost: -1}
	for i, c := range p.cases {
		bit := uint64(1) << i
		if done&bit != 0 {
			continue
		}
		next, cost := x.reach(p.ti[i], p.tags[p.ti[i]], c, nil)
		rest := p.solve(done|bit, full, next.effect(p.ti[i], c))
		if total := cost + rest.cost; best.cost < 0 || total < best.cost {
			best = planVal{cost: total, next: i}
		}
	}
	p.memo[k] = best
	return best
}

// Cases returns the cases in run order.
func (p Plan) Cases() []Case {
	out := make([]Case, len(p.Steps))
	for i, s := range p.Steps {
		out[i] = s.Case
	}
	return out
}

// Operations returns the number of operations in the plan.
func (p Plan) Operations() int {
	n := 0
	for _, s := range p.Steps {
		n += len(s.Ops)
	}
	return n
}

// Count returns the number of operations of one kind.
func (p Plan) Count(kind OpKind) int {
	n := 0
	for _, s := range p.Steps {
		for _, op := range s.Ops {
			if op.Kind == kind {
				n++
			}
		}
	}
	return n
}

// Format prints the plan for people: every case in run order with the state
// it needs, the changes from the state before it and the operations that
// make them.
func (p Plan) Format(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Plan: %s, %s (%s, %s, %s), relative cost %d.\n",
		plural(len(p.Steps), "case"), plural(p.Operations(), "operation"), plural(p.Count(OpWarmNode), "node warm-up"),
		plural(p.Count(OpRemoveNodeImage), "node image removal"), plural(p.Count(OpPointApp)+p.Count(OpRemoveApp), "registry tag change"), p.Cost)
	fmt.Fprintf(&b, "Starting from: %s.\n", describeState(p.Start, caseTags(p.Cases())))
	for i, st := range p.Steps {
		c := st.Case
		tag := c.Ref.Tag()
		fmt.Fprintf(&b, "\n%2d. %s\n", i+1, CaseTitle(c))
		fmt.Fprintf(&b, "    deploys %s, expects %s\n", refDescription(c), ExpectationText(c))
		changes := stateChanges(st.Before, st.Ready, tag)
		if len(st.Ops) == 0 {
			fmt.Fprintf(&b, "    state already reached (%s)\n", describeTag(st.Ready, tag))
		} else {
			fmt.Fprintf(&b, "    changes: %s\n", strings.Join(changes, "; "))
			for _, op := range st.Ops {
				fmt.Fprintf(&b, "      - %s\n", op.String())
			}
		}
		if after := stateChanges(st.Ready, st.After, tag); len(after) > 0 {
			fmt.Fprintf(&b, "    afterwards: %s\n", strings.Join(after, "; "))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// stateChanges lists what differs between two states under tag, like
// "node v1: none → node.war".
func stateChanges(a, b State, tag string) []string {
	var out []string
	if x, y := a.NodeAt(tag), b.NodeAt(tag); x != y {
		out = append(out, fmt.Sprintf("node %s: %s → %s", tag, holdingShort(x), holdingShort(y)))
	}
	if x, y := a.NodeAt(tag), b.NodeAt(tag); x == y && !a.PulledAt(tag) && b.PulledAt(tag) {
		out = append(out, fmt.Sprintf("node %s: %s pulled again by the kubelet with the lab's pull secret (a copy it did not pull with the secret does not count)", tag, holdingShort(y)))
	}
	if x, y := a.RegistryAt(tag), b.RegistryAt(tag); x != y {
		out = append(out, fmt.Sprintf("registry %s: %s → %s", tag, holdingShort(x), holdingShort(y)))
	}
	return out
}

func describeTag(s State, tag string) string {
	return fmt.Sprintf("node %s: %s, registry %s: %s", tag, holdingShort(s.NodeAt(tag)), tag, holdingShort(s.RegistryAt(tag)))
}

func describeState(s State, tags []string) string {
	if len(s.Tags()) == 0 {
		return "an empty lab (nothing on the node, nothing in the registry)"
	}
	parts := make([]string, 0, len(tags))
	for _, t := range tags {
		parts = append(parts, describeTag(s, t))
	}
	return strings.Join(parts, "; ")
}

// holdingShort names a holding in a few characters: "none", "node.war".
func holdingShort(h Holding) string {
	if v := h.Variant(); v != "" {
		return v.WAR()
	}
	if h == HoldsOther {
		return "an image pulllab did not build"
	}
	return string(h)
}

// holdingPhrase completes "node has …" / "registry has …".
func holdingPhrase(h Holding) string {
	switch h {
	case HoldsNone:
		return "no image"
	case HoldsAny:
		return "anything"
	}
	return holdingShort(h)
}

// CaseTitle is the one-line description of a case used in status lines and
// plans, e.g. "Case 6 · IfNotPresent · node has node.war, registry has
// registry.war".
func CaseTitle(c Case) string {
	t := fmt.Sprintf("Case %d · %s · node has %s, registry has %s", c.ID, c.Policy, holdingPhrase(c.Node), holdingPhrase(c.Registry))
	switch c.Ref {
	case RefDigest:
		t += " · by digest"
	case RefLatest:
		t += " · :" + LatestTag
	}
	if c.NoCredentials {
		t += " · pulled with the lab's secret, deployed without credentials"
	}
	return t
}

// ExpectationText renders the case's expectation for people; a case whose
// outcome depends on KEP-2535 gets both, e.g. "node.war runs; ImagePullBackOff
// where the kubelet re-checks credentials (KEP-2535)".
func ExpectationText(c Case) string {
	if c.ExpectVerifying == nil {
		return ExpectText(c.Expect)
	}
	return fmt.Sprintf("%s; %s where the kubelet re-checks credentials (KEP-2535)", ExpectText(c.Expect), ExpectText(*c.ExpectVerifying))
}

func refDescription(c Case) string {
	if c.NoCredentials {
		return fmt.Sprintf("the tag :%s from the second lab namespace, which has no pull secret", c.Ref.Tag())
	}
	switch c.Ref {
	case RefDigest:
		return fmt.Sprintf("the digest the registry serves under %s", c.Ref.Tag())
	default:
		return fmt.Sprintf("the tag :%s", c.Ref.Tag())
	}
}

// ExpectText renders an expectation for people: "registry.war runs" or
// "ImagePullBackOff".
func ExpectText(e Expect) string {
	switch e.Outcome {
	case OutcomeRuns:
		if e.Variant == "" || e.Variant == VariantUnknown {
			return "an unknown image runs"
		}
		return e.Variant.WAR() + " runs"
	case OutcomeFails:
		return e.Reason
	}
	return "unknown"
}

func plural(n int, noun string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
