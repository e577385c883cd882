package lab

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/sirupsen/logrus"
)

// StatusPrinter prints step lines (internal/ui.Status satisfies it): Start
// begins a step, End finishes it, Infof and Warnf print detail lines.
type StatusPrinter interface {
	Start(format string, args ...any)
	End(ok bool)
	Infof(format string, args ...any)
	Warnf(format string, args ...any)
}

// CredentialLab is what the cases that deploy from a namespace without
// registry credentials (cases 11 and 12, KEP-2535) need from a backend
// besides Backend. A backend that does not implement it gets those cases
// skipped, with that reason.
type CredentialLab interface {
	// AnonymousPull reports whether the registry serves the app's
	// repository to a client without credentials (an anonymous HEAD of the
	// app's tag is answered, or answered "not found", rather than refused).
	// Where it does, the credential cases cannot show anything.
	AnonymousPull(ctx context.Context) (bool, error)
	// HasPullSecret reports whether Prepare put a pull secret for the
	// registry into the lab namespace (its pods pull with it).
	HasPullSecret() bool
	// PrepareNoCredentials makes the second lab namespace, which has no
	// pull secret (idempotent), and returns the workload client that
	// deploys, observes and undeploys there. Cleanup and teardown remove
	// what it made.
	PrepareNoCredentials(ctx context.Context) (Workload, error)
}

// Defaults for Runner fields left zero.
const (
	DefaultCaseTimeout    = 5 * time.Minute
	DefaultCleanupTimeout = 2 * time.Minute
)

// Runner runs cases against a Backend: it prepares the lab, builds both
// variants, then for each case in planned order reads the node and registry
// state, changes the least that reaches the case's state, checks it, deploys
// and decides a verdict from the evidence.
type Runner struct {
	// Backend is the cluster.
	Backend Backend
	// WARs are the web archives of both variants.
	WARs map[Variant][]byte
	// Status prints a step line per phase and per case; nil prints nothing.
	Status StatusPrinter
	// Log receives details; nil discards them.
	Log logrus.FieldLogger
	// Clock returns the current time; nil is time.Now.
	Clock func() time.Time
	// CaseTimeout bounds the wait for one case's pod (default 5 minutes).
	CaseTimeout time.Duration
	// CleanupTimeout bounds the cleanup (default 2 minutes).
	CleanupTimeout time.Duration
	// Keep leaves the last case's pod and the debug pod in place after a
	// run that was not cut short by an error.
	Keep bool
	// Profile reads the deployed WAR from the container log; when its
	// DeployLine is nil the base image's profile is used.
	Profile Profile
	// Tool is recorded in the results.
	Tool Tool
}

// run is one Run's working state.
type run struct {
	*Runner
	status  StatusPrinter
	log     logrus.FieldLogger
	now     func() time.Time
	timeout time.Duration
	builds  map[Variant]Build
	profile Profile
	res     *Results
}

// Run runs the cases and returns the results. It returns a *MismatchError
// when some case did not pass, and the context's error (wrapped, with
// Results.Interrupted set and the cases finished so far) when ctx is
// cancelled. Other errors mean the lab could not be set up; the results
// then hold no cases. The lab's pods are removed at the end unless Keep is
// set, and always after an error or a cancellation, with a fresh context.
func (r *Runner) Run(ctx context.Context, cases []Case) (res *Results, err error) {
	x := r.start()
	res = x.res
	defer func() {
		if err != nil && !isMismatch(err) || !r.Keep || res.Summary.Errors > 0 {
			x.cleanup(ctx)
		}
		res.FinishedAt = x.now()
		res.Performance.TotalSeconds = seconds(res.FinishedAt.Sub(res.StartedAt))
	}()
	if r.Backend == nil {
		return res, errors.New("no lab backend")
	}
	if len(cases) == 0 {
		return res, errors.New("no cases to run")
	}
	seen := map[int]bool{}
	for _, c := range cases {
		if seen[c.ID] {
			return res, fmt.Errorf("case %d is selected twice", c.ID)
		}
		seen[c.ID] = true
	}
	for _, v := range Variants {
		if len(r.WARs[v]) == 0 {
			return res, fmt.Errorf("the %s variant has no WAR to deploy", v)
		}
	}

	if err := x.setup(ctx); err != nil {
		return res, x.stopped(ctx, err)
	}

	x.status.Start("Reading what the node and the registry hold")
	state, err := ReadState(ctx, r.Backend, caseTags(cases), x.builds)
	if err != nil {
		if ctx.Err() != nil {
			x.status.End(false)
			return res, x.stopped(ctx, err)
		}
		// Every case reads the state again before it runs and turns a
		// failed read into that case's error; plan from an empty lab.
		x.status.End(false)
		x.status.Warnf("Could not read the lab's state (%v); planning as for an empty lab", err)
		x.log.WithError(err).Debug("reading the initial state")
		state = State{}
	} else {
		x.status.End(true)
	}
	plan := NewPlan(cases, state)
	ids := make([]string, len(plan.Steps))
	for i, s := range plan.Steps {
		ids[i] = fmt.Sprint(s.Case.ID)
	}
	x.status.Infof("Order: %s (%d operations planned)", strings.Join(ids, ", "), plan.Operations())
	x.log.WithField("order", ids).Info("planned the cases")

	for i, step := range plan.Steps {
		if ctx.Err() != nil {
			return res, x.interrupted(ctx, len(cases))
		}
		cr := x.runCase(ctx, i+1, step.Case)
		if ctx.Err() != nil {
			// The case was cut short: it is not recorded.
			return res, x.interrupted(ctx, len(cases))
		}
		x.record(cr)
	}
	res.Tally()
	if res.Summary.Passed != res.Summary.Total {
		return res, &MismatchError{Summary: res.Summary}
	}
	return res, nil
}

func isMismatch(err error) bool {
	var m *MismatchError
	return errors.As(err, &m)
}

// start fills in defaults.
func (r *Runner) start() *run {
	x := &run{Runner: r, status: r.Status, log: r.Log, now: r.Clock, timeout: r.CaseTimeout}
	if x.status == nil {
		x.status = discardStatus{}
	}
	if x.log == nil {
		l := logrus.New()
		l.SetOutput(io.Discard)
		x.log = l
	}
	if x.now == nil {
		x.now = time.Now
	}
	if x.timeout <= 0 {
		x.timeout = DefaultCaseTimeout
	}
	x.res = &Results{SchemaVersion: SchemaVersion, Tool: r.Tool, StartedAt: x.now(), Cases: []CaseResult{}, Builds: []Build{}}
	return x
}

// stopped turns an error during setup into the error Run returns: the
// interruption when ctx was cancelled, else err itself.
func (x *run) stopped(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return x.interrupted(ctx, 0)
	}
	return err
}

func (x *run) interrupted(ctx context.Context, total int) error {
	x.status.End(false)
	x.res.Interrupted = true
	x.res.Tally()
	if total > 0 {
		return fmt.Errorf("verify interrupted after %d of %d cases: %w", len(x.res.Cases), total, ctx.Err())
	}
	return fmt.Errorf("verify interrupted while preparing the lab: %w", ctx.Err())
}

// step runs fn as one status step.
func (x *run) step(msg string, fn func() error) error {
	x.status.Start("%s", msg)
	if err := fn(); err != nil {
		x.status.End(false)
		return err
	}
	x.status.End(true)
	return nil
}

// setup prepares the lab, ensures the base image, builds both variants and
// reads the environment.
func (x *run) setup(ctx context.Context) error {
	b := x.Backend
	if err := x.step("Preparing the lab namespace and node access", func() error {
		if err := b.Prepare(ctx); err != nil {
			return fmt.Errorf("preparing the lab: %w", err)
		}
		return nil
	}); err != nil {
		return err
	}
	var base BaseImage
	if err := x.step("Ensuring the base image", func() error {
		var err error
		if base, err = b.EnsureBase(ctx); err != nil {
			return fmt.Errorf("ensuring the base image: %w", err)
		}
		return nil
	}); err != nil {
		return err
	}
	x.res.Base = base
	x.profile = x.Profile
	if x.profile.DeployLine == nil {
		if p, ok := Profiles[base.Profile]; ok {
			x.profile = p
		} else {
			x.profile = ProfileFor(base.Ref)
		}
	}

	x.builds = map[Variant]Build{}
	for _, v := range Variants {
		var bd Build
		if err := x.step(fmt.Sprintf("Building the %s variant (%s)", v, v.WAR()), func() error {
			var err error
			if bd, err = b.Build(ctx, v, x.WARs[v]); err != nil {
				return fmt.Errorf("building the %s variant: %w", v, err)
			}
			if digestHex(bd.Digest) == "" {
				return fmt.Errorf("building the %s variant: the backend reported no image digest", v)
			}
			return nil
		}); err != nil {
			return err
		}
		bd.Variant = v
		if bd.Built {
			x.res.Performance.Builds++
			x.status.Infof("built %s", shortDigest(bd.Digest))
		} else {
			x.status.Infof("reused %s", shortDigest(bd.Digest))
		}
		x.builds[v] = bd
		x.res.Builds = append(x.res.Builds, bd)
	}
	if sameDigest(x.builds[VariantNode].Digest, x.builds[VariantRegistry].Digest) {
		return fmt.Errorf("both variants have the digest %s, so no case could tell them apart; the node and registry WARs must differ", x.builds[VariantNode].Digest)
	}

	x.status.Start("Reading the cluster environment")
	env, err := b.Environment(ctx)
	if err != nil {
		if ctx.Err() != nil {
			x.status.End(false)
			return err
		}
		x.status.End(false)
		x.status.Warnf("The report will lack some environment facts: %v", err)
		x.log.WithError(err).Debug("reading the environment")
	} else {
		x.status.End(true)
	}
	if env.Target == "" {
		env.Target = b.Kind()
	}
	x.res.Environment = env
	return nil
}

// runCase runs one case and returns its result. Backend errors make the
// case an error; the caller checks ctx for cancellation.
func (x *run) runCase(ctx context.Context, order int, c Case) CaseResult {
	b := x.Backend
	start := x.now()
	tag := c.Ref.Tag()
	cr := CaseResult{Case: c, Order: order, Steps: []string{}}
	log := x.log.WithField("case", c.ID)
	x.status.Start("%s", CaseTitle(c))

	fail := func(detail string) CaseResult {
		cr.Verdict = VerdictError
		cr.Detail = detail
		cr.PrepareSeconds = seconds(x.now().Sub(start))
		x.status.End(false)
		if ctx.Err() == nil {
			x.status.Warnf("Case %d: error: %s", c.ID, detail)
		}
		log.WithField("verdict", cr.Verdict).Debug(detail)
		return cr
	}

	// A previous case's pod may still use the image the node must drop.
	if err := b.Undeploy(ctx, AppName); err != nil {
		return fail(fmt.Sprintf("removing the previous case's Deployment: %v", err))
	}

	// State, not scripts: read what is there, not what the plan expects.
	before, err := ReadState(ctx, b, []string{tag}, x.builds)
	if err != nil {
		return fail(err.Error())
	}
	for _, op := range opsFor(before, c) {
		cr.Steps = append(cr.Steps, op.String())
		x.res.Performance.Operations++
		log.Info(op.String())
		if err := x.do(ctx, op); err != nil {
			return fail(fmt.Sprintf("could not %s: %v", op.String(), err))
		}
	}
	ready, err := ReadState(ctx, b, []string{tag}, x.builds)
	if err != nil {
		return fail(err.Error())
	}
	cr.Before = ready.Snapshot(tag)
	if !reached(ready, c) {
		return fail(unreached(ready, c))
	}

	image := b.AppRef(tag)
	if c.Ref == RefDigest {
		image = b.AppDigestRef(ready.Digests[tag])
	}
	cr.Image = image
	d := Deployment{Name: AppName, Image: image, Policy: c.Policy, CaseID: c.ID}
	cr.PrepareSeconds = seconds(x.now().Sub(start))
	if err := b.Deploy(ctx, d); err != nil {
		return fail(fmt.Sprintf("deploying %s: %v", image, err))
	}
	obs, err := b.Observe(ctx, d, x.timeout)
	if err != nil {
		return fail(fmt.Sprintf("watching the pod: %v", err))
	}
	cr.Observation = &obs
	dec := Decide(c, obs, x.builds, x.profile)
	cr.Observed, cr.RanVariant, cr.LogVariant = dec.Observed, dec.RanVariant, dec.LogVariant
	cr.Verdict, cr.Detail = dec.Verdict, dec.Detail
	if !obs.Created.IsZero() {
		if !obs.Kubelet.IsZero() {
			cr.KubeletSeconds = seconds(obs.Kubelet.Sub(obs.Created))
		}
		if !obs.Seen.IsZero() {
			cr.PhaseSeconds = seconds(obs.Seen.Sub(obs.Created))
		}
	}
	if !obs.Kubelet.IsZero() && !obs.Seen.IsZero() {
		cr.VerdictDelaySeconds = seconds(obs.Seen.Sub(obs.Kubelet))
	}

	x.status.End(cr.Verdict == VerdictPass)
	observed := "nothing judgeable"
	if cr.Observed != nil {
		observed = ExpectText(*cr.Observed)
	}
	line := fmt.Sprintf("Case %d: %s (expected %s, observed %s): %s", c.ID, cr.Verdict, ExpectText(c.Expect), observed, cr.Detail)
	if cr.Verdict == VerdictPass {
		x.status.Infof("%s", line)
	} else {
		x.status.Warnf("%s", line)
	}
	log.WithField("verdict", cr.Verdict).Info(cr.Detail)
	return cr
}

// do performs one operation through the backend.
func (x *run) do(ctx context.Context, op Op) error {
	b := x.Backend
	switch op.Kind {
	case OpWarmNode:
		if err := b.PointApp(ctx, op.Tag, op.Variant); err != nil {
			return err
		}
		return b.Warm(ctx, b.AppRef(op.Tag))
	case OpRemoveNodeImage:
		return b.RemoveNodeImage(ctx, b.AppRef(op.Tag))
	case OpPointApp:
		return b.PointApp(ctx, op.Tag, op.Variant)
	case OpRemoveApp:
		return b.RemoveApp(ctx, op.Tag)
	}
	return fmt.Errorf("unknown operation %q", op.Kind)
}

// unreached explains why a state read back does not meet the case.
func unreached(s State, c Case) string {
	tag := c.Ref.Tag()
	var parts []string
	if h := s.NodeAt(tag); !h.Satisfies(c.Node) {
		parts = append(parts, fmt.Sprintf("the node holds %s under %s but the case needs %s", holdingPhrase(h), tag, holdingPhrase(c.Node)))
	}
	if h := s.RegistryAt(tag); !h.Satisfies(c.Registry) {
		parts = append(parts, fmt.Sprintf("the registry serves %s under %s but the case needs %s", holdingPhrase(h), tag, holdingPhrase(c.Registry)))
	}
	return "the case's state could not be reached: " + strings.Join(parts, ", and ")
}

// record appends a finished case and adds it to the performance figures.
func (x *run) record(cr CaseResult) {
	p := &x.res.Performance
	p.CasePhaseSeconds += cr.PhaseSeconds
	p.KubeletSeconds += cr.KubeletSeconds
	if cr.VerdictDelaySeconds > p.MaxVerdictDelaySeconds {
		p.MaxVerdictDelaySeconds = cr.VerdictDelaySeconds
	}
	x.res.Cases = append(x.res.Cases, cr)
}

// cleanup removes the lab's pods with a fresh context, so it also works
// after Ctrl-C.
func (x *run) cleanup(ctx context.Context) {
	if x.Backend == nil {
		return
	}
	timeout := x.CleanupTimeout
	if timeout <= 0 {
		timeout = DefaultCleanupTimeout
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	x.status.Start("Removing the lab's pods")
	if err := x.Backend.Cleanup(cctx); err != nil {
		x.status.End(false)
		x.status.Warnf("Some of the lab's pods may remain: %v", err)
		x.log.WithError(err).Debug("cleaning up")
		return
	}
	x.status.End(true)
}

func seconds(d time.Duration) float64 {
	if d < 0 {
		return 0
	}
	return d.Seconds()
}

// discardStatus prints nothing.
type discardStatus struct{}

func (discardStatus) Start(string, ...any) {}
func (discardStatus) End(bool)             {}
func (discardStatus) Infof(string, ...any) {}
func (discardStatus) Warnf(string, ...any) {}
