package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/pulllab/pulllab/lab/target"
)

// fakeAPIServer serves just enough discovery for connect: /version and the
// API group list, with or without OpenShift's image.openshift.io.
func fakeAPIServer(t *testing.T, openshift bool) *httptest.Server {
	t.Helper()
	if openshift {
		return fakeAPIServerWith(t, nil, "apps", "image.openshift.io", "build.openshift.io")
	}
	return fakeAPIServerWith(t, nil, "apps")
}

// fakeAPIServerWith serves /version and these API groups; every other
// request is answered 404 and, when it changes something (not GET, HEAD
// or LIST), recorded in *changes.
func fakeAPIServerWith(t *testing.T, changes *[]string, groups ...string) *httptest.Server {
	t.Helper()
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/version":
			fmt.Fprint(w, `{"major":"1","minor":"34","gitVersion":"v1.34.4"}`)
		case "/api":
			fmt.Fprint(w, `{"kind":"APIVersions","versions":["v1"]}`)
		case "/apis":
			var list []string
			for _, g := range groups {
				list = append(list, fmt.Sprintf(`{"name":%q,"versions":[{"groupVersion":"%s/v1","version":"v1"}],"preferredVersion":{"groupVersion":"%s/v1","version":"v1"}}`, g, g, g))
			}
			fmt.Fprintf(w, `{"kind":"APIGroupList","apiVersion":"v1","groups":[%s]}`, strings.Join(list, ","))
		default:
			if changes != nil && r.Method != http.MethodGet && r.Method != http.MethodHead {
				mu.Lock()
				*changes = append(*changes, r.Method+" "+r.URL.Path)
				mu.Unlock()
			}
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"NotFound","code":404}`)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func writeKubeconfig(t *testing.T, server string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kubeconfig")
	kc := fmt.Sprintf("apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: %q}\ncontexts:\n- name: c\n  context: {cluster: c, user: u}\ncurrent-context: c\nusers:\n- name: u\n  user: {token: not-a-real-token}\n", server)
	if err := os.WriteFile(path, []byte(kc), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestVerifyPicksTheBackend(t *testing.T) {
	plain := writeKubeconfig(t, fakeAPIServer(t, false).URL)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"plain Kubernetes needs a registry", []string{"verify", "--kubeconfig", plain}, "is plain Kubernetes, not OpenShift, and announces no local registry"},
		{"flags before the command too", []string{"--kubeconfig", plain, "verify"}, "--registry HOST:PORT"},
		{"unreachable cluster", []string{"verify", "--kubeconfig", writeKubeconfig(t, "https://127.0.0.1:1")}, "nothing answers at https://127.0.0.1:1 (connection refused)"},
		{"missing kubeconfig file", []string{"verify", "--kubeconfig", filepath.Join(t.TempDir(), "none")}, "none does not exist: pass --kubeconfig with a file that exists"},
		{"bad registry for the Kubernetes backend", []string{"verify", "--kubeconfig", plain, "--registry", "no_such host"}, "registry"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runCmdForTest(t, tc.args...)
			if code != 2 {
				t.Errorf("exit %d, want 2; stderr:\n%s", code, stderr)
			}
			if !strings.Contains(stderr, tc.want) {
				t.Errorf("stderr lacks %q:\n%s", tc.want, stderr)
			}
			if strings.Contains(stderr, "not-a-real-token") {
				t.Errorf("the token leaked into the output:\n%s", stderr)
			}
		})
	}
}

func TestConnectDetectsTheTarget(t *testing.T) {
	for _, tc := range []struct {
		groups []string
		want   target.Flavor
	}{
		{[]string{"apps"}, target.Kubernetes},
		{[]string{"apps", "image.openshift.io", "build.openshift.io", "route.openshift.io"}, target.OpenShift},
		{[]string{"apps", "route.openshift.io", "security.openshift.io"}, target.MicroShift},
	} {
		t.Run(string(tc.want), func(t *testing.T) {
			g := newGlobals(streams{})
			g.kubeconfig = writeKubeconfig(t, fakeAPIServerWith(t, nil, tc.groups...).URL)
			c, err := g.env().connect(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if c.Flavor != tc.want {
				t.Errorf("flavor = %q, want %q", c.Flavor, tc.want)
			}
			if !strings.Contains(c.Config.UserAgent, "pulllab/") {
				t.Errorf("user agent %q", c.Config.UserAgent)
			}
		})
	}
}

// TestMicroShiftNeedsARegistry: on MicroShift (and plain Kubernetes)
// without a registry, verify and up stop with what to give (exit 2)
// before they change anything on the cluster; up says in one line that
// it skips the crc step for a kubeconfig that is not CRC's.
func TestMicroShiftNeedsARegistry(t *testing.T) {
	for _, tc := range []struct {
		name   string
		groups []string
		args   []string
		want   []string
	}{
		{"verify on MicroShift", []string{"apps", "route.openshift.io", "security.openshift.io"}, []string{"verify"},
			[]string{"is MicroShift", "give --registry HOST:PORT", "--base-image and --debug-image", "nothing was changed"}},
		{"up on MicroShift", []string{"apps", "route.openshift.io"}, []string{"up"},
			[]string{"skipping the crc step: --kubeconfig", "is MicroShift", "give --registry HOST:PORT"}},
		{"up on plain Kubernetes", []string{"apps"}, []string{"up"},
			[]string{"skipping the crc step: --kubeconfig", "is plain Kubernetes, not OpenShift, and announces no local registry"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var changes []string
			kc := writeKubeconfig(t, fakeAPIServerWith(t, &changes, tc.groups...).URL)
			code, stdout, stderr := runCmdForTest(t, append(tc.args, "--kubeconfig", kc)...)
			if code != 2 {
				t.Errorf("exit %d, want 2; stderr:\n%s", code, stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
			if strings.Contains(stderr, "Ensuring OpenShift Local") || stdout != "" {
				t.Errorf("ran the crc step or printed on stdout %q:\n%s", stdout, stderr)
			}
			if len(changes) > 0 {
				t.Errorf("changed the cluster before refusing: %q", changes)
			}
		})
	}
}

// TestDownOnPlainKubernetes: down needs no registry to remove the lab,
// and a lab that is not there is removed without error (idempotent).
func TestDownOnPlainKubernetes(t *testing.T) {
	var changes []string
	kc := writeKubeconfig(t, fakeAPIServerWith(t, &changes, "apps").URL)
	code, _, stderr := runCmdForTest(t, "down", "--kubeconfig", kc)
	if code != 0 {
		t.Fatalf("exit %d, want 0; stderr:\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "Removing the lab pulllab from") {
		t.Errorf("stderr lacks the step line:\n%s", stderr)
	}
	if len(changes) > 0 {
		t.Errorf("down changed %q although no lab namespace exists", changes)
	}
}
