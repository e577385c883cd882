package openshift

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	projectv1 "github.com/openshift/api/project/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/discovery"

	"github.com/pulllab/pulllab/lab"
)

// Distribution is what kind of cluster discovery found.
type Distribution string

// The distributions Detect tells apart.
const (
	// NotOpenShift is any cluster without OpenShift's APIs (kind,
	// minikube, k3d, a kubeadm cluster, …).
	NotOpenShift Distribution = "kubernetes"
	// Full is OpenShift (or OKD) with its image and build APIs: the
	// OpenShift backend runs there.
	Full Distribution = "openshift"
	// MicroShift serves some OpenShift APIs (route.openshift.io,
	// security.openshift.io) but no ImageStreams, builds or internal
	// registry, so the OpenShift backend cannot run there.
	MicroShift Distribution = "microshift"
)

// Name is the distribution's name in a sentence: "OpenShift",
// "MicroShift" or "plain Kubernetes".
func (d Distribution) Name() string {
	switch d {
	case Full:
		return "OpenShift"
	case MicroShift:
		return "MicroShift"
	}
	return "plain Kubernetes"
}

// openShiftGroups are the API groups whose presence makes a cluster
// OpenShift for pulllab: it imports and builds through them.
var openShiftGroups = []string{"image.openshift.io", "build.openshift.io"}

// microShiftGroups are the OpenShift API groups MicroShift serves
// (openshift/microshift docs/enable_apis.md: Route and
// SecurityContextConstraints); either one without openShiftGroups is
// MicroShift.
var microShiftGroups = []string{"route.openshift.io", "security.openshift.io"}

// Detect asks discovery which API groups the cluster serves: both
// openShiftGroups make it OpenShift; an OpenShift group MicroShift serves
// without them makes it MicroShift; anything else is plain Kubernetes. An
// error means discovery itself failed, e.g. the cluster is unreachable.
func Detect(d discovery.DiscoveryInterface) (Distribution, error) {
	groups, err := d.ServerGroups()
	if err != nil {
		return "", fmt.Errorf("discovering the cluster's API groups: %w", err)
	}
	have := map[string]bool{}
	for _, g := range groups.Groups {
		have[g.Name] = true
	}
	all := true
	for _, g := range openShiftGroups {
		all = all && have[g]
	}
	if all {
		return Full, nil
	}
	for _, g := range microShiftGroups {
		if have[g] {
			return MicroShift, nil
		}
	}
	return NotOpenShift, nil
}

// projectDescription marks a project as made by pulllab (the default project
// template copies it into the namespace's openshift.io/description).
const projectDescription = "pulllab: the imagePullPolicy lab (pulllab down deletes it)"

// annotationDescription is where OpenShift keeps a project's description.
const annotationDescription = "openshift.io/description"

// Connect is the `up` step "cluster": it checks that the cluster is
// OpenShift and that the user may do what the lab needs, then creates the
// lab project (or checks that the existing one is pulllab's) and waits until
// its service accounts can pull from the internal registry. It prints its
// own step line.
func (b *Backend) Connect(ctx context.Context) error {
	b.status.Start("Connecting to the OpenShift cluster")
	defer b.status.End(false)
	d, err := Detect(b.c.Kube.Discovery())
	if err != nil {
		return fmt.Errorf("reaching the cluster: %w", err)
	}
	if d != Full {
		return fmt.Errorf("the cluster is not OpenShift: it serves no %s API; for plain Kubernetes give lab.registry, an OCI registry", strings.Join(openShiftGroups, " or "))
	}
	if v, err := b.OpenShiftVersion(ctx); err == nil && v != "" {
		b.status.Infof("OpenShift %s", v)
	} else if err != nil {
		b.log.WithError(err).Debug("could not read the OpenShift version")
	}
	if err := b.CheckAccess(ctx); err != nil {
		return err
	}
	if err := b.ensureProject(ctx); err != nil {
		return err
	}
	b.status.Infof("Project %s is ready", b.o.Namespace)
	b.status.End(true)
	return nil
}

// accessCheck is one permission the lab needs, in words and as a review.
type accessCheck struct {
	what  string
	attrs authorizationv1.ResourceAttributes
}

// accessChecks lists what the lab needs: a project, a privileged debug pod
// on the node, imports, binary Source builds, image tags and Deployments.
func (b *Backend) accessChecks() []accessCheck {
	ns, dbg := b.o.Namespace, b.debugNS
	return []accessCheck{
		{"create projects (projectrequests)", authorizationv1.ResourceAttributes{Verb: "create", Group: "project.openshift.io", Resource: "projectrequests"}},
		{"create namespaces (for the debug namespace " + dbg + ")", authorizationv1.ResourceAttributes{Verb: "create", Resource: "namespaces"}},
		{"list nodes", authorizationv1.ResourceAttributes{Verb: "list", Resource: "nodes"}},
		{"create pods in namespace " + dbg, authorizationv1.ResourceAttributes{Namespace: dbg, Verb: "create", Resource: "pods"}},
		{"exec into pods in namespace " + dbg, authorizationv1.ResourceAttributes{Namespace: dbg, Verb: "create", Resource: "pods", Subresource: "exec"}},
		{"use the privileged SecurityContextConstraints", authorizationv1.ResourceAttributes{Verb: "use", Group: "security.openshift.io", Resource: "securitycontextconstraints", Name: "privileged"}},
		{"create imagestreamimports in namespace " + ns, authorizationv1.ResourceAttributes{Namespace: ns, Verb: "create", Group: "image.openshift.io", Resource: "imagestreamimports"}},
		{"create imagestreamtags in namespace " + ns, authorizationv1.ResourceAttributes{Namespace: ns, Verb: "create", Group: "image.openshift.io", Resource: "imagestreamtags"}},
		{"start binary builds (buildconfigs/instantiatebinary) in namespace " + ns, authorizationv1.ResourceAttributes{Namespace: ns, Verb: "create", Group: "build.openshift.io", Resource: "buildconfigs", Subresource: "instantiatebinary"}},
		{"run Source strategy builds (builds/source) in namespace " + ns, authorizationv1.ResourceAttributes{Namespace: ns, Verb: "create", Group: "build.openshift.io", Resource: "builds", Subresource: "source"}},
		{"create deployments in namespace " + ns, authorizationv1.ResourceAttributes{Namespace: ns, Verb: "create", Group: "apps", Resource: "deployments"}},
	}
}

// AccessError lists the permissions the user lacks.
type AccessError struct {
	// User is the user's name, when the cluster told it.
	User string
	// Missing describes each missing permission.
	Missing []string
}

// Error lists the missing permissions and says how to get them.
func (e *AccessError) Error() string {
	who := "you"
	if e.User != "" {
		who = fmt.Sprintf("you (%s)", e.User)
	}
	return fmt.Sprintf("%s may not do everything the lab needs:\n  - %s\nthe lab runs a privileged pod on the node, so it needs cluster-admin: on OpenShift Local use the kubeadmin user (the kubeconfig context crc-admin, or 'oc login -u kubeadmin' with the password from 'crc console --credentials')",
		who, strings.Join(e.Missing, "\n  - "))
}

// CheckAccess asks the API server, with SelfSubjectAccessReviews, whether the
// user may do everything the lab needs, and returns an *AccessError listing
// what is missing.
func (b *Backend) CheckAccess(ctx context.Context) error {
	var missing []string
	for _, c := range b.accessChecks() {
		attrs := c.attrs
		review := &authorizationv1.SelfSubjectAccessReview{Spec: authorizationv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &attrs}}
		res, err := b.c.Kube.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, review, metav1.CreateOptions{})
		if err != nil {
			return fmt.Errorf("checking whether you may %s: %w", c.what, err)
		}
		if !res.Status.Allowed {
			missing = append(missing, c.what)
			b.log.WithFields(map[string]any{"check": c.what, "reason": res.Status.Reason}).Debug("access denied")
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return &AccessError{User: b.userName(ctx), Missing: missing}
}

// userName returns the user's name from a SelfSubjectReview, or "".
func (b *Backend) userName(ctx context.Context) string {
	r, err := b.c.Kube.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		b.log.WithError(err).Debug("could not read the user's name")
		return ""
	}
	return r.Status.UserInfo.Username
}

// OpenShiftVersion returns the cluster's OpenShift version from the
// ClusterVersion "version": the desired version, else the newest history
// entry.
func (b *Backend) OpenShiftVersion(ctx context.Context) (string, error) {
	cv, err := b.c.ClusterVersions.Get(ctx, "version", metav1.GetOptions{})
	if err != nil {
		return "", fmt.Errorf("reading the ClusterVersion: %w", err)
	}
	return clusterVersion(cv), nil
}

func clusterVersion(cv *ClusterVersion) string {
	if v := cv.Status.Desired.Version; v != "" {
		return v
	}
	if len(cv.Status.History) > 0 {
		return cv.Status.History[0].Version
	}
	return ""
}

// ensureProject creates the lab project with a ProjectRequest, or checks
// that the existing one is pulllab's, labels it, and waits until its service
// accounts can pull from the internal registry.
func (b *Backend) ensureProject(ctx context.Context) error {
	name := b.o.Namespace
	nsc := b.c.Kube.CoreV1().Namespaces()
	ns, err := nsc.Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		pr := &projectv1.ProjectRequest{
			ObjectMeta:  metav1.ObjectMeta{Name: name},
			DisplayName: "pulllab",
			Description: projectDescription,
		}
		_, err = b.c.Project.ProjectRequests().Create(ctx, pr, metav1.CreateOptions{})
		switch {
		case err == nil:
			b.log.WithField("project", name).Info("created the lab project")
		case apierrors.IsAlreadyExists(err):
			// Someone made it meanwhile: check it below like any existing one.
		default:
			return fmt.Errorf("creating project %q: %w", name, err)
		}
		ns, err = b.waitNamespace(ctx, name)
	}
	if err != nil {
		return fmt.Errorf("reading project %q: %w", name, err)
	}
	if ns.DeletionTimestamp != nil || ns.Status.Phase == corev1.NamespaceTerminating {
		return fmt.Errorf("project %q is being deleted: wait until it is gone ('oc get project %s' says NotFound) and run pulllab again", name, name)
	}
	ours := ns.Labels[lab.LabelManagedBy] == lab.ManagedBy
	if !ours && ns.Annotations[annotationDescription] != projectDescription {
		return fmt.Errorf("project %q exists but pulllab did not create it (it lacks the label %s=%s), so pulllab will not use it: choose another project with lab.namespace, or delete it with 'oc delete project %s' if you no longer need it",
			name, lab.LabelManagedBy, lab.ManagedBy, name)
	}
	if !ours || ns.Labels[lab.LabelLabID] == "" {
		// A project pulllab requested but had not labelled yet (the run was
		// cut short in between): label it now.
		patch, _ := json.Marshal(map[string]any{"metadata": map[string]any{"labels": b.labels()}})
		if _, err := nsc.Patch(ctx, name, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
			return fmt.Errorf("labelling project %q as pulllab's: %w", name, err)
		}
	}
	return b.waitServiceAccounts(ctx)
}

// waitNamespace waits until the namespace of a just-requested project is
// visible.
func (b *Backend) waitNamespace(ctx context.Context, name string) (*corev1.Namespace, error) {
	var ns *corev1.Namespace
	err := b.poll(ctx, func(ctx context.Context) (bool, error) {
		n, err := b.c.Kube.CoreV1().Namespaces().Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		ns = n
		return true, nil
	}, func() error {
		return fmt.Errorf("the namespace of project %q did not appear within %s", name, b.o.WaitTimeout)
	})
	return ns, err
}

// serviceAccounts must carry a usable image pull secret before the lab can
// build (builder) and before its pods can pull from the internal registry
// (default): a pod created earlier would get no credentials and fail to
// pull for a reason the lab does not study.
var serviceAccounts = []string{"builder", "default"}

// waitServiceAccounts waits until the project's builder and default service
// accounts each reference a pull secret that holds registry credentials.
// A reference alone is not enough: since OpenShift 4.16 the
// openshift-controller-manager first points the service account at its
// kubernetes.io/dockercfg Secret and creates that Secret with an empty
// ".dockercfg" ("{}"), and fills in the registry entries a moment later.
func (b *Backend) waitServiceAccounts(ctx context.Context) error {
	var waiting string
	err := b.poll(ctx, func(ctx context.Context) (bool, error) {
		for _, name := range serviceAccounts {
			why, err := b.serviceAccountNotReady(ctx, name)
			if err != nil {
				return false, err
			}
			if why != "" {
				if why != waiting {
					b.log.WithField("serviceAccount", name).Debug("waiting: " + why)
				}
				waiting = why
				return false, nil
			}
		}
		return true, nil
	}, func() error {
		return fmt.Errorf("project %q is not ready after %s: %s; the cluster makes these pull secrets only when the internal image registry is enabled (check 'oc get clusteroperator image-registry')",
			b.o.Namespace, b.o.WaitTimeout, waiting)
	})
	if err != nil {
		return fmt.Errorf("waiting for the service accounts of project %q: %w", b.o.Namespace, err)
	}
	return nil
}

// serviceAccountNotReady says why service account name cannot pull yet, or
// "" when one of its image pull secrets holds registry credentials.
func (b *Backend) serviceAccountNotReady(ctx context.Context, name string) (string, error) {
	ns := b.o.Namespace
	sa, err := b.c.Kube.CoreV1().ServiceAccounts(ns).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return fmt.Sprintf("service account %q does not exist yet", name), nil
	}
	if err != nil {
		return "", fmt.Errorf("reading service account %s/%s: %w", ns, name, err)
	}
	if len(sa.ImagePullSecrets) == 0 {
		return fmt.Sprintf("service account %q has no image pull secret yet", name), nil
	}
	why := ""
	for _, ref := range sa.ImagePullSecrets {
		sec, err := b.c.Kube.CoreV1().Secrets(ns).Get(ctx, ref.Name, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			why = fmt.Sprintf("the image pull secret %q of service account %q does not exist yet", ref.Name, name)
			continue
		case err != nil:
			return "", fmt.Errorf("reading the image pull secret %s/%s of service account %q: %w", ns, ref.Name, name, err)
		}
		if registries := pullSecretRegistries(sec); registries > 0 {
			return "", nil
		}
		why = fmt.Sprintf("the image pull secret %q of service account %q holds no registry credentials yet", ref.Name, name)
	}
	return why, nil
}

// pullSecretRegistries counts the registries a pull secret has credentials
// for: the entries of a kubernetes.io/dockercfg Secret's ".dockercfg"
// (registry → auth) or of a kubernetes.io/dockerconfigjson Secret's
// ".dockerconfigjson" "auths". Anything unreadable counts as none. Nothing
// of the secret's content is returned or logged.
func pullSecretRegistries(s *corev1.Secret) int {
	switch s.Type {
	case corev1.SecretTypeDockercfg:
		var m map[string]json.RawMessage
		if json.Unmarshal(s.Data[corev1.DockerConfigKey], &m) != nil {
			return 0
		}
		return len(m)
	case corev1.SecretTypeDockerConfigJson:
		var c struct {
			Auths map[string]json.RawMessage `json:"auths"`
		}
		if json.Unmarshal(s.Data[corev1.DockerConfigJsonKey], &c) != nil {
			return 0
		}
		return len(c.Auths)
	}
	return 0
}

// labels are the labels of everything the backend creates.
func (b *Backend) labels() map[string]string {
	return map[string]string{lab.LabelManagedBy: lab.ManagedBy, lab.LabelLabID: b.o.LabID}
}
