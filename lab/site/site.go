// Package site is the part of a lab backend that lives on the lab's node:
// the node itself (chosen once), the lab namespace's workload client and
// the node debug pod's view of the image cache. The OpenShift and the
// plain-Kubernetes backends embed a *Site, which gives them the lab.Workload
// and lab.NodeCache halves of lab.Backend; what differs between them
// (namespaces, registries, builds) stays in the backends.
package site

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/sirupsen/logrus"
	corev1 "k8s.io/api/core/v1"

	"github.com/pulllab/pulllab/lab"
	"github.com/pulllab/pulllab/lab/workload"
)

// Workload is the pod and namespace side for one namespace; lab/workload's
// Client implements it.
type Workload interface {
	lab.Workload
	// EnsureNamespace creates the namespace if needed, labelled for the lab
	// and, when privileged, for privileged pods.
	EnsureNamespace(ctx context.Context, privileged bool) error
	// Cleanup removes the lab's pods and Deployments in the namespace.
	Cleanup(ctx context.Context) error
	// DeleteNamespace deletes the namespace (only pulllab's) and waits.
	DeleteNamespace(ctx context.Context) error
}

// NodeOps is the node's image cache seen through a debug pod; lab/node's
// Cache implements it.
type NodeOps interface {
	// Start runs the debug pod and waits until it can exec.
	Start(ctx context.Context) error
	// StartShared uses a running debug pod without owning it (owned is
	// false: do not Stop it), or starts one (owned is true).
	StartShared(ctx context.Context) (owned bool, err error)
	// Stop deletes the debug pod.
	Stop(ctx context.Context) error
	// Images lists the node's images under the lab's repositories.
	Images(ctx context.Context) ([]lab.NodeImage, error)
	// Remove removes the node's image under ref, refusing foreign images.
	Remove(ctx context.Context, ref string) error
	// RuntimeVersion returns the container runtime's name and version.
	RuntimeVersion(ctx context.Context) (string, error)
}

// Options configure a Site.
type Options struct {
	// Namespace is the lab namespace (a project on OpenShift).
	Namespace string
	// Node is the node the user asked for; empty lets PickNode choose.
	Node string
	// PickNode returns the named node, or the one to use when name is empty.
	PickNode func(ctx context.Context, name string) (*corev1.Node, error)
	// Workload returns the workload client of a namespace; node is empty
	// when no pod will be scheduled (cleanup, teardown).
	Workload func(namespace, node string) Workload
	// Log receives detail; nil discards it.
	Log logrus.FieldLogger
}

// Site is the lab's node and what runs there. It is safe for concurrent
// use, but the runner calls it from one goroutine.
type Site struct {
	o Options

	mu      sync.Mutex
	node    *corev1.Node
	wl      Workload
	nc      NodeOps
	started bool
}

// New returns a Site; nothing is read from the cluster until it is needed.
func New(o Options) *Site {
	if o.Log == nil {
		l := logrus.New()
		l.SetOutput(io.Discard)
		o.Log = l
	}
	return &Site{o: o}
}

// Node returns the lab's node, asking the cluster once.
func (s *Site) Node(ctx context.Context) (*corev1.Node, error) {
	s.mu.Lock()
	node := s.node
	s.mu.Unlock()
	if node != nil {
		return node, nil
	}
	node, err := s.o.PickNode(ctx, s.o.Node)
	if err != nil {
		return nil, fmt.Errorf("choosing the lab's node: %w", err)
	}
	s.mu.Lock()
	s.node = node
	s.mu.Unlock()
	return node, nil
}

// Picked returns the name of the lab's node once Node has chosen it, else "".
func (s *Site) Picked() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.node == nil {
		return ""
	}
	return s.node.Name
}

// Use installs the lab namespace's workload client and the node cache for
// the chosen node (the backends' Prepare calls it before StartNodeCache).
func (s *Site) Use(wl Workload, nc NodeOps) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.wl, s.nc = wl, nc
}

// StartNodeCache starts the node debug pod installed with Use.
func (s *Site) StartNodeCache(ctx context.Context, node string) error {
	s.mu.Lock()
	nc := s.nc
	s.mu.Unlock()
	if nc == nil {
		return errors.New("no node cache: call Use first")
	}
	if err := nc.Start(ctx); err != nil {
		return fmt.Errorf("starting the node debug pod on %s: %w", node, err)
	}
	s.mu.Lock()
	s.started = true
	s.mu.Unlock()
	return nil
}

// Workload returns the lab namespace's workload client, made without a
// node when Prepare has not run (enough for cleanup).
func (s *Site) Workload() Workload {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.wl == nil {
		node := ""
		if s.node != nil {
			node = s.node.Name
		}
		s.wl = s.o.Workload(s.o.Namespace, node)
	}
	return s.wl
}

// NodeCache returns the started node cache, or an error before Prepare.
func (s *Site) NodeCache() (NodeOps, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.nc == nil || !s.started {
		return nil, errors.New("the node debug pod is not running: Prepare the backend first")
	}
	return s.nc, nil
}

// Running returns the node cache when its debug pod was started by this
// Site (for status, which must not start a second one).
func (s *Site) Running() (NodeOps, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.nc, s.nc != nil && s.started
}

// Cleanup removes this run's pods in the lab namespace and the node debug
// pod; both steps run even when the first fails. When no node cache was
// installed (Prepare never ran in this process) stray, if not nil, returns
// one for the node so that a debug pod left by an earlier run goes too.
func (s *Site) Cleanup(ctx context.Context, stray func(node string) NodeOps) error {
	var errs []error
	if err := s.Workload().Cleanup(ctx); err != nil {
		errs = append(errs, fmt.Errorf("cleaning up namespace %q: %w", s.o.Namespace, err))
	}
	s.mu.Lock()
	nc := s.nc
	if nc == nil && stray != nil {
		node := ""
		if s.node != nil {
			node = s.node.Name
		}
		nc = stray(node)
	}
	s.started = false
	s.mu.Unlock()
	if nc != nil {
		if err := nc.Stop(ctx); err != nil {
			errs = append(errs, fmt.Errorf("removing the node debug pod: %w", err))
		}
	}
	return errors.Join(errs...)
}

// Forget drops the clients after the namespaces are gone (teardown).
func (s *Site) Forget() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.wl, s.nc, s.started = nil, nil, false
}

// Warm makes the node pull ref with a short pod (imagePullPolicy Always).
func (s *Site) Warm(ctx context.Context, ref string) error { return s.Workload().Warm(ctx, ref) }

// Deploy creates or replaces the app Deployment.
func (s *Site) Deploy(ctx context.Context, d lab.Deployment) error {
	return s.Workload().Deploy(ctx, d)
}

// Observe watches the Deployment's pod and gathers the evidence.
func (s *Site) Observe(ctx context.Context, d lab.Deployment, timeout time.Duration) (lab.Observation, error) {
	return s.Workload().Observe(ctx, d, timeout)
}

// Undeploy deletes the Deployment and waits for its pods to go.
func (s *Site) Undeploy(ctx context.Context, name string) error {
	return s.Workload().Undeploy(ctx, name)
}

// NodeImages lists the node's images under the lab's repositories.
func (s *Site) NodeImages(ctx context.Context) ([]lab.NodeImage, error) {
	nc, err := s.NodeCache()
	if err != nil {
		return nil, err
	}
	return nc.Images(ctx)
}

// RemoveNodeImage removes the node's image under ref (lab images only).
func (s *Site) RemoveNodeImage(ctx context.Context, ref string) error {
	nc, err := s.NodeCache()
	if err != nil {
		return err
	}
	return nc.Remove(ctx, ref)
}

// KubeletNotRead is the reason CompleteEnvironment gives when the backend's
// facts carry no KEP-2535 state read from the kubelet.
const KubeletNotRead = "the backend did not read the kubelet's configuration"

// CompleteEnvironment adds what the node tells about itself to env (as
// workload.Facts read it): the container runtime as the node's crictl
// reports it when the debug pod runs (else the kubelet's view), the kubelet
// version, the node's name, the namespace, and the KEP-2535 state
// (KubeletEnsureSecretPulledImages and its policy) as workload.Facts read it
// from the kubelet, inferred from the kubelet's version only when it was not
// read; EnsureSecretPulledImages is its one-line summary.
func (s *Site) CompleteEnvironment(ctx context.Context, env lab.Environment, node *corev1.Node) (lab.Environment, error) {
	if nc, err := s.NodeCache(); err == nil {
		rv, err := nc.RuntimeVersion(ctx)
		switch {
		case err != nil && ctx.Err() != nil:
			return lab.Environment{}, ctx.Err()
		case err != nil:
			s.o.Log.WithError(err).Debug("could not read the container runtime version on the node; the report shows the kubelet's")
		case rv != "":
			env.ContainerRuntime = rv
		}
	}
	if env.ContainerRuntime == "" {
		env.ContainerRuntime = workload.RuntimeName(node.Status.NodeInfo.ContainerRuntimeVersion)
	}
	if env.KubeletVersion == "" {
		env.KubeletVersion = node.Status.NodeInfo.KubeletVersion
	}
	if env.Node == "" {
		env.Node = node.Name
	}
	env.Namespace = s.o.Namespace
	if env.KubeletImageCredentials == nil {
		// The backend's facts did not read the kubelet (workload.Facts
		// does): the version is all there is.
		env.KubeletImageCredentials = lab.InferKubeletImageCredentials(env.KubeletVersion, KubeletNotRead)
	}
	env.EnsureSecretPulledImages = env.KubeletImageCredentials.Summary()
	return env, nil
}
