package crcctl

import (
	"reflect"
	"strings"
	"testing"

	"github.com/crc-org/crc/v2/pkg/crc/preset"
)

func TestSettingsValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Settings)
		kind   Kind
		msg    string
	}{
		{"ok", func(*Settings) {}, KindOther, ""},
		{"zero keeps crc's values", func(s *Settings) { s.CPUs, s.MemoryMiB, s.DiskGiB, s.ConsentTelemetry = 0, 0, 0, "" }, KindOther, ""},
		{"windows pull secret path", func(s *Settings) { s.PullSecretFile = `C:\Users\u\pull-secret.txt` }, KindOther, ""},
		{"cpus", func(s *Settings) { s.CPUs = 3 }, KindCPU, "requires CPUs >= 4"},
		{"memory", func(s *Settings) { s.MemoryMiB = 10751 }, KindMemory, "requires memory in MiB >= 10752"},
		{"disk", func(s *Settings) { s.DiskGiB = 30 }, KindDisk, "requires disk size in GiB >= 31"},
		{"microshift minimums", func(s *Settings) { s.Preset = preset.Microshift; s.CPUs = 2; s.MemoryMiB = 4096 }, KindOther, ""},
		{"relative pull secret", func(s *Settings) { s.PullSecretFile = "ps.json" }, KindPullSecretMissing, "not absolute"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openshiftSettings("/home/u/ps.json")
			tt.mutate(&s)
			err := s.Validate()
			if tt.msg == "" {
				if err != nil {
					t.Fatalf("Validate = %v", err)
				}
				return
			}
			if err == nil || KindOf(err) != tt.kind || !strings.Contains(err.Error(), tt.msg) || HintOf(err) == "" {
				t.Fatalf("Validate = %v (kind %v), want kind %v with %q and a hint", err, KindOf(err), tt.kind, tt.msg)
			}
		})
	}
}

func TestSettingsChanges(t *testing.T) {
	s := openshiftSettings("/home/u/ps.json")
	tests := []struct {
		name    string
		current map[string]string
		mutate  func(*Settings)
		want    []ConfigChange
	}{
		{
			name:    "fresh crc: only non-default values",
			current: map[string]string{},
			want: []ConfigChange{
				{Key: KeyConsentTelemetry, To: "no"},
				{Key: KeyDisableUpdateCheck, To: "true"},
				{Key: KeyPullSecretFile, To: "/home/u/ps.json"},
			},
		},
		{
			name:    "already configured",
			current: map[string]string{"consent-telemetry": "no", "disable-update-check": "true", "pull-secret-file": "/home/u/ps.json"},
		},
		{
			name:    "values compared as numbers and booleans",
			current: map[string]string{"cpus": "04", "consent-telemetry": "no", "disable-update-check": "TRUE", "pull-secret-file": "/home/u/ps.json"},
		},
		{
			name:    "zero sizes and no telemetry answer keep crc's values",
			current: map[string]string{"cpus": "8", "memory": "32768", "disk-size": "100", "consent-telemetry": "yes", "disable-update-check": "true"},
			mutate: func(s *Settings) {
				s.CPUs, s.MemoryMiB, s.DiskGiB, s.ConsentTelemetry, s.PullSecretFile = 0, 0, 0, "", ""
			},
		},
		{
			name:    "no telemetry answer anywhere: answer no",
			current: map[string]string{"disable-update-check": "true"},
			mutate:  func(s *Settings) { s.ConsentTelemetry, s.PullSecretFile = "", "" },
			want:    []ConfigChange{{Key: KeyConsentTelemetry, To: "no"}},
		},
		{
			name:    "the disk never shrinks",
			current: map[string]string{"disk-size": "100", "consent-telemetry": "no", "disable-update-check": "true", "pull-secret-file": "/home/u/ps.json"},
			mutate:  func(s *Settings) { s.DiskGiB = 40 },
		},
		{
			name:    "the disk grows",
			current: map[string]string{"disk-size": "40", "consent-telemetry": "no", "disable-update-check": "true", "pull-secret-file": "/home/u/ps.json"},
			mutate:  func(s *Settings) { s.DiskGiB = 60 },
			want:    []ConfigChange{{Key: KeyDiskSize, From: "40", To: "60"}},
		},
		{
			name:    "microshift crc switched back, preset first",
			current: map[string]string{"preset": "microshift", "cpus": "2", "memory": "4096", "consent-telemetry": "yes"},
			mutate:  func(s *Settings) { s.MemoryMiB = 16384; s.PullSecretFile = "" },
			want: []ConfigChange{
				{Key: KeyPreset, From: "microshift", To: "openshift"},
				{Key: KeyCPUs, From: "2", To: "4"},
				{Key: KeyMemory, From: "4096", To: "16384"},
				{Key: KeyConsentTelemetry, From: "yes", To: "no"},
				{Key: KeyDisableUpdateCheck, To: "true"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := s
			if tt.mutate != nil {
				tt.mutate(&s)
			}
			if got := s.Changes(tt.current); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Changes = %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestClassify(t *testing.T) {
	// Messages from crc.md §1.6 and the crc sources.
	tests := []struct {
		msg  string
		kind Kind
	}{
		{"Machine does not exist. Use 'crc start' to create it\n", KindVMMissing},
		{"crc does not seem to be setup correctly, have you run 'crc setup'?", KindDaemonUnreachable},
		{`Is 'crc daemon' running? Cannot reach daemon API: Get "http://unix/api/version": dial unix /home/u/.crc/crc-http.sock: connect: no such file or directory`, KindDaemonUnreachable},
		{"The executable version (2.60.1) doesn't match the daemon version (2.59.0)", KindVersionMismatch},
		{"/home/u/.crc/cache/crc_libvirt_4.21.8_amd64.crcbundle is invalid or missing, run 'crc setup' to download the default bundle", KindSetupNeeded},
		{"Bundle 'crc_libvirt_4.21.8_amd64.crcbundle' was requested, but the existing VM is using 'crc_libvirt_4.20.5_amd64.crcbundle'. Please delete your existing cluster and start again", KindVersionMismatch},
		{"Preset openshift is used but bundle is provided for microshift preset", KindVersionMismatch},
		{"Failed to renew TLS certificates: please check if a newer CRC release is available", KindVersionMismatch},
		{"Failed to ask for pull secret: cannot ask for secret, crc not launched by a terminal", KindPullSecretMissing},
		{`unable to load pull secret from path "" or from configuration`, KindPullSecretMissing},
		{"invalid pull secret: missing 'auths' JSON-object field", KindPullSecretInvalid},
		{`invalid pull secret, '"registry.example.com"' JSON-object requires either 'auth' or 'credsStore' field`, KindPullSecretInvalid},
		{"requires memory in MiB >= 10752", KindMemory},
		{"Value '64000' for configuration property 'memory' is invalid, reason: only 31.2GB of memory found (67.1GB required)", KindMemory},
		{"crc requires at least 11.27GB to run", KindMemory},
		{"Too little memory (10752) allocated to the virtual machine to start the monitoring stack, 14GiB is the minimum", KindMemory},
		{"requires CPUs >= 4", KindCPU},
		{"requires disk size in GiB >= 31", KindDisk},
		{"Virtualization is not available for your CPU", KindVirtualization},
		{"You need to enable virtualization in BIOS", KindVirtualization},
		{"kvm kernel module is not loaded", KindVirtualization},
		{"Libvirt cli virsh was not found in path", KindVirtualization},
		{"Could not find a x86_64 hypervisor with 'hvm' capabilities", KindVirtualization},
		{"CRC is unsupported using WSL2", KindVirtualization},
		{"u is not part of the libvirt group", KindVirtualization},
		{"User in the currently active process is not part of the libvirt group", KindVirtualization},
		{"Hyper-V not installed", KindVirtualization},
		{"Hyper-V Virtual Machine Management service not running", KindVirtualization},
		{"Windows Home edition is not supported", KindVirtualization},
		{"Could not find: u in the 'crc-users' group", KindVirtualization},
		{"crcAdminHelper service is not running", KindVirtualization},
		{"vfkit executable is not cached", KindSetupNeeded},
		{"This version of CRC for AMD64/Intel64 CPUs is unsupported on Apple M1 hardware", KindVirtualization},
		{"something new", KindOther},
	}
	for _, tt := range tests {
		kind, msg, hint := classify(tt.msg)
		if kind != tt.kind {
			t.Errorf("classify(%q) = %v, want %v", tt.msg, kind, tt.kind)
		}
		if kind != KindOther && hint == "" {
			t.Errorf("classify(%q) has no hint", tt.msg)
		}
		if strings.HasSuffix(msg, "\n") {
			t.Errorf("classify(%q) keeps the newline", tt.msg)
		}
	}
	_, msg, _ := classify("invalid pull secret: invalid character 'T' looking for beginning of value")
	if strings.Contains(msg, "'T'") {
		t.Errorf("pull-secret parser detail kept: %q", msg)
	}
}

func TestHumanBytes(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1536: "1.5 KiB", 18000000000: "16.8 GiB", 35 << 30: "35.0 GiB"} {
		if got := HumanBytes(n); got != want {
			t.Errorf("HumanBytes(%d) = %q, want %q", n, got, want)
		}
	}
}
