package openshift

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	imageclient "github.com/openshift/client-go/image/clientset/versioned/typed/image/v1"
	projectclient "github.com/openshift/client-go/project/clientset/versioned/typed/project/v1"
	"github.com/sirupsen/logrus"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"

	"github.com/pulllab/pulllab/internal/config"
	"github.com/pulllab/pulllab/internal/kubeclient"
	"github.com/pulllab/pulllab/lab"
	"github.com/pulllab/pulllab/lab/workload"
)

// KindName is what Backend.Kind returns.
const KindName = "openshift"

// DefaultNamespace is the lab project when Options.Namespace is empty.
const DefaultNamespace = "pulllab"

// DebugSuffix is appended to the lab project's name to name the privileged
// namespace of the node debug pod.
const DebugSuffix = "-debug"

// DefaultBaseImage is the article's base image, JBoss EAP 7.4 on OpenJDK 11
// (config.EAPBaseImage, where the reference is kept).
const DefaultBaseImage = config.EAPBaseImage

// InternalRegistry is the integrated image registry as nodes and pods reach
// it; the app's pull spec starts with it.
const InternalRegistry = "image-registry.openshift-image-registry.svc:5000"

// FallbackDebugImage is the debug pod's image when the cluster has no
// openshift/tools ImageStream (the image `oc debug node` falls back to).
const FallbackDebugImage = "registry.redhat.io/rhel9/support-tools"

// Labels and annotations on the objects the backend makes.
const (
	// LabelVariant names the variant a BuildConfig or Build makes.
	LabelVariant = "pulllab.io/variant"
	// LabelWARSHA256 holds the first 63 hex digits of the SHA-256 of the
	// WAR a Build deployed (a label value has at most 63 characters).
	LabelWARSHA256 = "pulllab.io/war-sha256"
	// AnnotationWARSHA256 holds the full hex SHA-256 of that WAR.
	AnnotationWARSHA256 = "pulllab.io/war-sha256"
	// AnnotationBaseDigest holds the digest of the base image a Build ran on.
	AnnotationBaseDigest = "pulllab.io/base-digest"
	// ImageLabelVariant and ImageLabelWARSHA256 are image config labels of
	// a variant image (the same as the Kubernetes backend's), visible on the
	// node with `crictl inspecti`.
	ImageLabelVariant   = "io.pulllab.variant"
	ImageLabelWARSHA256 = "io.pulllab.war-sha256"
	// imageLabelBuildName is the image label OpenShift builds set to the
	// Build's name.
	imageLabelBuildName = "io.openshift.build.name"
)

// Defaults for the Options durations.
const (
	DefaultBuildTimeout = 30 * time.Minute
	DefaultWaitTimeout  = 2 * time.Minute
)

// Options configure the backend. Everything has a default.
type Options struct {
	// Namespace is the lab project (default "pulllab"); the debug pod runs
	// in Namespace+"-debug".
	Namespace string
	// Node pins the lab to a node; empty lets workload.PickNode choose.
	Node string
	// BaseImage is the image the variants are built on (default
	// DefaultBaseImage).
	BaseImage string
	// BaseImageReason is set when the caller chose BaseImage for the user
	// (lab.BaseReasonOKD); empty otherwise.
	BaseImageReason lab.BaseImageReason
	// DebugImage is the node debug pod's image; empty resolves the
	// cluster's openshift/tools ImageStream as `oc debug node` does.
	DebugImage string
	// LabID labels what the lab creates (default: the namespace).
	LabID string
	// Profile is the base image's log profile; the zero Profile picks
	// lab.ProfileFor(BaseImage).
	Profile lab.Profile
	// LogWait is how long Observe follows a pod's log for the WAR line
	// (0 is lab/workload's default).
	LogWait time.Duration
	// BuildTimeout bounds one variant's build (default DefaultBuildTimeout).
	BuildTimeout time.Duration
	// WaitTimeout bounds the shorter waits: the project's service accounts,
	// an ImageStream's deletion, a tag taking effect (default
	// DefaultWaitTimeout).
	WaitTimeout time.Duration
	// Log receives detail (build logs at debug level); nil discards it.
	Log logrus.FieldLogger
	// Status prints the step lines of Connect, ImportBase and
	// BuildVariants and detail lines of builds; nil prints nothing.
	Status lab.StatusPrinter
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Workload is the pod and namespace side for one namespace; lab/workload's
// Client implements it.
type Workload = lab.NamespaceWorkload

// NodeOps is the node's image cache seen through a debug pod; lab/node's
// Cache implements it.
type NodeOps = lab.DebugNodeCache

// Clients are the backend's connections to the cluster. New builds them
// from one rest.Config; tests pass fakes to NewWithClients.
type Clients struct {
	Kube kubeclient.Interface
	// The OpenShift clients are the typed group clients pulllab calls, not
	// the full clientsets: each full clientset links every API version and
	// apply configuration of its group into the binary.
	Image   imageclient.ImageV1Interface
	Project projectclient.ProjectV1Interface
	// Dynamic reaches build.openshift.io/v1 builds and buildconfigs
	// (buildapi.go says why not the typed client).
	Dynamic dynamic.Interface
	// ClusterVersions reads the cluster's OpenShift version.
	ClusterVersions ClusterVersions
	// BuildREST is a REST client for build.openshift.io/v1 without a client
	// timeout: it carries the instantiatebinary upload, which the server
	// holds open until the build runs, and the followed build log.
	BuildREST rest.Interface
	// Workload returns the workload client of a namespace; node is empty
	// when no pod will be scheduled.
	Workload func(namespace, node string) Workload
	// NodeCache returns the node cache whose debug pod runs image in
	// namespace on node and sees the images of repositories.
	NodeCache func(namespace, node, image string, repositories []string) NodeOps
	// PickNode returns the named node, or the node to use when name is empty.
	PickNode func(ctx context.Context, name string) (*corev1.Node, error)
	// Facts reads versions and the node's details for the report.
	Facts func(ctx context.Context, node *corev1.Node) (lab.Environment, error)
}

// Backend is the OpenShift lab.Backend. It is meant for one runner at a
// time; its state-changing methods do not run concurrently.
type Backend struct {
	o      Options
	c      Clients
	log    logrus.FieldLogger
	status lab.StatusPrinter

	debugNS   string
	appRepo   string
	stashRepo string
	base      baseRef
	// baseDefaulted: the base image is the default, not chosen by the user,
	// so an arm64 node may get DefaultArm64BaseImage instead.
	baseDefaulted bool
	// baseChosen is set once chooseBase ran; baseReason says which base
	// image runs and why (lab.Environment.BaseImageReason).
	baseChosen bool
	baseReason lab.BaseImageReason

	// node is the lab's node, chosen once.
	node *workload.NodeChoice

	mu     sync.Mutex
	builds map[lab.Variant]lab.Build
	// cache is the node debug pod Prepare started; nil before Prepare and
	// after Cleanup or Teardown.
	cache NodeOps
}

var _ lab.Backend = (*Backend)(nil)

// OptionError is bad input in Options: a setting's value the backend
// cannot use, named by its setting (lab.SettingError; errors.Is(err,
// lab.ErrBadInput) holds).
type OptionError = lab.SettingError

// NewWithClients returns a backend that uses the given clients. Kube, Image,
// Project, Dynamic, ClusterVersions, BuildREST, Workload, NodeCache, PickNode
// and Facts must all be set. Bad image references are an *OptionError. The
// namespace is taken as given: internal/config validates it once (also
// against the cluster's own projects).
func NewWithClients(c Clients, o Options) (*Backend, error) {
	var missing []string
	for name, nilness := range map[string]bool{
		"Kube": c.Kube == nil, "Image": c.Image == nil, "Dynamic": c.Dynamic == nil, "Project": c.Project == nil,
		"ClusterVersions": c.ClusterVersions == nil, "BuildREST": c.BuildREST == nil, "Workload": c.Workload == nil,
		"NodeCache": c.NodeCache == nil, "PickNode": c.PickNode == nil, "Facts": c.Facts == nil,
	} {
		if nilness {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return nil, fmt.Errorf("openshift backend: missing clients %s", strings.Join(missing, ", "))
	}
	if o.Namespace == "" {
		o.Namespace = DefaultNamespace
	}
	baseDefaulted := o.BaseImage == "" || o.BaseImage == DefaultBaseImage
	if o.BaseImage == "" {
		o.BaseImage = DefaultBaseImage
	}
	base, err := parseBaseRef(o.BaseImage)
	if err != nil {
		return nil, &OptionError{Setting: "lab.baseImage", Value: o.BaseImage, Reason: err.Error()}
	}
	if o.DebugImage != "" {
		if _, err := parseBaseRef(o.DebugImage); err != nil {
			return nil, &OptionError{Setting: "lab.debugImage", Value: o.DebugImage, Reason: err.Error()}
		}
	}
	if o.LabID == "" {
		o.LabID = o.Namespace
	}
	if errs := validation.IsValidLabelValue(o.LabID); len(errs) > 0 {
		return nil, fmt.Errorf("openshift backend: lab ID %q is not a label value: %s", o.LabID, strings.Join(errs, "; "))
	}
	if o.Profile.DeployLine == nil {
		o.Profile = lab.ProfileFor(o.BaseImage)
	}
	if o.BuildTimeout <= 0 {
		o.BuildTimeout = DefaultBuildTimeout
	}
	if o.WaitTimeout <= 0 {
		o.WaitTimeout = DefaultWaitTimeout
	}
	if o.Log == nil {
		o.Log = lab.DiscardLog()
	}
	if o.Status == nil {
		o.Status = lab.DiscardStatus{}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	b := &Backend{
		o:         o,
		c:         c,
		log:       o.Log.WithField("backend", KindName),
		status:    o.Status,
		debugNS:   o.Namespace + DebugSuffix,
		appRepo:   InternalRegistry + "/" + o.Namespace + "/" + lab.AppName,
		stashRepo: InternalRegistry + "/" + o.Namespace + "/" + lab.StashName,
		base:      base,
		builds:    map[lab.Variant]lab.Build{},

		baseDefaulted: baseDefaulted,
	}
	b.node = workload.NewNodeChoice(o.Node, c.PickNode)
	return b, nil
}

// Kind returns "openshift".
func (b *Backend) Kind() string { return KindName }

// Namespace returns the lab project.
func (b *Backend) Namespace() string { return b.o.Namespace }

// DebugNamespace returns the privileged namespace of the node debug pod.
func (b *Backend) DebugNamespace() string { return b.debugNS }

// AppRepository returns the app's repository as the node sees it, e.g.
// "image-registry.openshift-image-registry.svc:5000/pulllab/custom-image-java".
func (b *Backend) AppRepository() string { return b.appRepo }

// StashRepository returns the repository of the stashed variants.
func (b *Backend) StashRepository() string { return b.stashRepo }

// BaseImage returns the base image reference in force.
func (b *Backend) BaseImage() string { return b.o.BaseImage }

// Prepare makes sure the lab project is pulllab's and ready, picks the node,
// makes the privileged debug namespace and starts the node debug pod, and
// returns the project's workload on the node and the node's image cache. It
// does not print step lines (the runner does).
func (b *Backend) Prepare(ctx context.Context) (lab.Site, error) {
	if err := b.ensureProject(ctx); err != nil {
		return lab.Site{}, err
	}
	node, err := b.Node(ctx)
	if err != nil {
		return lab.Site{}, err
	}
	if err := b.ensureDebugNamespace(ctx, node.Name); err != nil {
		return lab.Site{}, err
	}
	image, err := b.debugImage(ctx, node.Name)
	if err != nil {
		return lab.Site{}, err
	}
	nc := b.c.NodeCache(b.debugNS, node.Name, image, b.repositories())
	if err := nc.Start(ctx); err != nil {
		return lab.Site{}, fmt.Errorf("starting the node debug pod on %s: %w", node.Name, err)
	}
	b.mu.Lock()
	b.cache = nc
	b.mu.Unlock()
	b.log.WithFields(logrus.Fields{"node": node.Name, "namespace": b.o.Namespace, "debugImage": image}).Debug("openshift backend prepared")
	return lab.Site{Workload: b.c.Workload(b.o.Namespace, node.Name), NodeCache: nc}, nil
}

// Node returns the lab's node, asking the cluster once.
func (b *Backend) Node(ctx context.Context) (*corev1.Node, error) { return b.node.Node(ctx) }

// running returns the node debug pod Prepare started, or nil.
func (b *Backend) running() NodeOps {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.cache
}

// annotationNodeSelector is OpenShift's per-project node selector.
const annotationNodeSelector = "openshift.io/node-selector"

// ensureDebugNamespace makes the privileged namespace of the node debug pod
// (lab/workload labels it for privileged pods and turns OpenShift's Pod
// Security label synchronisation off) and, like `oc debug node` does for its
// temporary namespace, clears the project node selector so a cluster-wide
// default node selector cannot keep the pod off the lab's node. A namespace
// of that name that pulllab did not make is refused.
func (b *Backend) ensureDebugNamespace(ctx context.Context, node string) error {
	nsc := b.c.Kube.CoreV1().Namespaces()
	ns, err := nsc.Get(ctx, b.debugNS, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
	case err != nil:
		return fmt.Errorf("reading namespace %q: %w", b.debugNS, err)
	case ns.Labels[lab.LabelManagedBy] != lab.ManagedBy:
		return fmt.Errorf("namespace %q exists but pulllab did not create it (it lacks the label %s=%s), so pulllab will not run a privileged pod there: choose another project name with lab.namespace",
			b.debugNS, lab.LabelManagedBy, lab.ManagedBy)
	}
	if err := b.c.Workload(b.debugNS, node).EnsureNamespace(ctx, true); err != nil {
		return fmt.Errorf("preparing the debug namespace %q: %w", b.debugNS, err)
	}
	if ns, err = nsc.Get(ctx, b.debugNS, metav1.GetOptions{}); err != nil {
		return fmt.Errorf("reading namespace %q: %w", b.debugNS, err)
	}
	if v, ok := ns.Annotations[annotationNodeSelector]; ok && v == "" {
		return nil
	}
	patch := []byte(`{"metadata":{"annotations":{"` + annotationNodeSelector + `":""}}}`)
	if _, err := nsc.Patch(ctx, b.debugNS, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		return fmt.Errorf("clearing the node selector of namespace %q: %w", b.debugNS, err)
	}
	return nil
}

// repositories are the lab's repositories as the node sees them.
func (b *Backend) repositories() []string { return []string{b.appRepo, b.stashRepo} }

// Cleanup removes this run's pods in the lab project and the node debug pod
// Prepare started. It keeps the projects, the base image and the stashed
// variants, so a re-run does not rebuild. Both steps run even when the
// first fails.
func (b *Backend) Cleanup(ctx context.Context) error {
	var errs []error
	if err := b.c.Workload(b.o.Namespace, b.node.Chosen()).Cleanup(ctx); err != nil {
		errs = append(errs, fmt.Errorf("cleaning up namespace %q: %w", b.o.Namespace, err))
	}
	b.mu.Lock()
	nc := b.cache
	b.cache = nil
	b.mu.Unlock()
	if nc != nil {
		if err := nc.Stop(ctx); err != nil {
			errs = append(errs, fmt.Errorf("removing the node debug pod: %w", err))
		}
	}
	return errors.Join(errs...)
}
