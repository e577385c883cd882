package lab

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// recStatus records status lines.
type recStatus struct{ lines []string }

func (s *recStatus) Start(f string, a ...any) {
	s.lines = append(s.lines, "start "+fmt.Sprintf(f, a...))
}
func (s *recStatus) End(ok bool) { s.lines = append(s.lines, fmt.Sprintf("end %v", ok)) }
func (s *recStatus) Infof(f string, a ...any) {
	s.lines = append(s.lines, "info "+fmt.Sprintf(f, a...))
}
func (s *recStatus) Warnf(f string, a ...any) {
	s.lines = append(s.lines, "warn "+fmt.Sprintf(f, a...))
}

func newTestRunner(f *fakeLab, st StatusPrinter) *Runner {
	clock := time.Date(2026, 11, 26, 15, 0, 0, 0, time.UTC)
	return &Runner{
		Backend:     f,
		WARs:        testWARs,
		Status:      st,
		Clock:       func() time.Time { clock = clock.Add(time.Second); return clock },
		CaseTimeout: time.Minute,
		Tool:        Tool{Name: "pulllab", Version: "test"},
	}
}

func verdicts(res *Results) map[int]Verdict {
	out := map[int]Verdict{}
	for _, c := range res.Cases {
		out[c.Case.ID] = c.Verdict
	}
	return out
}

// checkPassed checks that every case passed with consistent evidence.
func checkPassed(t *testing.T, res *Results, cases []Case) {
	t.Helper()
	if len(res.Cases) != len(cases) {
		t.Fatalf("got %d case results, want %d", len(res.Cases), len(cases))
	}
	for i, cr := range res.Cases {
		c := cr.Case
		if cr.Order != i+1 {
			t.Errorf("case %d: order %d, want %d", c.ID, cr.Order, i+1)
		}
		if cr.Verdict != VerdictPass {
			t.Errorf("case %d: verdict %s: %s", c.ID, cr.Verdict, cr.Detail)
			continue
		}
		if !cr.Before.Node.Satisfies(c.Node) || !cr.Before.Registry.Satisfies(c.Registry) {
			t.Errorf("case %d: passed in state %+v, which does not meet node=%s registry=%s", c.ID, cr.Before, c.Node, c.Registry)
		}
		if c.Expect.Outcome == OutcomeRuns && (cr.RanVariant != c.Expect.Variant || cr.LogVariant != c.Expect.Variant) {
			t.Errorf("case %d: ran %q, log %q, want %q", c.ID, cr.RanVariant, cr.LogVariant, c.Expect.Variant)
		}
		if cr.Observation == nil || cr.Observed == nil {
			t.Errorf("case %d: no evidence recorded", c.ID)
		}
	}
	if res.Summary.Total != len(cases) || res.Summary.Passed != len(cases) {
		t.Errorf("summary %+v", res.Summary)
	}
}

func TestRunnerAllCasesPass(t *testing.T) {
	for _, tc := range []struct {
		name     string
		extended bool
		crio     bool
	}{
		{"article cases, containerd", false, false},
		{"extended cases, containerd", true, false},
		{"extended cases, CRI-O ids", true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeLab()
			f.crio = tc.crio
			st := &recStatus{}
			r := newTestRunner(f, st)
			cases := Matrix(tc.extended)
			res, err := r.Run(context.Background(), cases)
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			checkPassed(t, res, cases)
			plan := NewPlan(cases, State{})
			for i, cr := range res.Cases {
				if cr.Case.ID != plan.Steps[i].Case.ID {
					t.Errorf("position %d ran case %d, plan says %d", i+1, cr.Case.ID, plan.Steps[i].Case.ID)
				}
			}
			if got, want := res.Performance.Operations, plan.Operations(); got != want {
				t.Errorf("operations %d, plan from an empty lab has %d", got, want)
			}
			if res.Performance.Builds != 2 || len(res.Builds) != 2 {
				t.Errorf("builds %d (%d recorded), want 2", res.Performance.Builds, len(res.Builds))
			}
			if f.cleanups != 1 || f.cleanupErr != nil {
				t.Errorf("cleanups %d (ctx err %v), want 1 with a live context", f.cleanups, f.cleanupErr)
			}
			if res.Interrupted || res.Environment.Target != "fake" || res.Base.Profile != "wildfly" {
				t.Errorf("results header: interrupted %v, env %+v, base %+v", res.Interrupted, res.Environment, res.Base)
			}
			if f.callsWith("Warm") != plan.Count(OpWarmNode) {
				t.Errorf("%d warm-ups, plan has %d", f.callsWith("Warm"), plan.Count(OpWarmNode))
			}
			// Timings come from the observation, not from wall time.
			for _, cr := range res.Cases {
				if cr.PhaseSeconds <= 0 || cr.KubeletSeconds <= 0 || cr.VerdictDelaySeconds <= 0 || cr.PhaseSeconds < cr.KubeletSeconds {
					t.Errorf("case %d timings: phase %v kubelet %v delay %v", cr.Case.ID, cr.PhaseSeconds, cr.KubeletSeconds, cr.VerdictDelaySeconds)
				}
			}
			if !containsLine(st.lines, "start Case 6 · IfNotPresent · node has node.war, registry has registry.war") {
				t.Errorf("no status line for case 6 in %q", st.lines)
			}
		})
	}
}

func containsLine(lines []string, want string) bool {
	for _, l := range lines {
		if l == want {
			return true
		}
	}
	return false
}

func TestRunnerReusesBuildsAndStartsFromAnyState(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		seed func(f *fakeLab)
	}{
		{"as the last run left it", func(*fakeLab) {}},
		{"registry variant cached under both tags", func(f *fakeLab) {
			f.seedNode(AppTag, VariantRegistry)
			f.seedNode(LatestTag, VariantRegistry)
		}},
		{"node variant cached, registry tag on the node variant", func(f *fakeLab) {
			f.seedNode(AppTag, VariantNode)
			f.tags[AppTag] = f.variants[VariantNode].digest
			f.tags[LatestTag] = f.variants[VariantNode].digest
		}},
		{"app tag removed from the registry", func(f *fakeLab) {
			delete(f.tags, AppTag)
			delete(f.tags, LatestTag)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeLab()
			cases := Matrix(true)
			if _, err := newTestRunner(f, nil).Run(ctx, cases); err != nil {
				t.Fatalf("first run: %v", err)
			}
			tc.seed(f)
			res, err := newTestRunner(f, nil).Run(ctx, cases)
			if err != nil {
				t.Fatalf("second run: %v", err)
			}
			checkPassed(t, res, cases)
			if res.Performance.Builds != 0 {
				t.Errorf("second run built %d images, want 0", res.Performance.Builds)
			}
			for _, b := range res.Builds {
				if b.Built {
					t.Errorf("build %s marked built on reuse", b.Variant)
				}
			}
		})
	}
}

func TestRunnerRegistryFaultMakesOnlyThatCaseAnError(t *testing.T) {
	f := newFakeLab()
	failed := false
	f.hook = func(_ context.Context, call string) error {
		// The first time the app tag is pointed at the registry variant, the
		// registry is down.
		if call == "PointApp v1 registry" && !failed {
			failed = true
			return errors.New("registry unavailable: 503 Service Unavailable")
		}
		return nil
	}
	cases := Matrix(false)
	res, err := newTestRunner(f, nil).Run(context.Background(), cases)
	var mm *MismatchError
	if !errors.As(err, &mm) || mm.Summary.Errors == 0 {
		t.Fatalf("err = %v, want a MismatchError with exit code 2", err)
	}
	if len(res.Cases) != len(cases) {
		t.Fatalf("ran %d cases, want all %d", len(res.Cases), len(cases))
	}
	errCases := 0
	for _, cr := range res.Cases {
		switch cr.Verdict {
		case VerdictError:
			errCases++
			if !strings.Contains(cr.Detail, "503") || !strings.Contains(cr.Detail, "registry tag v1") {
				t.Errorf("case %d detail %q does not explain the registry failure", cr.Case.ID, cr.Detail)
			}
			if cr.Observation != nil {
				t.Errorf("case %d deployed despite the failed precondition", cr.Case.ID)
			}
		case VerdictPass:
		default:
			t.Errorf("case %d: %s: %s", cr.Case.ID, cr.Verdict, cr.Detail)
		}
	}
	if errCases != 1 || res.Summary.Errors != 1 || res.Summary.Passed != len(cases)-1 {
		t.Errorf("%d error cases, summary %+v; want exactly one error", errCases, res.Summary)
	}
}

func TestRunnerUnreachableStateIsAnError(t *testing.T) {
	ctx := context.Background()
	f := newFakeLab()
	cases := Matrix(true)
	if _, err := newTestRunner(f, nil).Run(ctx, cases); err != nil {
		t.Fatal(err)
	}
	f.seedNode(AppTag, VariantNode)
	f.noRemove = true // crictl rmi "succeeds" but the image stays
	res, err := newTestRunner(f, nil).Run(ctx, cases)
	var mm *MismatchError
	if !errors.As(err, &mm) {
		t.Fatalf("err = %v, want a MismatchError", err)
	}
	for _, cr := range res.Cases {
		needsEmptyNode := cr.Case.Node == HoldsNone
		switch {
		case needsEmptyNode && cr.Verdict != VerdictError:
			t.Errorf("case %d needs an empty node but got %s: %s", cr.Case.ID, cr.Verdict, cr.Detail)
		case needsEmptyNode:
			if !strings.Contains(cr.Detail, "could not be reached") || !strings.Contains(cr.Detail, "the node holds") {
				t.Errorf("case %d detail %q", cr.Case.ID, cr.Detail)
			}
			if cr.Observation != nil {
				t.Errorf("case %d deployed in the wrong state", cr.Case.ID)
			}
		case cr.Verdict != VerdictPass:
			t.Errorf("case %d: %s: %s", cr.Case.ID, cr.Verdict, cr.Detail)
		}
	}
}

func TestRunnerForeignImageIsNotRemoved(t *testing.T) {
	ctx := context.Background()
	f := newFakeLab()
	cases, _ := SelectCases("3", false)
	if _, err := newTestRunner(f, nil).Run(ctx, cases); err != nil {
		t.Fatal(err)
	}
	f.seedForeign(AppTag)
	res, err := newTestRunner(f, nil).Run(ctx, cases)
	if err == nil {
		t.Fatal("want an error")
	}
	cr := res.Cases[0]
	if cr.Verdict != VerdictError || !strings.Contains(cr.Detail, "not the lab's") {
		t.Errorf("verdict %s: %s", cr.Verdict, cr.Detail)
	}
	if len(f.node) != 1 {
		t.Errorf("node images %d, the foreign image must stay", len(f.node))
	}
}

func TestRunnerCancelCleansUp(t *testing.T) {
	f := newFakeLab()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	deploys := 0
	f.hook = func(ctx context.Context, call string) error {
		if strings.HasPrefix(call, "Deploy") {
			deploys++
			if deploys == 3 {
				cancel() // Ctrl-C while the third case deploys
				return ctx.Err()
			}
		}
		return nil
	}
	res, err := newTestRunner(f, nil).Run(ctx, Matrix(false))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if !res.Interrupted {
		t.Error("Interrupted not set")
	}
	if len(res.Cases) != 2 {
		t.Errorf("%d cases recorded, want the 2 that finished", len(res.Cases))
	}
	if f.cleanups != 1 || f.cleanupErr != nil {
		t.Errorf("cleanups %d with ctx err %v; want one with a fresh context", f.cleanups, f.cleanupErr)
	}
	if f.deployed != nil {
		t.Error("the app is still deployed after cancellation")
	}
}

func TestRunnerCancelDuringSetup(t *testing.T) {
	f := newFakeLab()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f.hook = func(ctx context.Context, call string) error {
		if call == "Build registry" {
			cancel()
			return fmt.Errorf("build interrupted: %w", ctx.Err())
		}
		return nil
	}
	r := newTestRunner(f, nil)
	r.Keep = true
	res, err := r.Run(ctx, Matrix(false))
	if !errors.Is(err, context.Canceled) || !res.Interrupted || len(res.Cases) != 0 {
		t.Fatalf("err %v, interrupted %v, cases %d", err, res.Interrupted, len(res.Cases))
	}
	if f.cleanups != 1 {
		t.Errorf("cleanups %d, want 1 even with Keep", f.cleanups)
	}
}

func TestRunnerLyingBackendFails(t *testing.T) {
	f := newFakeLab()
	f.lie = true
	cases := Matrix(true)
	res, err := newTestRunner(f, nil).Run(context.Background(), cases)
	var mm *MismatchError
	if !errors.As(err, &mm) || mm.Summary.Errors != 0 || mm.Summary.Failed == 0 {
		t.Fatalf("err = %v, want a MismatchError with exit code 1", err)
	}
	for _, cr := range res.Cases {
		if cr.Case.Expect.Outcome == OutcomeFails {
			if cr.Verdict != VerdictPass {
				t.Errorf("case %d: %s: %s", cr.Case.ID, cr.Verdict, cr.Detail)
			}
			continue
		}
		if cr.Verdict != VerdictFail || !strings.Contains(cr.Detail, "disagree") {
			t.Errorf("case %d: %s: %s; want a fail naming the disagreement", cr.Case.ID, cr.Verdict, cr.Detail)
		}
	}
}

func TestRunnerTimeoutIsAnError(t *testing.T) {
	f := newFakeLab()
	f.timeOutOn = 5
	res, err := newTestRunner(f, nil).Run(context.Background(), Matrix(false))
	if err == nil {
		t.Fatal("want a MismatchError")
	}
	v := verdicts(res)
	for id, want := range map[int]Verdict{1: VerdictPass, 2: VerdictPass, 3: VerdictPass, 4: VerdictPass, 5: VerdictError, 6: VerdictPass} {
		if v[id] != want {
			t.Errorf("case %d: %s, want %s", id, v[id], want)
		}
	}
}

func TestRunnerKeepAndSetupErrors(t *testing.T) {
	for _, tc := range []struct {
		name        string
		keep        bool
		fail        string
		noSite      bool
		wantCleanup int
		wantErr     string
	}{
		{"keep after success", true, "", false, 0, ""},
		{"clean after success", false, "", false, 1, ""},
		{"prepare fails", true, "Prepare", false, 1, "preparing the lab: no permission"},
		{"prepare returns no node side", true, "", true, 1, "preparing the lab: the fake backend returned no workload or no node cache"},
		{"build fails", false, "Build node", false, 1, "building the node variant: no permission"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeLab()
			f.noSite = tc.noSite
			f.hook = func(_ context.Context, call string) error {
				if call == tc.fail {
					return errors.New("no permission")
				}
				return nil
			}
			r := newTestRunner(f, nil)
			r.Keep = tc.keep
			res, err := r.Run(context.Background(), Matrix(false))
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || err.Error() != tc.wantErr) {
				t.Fatalf("err = %v, want %q", err, tc.wantErr)
			}
			if f.cleanups != tc.wantCleanup {
				t.Errorf("cleanups %d, want %d", f.cleanups, tc.wantCleanup)
			}
			if tc.wantErr != "" && len(res.Cases) != 0 {
				t.Errorf("%d cases ran after a setup error", len(res.Cases))
			}
		})
	}
}

func TestRunnerEnvironmentErrorIsAWarning(t *testing.T) {
	f := newFakeLab()
	f.hook = func(_ context.Context, call string) error {
		if call == "Environment" {
			return errors.New("forbidden")
		}
		return nil
	}
	st := &recStatus{}
	res, err := newTestRunner(f, st).Run(context.Background(), Matrix(false))
	if err != nil {
		t.Fatal(err)
	}
	if res.Environment.Target != "fake" {
		t.Errorf("target %q, want the backend kind", res.Environment.Target)
	}
	if !containsLine(st.lines, "warn The report will lack some environment facts: forbidden") {
		t.Errorf("no warning in %q", st.lines)
	}
}

func TestRunnerRejectsBadInput(t *testing.T) {
	f := newFakeLab()
	r := newTestRunner(f, nil)
	if _, err := r.Run(context.Background(), nil); err == nil {
		t.Error("no cases: want an error")
	}
	c1, _ := CaseByID(1)
	if _, err := r.Run(context.Background(), []Case{c1, c1}); err == nil || !strings.Contains(err.Error(), "case 1 is selected twice") {
		t.Errorf("duplicate case: err = %v", err)
	}
	r.WARs = map[Variant][]byte{VariantNode: []byte("x")}
	if _, err := r.Run(context.Background(), Matrix(false)); err == nil || !strings.Contains(err.Error(), "registry variant has no WAR") {
		t.Errorf("missing WAR: err = %v", err)
	}
	r.WARs = map[Variant][]byte{VariantNode: []byte("same"), VariantRegistry: []byte("same")}
	if _, err := r.Run(context.Background(), Matrix(false)); err == nil || !strings.Contains(err.Error(), "must differ") {
		t.Errorf("identical WARs: err = %v", err)
	}
}

func TestRunnerReadsStateNotThePlan(t *testing.T) {
	f := newFakeLab()
	undeploys := 0
	f.hook = func(_ context.Context, call string) error {
		// Someone else changes the lab after the first case: the node gets
		// the registry variant and the tag is removed from the registry.
		if strings.HasPrefix(call, "Undeploy") {
			undeploys++
		}
		if strings.HasPrefix(call, "Undeploy") && undeploys == 2 {
			f.tags[AppTag] = f.variants[VariantRegistry].digest
			if _, err := f.pull(f.AppRef(AppTag), true); err != nil {
				return err
			}
			delete(f.tags, AppTag)
		}
		return nil
	}
	cases := Matrix(false)
	res, err := newTestRunner(f, nil).Run(context.Background(), cases)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	checkPassed(t, res, cases)
	if planned := NewPlan(cases, State{}).Operations(); res.Performance.Operations <= planned {
		t.Errorf("%d operations, want more than the %d planned: the runner must repair the changed state", res.Performance.Operations, planned)
	}
}

// The state read before planning may fail (an exec hiccup); every case reads
// the state again anyway, so the run plans from an empty lab and goes on.
func TestRunnerFirstStateReadFailsPlansFromEmpty(t *testing.T) {
	f := newFakeLab()
	failed := false
	f.hook = func(_ context.Context, call string) error {
		if call == "NodeImages" && !failed {
			failed = true
			return errors.New("exec: connection reset")
		}
		return nil
	}
	st := &recStatus{}
	cases := Matrix(false)
	res, err := newTestRunner(f, st).Run(context.Background(), cases)
	if err != nil {
		t.Fatalf("err = %v; the run should go on", err)
	}
	if !failed {
		t.Fatal("the hook never failed the first read")
	}
	checkPassed(t, res, cases)
	if !strings.Contains(strings.Join(st.lines, "\n"), "planning as for an empty lab") {
		t.Errorf("no warning about the failed read in:\n%s", strings.Join(st.lines, "\n"))
	}
}

// --keep keeps the pods only after a run whose every case could be judged:
// after a case error they are removed like after any other error.
func TestRunnerKeepCleansUpAfterACaseError(t *testing.T) {
	f := newFakeLab()
	failed := false
	f.hook = func(_ context.Context, call string) error {
		if call == "PointApp v1 registry" && !failed {
			failed = true
			return errors.New("registry unavailable")
		}
		return nil
	}
	r := newTestRunner(f, nil)
	r.Keep = true
	res, err := r.Run(context.Background(), Matrix(false))
	var mm *MismatchError
	if !errors.As(err, &mm) || res.Summary.Errors != 1 {
		t.Fatalf("err = %v, summary %+v; want one case error", err, res.Summary)
	}
	if f.cleanups != 1 {
		t.Errorf("cleanups %d, want 1 despite --keep", f.cleanups)
	}
}
