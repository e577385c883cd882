package crcctl

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/crc-org/crc/v2/pkg/crc/machine/state"
	"github.com/crc-org/crc/v2/pkg/crc/preset"
)

func writePullSecret(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "pull-secret.json")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

const goodSecret = `{"auths":{"registry.redhat.io":{"auth":"dXNlcjpUT1BTRUNSRVQ="},"registry.example.com":{"auth":"eDp5"}}}`

func openshiftSettings(ps string) Settings {
	return Settings{Preset: preset.OpenShift, CPUs: 4, MemoryMiB: 10752, DiskGiB: 31, PullSecretFile: ps, ConsentTelemetry: "no", DisableUpdateCheck: true}
}

func TestClientVersionAndLocale(t *testing.T) {
	// Each profile of the fake replays one release's `crc version -o json`.
	for _, want := range []*Version{
		{Version: "2.65.0", Commit: "c65a0e", OpenShiftVersion: "5.0.0", MicroShiftVersion: "5.0.0"},
		{Version: "2.60.1", Commit: "701ff9", OpenShiftVersion: "4.21.8", MicroShiftVersion: "4.21.0"},
	} {
		t.Run(want.Version, func(t *testing.T) {
			f := newFake(t, fakeState{Version: want.Version})
			v, err := f.client().Version(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(v, want) {
				t.Errorf("Version = %+v, want %+v", v, want)
			}
			if got := f.read().LCAll; len(got) != 1 || got[0] != "C" {
				t.Errorf("crc saw LC_ALL %q, want C", got)
			}
		})
	}
}

func TestClientStatus(t *testing.T) {
	tests := []struct {
		name     string
		st       fakeState
		wantKind Kind
		wantVM   state.State
		wantOS   state.State
	}{
		{"setup not done", fakeState{}, KindDaemonUnreachable, "", ""},
		{"no VM", fakeState{SetupDone: true}, KindVMMissing, "", ""},
		{"stopped", fakeState{SetupDone: true, VM: "stopped", VMPreset: "openshift"}, KindOther, state.Stopped, state.Stopped},
		{"starting", fakeState{SetupDone: true, VM: "running", VMPreset: "openshift", StartingPolls: 1}, KindOther, state.Running, state.Starting},
		{"running", fakeState{SetupDone: true, VM: "running", VMPreset: "openshift"}, KindOther, state.Running, state.Running},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, tt.st)
			st, err := f.client().Status(context.Background())
			if tt.wantKind != KindOther {
				if KindOf(err) != tt.wantKind {
					t.Fatalf("Status error = %v (kind %v), want kind %v", err, KindOf(err), tt.wantKind)
				}
				if HintOf(err) == "" {
					t.Errorf("error %q has no hint", err)
				}
				if strings.HasSuffix(err.Error(), "\n") {
					t.Errorf("error keeps crc's trailing newline: %q", err.Error())
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if st.CRCStatus != tt.wantVM || st.OpenShiftStatus != tt.wantOS {
				t.Errorf("Status = %s/%s, want %s/%s", st.CRCStatus, st.OpenShiftStatus, tt.wantVM, tt.wantOS)
			}
			if tt.wantVM == state.Running && (st.DiskSize == 0 || st.RAMSize == 0 || st.Preset != preset.OpenShift) {
				t.Errorf("running status lacks sizes or preset: %+v", st)
			}
		})
	}
}

func TestClientConfig(t *testing.T) {
	f := newFake(t, fakeState{Config: map[string]string{"memory": "12288", "consent-telemetry": "no"}})
	c := f.client()
	ctx := context.Background()
	got, err := c.ConfigView(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{"memory": "12288", "consent-telemetry": "no"}; !reflect.DeepEqual(got, want) {
		t.Errorf("ConfigView = %v, want %v", got, want)
	}
	if err := c.ConfigSet(ctx, KeyCPUs, "6"); err != nil {
		t.Fatal(err)
	}
	err = c.ConfigSet(ctx, KeyMemory, "8192")
	if KindOf(err) != KindMemory || !strings.Contains(err.Error(), "requires memory in MiB >= 10752") {
		t.Errorf("ConfigSet memory 8192 = %v (kind %v), want KindMemory with crc's message", err, KindOf(err))
	}
	var re *RunError
	if !errors.As(err, &re) || re.ExitCode != 1 || !strings.Contains(re.Detail(), "config set memory 8192") {
		t.Errorf("error does not carry the run detail: %#v", err)
	}
	if got := f.read().Config["cpus"]; got != "6" {
		t.Errorf("cpus = %q after set", got)
	}
}

func TestClientSetupNeeded(t *testing.T) {
	for _, done := range []bool{false, true} {
		f := newFake(t, fakeState{SetupDone: done})
		needed, err := f.client().SetupNeeded(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if needed == done {
			t.Errorf("setup done=%v: SetupNeeded = %v", done, needed)
		}
	}
}

func TestClientSetupReadsJSONAfterTelemetryText(t *testing.T) {
	// With consent-telemetry unset, crc prints the question's text on
	// stdout before the JSON.
	f := newFake(t, fakeState{})
	var lines []string
	if err := f.client().Setup(context.Background(), func(l string) { lines = append(lines, l) }); err != nil {
		t.Fatal(err)
	}
	if len(lines) < 5 || !strings.HasPrefix(lines[0], "level=info msg=") {
		t.Errorf("progress lines = %q", lines)
	}
	if !f.read().SetupDone {
		t.Error("setup did not run")
	}
}

func TestClientSetupFailureInJSON(t *testing.T) {
	f := newFake(t, fakeState{SetupFailure: "virtualization"})
	err := f.client().Setup(context.Background(), nil)
	if KindOf(err) != KindVirtualization {
		t.Fatalf("Setup = %v, want KindVirtualization", err)
	}
}

func TestClientStartFailures(t *testing.T) {
	tests := []struct {
		failure  string
		st       fakeState
		wantKind Kind
		wantHint string
	}{
		{"pull-secret-invalid", fakeState{}, KindPullSecretInvalid, "console.redhat.com"},
		{"memory", fakeState{}, KindMemory, "10752"},
		{"virtualization", fakeState{}, KindVirtualization, "BIOS"},
		{"bundle-mismatch", fakeState{VM: "stopped"}, KindVersionMismatch, "`{delete-vm}`"},
		{"", fakeState{}, KindPullSecretMissing, "crc.pullSecretFile"},
		{"daemon", fakeState{SetupDone: false}, KindDaemonUnreachable, "crc setup"},
		{"memory-config", fakeState{Config: map[string]string{"memory": "8000"}}, KindMemory, "crc.memory"},
	}
	for _, tt := range tests {
		t.Run(tt.failure, func(t *testing.T) {
			st := tt.st
			if tt.failure != "daemon" {
				st.SetupDone = true
			}
			switch tt.failure {
			case "daemon", "memory-config":
			default:
				st.StartFailure = tt.failure
			}
			f := newFake(t, st)
			var out recorder
			r, err := f.client().Start(context.Background(), func(l string) { out.add(l) })
			if err == nil {
				t.Fatalf("Start succeeded: %+v", r)
			}
			if KindOf(err) != tt.wantKind {
				t.Fatalf("Start error = %q (kind %v), want kind %v", err, KindOf(err), tt.wantKind)
			}
			if !strings.Contains(HintOf(err), tt.wantHint) {
				t.Errorf("hint %q does not mention %q", HintOf(err), tt.wantHint)
			}
			if strings.Contains(err.Error(), "invalid character") {
				t.Errorf("error repeats the JSON parser's view of the secret: %q", err)
			}
		})
	}
}

func TestClientStartDropsCredentials(t *testing.T) {
	f := newFake(t, fakeState{SetupDone: true, VM: "running", VMPreset: "openshift"})
	var log recorder
	c := New(&ExecRunner{Env: f.env(), Log: &log}, fakeCRC, &log)
	r, err := c.Start(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.URL != "https://api.crc.testing:6443" || r.ClusterType != preset.OpenShift {
		t.Errorf("StartResult = %+v", r)
	}
	if strings.Contains(log.String(), fakePassword) {
		t.Errorf("the kubeadmin password reached the log:\n%s", log.String())
	}
}

func TestClientStopDelete(t *testing.T) {
	ctx := context.Background()
	f := newFake(t, fakeState{SetupDone: true, VM: "running", VMPreset: "openshift"})
	c := f.client()
	r, err := c.Stop(ctx)
	if err != nil || r.AlreadyStopped {
		t.Fatalf("Stop = %+v, %v", r, err)
	}
	r, err = c.Stop(ctx)
	if err != nil || !r.AlreadyStopped {
		t.Fatalf("second Stop = %+v, %v; want AlreadyStopped", r, err)
	}
	if err := c.Delete(ctx, true); err != nil {
		t.Fatal(err)
	}
	st := f.read()
	if st.VM != "none" || !st.CacheCleared {
		t.Errorf("after delete: vm=%s cacheCleared=%v", st.VM, st.CacheCleared)
	}
	if !strings.HasSuffix(st.Calls[len(st.Calls)-1], "delete -f -o json --clear-cache") {
		t.Errorf("last call = %q", st.Calls[len(st.Calls)-1])
	}
	if err := c.Delete(ctx, false); KindOf(err) != KindVMMissing {
		t.Errorf("Delete without a VM = %v, want KindVMMissing", err)
	}
	if _, err := c.Stop(ctx); KindOf(err) != KindVMMissing {
		t.Errorf("Stop without a VM = %v, want KindVMMissing", err)
	}
}

func TestClientMissingBinary(t *testing.T) {
	c := New(&ExecRunner{}, filepath.Join(t.TempDir(), "no-crc"), nil)
	_, err := c.Version(context.Background())
	if KindOf(err) != KindNotInstalled {
		t.Fatalf("Version with a missing binary = %v, want KindNotInstalled", err)
	}
}

func TestRunnerCancel(t *testing.T) {
	f := newFake(t, fakeState{SetupDone: true, StartFailure: "slow", SlowSeconds: 60})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	_, err := f.client().Start(ctx, nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Start after cancel = %v, want context.Canceled in the chain", err)
	}
}

func TestRunErrorDetail(t *testing.T) {
	e := &RunError{Argv: []string{"/opt/my crc/crc", "config", "set", "memory", "8192"}, ExitCode: 1, Stderr: []byte("level=error msg=\"bad\"\n"), Stdout: []byte("out\n"), Err: errors.New("exit status 1")}
	if got, want := e.Error(), "crc config set: exit code 1"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	d := e.Detail()
	for _, want := range []string{"command: '/opt/my crc/crc' config set memory 8192", "exit code: 1", `level=error msg="bad"`, "stdout:\nout"} {
		if !strings.Contains(d, want) {
			t.Errorf("Detail() = %q, missing %q", d, want)
		}
	}
}

func TestPrivateOutputNotKept(t *testing.T) {
	// A failing private command must not keep its stdout in the error.
	f := newFake(t, fakeState{})
	r := &ExecRunner{Env: f.env()}
	_, err := r.Run(context.Background(), Cmd{Argv: []string{fakeCRC, "no-such-command"}, Private: true})
	var re *RunError
	if !errors.As(err, &re) {
		t.Fatalf("err = %v, want *RunError", err)
	}
	if re.Stdout != nil {
		t.Errorf("private stdout kept: %q", re.Stdout)
	}
	if re.ExitCode != 1 || !strings.Contains(string(re.Stderr), "unknown command") {
		t.Errorf("RunError = %+v", re)
	}
}

func TestCommandName(t *testing.T) {
	tests := map[string][]string{
		"crc start":       {"/usr/bin/crc", "start", "-o", "json"},
		"crc config set":  {"crc", "config", "set", "cpus", "4"},
		"crc config view": {"crc", "config", "view", "--format", "x"},
		"crc setup":       {`C:\crc\crc.exe`, "setup", "--check-only"},
		"crc":             {"crc"},
		"command":         nil,
	}
	for want, argv := range tests {
		if got := commandName(argv); got != want {
			t.Errorf("commandName(%q) = %q, want %q", argv, got, want)
		}
	}
}

// TestClientHungCRC: a crc that never answers is stopped after the bound,
// with an error that names the command and the bound and says what to do;
// an interruption of a hung crc stays an interruption.
func TestClientHungCRC(t *testing.T) {
	const bound = 300 * time.Millisecond
	calls := []struct {
		sub  string
		op   string
		call func(context.Context, *Client) error
	}{
		{"version", "crc version", func(ctx context.Context, c *Client) error { _, err := c.Version(ctx); return err }},
		{"status", "crc status", func(ctx context.Context, c *Client) error { _, err := c.Status(ctx); return err }},
		{"config", "crc config view", func(ctx context.Context, c *Client) error { _, err := c.ConfigView(ctx); return err }},
		{"config", "crc config set cpus", func(ctx context.Context, c *Client) error { return c.ConfigSet(ctx, "cpus", "4") }},
	}
	for _, tc := range calls {
		t.Run(tc.op, func(t *testing.T) {
			f := newFake(t, fakeState{SetupDone: true, VM: "running", Hang: []string{tc.sub}})
			c := f.client()
			c.QueryTimeout = bound
			start := time.Now()
			err := tc.call(context.Background(), c)
			took := time.Since(start)
			if KindOf(err) != KindNoAnswer {
				t.Fatalf("%s on a hung crc = %v (kind %s), want %s", tc.op, err, KindOf(err), KindNoAnswer)
			}
			// The fake ends on the interrupt; the runner's kill delay (10 s)
			// is not needed.
			if took > 5*time.Second {
				t.Errorf("%s returned after %s, want about %s", tc.op, took, bound)
			}
			for _, want := range []string{tc.op + ": crc gave no answer within 300ms", "Fix: ", "crc status --log-level debug"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q lacks %q", err, want)
				}
			}
		})
	}
	t.Run("interrupted", func(t *testing.T) {
		f := newFake(t, fakeState{SetupDone: true, Hang: []string{"status"}})
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(200*time.Millisecond, cancel)
		_, err := f.client().Status(ctx)
		if !errors.Is(err, context.Canceled) || KindOf(err) == KindNoAnswer {
			t.Fatalf("Status interrupted = %v, want context.Canceled, not %s", err, KindNoAnswer)
		}
	})
	t.Run("default bound", func(t *testing.T) {
		if got := (&Client{}).queryTimeout(); got != DefaultQueryTimeout {
			t.Errorf("zero QueryTimeout means %s, want %s", got, DefaultQueryTimeout)
		}
	})
}
