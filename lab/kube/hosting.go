package kube

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/pulllab/pulllab/internal/kubeclient"
	"github.com/pulllab/pulllab/lab"
)

// Where a cluster announces its local registry (KEP-1755, "Communicating a
// local registry"): a ConfigMap in kube-public whose data key holds YAML.
const (
	// HostingNamespace is the namespace of the announcing ConfigMap.
	HostingNamespace = "kube-public"
	// HostingConfigMap is the announcing ConfigMap's name.
	HostingConfigMap = "local-registry-hosting"
	// HostingKey is the data key whose value is the v1 YAML document.
	HostingKey = "localRegistryHosting.v1"
)

// hostingReadTimeout bounds the read of the announcing ConfigMap.
const hostingReadTimeout = 30 * time.Second

// LocalRegistryHosting is the v1 document of KEP-1755. Every field is
// optional in the KEP; unknown fields are ignored so that a newer writer
// does not break pulllab.
type LocalRegistryHosting struct {
	// Host is the registry's address as seen from the user's machine:
	// where pulllab pushes.
	Host string `json:"host,omitempty"`
	// HostFromContainerRuntime is the address the node's container runtime
	// pulls from; empty means the same as Host.
	HostFromContainerRuntime string `json:"hostFromContainerRuntime,omitempty"`
	// HostFromClusterNetwork is the address pods reach the registry at.
	HostFromClusterNetwork string `json:"hostFromClusterNetwork,omitempty"`
	// Help is a URL that tells how to set the registry up.
	Help string `json:"help,omitempty"`
}

// PushAddress is where pulllab pushes: Host, parsed as a --registry value.
func (h LocalRegistryHosting) PushAddress() (RegistryAddress, error) {
	return parseAnnounced("host", h.Host, h.Help)
}

// PullAddress is what the node pulls: HostFromContainerRuntime, else Host.
func (h LocalRegistryHosting) PullAddress() (RegistryAddress, error) {
	if strings.TrimSpace(h.HostFromContainerRuntime) == "" {
		return h.PushAddress()
	}
	return parseAnnounced("hostFromContainerRuntime", h.HostFromContainerRuntime, h.Help)
}

func parseAnnounced(field, v, help string) (RegistryAddress, error) {
	a, err := ParseRegistry(v)
	if err != nil {
		var oe *OptionError
		reason := err.Error()
		if errors.As(err, &oe) {
			reason = oe.Reason
		}
		return RegistryAddress{}, &HostingError{Reason: fmt.Sprintf("its %s %q is not a registry address: %s", field, v, reason), Help: help}
	}
	return a, nil
}

// HostingError is an announcing ConfigMap that pulllab cannot use; the
// user fixes it, or gives lab.registry instead (errors.Is(err,
// lab.ErrBadInput) holds).
type HostingError struct {
	// Reason says what is wrong with the ConfigMap.
	Reason string
	// Help is the ConfigMap's help link, when it has one.
	Help string
}

// Error names the ConfigMap, the reason and what to do.
func (e *HostingError) Error() string {
	s := fmt.Sprintf("the ConfigMap %s/%s (key %s) that announces the cluster's local registry cannot be used: %s; fix it, or give lab.registry HOST:PORT[/prefix]", HostingNamespace, HostingConfigMap, HostingKey, e.Reason)
	if e.Help != "" {
		s += " (the cluster's registry set-up: " + e.Help + ")"
	}
	return s
}

// Is makes a HostingError an input error: nothing was changed, and the
// user can fix it (or name a registry).
func (e *HostingError) Is(target error) bool { return target == lab.ErrBadInput }

// ParseLocalRegistryHosting parses the value of the localRegistryHosting.v1
// key. The document must be a YAML mapping; it must name a host. Errors are
// *HostingError.
func ParseLocalRegistryHosting(doc string) (LocalRegistryHosting, error) {
	var h LocalRegistryHosting
	if strings.TrimSpace(doc) == "" {
		return h, &HostingError{Reason: "the key is empty"}
	}
	if err := yaml.Unmarshal([]byte(doc), &h); err != nil {
		return LocalRegistryHosting{}, &HostingError{Reason: "its value is not a YAML mapping of host, hostFromContainerRuntime, hostFromClusterNetwork and help: " + err.Error()}
	}
	if strings.TrimSpace(h.Host) == "" {
		return h, &HostingError{Reason: "it names no host (the address to push to)", Help: h.Help}
	}
	if _, err := h.PushAddress(); err != nil {
		return h, err
	}
	if _, err := h.PullAddress(); err != nil {
		return h, err
	}
	if _, err := announcedPair(h); err != nil {
		return h, err
	}
	return h, nil
}

// announcedPair returns the push and pull addresses of an announcement; a
// pull address without a path takes the push address's, and two different
// paths are a *HostingError.
func announcedPair(h LocalRegistryHosting) ([2]RegistryAddress, error) {
	push, err := h.PushAddress()
	if err != nil {
		return [2]RegistryAddress{}, err
	}
	pull, err := h.PullAddress()
	if err != nil {
		return [2]RegistryAddress{}, err
	}
	if pull.Prefix == "" {
		pull.Prefix = push.Prefix
	}
	if pull.Prefix != push.Prefix {
		return [2]RegistryAddress{}, &HostingError{Reason: fmt.Sprintf("its host %q and hostFromContainerRuntime %q name different repository paths (%q, %q) in one registry", h.Host, h.HostFromContainerRuntime, push.Prefix, pull.Prefix), Help: h.Help}
	}
	return [2]RegistryAddress{push, pull}, nil
}

// DiscoverRegistry reads the cluster's announcement of its local registry.
// It returns (nil, nil) when the cluster announces none (the ConfigMap or
// its key is absent), a *HostingError when the announcement is malformed,
// and a wrapped error when the ConfigMap cannot be read. The read is
// bounded by 30 seconds.
func DiscoverRegistry(ctx context.Context, cs kubeclient.Interface) (*LocalRegistryHosting, error) {
	ctx, cancel := context.WithTimeout(ctx, hostingReadTimeout)
	defer cancel()
	cm, err := cs.CoreV1().ConfigMaps(HostingNamespace).Get(ctx, HostingConfigMap, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return nil, nil
	case apierrors.IsForbidden(err):
		return nil, &HostingError{Reason: "your user may not read it (" + err.Error() + "); ask for get on configmaps in kube-public"}
	case err != nil:
		return nil, fmt.Errorf("reading the ConfigMap %s/%s that may announce the cluster's local registry (waited at most %s): %w", HostingNamespace, HostingConfigMap, hostingReadTimeout, err)
	}
	doc, ok := cm.Data[HostingKey]
	if !ok {
		return nil, nil
	}
	h, err := ParseLocalRegistryHosting(doc)
	if err != nil {
		return nil, err
	}
	return &h, nil
}

// RegistryChoice is the lab registry's push and pull addresses, decided by
// SplitRegistry, with what to tell the user about them.
type RegistryChoice struct {
	// Push is where this machine pushes (Options.Registry).
	Push RegistryAddress
	// Pull is where the node pulls the same registry from
	// (Options.RegistryPull); equal to Push when not split.
	Pull RegistryAddress
	// Announced is true when the addresses come from the cluster's
	// ConfigMap, false when they come from the flags.
	Announced bool
	// Status is the line for the user's status output; empty when there
	// is nothing to say (one address, given by the user).
	Status string
	// Debug is a detail for the debug log (an announcement the flags
	// override); empty when none.
	Debug string
}

// Split reports whether the push and pull addresses differ.
func (c RegistryChoice) Split() bool { return c.Push != c.Pull }

// SplitRegistry decides the lab registry's push and pull addresses from the
// flags (--registry, --registry-pull; empty when not given) and the
// cluster's announcement (nil when there is none):
//
//   - --registry-pull without --registry is bad input;
//   - --registry wins over the announcement; the pull address is
//     --registry-pull, else --registry;
//   - without flags, the announcement's host is the push address and its
//     hostFromContainerRuntime (else host) the pull address;
//   - with neither, ok is false and the caller says what to give.
//
// A pull address without a path takes the push address's path. Errors are
// *OptionError (flags) or *HostingError (announcement), both exit code 2.
func SplitRegistry(registry, registryPull string, h *LocalRegistryHosting) (c RegistryChoice, ok bool, err error) {
	registry, registryPull = strings.TrimSpace(registry), strings.TrimSpace(registryPull)
	if registry != "" || registryPull != "" {
		if c.Push, c.Pull, err = registryPair(registry, registryPull); err != nil {
			return RegistryChoice{}, false, err
		}
		if c.Split() {
			c.Status = fmt.Sprintf("registry: pushing to %s, the node pulls it as %s", c.Push, c.Pull)
		}
		if h != nil {
			c.Debug = fmt.Sprintf("lab.registry given: the registry the cluster announces in the ConfigMap %s/%s (host %q, hostFromContainerRuntime %q) is not used", HostingNamespace, HostingConfigMap, h.Host, h.HostFromContainerRuntime)
		}
		return c, true, nil
	}
	if h == nil {
		return RegistryChoice{}, false, nil
	}
	pair, err := announcedPair(*h)
	if err != nil {
		return RegistryChoice{}, false, err
	}
	push, pull := pair[0], pair[1]
	c = RegistryChoice{Push: push, Pull: pull, Announced: true}
	where := fmt.Sprintf("as the cluster announces it (ConfigMap %s/%s)", HostingNamespace, HostingConfigMap)
	if c.Split() {
		c.Status = fmt.Sprintf("registry: pushing to %s, the node pulls it as %s, %s", push, pull, where)
	} else {
		c.Status = fmt.Sprintf("registry %s, %s", push, where)
	}
	return c, true, nil
}
