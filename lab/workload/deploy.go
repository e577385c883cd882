package workload

import (
	"context"
	"fmt"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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
