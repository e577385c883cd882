// Package kube is pulllab's plain-Kubernetes backend: `pulllab verify
// --kubeconfig K --registry HOST:PORT[/PREFIX]` on a cluster that is not
// OpenShift.
//
// The registry may have two addresses (KEP-1755's host and
// hostFromContainerRuntime, or --registry and --registry-pull): pulllab
// pushes, re-tags and reads digests under the push address, and everything
// the node sees (the Deployment's and warm-up pods' images, the node's
// image cache, the pull secret's key) names the pull address. The
// repository paths are the same under both.
//
// Images are built on this machine with go-containerregistry: the base
// image plus one layer holding <dir>/<variant>.war, where dir is where the
// base image's server looks (ChooseDeploymentsDir), pushed to the
// stash repository <registry>/<namespace>/pulllab-variants under the tags
// "node" and "registry". The app repository
// <registry>/<namespace>/custom-image-java is what the cases deploy; its
// tags are moved by copying a stashed manifest (no rebuild) and removed by
// deleting the manifest, which needs a registry that allows deletes.
//
// The stash is a repository of its own on purpose: deleting a manifest by
// digest removes it, with every tag that points at it, from one repository
// only, so emptying the app's tag never loses a variant.
//
// Pods and namespaces are handled by lab/workload, the node's image cache
// by lab/node (a privileged debug pod in the namespace <namespace>-debug).
package kube

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/sirupsen/logrus"
	corev1 "k8s.io/api/core/v1"

	"github.com/pulllab/pulllab/internal/config"
	"github.com/pulllab/pulllab/internal/version"
	"github.com/pulllab/pulllab/lab"
	"github.com/pulllab/pulllab/lab/workload"
)

// KindName is what Backend.Kind returns.
const KindName = "kubernetes"

// DefaultNamespace is the lab namespace when Options.Namespace is empty.
const DefaultNamespace = "pulllab"

// DefaultDebugImage is the node debug pod's image when Options.DebugImage is
// empty (config.KubernetesDebugImage): it needs sh, sleep and chroot, which
// busybox has. Clusters that cannot reach Docker Hub need --debug-image
// (for example a copy of this image in the lab registry).
const DefaultDebugImage = config.KubernetesDebugImage

// DebugSuffix is appended to the lab namespace to name the privileged
// namespace of the node debug pod.
const DebugSuffix = "-debug"

// NoCredentialsSuffix is appended to the lab namespace to name the second
// lab namespace, which has no pull secret (cases 11 and 12).
const NoCredentialsSuffix = "-nocreds"

// Image config labels of a variant image.
const (
	// LabelVariant names the variant ("node" or "registry").
	LabelVariant = "io.pulllab.variant"
	// LabelWARSHA256 is the hex SHA-256 of the WAR in the image.
	LabelWARSHA256 = "io.pulllab.war-sha256"
	// LabelWARDir is the directory the WAR is in.
	LabelWARDir = "io.pulllab.war-dir"
)

// Options configure the backend. Registry is required; everything else has
// a default.
type Options struct {
	// Namespace is the lab namespace (default "pulllab"); the debug pod
	// runs in Namespace+"-debug".
	Namespace string
	// Node is the node to run on; empty picks the cluster's node
	// (workload.PickNode decides).
	Node string
	// Registry is HOST[:PORT][/PREFIX] of an OCI registry that this machine
	// pushes to (--registry); the node pulls from it too unless
	// RegistryPull is set.
	Registry string
	// RegistryPull is HOST[:PORT][/PREFIX] under which the node's container
	// runtime pulls from the same registry (--registry-pull); empty means
	// Registry. Without a prefix it takes Registry's. See SplitRegistry.
	RegistryPull string
	// BaseImage is the image the variants are built on (--base-image). It
	// is needed by EnsureBase and Build only.
	BaseImage string
	// DeploymentsDir is the absolute directory of the base image the WAR
	// goes to (--deployments-dir); empty means the one the base image's
	// config points to (ChooseDeploymentsDir), which must exist in it.
	DeploymentsDir string
	// BaseImageReason is why the caller chose BaseImage for the user
	// (lab.BaseReasonKubernetes); empty when the user chose it.
	BaseImageReason lab.BaseImageReason
	// DebugImage is the node debug pod's image (--debug-image); empty
	// means DefaultDebugImage.
	DebugImage string
	// LabID labels what this lab creates (pulllab.io/lab); empty means
	// the namespace name.
	LabID string
	// Profile is the base image's log profile; the zero Profile picks
	// lab.ProfileFor(BaseImage).
	Profile lab.Profile
	// Insecure lets the lab registry be reached over plain http
	// (--insecure). Loopback registries (localhost, 127.0.0.0/8, ::1) may
	// always use plain http.
	Insecure bool
	// CaseLogWait is how long Observe waits for the WAR log line.
	CaseLogWait time.Duration
	// Log receives debug and warning messages; nil discards them.
	Log logrus.FieldLogger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Transport carries the registry requests; nil means
	// remote.DefaultTransport. Tests substitute one.
	Transport http.RoundTripper
	// Keychain finds registry credentials; nil means authn.DefaultKeychain
	// (Docker's config, DOCKER_CONFIG, and credential helpers). It is asked
	// after Credentials; a registry it has nothing for is reached
	// anonymously.
	Keychain authn.Keychain
	// Credentials are the credentials of --registry-auth (a
	// dockerconfigjson read with ReadRegistryAuth); they come before the
	// Keychain's.
	Credentials *Credentials
}

// Workload is the pod and namespace side for one namespace; lab/workload's
// Client implements it.
type Workload = lab.NamespaceWorkload

// NodeOps is the node's image cache seen through a debug pod; lab/node's
// Cache implements it.
type NodeOps = lab.DebugNodeCache

// Cluster is what the backend needs from the Kubernetes API. New wires it to
// lab/workload and lab/node; tests fake it.
type Cluster interface {
	// PickNode returns the named node, or the cluster's node when name is empty.
	PickNode(ctx context.Context, name string) (*corev1.Node, error)
	// Facts reads versions and the node's details for the report.
	Facts(ctx context.Context, node *corev1.Node) (lab.Environment, error)
	// NamespaceExists reports whether the namespace exists.
	NamespaceExists(ctx context.Context, namespace string) (bool, error)
	// Workload returns the workload client of a namespace; node may be
	// empty when no pod will be scheduled (cleanup, teardown).
	Workload(namespace, node string) Workload
	// NodeCache returns the node cache whose debug pod runs in namespace
	// on node and which sees the images of the repositories.
	NodeCache(namespace, node string, repositories []string) NodeOps
	// EnsurePullSecret makes the namespace's lab pull secret hold
	// dockerconfig and puts it on the namespace's default ServiceAccount
	// (workload.Client.EnsurePullSecret); nil removes both.
	EnsurePullSecret(ctx context.Context, namespace string, dockerconfig []byte) error
}

// Backend is the plain-Kubernetes lab.Backend. It is safe for use by one
// runner; the methods that change state are not meant to run concurrently.
type Backend struct {
	o        Options
	log      logrus.FieldLogger
	cluster  Cluster
	addr     RegistryAddress // where this machine pushes
	pull     RegistryAddress // where the node pulls; equal to addr when not split
	insecure bool
	keychain authn.Keychain

	appRepo, stashRepo string          // as the node sees them (pull address), e.g. 127.0.0.1:5000/pulllab/custom-image-java
	app, stash         name.Repository // as this machine reaches them (push address)
	baseRef            name.Reference  // nil when Options.BaseImage is empty
	debugNS            string
	nocredsNS          string

	// node is the lab's node, chosen once.
	node *workload.NodeChoice

	mu sync.Mutex
	// cache is the node debug pod Prepare started; nil before Prepare and
	// after Cleanup or Teardown.
	cache    NodeOps
	base     v1.Image
	baseInfo *lab.BaseImage
	layout   WARLayout
	// pullSecret is set once Prepare put a pull secret into the lab
	// namespace; nocreds once PrepareNoCredentials made the second one.
	pullSecret bool
	nocreds    bool
}

var (
	_ lab.Backend       = (*Backend)(nil)
	_ lab.CredentialLab = (*Backend)(nil)
)

// NewWithCluster returns a backend that reaches the cluster through c. It
// parses the registry and image references; bad input is an *OptionError.
// The namespace is taken as given: internal/config validates it once (with
// the debug and no-credentials namespaces made from it).
func NewWithCluster(c Cluster, o Options) (*Backend, error) {
	if c == nil {
		return nil, errors.New("kube backend: no cluster")
	}
	addr, pull, err := registryPair(o.Registry, o.RegistryPull)
	if err != nil {
		return nil, err
	}
	if o.Namespace == "" {
		o.Namespace = DefaultNamespace
	}
	if o.Log == nil {
		o.Log = lab.DiscardLog()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.LabID == "" {
		o.LabID = o.Namespace
	}
	if o.Profile.Name == "" {
		o.Profile = lab.ProfileFor(o.BaseImage)
	}
	b := &Backend{
		o:        o,
		log:      o.Log,
		cluster:  c,
		addr:     addr,
		pull:     pull,
		insecure: o.Insecure || addr.Loopback(),
		debugNS:  o.Namespace + DebugSuffix,
	}
	b.nocredsNS = o.Namespace + NoCredentialsSuffix
	b.node = workload.NewNodeChoice(o.Node, c.PickNode)
	kc := o.Keychain
	if kc == nil {
		kc = authn.DefaultKeychain
	}
	b.keychain = credentialChain{file: o.Credentials, base: kc, log: o.Log, alias: hostAliases(addr.Host, pull.Host)}
	b.appRepo = pull.String() + "/" + o.Namespace + "/" + lab.AppName
	b.stashRepo = pull.String() + "/" + o.Namespace + "/" + lab.StashName
	if b.app, err = name.NewRepository(addr.String()+"/"+o.Namespace+"/"+lab.AppName, b.nameOpts(addr.Host)...); err != nil {
		return nil, &OptionError{Setting: "lab.registry", Value: o.Registry, Reason: err.Error()}
	}
	if b.stash, err = name.NewRepository(addr.String()+"/"+o.Namespace+"/"+lab.StashName, b.nameOpts(addr.Host)...); err != nil {
		return nil, &OptionError{Setting: "lab.registry", Value: o.Registry, Reason: err.Error()}
	}
	if strings.TrimSpace(o.BaseImage) != "" {
		r, err := name.ParseReference(strings.TrimSpace(o.BaseImage))
		if err != nil {
			return nil, &OptionError{Setting: "lab.baseImage", Value: o.BaseImage, Reason: "not an image reference (" + err.Error() + "); give e.g. registry.example.com/app/server:1.0"}
		}
		// Parse again with the options of the base image's own registry.
		if b.baseRef, err = name.ParseReference(strings.TrimSpace(o.BaseImage), b.nameOpts(r.Context().RegistryStr())...); err != nil {
			return nil, &OptionError{Setting: "lab.baseImage", Value: o.BaseImage, Reason: err.Error()}
		}
	}
	if o.DebugImage == "" {
		b.o.DebugImage = DefaultDebugImage
	} else {
		if _, err := name.ParseReference(o.DebugImage); err != nil {
			return nil, &OptionError{Setting: "lab.debugImage", Value: o.DebugImage, Reason: "not an image reference (" + err.Error() + ")"}
		}
	}
	return b, nil
}

// nameOpts are the go-containerregistry name options for a registry host:
// plain http is allowed for the lab registry when insecure, and for
// loopback hosts.
func (b *Backend) nameOpts(host string) []name.Option {
	if isLoopbackHost(host) || (b.insecure && host == b.addr.Host) {
		return []name.Option{name.Insecure}
	}
	return nil
}

// Kind returns "kubernetes".
func (b *Backend) Kind() string { return KindName }

// Namespace returns the lab namespace.
func (b *Backend) Namespace() string { return b.o.Namespace }

// DebugNamespace returns the privileged namespace of the node debug pod.
func (b *Backend) DebugNamespace() string { return b.debugNS }

// AppRepository returns the app's repository as the node sees it (under
// the pull address), e.g. "127.0.0.1:5000/pulllab/custom-image-java".
func (b *Backend) AppRepository() string { return b.appRepo }

// AppPushRepository returns the app's repository as this machine pushes to
// it (under the push address); it equals AppRepository unless the
// registry's push and pull addresses differ.
func (b *Backend) AppPushRepository() string { return b.app.String() }

// StashRepository returns the repository holding the variants as the node
// sees it, e.g. "127.0.0.1:5000/pulllab/pulllab-variants".
func (b *Backend) StashRepository() string { return b.stashRepo }

// Registry returns the push address, HOST[:PORT][/PREFIX].
func (b *Backend) Registry() string { return b.addr.String() }

// RegistryPull returns the pull address, HOST[:PORT][/PREFIX]; it equals
// Registry unless the addresses differ.
func (b *Backend) RegistryPull() string { return b.pull.String() }

// NoCredentialsNamespace returns the second lab namespace, which has no
// pull secret (cases 11 and 12).
func (b *Backend) NoCredentialsNamespace() string { return b.nocredsNS }

// Prepare picks the node, makes the lab namespaces (PrepareNamespaces,
// which first runs the pre-run checks), starts the node debug pod, and
// returns the lab namespace's workload on the node and the node's image
// cache.
func (b *Backend) Prepare(ctx context.Context) (lab.Site, error) {
	node, err := b.Node(ctx)
	if err != nil {
		return lab.Site{}, err
	}
	wl := b.cluster.Workload(b.o.Namespace, node.Name)
	if err := b.PrepareNamespaces(ctx); err != nil {
		return lab.Site{}, err
	}
	nc := b.nodeCache(node.Name)
	if err := nc.Start(ctx); err != nil {
		return lab.Site{}, fmt.Errorf("starting the node debug pod on %s: %w", node.Name, err)
	}
	b.mu.Lock()
	b.cache = nc
	b.mu.Unlock()
	b.log.WithFields(logrus.Fields{"node": node.Name, "namespace": b.o.Namespace, "registry": b.addr.String(), "registryPull": b.pull.String()}).Debug("kubernetes backend prepared")
	return lab.Site{Workload: wl, NodeCache: nc}, nil
}

// PrepareNamespaces runs the pre-run checks (Preflight: base image,
// deployments directory, registry), which change nothing, then makes the
// lab namespace and the privileged debug namespace, each with the pull
// secret (all idempotent); it starts no pod (`pulllab up`). The pull
// secret holds only the credentials for the registry, keyed by its pull host
// (what the kubelet matches the image name against), from the registry auth
// file or the docker config under either of the registry's hosts; without
// any, the lab's pods pull anonymously and no secret is left.
func (b *Backend) PrepareNamespaces(ctx context.Context) error {
	if err := b.Preflight(ctx); err != nil {
		return err
	}
	if err := b.cluster.Workload(b.o.Namespace, "").EnsureNamespace(ctx, false); err != nil {
		return fmt.Errorf("preparing namespace %q: %w", b.o.Namespace, err)
	}
	cfg, err := pullSecretConfig(ctx, b.keychain, b.pull.Host)
	if err != nil {
		return fmt.Errorf("preparing the pull secret for %s: %w", b.pull.Host, err)
	}
	if err := b.cluster.EnsurePullSecret(ctx, b.o.Namespace, cfg); err != nil {
		return fmt.Errorf("preparing the pull secret in %q: %w", b.o.Namespace, err)
	}
	b.mu.Lock()
	b.pullSecret = cfg != nil
	b.mu.Unlock()
	if cfg == nil {
		b.log.WithField("registry", b.pull.Host).Debug("no credentials for the registry: the lab's pods pull anonymously")
	}
	if err := b.cluster.Workload(b.debugNS, "").EnsureNamespace(ctx, true); err != nil {
		return fmt.Errorf("preparing debug namespace %q: %w", b.debugNS, err)
	}
	// The debug image may live in the lab registry too.
	if err := b.cluster.EnsurePullSecret(ctx, b.debugNS, cfg); err != nil {
		return fmt.Errorf("preparing the pull secret in %q: %w", b.debugNS, err)
	}
	return nil
}

// Node returns the lab's node, asking the cluster once.
func (b *Backend) Node(ctx context.Context) (*corev1.Node, error) { return b.node.Node(ctx) }

// nodeCache returns the node cache of the debug pod on node.
func (b *Backend) nodeCache(node string) NodeOps {
	return b.cluster.NodeCache(b.debugNS, node, []string{b.appRepo, b.stashRepo})
}

// running returns the node debug pod Prepare started, or nil.
func (b *Backend) running() NodeOps {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.cache
}

// Cleanup removes this run's pods in the lab namespace and the node debug
// pod (also one left by an earlier run). It keeps the namespaces and every
// registry image. Both steps run even when the first fails.
func (b *Backend) Cleanup(ctx context.Context) error {
	var errs []error
	if err := b.cleanupNoCredentials(ctx); err != nil {
		errs = append(errs, err)
	}
	if err := b.cluster.Workload(b.o.Namespace, b.node.Chosen()).Cleanup(ctx); err != nil {
		errs = append(errs, fmt.Errorf("cleaning up namespace %q: %w", b.o.Namespace, err))
	}
	b.mu.Lock()
	nc := b.cache
	b.cache = nil
	b.mu.Unlock()
	if nc == nil {
		// Prepare did not run in this process: remove a debug pod an
		// earlier run left on the node.
		nc = b.nodeCache(b.node.Chosen())
	}
	if err := nc.Stop(ctx); err != nil {
		errs = append(errs, fmt.Errorf("removing the node debug pod: %w", err))
	}
	return errors.Join(errs...)
}

// cleanupNoCredentials removes the lab's pods and Deployments in the
// second namespace, when this run made it or an earlier run left it.
func (b *Backend) cleanupNoCredentials(ctx context.Context) error {
	b.mu.Lock()
	made := b.nocreds
	b.mu.Unlock()
	if !made {
		ok, err := b.cluster.NamespaceExists(ctx, b.nocredsNS)
		if err != nil {
			return fmt.Errorf("reading namespace %q: %w", b.nocredsNS, err)
		}
		if !ok {
			return nil
		}
	}
	if err := b.cluster.Workload(b.nocredsNS, b.node.Chosen()).Cleanup(ctx); err != nil {
		return fmt.Errorf("cleaning up namespace %q: %w", b.nocredsNS, err)
	}
	return nil
}

// HasPullSecret reports whether Prepare put a pull secret for the registry
// into the lab namespace.
func (b *Backend) HasPullSecret() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.pullSecret
}

// PrepareNoCredentials makes the second lab namespace (labelled as the
// lab's, without a pull secret: one left there is removed) and returns its
// workload client, pinned to the lab's node.
func (b *Backend) PrepareNoCredentials(ctx context.Context) (lab.Workload, error) {
	node, err := b.Node(ctx)
	if err != nil {
		return nil, err
	}
	wl := b.cluster.Workload(b.nocredsNS, node.Name)
	if err := wl.EnsureNamespace(ctx, false); err != nil {
		return nil, fmt.Errorf("preparing namespace %q: %w", b.nocredsNS, err)
	}
	b.mu.Lock()
	b.nocreds = true
	b.mu.Unlock()
	if err := b.cluster.EnsurePullSecret(ctx, b.nocredsNS, nil); err != nil {
		return nil, fmt.Errorf("making sure namespace %q has no pull secret: %w", b.nocredsNS, err)
	}
	return wl, nil
}

// AnonymousPull reports whether the registry answers an anonymous client
// for the app's repository: a HEAD of the app's tag without credentials
// that is answered (or answered "not found") rather than refused with 401
// or 403.
func (b *Backend) AnonymousPull(ctx context.Context) (bool, error) {
	t, err := b.appTag(lab.AppTag)
	if err != nil {
		return false, err
	}
	opts := []remote.Option{remote.WithContext(ctx), remote.WithUserAgent(version.UserAgent()), remote.WithAuth(authn.Anonymous)}
	if b.o.Transport != nil {
		opts = append(opts, remote.WithTransport(b.o.Transport))
	}
	_, err = remote.Head(t, opts...)
	if err == nil || isNotFound(err) {
		return true, nil
	}
	var te *transport.Error
	if errors.As(err, &te) && (te.StatusCode == http.StatusUnauthorized || te.StatusCode == http.StatusForbidden) {
		return false, nil
	}
	return false, b.registryError(err, "asking "+t.String()+" without credentials")
}

// Teardown is `pulllab down` on Kubernetes: it deletes the lab namespace
// (with its pull secret), the second lab namespace of cases 11 and 12 and
// the debug namespace. It keeps the images in the registry (the stashed
// variants and the app's tags), so a later verify does not rebuild; delete
// the repositories AppRepository and StashRepository in the registry to
// remove them. Images cached on the node stay too (the kubelet's image
// garbage collection owns them).
func (b *Backend) Teardown(ctx context.Context) error {
	err := teardown(ctx, b.cluster, b.o.Namespace)
	b.mu.Lock()
	// The debug pod went with its namespace.
	b.cache = nil
	b.pullSecret, b.nocreds = false, false
	b.mu.Unlock()
	return err
}

// teardown deletes the lab namespace ns, its second namespace and its
// debug namespace, each only when pulllab made it; absent ones are fine.
func teardown(ctx context.Context, c Cluster, ns string) error {
	var errs []error
	for _, name := range []string{ns, ns + NoCredentialsSuffix, ns + DebugSuffix} {
		if err := c.Workload(name, "").DeleteNamespace(ctx); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			errs = append(errs, fmt.Errorf("deleting namespace %q: %w", name, err))
		}
	}
	return errors.Join(errs...)
}

// Environment gathers the cluster and node facts for the report, the
// container runtime as the node's crictl reports it, and whether
// KubeletEnsureSecretPulledImages is in force (inferred from the kubelet's
// version).
func (b *Backend) Environment(ctx context.Context) (lab.Environment, error) {
	node, err := b.Node(ctx)
	if err != nil {
		return lab.Environment{}, err
	}
	env, err := b.cluster.Facts(ctx, node)
	if err != nil {
		return lab.Environment{}, fmt.Errorf("reading cluster facts: %w", err)
	}
	var rv workload.RuntimeVersioner
	if nc := b.running(); nc != nil {
		rv = nc
	}
	if env, err = workload.CompleteEnvironment(ctx, b.log, env, node, b.o.Namespace, rv); err != nil {
		return lab.Environment{}, err
	}
	env.Target = KindName
	env.AppRepository = b.appRepo
	env.BaseImageReason = b.o.BaseImageReason
	if env.BaseImageReason == "" {
		env.BaseImageReason = lab.BaseReasonUser
	}
	if push := b.AppPushRepository(); push != b.appRepo {
		env.AppPushRepository = push
	}
	return env, nil
}
