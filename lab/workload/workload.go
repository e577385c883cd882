// Package workload runs the lab's pods on one node of a Kubernetes or
// OpenShift cluster through client-go: it deploys the app for a case and
// watches its pod to a terminal state, gathers the kubelet's evidence
// (events, image ID, the log line naming the deployed WAR), makes the node
// pull an image with a short warm-up pod, and manages the lab namespace.
// Both backends (lab/openshift and lab/kube) use it.
//
// Everything here waits with watches (informers that re-list when a watch
// expires), never with sleeps, and every object it creates carries the
// labels app.kubernetes.io/managed-by=pulllab and pulllab.io/lab=<lab ID>.
package workload

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/sirupsen/logrus"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/pulllab/pulllab/internal/kubeclient"
	"github.com/pulllab/pulllab/lab"
	"github.com/pulllab/pulllab/manifests"
)

// Defaults for the Options durations.
const (
	DefaultPullTimeout   = 10 * time.Minute
	DefaultDeleteTimeout = 3 * time.Minute
	// DefaultLogWait bounds the whole wait for the log line naming the
	// deployed WAR. It matters only for a log that keeps growing without
	// naming one (a server that says it has started, or whose log stops
	// growing, ends the wait sooner), and leaves room for a slow EAP boot
	// on a cold CRC, which logs all along.
	DefaultLogWait = time.Minute
	// DefaultLogQuiet is how long a running container's log may stay
	// silent before pulllab stops waiting for the WAR line. The lab's pod
	// has no readiness probe, so "ready" only means the container started:
	// a JVM server logs its WAR during the boot that follows. Known servers
	// end the wait with their "started" line (lab.ServerStarted); for any
	// other, the longest pause in such a boot log is the JVM's own start
	// before the server's first line (one to three seconds on a busy CRC
	// VM), and the log path (runtime log file → kubelet → API server) adds
	// well under a second. Five seconds covers both, and a server that
	// never names its WAR costs that much per running case.
	DefaultLogQuiet = 5 * time.Second
	// DefaultEventWait bounds the wait for the event that matches a pod's
	// terminal state (events reach the API server after the status does).
	DefaultEventWait = 5 * time.Second
	// DefaultStatusWait bounds the wait for the pod status to show a state
	// the kubelet's events already reported (for the report's pod line).
	// pulllab makes the kubelet sync the pod at once (see catchUp), which
	// publishes the status within a fraction of a second; when that has
	// not happened in two seconds the kubelet's own next sync is up to ten
	// seconds away, and the report says the reason rests on the event.
	DefaultStatusWait = 2 * time.Second
)

// Options configure a Client.
type Options struct {
	// Namespace is the lab namespace.
	Namespace string
	// Node is the node every pod is pinned to (spec.nodeName).
	Node string
	// LabID is the value of the pulllab.io/lab label on everything created.
	LabID string
	// Profile says how to find the log line naming the deployed WAR.
	Profile lab.Profile
	// LogWait is how long at most to follow a running pod's log for that
	// line (default DefaultLogWait).
	LogWait time.Duration
	// LogQuiet ends that wait when the log has not grown for so long
	// (default DefaultLogQuiet).
	LogQuiet time.Duration
	// PullTimeout bounds Warm's wait for the image pull (default
	// DefaultPullTimeout).
	PullTimeout time.Duration
	// DeleteTimeout bounds every wait for deleted objects to go (default
	// DefaultDeleteTimeout).
	DeleteTimeout time.Duration
	// EventWait bounds the wait for the event matching a terminal state
	// (default DefaultEventWait).
	EventWait time.Duration
	// StatusWait bounds the wait for the pod status to catch up with the
	// kubelet's events after the verdict (default DefaultStatusWait).
	StatusWait time.Duration
	// Log receives progress at debug level and warnings (default: discarded).
	Log logrus.FieldLogger
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Client runs the lab's pods. It implements lab.Workload.
type Client struct {
	cs kubeclient.Interface
	o  Options
	// logs opens a container's log stream; a field so tests can serve logs
	// (the fake clientset always answers "fake logs").
	logs func(ctx context.Context, ns, pod, container string, follow bool) (io.ReadCloser, error)
}

var _ lab.Workload = (*Client)(nil)

// New returns a Client for the clientset, with defaults filled in.
func New(cs kubeclient.Interface, o Options) *Client {
	if o.LogWait <= 0 {
		o.LogWait = DefaultLogWait
	}
	if o.LogQuiet <= 0 {
		o.LogQuiet = DefaultLogQuiet
	}
	if o.PullTimeout <= 0 {
		o.PullTimeout = DefaultPullTimeout
	}
	if o.DeleteTimeout <= 0 {
		o.DeleteTimeout = DefaultDeleteTimeout
	}
	if o.StatusWait <= 0 {
		o.StatusWait = DefaultStatusWait
	}
	if o.EventWait <= 0 {
		o.EventWait = DefaultEventWait
	}
	if o.Log == nil {
		o.Log = lab.DiscardLog()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	c := &Client{cs: cs, o: o}
	c.logs = func(ctx context.Context, ns, pod, container string, follow bool) (io.ReadCloser, error) {
		return cs.CoreV1().Pods(ns).GetLogs(pod, &corev1.PodLogOptions{Container: container, Follow: follow}).Stream(ctx)
	}
	return c
}

// Options returns the options in force (with defaults).
func (c *Client) Options() Options { return c.o }

// Labels returns the labels every object of this lab carries.
func (c *Client) Labels() map[string]string {
	return map[string]string{lab.LabelManagedBy: lab.ManagedBy, lab.LabelLabID: c.o.LabID}
}

// labSelector selects everything of this lab.
func (c *Client) labSelector() labels.Selector {
	return labels.SelectorFromSet(c.Labels())
}

// check validates the options a method needs.
func (c *Client) check(needNode bool) error {
	if c.o.Namespace == "" {
		return fmt.Errorf("no lab namespace configured")
	}
	if errs := validation.IsDNS1123Label(c.o.Namespace); len(errs) > 0 {
		return fmt.Errorf("invalid namespace name %q: %s", c.o.Namespace, errs[0])
	}
	if errs := validation.IsValidLabelValue(c.o.LabID); c.o.LabID == "" || len(errs) > 0 {
		return fmt.Errorf("invalid lab ID %q: it must be a non-empty label value (letters, digits, '-', '_', '.'; at most 63)", c.o.LabID)
	}
	if needNode && c.o.Node == "" {
		return fmt.Errorf("no node chosen for the lab's pods")
	}
	return nil
}

// freshContext returns a context for cleaning up after ctx was cancelled:
// it keeps ctx's values but not its cancellation, bounded by d.
func freshContext(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), d)
}

// EnsureNamespace makes the lab namespace exist. A new namespace is labelled
// as pulllab's (so DeleteNamespace may remove it later); an existing one is
// kept and, when privileged is set, given the labels that allow privileged
// pods. It fails when the namespace is being deleted.
func (c *Client) EnsureNamespace(ctx context.Context, privileged bool) error {
	if err := c.check(false); err != nil {
		return err
	}
	name := c.o.Namespace
	nsc := c.cs.CoreV1().Namespaces()
	ns, err := nsc.Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		_, err = nsc.Create(ctx, manifests.Namespace(name, privileged), metav1.CreateOptions{})
		if err == nil {
			c.o.Log.WithField("namespace", name).Debug("created namespace")
			return nil
		}
		if !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("creating namespace %q: %w", name, err)
		}
		ns, err = nsc.Get(ctx, name, metav1.GetOptions{})
	}
	if err != nil {
		return fmt.Errorf("reading namespace %q: %w", name, err)
	}
	if ns.DeletionTimestamp != nil || ns.Status.Phase == corev1.NamespaceTerminating {
		return fmt.Errorf("namespace %q is being deleted: wait until it is gone (kubectl get namespace %s) and try again", name, name)
	}
	if !privileged {
		return nil
	}
	missing := map[string]string{}
	for k, v := range manifests.PrivilegedLabels() {
		if ns.Labels[k] != v {
			missing[k] = v
		}
	}
	if len(missing) == 0 {
		return nil
	}
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{"labels": missing}})
	if err != nil {
		return fmt.Errorf("labelling namespace %q: %w", name, err)
	}
	if _, err := nsc.Patch(ctx, name, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		return fmt.Errorf("labelling namespace %q to allow privileged pods: %w", name, err)
	}
	c.o.Log.WithField("namespace", name).Debug("labelled namespace privileged")
	return nil
}

// DeleteNamespace deletes the lab namespace and waits until it is gone. It
// refuses a namespace that pulllab did not create (one without the label
// app.kubernetes.io/managed-by=pulllab). An absent namespace is not an error.
func (c *Client) DeleteNamespace(ctx context.Context) error {
	if err := c.check(false); err != nil {
		return err
	}
	name := c.o.Namespace
	nsc := c.cs.CoreV1().Namespaces()
	ns, err := nsc.Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading namespace %q: %w", name, err)
	}
	if ns.Labels[lab.LabelManagedBy] != lab.ManagedBy {
		return fmt.Errorf("namespace %q was not created by pulllab (it lacks the label %s=%s), so pulllab leaves it alone: delete it yourself if you mean to", name, lab.LabelManagedBy, lab.ManagedBy)
	}
	if ns.DeletionTimestamp == nil {
		err := nsc.Delete(ctx, name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &ns.UID}})
		if err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("deleting namespace %q: %w", name, err)
		}
	}
	wctx, cancel := context.WithTimeout(ctx, c.o.DeleteTimeout)
	defer cancel()
	err = until(wctx, listWatch(byName(name), nsc.List, nsc.Watch), &corev1.Namespace{},
		func(n *corev1.Namespace) bool { return n.Name == name },
		func(ns []*corev1.Namespace) (bool, error) { return len(ns) == 0, nil })
	if err != nil {
		if ctx.Err() == nil && wctx.Err() != nil {
			return fmt.Errorf("namespace %q is still terminating after %s: see its status conditions (kubectl get namespace %s -o yaml) for what blocks it", name, c.o.DeleteTimeout, name)
		}
		return fmt.Errorf("waiting for namespace %q to go: %w", name, err)
	}
	return nil
}

// Cleanup deletes this lab's Deployments and pods (those labelled
// app.kubernetes.io/managed-by=pulllab and pulllab.io/lab=<LabID>) in the lab
// namespace and waits until they are gone. It is meant to be called with a
// fresh context after an interrupt too.
func (c *Client) Cleanup(ctx context.Context) error {
	if err := c.check(false); err != nil {
		return err
	}
	ns := c.o.Namespace
	sel := c.labSelector()
	opts := metav1.ListOptions{LabelSelector: sel.String()}
	fg := metav1.DeletePropagationForeground

	deps, err := c.cs.AppsV1().Deployments(ns).List(ctx, opts)
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("listing the lab's deployments in %q: %w", ns, err)
	}
	if deps != nil {
		for _, d := range deps.Items {
			if !sel.Matches(labels.Set(d.Labels)) {
				continue
			}
			if err := c.cs.AppsV1().Deployments(ns).Delete(ctx, d.Name, metav1.DeleteOptions{PropagationPolicy: &fg}); err != nil && !apierrors.IsNotFound(err) {
				return fmt.Errorf("deleting deployment %s/%s: %w", ns, d.Name, err)
			}
			c.o.Log.WithField("deployment", d.Name).Debug("deleted deployment")
		}
	}
	pods, err := c.cs.CoreV1().Pods(ns).List(ctx, opts)
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("listing the lab's pods in %q: %w", ns, err)
	}
	if pods != nil {
		for _, p := range pods.Items {
			if !sel.Matches(labels.Set(p.Labels)) || p.DeletionTimestamp != nil {
				continue
			}
			if err := c.cs.CoreV1().Pods(ns).Delete(ctx, p.Name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
				return fmt.Errorf("deleting pod %s/%s: %w", ns, p.Name, err)
			}
			c.o.Log.WithField("pod", p.Name).Debug("deleted pod")
		}
	}

	wctx, cancel := context.WithTimeout(ctx, c.o.DeleteTimeout)
	defer cancel()
	if err := c.waitPodsGone(ctx, wctx, sel); err != nil {
		return err
	}
	if err := waitDeploymentsGone(wctx, c.cs, ns, "", sel); err != nil {
		if ctx.Err() == nil && wctx.Err() != nil {
			return fmt.Errorf("the lab's deployments in %q are still there after %s", ns, c.o.DeleteTimeout)
		}
		return fmt.Errorf("waiting for the lab's deployments in %q to go: %w", ns, err)
	}
	return nil
}

// waitPodsGone waits (bounded by wctx, a child of ctx) until no pod in the
// namespace matches sel, and names the pods that stay on timeout.
func (c *Client) waitPodsGone(ctx, wctx context.Context, sel labels.Selector) error {
	ns := c.o.Namespace
	err := WaitForPodsGone(wctx, c.cs, ns, sel)
	if err == nil {
		return nil
	}
	if ctx.Err() == nil && wctx.Err() != nil {
		left := ""
		if pl, lerr := c.cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: sel.String()}); lerr == nil {
			var ps []*corev1.Pod
			for i := range pl.Items {
				ps = append(ps, &pl.Items[i])
			}
			left = ": " + podsDescription(ps)
		}
		return fmt.Errorf("pods in %q are still there after %s%s", ns, c.o.DeleteTimeout, left)
	}
	return fmt.Errorf("waiting for pods in %q to go: %w", ns, err)
}

// appSelector selects the pods of the app Deployment name of this lab.
func (c *Client) appSelector(name string) labels.Set {
	s := labels.Set(c.Labels())
	s[labelDeployment] = name
	return s
}

// labelDeployment is the Deployment's selector label, as `oc new-app` names it.
const labelDeployment = "deployment"
