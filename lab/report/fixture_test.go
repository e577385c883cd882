package report

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/pulllab/pulllab/lab"
)

// The fixtures are SYNTHETIC: hand-written Results shaped like a real run on
// OpenShift Local 4.21 with CRI-O (and, for the kubectl wording, a plain
// Kubernetes node with containerd). They feed the golden files and
// docs/sample. Nothing here is evidence of a real cluster.

// syntheticVersion labels results that did not come from a real run.
const syntheticVersion = "v0.0.0-synthetic"

var jst = time.FixedZone("JST", 9*60*60)

// fakeDigest returns a stable, realistic-looking sha256 digest for a label.
func fakeDigest(label string) string {
	sum := sha256.Sum256([]byte("pulllab fixture " + label))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// platform holds what differs between the fixture targets.
type platform struct {
	env        lab.Environment
	base       lab.BaseImage
	podHash    string
	openshift  bool
	logLine    func(war string, at time.Time) string
	pullFailed func(ref string) string
}

func openShiftLocal(ocp, kube, crc, runtime string, kep *lab.KubeletImageCredentials) platform {
	repo := "image-registry.openshift-image-registry.svc:5000/pulllab/custom-image-java"
	return platform{
		env: lab.Environment{
			Target:                   "openshift",
			CRCVersion:               crc,
			OpenShiftVersion:         ocp,
			KubernetesVersion:        kube,
			KubeletVersion:           kube,
			ContainerRuntime:         runtime,
			Node:                     "crc",
			OSImage:                  "Red Hat Enterprise Linux CoreOS 9.6.20260402-0 (Plow)",
			Namespace:                "pulllab",
			AppRepository:            repo,
			EnsureSecretPulledImages: kep.Summary(),
			KubeletImageCredentials:  kep,
		},
		base: lab.BaseImage{
			Ref:     "registry.redhat.io/jboss-eap-7/eap74-openjdk11-openshift-rhel8:7.4.21-2.1743444175",
			Digest:  fakeDigest("eap74 base"),
			Profile: "wildfly",
		},
		podHash:   "6f8d9b7c5d",
		openshift: true,
		logLine: func(war string, at time.Time) string {
			return fmt.Sprintf(`%s INFO  [org.jboss.as.server.deployment] (MSC service thread 1-2) WFLYSRV0027: Starting deployment of "%s" (runtime-name: "%s")`,
				at.Format("15:04:05,000"), war, war)
		},
		pullFailed: func(ref string) string {
			return fmt.Sprintf(`Failed to pull image "%s": reading manifest %s in %s: name unknown: repository name not known to registry`,
				ref, ref[strings.LastIndex(ref, ":")+1:], ref[:strings.LastIndex(ref, ":")])
		},
	}
}

func plainKubernetes(kube string, kep *lab.KubeletImageCredentials) platform {
	repo := "127.0.0.1:5000/pulllab/custom-image-java"
	return platform{
		env: lab.Environment{
			Target:                   "kubernetes",
			KubernetesVersion:        kube,
			KubeletVersion:           kube,
			ContainerRuntime:         "containerd://1.6.20",
			Node:                     "lab-node-1",
			OSImage:                  "Debian GNU/Linux 12 (bookworm)",
			Namespace:                "pulllab",
			AppRepository:            repo,
			EnsureSecretPulledImages: kep.Summary(),
			KubeletImageCredentials:  kep,
		},
		base: lab.BaseImage{
			Ref:     "127.0.0.1:5000/pulllab-e2e/appserver:1.0",
			Digest:  fakeDigest("appserver base"),
			Profile: "appserver",
		},
		podHash: "7c4b9d6f85",
		logLine: func(war string, _ time.Time) string {
			return fmt.Sprintf(`appserver: APPSRV0027: Starting deployment of "%s" from /deployments`, war)
		},
		pullFailed: func(ref string) string {
			return fmt.Sprintf(`Failed to pull image "%s": rpc error: code = NotFound desc = failed to pull and unpack image "%s": failed to resolve reference "%s": %s: not found`,
				ref, ref, ref, ref)
		},
	}
}

// plan is one case of a fixture: its place in the run and its timings.
type plan struct {
	id int
	// kase, when set, is the case itself (cases this branch's matrix does
	// not hold yet, 11 and 12).
	kase    *lab.Case
	order   int
	steps   []string
	prepare float64
	kubelet float64
	delay   float64
}

// podSuffixes give every case's pod a distinct, stable name.
var podSuffixes = []string{"x7k2p", "q9m4t", "b2w8r", "h5n6c", "z3v7d", "k8j2f", "m4p9s", "t6r3w", "c2x5g", "w9d4l", "r5f8n", "g3k7v"}

// build assembles Results in which every case behaved as expected. The
// mismatch fixture then edits some cases.
func build(p platform, plans []plan) *lab.Results {
	repo := p.env.AppRepository
	digest := map[lab.Variant]string{
		lab.VariantNode:     fakeDigest("node variant " + p.env.Target),
		lab.VariantRegistry: fakeDigest("registry variant " + p.env.Target),
	}
	r := &lab.Results{
		SchemaVersion: lab.SchemaVersion,
		Tool:          lab.Tool{Name: "pulllab", Version: syntheticVersion},
		StartedAt:     time.Date(2026, 4, 30, 10, 0, 0, 0, jst),
		Environment:   p.env,
		Base:          p.base,
	}
	for _, v := range lab.Variants {
		b := lab.Build{
			Variant:   v,
			Digest:    digest[v],
			ImageID:   fakeDigest("config " + string(v) + " " + p.env.Target),
			WARSHA256: strings.TrimPrefix(fakeDigest("war "+string(v)), "sha256:"),
			Built:     true,
		}
		if p.openshift {
			b.Name = "pulllab-" + string(v) + "-1"
		}
		r.Builds = append(r.Builds, b)
	}

	// Builds take the first minutes; then the cases run in plan order.
	clock := r.StartedAt.Add(184*time.Second + 300*time.Millisecond)
	at := func(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
	ordered := append([]plan(nil), plans...)
	for i := range ordered {
		for j := i + 1; j < len(ordered); j++ {
			if ordered[j].order < ordered[i].order {
				ordered[i], ordered[j] = ordered[j], ordered[i]
			}
		}
	}
	for _, pl := range ordered {
		c, ok := lab.CaseByID(pl.id)
		if pl.kase != nil {
			c, ok = *pl.kase, true
		}
		if !ok {
			panic(fmt.Sprintf("fixture: no case %d", pl.id))
		}
		tag := c.Ref.Tag()
		image := repo + ":" + tag
		if c.Ref == lab.RefDigest {
			image = repo + "@" + digest[lab.VariantRegistry]
		}
		clock = clock.Add(at(pl.prepare))
		created := clock
		kubelet := created.Add(at(pl.kubelet))
		seen := kubelet.Add(at(pl.delay))
		clock = seen.Add(4 * time.Second) // undeploy
		pod := fmt.Sprintf("custom-image-java-%s-%s", p.podHash, podSuffixes[pl.id-1])
		age := int(pl.kubelet+pl.delay) + 1

		ev := func(typ, reason, msg string, offset float64) lab.Event {
			t := created.Add(at(offset))
			return lab.Event{Type: typ, Reason: reason, Message: msg, Count: 1, First: t, Last: t}
		}
		events := []lab.Event{ev("Normal", "Scheduled", fmt.Sprintf("Successfully assigned %s/%s to %s", p.env.Namespace, pod, p.env.Node), 0.1)}
		if p.openshift {
			events = append(events, ev("Normal", "AddedInterface", fmt.Sprintf("Add eth0 [10.217.0.%d/23] from ovn-kubernetes", 60+pl.id), 0.6))
		}
		started := []lab.Event{
			ev("Normal", "Created", "Created container: custom-image-java", pl.kubelet-0.2),
			ev("Normal", "Started", "Started container custom-image-java", pl.kubelet),
		}
		o := &lab.Observation{Pod: pod, Image: image, Created: created, Kubelet: kubelet, Seen: seen}
		cr := lab.CaseResult{
			Case:  c,
			Order: pl.order,
			Steps: pl.steps,
			Before: lab.StateSnapshot{
				Tag:      tag,
				Node:     c.Node,
				Registry: c.Registry,
			},
			Image:               image,
			Observation:         o,
			Verdict:             lab.VerdictPass,
			PrepareSeconds:      pl.prepare,
			KubeletSeconds:      pl.kubelet,
			PhaseSeconds:        pl.kubelet + pl.delay,
			VerdictDelaySeconds: pl.delay,
		}
		if c.Registry == lab.HoldsAny {
			// "Any" is a requirement, not a state: the tag still served
			// the node variant that was just warmed.
			cr.Before.Registry = lab.HoldsNode
		}
		e := c.Expect
		switch {
		case e.Outcome == lab.OutcomeRuns:
			v := e.Variant
			if v == lab.VariantNode {
				events = append(events, ev("Normal", "Pulled", fmt.Sprintf(`Container image "%s" already present on machine`, image), 1.0))
			} else {
				pull := pl.kubelet - 1.4
				events = append(events,
					ev("Normal", "Pulling", fmt.Sprintf(`Pulling image "%s"`, image), 0.9),
					ev("Normal", "Pulled", fmt.Sprintf(`Successfully pulled image "%s" in %.3fs (%.3fs including waiting). Image size: 611843072 bytes.`, image, pull, pull), pl.kubelet-0.4))
			}
			events = append(events, started...)
			o.PodLine = fmt.Sprintf("%s   1/1     Running   0          %ds", pod, age)
			o.Status, o.Ready = "Running", true
			o.ImageID = repo + "@" + digest[v]
			o.LogLine = p.logLine(v.WAR(), kubelet.Add(at(6.5)))
			cr.Observed = &lab.Expect{Outcome: lab.OutcomeRuns, Variant: v}
			cr.RanVariant, cr.LogVariant = v, v
			how := "the kubelet pulled it from the registry"
			if v == lab.VariantNode {
				how = "the kubelet used the node's cached image (already present on machine)"
			}
			cr.Detail = fmt.Sprintf("%s ran as expected: the imageID %s is the %s variant and the log names %s (%s)",
				v.WAR(), digest[v][:len("sha256:")+12], v, v.WAR(), how)
		case e.Reason == lab.ReasonErrImageNeverPull:
			msg := fmt.Sprintf(`Container image "%s" is not present with pull policy of Never`, image)
			events = append(events,
				ev("Warning", "ErrImageNeverPull", msg, pl.kubelet-0.1),
				ev("Warning", "Failed", "Error: ErrImageNeverPull", pl.kubelet))
			events[len(events)-1].Count = 2
			o.PodLine = fmt.Sprintf("%s   0/1     ErrImageNeverPull   0          %ds", pod, age)
			o.Status, o.Reason, o.Message = "ErrImageNeverPull", lab.ReasonErrImageNeverPull, msg
			cr.Observed = &lab.Expect{Outcome: lab.OutcomeFails, Reason: lab.ReasonErrImageNeverPull}
			cr.Detail = "the container waits with ErrImageNeverPull, as expected (the image is not on the node and the policy is Never)"
		default:
			events = append(events,
				ev("Normal", "Pulling", fmt.Sprintf(`Pulling image "%s"`, image), 0.9),
				ev("Warning", "Failed", p.pullFailed(image), pl.kubelet-1.1),
				ev("Warning", "Failed", "Error: ErrImagePull", pl.kubelet-1.1),
				ev("Normal", "BackOff", fmt.Sprintf(`Back-off pulling image "%s"`, image), pl.kubelet),
				ev("Warning", "Failed", "Error: ImagePullBackOff", pl.kubelet))
			o.PodLine = fmt.Sprintf("%s   0/1     ImagePullBackOff   0          %ds", pod, age)
			o.Status, o.Reason, o.Message = "ImagePullBackOff", lab.ReasonImagePullBackOff, fmt.Sprintf(`Back-off pulling image "%s"`, image)
			cr.Observed = &lab.Expect{Outcome: lab.OutcomeFails, Reason: lab.ReasonImagePullBackOff}
			cr.Detail = "the container waits with ImagePullBackOff, as expected (the pull failed; the kubelet backed off pulling)"
		}
		o.Events = events
		r.Cases = append(r.Cases, cr)
	}
	r.FinishedAt = clock.Add(2 * time.Second)
	finish(r)
	return r
}

// finish recomputes the summary and the performance sums.
func finish(r *lab.Results) {
	r.Tally()
	p := lab.Performance{
		TotalSeconds: r.FinishedAt.Sub(r.StartedAt).Seconds(),
		PeakRSSBytes: 91_488_256,
	}
	for _, b := range r.Builds {
		if b.Built {
			p.Builds++
			p.Operations++
		}
	}
	for _, c := range r.Cases {
		p.CasePhaseSeconds += c.PhaseSeconds
		p.KubeletSeconds += c.KubeletSeconds
		p.MaxVerdictDelaySeconds = max(p.MaxVerdictDelaySeconds, c.VerdictDelaySeconds)
		p.Operations += len(c.Steps) + 2 // the steps, deploy, undeploy
	}
	r.Performance = p
}

// The steps as the runner reports them (lab.Op.String).
const (
	stepWarm        = "warm the node: point the tag v1 at the node variant (node.war) and pull it with a warm-up pod (imagePullPolicy Always)"
	stepTagRegistry = "point the registry tag v1 at the registry variant (registry.war)"
	stepTagNode     = "point the registry tag v1 at the node variant (node.war)"
	stepRemoveTag   = "remove the tag v1 from the registry"
	stepRmi         = "remove the image tagged v1 from the node's cache"
)

// openShiftPlans is all ten cases in the order a planner would run them:
// the node's cached node variant serves 7, 5, 1, 6 and 9 before case 2
// replaces it; the empty-node cases come last.
func openShiftPlans() []plan {
	return []plan{
		{id: 7, order: 1, steps: []string{stepWarm}, prepare: 41.6, kubelet: 2.4, delay: 0.2},
		{id: 5, order: 2, steps: []string{stepRemoveTag}, prepare: 1.3, kubelet: 2.6, delay: 0.1},
		{id: 1, order: 3, prepare: 0.4, kubelet: 3.8, delay: 0.3},
		{id: 6, order: 4, steps: []string{stepTagRegistry}, prepare: 1.9, kubelet: 2.5, delay: 0.2},
		{id: 9, order: 5, prepare: 0.6, kubelet: 9.7, delay: 0.2},
		{id: 2, order: 6, prepare: 0.5, kubelet: 3.1, delay: 0.1},
		{id: 10, order: 7, steps: []string{
			strings.ReplaceAll(stepWarm, "v1", "latest"),
			strings.ReplaceAll(stepTagRegistry, "v1", "latest"),
		}, prepare: 13.2, kubelet: 3.3, delay: 0.2},
		{id: 4, order: 8, steps: []string{stepRmi}, prepare: 6.8, kubelet: 9.4, delay: 0.1},
		{id: 8, order: 9, steps: []string{stepRmi}, prepare: 6.1, kubelet: 1.7, delay: 0.3},
		{id: 3, order: 10, steps: []string{stepRmi, stepRemoveTag}, prepare: 7.4, kubelet: 3.6, delay: 0.2},
	}
}

// fixtureOpenShift is all ten cases passing on OpenShift Local 4.21.
func fixtureOpenShift() *lab.Results {
	return build(openShiftLocal("4.21.8", "v1.34.4", "2.60.1", "cri-o://1.34.4-2.rhaos4.21.gitb2e4d61.el9",
		&lab.KubeletImageCredentials{Gate: lab.GateOff, Source: lab.SourceConfigz,
			Detail: "featureGates sets KubeletEnsureSecretPulledImages explicitly"}), openShiftPlans())
}

// fixtureMismatch is the six article cases on OpenShift Local 4.22
// (Kubernetes 1.35, KEP-2535 on: a TechPreviewNoUpgrade cluster), where case 6 did not run the stale image
// (fail) and case 3 could not reach its state (error).
func fixtureMismatch() *lab.Results {
	plans := []plan{
		{id: 5, order: 1, steps: []string{stepWarm, stepRemoveTag}, prepare: 44.9, kubelet: 2.7, delay: 0.2},
		{id: 1, order: 2, prepare: 0.4, kubelet: 3.9, delay: 0.2},
		{id: 6, order: 3, steps: []string{stepTagRegistry}, prepare: 1.8, kubelet: 9.9, delay: 0.3},
		{id: 2, order: 4, prepare: 0.5, kubelet: 3.2, delay: 0.1},
		{id: 4, order: 5, steps: []string{stepRmi}, prepare: 6.6, kubelet: 9.1, delay: 0.2},
		{id: 3, order: 6, steps: []string{stepRemoveTag, stepRmi}, prepare: 31.0, kubelet: 0, delay: 0},
	}
	r := build(openShiftLocal("4.22.1", "v1.35.3", "2.62.0", "cri-o://1.35.3-3.rhaos4.22.git5c1a9e2.el9",
		&lab.KubeletImageCredentials{Gate: lab.GateOn, Policy: lab.PolicyNeverVerifyPreloadedImages, Source: lab.SourceConfigz,
			Detail: "featureGates sets KubeletEnsureSecretPulledImages explicitly"}), plans)
	repo := r.Environment.AppRepository
	for i := range r.Cases {
		c := &r.Cases[i]
		switch c.Case.ID {
		case 6:
			// The kubelet pulled again although the node had the image.
			o := c.Observation
			pull := c.KubeletSeconds - 1.4
			o.Events = append(o.Events[:2:2],
				lab.Event{Type: "Normal", Reason: "Pulling", Message: fmt.Sprintf(`Pulling image "%s:v1"`, repo), Count: 1, First: o.Created.Add(900 * time.Millisecond), Last: o.Created.Add(900 * time.Millisecond)},
				lab.Event{Type: "Normal", Reason: "Pulled", Message: fmt.Sprintf(`Successfully pulled image "%s:v1" in %.3fs (%.3fs including waiting). Image size: 611843072 bytes.`, repo, pull, pull), Count: 1, First: o.Kubelet.Add(-400 * time.Millisecond), Last: o.Kubelet.Add(-400 * time.Millisecond)},
				lab.Event{Type: "Normal", Reason: "Created", Message: "Created container: custom-image-java", Count: 1, First: o.Kubelet.Add(-200 * time.Millisecond), Last: o.Kubelet.Add(-200 * time.Millisecond)},
				lab.Event{Type: "Normal", Reason: "Started", Message: "Started container custom-image-java", Count: 1, First: o.Kubelet, Last: o.Kubelet},
			)
			o.ImageID = repo + "@" + r.Builds[1].Digest
			o.LogLine = strings.ReplaceAll(o.LogLine, "node.war", "registry.war")
			c.Observed = &lab.Expect{Outcome: lab.OutcomeRuns, Variant: lab.VariantRegistry}
			c.RanVariant, c.LogVariant = lab.VariantRegistry, lab.VariantRegistry
			c.Verdict = lab.VerdictFail
			c.Detail = fmt.Sprintf("expected node.war to run, but registry.war ran: the imageID %s is the registry variant and the log names registry.war (the kubelet pulled it from the registry)",
				r.Builds[1].Digest[:len("sha256:")+12])
		case 3:
			// The node image could not be removed: the state was not reached.
			c.Observation, c.Observed, c.Image = nil, nil, ""
			c.Before.Node = lab.HoldsRegistry
			c.KubeletSeconds, c.PhaseSeconds, c.VerdictDelaySeconds = 0, 0, 0
			c.Verdict = lab.VerdictError
			c.Detail = "could not remove the image tagged v1 from the node's cache: crictl rmi: image is in use by a container"
		}
	}
	// Both variants were reused from an earlier run.
	r.Builds[0].Built, r.Builds[1].Built = false, false
	r.FinishedAt = r.FinishedAt.Add(-10 * time.Second)
	finish(r)
	return r
}

// fixtureKubernetes is the six article cases on a plain Kubernetes node.
func fixtureKubernetes() *lab.Results {
	plans := []plan{
		{id: 5, order: 1, steps: []string{stepWarm, stepRemoveTag}, prepare: 8.7, kubelet: 1.2, delay: 0.1},
		{id: 1, order: 2, prepare: 0.2, kubelet: 1.6, delay: 0.2},
		{id: 6, order: 3, steps: []string{stepTagRegistry}, prepare: 0.3, kubelet: 1.1, delay: 0.1},
		{id: 2, order: 4, prepare: 0.2, kubelet: 1.9, delay: 0.1},
		{id: 4, order: 5, steps: []string{stepRmi}, prepare: 2.4, kubelet: 1.8, delay: 0.1},
		{id: 3, order: 6, steps: []string{stepRmi, stepRemoveTag}, prepare: 2.6, kubelet: 1.5, delay: 0.2},
	}
	return build(plainKubernetes("v1.34.4", kubeletOff134()), plans)
}

// kubeletOff134 is a 1.34 kubelet's state as the reader finds it.
func kubeletOff134() *lab.KubeletImageCredentials {
	return &lab.KubeletImageCredentials{Gate: lab.GateOff, Source: lab.SourceMetrics,
		Detail: `kubernetes_feature_enabled{name="KubeletEnsureSecretPulledImages",stage="ALPHA"}; configz leaves the gate at its default`}
}

// kepCases are cases 11 and 12 as branch auth defines them, with the
// expectation for a kubelet that re-checks credentials (verifies) or not.
func kepCases(verifies bool) (c11, c12 *lab.Case) {
	c11 = &lab.Case{ID: 11, Policy: lab.PolicyIfNotPresent, Node: lab.HoldsNode, Registry: lab.HoldsRegistry, Ref: lab.RefTag,
		Expect: lab.Runs(lab.VariantNode), Extended: true}
	c12 = &lab.Case{ID: 12, Policy: lab.PolicyNever, Node: lab.HoldsNode, Registry: lab.HoldsRegistry, Ref: lab.RefTag,
		Expect: lab.Runs(lab.VariantNode), Extended: true}
	if verifies {
		c11.Expect, c12.Expect = lab.Fails(lab.ReasonImagePullBackOff), lab.Fails(lab.ReasonErrImageNeverPull)
	}
	return c11, c12
}

// stepWarmWithSecret is how the runner caches the node variant for 11 and 12.
const stepWarmWithSecret = "warm the node: point the tag v1 at the node variant (node.war) and pull it with a warm-up pod that has the lab's pull secret (imagePullPolicy Always)"

// kepPlans runs 5 and 6 and then 11 and 12 from the second namespace.
func kepPlans(verifies bool) []plan {
	c11, c12 := kepCases(verifies)
	return []plan{
		{id: 5, order: 1, steps: []string{stepWarmWithSecret, stepRemoveTag}, prepare: 9.1, kubelet: 1.3, delay: 0.1},
		{id: 6, order: 2, steps: []string{stepTagRegistry}, prepare: 0.3, kubelet: 1.2, delay: 0.1},
		{id: 11, kase: c11, order: 3, prepare: 0.4, kubelet: 1.4, delay: 0.2},
		{id: 12, kase: c12, order: 4, prepare: 0.2, kubelet: 0.9, delay: 0.1},
	}
}

// inNoCredentialsNamespace moves cases 11 and 12's pods to the second lab
// namespace, as the runner deploys them.
func inNoCredentialsNamespace(r *lab.Results) {
	for i := range r.Cases {
		c := &r.Cases[i]
		if c.Case.ID < 11 || c.Observation == nil {
			continue
		}
		for j := range c.Observation.Events {
			e := &c.Observation.Events[j]
			e.Message = strings.Replace(e.Message, "assigned pulllab/", "assigned pulllab-nocreds/", 1)
		}
	}
}

// fixtureKEPOn is a 1.37 kubelet with KEP-2535 on (read from /metrics):
// cases 11 and 12 cannot use the node's cache without credentials.
func fixtureKEPOn() *lab.Results {
	p := plainKubernetes("v1.37.2", &lab.KubeletImageCredentials{Gate: lab.GateOn, Policy: lab.PolicyNeverVerifyPreloadedImages,
		Source: lab.SourceMetrics, Detail: `kubernetes_feature_enabled{name="KubeletEnsureSecretPulledImages",stage="BETA"}; configz leaves the gate at its default`})
	p.env.ContainerRuntime = "containerd://2.2.0"
	p.pullFailed = func(ref string) string {
		return fmt.Sprintf(`Failed to pull image "%s": rpc error: code = Unknown desc = failed to pull and unpack image "%s": failed to resolve reference "%s": pull access denied, repository does not exist or may require authorization: authorization failed: no basic auth credentials`,
			ref, ref, ref)
	}
	r := build(p, kepPlans(true))
	inNoCredentialsNamespace(r)
	// A 1.37 kubelet's wording (gate on).
	for i := range r.Cases {
		if o := r.Cases[i].Observation; o != nil {
			for j := range o.Events {
				e := &o.Events[j]
				switch {
				case e.Reason == "Pulled" && strings.HasSuffix(e.Message, "already present on machine"):
					e.Message += " and can be accessed by the pod"
				case e.Reason == "Created":
					e.Message = "Container created"
				case e.Reason == "Started":
					e.Message = "Container started"
				}
			}
		}
	}
	for i := range r.Cases {
		if c := &r.Cases[i]; c.Case.ID == 12 {
			c.Detail = "the container waits with ErrImageNeverPull, as expected: the image is on the node, but the kubelet will not let a pod without matching credentials use it, and Never forbids a pull"
		}
	}
	finish(r)
	return r
}

// fixtureKEPOff is a 1.34 kubelet (gate off): the pods without
// credentials borrow the private image from the node.
func fixtureKEPOff() *lab.Results {
	r := build(plainKubernetes("v1.34.4", kubeletOff134()), kepPlans(false))
	inNoCredentialsNamespace(r)
	finish(r)
	return r
}
