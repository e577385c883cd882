package workload

import (
	"context"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/pulllab/pulllab/internal/kubeclient"
	"github.com/pulllab/pulllab/lab"
	"github.com/pulllab/pulllab/manifests"
)

// PullError says that the node could not pull an image: the kubelet's
// waiting reason and message for the container.
type PullError struct {
	Ref     string
	Node    string
	Reason  string
	Message string
}

// Error says which node could not pull which image, and the kubelet's reason.
func (e *PullError) Error() string {
	msg := fmt.Sprintf("node %s could not pull %s (%s)", e.Node, e.Ref, e.Reason)
	if e.Message != "" {
		msg += ": " + e.Message
	}
	return msg
}

// WarmupPodFor returns the pod Warm creates for ref: the embedded
// warmup-pod.yaml with the image, imagePullPolicy Always, the node and the
// labels filled in.
func (c *Client) WarmupPodFor(ref string) (*corev1.Pod, error) {
	if err := c.check(true); err != nil {
		return nil, err
	}
	if ref == "" {
		return nil, fmt.Errorf("no image reference to pull")
	}
	p, err := manifests.WarmupPod()
	if err != nil {
		return nil, err
	}
	p.Namespace = c.o.Namespace
	p.Labels = mergeLabels(p.Labels, c.Labels(), map[string]string{lab.LabelRole: RoleWarmup})
	p.Spec.NodeName = c.o.Node
	p.Spec.Containers[0].Image = ref
	p.Spec.Containers[0].ImagePullPolicy = corev1.PullAlways
	return p, nil
}

// Warm makes the node pull ref: it creates a short-lived pod with
// imagePullPolicy Always on the node, waits until its container has started
// (or otherwise got past the pull), and deletes it again. A pull failure
// returns a *PullError with the kubelet's reason and message. The pod is
// deleted in every case, with a fresh context when ctx was cancelled.
func (c *Client) Warm(ctx context.Context, ref string) (err error) {
	pod, err := c.WarmupPodFor(ref)
	if err != nil {
		return err
	}
	pods := c.cs.CoreV1().Pods(c.o.Namespace)
	created, err := pods.Create(ctx, pod, metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("creating the warm-up pod for %s: %w", ref, err)
	}
	name := created.Name
	log := c.o.Log.WithFields(map[string]any{"pod": name, "image": ref})
	log.Debug("created warm-up pod")
	defer func() {
		dctx, cancel := freshContext(ctx, c.o.DeleteTimeout)
		defer cancel()
		derr := c.deletePodNow(dctx, name)
		if derr == nil {
			log.Debug("warm-up pod gone")
			return
		}
		if err == nil {
			err = derr
		} else {
			log.WithError(derr).Warn("could not delete the warm-up pod")
		}
	}()

	wctx, cancel := context.WithTimeout(ctx, c.o.PullTimeout)
	defer cancel()
	last, werr := WaitForPod(wctx, c.cs, c.o.Namespace, name, func(p *corev1.Pod) (bool, error) {
		if p == nil {
			return false, fmt.Errorf("the warm-up pod %s was deleted while pulling %s", name, ref)
		}
		if cs := appStatus(p); cs != nil {
			switch s := cs.State; {
			case s.Running != nil, s.Terminated != nil:
				return true, nil
			case s.Waiting != nil && lab.IsPullFailure(s.Waiting.Reason):
				return false, &PullError{Ref: ref, Node: c.o.Node, Reason: s.Waiting.Reason, Message: s.Waiting.Message}
			case s.Waiting != nil && lab.IsStartFailure(s.Waiting.Reason):
				log.WithField("reason", s.Waiting.Reason).Debug("the image is pulled but the container does not start; good enough for warming")
				return true, nil
			}
		}
		if p.Status.Phase == corev1.PodFailed || p.Status.Phase == corev1.PodSucceeded {
			// Rejected by the kubelet before any container (e.g. NodeAffinity, OutOfcpu).
			return false, fmt.Errorf("the node rejected the warm-up pod for %s: %s: %s", ref, p.Status.Reason, p.Status.Message)
		}
		return false, nil
	})
	switch {
	case werr == nil:
		log.Debug("image pulled")
		return nil
	case ctx.Err() != nil:
		return fmt.Errorf("pulling %s on node %s: %w", ref, c.o.Node, ctx.Err())
	case errors.Is(werr, context.DeadlineExceeded):
		status := "not created"
		if last != nil {
			status = PodStatus(last)
		}
		return fmt.Errorf("pulling %s on node %s took longer than %s (warm-up pod %s: %s)", ref, c.o.Node, c.o.PullTimeout, name, status)
	}
	return werr
}

// deletePodNow deletes a pod of the lab namespace with grace period 0 and
// waits until it is gone.
func (c *Client) deletePodNow(ctx context.Context, name string) error {
	return DeletePodNow(ctx, c.cs, c.o.Namespace, name)
}

// DeletePodNow deletes the pod ns/name with grace period 0 and waits until
// it is gone. An absent pod is not an error.
func DeletePodNow(ctx context.Context, cs kubeclient.Interface, ns, name string) error {
	zero := int64(0)
	err := cs.CoreV1().Pods(ns).Delete(ctx, name, metav1.DeleteOptions{GracePeriodSeconds: &zero})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("deleting pod %s/%s: %w", ns, name, err)
	}
	if err := WaitForPodGone(ctx, cs, ns, name); err != nil {
		return fmt.Errorf("waiting for pod %s/%s to go: %w", ns, name, err)
	}
	return nil
}
