package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/sirupsen/logrus"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/pulllab/pulllab/crcctl"
	"github.com/pulllab/pulllab/internal/config"
	"github.com/pulllab/pulllab/internal/kubeclient"
	"github.com/pulllab/pulllab/internal/version"
	"github.com/pulllab/pulllab/lab"
	"github.com/pulllab/pulllab/lab/kube"
	"github.com/pulllab/pulllab/lab/openshift"
	"github.com/pulllab/pulllab/lab/workload"
)

// cluster is a connection to the cluster the lab runs on.
type cluster struct {
	cfg       *rest.Config
	cs        kubeclient.Interface
	openshift bool
	// from says which kubeconfig was used, for messages.
	from string
}

// labBackend is a lab.Backend that can also report and remove the lab.
type labBackend interface {
	lab.Backend
	Teardown(ctx context.Context) error
}

// clientConfig picks the kubeconfig the way a user expects: --kubeconfig
// alone when given; else $KUBECONFIG (merged) when set; else CRC's admin
// kubeconfig when it exists (OpenShift Local is the default target); else
// ~/.kube/config. --context applies to whichever is used.
func (g *globals) clientConfig(kubeconfig, kubecontext string) (clientcmd.ClientConfig, string) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	from := "the default kubeconfig (~/.kube/config)"
	switch {
	case kubeconfig != "":
		rules.ExplicitPath = kubeconfig
		from = kubeconfig
	case envSet(g, "KUBECONFIG"):
		from = "$KUBECONFIG"
	default:
		if p, err := crcPaths(g); err == nil {
			if _, err := os.Stat(p.Kubeconfig); err == nil {
				rules.ExplicitPath = p.Kubeconfig
				from = p.Kubeconfig + " (OpenShift Local)"
			}
		}
	}
	overrides := &clientcmd.ConfigOverrides{CurrentContext: kubecontext}
	return clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides), from
}

func envSet(g *globals, name string) bool {
	v, ok := g.lookupEnv(name)
	return ok && v != ""
}

// connect reaches the cluster that --kubeconfig and --context (or the
// defaults) name and finds out whether it is OpenShift.
func (g *globals) connect(ctx context.Context) (*cluster, error) {
	return g.connectTo(ctx, g.kubeconfig, g.context)
}

// connectTo is connect with an explicit kubeconfig and context ("" for the
// defaults).
func (g *globals) connectTo(ctx context.Context, kubeconfig, kubecontext string) (*cluster, error) {
	cc, from := g.clientConfig(kubeconfig, kubecontext)
	cfg, err := cc.ClientConfig()
	if err != nil {
		if clientcmd.IsEmptyConfig(err) {
			return nil, usagef("no kubeconfig found: run 'pulllab up' to start OpenShift Local, or pass --kubeconfig FILE (and --context NAME)")
		}
		if errors.Is(err, fs.ErrNotExist) {
			return nil, usagef("the kubeconfig %s does not exist: pass --kubeconfig with a file that exists, or run 'pulllab up' for OpenShift Local", from)
		}
		return nil, usagef("reading the kubeconfig (%s): %v", from, err)
	}
	cfg = rest.CopyConfig(cfg)
	rest.AddUserAgent(cfg, version.UserAgent())
	cfg.WarningHandler = apiWarnings{log: g.log}
	cs, err := kubeclient.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("connecting to %s: %w", cfg.Host, err)
	}
	probe := rest.CopyConfig(cfg)
	probe.Timeout = 20 * time.Second
	pcs, err := kubeclient.NewForConfig(probe)
	if err != nil {
		return nil, fmt.Errorf("connecting to %s: %w", cfg.Host, err)
	}
	if _, err := pcs.Discovery().ServerVersion(); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &clusterError{msg: fmt.Sprintf("cannot reach the cluster (kubeconfig: %s): %s; 'pulllab status' shows CRC's state", from, whyUnreachable(cfg.Host, err))}
	}
	isOS, err := openshift.IsOpenShift(pcs.Discovery())
	if err != nil {
		return nil, fmt.Errorf("asking %s which APIs it serves: %w", cfg.Host, err)
	}
	g.log.Debugf("cluster %s (kubeconfig %s), openshift=%v", cfg.Host, from, isOS)
	return &cluster{cfg: cfg, cs: cs, openshift: isOS, from: from}, nil
}

// apiWarnings sends the API server's warnings (for example PodSecurity
// "would violate" notices) to the debug log instead of stderr.
type apiWarnings struct{ log logrus.FieldLogger }

// HandleWarningHeader implements rest.WarningHandler.
func (w apiWarnings) HandleWarningHeader(code int, agent, message string) {
	if code == 299 && message != "" {
		w.log.Debugf("API server warning: %s", message)
	}
}

// clusterError is a cluster that cannot be used: exit code 2.
type clusterError struct{ msg string }

func (e *clusterError) Error() string { return e.msg }
func (e *clusterError) ExitCode() int { return 2 }

// labSettings is what every backend is built from.
type labSettings struct {
	namespace, node, registry, registryAuth, baseImage, debugImage string
	// baseForPreset: pulllab chose baseImage for crc's preset (okd), not
	// the user.
	baseForPreset bool
}

// withBase sets the base image that config.ChooseBaseImage chose.
func (s labSettings) withBase(c config.BaseImageChoice) labSettings {
	s.baseImage, s.baseForPreset = c.Image, c.Why != ""
	return s
}

func labSettingsFrom(l config.Lab) labSettings {
	return labSettings{namespace: l.Namespace, node: l.Node, registry: l.Registry, registryAuth: l.RegistryAuth, baseImage: l.BaseImage, debugImage: l.DebugImage}
}

// newLabBackend returns the OpenShift backend for an OpenShift cluster and
// the plain-Kubernetes backend (which needs a registry) for any other.
func newLabBackend(ctx context.Context, g *globals, c *cluster, s labSettings) (labBackend, error) {
	if c.openshift {
		if s.registry != "" {
			g.status.Warnf("the cluster is OpenShift: its internal registry is used and --registry %s is ignored", s.registry)
		}
		if s.registryAuth != "" {
			g.status.Warnf("the cluster is OpenShift: its internal registry is used with your cluster login and --registry-auth %s is ignored", s.registryAuth)
		}
		o := openshift.Options{
			Namespace:  s.namespace,
			Node:       s.node,
			BaseImage:  s.baseImage,
			DebugImage: s.debugImage,
			Log:        g.log,
			Status:     g.status,
		}
		if s.baseForPreset {
			o.BaseImageReason = lab.BaseReasonOKD
		}
		b, err := openshift.New(c.cfg, o)
		if err != nil {
			return nil, err
		}
		return b, nil
	}
	s, err := withAnnouncedRegistry(ctx, g, c, s)
	if err != nil {
		return nil, err
	}
	if s.registry == "" {
		return nil, usagef("the cluster at %s is plain Kubernetes, not OpenShift, and announces no local registry (no ConfigMap %s/%s with the key %s): create a registry the way your cluster tool documents (kind, minikube and k3d: docs/user-guide.md), or give the OCI registry the lab pushes its images to with --registry HOST:PORT[/prefix], and a --base-image and --debug-image that registry serves", c.cfg.Host, kube.HostingNamespace, kube.HostingConfigMap, kube.HostingKey)
	}
	base := s.baseImage
	if base == config.Default().Lab.BaseImage {
		g.log.Debugf("plain Kubernetes with the default base image %s: the registry must be able to serve it", base)
	}
	var creds *kube.Credentials
	if s.registryAuth != "" {
		var err error
		if creds, err = kube.ReadRegistryAuth(s.registryAuth); err != nil {
			return nil, err
		}
	}
	b, err := kube.New(c.cfg, c.cs, kube.Options{
		Namespace:   s.namespace,
		Node:        s.node,
		Registry:    s.registry,
		Credentials: creds,
		BaseImage:   base,
		DebugImage:  s.debugImage,
		Log:         g.log,
	})
	if err != nil {
		return nil, err
	}
	return b, nil
}

// newBackend returns the lab backend for the cluster that --kubeconfig and
// --context (or CRC's kubeconfig) reach, set up with the verify options.
func newBackend(ctx context.Context, g *globals, o *verifyOptions) (lab.Backend, error) {
	c, err := g.connect(ctx)
	if err != nil {
		return nil, err
	}
	s := labSettings{namespace: o.namespace, node: o.node, registry: o.registry, registryAuth: o.registryAuth, debugImage: o.debugImage}
	return newLabBackend(ctx, g, c, s.withBase(clusterBaseImage(ctx, g, c, o.baseImage, true)))
}

// installedCRC returns a client of the installed crc, or nil when crc is
// not installed (the callers then report nothing about crc).
func installedCRC(g *globals) *crcctl.Client {
	p, err := crcPaths(g)
	if err != nil {
		return nil
	}
	path, err := findCRC(g, p)
	if err != nil {
		return nil
	}
	return newCRCClient(g, path)
}

// crcVersion returns the version of crc when it is installed, else "".
func crcVersion(ctx context.Context, g *globals) string {
	c := installedCRC(g)
	if c == nil {
		return ""
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	v, err := c.Version(ctx)
	if err != nil {
		return ""
	}
	return v.Version
}

// openshiftUpSteps are the steps of `pulllab up` after crc: connect to the
// cluster and create the lab project, import the base image, build both
// variants. Each step prints its own status line.
func openshiftUpSteps(g *globals, st *upState) []Step {
	var b *openshift.Backend
	backend := func(ctx context.Context) (*openshift.Backend, error) {
		if b != nil {
			return b, nil
		}
		c, err := g.connectTo(ctx, st.Kubeconfig, st.Context)
		if err != nil {
			return nil, err
		}
		if !c.openshift {
			return nil, usagef("the cluster at %s is not OpenShift (it serves no image.openshift.io API); 'pulllab up' prepares OpenShift Local; on plain Kubernetes or MicroShift run 'pulllab verify', which uses the registry the cluster announces in the ConfigMap %s/%s, else give --registry HOST:PORT", c.cfg.Host, kube.HostingNamespace, kube.HostingConfigMap)
		}
		s := labSettingsFrom(g.cfg.Config.Lab)
		if st.BaseImage != "" && st.BaseImage != s.baseImage {
			// chosen for crc's preset by the crc step
			s = s.withBase(config.BaseImageChoice{Image: st.BaseImage, Why: "preset"})
		}
		lb, err := newLabBackend(ctx, g, c, s)
		if err != nil {
			return nil, err
		}
		b = lb.(*openshift.Backend)
		return b, nil
	}
	return []Step{
		{Name: "cluster", Run: func(ctx context.Context) error {
			ob, err := backend(ctx)
			if err != nil {
				return err
			}
			return ob.Connect(ctx)
		}},
		{Name: "image", Run: func(ctx context.Context) error {
			ob, err := backend(ctx)
			if err != nil {
				return err
			}
			_, err = ob.ImportBase(ctx)
			return err
		}},
		{Name: "build", Run: func(ctx context.Context) error {
			ob, err := backend(ctx)
			if err != nil {
				return err
			}
			builds, err := ob.BuildVariants(ctx)
			if err != nil {
				return err
			}
			for _, bd := range builds {
				state := "reused"
				if bd.Built {
					state = "built"
				}
				g.status.Infof("%s: %s (%s)", bd.Variant.WAR(), bd.Digest, state)
			}
			fmt.Fprintf(g.out, "The lab is ready. Run 'pulllab verify' to run every case.\n")
			return nil
		}},
	}
}

// labStatus is the lab part of `pulllab status`: what the lab has built,
// what the app tags point at and what the node caches.
func labStatus(ctx context.Context, g *globals) (any, error) {
	c, err := g.connect(ctx)
	if err != nil {
		return nil, err // status says why the lab could not be read
	}
	s := labSettingsFrom(g.cfg.Config.Lab)
	s = s.withBase(clusterBaseImage(ctx, g, c, s.baseImage, false))
	if !c.openshift {
		if s, err = withAnnouncedRegistry(ctx, g, c, s); err != nil {
			return nil, err
		}
	}
	if !c.openshift && s.registry == "" {
		return map[string]string{"note": "plain Kubernetes: set the lab's registry (lab.registry in pulllab.yaml, or PULLLAB_REGISTRY) to see what the lab holds"}, nil
	}
	b, err := newLabBackend(ctx, g, c, s)
	if err != nil {
		return nil, err
	}
	switch lb := b.(type) {
	case *openshift.Backend:
		return lb.Status(ctx)
	case *kube.Backend:
		return lb.Status(ctx)
	}
	return nil, nil
}

// removeLab deletes the lab's namespaces (the lab project and its debug
// namespace), only when pulllab created them. Images stay in the registry;
// the node's cached lab images go with the next `verify` or the VM.
func removeLab(ctx context.Context, g *globals) error {
	c, err := g.connect(ctx)
	if err != nil {
		return err
	}
	ns := g.cfg.Config.Lab.Namespace
	for _, name := range []string{ns, ns + openshift.DebugSuffix} {
		g.status.Start("Removing namespace %s", name)
		w := workload.New(c.cs, workload.Options{Namespace: name, LabID: ns, Log: g.log})
		if err := w.DeleteNamespace(ctx); err != nil {
			return fmt.Errorf("removing namespace %s: %w", name, err)
		}
		g.status.End(true)
	}
	return nil
}

// withAnnouncedRegistry fills in the lab registry, when none was given, from
// the cluster's announcement (KEP-1755 ConfigMap
// kube-public/local-registry-hosting). The kube backend pushes and pulls
// under one address, so an announcement whose pull address
// (hostFromContainerRuntime) differs from its push address (host) is
// refused with what to give instead; --registry always wins.
func withAnnouncedRegistry(ctx context.Context, g *globals, c *cluster, s labSettings) (labSettings, error) {
	if s.registry != "" {
		return s, nil
	}
	h, err := kube.DiscoverRegistry(ctx, c.cs)
	if err != nil || h == nil {
		return s, err
	}
	push, err := h.PushAddress()
	if err != nil {
		return s, err
	}
	pull, err := h.PullAddress()
	if err != nil {
		return s, err
	}
	if pull != push {
		msg := fmt.Sprintf("the cluster announces its local registry with a push address %s and a different pull address %s (ConfigMap %s/%s); pulllab pushes and pulls under one address: give --registry with an address both this machine and the node reach (e.g. a mirror of %s in the node's container runtime, as kind's registry script sets up)", push, pull, kube.HostingNamespace, kube.HostingConfigMap, push)
		if h.Help != "" {
			msg += "; see " + h.Help
		}
		return s, usagef("%s", msg)
	}
	g.status.Infof("registry %s, as the cluster announces it (ConfigMap %s/%s)", push, kube.HostingNamespace, kube.HostingConfigMap)
	s.registry = push.String()
	return s, nil
}
