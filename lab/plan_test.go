package lab

import (
	"bytes"
	"fmt"
	"github.com/pulllab/pulllab/internal/golden"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"
)

func planIDs(p Plan) []int {
	var ids []int
	for _, s := range p.Steps {
		ids = append(ids, s.Case.ID)
	}
	return ids
}

func TestPlanFromEmptyLab(t *testing.T) {
	for _, tc := range []struct {
		name                      string
		extended                  bool
		order                     []int
		ops, warm, remove, tagOps int
		cost                      int
	}{
		{"article cases", false, []int{3, 4, 1, 5, 6, 2}, 4, 1, 0, 3, 13},
		{"extended cases", true, []int{3, 8, 4, 1, 5, 6, 7, 9, 10, 11, 12, 2}, 6, 2, 0, 4, 24},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := NewPlan(Matrix(tc.extended), State{})
			ids := planIDs(p)
			if !slices.Equal(ids, tc.order) {
				t.Errorf("order %v, want %v", ids, tc.order)
			}
			if slices.Index(ids, 6) > slices.Index(ids, 2) {
				t.Errorf("case 2 runs before case 6 in %v: it replaces the node's cached node.war", ids)
			}
			got := []int{p.Operations(), p.Count(OpWarmNode), p.Count(OpRemoveNodeImage), p.Count(OpPointApp) + p.Count(OpRemoveApp), p.Cost}
			want := []int{tc.ops, tc.warm, tc.remove, tc.tagOps, tc.cost}
			if !slices.Equal(got, want) {
				t.Errorf("ops/warm/remove/tag/cost = %v, want %v", got, want)
			}
		})
	}
}

// allStates enumerates every node and registry holding for the given tags.
func allStates(tags []string) []State {
	hs := []Holding{HoldsNone, HoldsNode, HoldsRegistry, HoldsOther}
	out := []State{{}}
	for _, tag := range tags {
		var next []State
		for _, s := range out {
			for _, n := range hs {
				for _, r := range hs {
					x := s.Clone()
					x.setNode(tag, n)
					x.setRegistry(tag, r)
					next = append(next, x)
				}
			}
		}
		out = next
	}
	return out
}

// kubelet decides what a case's pod does in a state, from the pull policy
// rules alone (not from the case's expectation), and what it leaves on the
// node under the tag.
func kubelet(c Case, node, reg Holding) (Expect, Holding) {
	policy := c.Policy
	if policy == PolicyDefault {
		policy = PolicyIfNotPresent
		if c.Ref == RefLatest {
			policy = PolicyAlways
		}
	}
	pull := func() (Expect, Holding) {
		if reg == HoldsNone {
			return Fails(ReasonImagePullBackOff), node
		}
		if c.Ref == RefDigest {
			return Runs(reg.Variant()), node
		}
		return Runs(reg.Variant()), reg
	}
	if c.Ref == RefDigest {
		// The digest names the registry's image; cached or pulled, it is
		// the same image.
		return pull()
	}
	switch policy {
	case PolicyAlways:
		return pull()
	case PolicyIfNotPresent:
		if node != HoldsNone {
			return Runs(node.Variant()), node
		}
		return pull()
	default: // Never
		if node != HoldsNone {
			return Runs(node.Variant()), node
		}
		return Fails(ReasonErrImageNeverPull), node
	}
}

// applyOpIndependently is the test's own model of the operations.
func applyOpIndependently(s State, op Op) State {
	s = s.Clone()
	switch op.Kind {
	case OpPointApp:
		s.Registry[op.Tag] = Holds(op.Variant)
	case OpRemoveApp:
		delete(s.Registry, op.Tag)
	case OpWarmNode:
		s.Registry[op.Tag] = Holds(op.Variant)
		s.Node[op.Tag] = Holds(op.Variant)
	case OpRemoveNodeImage:
		gone := s.NodeAt(op.Tag)
		for tag, h := range s.Node {
			if tag == op.Tag || (gone.Variant() != "" && h == gone) {
				delete(s.Node, tag)
			}
		}
	}
	return s
}

// checkPlan runs a plan through the independent model and checks that every
// case's state holds before it and that the kubelet then does what the case
// expects.
func checkPlan(t *testing.T, cases []Case, start State, p Plan) {
	t.Helper()
	ids := planIDs(p)
	var want []int
	for _, c := range cases {
		want = append(want, c.ID)
	}
	slices.Sort(want)
	got := slices.Clone(ids)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("plan runs %v, want each of %v once", ids, want)
	}
	s := start.Clone()
	if s.Node == nil {
		s.Node = map[string]Holding{}
	}
	if s.Registry == nil {
		s.Registry = map[string]Holding{}
	}
	cost := 0
	for _, step := range p.Steps {
		c := step.Case
		tag := c.Ref.Tag()
		nodeOps, regOps := 0, 0
		for _, op := range step.Ops {
			if op.Tag != tag {
				t.Errorf("case %d: op %v on another tag", c.ID, op)
			}
			if op.Kind == OpWarmNode || op.Kind == OpRemoveNodeImage {
				nodeOps++
			} else {
				regOps++
			}
			s = applyOpIndependently(s, op)
			cost += op.Cost()
		}
		if nodeOps > 1 || regOps > 1 {
			t.Errorf("case %d: %d node and %d registry operations, want at most one each", c.ID, nodeOps, regOps)
		}
		n, r := s.NodeAt(tag), s.RegistryAt(tag)
		if !n.Satisfies(c.Node) || !r.Satisfies(c.Registry) {
			t.Fatalf("start %v, order %v: case %d starts with node=%s registry=%s, needs node=%s registry=%s",
				start.key(), ids, c.ID, n, r, c.Node, c.Registry)
		}
		if step.Ready.NodeAt(tag) != n || step.Ready.RegistryAt(tag) != r {
			t.Errorf("case %d: plan says it starts in %s, the model says node=%s registry=%s", c.ID, describeTag(step.Ready, tag), n, r)
		}
		out, left := kubelet(c, n, r)
		if out != c.Expect {
			t.Errorf("case %d: the kubelet would give %s in node=%s registry=%s, the matrix expects %s", c.ID, out, n, r, c.Expect)
		}
		s.Node[tag] = left
	}
	if cost != p.Cost {
		t.Errorf("plan cost %d, operations add up to %d", p.Cost, cost)
	}
}

func TestPlanIsValidFromAnyStart(t *testing.T) {
	for _, extended := range []bool{false, true} {
		cases := Matrix(extended)
		starts := allStates([]string{AppTag, LatestTag})
		if testing.Short() && extended {
			starts = starts[:16]
		}
		t.Run(fmt.Sprintf("extended=%v", extended), func(t *testing.T) {
			for _, start := range starts {
				checkPlan(t, cases, start, NewPlan(cases, start))
			}
		})
	}
}

// permutations calls fn with every order of ids.
func permutations(ids []int, fn func([]int)) {
	var rec func(k int)
	rec = func(k int) {
		if k == len(ids) {
			fn(ids)
			return
		}
		for i := k; i < len(ids); i++ {
			ids[k], ids[i] = ids[i], ids[k]
			rec(k + 1)
			ids[k], ids[i] = ids[i], ids[k]
		}
	}
	rec(0)
}

// orderCost is the cost of running cases in a given order under the
// planner's model.
func orderCost(order []int, start State) int {
	var cases []Case
	for _, id := range order {
		c, _ := CaseByID(id)
		cases = append(cases, c)
	}
	tags := caseTags(cases)
	x := simFromState(start, tags)
	total := 0
	for _, c := range cases {
		i := slices.Index(tags, c.Ref.Tag())
		var cost int
		x, cost = x.reach(i, tags[i], c, nil)
		x = x.effect(i, c)
		total += cost
	}
	return total
}

func TestPlanIsOptimalAndTieBreaksByID(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	type input struct {
		ids   []int
		start State
	}
	var inputs []input
	for _, s := range allStates([]string{AppTag}) {
		inputs = append(inputs, input{[]int{1, 2, 3, 4, 5, 6}, s})
	}
	all := allStates([]string{AppTag, LatestTag})
	for range 12 {
		ids := rng.Perm(10)[:7]
		for i := range ids {
			ids[i]++
		}
		inputs = append(inputs, input{ids, all[rng.IntN(len(all))]})
	}
	for _, in := range inputs {
		var cases []Case
		for _, id := range in.ids {
			c, _ := CaseByID(id)
			cases = append(cases, c)
		}
		p := NewPlan(cases, in.start)
		best, bestOrder := -1, []int(nil)
		sorted := slices.Sorted(slices.Values(in.ids))
		permutations(sorted, func(order []int) {
			c := orderCost(order, in.start)
			if best < 0 || c < best || c == best && slices.Compare(order, bestOrder) < 0 {
				best, bestOrder = c, slices.Clone(order)
			}
		})
		if p.Cost != best || !slices.Equal(planIDs(p), bestOrder) {
			t.Errorf("cases %v from %s: plan %v cost %d, best %v cost %d", in.ids, in.start.key(), planIDs(p), p.Cost, bestOrder, best)
		}
	}
}

func TestPlanIgnoresInputOrder(t *testing.T) {
	cases := Matrix(true)
	want := planIDs(NewPlan(cases, State{}))
	rev := slices.Clone(cases)
	slices.Reverse(rev)
	if got := planIDs(NewPlan(rev, State{})); !slices.Equal(got, want) {
		t.Errorf("reversed input planned %v, want %v", got, want)
	}
}

func TestOpsFor(t *testing.T) {
	c6, _ := CaseByID(6)
	c3, _ := CaseByID(3)
	c7, _ := CaseByID(7)
	for _, tc := range []struct {
		name string
		c    Case
		node Holding
		reg  Holding
		want []Op
	}{
		{"already there", c6, HoldsNode, HoldsRegistry, nil},
		{"registry only", c6, HoldsNode, HoldsNone, []Op{{Kind: OpPointApp, Tag: AppTag, Variant: VariantRegistry}}},
		{"warm then repoint", c6, HoldsRegistry, HoldsRegistry, []Op{{Kind: OpWarmNode, Tag: AppTag, Variant: VariantNode}, {Kind: OpPointApp, Tag: AppTag, Variant: VariantRegistry}}},
		{"remove both", c3, HoldsOther, HoldsOther, []Op{{Kind: OpRemoveNodeImage, Tag: AppTag}, {Kind: OpRemoveApp, Tag: AppTag}}},
		{"registry any needs no op after a warm-up", c7, HoldsNone, HoldsNone, []Op{{Kind: OpWarmNode, Tag: AppTag, Variant: VariantNode}}},
		{"registry any keeps other", c7, HoldsNode, HoldsOther, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := State{Node: map[string]Holding{AppTag: tc.node}, Registry: map[string]Holding{AppTag: tc.reg}}
			if got := opsFor(s, tc.c); !slices.Equal(got, tc.want) {
				t.Errorf("opsFor = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestPlanFormatGolden(t *testing.T) {
	for _, tc := range []struct {
		file     string
		extended bool
		start    State
	}{
		{"plan-article.golden", false, State{}},
		{"plan-extended.golden", true, State{}},
		{"plan-extended-used-lab.golden", true, State{
			Node:     map[string]Holding{AppTag: HoldsRegistry, LatestTag: HoldsRegistry},
			Registry: map[string]Holding{AppTag: HoldsNode},
		}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			var buf bytes.Buffer
			if err := NewPlan(Matrix(tc.extended), tc.start).Format(&buf); err != nil {
				t.Fatal(err)
			}
			golden.Check(t, filepath.Join("testdata", tc.file), buf.Bytes())
		})
	}
}
