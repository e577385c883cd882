package crcctl

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pulllab/pulllab/internal/golden"
)

// fakeHost is a machine described by maps.
type fakeHost struct {
	goos, goarch string
	env          map[string]string
	files        map[string][]byte
	devices      map[string]error // CanOpenRW result per existing device
	total, avail uint64
	memErr       error
	free         uint64
	groups       map[string][2]bool // name → listed, active; absent = no such group
	cpus         int
}

func (h *fakeHost) GOOS() string             { return h.goos }
func (h *fakeHost) GOARCH() string           { return h.goarch }
func (h *fakeHost) Getenv(key string) string { return h.env[key] }
func (h *fakeHost) ReadFile(name string) ([]byte, error) {
	if b, ok := h.files[name]; ok {
		return b, nil
	}
	return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
}
func (h *fakeHost) ReadHead(name string, n int) ([]byte, error) {
	b, err := h.ReadFile(name)
	if len(b) > n {
		b = b[:n]
	}
	return b, err
}
func (h *fakeHost) Stat(name string) (fs.FileInfo, error) {
	if _, ok := h.files[name]; ok {
		return fakeFileInfo{mode: 0o644}, nil
	}
	if _, ok := h.devices[name]; ok {
		return fakeFileInfo{mode: 0o660}, nil
	}
	return nil, &fs.PathError{Op: "stat", Path: name, Err: fs.ErrNotExist}
}
func (h *fakeHost) CanOpenRW(name string) error {
	if err, ok := h.devices[name]; ok {
		return err
	}
	return fs.ErrNotExist
}
func (h *fakeHost) NumCPU() int                     { return h.cpus }
func (h *fakeHost) Memory() (uint64, uint64, error) { return h.total, h.avail, h.memErr }
func (h *fakeHost) DiskFree(string) (uint64, error) { return h.free, nil }
func (h *fakeHost) GroupMembership(g string) (bool, bool, error) {
	m, ok := h.groups[g]
	if !ok {
		return false, false, errors.New("group: unknown group " + g)
	}
	return m[0], m[1], nil
}

const (
	cpuinfoBare   = "processor\t: 0\nflags\t\t: fpu vme sse2 vmx ept\n\nprocessor\t: 1\nflags\t\t: fpu\n"
	cpuinfoNested = "processor\t: 0\nflags\t\t: fpu sse2 hypervisor vmx\n"
	cpuinfoNoNest = "processor\t: 0\nflags\t\t: fpu sse2 hypervisor\n"
	cpuinfoNoVirt = "processor\t: 0\nflags\t\t: fpu sse2\n"
)

func healthyLinux() *fakeHost {
	return &fakeHost{
		goos: "linux", goarch: "amd64",
		files:   map[string][]byte{"/proc/cpuinfo": []byte(cpuinfoBare), "/home/u/ps.json": []byte(goodSecret)},
		devices: map[string]error{"/dev/kvm": nil},
		total:   32 << 30, avail: 20 << 30, free: 100 << 30,
		groups: map[string][2]bool{"libvirt": {true, true}},
		cpus:   8,
	}
}

func doctorIn(h *fakeHost) DoctorInput {
	s := openshiftSettings("/home/u/ps.json")
	return DoctorInput{Host: h, Paths: NewPaths(h.goos, "/home/u"), Settings: s, FindErr: &Error{Kind: KindNotInstalled, Msg: "crc was not found (looked in PATH)", Hint: "install it"}}
}

func checkByName(checks []Check, name string) (Check, bool) {
	for _, c := range checks {
		if c.Name == name {
			return c, true
		}
	}
	return Check{}, false
}

func machO(cpus ...uint32) []byte {
	if len(cpus) == 1 {
		b := make([]byte, 32)
		binary.LittleEndian.PutUint32(b, 0xfeedfacf)
		binary.LittleEndian.PutUint32(b[4:], cpus[0])
		return b
	}
	b := make([]byte, 8+20*len(cpus))
	binary.BigEndian.PutUint32(b, 0xcafebabe)
	binary.BigEndian.PutUint32(b[4:], uint32(len(cpus)))
	for i, c := range cpus {
		binary.BigEndian.PutUint32(b[8+20*i:], c)
	}
	return b
}

func TestDoctorChecks(t *testing.T) {
	tests := []struct {
		name   string
		host   func() *fakeHost
		mutate func(*DoctorInput)
		check  string
		want   CheckStatus
		msg    string
	}{
		{"crc missing", healthyLinux, nil, "crc", CheckFail, "crc was not found"},
		{"bare metal", healthyLinux, nil, "CPU virtualization", CheckOK, "VT-x/AMD-V present"},
		{"nested ok", func() *fakeHost { h := healthyLinux(); h.files["/proc/cpuinfo"] = []byte(cpuinfoNested); return h }, nil, "CPU virtualization", CheckOK, "nested virtualization"},
		{"VM without nested virtualization", func() *fakeHost {
			h := healthyLinux()
			h.files["/proc/cpuinfo"] = []byte(cpuinfoNoNest)
			h.devices = nil
			return h
		}, nil, "CPU virtualization", CheckFail, "virtual machine without nested virtualization"},
		{"VM without nested: kvm fix points there", func() *fakeHost {
			h := healthyLinux()
			h.files["/proc/cpuinfo"] = []byte(cpuinfoNoNest)
			h.devices = nil
			return h
		}, nil, "/dev/kvm", CheckFail, "does not exist"},
		{"flags hidden but kvm works", func() *fakeHost { h := healthyLinux(); h.files["/proc/cpuinfo"] = []byte(cpuinfoNoNest); return h }, nil, "CPU virtualization", CheckWarn, "/dev/kvm is usable"},
		{"virtualization off in BIOS", func() *fakeHost {
			h := healthyLinux()
			h.files["/proc/cpuinfo"] = []byte(cpuinfoNoVirt)
			h.devices = nil
			return h
		}, nil, "CPU virtualization", CheckFail, "no VT-x/AMD-V"},
		{"arm64 skips flags", func() *fakeHost { h := healthyLinux(); h.goarch = "arm64"; return h }, nil, "CPU virtualization", CheckSkip, "arm64"},
		{"kvm not accessible", func() *fakeHost { h := healthyLinux(); h.devices["/dev/kvm"] = fs.ErrPermission; return h }, nil, "/dev/kvm", CheckFail, "cannot open"},
		{"libvirt not installed", func() *fakeHost { h := healthyLinux(); h.groups = nil; return h }, nil, "libvirt group", CheckWarn, "no libvirt group"},
		{"libvirt not yet in session", func() *fakeHost { h := healthyLinux(); h.groups["libvirt"] = [2]bool{true, false}; return h }, nil, "libvirt group", CheckFail, "this login session"},
		{"not in libvirt", func() *fakeHost { h := healthyLinux(); h.groups["libvirt"] = [2]bool{false, false}; return h }, nil, "libvirt group", CheckWarn, "not in the libvirt group"},
		{"too little RAM", func() *fakeHost { h := healthyLinux(); h.total = 8 << 30; return h }, nil, "memory", CheckFail, "only 8.0 GiB"},
		{"little free RAM", func() *fakeHost { h := healthyLinux(); h.avail = 4 << 30; return h }, nil, "memory", CheckWarn, "only 4.0 GiB free"},
		{"little disk", func() *fakeHost { h := healthyLinux(); h.free = 20 << 30; return h }, nil, "disk", CheckFail, "20.0 GiB free under /home/u/.crc"},
		{"pull secret ok", healthyLinux, nil, "pull secret", CheckOK, "has auths for 2 registries, registry.redhat.io among them"},
		{"pull secret for one registry", func() *fakeHost {
			h := healthyLinux()
			h.files["/home/u/ps.json"] = []byte(`{"auths":{"registry.redhat.io":{"auth":"VE9QU0VDUkVUOngK"}}}`)
			return h
		}, nil, "pull secret", CheckOK, "/home/u/ps.json has an auth for registry.redhat.io only"},
		{"no pull secret", healthyLinux, func(in *DoctorInput) { in.Settings.PullSecretFile = "" }, "pull secret", CheckFail, "no pull secret"},
		{"pull secret without registry.redhat.io", func() *fakeHost {
			h := healthyLinux()
			h.files["/home/u/ps.json"] = []byte(`{"auths":{"registry.example.com":{"auth":"TOPSECRET"}}}`)
			return h
		}, nil, "pull secret", CheckFail, "no auth for registry.redhat.io"},
		{"pull secret invalid", func() *fakeHost { h := healthyLinux(); h.files["/home/u/ps.json"] = []byte(`TOPSECRET`); return h }, nil, "pull secret", CheckFail, "not valid JSON"},
		{"mac arm64 with universal crc", func() *fakeHost {
			return &fakeHost{goos: "darwin", goarch: "arm64", files: map[string][]byte{"/usr/local/bin/crc": machO(cpuTypeX8664, cpuTypeARM64)}, total: 32 << 30, free: 100 << 30}
		}, withCRCPath("/usr/local/bin/crc"), "CPU architecture", CheckOK, "arm64 build"},
		{"mac arm64 with Intel crc", func() *fakeHost {
			return &fakeHost{goos: "darwin", goarch: "arm64", files: map[string][]byte{"/usr/local/bin/crc": machO(cpuTypeX8664)}, total: 32 << 30, free: 100 << 30}
		}, withCRCPath("/usr/local/bin/crc"), "CPU architecture", CheckFail, "has no arm64 build"},
		{"intel mac", func() *fakeHost {
			return &fakeHost{goos: "darwin", goarch: "amd64", files: map[string][]byte{"/usr/local/bin/crc": machO(cpuTypeX8664)}, total: 32 << 30, free: 100 << 30}
		}, withCRCPath("/usr/local/bin/crc"), "CPU architecture", CheckOK, "Intel Mac"},
		{"windows without Hyper-V", func() *fakeHost {
			return &fakeHost{goos: "windows", goarch: "amd64", env: map[string]string{"SystemRoot": `C:\Windows`}, groups: map[string][2]bool{"crc-users": {true, true}}, total: 32 << 30, free: 100 << 30}
		}, nil, "Hyper-V", CheckFail, "not installed"},
		{"windows with Hyper-V", func() *fakeHost {
			return &fakeHost{goos: "windows", goarch: "amd64", env: map[string]string{"SystemRoot": `C:\Windows`}, files: map[string][]byte{`C:\Windows\System32\vmms.exe`: nil}, total: 32 << 30, free: 100 << 30}
		}, nil, "Hyper-V", CheckOK, "installed"},
		{"windows no crc-users group", func() *fakeHost {
			return &fakeHost{goos: "windows", goarch: "amd64", total: 32 << 30, free: 100 << 30}
		}, nil, "crc-users group", CheckFail, "does not exist"},
		{"windows not in crc-users", func() *fakeHost {
			return &fakeHost{goos: "windows", goarch: "amd64", groups: map[string][2]bool{"crc-users": {false, false}}, total: 32 << 30, free: 100 << 30}
		}, nil, "crc-users group", CheckFail, "not in the crc-users group"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := doctorIn(tt.host())
			if tt.mutate != nil {
				tt.mutate(&in)
			}
			checks := Doctor(context.Background(), in)
			c, ok := checkByName(checks, tt.check)
			if !ok {
				t.Fatalf("no check %q in %+v", tt.check, checks)
			}
			if c.Status != tt.want || !strings.Contains(c.Message, tt.msg) {
				t.Errorf("%s = %s %q, want %s with %q", tt.check, c.Status, c.Message, tt.want, tt.msg)
			}
			if c.Status != CheckOK && c.Status != CheckSkip && c.Fix == "" && c.Status != CheckWarn {
				t.Errorf("failed check %q has no fix", c.Name)
			}
			for _, c := range checks {
				if strings.Contains(c.Message+c.Fix, "TOPSECRET") {
					t.Errorf("check %q shows secret content", c.Name)
				}
			}
		})
	}
}

// withCRCPath gives the input a client whose binary is path (never run:
// these checks only read the file's header; version fails harmlessly).
func withCRCPath(path string) func(*DoctorInput) {
	return func(in *DoctorInput) {
		in.FindErr = nil
		in.Client = New(failingRunner{}, path, nil)
	}
}

type failingRunner struct{}

func (failingRunner) Run(context.Context, Cmd) (Result, error) {
	return Result{ExitCode: -1}, &RunError{ExitCode: -1, Err: fs.ErrNotExist}
}

func TestDoctorWithFakeCRC(t *testing.T) {
	ctx := context.Background()
	t.Run("all pass", func(t *testing.T) {
		f := newFake(t, fakeState{SetupDone: true, VM: "running", VMPreset: "openshift"})
		in := doctorIn(healthyLinux())
		in.FindErr, in.Client = nil, f.client()
		checks := Doctor(ctx, in)
		if AnyFailed(checks) {
			t.Errorf("checks failed: %+v", checks)
		}
		if c, _ := checkByName(checks, "crc"); !strings.Contains(c.Message, "crc 2.65.0") {
			t.Errorf("crc check = %+v", c)
		}
		if c, _ := checkByName(checks, "memory"); !strings.Contains(c.Message, "VM running") {
			t.Errorf("memory check with a running VM = %+v", c)
		}
	})
	t.Run("old crc and microshift", func(t *testing.T) {
		f := newFake(t, fakeState{Version: "2.54.0", SetupDone: true, VM: "stopped", VMPreset: "microshift", Config: map[string]string{"preset": "microshift"}})
		in := doctorIn(healthyLinux())
		in.FindErr, in.Client = nil, f.client()
		checks := Doctor(ctx, in)
		if c, _ := checkByName(checks, "crc"); c.Status != CheckFail || !strings.Contains(c.Message, "older than 2.57.0") {
			t.Errorf("crc check = %+v", c)
		}
		if c, _ := checkByName(checks, "preset"); c.Status != CheckFail || !strings.Contains(c.Message, "microshift") {
			t.Errorf("preset check = %+v", c)
		}
	})
	t.Run("setup not done", func(t *testing.T) {
		f := newFake(t, fakeState{})
		in := doctorIn(healthyLinux())
		in.FindErr, in.Client = nil, f.client()
		if c, _ := checkByName(Doctor(ctx, in), "crc VM"); c.Status != CheckWarn || !strings.Contains(c.Message, "crc setup has not run") {
			t.Errorf("crc VM check = %+v", c)
		}
	})
	t.Run("pull secret from crc's config", func(t *testing.T) {
		ps := writePullSecret(t, goodSecret)
		f := newFake(t, fakeState{SetupDone: true, Config: map[string]string{"pull-secret-file": ps}})
		h := healthyLinux()
		h.files[ps] = []byte(goodSecret)
		in := doctorIn(h)
		in.FindErr, in.Client = nil, f.client()
		in.Settings.PullSecretFile = ""
		if c, _ := checkByName(Doctor(ctx, in), "pull secret"); c.Status != CheckOK {
			t.Errorf("pull secret check = %+v", c)
		}
	})
}

func TestParseMeminfo(t *testing.T) {
	total, avail, err := parseMeminfo([]byte("MemTotal:       32768000 kB\nMemFree:         1000 kB\nMemAvailable:   16384000 kB\n"))
	if err != nil || total != 32768000*1024 || avail != 16384000*1024 {
		t.Errorf("parseMeminfo = %d, %d, %v", total, avail, err)
	}
	if _, _, err := parseMeminfo([]byte("nothing")); err == nil {
		t.Error("no MemTotal accepted")
	}
}

func TestOSHostOnThisMachine(t *testing.T) {
	// The real probes must at least answer on the machine running the
	// tests; their values are not asserted.
	h := OSHost{}
	if _, _, err := h.Memory(); err != nil {
		t.Errorf("Memory: %v", err)
	}
	if _, err := h.DiskFree(t.TempDir() + "/not/yet/created"); err != nil {
		t.Errorf("DiskFree: %v", err)
	}
	if h.Getenv("HOME") != "" {
		t.Error("OSHost without LookupEnv must see an empty environment")
	}
}

// TestDoctorProfilesAndPresets runs doctor against the fake crc playing
// each release, with each preset pulllab can be set to.
func TestDoctorProfilesAndPresets(t *testing.T) {
	ctx := context.Background()
	type want struct {
		status CheckStatus
		msg    string
	}
	tests := []struct {
		name   string
		st     fakeState
		host   func(*fakeHost)
		mutate func(*DoctorInput)
		checks map[string]want
		absent []string
	}{
		{
			name: "2.65.0 openshift running",
			st:   fakeState{Version: "2.65.0", SetupDone: true, VM: "running", VMPreset: "openshift"},
			checks: map[string]want{
				"crc":             {CheckOK, "crc 2.65.0 at "},
				"cluster version": {CheckOK, "OpenShift 5.0.0 (from the CRC VM)"},
				"crc VM":          {CheckOK, "VM Running, OpenShift Running"},
				"preset":          {CheckOK, "openshift"},
				"CPUs":            {CheckOK, "8 CPUs; the VM gets 4 (preset openshift needs 4)"},
			},
			absent: []string{"base image"},
		},
		{
			name: "2.60.1 still works but is older than recommended",
			st:   fakeState{Version: "2.60.1", SetupDone: true, VM: "running", VMPreset: "openshift"},
			checks: map[string]want{
				"crc":             {CheckWarn, "pulllab is tested with crc 2.65.0"},
				"cluster version": {CheckOK, "OpenShift 4.21.8 (from the CRC VM)"},
			},
		},
		{
			name: "2.65.0 no VM: the version crc ships",
			st:   fakeState{Version: "2.65.0", SetupDone: true},
			checks: map[string]want{
				"cluster version": {CheckOK, "OpenShift 5.0.0 (from crc 2.65.0)"},
				"crc VM":          {CheckOK, "no VM yet"},
			},
		},
		{
			name: "cluster older than supported",
			st:   fakeState{Version: "2.65.0", OpenShiftVersion: "4.19.9", SetupDone: true},
			checks: map[string]want{
				"cluster version": {CheckFail, "OpenShift 4.19.9 (from crc 2.65.0) is older than 4.20.0"},
			},
		},
		{
			name: "unreadable cluster version",
			st:   fakeState{Version: "2.65.0", OpenShiftVersion: "five", SetupDone: true},
			checks: map[string]want{
				"cluster version": {CheckWarn, `"five", which pulllab cannot read`},
			},
		},
		{
			name:   "okd running: no pull secret, WildFly base",
			st:     fakeState{Version: "2.65.0", SetupDone: true, VM: "running", VMPreset: "okd", Config: map[string]string{"preset": "okd"}},
			mutate: okdInput("quay.example.com/wildfly/wildfly-s2i:1", "preset okd: the cluster has no registry.redhat.io credentials"),
			checks: map[string]want{
				"cluster version": {CheckOK, "OKD 5.0.0-okd-scos.4 (from the CRC VM)"},
				"pull secret":     {CheckOK, "not needed for preset okd"},
				"preset":          {CheckOK, "okd"},
				"base image":      {CheckOK, "registry.redhat.io credentials"},
				"crc VM":          {CheckOK, "VM Running, OKD Running"},
			},
		},
		{
			name:   "okd without a VM: crc does not report the OKD version",
			st:     fakeState{Version: "2.65.0", SetupDone: true},
			mutate: okdInput(RedHatRegistry+"/jboss-eap-7/eap74:7.4", ""),
			checks: map[string]want{
				"cluster version": {CheckSkip, "does not report the OKD version"},
				"preset":          {CheckWarn, "crc is configured for preset openshift; pulllab is set to okd"},
				"base image":      {CheckWarn, "needs your registry.redhat.io credentials"},
			},
		},
		{
			name:   "okd on arm64",
			st:     fakeState{Version: "2.65.0", SetupDone: true},
			host:   func(h *fakeHost) { h.goarch = "arm64" },
			mutate: okdInput("x", ""),
			checks: map[string]want{"preset": {CheckFail, "crc does not support preset okd on arm64"}},
		},
		{
			name: "microshift: one line, and what works there",
			st:   fakeState{Version: "2.65.0", SetupDone: true, Config: map[string]string{"preset": "microshift"}},
			mutate: func(in *DoctorInput) {
				in.Settings.Preset = "microshift"
				in.Settings.CPUs, in.Settings.MemoryMiB = 0, 0
			},
			host: func(h *fakeHost) { h.cpus = 2; h.total = 6 << 30 },
			checks: map[string]want{
				"preset":          {CheckFail, MicroShiftNote},
				"cluster version": {CheckOK, "MicroShift 5.0.0 (from crc 2.65.0)"},
				"CPUs":            {CheckOK, "preset microshift needs 2"},
				"memory":          {CheckOK, "VM set to 4096 MiB"},
			},
		},
		{
			name: "VM of another preset",
			st:   fakeState{Version: "2.65.0", SetupDone: true, VM: "stopped", VMPreset: "microshift", Config: map[string]string{"preset": "microshift"}},
			checks: map[string]want{
				"preset":          {CheckFail, "the CRC VM runs preset microshift; pulllab is set to openshift"},
				"cluster version": {CheckOK, "MicroShift 5.0.0 (from the CRC VM)"},
			},
		},
		{
			name:   "too few CPUs",
			st:     fakeState{Version: "2.65.0", SetupDone: true},
			host:   func(h *fakeHost) { h.cpus = 2 },
			checks: map[string]want{"CPUs": {CheckFail, "this machine has 2 CPUs; crc's preset openshift needs at least 4"}},
		},
		{
			name:   "more VM CPUs than the host has",
			st:     fakeState{Version: "2.65.0", SetupDone: true, Config: map[string]string{"cpus": "6"}},
			host:   func(h *fakeHost) { h.cpus = 4 },
			mutate: func(in *DoctorInput) { in.Settings.CPUs = 0 },
			checks: map[string]want{"CPUs": {CheckWarn, "the VM is set to 6 CPUs but this machine has 4"}},
		},
		{
			name:   "2.65.0 daemon down: its socket is under sockets/",
			st:     fakeState{Version: "2.65.0", SetupDone: true, DaemonDown: true},
			checks: map[string]want{"crc VM": {CheckWarn, "(no socket at /home/u/.crc/sockets/crc-http.sock)"}},
		},
		{
			name:   "2.60.1 daemon down: its socket is in ~/.crc",
			st:     fakeState{Version: "2.60.1", SetupDone: true, DaemonDown: true},
			checks: map[string]want{"crc VM": {CheckWarn, "(no socket at /home/u/.crc/crc-http.sock)"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, tt.st)
			h := healthyLinux()
			if tt.host != nil {
				tt.host(h)
			}
			in := doctorIn(h)
			in.FindErr, in.Client, in.RecommendedCRC = nil, f.client(), "2.65.0"
			if tt.mutate != nil {
				tt.mutate(&in)
			}
			checks := Doctor(ctx, in)
			for name, w := range tt.checks {
				c, ok := checkByName(checks, name)
				if !ok {
					t.Errorf("no check %q in %+v", name, checks)
					continue
				}
				if c.Status != w.status || !strings.Contains(c.Message, w.msg) {
					t.Errorf("%s = %s %q, want %s with %q", name, c.Status, c.Message, w.status, w.msg)
				}
				if c.Status == CheckFail && c.Fix == "" {
					t.Errorf("failed check %q has no fix", name)
				}
			}
			for _, name := range tt.absent {
				if c, ok := checkByName(checks, name); ok {
					t.Errorf("unexpected check %+v", c)
				}
			}
			for _, c := range checks {
				if strings.Contains(c.Message+c.Fix, fakePassword) || strings.Contains(c.Message+c.Fix, "dXNlcjpUT1BTRUNSRVQ=") {
					t.Errorf("check %q shows a secret", c.Name)
				}
			}
		})
	}
}

// okdInput sets pulllab to the okd preset without a pull secret, building
// on base (note: why pulllab chose it).
func okdInput(base, note string) func(*DoctorInput) {
	return func(in *DoctorInput) {
		in.Settings.Preset = "okd"
		in.Settings.PullSecretFile = ""
		in.BaseImage, in.BaseImageNote = base, note
	}
}

func TestDaemonSocket(t *testing.T) {
	tests := []struct {
		goos, crc, want string
	}{
		{"linux", "2.65.0", "/home/u/.crc/sockets/crc-http.sock"},
		{"darwin", "2.62.0", "/home/u/.crc/sockets/crc-http.sock"},
		{"linux", "2.61.0", "/home/u/.crc/crc-http.sock"},
		{"linux", "2.60.1", "/home/u/.crc/crc-http.sock"},
		{"windows", "2.65.0", `\\.\pipe\crc-http`},
	}
	for _, tt := range tests {
		home := "/home/u"
		if tt.goos == "windows" {
			home = `C:\Users\u`
		}
		if got := NewPaths(tt.goos, home).DaemonSocket(tt.crc); got != tt.want {
			t.Errorf("%s crc %s: DaemonSocket = %q, want %q", tt.goos, tt.crc, got, tt.want)
		}
	}
}

// TestDoctorGolden keeps doctor's full answer, check by check, for each
// release the fake crc plays and each preset, on a fixed healthy Linux
// host with 4 CPUs.
func TestDoctorGolden(t *testing.T) {
	tests := []struct {
		name   string
		st     fakeState
		mutate func(*DoctorInput)
	}{
		{"2.65.0-openshift", fakeState{Version: "2.65.0", SetupDone: true, VM: "running", VMPreset: "openshift"}, nil},
		{"2.60.1-openshift", fakeState{Version: "2.60.1", SetupDone: true, VM: "running", VMPreset: "openshift"}, nil},
		{"2.65.0-okd", fakeState{Version: "2.65.0", SetupDone: true, VM: "running", VMPreset: "okd", Config: map[string]string{"preset": "okd"}},
			okdInput("quay.example.com/wildfly/wildfly-s2i:latest-jdk21", "preset okd: the cluster has no registry.redhat.io credentials, so the lab builds on quay.example.com/wildfly/wildfly-s2i:latest-jdk21")},
		{"2.65.0-microshift", fakeState{Version: "2.65.0", SetupDone: true}, func(in *DoctorInput) { in.Settings.Preset = "microshift" }},
		{"2.60.1-no-daemon", fakeState{Version: "2.60.1", SetupDone: true, DaemonDown: true}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, tt.st)
			h := healthyLinux()
			h.cpus = 4
			in := doctorIn(h)
			in.FindErr, in.Client, in.RecommendedCRC = nil, f.client(), "2.65.0"
			in.BaseImage = "registry.redhat.io/jboss-eap-7/eap74-openjdk11-openshift-rhel8:7.4.21-2.1743444175"
			if tt.mutate != nil {
				tt.mutate(&in)
			}
			var b strings.Builder
			for _, c := range Doctor(context.Background(), in) {
				fmt.Fprintf(&b, "%-4s  %s: %s\n", c.Status, c.Name, c.Message)
				if c.Fix != "" {
					fmt.Fprintf(&b, "      fix: %s\n", c.Fix)
				}
			}
			got := strings.ReplaceAll(b.String(), fakeCRC, "<crc>")
			golden.Check(t, filepath.Join("testdata", "doctor", tt.name+".golden"), []byte(got))
		})
	}
}
