package workload

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/sirupsen/logrus"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/pulllab/pulllab/lab"
)

// Observe watches the pod of the case's Deployment until it reaches a
// terminal state, then gathers the evidence. The terminal states are:
// Running with the container ready; the container waiting with
// ImagePullBackOff, ErrImageNeverPull or InvalidImageName (the kubelet will
// not get further by itself); or CrashLoopBackOff (the image ran but the app
// died). ErrImagePull is not terminal: the kubelet turns it into
// ImagePullBackOff within seconds, and both are steps of one failure. When
// timeout passes first the Observation has TimedOut set and describes the
// pod as last seen (e.g. still ErrImagePull), and the error is nil.
//
// Pods being deleted, pods of other cases and pods older than the
// Deployment are ignored; if several pods remain the newest counts.
//
// Observe is three steps: watchCase runs the pod and event watches until
// decide, a pure state machine, reaches a decision; assemble gathers the
// evidence for it.
func (c *Client) Observe(ctx context.Context, d lab.Deployment, timeout time.Duration) (lab.Observation, error) {
	if err := c.check(false); err != nil {
		return lab.Observation{}, err
	}
	ns := c.o.Namespace
	dep, err := c.cs.AppsV1().Deployments(ns).Get(ctx, d.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return lab.Observation{}, fmt.Errorf("observing deployment %s/%s: it does not exist", ns, d.Name)
	}
	if err != nil {
		return lab.Observation{}, fmt.Errorf("reading deployment %s/%s: %w", ns, d.Name, err)
	}
	log := c.o.Log.WithFields(map[string]any{"deployment": d.Name, "case": d.CaseID})
	w, err := c.watchCase(ctx, dep, d.CaseID, timeout, log)
	if err != nil {
		return lab.Observation{}, err
	}
	return c.assemble(ctx, dep, w, log)
}

// decision is the state of Observe's decision: undecided, decided on the
// pod's status, or decided on a kubelet event that reported a waiting
// reason (eventState) before the pod status showed it.
type decision struct {
	// done is set once a terminal state is reached; it stays set.
	done bool
	// eventState is the waiting reason of the kubelet event the decision
	// was taken on; "" when the pod's status decided.
	eventState string
}

// eventStates are the waiting reasons Observe decides on from a kubelet
// event, in order of precedence.
var eventStates = []string{lab.ReasonImagePullBackOff, lab.ReasonErrImageNeverPull}

// decide is Observe's state machine, a pure function: from the previous
// decision, the case's newest pod (nil before one appears) and the kubelet's
// pod events seen so far, it returns the next decision. A decision taken
// stays. The pod's own terminal state (see terminal) decides first; else a
// kubelet event about this pod (by UID) that reports ImagePullBackOff or
// ErrImageNeverPull decides, as the kubelet sends those events at once but
// publishes the matching pod status only at its next sync.
func decide(prev decision, pod *corev1.Pod, events []*corev1.Event) decision {
	if prev.done || pod == nil {
		return prev
	}
	if _, done := terminal(pod); done {
		return decision{done: true}
	}
	for _, e := range events {
		if e.InvolvedObject.UID != pod.UID {
			continue
		}
		for _, st := range eventStates {
			if lab.EventReportsState(e.Reason, e.Message, st) {
				return decision{done: true, eventState: st}
			}
		}
	}
	return prev
}

// watched is what Observe's watches saw.
type watched struct {
	// pod is the case's newest pod as last seen; nil when none appeared.
	pod *corev1.Pod
	// firstSeen is when the watch first saw pod.
	firstSeen time.Time
	// decision is the decision reached; seen is when (or when the timeout
	// passed, then timedOut is set).
	decision decision
	seen     time.Time
	timedOut bool
}

// caseWatch is what the two watches of watchCase share, under mu: the
// case's newest pod, the kubelet's pod events and the decision they lead to.
type caseWatch struct {
	now func() time.Time
	log logrus.FieldLogger

	mu        sync.Mutex
	pod       *corev1.Pod
	events    []*corev1.Event
	dec       decision
	seen      time.Time
	firstSeen map[string]time.Time
}

// step advances the decision (with mu held) and reports whether it is taken.
func (w *caseWatch) step() bool {
	if w.dec.done {
		return true
	}
	if w.dec = decide(w.dec, w.pod, w.events); w.dec.done {
		w.seen = w.now()
	}
	return w.dec.done
}

// onEvents takes the kubelet's pod events in the namespace as the event
// watch lists them, and reports whether the decision is taken.
func (w *caseWatch) onEvents(evs []*corev1.Event) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.events = evs
	return w.step()
}

// onPods takes the case's pods as the pod watch lists them (the newest
// counts), and reports whether the decision is taken.
func (w *caseWatch) onPods(pods []*corev1.Pod) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	p := newest(pods)
	if p == nil {
		return false
	}
	if _, ok := w.firstSeen[p.Name]; !ok {
		w.firstSeen[p.Name] = w.now()
	}
	if w.pod == nil || w.pod.Name != p.Name || PodStatus(w.pod) != PodStatus(p) {
		w.log.WithFields(map[string]any{"pod": p.Name, "status": PodStatus(p)}).Debug("pod changed")
	}
	w.pod = p
	return w.step()
}

// watchCase runs two watches that feed one decision (decide): the pods of
// the case's Deployment (the newest one that is not being deleted and is
// not older than the Deployment counts), and the namespace's kubelet pod
// events. Deciding on an event keeps the verdict within a second of the
// kubelet's own report; the pod status often follows ten seconds later.
// watchCase returns when a decision is reached or timeout passes (then
// timedOut is set and the error is nil); a cancelled ctx or a failed watch
// is an error.
func (c *Client) watchCase(ctx context.Context, dep *appsv1.Deployment, caseID int, timeout time.Duration, log logrus.FieldLogger) (watched, error) {
	ns := c.o.Namespace
	sel := c.appSelector(dep.Name)
	sel[lab.LabelCase] = strconv.Itoa(caseID)
	selector := labels.SelectorFromSet(sel)
	w := &caseWatch{now: c.o.Now, log: log, firstSeen: map[string]time.Time{}}

	// Whichever watch decides ends both.
	wctx, cancel := context.WithTimeout(ctx, timeout)
	stopWhen := func(decided bool) (bool, error) {
		if decided {
			cancel()
		}
		return decided, nil
	}
	var evErr error
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		opts := metav1.ListOptions{FieldSelector: fields.OneTermEqualSelector("involvedObject.kind", "Pod").String()}
		evErr = until(wctx, eventLW(c.cs, ns, opts), &corev1.Event{},
			func(e *corev1.Event) bool { return e.InvolvedObject.Kind == "Pod" && e.Source.Component == "kubelet" },
			func(evs []*corev1.Event) (bool, error) {
				return stopWhen(w.onEvents(evs))
			})
	}()
	err := until(wctx, podLW(c.cs, ns, metav1.ListOptions{LabelSelector: selector.String()}), &corev1.Pod{},
		func(p *corev1.Pod) bool {
			return p.Namespace == ns && selector.Matches(labels.Set(p.Labels)) &&
				p.DeletionTimestamp == nil && !p.CreationTimestamp.Before(&dep.CreationTimestamp)
		},
		func(pods []*corev1.Pod) (bool, error) {
			return stopWhen(w.onPods(pods))
		})
	cancel()
	wg.Wait()

	w.mu.Lock()
	defer w.mu.Unlock()
	if w.dec.done {
		err = nil // decided, by the pod or by its events
	} else if err == nil && evErr != nil && ctx.Err() == nil {
		err = evErr
	}
	out := watched{pod: w.pod, decision: w.dec, seen: w.seen}
	switch {
	case err == nil:
	case ctx.Err() != nil:
		return watched{}, fmt.Errorf("observing deployment %s/%s: %w", ns, dep.Name, ctx.Err())
	case errors.Is(err, context.DeadlineExceeded):
		out.timedOut = true
		out.seen = c.o.Now()
	default:
		return watched{}, fmt.Errorf("watching the pods of deployment %s/%s: %w", ns, dep.Name, err)
	}
	if w.pod != nil {
		out.firstSeen = w.firstSeen[w.pod.Name]
	}
	return out, nil
}

// assemble gathers the evidence for what the watches saw: after a decision
// on a kubelet event, the (bounded) catch-up of the pod status; the pod
// line, the container's status and image, the pod's events, the kubelet's
// time and, for a running container, the log line that names the WAR.
func (c *Client) assemble(ctx context.Context, dep *appsv1.Deployment, w watched, log logrus.FieldLogger) (lab.Observation, error) {
	obs := lab.Observation{Seen: w.seen, TimedOut: w.timedOut}
	if w.pod == nil {
		obs.Message = c.whyNoPod(ctx, dep)
		log.WithField("reason", obs.Message).Debug("no pod appeared")
		return obs, nil
	}
	cur, eventState := w.pod, w.decision.eventState
	if eventState != "" {
		// The verdict is taken; make the kubelet publish the state it
		// reported (bounded) so that the `oc get pod` line shows it.
		cu := c.catchUp(ctx, cur, eventState)
		cur = cu.pod
		obs.StatusNudged, obs.StatusCaughtUp, obs.StatusNote = cu.nudged, cu.caughtUp, cu.note
	} else if !obs.TimedOut {
		obs.StatusCaughtUp = obs.Seen // the status itself decided
	}
	obs.Pod = cur.Name
	obs.Created = createdTime(cur, w.firstSeen)
	obs.Status = PodStatus(cur)
	obs.PodLine = PodLine(cur, obs.Seen)
	state := containerEvidence(&obs, cur, eventState)

	events, raw, err := c.podEvents(ctx, cur, state)
	if err != nil {
		return lab.Observation{}, err
	}
	obs.Events = events
	obs.Kubelet = kubeletTime(cur, state, raw)

	if state == stateRunning {
		lr, err := c.deployLine(ctx, cur)
		if err != nil {
			return lab.Observation{}, err
		}
		obs.LogLine, obs.LogNote, obs.LogSeconds = lr.line, lr.note, lr.took.Seconds()
	}
	log.WithFields(map[string]any{"pod": obs.Pod, "status": obs.Status, "timedOut": obs.TimedOut}).Debug("observed")
	return obs, nil
}

// containerEvidence fills obs from the app container's status (readiness,
// image, imageID, waiting reason and message; the reason of the kubelet
// event the decision was taken on wins over a status that lags) and returns
// the state the evidence is about: the pod's terminal state, else the
// event's, else the container's waiting reason ("" when there is none).
func containerEvidence(obs *lab.Observation, pod *corev1.Pod, eventState string) string {
	state, _ := terminal(pod)
	if state == "" {
		state = eventState
	}
	if cs := appStatus(pod); cs != nil {
		obs.Ready = cs.Ready
		obs.Image = cs.Image
		obs.ImageID = cs.ImageID
		if w := cs.State.Waiting; w != nil {
			obs.Reason, obs.Message = w.Reason, w.Message
			if state == "" {
				state = w.Reason
			}
		}
		if eventState != "" && obs.Reason != eventState {
			// decided on the kubelet's event before its status said so
			obs.Reason = eventState
		}
	}
	if obs.Image == "" && len(pod.Spec.Containers) > 0 {
		obs.Image = pod.Spec.Containers[0].Image
	}
	return state
}

// stateRunning is terminal's name for a running, ready container.
const stateRunning = lab.StateRunning

// terminal reports whether the pod is in a terminal state for Observe, and
// which: stateRunning, or the container's waiting reason.
func terminal(p *corev1.Pod) (string, bool) {
	cs := appStatus(p)
	if cs == nil {
		return "", false
	}
	if w := cs.State.Waiting; w != nil {
		switch w.Reason {
		case lab.ReasonImagePullBackOff, lab.ReasonErrImageNeverPull, lab.ReasonInvalidImageName, lab.ReasonCrashLoopBackOff:
			return w.Reason, true
		}
		return "", false
	}
	if cs.State.Running != nil && cs.Ready && conditionTrue(p, corev1.PodReady) {
		return stateRunning, true
	}
	return "", false
}
