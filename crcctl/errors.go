package crcctl

import (
	"errors"
	"strings"
)

// Kind says what went wrong with crc, so callers can react (and tests can
// check) without matching message text.
type Kind int

// The kinds of failure crcctl recognises. KindOther is everything else.
const (
	KindOther Kind = iota
	// KindNotInstalled: no crc binary was found.
	KindNotInstalled
	// KindVMMissing: crc has no VM ("Machine does not exist").
	KindVMMissing
	// KindSetupNeeded: `crc setup` has not run or must run again.
	KindSetupNeeded
	// KindDaemonUnreachable: the crc daemon does not answer.
	KindDaemonUnreachable
	// KindPullSecretMissing: no pull secret was given or found.
	KindPullSecretMissing
	// KindPullSecretInvalid: the pull secret is not of the right form.
	KindPullSecretInvalid
	// KindMemory: too little memory configured or on the host.
	KindMemory
	// KindCPU: too few CPUs configured.
	KindCPU
	// KindDisk: too little disk configured or free.
	KindDisk
	// KindVirtualization: the host cannot run the VM (no KVM/Hyper-V/vfkit,
	// nested virtualization off, group membership missing).
	KindVirtualization
	// KindVersionMismatch: the VM's bundle, preset or the daemon does not
	// match this crc (typically after an upgrade).
	KindVersionMismatch
	// KindStartTimeout: crc start or the wait for the cluster took longer
	// than allowed.
	KindStartTimeout
	// KindDownload: fetching or verifying a crc release failed.
	KindDownload
	// KindNoAnswer: a crc command did not finish within its bound (see
	// Client); crc or what it waits for (VM, daemon) is stuck.
	KindNoAnswer
)

var kindNames = map[Kind]string{
	KindOther:             "other",
	KindNotInstalled:      "not-installed",
	KindVMMissing:         "vm-missing",
	KindSetupNeeded:       "setup-needed",
	KindDaemonUnreachable: "daemon-unreachable",
	KindPullSecretMissing: "pull-secret-missing",
	KindPullSecretInvalid: "pull-secret-invalid",
	KindMemory:            "memory",
	KindCPU:               "cpu",
	KindDisk:              "disk",
	KindVirtualization:    "virtualization",
	KindVersionMismatch:   "version-mismatch",
	KindStartTimeout:      "start-timeout",
	KindDownload:          "download",
	KindNoAnswer:          "no-answer",
}

// String returns a short stable name such as "pull-secret-invalid".
func (k Kind) String() string {
	if s, ok := kindNames[k]; ok {
		return s
	}
	return "other"
}

// Error is a crc failure with what to do about it. Error() is the message
// followed by a "Fix:" line; it never contains secrets.
type Error struct {
	Kind Kind
	// Op is what was being done, e.g. "crc start".
	Op string
	// Msg is crc's message (trimmed, secrets removed) or pulllab's own.
	Msg string
	// Hint says how to fix it; may be empty.
	Hint string
	// Err is the cause, often a *RunError; may be nil.
	Err error
}

// Error returns the message, then "Fix: " and the hint on a new line.
func (e *Error) Error() string {
	s := e.Msg
	if e.Op != "" {
		s = e.Op + ": " + s
	}
	if e.Hint != "" {
		s += "\nFix: " + e.Hint
	}
	return s
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// KindOf returns the Kind of the first *Error in err's chain, or KindOther.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindOther
}

// HintOf returns the fix hint of the first *Error in err's chain.
func HintOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Hint
	}
	return ""
}

// rule maps a fragment of a crc message to a kind and a hint.
type rule struct {
	fragment string
	kind     Kind
	hint     string
}

const (
	hintDeleteAndRestart = "delete the old VM and start again: `" + doDeleteVM + "`, then `" + doUp + "`"
	hintSetup            = "run `crc setup` (" + doUp + " runs it when needed), then try again"
	hintPullSecret       = "download your pull secret from https://console.redhat.com/openshift/create/local and give its path with crc.pullSecretFile"
	hintMemory           = "OpenShift Local needs at least 10752 MiB for the VM and about 11 GB of RAM on the host; free memory or use a bigger machine (crc.memory, in MiB)"
	hintVirt             = "run `" + doDoctor + "` for the details of this host's virtualization"
)

// rules are crc's messages (crc.md §1.6), most specific first. Matching is
// case-insensitive on a fragment.
var rules = []rule{
	{"Machine does not exist", KindVMMissing, "run `" + doUp + "` to create and start the CRC VM"},
	{"crc does not seem to be setup correctly", KindDaemonUnreachable, "run `crc setup` (it installs and starts the crc daemon), or `" + doUp + "` which does it for you"},
	{"Cannot reach daemon API", KindDaemonUnreachable, "the crc daemon is not running: run `crc setup` again, which reinstalls and starts it"},
	{"Is 'crc daemon' running", KindDaemonUnreachable, "the crc daemon is not running: run `crc setup` again, which reinstalls and starts it"},
	{"doesn't match the daemon version", KindVersionMismatch, "a daemon from an older crc is still running: run `crc cleanup`, then `crc setup`"},
	{"was requested, but the existing VM is using", KindVersionMismatch, hintDeleteAndRestart},
	{"bundle is provided for", KindVersionMismatch, "the cached bundle is for another preset: run `crc setup` for the preset pulllab is set to (crc.preset), or `" + doUp + "`, which does"},
	{"Failed to renew TLS certificates", KindVersionMismatch, "this crc's bundle has expired certificates: install a newer crc (" + doInstallCRC + "), then `" + doDeleteVM + "` and `" + doUp + "`"},
	{"is invalid or missing, run 'crc setup'", KindSetupNeeded, hintSetup},
	{"Preflight checks failed", KindSetupNeeded, hintSetup},
	{"cannot ask for secret", KindPullSecretMissing, hintPullSecret},
	{"unable to load pull secret", KindPullSecretMissing, hintPullSecret},
	{"empty pull secret", KindPullSecretInvalid, hintPullSecret},
	{"invalid pull secret", KindPullSecretInvalid, "the file is not a pull secret; download it again from https://console.redhat.com/openshift/create/local (the JSON must look like {\"auths\":{...}})"},
	{"requires memory in MiB", KindMemory, "set the VM memory to at least 10752 MiB, 4096 for microshift (crc.memory)"},
	{"of memory found", KindMemory, hintMemory},
	{"crc requires at least", KindMemory, hintMemory},
	{"to start the monitoring stack", KindMemory, "cluster monitoring needs 14336 MiB: `crc config set enable-cluster-monitoring false` or raise crc.memory"},
	{"requires CPUs", KindCPU, "give the VM at least 4 CPUs, 2 for microshift (crc.cpus)"},
	{"requires disk size in GiB", KindDisk, "give the VM at least 31 GiB of disk (crc.diskSize)"},
	{"Virtualization is not available for your CPU", KindVirtualization, "this CPU has no hardware virtualization (VT-x/AMD-V); if this is a VM, enable nested virtualization in its hypervisor or use a physical machine"},
	{"enable virtualization in BIOS", KindVirtualization, "turn on VT-x/AMD-V in the firmware (BIOS/UEFI) settings; in a VM, enable nested virtualization"},
	{"kvm kernel module is not loaded", KindVirtualization, "load KVM: `sudo modprobe kvm_intel` (Intel) or `sudo modprobe kvm_amd` (AMD); in a VM, enable nested virtualization"},
	{"virsh was not found", KindVirtualization, "install libvirt (`crc setup` does it) and try again"},
	{"'hvm' capabilities", KindVirtualization, "libvirt cannot run KVM guests here; check `virt-host-validate qemu` and enable virtualization"},
	{"unsupported using WSL2", KindVirtualization, "run crc on Windows itself (crc.exe in PowerShell), not inside WSL2"},
	{"not part of the libvirt group", KindVirtualization, "`sudo usermod -aG libvirt $USER`, then log out and back in (or `newgrp libvirt`)"},
	{"Hyper-V not installed", KindVirtualization, "enable Hyper-V (the crc installer does it) and reboot"},
	{"Hyper-V Virtual Machine Management service not running", KindVirtualization, "start the service: `Start-Service vmms` in an admin PowerShell, or reboot"},
	{"Windows Home edition is not supported", KindVirtualization, "OpenShift Local needs Hyper-V, which Windows Home lacks; use Windows Pro/Enterprise"},
	{"'crc-users' group", KindVirtualization, "add yourself to the crc-users group (`net localgroup crc-users %USERNAME% /add` as admin), then log out and back in"},
	{"crcAdminHelper service is not running", KindVirtualization, "reinstall OpenShift Local with its MSI and reboot"},
	{"vfkit executable is not cached", KindSetupNeeded, hintSetup},
	{"unsupported on Apple M1 hardware", KindVirtualization, "install the universal macOS package of crc (crc-macos-installer.pkg), not an Intel-only build"},
	{"is not supported on arm", KindOther, "set crc.preset to openshift: crc has no okd bundle for arm64"},
	{"should not be run as root", KindOther, "run pulllab (and crc) as your normal user, not with sudo"},
	{"without administrator rights", KindOther, "run pulllab from a normal (not elevated) shell"},
}

// classify maps a crc message to a Kind and hint. The returned message is
// the input, trimmed, with pull-secret parser details removed (they can
// quote characters of the secret).
func classify(msg string) (Kind, string, string) {
	msg = strings.TrimSpace(msg)
	low := strings.ToLower(msg)
	for _, r := range rules {
		if strings.Contains(low, strings.ToLower(r.fragment)) {
			if r.kind == KindPullSecretInvalid {
				msg = safePullSecretMessage(msg)
			}
			return r.kind, msg, r.hint
		}
	}
	return KindOther, msg, ""
}

// safePullSecretMessage keeps crc's reason for rejecting a pull secret only
// when it cannot contain secret text.
func safePullSecretMessage(msg string) string {
	low := strings.ToLower(msg)
	switch {
	case strings.Contains(low, "missing 'auths'"):
		return "crc rejected the pull secret: missing 'auths' JSON-object field"
	case strings.Contains(low, "requires either 'auth' or 'credsstore'"):
		return "crc rejected the pull secret: a registry entry has neither 'auth' nor 'credsStore'"
	case strings.Contains(low, "empty pull secret"):
		return "crc rejected the pull secret: it is empty"
	}
	return "crc rejected the pull secret: it is not valid JSON"
}

// newCRCError builds an *Error from a message crc printed while doing op.
func newCRCError(op, msg string, cause error) *Error {
	kind, m, hint := classify(msg)
	if m == "" {
		m = "failed without a message"
	}
	return &Error{Kind: kind, Op: op, Msg: m, Hint: hint, Err: cause}
}
