package crcctl

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"github.com/crc-org/crc/v2/pkg/crc/machine/state"
	"github.com/crc-org/crc/v2/pkg/crc/preset"
)

// MinCRCVersion is the oldest crc pulllab supports.
const MinCRCVersion = "2.57.0"

// MinOpenShiftVersion is the oldest cluster version pulllab supports: the
// OpenShift of MinCRCVersion (crc 2.57.0 ships 4.20.5). Versions compare
// as numbers (5.0.0 is newer), OKD's "-okd-scos.N" suffix included.
const MinOpenShiftVersion = "4.20.0"

// DiskNeeded is the free space OpenShift Local needs under ~/.crc: the
// bundle (compressed and extracted) plus the VM disk (crc.md §5.9).
const DiskNeeded = 35 << 30

// CheckStatus is the outcome of one doctor check.
type CheckStatus string

// Check outcomes. Only CheckFail makes doctor exit non-zero.
const (
	CheckOK   CheckStatus = "ok"
	CheckWarn CheckStatus = "warn"
	CheckFail CheckStatus = "fail"
	CheckSkip CheckStatus = "skip"
)

// Check is one line of `pulllab doctor`.
type Check struct {
	Name    string      `json:"name" yaml:"name"`
	Status  CheckStatus `json:"status" yaml:"status"`
	Message string      `json:"message" yaml:"message"`
	// Fix is one line saying what to do; empty when the check passed.
	Fix string `json:"fix,omitempty" yaml:"fix,omitempty"`
}

// DoctorInput is what Doctor examines.
type DoctorInput struct {
	Host  Host
	Paths Paths
	// Client runs the crc that was found; nil when FindErr is set.
	Client  *Client
	FindErr error
	// Settings are the values pulllab would apply (preset, memory, pull
	// secret).
	Settings Settings
	// RecommendedCRC is the crc release pulllab installs and is tested
	// with; an older (still supported) crc gets a warning.
	RecommendedCRC string
	// BaseImage is the image the lab will build on, and BaseImageNote the
	// one line saying why when pulllab chose it instead of the configured
	// one (see config.ChooseBaseImage).
	BaseImage     string
	BaseImageNote string
}

// AnyFailed reports whether a check failed.
func AnyFailed(checks []Check) bool {
	for _, c := range checks {
		if c.Status == CheckFail {
			return true
		}
	}
	return false
}

// Doctor runs every check and returns them in a fixed order. It changes
// nothing; crc is only asked for its version, status and config.
func Doctor(ctx context.Context, in DoctorInput) []Check {
	var checks []Check
	add := func(c Check) { checks = append(checks, c) }

	var st *Status
	var stErr error
	var cfg map[string]string
	v, c := checkCRC(ctx, in)
	add(c)
	if in.Client != nil {
		st, stErr = in.Client.Status(ctx)
		add(checkVM(in, v, st, stErr))
		add(clusterVersionCheck(in, v, st))
		cfg, _ = in.Client.ConfigView(ctx)
	}
	switch in.Host.GOOS() {
	case "linux":
		checks = append(checks, linuxVirtChecks(in.Host)...)
	case "darwin":
		add(darwinArchCheck(in))
	case "windows":
		checks = append(checks, windowsChecks(in.Host)...)
	default:
		add(Check{Name: "virtualization", Status: CheckFail, Message: fmt.Sprintf("OpenShift Local does not run on %s", in.Host.GOOS()), Fix: "use Linux, macOS or Windows"})
	}
	vmRunning := st != nil && st.CRCStatus == state.Running
	vmExists := st != nil
	add(cpuCheck(in, cfg))
	add(memoryCheck(in, vmMemoryMiB(in.Settings, cfg), vmRunning))
	add(diskCheck(in, vmExists))
	add(pullSecretCheck(in, cfg, vmExists))
	add(presetCheck(in, cfg, st))
	if in.Settings.Preset == preset.OKD {
		add(BaseImageCheck(in.Settings.Preset, in.BaseImage, in.BaseImageNote))
	}
	return checks
}

// wantPreset is the preset pulllab is set to (openshift when unset).
func wantPreset(in DoctorInput) preset.Preset {
	if in.Settings.Preset == "" {
		return preset.OpenShift
	}
	return in.Settings.Preset
}

// ships names the cluster versions a crc release ships, as `crc version`
// reports them (it does not report OKD's).
func ships(v *Version) string {
	s := "OpenShift " + orDash(v.OpenShiftVersion)
	if v.MicroShiftVersion != "" {
		s += ", MicroShift " + v.MicroShiftVersion
	}
	return s
}

func checkCRC(ctx context.Context, in DoctorInput) (*Version, Check) {
	c := Check{Name: "crc"}
	if in.Client == nil {
		c.Status, c.Message, c.Fix = CheckFail, "crc was not found", HintOf(in.FindErr)
		if e, ok := in.FindErr.(*Error); ok {
			c.Message = e.Msg
		}
		return nil, c
	}
	v, err := in.Client.Version(ctx)
	if err != nil {
		c.Status, c.Message, c.Fix = CheckFail, fmt.Sprintf("%s does not run: %s", in.Client.Path, firstLine(err.Error())), "reinstall crc (`"+doInstallCRC+"` after removing this one)"
		return nil, c
	}
	newer := "install crc " + orDash(in.RecommendedCRC) + " from https://console.redhat.com/openshift/create/local (or remove this one and run `" + doInstallCRC + "`), then `crc delete -f` and `crc setup`"
	switch {
	case CompareVersions(v.Version, MinCRCVersion) < 0:
		c.Status = CheckFail
		c.Message = fmt.Sprintf("crc %s at %s is older than %s", v.Version, in.Client.Path, MinCRCVersion)
		c.Fix = newer
	case in.RecommendedCRC != "" && CompareVersions(v.Version, in.RecommendedCRC) < 0:
		c.Status = CheckWarn
		c.Message = fmt.Sprintf("crc %s at %s (%s) works, but pulllab is tested with crc %s", v.Version, in.Client.Path, ships(v), in.RecommendedCRC)
		c.Fix = newer
	default:
		c.Status, c.Message = CheckOK, fmt.Sprintf("crc %s at %s (%s)", v.Version, in.Client.Path, ships(v))
	}
	return v, c
}

func checkVM(in DoctorInput, v *Version, st *Status, err error) Check {
	c := Check{Name: "crc VM"}
	switch k := KindOf(err); {
	case err == nil:
		c.Status, c.Message = CheckOK, fmt.Sprintf("VM %s, %s %s", st.CRCStatus, DisplayPreset(st.Preset), orDash(string(st.OpenShiftStatus)))
	case k == KindVMMissing:
		c.Status, c.Message = CheckOK, "no VM yet; `"+doUp+"` creates it"
	case k == KindDaemonUnreachable:
		c.Status, c.Message, c.Fix = CheckWarn, "crc setup has not run, or its daemon is not running", "`"+doUp+"` runs `crc setup` when needed"
		if v != nil && in.Host != nil && in.Paths.CRCDir != "" {
			sock := in.Paths.DaemonSocket(v.Version)
			if _, serr := in.Host.Stat(sock); serr != nil {
				c.Message += fmt.Sprintf(" (no socket at %s)", sock)
			} else {
				c.Message += fmt.Sprintf(" (nothing answers on %s)", sock)
			}
		}
	default:
		c.Status, c.Message, c.Fix = CheckWarn, firstLine(err.Error()), HintOf(err)
	}
	return c
}

// DisplayPreset is crc's name for a preset's cluster: OpenShift, OKD or
// MicroShift (crc's preset.ForDisplay); OpenShift when unknown.
func DisplayPreset(p preset.Preset) string {
	switch p {
	case preset.OKD:
		return "OKD"
	case preset.Microshift:
		return "MicroShift"
	}
	return "OpenShift"
}

// clusterVersionCheck says whether the cluster is recent enough: the VM's
// version when there is a VM, else the version this crc ships for the
// preset pulllab is set to. Versions compare as numbers, whatever the
// major version.
func clusterVersionCheck(in DoctorInput, v *Version, st *Status) Check {
	c := Check{Name: "cluster version"}
	p := wantPreset(in)
	var ver, from string
	switch {
	case st != nil && st.OpenShiftVersion != "":
		p, ver, from = st.Preset, st.OpenShiftVersion, "the CRC VM"
	case v == nil:
		c.Status, c.Message = CheckSkip, "crc does not run"
		return c
	case p == preset.Microshift:
		ver, from = v.MicroShiftVersion, "crc "+v.Version
	case p == preset.OKD:
		c.Status, c.Message = CheckSkip, "crc version does not report the OKD version it ships; this check reads the VM's once it exists"
		return c
	default:
		ver, from = v.OpenShiftVersion, "crc "+v.Version
	}
	name := DisplayPreset(p)
	sv, err := ParseSemver(ver)
	if err != nil {
		c.Status, c.Message = CheckWarn, fmt.Sprintf("%s reports %s version %q, which pulllab cannot read", from, name, ver)
		c.Fix = "run `crc version` and `crc status`; reinstall crc if they fail"
		return c
	}
	min, _ := ParseSemver(MinOpenShiftVersion)
	if !sv.AtLeast(min) {
		c.Status = CheckFail
		c.Message = fmt.Sprintf("%s %s (from %s) is older than %s", name, ver, from, MinOpenShiftVersion)
		c.Fix = "install crc " + orDash(in.RecommendedCRC) + ", then `" + doDeleteVM + "` and `" + doUp + "`"
		return c
	}
	c.Status, c.Message = CheckOK, fmt.Sprintf("%s %s (from %s)", name, ver, from)
	return c
}

// cpuCheck compares the host's CPUs with crc's minimum for the preset and
// with the VM's setting.
func cpuCheck(in DoctorInput, cfg map[string]string) Check {
	c := Check{Name: "CPUs"}
	p := wantPreset(in)
	min := MinimumFor(p).CPUs
	want := in.Settings.CPUs
	if want == 0 {
		want = atoi(cfg[KeyCPUs])
	}
	if want < min {
		want = min
	}
	n := in.Host.NumCPU()
	switch {
	case n <= 0:
		c.Status, c.Message = CheckWarn, "cannot count this machine's CPUs"
	case n < min:
		c.Status = CheckFail
		c.Message = fmt.Sprintf("this machine has %d CPUs; crc's preset %s needs at least %d for the VM", n, string(p), min)
		c.Fix = fmt.Sprintf("use a machine with %d or more CPUs", min)
		if p != preset.Microshift {
			c.Fix += fmt.Sprintf(" (MicroShift needs %d, but the lab cannot build images there)", minCPUsMicro)
		}
	case n < want:
		c.Status = CheckWarn
		c.Message = fmt.Sprintf("the VM is set to %d CPUs but this machine has %d", want, n)
		c.Fix = fmt.Sprintf("lower crc.cpus to %d or less (at least %d)", n, min)
	default:
		c.Status, c.Message = CheckOK, fmt.Sprintf("%d CPUs; the VM gets %d (preset %s needs %d)", n, want, string(p), min)
	}
	return c
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// cpuFlags returns the flags of the first processor in /proc/cpuinfo.
func cpuFlags(cpuinfo []byte) map[string]bool {
	flags := map[string]bool{}
	for _, line := range strings.Split(string(cpuinfo), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok || strings.TrimSpace(k) != "flags" {
			continue
		}
		for _, f := range strings.Fields(v) {
			flags[f] = true
		}
		break
	}
	return flags
}

func linuxVirtChecks(h Host) []Check {
	kvm := Check{Name: "/dev/kvm"}
	kvmUsable := false
	if _, err := h.Stat("/dev/kvm"); err != nil {
		kvm.Status, kvm.Message = CheckFail, "/dev/kvm does not exist"
		kvm.Fix = "load KVM: `sudo modprobe kvm_intel` (Intel) or `sudo modprobe kvm_amd` (AMD)"
	} else if err := h.CanOpenRW("/dev/kvm"); err != nil {
		kvm.Status, kvm.Message = CheckFail, "/dev/kvm exists but this user cannot open it"
		kvm.Fix = "`sudo usermod -aG kvm,libvirt $USER`, then log out and back in"
	} else {
		kvmUsable = true
		kvm.Status, kvm.Message = CheckOK, "/dev/kvm is usable"
	}

	cpu := Check{Name: "CPU virtualization"}
	if h.GOARCH() != "amd64" {
		cpu.Status, cpu.Message = CheckSkip, fmt.Sprintf("no CPU flag check on %s; see /dev/kvm", h.GOARCH())
	} else if info, err := h.ReadFile("/proc/cpuinfo"); err != nil {
		cpu.Status, cpu.Message = CheckWarn, fmt.Sprintf("cannot read /proc/cpuinfo: %v", err)
	} else {
		f := cpuFlags(info)
		virt := f["vmx"] || f["svm"]
		switch {
		case virt && f["hypervisor"]:
			cpu.Status, cpu.Message = CheckOK, "virtual machine with nested virtualization (vmx/svm present)"
		case virt:
			cpu.Status, cpu.Message = CheckOK, "VT-x/AMD-V present"
		case kvmUsable:
			// Some hypervisors hide the flag but still pass KVM through.
			cpu.Status = CheckWarn
			cpu.Message = "the CPU flags show no vmx/svm, but /dev/kvm is usable"
			cpu.Fix = "if crc reports a virtualization error, enable nested virtualization for this machine"
		case f["hypervisor"]:
			cpu.Status = CheckFail
			cpu.Message = "this is a virtual machine without nested virtualization (CPU flag 'hypervisor', no vmx/svm)"
			cpu.Fix = "enable nested virtualization for this VM in its hypervisor or cloud settings, or use a physical machine; crc cannot start a VM here"
			if kvm.Status == CheckFail {
				kvm.Fix = "enable nested virtualization first (see above); then /dev/kvm appears"
			}
		default:
			cpu.Status = CheckFail
			cpu.Message = "the CPU shows no VT-x/AMD-V (no vmx/svm flag)"
			cpu.Fix = "turn on virtualization (VT-x/AMD-V, SVM) in the BIOS/UEFI settings"
		}
	}
	out := []Check{cpu, kvm}

	grp := Check{Name: "libvirt group"}
	listed, active, err := h.GroupMembership("libvirt")
	switch {
	case err != nil:
		grp.Status, grp.Message = CheckWarn, "there is no libvirt group yet (libvirt is not installed)"
		grp.Fix = "`crc setup` installs libvirt and adds you to the group; log out and back in afterwards"
	case listed && active:
		grp.Status, grp.Message = CheckOK, "you are in the libvirt group"
	case listed:
		grp.Status, grp.Message = CheckFail, "you were added to the libvirt group, but this login session does not have it yet"
		grp.Fix = "log out and back in (or run `newgrp libvirt` in this shell)"
	default:
		grp.Status, grp.Message = CheckWarn, "you are not in the libvirt group"
		grp.Fix = "`crc setup` adds you (it asks for sudo); then log out and back in"
	}
	out = append(out, grp)
	return out
}

// Mach-O CPU types.
const (
	cpuTypeX8664 = 0x01000007
	cpuTypeARM64 = 0x0100000c
)

// machoCPUs returns the CPU types a Mach-O file (thin or universal) holds.
func machoCPUs(head []byte) []uint32 {
	if len(head) < 8 {
		return nil
	}
	be := binary.BigEndian.Uint32(head)
	switch be {
	case 0xcafebabe, 0xcafebabf: // universal (fat), fat64
		n := int(binary.BigEndian.Uint32(head[4:]))
		size := 20
		if be == 0xcafebabf {
			size = 32
		}
		var cpus []uint32
		for i := 0; i < n && i < 16; i++ {
			off := 8 + i*size
			if off+4 > len(head) {
				break
			}
			cpus = append(cpus, binary.BigEndian.Uint32(head[off:]))
		}
		return cpus
	}
	switch binary.LittleEndian.Uint32(head) {
	case 0xfeedfacf, 0xfeedface:
		return []uint32{binary.LittleEndian.Uint32(head[4:])}
	}
	return nil
}

func darwinArchCheck(in DoctorInput) Check {
	c := Check{Name: "CPU architecture"}
	arm := in.Host.GOARCH() == "arm64"
	machine := "Intel Mac"
	if arm {
		machine = "Apple silicon Mac"
	}
	if in.Client == nil {
		c.Status, c.Message = CheckSkip, machine+"; crc not found, its build is not checked"
		return c
	}
	head, err := in.Host.ReadHead(in.Client.Path, 4096)
	if err != nil {
		c.Status, c.Message = CheckWarn, fmt.Sprintf("%s; cannot read %s: %v", machine, in.Client.Path, err)
		return c
	}
	want, wantName := uint32(cpuTypeX8664), "amd64"
	if arm {
		want, wantName = cpuTypeARM64, "arm64"
	}
	for _, cpu := range machoCPUs(head) {
		if cpu == want {
			c.Status, c.Message = CheckOK, fmt.Sprintf("%s; crc has an %s build", machine, wantName)
			return c
		}
	}
	c.Status = CheckFail
	c.Message = fmt.Sprintf("%s, but %s has no %s build", machine, in.Client.Path, wantName)
	c.Fix = "install the universal crc-macos-installer.pkg (`" + doInstallCRC + "` downloads it)"
	return c
}

func windowsChecks(h Host) []Check {
	hv := Check{Name: "Hyper-V"}
	root := h.Getenv("SystemRoot")
	if root == "" {
		root = `C:\Windows`
	}
	vmms := JoinPath("windows", root, "System32", "vmms.exe")
	if _, err := h.Stat(vmms); err != nil {
		hv.Status, hv.Message = CheckFail, "Hyper-V is not installed ("+vmms+" is missing)"
		hv.Fix = "install OpenShift Local with its MSI (it enables Hyper-V), or run `Enable-WindowsOptionalFeature -Online -FeatureName Microsoft-Hyper-V -All` as administrator, then reboot"
	} else {
		hv.Status, hv.Message = CheckOK, "Hyper-V is installed"
	}
	grp := Check{Name: "crc-users group"}
	listed, _, err := h.GroupMembership("crc-users")
	switch {
	case err != nil:
		grp.Status, grp.Message = CheckFail, "the crc-users group does not exist"
		grp.Fix = "install OpenShift Local with its MSI, which creates the group, then reboot"
	case listed:
		grp.Status, grp.Message = CheckOK, "you are in the crc-users group"
	default:
		grp.Status, grp.Message = CheckFail, "you are not in the crc-users group"
		grp.Fix = "as administrator: `net localgroup crc-users %USERNAME% /add`, then log out and back in"
	}
	return []Check{hv, grp}
}

// vmMemoryMiB is the memory the VM will get: pulllab's setting, else
// crc's, else crc's default for the preset.
func vmMemoryMiB(s Settings, cfg map[string]string) int {
	if s.MemoryMiB != 0 {
		return s.MemoryMiB
	}
	if n := atoi(cfg[KeyMemory]); n != 0 {
		return n
	}
	p := s.Preset
	if p == "" {
		p = preset.OpenShift
	}
	return MinimumFor(p).MemoryMiB
}

func memoryCheck(in DoctorInput, mib int, vmRunning bool) Check {
	c := Check{Name: "memory"}
	want := uint64(mib) << 20
	total, avail, err := in.Host.Memory()
	if err != nil {
		c.Status, c.Message = CheckWarn, fmt.Sprintf("cannot read the host's memory: %v", err)
		return c
	}
	switch {
	case total < want:
		c.Status = CheckFail
		c.Message = fmt.Sprintf("the VM is set to %d MiB but this machine has only %s", mib, HumanBytes(int64(total)))
		c.Fix = fmt.Sprintf("use a machine with more RAM (preset %s needs at least %d MiB for the VM)", string(wantPreset(in)), MinimumFor(wantPreset(in)).MemoryMiB)
	case vmRunning:
		c.Status, c.Message = CheckOK, fmt.Sprintf("VM running; host has %s in total", HumanBytes(int64(total)))
	case avail > 0 && avail < want:
		c.Status = CheckWarn
		c.Message = fmt.Sprintf("only %s free, the VM is set to %d MiB", HumanBytes(int64(avail)), mib)
		c.Fix = "close programs to free memory before `" + doUp + "`"
	default:
		c.Status, c.Message = CheckOK, fmt.Sprintf("VM set to %d MiB; host has %s (%s free)", mib, HumanBytes(int64(total)), freeText(avail))
	}
	return c
}

func freeText(avail uint64) string {
	if avail == 0 {
		return "unknown"
	}
	return HumanBytes(int64(avail))
}

func diskCheck(in DoctorInput, vmExists bool) Check {
	c := Check{Name: "disk"}
	free, err := in.Host.DiskFree(in.Paths.CRCDir)
	if err != nil {
		c.Status, c.Message = CheckWarn, fmt.Sprintf("cannot read free space under %s: %v", in.Paths.CRCDir, err)
		return c
	}
	if free >= DiskNeeded {
		c.Status, c.Message = CheckOK, fmt.Sprintf("%s free under %s", HumanBytes(int64(free)), in.Paths.CRCDir)
		return c
	}
	c.Status = CheckFail
	if vmExists {
		c.Status = CheckWarn
	}
	c.Message = fmt.Sprintf("%s free under %s; OpenShift Local needs about %s", HumanBytes(int64(free)), in.Paths.CRCDir, HumanBytes(DiskNeeded))
	c.Fix = "free disk space there (`crc delete --clear-cache` removes old bundles)"
	return c
}

func pullSecretCheck(in DoctorInput, cfg map[string]string, vmExists bool) Check {
	c := Check{Name: "pull secret"}
	path := in.Settings.PullSecretFile
	if path == "" {
		path = cfg[KeyPullSecretFile]
	}
	if wantPreset(in) == preset.OKD {
		// crc's loader returns a placeholder for okd before it looks at
		// any file (crc-org/crc pkg/crc/cluster/pullsecret.go).
		c.Status, c.Message = CheckOK, "not needed for preset okd: crc gives the cluster a placeholder pull secret"
		if path != "" {
			if _, err := LoadPullSecret(in.Host.ReadFile, path); err != nil {
				c.Status, c.Message, c.Fix = CheckWarn, firstLine(err.Error())+" (not needed for okd, but pulllab was given it)", HintOf(err)
			}
		}
		return c
	}
	if path == "" {
		c.Status, c.Message, c.Fix = CheckFail, "no pull secret given", hintPullSecret
		if vmExists {
			c.Status, c.Message = CheckWarn, "no pull secret given (the existing VM already has one)"
		}
		return c
	}
	ps, err := LoadPullSecret(in.Host.ReadFile, path)
	if err != nil {
		c.Status, c.Message, c.Fix = CheckFail, firstLine(err.Error()), HintOf(err)
		return c
	}
	if !ps.Has(RedHatRegistry) {
		c.Status = CheckFail
		c.Message = fmt.Sprintf("%s has no auth for %s, where the lab's base image comes from", path, RedHatRegistry)
		c.Fix = "download your pull secret from https://console.redhat.com/openshift/create/local; it includes " + RedHatRegistry
		return c
	}
	c.Status = CheckOK
	if len(ps.Hosts) == 1 {
		c.Message = fmt.Sprintf("%s has an auth for %s only", path, RedHatRegistry)
	} else {
		c.Message = fmt.Sprintf("%s has auths for %d registries, %s among them", path, len(ps.Hosts), RedHatRegistry)
	}
	return c
}

// MicroShiftNote is the one line doctor and `pulllab up` give for the
// microshift preset, and MicroShiftFix what works there instead.
const (
	MicroShiftNote = "preset microshift has no ImageStreams, builds or internal registry, so `" + doUp + "` cannot build the lab's images there"
	MicroShiftFix  = "run the lab on the plain-Kubernetes path with a registry instead: `" + doVerify + "` against MicroShift's kubeconfig, with lab.registry HOST:PORT and lab.baseImage IMAGE; or set crc.preset to openshift (or okd) for `" + doUp + "`"
)

func presetCheck(in DoctorInput, cfg map[string]string, st *Status) Check {
	c := Check{Name: "preset"}
	want := wantPreset(in)
	if want == preset.Microshift {
		c.Status, c.Message, c.Fix = CheckFail, MicroShiftNote, MicroShiftFix
		return c
	}
	if err := PresetSupported(want, in.Host.GOARCH()); err != nil {
		var e *Error
		errors.As(err, &e)
		c.Status, c.Message, c.Fix = CheckFail, e.Msg, e.Hint
		return c
	}
	if in.Client == nil {
		c.Status, c.Message = CheckSkip, "crc not found"
		return c
	}
	configured := cfg[KeyPreset]
	if configured == "" {
		configured = string(preset.OpenShift)
	}
	switch {
	case st != nil && st.Preset != "" && st.Preset != want:
		c.Status = CheckFail
		c.Message = fmt.Sprintf("the CRC VM runs preset %s; pulllab is set to %s", string(st.Preset), string(want))
		c.Fix = fmt.Sprintf("`"+doDeleteVM+"`, then `"+doUp+"` with crc.preset %s; or keep the VM with crc.preset %s", string(want), string(st.Preset))
	case configured != string(want):
		c.Status = CheckWarn
		c.Message = fmt.Sprintf("crc is configured for preset %s; pulllab is set to %s", configured, string(want))
		c.Fix = fmt.Sprintf("`"+doUp+"` sets preset %s", string(want))
	default:
		c.Status, c.Message = CheckOK, string(want)
	}
	return c
}

// BaseImageCheck says which base image the lab builds on with preset p:
// on okd the EAP image needs registry.redhat.io credentials the cluster
// lacks (a warning); note is why pulllab chose image, if it did. Doctor and
// `pulllab up` both print it, as one line.
func BaseImageCheck(p preset.Preset, image, note string) Check {
	c := Check{Name: "base image"}
	switch {
	case note != "":
		c.Status, c.Message = CheckOK, note
	case p == preset.OKD && strings.HasPrefix(image, RedHatRegistry+"/"):
		c.Status = CheckWarn
		c.Message = fmt.Sprintf("preset okd: %s needs your registry.redhat.io credentials, and an okd cluster has none (crc gives it a placeholder pull secret)", image)
		c.Fix = "leave lab.baseImage unset to build on the public WildFly S2I image, or give the cluster your registry.redhat.io credentials"
	default:
		c.Status, c.Message = CheckOK, image
	}
	return c
}

// HumanBytes formats a byte count in binary units: "16.8 GiB".
func HumanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 4; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTP"[exp])
}
