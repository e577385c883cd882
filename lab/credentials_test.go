package lab

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// onlyBackend hides the fake's CredentialLab methods: a backend that cannot
// run pods without credentials.
type onlyBackend struct{ Backend }

// TestCredentialCases runs cases 11 and 12 (with other cases around them)
// against the fake kubelet with KEP-2535 on and off, with the state read
// from the node agreeing or not, and on registries that cannot show
// anything.
func TestCredentialCases(t *testing.T) {
	type want struct {
		verdict  Verdict
		observed string // ExpectText of the observed outcome, for run cases
		detail   string
	}
	tests := []struct {
		name  string
		setup func(f *fakeLab)
		// seed leaves the node variant preloaded under v1 (crictl pull or an
		// earlier run), which the cases must not rely on.
		seed       bool
		hideCreds  bool
		cases      []int
		want11     want
		want12     want
		mismatch   bool
		nocredsNS  int
		warmAtMost int
	}{
		{name: "gate off: the namespace without credentials borrows the node's image", setup: func(f *fakeLab) { f.withGate(false) },
			cases: []int{6, 11, 12, 2}, want11: want{VerdictPass, "node.war runs", ""}, want12: want{VerdictPass, "node.war runs", ""}, nocredsNS: 1},
		{name: "gate on: the kubelet re-checks", setup: func(f *fakeLab) { f.withGate(true) },
			cases: []int{6, 11, 12, 2}, want11: want{VerdictPass, "ImagePullBackOff", ""}, want12: want{VerdictPass, ReasonErrImageNeverPull, ""}, nocredsNS: 1},
		{name: "gate on, node variant preloaded: a warm-up pulls it with the secret first", setup: func(f *fakeLab) { f.withGate(true) }, seed: true,
			cases: []int{11, 12}, want11: want{VerdictPass, "ImagePullBackOff", ""}, want12: want{VerdictPass, ReasonErrImageNeverPull, ""}, nocredsNS: 1},
		{name: "gate on, policy NeverVerify: runs", setup: func(f *fakeLab) {
			f.withGate(false) // the fake kubelet does not verify under NeverVerify
			f.kic = &KubeletImageCredentials{Gate: GateOn, Policy: PolicyNeverVerify, Source: SourceConfigz}
		}, cases: []int{11, 12}, want11: want{VerdictPass, "node.war runs", ""}, want12: want{VerdictPass, "node.war runs", ""}, nocredsNS: 1},
		{name: "the node reports the gate off but the kubelet verifies: fails", setup: func(f *fakeLab) {
			f.withGate(true)
			f.kic = &KubeletImageCredentials{Gate: GateOff, Source: SourceConfigz}
		}, cases: []int{11, 12}, want11: want{VerdictFail, "ImagePullBackOff", "expected node.war to run"}, want12: want{VerdictFail, ReasonErrImageNeverPull, "expected node.war to run"}, mismatch: true, nocredsNS: 1},
		{name: "gate unknown: skipped", setup: func(f *fakeLab) {
			f.kic = &KubeletImageCredentials{Gate: GateUnknown, Source: SourceConfigz, Detail: "configz: 403 Forbidden"}
		}, cases: []int{11, 12, 6}, want11: want{verdict: VerdictSkipped, detail: "is not known (unknown: read from the kubelet's configz; configz: 403 Forbidden)"}, want12: want{verdict: VerdictSkipped, detail: "not known"}},
		{name: "gate only inferred from the version: skipped, never a guess", setup: func(f *fakeLab) {
			f.kic = InferKubeletImageCredentials("v1.35.1", "the node proxy is forbidden")
		}, cases: []int{11, 12}, want11: want{verdict: VerdictSkipped, detail: "only inferred"}, want12: want{verdict: VerdictSkipped, detail: "only inferred"}},
		{name: "state not read: skipped", setup: func(f *fakeLab) { f.kic = nil },
			cases: []int{11, 12}, want11: want{verdict: VerdictSkipped, detail: "was not read"}, want12: want{verdict: VerdictSkipped, detail: "was not read"}},
		{name: "anonymous registry: skipped, never passed", setup: func(f *fakeLab) { f.withGate(true); f.anonymous = true },
			cases: []int{11, 12, 6}, want11: want{verdict: VerdictSkipped, detail: "serves the app's repository without credentials"}, want12: want{verdict: VerdictSkipped, detail: "without credentials"}},
		{name: "no credentials, so no pull secret: skipped", setup: func(f *fakeLab) { f.withGate(true); f.noSecret = true; f.anonymous = true },
			cases: []int{11}, want11: want{verdict: VerdictSkipped, detail: "without credentials"}},
		{name: "a backend without a namespace without credentials: skipped", setup: func(f *fakeLab) { f.withGate(true) }, hideCreds: true,
			cases: []int{11, 12}, want11: want{verdict: VerdictSkipped, detail: "the fake backend cannot run a pod without registry credentials"}, want12: want{verdict: VerdictSkipped, detail: "cannot run"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeLab()
			tc.setup(f)
			r := newTestRunner(f, nil)
			if tc.seed {
				if _, err := r.Run(context.Background(), []Case{mustCase(t, 6)}); err != nil {
					t.Fatal(err)
				}
				f.seedNode(AppTag, VariantNode)
				f.calls = nil
			}
			if tc.hideCreds {
				r.Backend = onlyBackend{f}
			}
			var cases []Case
			for _, id := range tc.cases {
				cases = append(cases, mustCase(t, id))
			}
			res, err := r.Run(context.Background(), cases)
			var me *MismatchError
			switch {
			case tc.mismatch && !errors.As(err, &me):
				t.Fatalf("Run = %v, want a *MismatchError", err)
			case !tc.mismatch && err != nil:
				t.Fatalf("Run = %v, want nil: skipped cases do not fail a run", err)
			}
			if len(res.Cases) != len(cases) {
				t.Fatalf("%d results for %d cases", len(res.Cases), len(cases))
			}
			for _, cr := range res.Cases {
				var w want
				switch cr.Case.ID {
				case 11:
					w = tc.want11
				case 12:
					w = tc.want12
				default:
					if cr.Verdict != VerdictPass {
						t.Errorf("case %d: %s: %s", cr.Case.ID, cr.Verdict, cr.Detail)
					}
					continue
				}
				if cr.Verdict != w.verdict || !strings.Contains(cr.Detail, w.detail) {
					t.Errorf("case %d: %s: %q; want %s containing %q", cr.Case.ID, cr.Verdict, cr.Detail, w.verdict, w.detail)
				}
				if w.observed != "" && (cr.Observed == nil || ExpectText(*cr.Observed) != w.observed && !sameFailure(w.observed, cr.Observed.Reason)) {
					t.Errorf("case %d observed %v, want %s", cr.Case.ID, cr.Observed, w.observed)
				}
				if w.verdict == VerdictSkipped && (cr.Observation != nil || cr.Observed != nil) {
					t.Errorf("case %d was skipped but deployed", cr.Case.ID)
				}
			}
			if f.nocreds != tc.nocredsNS {
				t.Errorf("the namespace without credentials was prepared %d times, want %d", f.nocreds, tc.nocredsNS)
			}
			skipped := 0
			for _, cr := range res.Cases {
				if cr.Verdict == VerdictSkipped {
					skipped++
				}
			}
			if res.Summary.Skipped != skipped || res.Summary.OK() == tc.mismatch {
				t.Errorf("summary %+v", res.Summary)
			}
			for _, c := range f.calls {
				if strings.HasPrefix(c, "Deploy 11") || strings.HasPrefix(c, "Deploy 12") {
					if !strings.HasSuffix(c, " in "+fakeNoCredsNS) {
						t.Errorf("%q: the credential cases must deploy in the namespace without credentials", c)
					}
				}
			}
		})
	}
}

// TestCredentialCasesNeedAKubeletPull checks the planner's model: a node
// variant the kubelet did not pull with the lab's secret in this run gets a
// warm-up before case 11; one it did pull does not.
func TestCredentialCasesNeedAKubeletPull(t *testing.T) {
	c11 := mustCase(t, 11).Resolve(false)
	start := State{Node: map[string]Holding{AppTag: HoldsNode}, Registry: map[string]Holding{AppTag: HoldsRegistry}}
	if ops := opsFor(start, c11); len(ops) != 2 || ops[0].Kind != OpWarmNode || ops[1].Kind != OpPointApp {
		t.Errorf("ops from a preloaded node variant = %v, want a warm-up and the registry tag back", ops)
	}
	pulled := start.Clone()
	pulled.Pulled = map[string]bool{AppTag: true}
	if ops := opsFor(pulled, c11); len(ops) != 0 {
		t.Errorf("ops from a node variant pulled with the secret = %v, want none", ops)
	}
	if reached(start, c11) || !reached(pulled, c11) {
		t.Error("reached ignores how the node got its image")
	}
	if !strings.Contains(unreached(start, c11), "not pulled by the kubelet with the lab's pull secret") {
		t.Errorf("unreached = %q", unreached(start, c11))
	}
	// Removing the image forgets the pull.
	x := simFromState(pulled, []string{AppTag}).apply(Op{Kind: OpRemoveNodeImage, Tag: AppTag}, 0)
	if x.pulled[0] {
		t.Error("a removed image still counts as pulled with the secret")
	}
}

func mustCase(t *testing.T, id int) Case {
	t.Helper()
	c, ok := CaseByID(id)
	if !ok {
		t.Fatalf("no case %d", id)
	}
	return c
}
