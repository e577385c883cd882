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

// HostingError is an announcing ConfigMap that pulllab cannot use. The
// command line maps it to exit code 2.
type HostingError struct {
	// Reason says what is wrong with the ConfigMap.
	Reason string
	// Help is the ConfigMap's help link, when it has one.
	Help string
}

// Error names the ConfigMap, the reason and what to do.
func (e *HostingError) Error() string {
	s := fmt.Sprintf("the ConfigMap %s/%s (key %s) that announces the cluster's local registry cannot be used: %s; fix it, or give --registry HOST:PORT[/prefix]", HostingNamespace, HostingConfigMap, HostingKey, e.Reason)
	if e.Help != "" {
		s += " (the cluster's registry set-up: " + e.Help + ")"
	}
	return s
}

// ExitCode is 2: bad input, nothing was changed.
func (e *HostingError) ExitCode() int { return 2 }

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
	return h, nil
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
