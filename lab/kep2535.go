package lab

import (
	"fmt"
	"strings"
)

// KEP-2535 (KubeletEnsureSecretPulledImages): the kubelet remembers which
// credentials pulled each image and, with the gate on, re-checks them before
// a pod without those credentials may use the cached image.

// Values of KubeletImageCredentials.Gate.
const (
	GateOn      = "on"
	GateOff     = "off"
	GateUnknown = "unknown"
)

// Values of KubeletImageCredentials.Source: where the state was read.
const (
	// SourceConfigz is the kubelet's /configz through the node proxy.
	SourceConfigz = "configz"
	// SourceMetrics is the kubelet's /metrics (kubernetes_feature_enabled)
	// through the node proxy; the policy, if known, still comes from configz.
	SourceMetrics = "metrics"
	// SourceKubeletVersion means the state was inferred from the kubelet's
	// version because the node could not be read.
	SourceKubeletVersion = "kubelet version"
)

// Values of imagePullCredentialsVerificationPolicy in the kubelet
// configuration (k8s.io/kubelet/config/v1beta1).
const (
	// PolicyNeverVerify trusts every image on the node (the old behaviour).
	PolicyNeverVerify = "NeverVerify"
	// PolicyNeverVerifyPreloadedImages trusts images the kubelet did not
	// pull itself; it is the kubelet's default.
	PolicyNeverVerifyPreloadedImages = "NeverVerifyPreloadedImages"
	// PolicyNeverVerifyAllowlistedImages trusts preloaded images that match
	// preloadedImagesVerificationAllowlist.
	PolicyNeverVerifyAllowlistedImages = "NeverVerifyAllowlistedImages"
	// PolicyAlwaysVerify re-checks every image, preloaded or not.
	PolicyAlwaysVerify = "AlwaysVerify"
)

// KubeletImageCredentials is the state of KEP-2535 on the lab's node: the
// feature gate KubeletEnsureSecretPulledImages and the kubelet's
// imagePullCredentialsVerificationPolicy, as read and where from.
type KubeletImageCredentials struct {
	// Gate is "on", "off" or "unknown".
	Gate string `json:"gate" yaml:"gate"`
	// Policy is imagePullCredentialsVerificationPolicy as the kubelet
	// reports it, or the kubelet default when the gate is on and the
	// configuration leaves it out; empty when not known.
	Policy string `json:"policy,omitempty" yaml:"policy,omitempty"`
	// PolicyDefaulted is set when Policy is the kubelet default rather than
	// a value read from the node.
	PolicyDefaulted bool `json:"policyDefaulted,omitempty" yaml:"policyDefaulted,omitempty"`
	// Allowlist is preloadedImagesVerificationAllowlist, when set.
	Allowlist []string `json:"preloadedImagesVerificationAllowlist,omitempty" yaml:"preloadedImagesVerificationAllowlist,omitempty"`
	// Source is where the gate was read: "configz", "metrics", or
	// "kubelet version" when inferred.
	Source string `json:"source" yaml:"source"`
	// Detail says why the state was inferred or is unknown (e.g. why the
	// node could not be read), or how it was read.
	Detail string `json:"detail,omitempty" yaml:"detail,omitempty"`
}

// Verifies says whether the kubelet re-checks credentials for an image it
// pulled with a pod's secret when a pod without that secret wants it: true
// when the gate is on and the policy is not NeverVerify. known is false when
// the gate or the policy is not known.
func (k *KubeletImageCredentials) Verifies() (verifies, known bool) {
	if k == nil {
		return false, false
	}
	switch k.Gate {
	case GateOff:
		return false, true
	case GateOn:
	default:
		return false, false
	}
	switch k.Policy {
	case PolicyNeverVerify:
		return false, true
	case "", PolicyNeverVerifyPreloadedImages, PolicyNeverVerifyAllowlistedImages, PolicyAlwaysVerify:
		// An empty policy with the gate on is the kubelet's default,
		// NeverVerifyPreloadedImages.
		return true, true
	default:
		return false, false
	}
}

// Inferred reports whether the state was inferred rather than read.
func (k *KubeletImageCredentials) Inferred() bool {
	return k != nil && k.Source == SourceKubeletVersion
}

// Summary is the state in the form of Environment.EnsureSecretPulledImages:
// "on", "off" or "unknown", a colon, and where it came from.
func (k *KubeletImageCredentials) Summary() string {
	if k == nil {
		return ""
	}
	gate := k.Gate
	if gate == "" {
		gate = GateUnknown
	}
	var why []string
	switch k.Source {
	case SourceKubeletVersion:
		why = append(why, "inferred from the kubelet version")
	case "":
	default:
		why = append(why, "read from the kubelet's "+k.Source)
	}
	if k.Policy != "" {
		why = append(why, "policy "+k.Policy)
	}
	if k.Detail != "" {
		why = append(why, k.Detail)
	}
	if len(why) == 0 {
		return gate
	}
	return gate + ": " + strings.Join(why, "; ")
}

// InferKubeletImageCredentials infers the state from the kubelet version;
// reason says why the node could not be read. It is a last resort: a
// distribution may set the gate otherwise (OpenShift 4.22 and 5.0 run
// kubelets ≥ 1.35 with the gate off).
func InferKubeletImageCredentials(kubeletVersion, reason string) *KubeletImageCredentials {
	st, why, _ := strings.Cut(EnsureSecretPulledImages(kubeletVersion), ":")
	k := &KubeletImageCredentials{Gate: st, Source: SourceKubeletVersion}
	detail := strings.TrimSpace(why) + " (upstream default; a distribution may set it otherwise)"
	if reason != "" {
		detail = "the node could not be read (" + reason + "); " + detail
	}
	k.Detail = detail
	if k.Gate == GateOn {
		k.Policy, k.PolicyDefaulted = PolicyNeverVerifyPreloadedImages, true
	}
	return k
}

// EnsureSecretPulledImages infers from a kubelet version whether the feature
// gate KubeletEnsureSecretPulledImages (KEP-2535) is in force by default:
// absent before 1.33, alpha and off in 1.33–1.34, beta and on from 1.35.
// The result is "on" or "off" or "unknown", a colon, and the reason. A
// cluster may set the gate otherwise; this is the upstream default.
func EnsureSecretPulledImages(kubeletVersion string) string {
	major, minor, ok := kubeMinor(kubeletVersion)
	switch {
	case !ok:
		return fmt.Sprintf("unknown: kubelet version %q", kubeletVersion)
	case major > 1 || minor >= 35:
		return "on: beta, default on since Kubernetes 1.35"
	case minor >= 33:
		return "off: alpha, default off in Kubernetes 1.33 and 1.34"
	default:
		return "off: the feature does not exist before Kubernetes 1.33"
	}
}

// kubeMinor reads MAJOR.MINOR from "v1.34.4+anything".
func kubeMinor(v string) (major, minor int, ok bool) {
	parts := strings.SplitN(strings.TrimPrefix(strings.TrimSpace(v), "v"), ".", 3)
	if len(parts) < 2 {
		return 0, 0, false
	}
	var okMajor, okMinor bool
	major, okMajor = leadingInt(parts[0])
	minor, okMinor = leadingInt(parts[1])
	return major, minor, okMajor && okMinor
}

// leadingInt parses the leading digits of s ("34+" → 34); it needs at least
// one and at most six.
func leadingInt(s string) (int, bool) {
	n, i := 0, 0
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		if i == 6 {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, i > 0
}
