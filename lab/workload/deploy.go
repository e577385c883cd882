package workload

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/pulllab/pulllab/lab"
	"github.com/pulllab/pulllab/manifests"
)

// Roles (values of lab.LabelRole).
const (
	RoleApp    = "app"
	RoleWarmup = "warmup"
	RoleDebug  = "debug"
)

// DeploymentFor returns the Deployment that Deploy creates for d: the
// embedded deployment.yaml with the name, image, pull policy, node and
// labels filled in. The image is used exactly as given (by tag or by
// digest); PolicyDefault leaves imagePullPolicy empty so that the API
// server defaults it (Always for :latest or no tag, else IfNotPresent).
func (c *Client) DeploymentFor(d lab.Deployment) (*appsv1.Deployment, error) {
	if err := c.check(true); err != nil {
		return nil, err
	}
	if errs := validation.IsDNS1123Subdomain(d.Name); len(errs) > 0 || len(d.Name) > validation.DNS1123LabelMaxLength {
		return nil, fmt.Errorf("invalid deployment name %q", d.Name)
	}
	if d.Image == "" {
		return nil, fmt.Errorf("deployment %q has no image", d.Name)
	}
	switch d.Policy {
	case lab.PolicyAlways, lab.PolicyIfNotPresent, lab.PolicyNever, lab.PolicyDefault:
	default:
		return nil, fmt.Errorf("invalid imagePullPolicy %q: use Always, IfNotPresent or Never", d.Policy)
	}
	dep, err := manifests.Deployment()
	if err != nil {
		return nil, err
	}
	dep.Name = d.Name
	dep.Namespace = c.o.Namespace
	dep.Labels = mergeLabels(dep.Labels, c.Labels(), map[string]string{"app": d.Name, lab.LabelRole: RoleApp})
	sel := map[string]string{labelDeployment: d.Name}
	dep.Spec.Selector = &metav1.LabelSelector{MatchLabels: sel}
	tmpl := &dep.Spec.Template
	tmpl.Labels = mergeLabels(tmpl.Labels, sel, c.Labels(), map[string]string{
		lab.LabelRole: RoleApp,
		lab.LabelCase: strconv.Itoa(d.CaseID),
	})
	tmpl.Spec.NodeName = c.o.Node
	ctr := &tmpl.Spec.Containers[0]
	ctr.Image = d.Image
	ctr.ImagePullPolicy = corev1.PullPolicy(d.Policy)
	return dep, nil
}

// mergeLabels returns the union of the maps; later maps win.
func mergeLabels(ms ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

// Deploy creates the app Deployment for a case. When a Deployment of that
// name exists it is deleted first and its pods waited for (the strategy is
// Recreate anyway, and a case must never see the previous case's pod).
func (c *Client) Deploy(ctx context.Context, d lab.Deployment) error {
	dep, err := c.DeploymentFor(d)
	if err != nil {
		return err
	}
	dc := c.cs.AppsV1().Deployments(c.o.Namespace)
	_, err = dc.Create(ctx, dep, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		c.o.Log.WithField("deployment", d.Name).Debug("deployment exists; replacing it")
		if err := c.Undeploy(ctx, d.Name); err != nil {
			return err
		}
		_, err = dc.Create(ctx, dep, metav1.CreateOptions{})
	}
	if err != nil {
		return fmt.Errorf("creating deployment %s/%s: %w", c.o.Namespace, d.Name, err)
	}
	c.o.Log.WithFields(map[string]any{"deployment": d.Name, "image": d.Image, "policy": d.Policy.String(), "case": d.CaseID}).Debug("created deployment")
	return nil
}

// Undeploy deletes the Deployment (foreground propagation) and waits until
// it and every pod of it are gone. An absent Deployment is not an error.
func (c *Client) Undeploy(ctx context.Context, name string) error {
	if err := c.check(false); err != nil {
		return err
	}
	ns := c.o.Namespace
	fg := metav1.DeletePropagationForeground
	err := c.cs.AppsV1().Deployments(ns).Delete(ctx, name, metav1.DeleteOptions{PropagationPolicy: &fg})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("deleting deployment %s/%s: %w", ns, name, err)
	}
	wctx, cancel := context.WithTimeout(ctx, c.o.DeleteTimeout)
	defer cancel()
	if err := c.waitPodsGone(ctx, wctx, labels.SelectorFromSet(c.appSelector(name))); err != nil {
		return fmt.Errorf("undeploying %s: %w", name, err)
	}
	if err := waitDeploymentsGone(wctx, c.cs, ns, name, labels.Everything()); err != nil {
		if ctx.Err() == nil && wctx.Err() != nil {
			return fmt.Errorf("deployment %s/%s is still there %s after deleting it", ns, name, c.o.DeleteTimeout)
		}
		return fmt.Errorf("waiting for deployment %s/%s to go: %w", ns, name, err)
	}
	c.o.Log.WithField("deployment", name).Debug("deployment and its pods are gone")
	return nil
}

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
	sel := c.appSelector(d.Name)
	sel[lab.LabelCase] = strconv.Itoa(d.CaseID)
	selector := labels.SelectorFromSet(sel)
	log := c.o.Log.WithFields(map[string]any{"deployment": d.Name, "case": d.CaseID})

	// Two watches feed one decision: the pod (Running and Ready, or a
	// terminal waiting reason) and the namespace's pod events. The kubelet
	// sends its BackOff and ErrImageNeverPull events at once but publishes
	// the matching pod status only at its next sync, often ten seconds
	// later; deciding on the event keeps the verdict within a second of the
	// kubelet's own report.
	wctx, cancel := context.WithTimeout(ctx, timeout)
	var (
		mu         sync.Mutex
		cur        *corev1.Pod
		seen       time.Time
		eventState string
		firstSeen  = map[string]time.Time{}
		podEvs     []*corev1.Event
	)
	decide := func() bool { // with mu held
		if cur == nil || !seen.IsZero() {
			return !seen.IsZero()
		}
		if _, done := terminal(cur); done {
			seen = c.o.Now()
			return true
		}
		for _, e := range podEvs {
			if e.InvolvedObject.UID != cur.UID {
				continue
			}
			for _, st := range []string{lab.ReasonImagePullBackOff, lab.ReasonErrImageNeverPull} {
				if matchesState(e.Reason, e.Message, st) {
					eventState, seen = st, c.o.Now()
					return true
				}
			}
		}
		return false
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
				mu.Lock()
				defer mu.Unlock()
				podEvs = evs
				if decide() {
					cancel()
					return true, nil
				}
				return false, nil
			})
	}()
	err = until(wctx, podLW(c.cs, ns, metav1.ListOptions{LabelSelector: selector.String()}), &corev1.Pod{},
		func(p *corev1.Pod) bool {
			return p.Namespace == ns && selector.Matches(labels.Set(p.Labels)) &&
				p.DeletionTimestamp == nil && !p.CreationTimestamp.Before(&dep.CreationTimestamp)
		},
		func(pods []*corev1.Pod) (bool, error) {
			mu.Lock()
			defer mu.Unlock()
			p := newest(pods)
			if p == nil {
				return false, nil
			}
			if _, ok := firstSeen[p.Name]; !ok {
				firstSeen[p.Name] = c.o.Now()
			}
			if cur == nil || cur.Name != p.Name || PodStatus(cur) != PodStatus(p) {
				log.WithFields(map[string]any{"pod": p.Name, "status": PodStatus(p)}).Debug("pod changed")
			}
			cur = p
			if decide() {
				cancel()
				return true, nil
			}
			return false, nil
		})
	cancel()
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	if !seen.IsZero() {
		err = nil // decided, by the pod or by its events
	} else if err == nil && evErr != nil && ctx.Err() == nil {
		err = evErr
	}
	obs := lab.Observation{Seen: seen}
	switch {
	case err == nil:
	case ctx.Err() != nil:
		return lab.Observation{}, fmt.Errorf("observing deployment %s/%s: %w", ns, d.Name, ctx.Err())
	case errors.Is(err, context.DeadlineExceeded):
		obs.TimedOut = true
		obs.Seen = c.o.Now()
	default:
		return lab.Observation{}, fmt.Errorf("watching the pods of deployment %s/%s: %w", ns, d.Name, err)
	}
	if cur == nil {
		obs.Message = c.whyNoPod(ctx, dep)
		log.WithField("reason", obs.Message).Debug("no pod appeared")
		return obs, nil
	}

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
	obs.Created = createdTime(cur, firstSeen[cur.Name])
	obs.Status = PodStatus(cur)
	obs.PodLine = PodLine(cur, obs.Seen)
	state, _ := terminal(cur)
	if state == "" {
		state = eventState
	}
	if cs := appStatus(cur); cs != nil {
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
	if obs.Image == "" && len(cur.Spec.Containers) > 0 {
		obs.Image = cur.Spec.Containers[0].Image
	}

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

// stateRunning is terminal's name for a running, ready container.
const stateRunning = "Running"

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

// appStatus returns the status of the pod's first (app) container.
func appStatus(p *corev1.Pod) *corev1.ContainerStatus {
	if len(p.Spec.Containers) == 0 {
		return nil
	}
	name := p.Spec.Containers[0].Name
	for i := range p.Status.ContainerStatuses {
		if p.Status.ContainerStatuses[i].Name == name {
			return &p.Status.ContainerStatuses[i]
		}
	}
	return nil
}

// newest returns the most recently created pod (by name on a tie).
func newest(pods []*corev1.Pod) *corev1.Pod {
	var best *corev1.Pod
	for _, p := range pods {
		if best == nil || best.CreationTimestamp.Before(&p.CreationTimestamp) ||
			(best.CreationTimestamp.Equal(&p.CreationTimestamp) && p.Name > best.Name) {
			best = p
		}
	}
	return best
}

// whyNoPod explains why a Deployment has no pod: the ReplicaSet's or the
// Deployment's failure condition (e.g. a quota or admission refusal).
func (c *Client) whyNoPod(ctx context.Context, dep *appsv1.Deployment) string {
	ns := c.o.Namespace
	msg := "no pod was created for deployment " + dep.Name
	rss, err := c.cs.AppsV1().ReplicaSets(ns).List(ctx, metav1.ListOptions{LabelSelector: labels.SelectorFromSet(dep.Spec.Selector.MatchLabels).String()})
	if err == nil {
		for _, rs := range rss.Items {
			if !metav1.IsControlledBy(&rs, dep) {
				continue
			}
			for _, cond := range rs.Status.Conditions {
				if cond.Type == appsv1.ReplicaSetReplicaFailure && cond.Status == corev1.ConditionTrue {
					return fmt.Sprintf("%s: %s: %s", msg, cond.Reason, cond.Message)
				}
			}
		}
	}
	if d, err := c.cs.AppsV1().Deployments(ns).Get(ctx, dep.Name, metav1.GetOptions{}); err == nil {
		for _, cond := range d.Status.Conditions {
			if (cond.Type == appsv1.DeploymentReplicaFailure && cond.Status == corev1.ConditionTrue) ||
				(cond.Type == appsv1.DeploymentProgressing && cond.Status == corev1.ConditionFalse) {
				return fmt.Sprintf("%s: %s: %s", msg, cond.Reason, cond.Message)
			}
		}
	}
	return msg
}
