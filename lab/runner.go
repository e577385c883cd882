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

// Runner runs cases against a Backend and the Site its Prepare returns: it
// prepares the lab, builds both variants, then for each case in planned
// order reads the node and registry state, changes the least that reaches
// the case's state (registry operations through the Backend, warm-ups and
// node image removals through the Site), checks it, deploys on the Site and
// decides a verdict from the evidence.
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
	// site is the lab's node side, as the backend's Prepare returned it.
	site Site
	res  *Results
	// nocreds deploys the cases without credentials (nil until prepared).
	nocreds Workload
	// pullSecret is set when the lab namespace's pods pull with a secret.
	pullSecret bool
	// pulled maps a tag to the node holding the kubelet pulled with the
	// lab's pull secret in this run (State.Pulled).
	pulled map[string]Holding
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
	total := len(cases)
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
	state, err := ReadState(ctx, x.site.NodeCache, r.Backend, caseTags(cases), x.builds)
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
	cases, skipped := x.credentialCases(ctx, cases)
	if ctx.Err() != nil {
		return res, x.interrupted(ctx, len(cases)+len(skipped))
	}
	x.overlayPulled(&state)
	plan := NewPlanFor(cases, state, ModelOf(r.Backend))
	ids := make([]string, len(plan.Steps))
	for i, s := range plan.Steps {
		ids[i] = fmt.Sprint(s.Case.ID)
	}
	x.status.Infof("Order: %s (%d operations planned)", strings.Join(ids, ", "), plan.Operations())
	x.log.WithField("order", ids).Info("planned the cases")

	for i, step := range plan.Steps {
		if ctx.Err() != nil {
			return res, x.interrupted(ctx, total)
		}
		cr := x.runCase(ctx, i+1, step.Case)
		if ctx.Err() != nil {
			// The case was cut short: it is not recorded.
			return res, x.interrupted(ctx, total)
		}
		x.record(cr)
	}
	for _, cr := range skipped {
		cr.Order = len(res.Cases) + 1
		x.record(cr)
	}
	res.Tally()
	if !res.Summary.OK() {
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
	x := &run{Runner: r, status: r.Status, log: r.Log, now: r.Clock, timeout: r.CaseTimeout, pulled: map[string]Holding{}}
	if x.status == nil {
		x.status = DiscardStatus{}
	}
	if x.log == nil {
		x.log = DiscardLog()
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
		site, err := b.Prepare(ctx)
		if err != nil {
			return fmt.Errorf("preparing the lab: %w", err)
		}
		if site.Workload == nil || site.NodeCache == nil {
			return fmt.Errorf("preparing the lab: the %s backend returned no workload or no node cache", b.Kind())
		}
		x.site = site
		return nil
	}); err != nil {
		return err
	}
	if cl, ok := b.(CredentialLab); ok {
		x.pullSecret = cl.HasPullSecret()
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
	if err := DistinctVariants(x.builds[VariantNode], x.builds[VariantRegistry]); err != nil {
		return err
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
	for _, wl := range x.workloads() {
		if err := wl.Undeploy(ctx, AppName); err != nil {
			return fail(fmt.Sprintf("removing the previous case's Deployment: %v", err))
		}
	}

	// State, not scripts: read what is there, not what the plan expects.
	before, err := x.readState(ctx, tag)
	if err != nil {
		return fail(err.Error())
	}
	for _, op := range opsFor(before, c, ModelOf(b)) {
		cr.Steps = append(cr.Steps, op.String())
		cr.Ops = append(cr.Ops, op)
		x.res.Performance.Operations++
		log.Info(op.String())
		if err := x.do(ctx, op); err != nil {
			return fail(fmt.Sprintf("could not %s: %v", op.String(), err))
		}
	}
	ready, err := x.readState(ctx, tag)
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
	wl := x.site.Workload
	if c.NoCredentials {
		if x.nocreds == nil {
			return fail("the namespace without credentials was not prepared")
		}
		wl = x.nocreds
	}
	if err := wl.Deploy(ctx, d); err != nil {
		return fail(fmt.Sprintf("deploying %s: %v", image, err))
	}
	obs, err := wl.Observe(ctx, d, x.timeout)
	if err != nil {
		return fail(fmt.Sprintf("watching the pod: %v", err))
	}
	cr.Observation = &obs
	dec := Decide(c, obs, x.builds, x.profile)
	cr.Observed, cr.RanVariant, cr.LogVariant = dec.Observed, dec.RanVariant, dec.LogVariant
	cr.Verdict, cr.Detail, cr.Explanation = dec.Verdict, dec.Detail, dec.Explanation
	if dec.Observed != nil && dec.Observed.Outcome == OutcomeRuns && c.Ref != RefDigest && !c.NoCredentials &&
		x.pullSecret && ready.NodeAt(tag) != Holds(dec.Observed.Variant) {
		// The pod pulled it in the lab namespace, with the pull secret.
		x.pulled[tag] = Holds(dec.Observed.Variant)
	}
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

// do performs one operation through the backend and the node.
func (x *run) do(ctx context.Context, op Op) error {
	b := x.Backend
	switch op.Kind {
	case OpWarmNode:
		if err := b.PointApp(ctx, op.Tag, op.Variant); err != nil {
			return err
		}
		delete(x.pulled, op.Tag)
		if err := x.site.Workload.Warm(ctx, b.AppRef(op.Tag)); err != nil {
			return err
		}
		if x.pullSecret {
			// The warm-up pod ran in the lab namespace, with its pull secret.
			x.pulled[op.Tag] = Holds(op.Variant)
		}
		return nil
	case OpRemoveNodeImage:
		// The runtime removes the image with every tag it has.
		clear(x.pulled)
		return x.site.NodeCache.RemoveNodeImage(ctx, b.AppRef(op.Tag))
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
	if c.NodePulledWithSecret && !s.PulledAt(tag) {
		parts = append(parts, fmt.Sprintf("the node's image under %s was not pulled by the kubelet with the lab's pull secret in this run", tag))
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

// DiscardLog returns a logger that writes nothing, for callers that give
// none.
func DiscardLog() *logrus.Logger {
	l := logrus.New()
	l.SetOutput(io.Discard)
	return l
}

// DiscardStatus is a StatusPrinter that prints nothing, for callers that
// give none.
type DiscardStatus struct{}

// Start prints nothing.
func (DiscardStatus) Start(string, ...any) {}

// End prints nothing.
func (DiscardStatus) End(bool) {}

// Infof prints nothing.
func (DiscardStatus) Infof(string, ...any) {}

// Warnf prints nothing.
func (DiscardStatus) Warnf(string, ...any) {}

// workloads returns the workload clients a case may have deployed with:
// the lab namespace's, and the second namespace's once prepared.
func (x *run) workloads() []Workload {
	out := []Workload{x.site.Workload}
	if x.nocreds != nil {
		out = append(out, x.nocreds)
	}
	return out
}

// readState reads the state under tag and adds what only the runner knows:
// which node holdings the kubelet pulled with the lab's pull secret.
func (x *run) readState(ctx context.Context, tag string) (State, error) {
	s, err := ReadState(ctx, x.site.NodeCache, x.Backend, []string{tag}, x.builds)
	if err != nil {
		return State{}, err
	}
	x.overlayPulled(&s)
	return s, nil
}

// overlayPulled marks in s the tags whose node holding is still the one the
// kubelet pulled with the lab's secret, and forgets those that changed.
func (x *run) overlayPulled(s *State) {
	for tag, h := range x.pulled {
		if _, read := s.Node[tag]; !read {
			continue
		}
		if s.NodeAt(tag) != h {
			delete(x.pulled, tag)
			continue
		}
		if s.Pulled == nil {
			s.Pulled = map[string]bool{}
		}
		s.Pulled[tag] = true
	}
}

// credentialCases splits off the cases that deploy without credentials
// (11 and 12) and cannot show anything here, as skipped (or error) results,
// resolves the expectation of the others from the KEP-2535 state read from
// the node, and prepares the namespace without credentials when any of them
// runs. The other cases are returned unchanged.
func (x *run) credentialCases(ctx context.Context, cases []Case) (runs []Case, skipped []CaseResult) {
	var cred []Case
	for _, c := range cases {
		if c.NoCredentials || c.ExpectVerifying != nil {
			cred = append(cred, c)
		} else {
			runs = append(runs, c)
		}
	}
	if len(cred) == 0 {
		return runs, nil
	}
	verdict, reason, verifies := x.credentialState(ctx, cred)
	if verdict == "" {
		wl, err := x.prepareNoCredentials(ctx)
		if err != nil {
			verdict, reason = VerdictError, err.Error()
		} else {
			x.nocreds = wl
		}
	}
	for _, c := range cred {
		if verdict != "" {
			cr := CaseResult{Case: c, Steps: []string{}, Verdict: verdict, Detail: reason}
			skipped = append(skipped, cr)
			line := fmt.Sprintf("Case %d: %s: %s", c.ID, verdict, reason)
			if verdict == VerdictSkipped {
				x.status.Infof("%s", line)
			} else {
				x.status.Warnf("%s", line)
			}
			x.log.WithFields(logrus.Fields{"case": c.ID, "verdict": verdict}).Info(reason)
			continue
		}
		runs = append(runs, c.Resolve(verifies))
	}
	return runs, skipped
}

// credentialState decides whether the credential cases can show anything
// here: verdict is "" when they can (verifies then says which expectation
// holds), else VerdictSkipped or VerdictError with the reason.
func (x *run) credentialState(ctx context.Context, cred []Case) (verdict Verdict, reason string, verifies bool) {
	ids := make([]string, len(cred))
	for i, c := range cred {
		ids[i] = fmt.Sprint(c.ID)
	}
	which := "case " + ids[0]
	if len(ids) > 1 {
		which = "cases " + strings.Join(ids, " and ")
	}
	cl, ok := x.Backend.(CredentialLab)
	if !ok {
		return VerdictSkipped, fmt.Sprintf("the %s backend cannot run a pod without registry credentials yet, which %s need", x.Backend.Kind(), which), false
	}
	anon, err := cl.AnonymousPull(ctx)
	if err != nil {
		return VerdictError, fmt.Sprintf("could not find out whether the registry serves the app without credentials: %v", err), false
	}
	if anon {
		return VerdictSkipped, fmt.Sprintf("the registry serves the app's repository without credentials, so a namespace without credentials can pull it anyway and %s cannot show whether the kubelet lends a privately pulled image; use a registry that requires credentials (lab.registryAuth FILE)", which), false
	}
	if !cl.HasPullSecret() {
		return VerdictSkipped, fmt.Sprintf("no credentials for the registry were found (lab.registryAuth FILE or the docker config), so the lab's pods have no pull secret and the kubelet cannot pull the image with one, which %s need", which), false
	}
	kic := x.res.Environment.KubeletImageCredentials
	v, known := kic.Verifies()
	switch {
	case kic == nil:
		return VerdictSkipped, fmt.Sprintf("the kubelet's KEP-2535 state (KubeletEnsureSecretPulledImages) was not read from the node, and %s expect opposite outcomes with it on and off", which), false
	case kic.Inferred():
		return VerdictSkipped, fmt.Sprintf("the kubelet's KEP-2535 state could not be read from the node, only inferred (%s); %s expect opposite outcomes with it on and off, so pulllab does not guess", kic.Summary(), which), false
	case !known:
		return VerdictSkipped, fmt.Sprintf("the kubelet's KEP-2535 state is not known (%s); %s expect opposite outcomes with it on and off, so pulllab does not guess", kic.Summary(), which), false
	}
	return "", "", v
}

// prepareNoCredentials makes the second lab namespace.
func (x *run) prepareNoCredentials(ctx context.Context) (Workload, error) {
	cl := x.Backend.(CredentialLab)
	var wl Workload
	err := x.step("Preparing the lab namespace without credentials", func() error {
		var err error
		if wl, err = cl.PrepareNoCredentials(ctx); err != nil {
			return fmt.Errorf("preparing the namespace without credentials: %w", err)
		}
		return nil
	})
	return wl, err
}
