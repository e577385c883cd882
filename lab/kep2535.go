package lab

import (
	"fmt"
	"strings"
)

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
