package lab

import "testing"

func TestEnsureSecretPulledImages(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"v1.28.0", "off: the feature does not exist before Kubernetes 1.33"},
		{"v1.32.9", "off: the feature does not exist before Kubernetes 1.33"},
		{"v1.33.2", "off: alpha, default off in Kubernetes 1.33 and 1.34"},
		{"v1.34.4+k3s1", "off: alpha, default off in Kubernetes 1.33 and 1.34"},
		{"1.34", "off: alpha, default off in Kubernetes 1.33 and 1.34"},
		{"v1.35.0", "on: beta, default on since Kubernetes 1.35"},
		{"v1.36.3-rc.0", "on: beta, default on since Kubernetes 1.35"},
		{"v2.0.0", "on: beta, default on since Kubernetes 1.35"},
		{"", `unknown: kubelet version ""`},
		{"v1", `unknown: kubelet version "v1"`},
		{"vx.y", `unknown: kubelet version "vx.y"`},
		{"v1.9999999", `unknown: kubelet version "v1.9999999"`},
	} {
		t.Run(tt.in, func(t *testing.T) {
			if got := EnsureSecretPulledImages(tt.in); got != tt.want {
				t.Errorf("EnsureSecretPulledImages(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
