// Package target is the lab's one entry point for a cluster: Connect
// reaches it and finds out what it is (OpenShift, MicroShift or plain
// Kubernetes), Open picks the backend that fits, and the Target prepares
// the lab (Up: namespace, base image, both variants), runs the cases
// (Verify), reports what the lab holds (Status) and removes it (Teardown).
//
// The package knows nothing of the command line: it takes a resolved
// *rest.Config and settings, and its errors name settings, not flags.
package target

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sirupsen/logrus"
	"k8s.io/client-go/rest"

	"github.com/pulllab/pulllab/internal/kubeclient"
	"github.com/pulllab/pulllab/internal/version"
	"github.com/pulllab/pulllab/lab"
	"github.com/pulllab/pulllab/lab/kube"
	"github.com/pulllab/pulllab/lab/openshift"
	"github.com/pulllab/pulllab/wars"
)

// Flavor is what kind of cluster a target is.
type Flavor = openshift.Distribution

// The flavors Connect tells apart.
const (
	// Kubernetes is a cluster without OpenShift's APIs: the lab needs an
	// OCI registry there.
	Kubernetes = openshift.NotOpenShift
	// OpenShift serves ImageStreams and builds: the lab uses its internal
	// registry.
	OpenShift = openshift.Full
	// MicroShift serves routes and SCCs but no ImageStreams, builds or
	// internal registry: the lab takes the plain-Kubernetes path.
	MicroShift = openshift.MicroShift
)

// DefaultProbeTimeout bounds Connect's first questions to the API server
// (its version and API groups).
const DefaultProbeTimeout = 20 * time.Second

// Cluster is a reachable cluster and what it is.
type Cluster struct {
	// Config reaches the cluster (with pulllab's User-Agent).
	Config *rest.Config
	// Client is the Kubernetes clientset made from Config.
	Client kubeclient.Interface
	// Flavor is what discovery found.
	Flavor Flavor
}

// Host is the API server's address, for messages.
func (c *Cluster) Host() string {
	if c == nil || c.Config == nil {
		return ""
	}
	return c.Config.Host
}

// ConnectOptions tune Connect.
type ConnectOptions struct {
	// Log receives the API server's warnings (e.g. PodSecurity "would
	// violate" notices) at debug level; nil discards them.
	Log logrus.FieldLogger
	// ProbeTimeout bounds the version and API group questions; zero means
	// DefaultProbeTimeout.
	ProbeTimeout time.Duration
}

// UnreachableError is a cluster whose API server did not answer Connect's
// first question.
type UnreachableError struct {
	// Host is the API server's address.
	Host string
	// Err is the client's error.
	Err error
}

// Error names the server and the cause.
func (e *UnreachableError) Error() string {
	return fmt.Sprintf("cannot reach the cluster at %s: %v", e.Host, e.Err)
}

// Unwrap returns the client's error.
func (e *UnreachableError) Unwrap() error { return e.Err }

// Connect makes the clients for cfg (a copy that identifies itself as
// pulllab), asks the API server its version (an *UnreachableError when it
// does not answer) and finds out from its API groups what it is. Both
// questions are bounded by o.ProbeTimeout and by ctx.
func Connect(ctx context.Context, cfg *rest.Config, o ConnectOptions) (*Cluster, error) {
	if cfg == nil {
		return nil, errors.New("connecting: no cluster configuration")
	}
	cfg = rest.CopyConfig(cfg)
	rest.AddUserAgent(cfg, version.UserAgent())
	cfg.WarningHandler = apiWarnings{log: o.Log}
	cs, err := kubeclient.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("connecting to %s: %w", cfg.Host, err)
	}
	probe := rest.CopyConfig(cfg)
	probe.Timeout = o.ProbeTimeout
	if probe.Timeout <= 0 {
		probe.Timeout = DefaultProbeTimeout
	}
	pcs, err := kubeclient.NewForConfig(probe)
	if err != nil {
		return nil, fmt.Errorf("connecting to %s: %w", cfg.Host, err)
	}
	// The version request carries ctx, so Ctrl-C ends the wait at once.
	if err := pcs.Discovery().RESTClient().Get().AbsPath("/version").Do(ctx).Error(); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &UnreachableError{Host: cfg.Host, Err: err}
	}
	flavor, err := openshift.Detect(pcs.Discovery())
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("asking %s which APIs it serves: %w", cfg.Host, err)
	}
	return &Cluster{Config: cfg, Client: cs, Flavor: flavor}, nil
}

// apiWarnings sends the API server's warnings to the debug log instead of
// stderr.
type apiWarnings struct{ log logrus.FieldLogger }

// HandleWarningHeader implements rest.WarningHandler.
func (w apiWarnings) HandleWarningHeader(code int, agent, message string) {
	if code == 299 && message != "" && w.log != nil {
		w.log.Debugf("API server warning: %s", message)
	}
}

// Settings are the lab's settings for a target, validated by the caller
// where their source is known.
type Settings struct {
	// Namespace is the lab namespace (a project on OpenShift).
	Namespace string
	// Node is the node the lab runs on; empty picks one.
	Node string
	// Registry is HOST[:PORT][/PREFIX] of the OCI registry of a
	// plain-Kubernetes (or MicroShift) target; OpenShift uses its internal
	// registry and ignores it.
	Registry string
	// RegistryPull is where the node pulls the registry from when that
	// differs from Registry (where pulllab pushes); "" for the same.
	RegistryPull string
	// RegistryAuth is a docker config file with the registry's
	// credentials ("" for none); OpenShift ignores it.
	RegistryAuth string
	// BaseImage is the image the variants are built on.
	BaseImage string
	// BaseImageReason says why the caller chose BaseImage for the user
	// (lab.BaseReasonOKD, lab.BaseReasonKubernetes); empty when the user
	// did.
	BaseImageReason lab.BaseImageReason
	// DebugImage is the node debug pod's image ("" for the backend's
	// default).
	DebugImage string
	// DeploymentsDir is where the WAR goes in a plain-Kubernetes target's
	// variant images ("" decides from the base image's config).
	DeploymentsDir string
}

// Options are a target's collaborators.
type Options struct {
	// Log receives details; nil discards them.
	Log logrus.FieldLogger
	// Status prints step lines; nil prints nothing.
	Status lab.StatusPrinter
}

// RegistryNeededError is a plain-Kubernetes or MicroShift target for which
// no registry was given: the lab cannot build or serve its images there.
// Open returns it before anything on the cluster is changed.
type RegistryNeededError struct {
	// Host is the API server's address.
	Host string
	// Flavor is Kubernetes or MicroShift.
	Flavor Flavor
}

// Error says what is missing, in the library's words (the setting
// "registry"); the command line renders its own flags.
func (e *RegistryNeededError) Error() string {
	what := "plain Kubernetes"
	if e.Flavor == MicroShift {
		what = "MicroShift, which has no ImageStreams, builds or internal registry"
	}
	return fmt.Sprintf("the cluster at %s is %s: the lab needs the setting registry, an OCI registry this machine pushes to and the node pulls from", e.Host, what)
}

// Target is the lab on one cluster.
type Target struct {
	cluster *Cluster
	b       backend
	o       Options
}

// backend is what a target needs of its lab backend; openshiftBackend and
// kubeBackend adapt the two.
type backend interface {
	// lab returns the backend the runner drives.
	lab() lab.Backend
	// prepare is `up`'s cluster step: the lab namespace, made the way the
	// target needs, with no pod started.
	prepare(ctx context.Context) error
	// base is `up`'s image step.
	base(ctx context.Context) (lab.BaseImage, error)
	// build is `up`'s build step: both variants, built or reused.
	build(ctx context.Context) ([]lab.Build, error)
	// checkAccess asks the cluster, before anything is changed, whether
	// the user may do all the lab needs.
	checkAccess(ctx context.Context) error
	// status reads what the lab holds.
	status(ctx context.Context) (Status, error)
	// teardown removes the lab's namespaces.
	teardown(ctx context.Context) error
}

// Open returns the lab on cluster c with settings s: the OpenShift backend
// on OpenShift, the plain-Kubernetes backend anywhere else (MicroShift
// included). A plain-Kubernetes target without s.Registry is a
// *RegistryNeededError; bad settings are the backends' option errors.
// Open changes nothing on the cluster.
func Open(c *Cluster, s Settings, o Options) (*Target, error) {
	if c == nil || c.Config == nil || c.Client == nil {
		return nil, errors.New("opening the lab: no cluster")
	}
	o = o.withDefaults()
	if c.Flavor == OpenShift {
		b, err := openshift.New(c.Config, openshift.Options{
			Namespace:       s.Namespace,
			Node:            s.Node,
			BaseImage:       s.BaseImage,
			BaseImageReason: s.BaseImageReason,
			DebugImage:      s.DebugImage,
			Log:             o.Log,
			Status:          o.Status,
		})
		if err != nil {
			return nil, err
		}
		return newTarget(c, openshiftBackend{b}, o), nil
	}
	if s.Registry == "" {
		return nil, &RegistryNeededError{Host: c.Host(), Flavor: c.Flavor}
	}
	var creds *kube.Credentials
	if s.RegistryAuth != "" {
		var err error
		if creds, err = kube.ReadRegistryAuth(s.RegistryAuth); err != nil {
			return nil, err
		}
	}
	b, err := kube.New(c.Config, c.Client, kube.Options{
		Namespace:       s.Namespace,
		Node:            s.Node,
		Registry:        s.Registry,
		RegistryPull:    s.RegistryPull,
		Credentials:     creds,
		BaseImage:       s.BaseImage,
		BaseImageReason: s.BaseImageReason,
		DeploymentsDir:  s.DeploymentsDir,
		DebugImage:      s.DebugImage,
		Log:             o.Log,
	})
	if err != nil {
		return nil, err
	}
	return newTarget(c, kubeBackend{b: b, say: o.Status}, o), nil
}

// newTarget is the target on c driven through b.
func newTarget(c *Cluster, b backend, o Options) *Target {
	return &Target{cluster: c, b: b, o: o.withDefaults()}
}

// withDefaults fills in a quiet status printer and a discarding logger.
func (o Options) withDefaults() Options {
	if o.Status == nil {
		o.Status = lab.DiscardStatus{}
	}
	if o.Log == nil {
		o.Log = lab.DiscardLog()
	}
	return o
}

// Flavor is what the target's cluster is.
func (t *Target) Flavor() Flavor { return t.cluster.Flavor }

// Prepare is `up`'s cluster step: it makes the lab namespace (on OpenShift
// the lab project, after checking the user may do what the lab needs) and
// starts no pod.
func (t *Target) Prepare(ctx context.Context) error { return t.b.prepare(ctx) }

// EnsureBase is `up`'s image step: it makes the base image available to
// builds (an ImageStream import on OpenShift, a read from its registry
// elsewhere).
func (t *Target) EnsureBase(ctx context.Context) (lab.BaseImage, error) { return t.b.base(ctx) }

// BuildVariants is `up`'s build step: it builds (or reuses) both variants
// and checks that their digests differ.
func (t *Target) BuildVariants(ctx context.Context) ([]lab.Build, error) {
	builds, err := t.b.build(ctx)
	if err != nil {
		return builds, err
	}
	if len(builds) != len(lab.Variants) {
		return builds, fmt.Errorf("building the variants: got %d builds, want %d", len(builds), len(lab.Variants))
	}
	return builds, lab.DistinctVariants(builds[0], builds[1])
}

// Up prepares the lab: Prepare, EnsureBase, BuildVariants, in order. It
// returns the builds.
func (t *Target) Up(ctx context.Context) ([]lab.Build, error) {
	if err := t.Prepare(ctx); err != nil {
		return nil, err
	}
	if _, err := t.EnsureBase(ctx); err != nil {
		return nil, err
	}
	return t.BuildVariants(ctx)
}

// VerifyOptions tune Verify.
type VerifyOptions struct {
	// CaseTimeout bounds the wait for one case's pod (0: the runner's
	// default).
	CaseTimeout time.Duration
	// Keep leaves the last case's pod and the debug pod in place.
	Keep bool
	// Tool is recorded in the results.
	Tool lab.Tool
}

// Verify checks up front that the user may do what the lab needs, then
// runs the cases with the lab runner. It returns the results (nil or
// empty when no case ran) and the runner's error.
func (t *Target) Verify(ctx context.Context, cases []lab.Case, o VerifyOptions) (*lab.Results, error) {
	if err := t.b.checkAccess(ctx); err != nil {
		return nil, err
	}
	archives, err := VariantWARs()
	if err != nil {
		return nil, err
	}
	r := &lab.Runner{
		Backend:     t.b.lab(),
		WARs:        archives,
		Status:      t.o.Status,
		Log:         t.o.Log,
		CaseTimeout: o.CaseTimeout,
		Keep:        o.Keep,
		Tool:        o.Tool,
	}
	return r.Run(ctx, cases)
}

// Teardown removes the lab: its namespaces (each only when pulllab made
// it; absent ones are fine, so a second Teardown does nothing), with
// everything in them. Images in a plain-Kubernetes registry and images
// cached on the node stay.
func (t *Target) Teardown(ctx context.Context) error { return t.b.teardown(ctx) }

// Teardown removes the lab whose namespace is namespace from cluster c
// without the rest of its settings (removing namespaces needs no registry
// or images): the OpenShift backend's Teardown on OpenShift, the
// plain-Kubernetes backend's anywhere else.
func Teardown(ctx context.Context, c *Cluster, namespace string, o Options) error {
	if c == nil || c.Config == nil || c.Client == nil {
		return errors.New("removing the lab: no cluster")
	}
	o = o.withDefaults()
	if c.Flavor == OpenShift {
		b, err := openshift.New(c.Config, openshift.Options{Namespace: namespace, Log: o.Log, Status: o.Status})
		if err != nil {
			return err
		}
		return b.Teardown(ctx)
	}
	return kube.RemoveLab(ctx, c.Client, kube.Options{Namespace: namespace, Log: o.Log})
}

// VariantWARs packs both variants' web archives.
func VariantWARs() (map[lab.Variant][]byte, error) {
	out := make(map[lab.Variant][]byte, len(lab.Variants))
	for _, v := range lab.Variants {
		b, err := wars.WAR(string(v))
		if err != nil {
			return nil, fmt.Errorf("packing %s: %w", v.WAR(), err)
		}
		out[v] = b
	}
	return out, nil
}
