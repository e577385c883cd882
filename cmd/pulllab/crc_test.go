package main

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ulikunitz/xz"

	"github.com/pulllab/pulllab/crcctl"
	"github.com/pulllab/pulllab/internal/config"
	"github.com/pulllab/pulllab/internal/ui"
)

// These tests run the built pulllab binary against the fake crc from
// crcctl/testdata/fakecrc, across real process boundaries.

const (
	fakePassword = "kubeadmin-FAKE-Secret-Pw-12345"
	secretAuth   = "cHVsbGxhYjpUT1AtU0VDUkVU"
	pullSecret   = `{"auths":{"registry.redhat.io":{"auth":"` + secretAuth + `"},"registry.example.com":{"auth":"eDp5"}}}`
)

type crcHarness struct {
	t       *testing.T
	pulllab string
	fakeDir string // holds the fake as "crc"
	fakeBin string
}

func exe(name string) string {
	if runtime.GOOS == "windows" {
		return name + ".exe"
	}
	return name
}

func goBuild(t *testing.T, pkg, out string) {
	t.Helper()
	cmd := exec.Command("go", "build", "-o", out, pkg)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, b)
	}
}

func newCRCHarness(t *testing.T) *crcHarness {
	dir := t.TempDir()
	h := &crcHarness{t: t, pulllab: pulllabBinary(t), fakeDir: filepath.Join(dir, "fake")}
	h.fakeBin = filepath.Join(h.fakeDir, exe("crc"))
	goBuild(t, "../../crcctl/testdata/fakecrc", h.fakeBin)
	return h
}

// machine is one user's world: a home, a cache, the fake's state file.
type machine struct {
	h                 *crcHarness
	dir, home, cache  string
	state, pullSecret string
	withCRC           bool
	extraEnv          []string
}

func (h *crcHarness) machine(t *testing.T, st map[string]any, withCRC bool) *machine {
	dir := t.TempDir()
	m := &machine{h: h, dir: dir, home: filepath.Join(dir, "home"), cache: filepath.Join(dir, "cache"), state: filepath.Join(dir, "state.json"), pullSecret: filepath.Join(dir, "pull-secret.json"), withCRC: withCRC}
	for _, d := range []string{m.home, m.cache} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(m.pullSecret, []byte(pullSecret), 0o600); err != nil {
		t.Fatal(err)
	}
	if st != nil {
		m.writeState(st)
	}
	return m
}

func (m *machine) writeState(st map[string]any) {
	b, _ := json.Marshal(st)
	if err := os.WriteFile(m.state, b, 0o600); err != nil {
		m.h.t.Fatal(err)
	}
}

func (m *machine) readState(t *testing.T) map[string]any {
	t.Helper()
	b, err := os.ReadFile(m.state)
	if err != nil {
		return nil
	}
	var st map[string]any
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	return st
}

func (m *machine) calls(t *testing.T) []string {
	var out []string
	if st := m.readState(t); st != nil {
		if cs, ok := st["calls"].([]any); ok {
			for _, c := range cs {
				out = append(out, c.(string))
			}
		}
	}
	return out
}

type result struct {
	stdout, stderr string
	code           int
	elapsed        time.Duration
}

// run runs pulllab in m's world, from m.dir, with stdin not a terminal.
func (m *machine) run(t *testing.T, args ...string) result {
	t.Helper()
	path := filepath.Join(m.dir, "empty-bin")
	if m.withCRC {
		path = m.h.fakeDir
	}
	cmd := exec.Command(m.h.pulllab, args...)
	cmd.Dir = m.dir
	cmd.Env = append([]string{
		"PATH=" + path, "HOME=" + m.home, "USERPROFILE=" + m.home,
		"XDG_CACHE_HOME=" + m.cache, "LOCALAPPDATA=" + m.cache,
		"FAKECRC_STATE=" + m.state,
	}, m.extraEnv...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String(), elapsed: time.Since(start)}
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("running pulllab: %v", err)
		}
		r.code = ee.ExitCode()
	}
	m.assertNoSecrets(t, r)
	return r
}

// assertNoSecrets checks stdout, stderr and pulllab's debug log.
func (m *machine) assertNoSecrets(t *testing.T, r result) {
	t.Helper()
	logs, _ := filepath.Glob(filepath.Join(m.cache, "pulllab", "*.log*"))
	texts := map[string]string{"stdout": r.stdout, "stderr": r.stderr}
	for _, l := range logs {
		b, _ := os.ReadFile(l)
		texts[l] = string(b)
	}
	for where, text := range texts {
		for _, secret := range []string{fakePassword, secretAuth} {
			if strings.Contains(text, secret) {
				t.Errorf("secret %q appears in %s:\n%s", secret, where, text)
			}
		}
	}
}

// crcProfile is a crc release the fake crc plays, with what it ships.
type crcProfile struct {
	crc, openshift, microshift, okd, socket string
}

// crcProfiles are tested across the process boundary: today's crc and the
// previous default.
var crcProfiles = []crcProfile{
	{crc: "2.65.0", openshift: "5.0.0", microshift: "5.0.0", okd: "5.0.0-okd-scos.4", socket: ".crc/sockets/crc-http.sock"},
	{crc: "2.60.1", openshift: "4.21.8", microshift: "4.21.0", okd: "4.21.0-okd-scos.8", socket: ".crc/crc-http.sock"},
}

// with returns st playing profile p.
func (p crcProfile) with(st map[string]any) map[string]any {
	st["version"] = p.crc
	return st
}

func stoppedVM(extra map[string]any) map[string]any {
	st := map[string]any{"setupDone": true, "vm": "stopped", "vmPreset": "openshift", "afterStartPolls": 1,
		"config": map[string]string{"consent-telemetry": "no", "disable-update-check": "true"}}
	for k, v := range extra {
		st[k] = v
	}
	return st
}

func TestCRCCommands(t *testing.T) {
	// Every pulllab and crc here is a subprocess with its own environment
	// and directories, so the test can run beside the other parallel ones.
	t.Parallel()
	h := newCRCHarness(t)

	for _, p := range crcProfiles {
		t.Run("crc "+p.crc+" up from stopped to running, then already running", func(t *testing.T) {
			m := h.machine(t, p.with(stoppedVM(nil)), true)
			r := m.run(t, "-v", "up", "--until", "crc", "--pull-secret", "pull-secret.json")
			if r.code != 0 {
				t.Fatalf("exit %d\n%s", r.code, r.stderr)
			}
			for _, want := range []string{
				"Ensuring OpenShift Local (CRC) is running",
				"crc " + p.crc + " at " + h.fakeBin + " (OpenShift " + p.openshift + ", MicroShift " + p.microshift + ")",
				"Starting CRC VM for openshift " + p.openshift + "...",
				"waiting: VM Running, OpenShift Starting",
				"OpenShift " + p.openshift + " is running",
				"running " + h.fakeBin + " start -o json",
			} {
				if !strings.Contains(r.stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
				}
			}
			if r.stdout != "" {
				t.Errorf("up wrote to stdout: %q", r.stdout)
			}
			st := m.readState(t)
			if st["vm"] != "running" {
				t.Fatalf("VM = %v", st["vm"])
			}
			if got := st["config"].(map[string]any)["pull-secret-file"]; got != m.pullSecret {
				t.Errorf("crc got pull-secret-file %v, want the absolute %s", got, m.pullSecret)
			}

			before := len(m.calls(t))
			r = m.run(t, "up", "--until", "crc")
			if r.code != 0 || !strings.Contains(r.stderr, "already running (OpenShift "+p.openshift+")") {
				t.Fatalf("second up: exit %d\n%s", r.code, r.stderr)
			}
			t.Logf("pulllab up --until crc on a running fake crc %s: %s", p.crc, r.elapsed)
			if got := m.calls(t)[before:]; strings.Join(got, ",") != "version -o json,status -o json" {
				t.Errorf("already running made crc calls %q", got)
			}
			// Without --until, up goes on to the cluster step: the fake's
			// kubeconfig points at a closed loopback port, so it stops there
			// with a clear error (exit 2) after the crc step succeeded.
			r = m.run(t, "up")
			if r.code != 2 || !strings.Contains(r.stderr, "nothing answers at https://127.0.0.1:1 (connection refused)") {
				t.Errorf("plain up: exit %d\n%s", r.code, r.stderr)
			}
			if r = m.run(t, "up", "--until", "nosuchstep"); r.code != 2 || !strings.Contains(r.stderr, "nosuchstep") {
				t.Errorf("--until nosuchstep: exit %d\n%s", r.code, r.stderr)
			}
		})
	}

	t.Run("settings sources", func(t *testing.T) {
		memory := func(m *machine) any {
			return m.readState(t)["config"].(map[string]any)["memory"]
		}
		// crc's own setting survives when pulllab is given none.
		m := h.machine(t, stoppedVM(map[string]any{"config": map[string]string{"memory": "16384", "consent-telemetry": "yes", "disable-update-check": "true"}}), true)
		if r := m.run(t, "up", "--until", "crc", "--pull-secret", m.pullSecret); r.code != 0 {
			t.Fatalf("exit %d\n%s", r.code, r.stderr)
		}
		if got := memory(m); got != "16384" {
			t.Errorf("memory = %v, want crc's 16384 kept", got)
		}
		if got := m.readState(t)["config"].(map[string]any)["consent-telemetry"]; got != "yes" {
			t.Errorf("consent-telemetry = %v, want the user's yes kept", got)
		}
		// The environment and pulllab.yaml (with a path relative to it).
		m = h.machine(t, stoppedVM(nil), true)
		m.extraEnv = []string{"PULLLAB_MEMORY=12288"}
		os.WriteFile(filepath.Join(m.dir, "pulllab.yaml"), []byte("crc:\n  pullSecretFile: pull-secret.json\n  memory: 14336\n"), 0o644)
		if r := m.run(t, "up", "--until", "crc"); r.code != 0 {
			t.Fatalf("exit %d\n%s", r.code, r.stderr)
		}
		if got := memory(m); got != "12288" {
			t.Errorf("memory = %v, want 12288 from PULLLAB_MEMORY over pulllab.yaml", got)
		}
		if got := m.readState(t)["config"].(map[string]any)["pull-secret-file"]; got != m.pullSecret {
			t.Errorf("pull-secret-file = %v, want %s", got, m.pullSecret)
		}
	})

	t.Run("failure kinds exit 2 with a fix", func(t *testing.T) {
		tests := []struct {
			failure string
			args    []string
			want    []string
		}{
			{"pull-secret-invalid", nil, []string{"crc rejected the pull secret", "Fix: ", "console.redhat.com"}},
			{"memory", nil, []string{"crc requires at least 11.27GB to run", "Fix: ", "10752"}},
			{"virtualization", nil, []string{"You need to enable virtualization in BIOS", "Fix: ", "BIOS/UEFI"}},
			{"bundle-mismatch", nil, []string{"was requested, but the existing VM is using", "Fix: ", "pulllab down --delete --yes"}},
			{"slow", []string{"--start-timeout", "1s"}, []string{"OpenShift Local was not running after 1s", "Fix: ", "crc.log"}},
		}
		for _, tt := range tests {
			t.Run(tt.failure, func(t *testing.T) {
				m := h.machine(t, stoppedVM(map[string]any{"startFailure": tt.failure, "slowSeconds": 60}), true)
				r := m.run(t, append([]string{"up", "--until", "crc", "--pull-secret", m.pullSecret}, tt.args...)...)
				if r.code != 2 {
					t.Fatalf("exit %d, want 2\n%s", r.code, r.stderr)
				}
				for _, w := range tt.want {
					if !strings.Contains(r.stderr, w) {
						t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
					}
				}
				if strings.Contains(r.stderr, "invalid character") {
					t.Errorf("pull secret parser detail shown:\n%s", r.stderr)
				}
			})
		}
	})

	t.Run("refused before touching anything", func(t *testing.T) {
		tests := []struct {
			args []string
			want string
		}{
			{[]string{"up", "--memory", "8192"}, "requires memory in MiB >= 10752"},
			{[]string{"up", "--cpus", "2"}, "requires CPUs >= 4"},
			{[]string{"up", "--preset", "okd", "--memory", "8192"}, "requires memory in MiB >= 10752 for preset okd"},
			{[]string{"up", "--preset", "ocp"}, `--preset: want one of openshift, okd, microshift, got "ocp"`},
			{[]string{"doctor", "--preset", "ocp"}, `want one of openshift, okd, microshift`},
			{[]string{"up", "--preset", "microshift"}, "preset microshift has no ImageStreams, builds or internal registry"},
			{[]string{"up", "--preset", "microshift", "--pull-secret", "pull-secret.json"}, "with --registry HOST:PORT and --base-image IMAGE"},
			{[]string{"up", "--disk-size", "30"}, "requires disk size in GiB >= 31"},
			{[]string{"up", "--until", "nope"}, `--until "nope" is not a step`},
			{[]string{"up", "--consent-telemetry", "maybe"}, `want yes or no, got "maybe"`},
			{[]string{"up", "--start-timeout", "0s"}, "want a duration above 0"},
			{[]string{"up", "--pull-secret", "missing.json"}, "missing.json does not exist"},
			{[]string{"down", "--delete"}, "pass --yes"},
			{[]string{"down", "--clear-cache"}, "--clear-cache only goes with --delete"},
			{[]string{"env", "--shell", "tcsh"}, `"tcsh" is not a supported shell`},
			{[]string{"status", "-o", "xml"}, `-o "xml" is not a format`},
			{[]string{"doctor", "-o", "yaml"}, `-o "yaml" is not a format`},
		}
		for _, tt := range tests {
			t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
				m := h.machine(t, nil, true)
				r := m.run(t, tt.args...)
				if r.code != 2 || !strings.Contains(r.stderr, tt.want) {
					t.Errorf("exit %d, want 2 with %q:\n%s", r.code, tt.want, r.stderr)
				}
				if calls := m.calls(t); len(calls) != 0 {
					t.Errorf("crc was called: %q", calls)
				}
			})
		}
		m := h.machine(t, nil, true)
		bad := filepath.Join(m.dir, "bad.json")
		os.WriteFile(bad, []byte(`{"auths":{"registry.redhat.io":{"password":"`+secretAuth+`"}}}`), 0o600)
		if r := m.run(t, "up", "--pull-secret", bad); r.code != 2 || !strings.Contains(r.stderr, "neither 'auth' nor 'credsStore'") {
			t.Errorf("invalid pull secret: exit %d\n%s", r.code, r.stderr)
		}
	})

	t.Run("crc not installed", func(t *testing.T) {
		m := h.machine(t, nil, false)
		r := m.run(t, "up", "--pull-secret", m.pullSecret)
		if r.code != 2 || !strings.Contains(r.stderr, "crc was not found") || !strings.Contains(r.stderr, "--install-crc") {
			t.Errorf("exit %d\n%s", r.code, r.stderr)
		}
		if runtime.GOOS == "linux" && !strings.Contains(r.stderr, "https://mirror.openshift.com/pub/openshift-v4/clients/crc/2.65.0/crc-linux-") {
			t.Errorf("no download URL in:\n%s", r.stderr)
		}
		if r := m.run(t, "down", "--stop"); r.code != 0 || !strings.Contains(r.stderr, "no CRC VM to stop") {
			t.Errorf("down --stop without crc: exit %d\n%s", r.code, r.stderr)
		}
		r = m.run(t, "status", "-o", "json")
		var st statusReport
		if r.code != 0 || json.Unmarshal([]byte(r.stdout), &st) != nil || st.CRC.State != "NotInstalled" || st.CRC.Fix == "" {
			t.Errorf("status: exit %d %+v\n%s%s", r.code, st, r.stdout, r.stderr)
		}
	})

	t.Run("install-crc from a mirror", func(t *testing.T) {
		if runtime.GOOS != "linux" || (runtime.GOARCH != "amd64" && runtime.GOARCH != "arm64") {
			t.Skip("installs the Linux tarball")
		}
		// A small script standing in for the crc binary keeps the xz
		// compression in the test fast.
		bin := []byte("#!/bin/sh\nexec '" + h.fakeBin + "' \"$@\"\n")
		file := "crc-linux-" + runtime.GOARCH + ".tar.xz"
		archive := tarXZ(t, "crc-linux-2.65.0-"+runtime.GOARCH+"/crc", bin)
		sum := sha256.Sum256(archive)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch r.URL.Path {
			case "/crc/2.65.0/sha256sum.txt":
				fmt.Fprintf(w, "%s  %s\n", hex.EncodeToString(sum[:]), file)
			case "/crc/2.65.0/" + file:
				w.Header().Set("Content-Length", fmt.Sprint(len(archive)))
				w.Write(archive)
			default:
				http.NotFound(w, r)
			}
		}))
		defer srv.Close()
		m := h.machine(t, map[string]any{}, false)
		r := m.run(t, "up", "--until", "crc", "--install-crc", "--crc-mirror", srv.URL+"/crc", "--pull-secret", m.pullSecret)
		if r.code != 0 {
			t.Fatalf("exit %d\n%s", r.code, r.stderr)
		}
		for _, want := range []string{file + ": 100%", "verified the SHA-256 and installed crc 2.65.0", "OpenShift 5.0.0 is running"} {
			if !strings.Contains(r.stderr, want) {
				t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
			}
		}
		link := filepath.Join(m.home, ".crc", "bin", "crc")
		if target, err := os.Readlink(link); err != nil || !strings.HasSuffix(target, "crc-linux-2.65.0-"+runtime.GOARCH+"/crc") {
			t.Errorf("%s → %q, %v", link, target, err)
		}
		// Found there next time, without --install-crc.
		if r := m.run(t, "up", "--until", "crc"); r.code != 0 || !strings.Contains(r.stderr, "at "+link) {
			t.Errorf("second up: exit %d\n%s", r.code, r.stderr)
		}
	})

	for _, p := range crcProfiles {
		t.Run("crc "+p.crc+" status", func(t *testing.T) {
			tests := []struct {
				preset, kind, version string
			}{
				{"openshift", "OpenShift", p.openshift},
				{"okd", "OKD", p.okd},
				{"microshift", "MicroShift", p.microshift},
			}
			for _, tt := range tests {
				m := h.machine(t, p.with(map[string]any{"setupDone": true, "vm": "running", "vmPreset": tt.preset}), true)
				r := m.run(t, "status", "-o", "json")
				var st statusReport
				if r.code != 0 || json.Unmarshal([]byte(r.stdout), &st) != nil {
					t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
				}
				if st.CRC.State != "Running" || st.CRC.Version != p.crc || st.OpenShift == nil || st.OpenShift.Version != tt.version || st.OpenShift.Kind != tt.kind ||
					st.CRC.Preset != tt.preset || st.CRC.RAM == nil || st.CRC.RAM.Human != "6.5 GiB of 10.2 GiB" ||
					st.CRC.Ships["OpenShift"] != p.openshift || st.CRC.Ships["MicroShift"] != p.microshift {
					t.Errorf("%s: status = %+v %+v", tt.preset, st.CRC, st.OpenShift)
				}
				r = m.run(t, "status")
				for _, want := range []string{
					fmt.Sprintf("%-11s Running (%s)\n", tt.kind+":", tt.version),
					"Ships:      OpenShift " + p.openshift + ", MicroShift " + p.microshift + "\n",
					"Preset:     " + tt.preset + "\n",
					"Disk:       16.8 GiB of 29.8 GiB",
				} {
					if r.code != 0 || !strings.Contains(r.stdout, want) {
						t.Errorf("%s: text status lacks %q:\n%s", tt.preset, want, r.stdout)
					}
				}
				if tt.preset == "microshift" && !strings.Contains(r.stdout, "with --registry HOST:PORT and --base-image IMAGE") {
					t.Errorf("microshift status does not say what works there:\n%s", r.stdout)
				}
			}
			m := h.machine(t, p.with(map[string]any{"setupDone": true, "vm": "running", "vmPreset": "openshift"}), true)
			if r := m.run(t, "status", "-o", "yaml"); r.code != 0 || !strings.Contains(r.stdout, "state: Running") {
				t.Errorf("yaml status:\n%s", r.stdout)
			}
			m = h.machine(t, p.with(map[string]any{"setupDone": true}), true)
			if r := m.run(t, "status", "-o", "json"); r.code != 0 || !strings.Contains(r.stdout, `"state": "NoVM"`) {
				t.Errorf("no VM status:\n%s", r.stdout)
			}
		})
	}

	t.Run("env", func(t *testing.T) {
		m := h.machine(t, nil, true)
		oc := filepath.Join(m.home, ".crc", "bin", "oc")
		r := m.run(t, "env", "--shell", "bash")
		want := fmt.Sprintf("export PATH=%q\n# Run this command to configure your shell:\n# eval $(pulllab env --shell bash)\n", oc+":$PATH")
		if r.code != 0 || r.stdout != want {
			t.Errorf("env --shell bash = %q, want %q", r.stdout, want)
		}
		if !strings.Contains(r.stderr, "does not exist yet") {
			t.Errorf("no warning about the missing oc:\n%s", r.stderr)
		}
		r = m.run(t, "--kubeconfig", "kc", "env", "--shell", "fish")
		if !strings.Contains(r.stdout, fmt.Sprintf("set -gx KUBECONFIG %q\n", filepath.Join(m.dir, "kc"))) {
			t.Errorf("fish with kubeconfig:\n%s", r.stdout)
		}
		m.extraEnv = []string{"SHELL=/usr/bin/zsh"}
		if r := m.run(t, "env"); r.code != 0 || !strings.HasPrefix(r.stdout, "export PATH=") {
			t.Errorf("detected env:\n%s%s", r.stdout, r.stderr)
		}
	})

	t.Run("down", func(t *testing.T) {
		m := h.machine(t, map[string]any{"setupDone": true, "vm": "running", "vmPreset": "openshift"}, true)
		// This fake VM has neither a kubeconfig nor an API server:
		// removing the lab fails clearly.
		if r := m.run(t, "down"); r.code != 2 || !strings.Contains(r.stderr, "no kubeconfig found") {
			t.Errorf("down: exit %d\n%s", r.code, r.stderr)
		}
		if r := m.run(t, "down", "--stop"); r.code != 0 || m.readState(t)["vm"] != "stopped" {
			t.Errorf("down --stop: exit %d\n%s", r.code, r.stderr)
		}
		if r := m.run(t, "down", "--stop"); r.code != 0 || !strings.Contains(r.stderr, "already stopped") {
			t.Errorf("second down --stop: exit %d\n%s", r.code, r.stderr)
		}
		r := m.run(t, "down", "--delete", "--yes", "--clear-cache")
		st := m.readState(t)
		if r.code != 0 || st["vm"] != "none" || st["cacheCleared"] != true {
			t.Errorf("down --delete: exit %d %v\n%s", r.code, st, r.stderr)
		}
		if !strings.HasSuffix(m.calls(t)[len(m.calls(t))-1], "delete -f -o json --clear-cache") {
			t.Errorf("calls = %q", m.calls(t))
		}
		if r := m.run(t, "down", "--delete", "--yes"); r.code != 0 || !strings.Contains(r.stderr, "there was no CRC VM") {
			t.Errorf("delete without VM: exit %d\n%s", r.code, r.stderr)
		}
	})

	for _, p := range crcProfiles {
		t.Run("crc "+p.crc+" doctor", func(t *testing.T) {
			m := h.machine(t, p.with(map[string]any{"setupDone": true, "vm": "running", "vmPreset": "openshift"}), true)
			r := m.run(t, "doctor", "-o", "json", "--pull-secret", m.pullSecret)
			var rep doctorReport
			if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
				t.Fatalf("doctor -o json: %v\n%s%s", err, r.stdout, r.stderr)
			}
			// The host's own checks decide the code; it must match the report.
			if (r.code == 0) != rep.OK || (r.code != 0 && r.code != 2) {
				t.Errorf("exit %d with ok=%v", r.code, rep.OK)
			}
			byName := map[string]crcctl.Check{}
			for _, c := range rep.Checks {
				byName[c.Name] = c
			}
			wantCRC := crcctl.CheckOK
			if p.crc != config.DefaultCRCVersion {
				wantCRC = crcctl.CheckWarn // older than the release pulllab is tested with
			}
			if byName["crc"].Status != wantCRC || byName["pull secret"].Status != "ok" || byName["preset"].Status != "ok" || byName["crc VM"].Status != "ok" ||
				byName["cluster version"].Message != "OpenShift "+p.openshift+" (from the CRC VM)" || byName["CPUs"].Status == "" {
				t.Errorf("checks = %+v", byName)
			}
			if r := m.run(t, "doctor"); !regexp.MustCompile(`(?m)^ok +cluster version +OpenShift ` + regexp.QuoteMeta(p.openshift) + ` \(from the CRC VM\)$`).MatchString(r.stdout) {
				t.Errorf("text doctor:\n%s", r.stdout)
			}

			// okd: no pull secret needed, the base image said in one line.
			m = h.machine(t, p.with(map[string]any{"setupDone": true, "vm": "running", "vmPreset": "okd", "config": map[string]string{"preset": "okd"}}), true)
			r = m.run(t, "doctor", "-o", "json", "--preset", "okd")
			rep = doctorReport{}
			if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
				t.Fatalf("doctor --preset okd: %v\n%s%s", err, r.stdout, r.stderr)
			}
			byName = map[string]crcctl.Check{}
			for _, c := range rep.Checks {
				byName[c.Name] = c
			}
			if c := byName["pull secret"]; c.Status != crcctl.CheckOK || !strings.Contains(c.Message, "not needed for preset okd") {
				t.Errorf("okd pull secret check = %+v", c)
			}
			if c := byName["base image"]; c.Status != crcctl.CheckOK || !strings.Contains(c.Message, config.WildFlyS2IImage) || !strings.Contains(c.Message, "registry.redhat.io") {
				t.Errorf("okd base image check = %+v", c)
			}
			if c := byName["cluster version"]; c.Message != "OKD "+p.okd+" (from the CRC VM)" {
				t.Errorf("okd cluster version = %+v", c)
			}
			r = m.run(t, "doctor", "--preset", "okd", "--base-image", config.EAPBaseImage)
			if !regexp.MustCompile(`(?m)^warn +base image +preset okd: `).MatchString(r.stdout) || !strings.Contains(r.stdout, "needs your registry.redhat.io credentials") {
				t.Errorf("okd with the EAP image:\n%s", r.stdout)
			}

			// microshift: fails in one line that points to what works.
			m = h.machine(t, p.with(map[string]any{"setupDone": true}), true)
			r = m.run(t, "doctor", "--preset", "microshift")
			if r.code != 2 || !regexp.MustCompile(`(?m)^FAIL +preset +`+regexp.QuoteMeta(withSelf(crcctl.MicroShiftNote, selfCommand(m.h.pulllab)))+`$`).MatchString(r.stdout) || !strings.Contains(r.stdout, "with --registry HOST:PORT and --base-image IMAGE") ||
				!regexp.MustCompile(`cluster version +MicroShift `+regexp.QuoteMeta(p.microshift+" (from crc "+p.crc+")")).MatchString(r.stdout) {
				t.Errorf("doctor --preset microshift: exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}

			// No daemon: the socket of this release is named.
			m = h.machine(t, p.with(map[string]any{"setupDone": true, "daemonDown": true}), true)
			if r := m.run(t, "doctor"); !strings.Contains(r.stdout, "no socket at "+filepath.Join(m.home, p.socket)) {
				t.Errorf("doctor with the daemon down:\n%s", r.stdout)
			}
		})
	}

	for _, p := range crcProfiles {
		t.Run("crc "+p.crc+" up --preset okd without a pull secret", func(t *testing.T) {
			m := h.machine(t, p.with(map[string]any{"setupDone": true, "config": map[string]string{"consent-telemetry": "no", "disable-update-check": "true"}}), true)
			r := m.run(t, "up", "--until", "crc", "--preset", "okd")
			if r.code != 0 {
				t.Fatalf("exit %d\n%s", r.code, r.stderr)
			}
			for _, want := range []string{
				"crc config set preset okd",
				"Creating CRC VM for OKD " + p.okd + "...",
				"OKD " + p.okd + " is running",
				"preset okd: the cluster has no registry.redhat.io credentials",
				config.WildFlyS2IImage,
			} {
				if !strings.Contains(r.stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
				}
			}
			st := m.readState(t)
			if st["vm"] != "running" || st["vmPreset"] != "okd" {
				t.Errorf("fake VM = %v/%v", st["vm"], st["vmPreset"])
			}
			if _, set := st["config"].(map[string]any)["pull-secret-file"]; set {
				t.Errorf("a pull secret was configured for okd: %v", st["config"])
			}
			// The same machine with preset openshift: refused, the VM is okd.
			r = m.run(t, "up", "--until", "crc", "--preset", "openshift", "--pull-secret", m.pullSecret)
			if r.code != 0 && !(r.code == 2 && strings.Contains(r.stderr, "uses preset okd") && strings.Contains(r.stderr, "--preset okd")) {
				t.Errorf("openshift over an okd VM: exit %d\n%s", r.code, r.stderr)
			}
			if r.code == 0 {
				t.Errorf("openshift over a running okd VM was accepted:\n%s", r.stderr)
			}
			// An explicit EAP base image on okd: one warning line.
			r = m.run(t, "up", "--until", "crc", "--preset", "okd", "--base-image", config.EAPBaseImage)
			if r.code != 0 || !strings.Contains(r.stderr, "needs your registry.redhat.io credentials") {
				t.Errorf("okd with EAP: exit %d\n%s", r.code, r.stderr)
			}
		})
	}
}

func tarXZ(t *testing.T, name string, body []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	xw, err := xz.NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	tw := tar.NewWriter(xw)
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o755, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
		t.Fatal(err)
	}
	tw.Write(body)
	tw.Close()
	if err := xw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestProgressLines(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	p := newProgress(&buf, false, "crc.tar.xz")
	for done := int64(0); done <= 1000; done += 50 {
		p.update(done, 1000)
	}
	p.finish()
	lines := strings.Split(strings.TrimRight(buf.String(), "\n"), "\n")
	if len(lines) != 11 || lines[0] != "   crc.tar.xz: 0% (0 B of 1000 B)" || lines[10] != "   crc.tar.xz: 100% (1000 B of 1000 B)" {
		t.Errorf("plain progress:\n%s", buf.String())
	}

	buf.Reset()
	now := time.Unix(0, 0)
	p = newProgress(&buf, true, "crc.tar.xz")
	p.now = func() time.Time { now = now.Add(time.Second); return now }
	p.update(512, 1024)
	p.finish()
	if want := "\r   crc.tar.xz [===============>              ]  50% 512 B / 1.0 KiB\r\033[K"; buf.String() != want {
		t.Errorf("bar = %q, want %q", buf.String(), want)
	}
}

func TestConfirm(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]bool{"y\n": true, "YES\n": true, "n\n": false, "\n": false, "": false, "yes": true} {
		var errb bytes.Buffer
		g := &globals{streams: streams{in: strings.NewReader(in), out: &bytes.Buffer{}, err: &errb}}
		got, err := confirm(g.streams, "Delete? [y/N] ")
		if err != nil || got != want {
			t.Errorf("confirm(%q) = %v, %v; want %v", in, got, err, want)
		}
		if !strings.HasPrefix(errb.String(), "Delete? [y/N] ") {
			t.Errorf("question on stderr = %q", errb.String())
		}
	}
}

// TestVerifyBaseImage: verify (and status) build on the base image that fits the
// cluster's crc preset, from the setting or, with crc's own kubeconfig,
// from the VM that crc (the fake, across the process boundary) reports.
func TestVerifyBaseImage(t *testing.T) {
	h := newCRCHarness(t)
	const custom = "registry.example.com/app/server:1"
	tests := []struct {
		name       string
		openshift  bool
		vmPreset   string // the fake crc's VM; "" = no VM
		preset     string // --preset given; "" = default
		base       string // --base-image given; "" = default
		kubeconfig bool
		want       string
		line       string
	}{
		{"plain Kubernetes without a choice: WildFly", false, "okd", "okd", "", false, config.KubernetesBaseImage, "plain Kubernetes: the lab builds on the public WildFly image"},
		{"plain Kubernetes keeps the user's image", false, "", "", custom, false, custom, ""},
		{"okd setting: WildFly", true, "", "okd", "", false, config.WildFlyS2IImage, "preset okd: the cluster has no registry.redhat.io credentials"},
		{"okd setting with EAP chosen: warned", true, "", "okd", config.EAPBaseImage, false, config.EAPBaseImage, "needs your registry.redhat.io credentials"},
		{"okd setting with another image", true, "", "okd", custom, false, custom, custom},
		{"okd VM read from crc", true, "okd", "", "", false, config.WildFlyS2IImage, "WildFly S2I"},
		{"okd VM, but another kubeconfig", true, "okd", "", "", true, config.EAPBaseImage, ""},
		{"openshift VM", true, "openshift", "", "", false, config.EAPBaseImage, ""},
		{"no VM", true, "", "", "", false, config.EAPBaseImage, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := h.machine(t, map[string]any{"setupDone": true}, true)
			if tt.vmPreset != "" {
				m.writeState(map[string]any{"setupDone": true, "vm": "running", "vmPreset": tt.vmPreset})
			}
			t.Setenv("PATH", h.fakeDir)
			t.Setenv("FAKECRC_STATE", m.state)
			t.Setenv("HOME", m.home)
			var errb bytes.Buffer
			g := newGlobals(streams{in: strings.NewReader(""), out: &bytes.Buffer{}, err: &errb})
			g.status = ui.NewStatus(&errb, false, false)
			g.lookupEnv = func(string) (string, bool) { return "", false }
			if tt.preset != "" {
				if err := g.cfg.Override("crc.preset", tt.preset, config.FlagSource("preset")); err != nil {
					t.Fatal(err)
				}
			}
			if tt.base != "" {
				if err := g.cfg.Override("lab.baseImage", tt.base, config.FlagSource("base-image")); err != nil {
					t.Fatal(err)
				}
			}
			if tt.kubeconfig {
				g.kubeconfig = filepath.Join(m.dir, "kubeconfig")
			}
			if quiet := clusterBaseImage(t.Context(), g.env(), tt.openshift, g.cfg.Config.Lab.BaseImage, false); quiet.Image != tt.want || errb.Len() > 0 {
				t.Errorf("status's choice %s (said %q), want %s silently", quiet, errb.String(), tt.want)
			}
			got := clusterBaseImage(t.Context(), g.env(), tt.openshift, g.cfg.Config.Lab.BaseImage, true)
			if got.Image != tt.want {
				t.Errorf("base image %s, want %s", got.Image, tt.want)
			}
			if tt.line == "" && errb.Len() > 0 || tt.line != "" && !strings.Contains(errb.String(), tt.line) {
				t.Errorf("said %q, want a line with %q", errb.String(), tt.line)
			}
			if n := strings.Count(strings.TrimSpace(errb.String()), "\n"); n > 0 {
				t.Errorf("said %d lines, want one:\n%s", n+1, errb.String())
			}
			asked := slices.Contains(m.calls(t), "status -o json") // (asked once per call above)
			if wantAsk := tt.openshift && tt.preset == "" && !tt.kubeconfig; asked != wantAsk {
				t.Errorf("crc status asked = %v, want %v (calls %q)", asked, wantAsk, m.calls(t))
			}
		})
	}
}
