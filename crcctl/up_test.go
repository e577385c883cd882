package crcctl

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/crc-org/crc/v2/pkg/crc/preset"
)

func upOpts(s Settings, rep *recorder) UpOptions {
	return UpOptions{Settings: s, Reporter: rep, PollInterval: 10 * time.Millisecond, StartTimeout: 30 * time.Second}
}

func TestUpFromStoppedToRunning(t *testing.T) {
	for _, p := range []struct{ crc, cluster, ships string }{
		{"2.65.0", "5.0.0", "OpenShift 5.0.0, MicroShift 5.0.0"},
		{"2.60.1", "4.21.8", "OpenShift 4.21.8, MicroShift 4.21.0"},
	} {
		t.Run(p.crc, func(t *testing.T) { testUpFromStoppedToRunning(t, p.crc, p.cluster, p.ships) })
	}
}

func testUpFromStoppedToRunning(t *testing.T, crc, cluster, ships string) {
	ps := writePullSecret(t, goodSecret)
	f := newFake(t, fakeState{Version: crc, SetupDone: true, VM: "stopped", VMPreset: "openshift", AfterStartPolls: 2,
		Config: map[string]string{"consent-telemetry": "no", "disable-update-check": "true", "pull-secret-file": ps}})
	var rep, log recorder
	c := New(&ExecRunner{Env: f.env(), Log: &log}, fakeCRC, &log)
	res, err := c.Up(context.Background(), upOpts(openshiftSettings(ps), &rep))
	if err != nil {
		t.Fatalf("Up: %v\n%s", err, rep.String())
	}
	if !res.Started || res.SetupRan || res.AlreadyRunning || !res.Status.Ready() {
		t.Errorf("UpResult = %+v", res)
	}
	if len(res.Changes) != 0 {
		t.Errorf("changed config that already matched: %+v", res.Changes)
	}
	st := f.read()
	wantCalls := []string{
		"version -o json",
		"status -o json",
		"config view --format {{.ConfigKey}}={{.ConfigValue}}",
		"setup --check-only",
		"start -o json",
		"status -o json", // Starting
		"status -o json", // Starting
		"status -o json", // Running
	}
	if !reflect.DeepEqual(st.Calls, wantCalls) {
		t.Errorf("crc calls:\n%s\nwant:\n%s", strings.Join(st.Calls, "\n"), strings.Join(wantCalls, "\n"))
	}
	out := rep.String()
	for _, want := range []string{"crc " + crc + " at " + fakeCRC + " (" + ships + ")", "Starting CRC VM for openshift " + cluster + "...", "waiting: VM Running, OpenShift Starting", "OpenShift " + cluster + " is running"} {
		if !strings.Contains(out, want) {
			t.Errorf("reporter output lacks %q:\n%s", want, out)
		}
	}
	for _, secret := range []string{fakePassword, "dXNlcjpUT1BTRUNSRVQ="} {
		if strings.Contains(out, secret) || strings.Contains(log.String(), secret) {
			t.Errorf("secret %q reached the output or log", secret)
		}
	}
}

func TestUpFreshMachine(t *testing.T) {
	ps := writePullSecret(t, goodSecret)
	f := newFake(t, fakeState{Config: map[string]string{"cpus": "6", "memory": "9000"}})
	s := openshiftSettings(ps)
	s.MemoryMiB = 12288
	var rep recorder
	res, err := f.client().Up(context.Background(), upOpts(s, &rep))
	if err != nil {
		t.Fatalf("Up: %v\n%s", err, rep.String())
	}
	if !res.SetupRan || !res.Started || !res.Status.Ready() {
		t.Errorf("UpResult = %+v", res)
	}
	wantChanges := []ConfigChange{
		{Key: KeyCPUs, From: "6", To: "4"},
		{Key: KeyMemory, From: "9000", To: "12288"},
		{Key: KeyConsentTelemetry, To: "no"},
		{Key: KeyDisableUpdateCheck, To: "true"},
		{Key: KeyPullSecretFile, To: ps},
	}
	if !reflect.DeepEqual(res.Changes, wantChanges) {
		t.Errorf("Changes = %+v\nwant %+v", res.Changes, wantChanges)
	}
	st := f.read()
	if st.VM != "running" || st.VMPreset != "openshift" {
		t.Errorf("fake VM = %s/%s", st.VM, st.VMPreset)
	}
	// cpus 4 is crc's default: setting it removes the key, as crc does.
	want := map[string]string{"memory": "12288", "consent-telemetry": "no", "disable-update-check": "true", "pull-secret-file": ps}
	if !reflect.DeepEqual(st.Config, want) {
		t.Errorf("crc config = %v, want %v", st.Config, want)
	}
	if _, err := os.Stat(NewPaths("linux", f.home).Kubeconfig); err != nil && !strings.Contains(f.home, `\`) {
		t.Errorf("crc's kubeconfig was not written: %v", err)
	}
}

// TestUpPresets creates a VM with each preset crc offers, on each release
// the fake plays: okd needs no pull secret, microshift accepts its smaller
// minimums, and the cluster version comes from the preset's bundle.
func TestUpPresets(t *testing.T) {
	tests := []struct {
		crc, preset, pullSecret string
		cpus, mem               int
		wantVersion, wantLine   string
		wantType                preset.Preset
	}{
		{"2.65.0", "okd", "", 0, 0, "5.0.0-okd-scos.4", "OKD 5.0.0-okd-scos.4 is running", preset.OKD},
		{"2.60.1", "okd", "", 0, 0, "4.21.0-okd-scos.8", "OKD 4.21.0-okd-scos.8 is running", preset.OKD},
		{"2.65.0", "microshift", goodSecret, 2, 4096, "5.0.0", "MicroShift 5.0.0 is running", preset.Microshift},
		{"2.60.1", "microshift", goodSecret, 2, 4096, "4.21.0", "MicroShift 4.21.0 is running", preset.Microshift},
		{"2.65.0", "openshift", goodSecret, 0, 0, "5.0.0", "OpenShift 5.0.0 is running", preset.OpenShift},
	}
	for _, tt := range tests {
		t.Run(tt.crc+" "+tt.preset, func(t *testing.T) {
			f := newFake(t, fakeState{Version: tt.crc})
			ps := ""
			if tt.pullSecret != "" {
				ps = writePullSecret(t, tt.pullSecret)
			}
			s := Settings{Preset: preset.Preset(tt.preset), CPUs: tt.cpus, MemoryMiB: tt.mem, PullSecretFile: ps, DisableUpdateCheck: true}
			var rep recorder
			res, err := f.client().Up(context.Background(), upOpts(s, &rep))
			if err != nil {
				t.Fatalf("Up: %v\n%s", err, rep.String())
			}
			if res.Status.OpenShiftVersion != tt.wantVersion || res.Status.Preset != tt.wantType || res.Cluster.ClusterType != tt.wantType {
				t.Errorf("status %+v, cluster %+v", res.Status, res.Cluster)
			}
			if !strings.Contains(rep.String(), tt.wantLine) {
				t.Errorf("no %q in:\n%s", tt.wantLine, rep.String())
			}
			st := f.read()
			if st.Config["preset"] != tt.preset && tt.preset != "openshift" {
				t.Errorf("crc config = %v", st.Config)
			}
			if _, set := st.Config["pull-secret-file"]; set != (ps != "") {
				t.Errorf("pull-secret-file set = %v, want %v", set, ps != "")
			}
			if strings.Contains(rep.String(), fakePassword) {
				t.Error("the kubeadmin password reached the reporter")
			}
			// crc setup left the daemon's socket where this release keeps it.
			if runtime.GOOS != "windows" {
				sock := NewPaths(runtime.GOOS, f.home).DaemonSocket(tt.crc)
				if fi, err := os.Stat(sock); err != nil || fi.Mode()&fs.ModeSocket == 0 {
					t.Errorf("no daemon socket at %s: %v", sock, err)
				}
			}
		})
	}
}

func TestUpAlreadyRunning(t *testing.T) {
	f := newFake(t, fakeState{SetupDone: true, VM: "running", VMPreset: "openshift"})
	var rep recorder
	start := time.Now()
	res, err := f.client().Up(context.Background(), upOpts(openshiftSettings(""), &rep))
	elapsed := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("Up on a running fake took %s", elapsed)
	if !res.AlreadyRunning || res.Started {
		t.Errorf("UpResult = %+v", res)
	}
	if got := f.read().Calls; !reflect.DeepEqual(got, []string{"version -o json", "status -o json"}) {
		t.Errorf("crc calls = %q, want only version and status", got)
	}
	if !strings.Contains(rep.String(), "already running") {
		t.Errorf("does not say it is already running:\n%s", rep.String())
	}
}

func TestUpRefusesBeforeTouchingAnything(t *testing.T) {
	good := writePullSecret(t, goodSecret)
	bad := writePullSecret(t, `{"auths":{"registry.redhat.io":{"user":"TOPSECRET"}}}`)
	tests := []struct {
		name     string
		mutate   func(*Settings)
		st       fakeState
		wantKind Kind
		wantMsg  string
		maxCalls int
	}{
		{"cpus", func(s *Settings) { s.CPUs = 2 }, fakeState{}, KindCPU, "requires CPUs >= 4", 0},
		{"memory", func(s *Settings) { s.MemoryMiB = 8192 }, fakeState{}, KindMemory, "requires memory in MiB >= 10752", 0},
		{"disk", func(s *Settings) { s.DiskGiB = 20 }, fakeState{}, KindDisk, "requires disk size in GiB >= 31", 0},
		{"relative pull secret", func(s *Settings) { s.PullSecretFile = "ps.json" }, fakeState{}, KindPullSecretMissing, "not absolute", 0},
		{"missing pull secret file", func(s *Settings) { s.PullSecretFile = good + ".nope" }, fakeState{}, KindPullSecretMissing, "does not exist", 0},
		{"invalid pull secret", func(s *Settings) { s.PullSecretFile = bad }, fakeState{}, KindPullSecretInvalid, "neither 'auth' nor 'credsStore'", 0},
		// No VM and no pull secret anywhere: refused after reading
		// version, status and config, before any config set.
		{"no pull secret for a new VM", func(s *Settings) { s.PullSecretFile = "" }, fakeState{SetupDone: true}, KindPullSecretMissing, "needs a pull secret", 3},
		{"preset of the existing VM", func(s *Settings) {}, fakeState{SetupDone: true, VM: "stopped", VMPreset: "microshift", Config: map[string]string{"preset": "microshift"}}, KindVersionMismatch, "uses preset microshift", 3},
		{"running VM of another preset", func(s *Settings) {}, fakeState{SetupDone: true, VM: "running", VMPreset: "okd", Config: map[string]string{"preset": "okd"}}, KindVersionMismatch, "uses preset okd; pulllab is set to openshift", 2},
		{"microshift minimums", func(s *Settings) { s.Preset = preset.Microshift; s.CPUs, s.MemoryMiB = 1, 2048 }, fakeState{}, KindCPU, "requires CPUs >= 2 for preset microshift", 0},
		{"okd still needs openshift's minimums", func(s *Settings) { s.Preset = preset.OKD; s.MemoryMiB = 8192 }, fakeState{}, KindMemory, "requires memory in MiB >= 10752 for preset okd", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, tt.st)
			s := openshiftSettings(good)
			tt.mutate(&s)
			_, err := f.client().Up(context.Background(), upOpts(s, &recorder{}))
			if KindOf(err) != tt.wantKind || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Fatalf("Up = %v (kind %v), want kind %v with %q", err, KindOf(err), tt.wantKind, tt.wantMsg)
			}
			if strings.Contains(err.Error(), "TOPSECRET") {
				t.Errorf("error shows secret content: %q", err)
			}
			if calls := f.read().Calls; len(calls) > tt.maxCalls {
				t.Errorf("crc was called %d times (%q), want at most %d", len(calls), calls, tt.maxCalls)
			}
		})
	}
}

func TestUpStartFailureKinds(t *testing.T) {
	ps := writePullSecret(t, goodSecret)
	tests := []struct {
		failure string
		want    Kind
	}{
		{"pull-secret-invalid", KindPullSecretInvalid},
		{"memory", KindMemory},
		{"virtualization", KindVirtualization},
		{"bundle-mismatch", KindVersionMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.failure, func(t *testing.T) {
			f := newFake(t, fakeState{SetupDone: true, VM: "stopped", VMPreset: "openshift", StartFailure: tt.failure})
			_, err := f.client().Up(context.Background(), upOpts(openshiftSettings(ps), &recorder{}))
			if KindOf(err) != tt.want {
				t.Fatalf("Up = %v (kind %v), want %v", err, KindOf(err), tt.want)
			}
			var e *Error
			if !errors.As(err, &e) || e.Hint == "" {
				t.Errorf("error %#v lacks a hint", err)
			}
			if !strings.Contains(err.Error(), "\nFix: ") {
				t.Errorf("Error() has no Fix line: %q", err.Error())
			}
		})
	}
}

func TestUpTimeouts(t *testing.T) {
	ps := writePullSecret(t, goodSecret)
	tests := []struct {
		name string
		st   fakeState
	}{
		// crc start itself hangs: it is interrupted at the deadline.
		{"slow start", fakeState{SetupDone: true, VM: "stopped", VMPreset: "openshift", StartFailure: "slow", SlowSeconds: 60}},
		// crc start returns but the cluster never becomes ready.
		{"never ready", fakeState{SetupDone: true, VM: "stopped", VMPreset: "openshift", AfterStartPolls: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, tt.st)
			o := upOpts(openshiftSettings(ps), &recorder{})
			o.StartTimeout = 700 * time.Millisecond
			o.PollInterval = 20 * time.Millisecond
			_, err := f.client().Up(context.Background(), o)
			if KindOf(err) != KindStartTimeout {
				t.Fatalf("Up = %v (kind %v), want KindStartTimeout", err, KindOf(err))
			}
			if errors.Is(err, context.Canceled) {
				t.Error("a timeout must not look like Ctrl-C")
			}
		})
	}
}

func TestUpInterrupted(t *testing.T) {
	ps := writePullSecret(t, goodSecret)
	f := newFake(t, fakeState{SetupDone: true, VM: "stopped", VMPreset: "openshift", StartFailure: "slow", SlowSeconds: 60})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	_, err := f.client().Up(ctx, upOpts(openshiftSettings(ps), &recorder{}))
	if !errors.Is(err, context.Canceled) || KindOf(err) == KindStartTimeout {
		t.Fatalf("Up after Ctrl-C = %v, want context.Canceled", err)
	}
}

func TestUpDaemonComesUpAfterSetup(t *testing.T) {
	ps := writePullSecret(t, goodSecret)
	f := newFake(t, fakeState{})
	var rep recorder
	res, err := f.client().Up(context.Background(), upOpts(openshiftSettings(ps), &rep))
	if err != nil {
		t.Fatalf("Up: %v\n%s", err, rep.String())
	}
	if !res.SetupRan || !res.Status.Ready() {
		t.Errorf("UpResult = %+v", res)
	}
	if !strings.Contains(rep.String(), "crc daemon not reachable") {
		t.Errorf("output:\n%s", rep.String())
	}
}

func TestUpDaemonNeverComesUp(t *testing.T) {
	ps := writePullSecret(t, goodSecret)
	f := newFake(t, fakeState{DaemonDown: true})
	o := upOpts(openshiftSettings(ps), &recorder{})
	o.DaemonRetries = 3
	_, err := f.client().Up(context.Background(), o)
	if KindOf(err) != KindDaemonUnreachable || !strings.Contains(HintOf(err), "crc setup") {
		t.Fatalf("Up = %v (kind %v), want KindDaemonUnreachable", err, KindOf(err))
	}
	calls := f.read().Calls
	statuses := 0
	for _, c := range calls {
		if c == "status -o json" {
			statuses++
		}
	}
	if statuses != 4 || calls[len(calls)-1] != "status -o json" {
		t.Errorf("calls = %q, want the first status plus 3 tries and no start", calls)
	}
}
