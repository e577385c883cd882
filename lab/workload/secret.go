package workload

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"
)

// PullSecretName is the lab's pull secret in the lab namespace, which
// EnsurePullSecret puts on the namespace's default ServiceAccount (as
// OpenShift does with a ServiceAccount's dockercfg secret).
const PullSecretName = "pulllab-registry"

// DefaultServiceAccount is the ServiceAccount every lab pod runs as.
const DefaultServiceAccount = "default"

// DefaultServiceAccountWait bounds the wait for the ServiceAccount
// controller to create a new namespace's default ServiceAccount.
const DefaultServiceAccountWait = time.Minute

// EnsurePullSecret makes the lab namespace's pull secret (PullSecretName, a
// kubernetes.io/dockerconfigjson Secret labelled as the lab's) hold
// dockerconfig, and lists it in the default ServiceAccount's
// imagePullSecrets, so that the API server's ServiceAccount admission gives
// it to every pod created afterwards. It waits (bounded) for the
// ServiceAccount controller to create the default ServiceAccount. A nil
// dockerconfig removes the secret and its reference instead (the registry is
// then used without credentials). Re-running converges; a Secret of that
// name that is not the lab's is refused, never overwritten.
func (c *Client) EnsurePullSecret(ctx context.Context, dockerconfig []byte) error {
	if err := c.check(false); err != nil {
		return err
	}
	ns := c.o.Namespace
	if dockerconfig == nil {
		return c.removePullSecret(ctx)
	}
	secrets := c.cs.CoreV1().Secrets(ns)
	want := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: PullSecretName, Namespace: ns, Labels: c.Labels()},
		Type:       corev1.SecretTypeDockerConfigJson,
		Data:       map[string][]byte{corev1.DockerConfigJsonKey: dockerconfig},
	}
	cur, err := secrets.Get(ctx, PullSecretName, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		if _, err := secrets.Create(ctx, want, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("creating the pull secret %s/%s: %w", ns, PullSecretName, err)
		}
		c.o.Log.WithField("secret", ns+"/"+PullSecretName).Debug("created the lab's pull secret")
	case err != nil:
		return fmt.Errorf("reading the pull secret %s/%s: %w", ns, PullSecretName, err)
	case !c.owns(cur.Labels):
		return c.foreignSecret()
	case cur.Type != corev1.SecretTypeDockerConfigJson:
		// The type is immutable: replace the secret.
		if err := secrets.Delete(ctx, PullSecretName, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &cur.UID}}); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("replacing the pull secret %s/%s: %w", ns, PullSecretName, err)
		}
		if _, err := secrets.Create(ctx, want, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("creating the pull secret %s/%s: %w", ns, PullSecretName, err)
		}
	case !bytes.Equal(cur.Data[corev1.DockerConfigJsonKey], dockerconfig):
		upd := cur.DeepCopy()
		upd.Data = want.Data
		if _, err := secrets.Update(ctx, upd, metav1.UpdateOptions{}); err != nil {
			return fmt.Errorf("updating the pull secret %s/%s: %w", ns, PullSecretName, err)
		}
		c.o.Log.WithField("secret", ns+"/"+PullSecretName).Debug("updated the lab's pull secret")
	}
	sa, err := c.waitServiceAccount(ctx)
	if err != nil {
		return err
	}
	// A controller may change the ServiceAccount between the read and the
	// patch (the patch is guarded by its resourceVersion): read it again.
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		if slices.ContainsFunc(sa.ImagePullSecrets, func(r corev1.LocalObjectReference) bool { return r.Name == PullSecretName }) {
			return nil
		}
		refs := append(slices.Clone(sa.ImagePullSecrets), corev1.LocalObjectReference{Name: PullSecretName})
		err := c.patchServiceAccount(ctx, sa, refs)
		if apierrors.IsConflict(err) {
			if fresh, gerr := c.cs.CoreV1().ServiceAccounts(ns).Get(ctx, sa.Name, metav1.GetOptions{}); gerr == nil {
				sa = fresh
			}
		}
		return err
	})
}

// owns reports whether labels mark an object as this lab's.
func (c *Client) owns(l map[string]string) bool {
	for k, v := range c.Labels() {
		if l[k] != v {
			return false
		}
	}
	return true
}

func (c *Client) foreignSecret() error {
	ns := c.o.Namespace
	return fmt.Errorf("the Secret %s/%s exists but is not the lab's (it lacks the labels %s): pulllab will not overwrite it; delete or rename it, or run the lab in another namespace (lab.namespace)", ns, PullSecretName, c.labSelector())
}

// removePullSecret takes the lab's pull secret off the default
// ServiceAccount and deletes it. Absent objects are not an error.
func (c *Client) removePullSecret(ctx context.Context) error {
	ns := c.o.Namespace
	sa, err := c.cs.CoreV1().ServiceAccounts(ns).Get(ctx, DefaultServiceAccount, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
	case err != nil:
		return fmt.Errorf("reading the ServiceAccount %s/%s: %w", ns, DefaultServiceAccount, err)
	default:
		refs := slices.DeleteFunc(slices.Clone(sa.ImagePullSecrets), func(r corev1.LocalObjectReference) bool { return r.Name == PullSecretName })
		if len(refs) != len(sa.ImagePullSecrets) {
			if err := c.patchServiceAccount(ctx, sa, refs); err != nil {
				return err
			}
		}
	}
	cur, err := c.cs.CoreV1().Secrets(ns).Get(ctx, PullSecretName, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading the pull secret %s/%s: %w", ns, PullSecretName, err)
	}
	if !c.owns(cur.Labels) {
		return nil // not ours, and not on the ServiceAccount any more
	}
	if err := c.cs.CoreV1().Secrets(ns).Delete(ctx, PullSecretName, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("deleting the pull secret %s/%s: %w", ns, PullSecretName, err)
	}
	c.o.Log.WithField("secret", ns+"/"+PullSecretName).Debug("deleted the lab's pull secret: no credentials for the registry")
	return nil
}

// patchServiceAccount sets the default ServiceAccount's imagePullSecrets to
// refs, guarded by its resourceVersion so that a concurrent change is not
// lost (the caller's next run converges).
func (c *Client) patchServiceAccount(ctx context.Context, sa *corev1.ServiceAccount, refs []corev1.LocalObjectReference) error {
	if refs == nil {
		refs = []corev1.LocalObjectReference{}
	}
	patch, err := json.Marshal(map[string]any{
		"metadata":         map[string]any{"resourceVersion": sa.ResourceVersion},
		"imagePullSecrets": refs,
	})
	if err != nil {
		return err
	}
	ns := c.o.Namespace
	if _, err := c.cs.CoreV1().ServiceAccounts(ns).Patch(ctx, sa.Name, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		return fmt.Errorf("setting the imagePullSecrets of the ServiceAccount %s/%s: %w", ns, sa.Name, err)
	}
	c.o.Log.WithFields(map[string]any{"serviceAccount": ns + "/" + sa.Name, "imagePullSecrets": len(refs)}).Debug("updated the ServiceAccount's imagePullSecrets")
	return nil
}

// waitServiceAccount waits until the namespace's default ServiceAccount
// exists (the ServiceAccount controller creates it shortly after the
// namespace) and returns it.
func (c *Client) waitServiceAccount(ctx context.Context) (*corev1.ServiceAccount, error) {
	ns := c.o.Namespace
	sac := c.cs.CoreV1().ServiceAccounts(ns)
	if sa, err := sac.Get(ctx, DefaultServiceAccount, metav1.GetOptions{}); err == nil {
		return sa, nil
	} else if !apierrors.IsNotFound(err) {
		return nil, fmt.Errorf("reading the ServiceAccount %s/%s: %w", ns, DefaultServiceAccount, err)
	}
	wait := DefaultServiceAccountWait
	wctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	var found *corev1.ServiceAccount
	err := until(wctx, listWatch(byName(DefaultServiceAccount), sac.List, sac.Watch), &corev1.ServiceAccount{},
		func(sa *corev1.ServiceAccount) bool { return sa.Name == DefaultServiceAccount },
		func(sas []*corev1.ServiceAccount) (bool, error) {
			if len(sas) > 0 {
				found = sas[0]
			}
			return found != nil, nil
		})
	if err != nil {
		if ctx.Err() == nil && wctx.Err() != nil {
			return nil, fmt.Errorf("the namespace %s has no ServiceAccount %q after %s: the cluster's ServiceAccount controller (kube-controller-manager) does not seem to run", ns, DefaultServiceAccount, wait)
		}
		return nil, fmt.Errorf("waiting for the ServiceAccount %s/%s: %w", ns, DefaultServiceAccount, err)
	}
	return found, nil
}
