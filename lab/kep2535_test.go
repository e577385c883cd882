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

func TestKubeletImageCredentialsVerifies(t *testing.T) {
	for _, tt := range []struct {
		name            string
		k               *KubeletImageCredentials
		verifies, known bool
	}{
		{"nil", nil, false, false},
		{"unknown", &KubeletImageCredentials{Gate: GateUnknown}, false, false},
		{"empty gate", &KubeletImageCredentials{}, false, false},
		{"off", &KubeletImageCredentials{Gate: GateOff, Policy: PolicyAlwaysVerify}, false, true},
		{"on, default policy", &KubeletImageCredentials{Gate: GateOn}, true, true},
		{"on, preloaded", &KubeletImageCredentials{Gate: GateOn, Policy: PolicyNeverVerifyPreloadedImages}, true, true},
		{"on, allowlisted", &KubeletImageCredentials{Gate: GateOn, Policy: PolicyNeverVerifyAllowlistedImages}, true, true},
		{"on, always", &KubeletImageCredentials{Gate: GateOn, Policy: PolicyAlwaysVerify}, true, true},
		{"on, never", &KubeletImageCredentials{Gate: GateOn, Policy: PolicyNeverVerify}, false, true},
		{"on, unheard-of policy", &KubeletImageCredentials{Gate: GateOn, Policy: "SometimesVerify"}, false, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			v, k := tt.k.Verifies()
			if v != tt.verifies || k != tt.known {
				t.Errorf("Verifies() = %v, %v; want %v, %v", v, k, tt.verifies, tt.known)
			}
		})
	}
}

func TestKubeletImageCredentialsSummary(t *testing.T) {
	for _, tt := range []struct {
		name string
		k    *KubeletImageCredentials
		want string
	}{
		{"nil", nil, ""},
		{"read", &KubeletImageCredentials{Gate: GateOn, Policy: PolicyAlwaysVerify, Source: SourceConfigz},
			"on: read from the kubelet's configz; policy AlwaysVerify"},
		{"metrics", &KubeletImageCredentials{Gate: GateOff, Source: SourceMetrics, Detail: "configz names no gates"},
			"off: read from the kubelet's metrics; configz names no gates"},
		{"bare", &KubeletImageCredentials{}, "unknown"},
		{"inferred", InferKubeletImageCredentials("v1.36.1", "forbidden"),
			"on: inferred from the kubelet version; policy NeverVerifyPreloadedImages; the node could not be read (forbidden); beta, default on since Kubernetes 1.35 (upstream default; a distribution may set it otherwise)"},
		{"inferred off", InferKubeletImageCredentials("v1.34.4", ""),
			"off: inferred from the kubelet version; alpha, default off in Kubernetes 1.33 and 1.34 (upstream default; a distribution may set it otherwise)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.k.Summary(); got != tt.want {
				t.Errorf("Summary() = %q\nwant        %q", got, tt.want)
			}
		})
	}
}
