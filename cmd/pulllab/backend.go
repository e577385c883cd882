package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"k8s.io/client-go/tools/clientcmd"

	"github.com/pulllab/pulllab/crcctl"
	"github.com/pulllab/pulllab/internal/config"
	"github.com/pulllab/pulllab/lab/kube"
	"github.com/pulllab/pulllab/lab/target"
)

// cluster is the cluster the lab runs on (target.Connect) and which
// kubeconfig reached it.
type cluster struct {
	*target.Cluster
	// from says which kubeconfig was used, for messages.
	from string
}

// clientConfig picks the kubeconfig the way a user expects: --kubeconfig
// alone when given; else $KUBECONFIG (merged) when set; else CRC's admin
// kubeconfig when it exists (OpenShift Local is the default target) and
// has the --context asked for; else ~/.kube/config. --context applies to
// whichever is used.
func (e env) clientConfig(kubeconfig, kubecontext string) (clientcmd.ClientConfig, string) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	from := "the default kubeconfig (~/.kube/config)"
	switch {
	case kubeconfig != "":
		rules.ExplicitPath = kubeconfig
		from = kubeconfig
	case e.envSet("KUBECONFIG"):
		from = "$KUBECONFIG"
	default:
		if p, ok := crcKubeconfig(e, kubecontext); ok {
			rules.ExplicitPath = p
			from = p + " (OpenShift Local)"
		} else if home, err := e.homeDir(); err == nil {
			// the home directory as pulllab (and status) sees it, not as
			// client-go saw it when the process started
			rules.Precedence = []string{filepath.Join(home, clientcmd.RecommendedHomeDir, clientcmd.RecommendedFileName)}
		}
	}
	overrides := &clientcmd.ConfigOverrides{CurrentContext: kubecontext}
	return clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides), from
}

// crcKubeconfig returns CRC's admin kubeconfig when it exists and, when
// kubecontext is given, names that context (else --context means a
// context of ~/.kube/config).
func crcKubeconfig(e env, kubecontext string) (string, bool) {
	p, err := crcPaths(e)
	if err != nil {
		return "", false
	}
	if _, err := os.Stat(p.Kubeconfig); err != nil {
		return "", false
	}
	if kubecontext != "" {
		kc, err := clientcmd.LoadFromFile(p.Kubeconfig)
		if err != nil || kc.Contexts[kubecontext] == nil {
			return "", false
		}
	}
	return p.Kubeconfig, true
}

// connect reaches the cluster that --kubeconfig and --context (or the
// defaults) name and finds out what it is.
func (e env) connect(ctx context.Context) (*cluster, error) {
	return e.connectTo(ctx, e.kubeconfig, e.kubecontext)
}

// connectTo is connect with an explicit kubeconfig and context ("" for the
// defaults).
func (e env) connectTo(ctx context.Context, kubeconfig, kubecontext string) (*cluster, error) {
	cc, from := e.clientConfig(kubeconfig, kubecontext)
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
	c, err := target.Connect(ctx, cfg, target.ConnectOptions{Log: e.log})
	var ue *target.UnreachableError
	if errors.As(err, &ue) {
		return nil, &clusterError{msg: fmt.Sprintf("cannot reach the cluster (kubeconfig: %s): %s; 'pulllab status' shows CRC's state", from, whyUnreachable(ue.Host, ue.Err))}
	}
	if err != nil {
		return nil, err
	}
	e.log.Debugf("cluster %s (kubeconfig %s): %s", c.Host(), from, c.Flavor)
	return &cluster{Cluster: c, from: from}, nil
}

// clusterError is a cluster that cannot be used (exitCode maps it to 2).
type clusterError struct{ msg string }

func (e *clusterError) Error() string { return e.msg }

// labSettings are the lab's settings in effect (defaults ← pulllab.yaml ←
// PULLLAB_* ← flags).
func labSettings(l config.Lab) target.Settings {
	return target.Settings{Namespace: l.Namespace, Node: l.Node, Registry: l.Registry, RegistryPull: l.RegistryPull, RegistryAuth: l.RegistryAuth, BaseImage: l.BaseImage, DebugImage: l.DebugImage, DeploymentsDir: l.DeploymentsDir}
}

// withBase sets the base image that config.ChooseBaseImage or
// config.ChooseKubernetesBaseImage chose, and why.
func withBase(s target.Settings, c config.BaseImageChoice) target.Settings {
	s.BaseImage, s.BaseImageReason = c.Image, c.Reason
	return s
}

// openLab opens the lab on cluster c: on OpenShift its internal registry
// (a registry setting is ignored, with a warning); elsewhere the registry
// given, else the one the cluster announces. A plain-Kubernetes or
// MicroShift cluster without a registry is refused (exit 2) with what to
// give, before anything is changed.
func openLab(ctx context.Context, e env, c *cluster, s target.Settings) (*target.Target, error) {
	if c.Flavor == target.OpenShift {
		if s.Registry != "" {
			e.status.Warnf("the cluster is OpenShift: its internal registry is used and --registry %s is ignored", s.Registry)
		}
		if s.RegistryAuth != "" {
			e.status.Warnf("the cluster is OpenShift: its internal registry is used with your cluster login and --registry-auth %s is ignored", s.RegistryAuth)
		}
	} else {
		var err error
		if s, err = withAnnouncedRegistry(ctx, e, c, s); err != nil {
			return nil, err
		}
	}
	t, err := target.Open(c.Cluster, s, target.Options{Log: e.log, Status: e.status})
	var rn *target.RegistryNeededError
	if errors.As(err, &rn) {
		return nil, usagef("%s", registryNeeded(rn))
	}
	return t, err
}

// registryNeeded says, in flags, what a cluster without a registry needs.
func registryNeeded(e *target.RegistryNeededError) string {
	announce := fmt.Sprintf("announces no local registry (no ConfigMap %s/%s with the key %s)", kube.HostingNamespace, kube.HostingConfigMap, kube.HostingKey)
	if e.Flavor == target.MicroShift {
		return fmt.Sprintf("the cluster at %s is MicroShift (it serves route.openshift.io but not image.openshift.io and build.openshift.io): it has no ImageStreams, builds or internal registry, so pulllab takes the plain-Kubernetes path, and the cluster %s; give --registry HOST:PORT[/prefix], an OCI registry this machine pushes to and the MicroShift host's CRI-O pulls from (a plain-HTTP one must be listed as insecure in /etc/containers/registries.conf.d/ on that host), and a --base-image and --debug-image the node can pull; nothing was changed on the cluster", e.Host, announce)
	}
	return fmt.Sprintf("the cluster at %s is plain Kubernetes, not OpenShift, and %s: create a registry the way your cluster tool documents (kind, minikube and k3d: docs/user-guide.md), or give the OCI registry the lab pushes its images to with --registry HOST:PORT[/prefix], and a --base-image and --debug-image that registry serves", e.Host, announce)
}

// labTarget connects with --kubeconfig and --context (or the defaults) and
// opens the lab there with the settings in effect; say tells the base image
// chosen for crc's okd preset in one line.
func labTarget(ctx context.Context, e env, s target.Settings, say bool) (*target.Target, error) {
	c, err := e.connect(ctx)
	if err != nil {
		return nil, err
	}
	return openLab(ctx, e, c, withBase(s, clusterBaseImage(ctx, e, c.Flavor == target.OpenShift, s.BaseImage, say)))
}

// installedCRC returns a client of the installed crc, or nil when crc is
// not installed (the callers then report nothing about crc).
func installedCRC(e env) *crcctl.Client {
	p, err := crcPaths(e)
	if err != nil {
		return nil
	}
	path, err := findCRC(e, p)
	if err != nil {
		return nil
	}
	return newCRCClient(e, path)
}

// crcVersion returns the version of crc when it is installed, else "".
func crcVersion(ctx context.Context, e env) string {
	c := installedCRC(e)
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

// withAnnouncedRegistry settles the lab registry's push and pull addresses
// (kube.SplitRegistry): --registry and --registry-pull when given, else the
// cluster's announcement (KEP-1755 ConfigMap
// kube-public/local-registry-hosting), read only then. It says which
// addresses are used when they differ or were announced.
func withAnnouncedRegistry(ctx context.Context, e env, c *cluster, s target.Settings) (target.Settings, error) {
	var h *kube.LocalRegistryHosting
	if s.Registry == "" {
		var err error
		if h, err = kube.DiscoverRegistry(ctx, c.Client); err != nil {
			return s, err
		}
	}
	choice, ok, err := kube.SplitRegistry(s.Registry, s.RegistryPull, h)
	if err != nil || !ok {
		return s, err
	}
	if choice.Debug != "" {
		e.log.Debug(choice.Debug)
	}
	if choice.Status != "" {
		e.status.Infof("%s", choice.Status)
	}
	s.Registry, s.RegistryPull = choice.Push.String(), choice.Pull.String()
	return s, nil
}
