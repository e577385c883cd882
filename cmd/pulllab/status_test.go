package main

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pulllab/pulllab/internal/ui"
)

// TestStatusBoundsAndSaysWhatItCouldNotRead: with a crc that hangs, status
// returns within its bound and says which part it could not read; the lab
// section is never silently left out; a kubeconfig that does not exist is
// not printed as the one in use (issue 12, item 6).
func TestStatusBoundsAndSaysWhatItCouldNotRead(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the fake crc; skipped with -short")
	}
	fakeDir := t.TempDir()
	goBuild(t, "../../crcctl/testdata/fakecrc", filepath.Join(fakeDir, exe("crc")))
	old := statusCRCTimeout
	statusCRCTimeout = 300 * time.Millisecond
	t.Cleanup(func() { statusCRCTimeout = old })

	// A cluster address nothing listens on: connecting is refused at once.
	srv := httptest.NewServer(nil)
	deadURL := srv.URL
	srv.Close()

	type want struct {
		state, problem, kubeconfig, note, lab string
		version                               bool
	}
	tests := []struct {
		name       string
		state      map[string]any
		kubeconfig string // "dead": a kubeconfig for deadURL; "missing": a path that does not exist
		crcKube    bool   // crc's admin kubeconfig exists (pointing at deadURL)
		want       want
	}{
		{
			name:  "crc version hangs",
			state: map[string]any{"setupDone": true, "vm": "running", "hang": []string{"version"}},
			want: want{state: "NoAnswer", problem: "crc version: crc gave no answer within 300ms",
				note: "none found: `pulllab up` writes OpenShift Local's", lab: "no kubeconfig to reach the cluster with"},
		},
		{
			name:  "crc status hangs",
			state: map[string]any{"setupDone": true, "vm": "running", "hang": []string{"status"}},
			want: want{state: "NoAnswer", problem: "crc status: crc gave no answer within 300ms", version: true,
				note: "none found", lab: "no kubeconfig to reach the cluster with"},
		},
		{
			name:       "missing --kubeconfig",
			state:      map[string]any{"setupDone": true},
			kubeconfig: "missing",
			want:       want{state: "NoVM", version: true, note: "no such file; pass a kubeconfig that exists", lab: "no kubeconfig to reach the cluster with"},
		},
		{
			name:    "crc's kubeconfig, cluster down",
			state:   map[string]any{"setupDone": true, "vm": "running", "vmPreset": "openshift"},
			crcKube: true,
			want:    want{state: "Running", version: true, kubeconfig: "crc", lab: "nothing answers at " + deadURL},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			home := filepath.Join(dir, "home")
			state := filepath.Join(dir, "state.json")
			b, _ := json.Marshal(tt.state)
			writeConfigTestFile(t, state, string(b))
			t.Setenv("PATH", fakeDir)
			t.Setenv("FAKECRC_STATE", state)
			t.Setenv("HOME", home)
			kubeconfig := "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: " + deadURL +
				"\ncontexts:\n- name: c\n  context:\n    cluster: c\n    user: u\ncurrent-context: c\nusers:\n- name: u\n  user: {}\n"
			crcKube := filepath.Join(home, ".crc", "machines", "crc", "kubeconfig")
			if tt.crcKube {
				if err := os.MkdirAll(filepath.Dir(crcKube), 0o755); err != nil {
					t.Fatal(err)
				}
				writeConfigTestFile(t, crcKube, kubeconfig)
			}
			var out, errb bytes.Buffer
			g := newGlobals(streams{in: strings.NewReader(""), out: &out, err: &errb})
			g.status = ui.NewStatus(&errb, false, false)
			g.lookupEnv = func(string) (string, bool) { return "", false }
			if tt.kubeconfig == "missing" {
				g.kubeconfig = filepath.Join(dir, "no-such-kubeconfig")
			}
			start := time.Now()
			r, err := collectStatus(t.Context(), g.env())
			if took := time.Since(start); took > 10*time.Second {
				t.Errorf("status took %s with a hung crc", took)
			}
			if err != nil {
				t.Fatalf("collectStatus: %v", err)
			}
			if r.CRC.State != tt.want.state || !strings.Contains(r.CRC.Problem, tt.want.problem) || (r.CRC.Version != "") != tt.want.version {
				t.Errorf("crc section %+v, want state %s, problem with %q, version read %v", r.CRC, tt.want.state, tt.want.problem, tt.want.version)
			}
			if tt.want.state == "NoAnswer" && !strings.Contains(r.CRC.Fix, "crc status --log-level debug") {
				t.Errorf("no fix for a hung crc: %+v", r.CRC)
			}
			wantKube := map[string]string{"crc": crcKube}[tt.want.kubeconfig]
			if r.Kubeconfig != wantKube || !strings.Contains(r.KubeconfigNote, tt.want.note) || (r.Kubeconfig == "") == (r.KubeconfigNote == "") {
				t.Errorf("kubeconfig %q (note %q), want %q (note with %q)", r.Kubeconfig, r.KubeconfigNote, wantKube, tt.want.note)
			}
			if r.Lab != nil || !strings.Contains(r.LabProblem, tt.want.lab) {
				t.Errorf("lab %v, problem %q; want a problem with %q", r.Lab, r.LabProblem, tt.want.lab)
			}
			if err := r.writeText(&out); err != nil {
				t.Fatal(err)
			}
			text := out.String()
			for _, w := range []string{"Lab:        not read: " + r.LabProblem, "CRC:        " + r.CRC.State} {
				if !strings.Contains(text, w) {
					t.Errorf("text lacks %q:\n%s", w, text)
				}
			}
			if tt.kubeconfig == "missing" && strings.Contains(text, "Kubeconfig: "+g.kubeconfig+"\n") {
				t.Errorf("text names the missing kubeconfig as the one in use:\n%s", text)
			}
			if testing.Verbose() {
				t.Logf("text:\n%s", text)
			}
			if errb.Len() > 0 {
				t.Errorf("status wrote to stderr (everything belongs in the report): %q", errb.String())
			}
		})
	}
}
