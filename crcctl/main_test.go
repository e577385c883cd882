package crcctl

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// fakeCRC is the fake crc executable built for this test run.
var fakeCRC string

func TestMain(m *testing.M) {
	flag.Parse()
	dir, err := os.MkdirTemp("", "crcctl-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fakeCRC = filepath.Join(dir, "crc")
	if runtime.GOOS == "windows" {
		fakeCRC += ".exe"
	}
	cmd := exec.Command("go", "build", "-o", fakeCRC, "./testdata/fakecrc")
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building the fake crc:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// fakeState is the fake crc's world (testdata/fakecrc).
type fakeState struct {
	Version          string            `json:"version,omitempty"`
	OpenShiftVersion string            `json:"openshiftVersion,omitempty"`
	SetupDone        bool              `json:"setupDone"`
	VM               string            `json:"vm,omitempty"`
	VMPreset         string            `json:"vmPreset,omitempty"`
	StartingPolls    int               `json:"startingPolls"`
	AfterStartPolls  int               `json:"afterStartPolls"`
	Config           map[string]string `json:"config,omitempty"`
	StartFailure     string            `json:"startFailure,omitempty"`
	SetupFailure     string            `json:"setupFailure,omitempty"`
	SlowSeconds      int               `json:"slowSeconds,omitempty"`
	Password         string            `json:"password,omitempty"`
	DaemonDown       bool              `json:"daemonDown"`
	Hang             []string          `json:"hang,omitempty"`
	CacheCleared     bool              `json:"cacheCleared"`
	Calls            []string          `json:"calls"`
	LCAll            []string          `json:"lcAll"`
}

// fakePassword is what the fake crc returns as the kubeadmin password;
// it must never show up in anything crcctl produces.
const fakePassword = "kubeadmin-FAKE-Secret-Pw-12345"

// fake is one fake machine: a state file and a home directory.
type fake struct {
	t     *testing.T
	state string
	home  string
}

func newFake(t *testing.T, st fakeState) *fake {
	t.Helper()
	dir := t.TempDir()
	f := &fake{t: t, state: filepath.Join(dir, "state.json"), home: filepath.Join(dir, "home")}
	if err := os.MkdirAll(f.home, 0o755); err != nil {
		t.Fatal(err)
	}
	if st.VM == "" {
		st.VM = "none"
	}
	st.Password = fakePassword
	f.write(st)
	return f
}

func (f *fake) write(st fakeState) {
	f.t.Helper()
	data, err := json.Marshal(st)
	if err != nil {
		f.t.Fatal(err)
	}
	if err := os.WriteFile(f.state, data, 0o600); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fake) read() fakeState {
	f.t.Helper()
	var st fakeState
	data, err := os.ReadFile(f.state)
	if err != nil {
		f.t.Fatal(err)
	}
	if err := json.Unmarshal(data, &st); err != nil {
		f.t.Fatal(err)
	}
	return st
}

// env is the fake's environment: no LC_ALL, so the runner must add it.
func (f *fake) env() []string {
	return []string{"FAKECRC_STATE=" + f.state, "HOME=" + f.home, "USERPROFILE=" + f.home, "PATH=" + os.Getenv("PATH"), "LC_ALL=de_DE.UTF-8"}
}

func (f *fake) client() *Client {
	return New(&ExecRunner{Env: f.env()}, fakeCRC, nil)
}

// recorder is a Reporter (and Logger) that keeps every line.
type recorder struct {
	mu    sync.Mutex
	lines []string
}

func (r *recorder) Infof(format string, args ...any) { r.add("info: " + fmt.Sprintf(format, args...)) }
func (r *recorder) Warnf(format string, args ...any) { r.add("warn: " + fmt.Sprintf(format, args...)) }
func (r *recorder) Debugf(format string, args ...any) {
	r.add("debug: " + fmt.Sprintf(format, args...))
}

func (r *recorder) add(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines = append(r.lines, s)
}

func (r *recorder) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.lines, "\n")
}
