package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeAPIServer serves just enough discovery for connect: /version and the
// API group list, with or without OpenShift's image.openshift.io.
func fakeAPIServer(t *testing.T, openshift bool) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/version":
			fmt.Fprint(w, `{"major":"1","minor":"34","gitVersion":"v1.34.4"}`)
		case "/api":
			fmt.Fprint(w, `{"kind":"APIVersions","versions":["v1"]}`)
		case "/apis":
			groups := `{"name":"apps","versions":[{"groupVersion":"apps/v1","version":"v1"}],"preferredVersion":{"groupVersion":"apps/v1","version":"v1"}}`
			if openshift {
				groups += `,{"name":"image.openshift.io","versions":[{"groupVersion":"image.openshift.io/v1","version":"v1"}],"preferredVersion":{"groupVersion":"image.openshift.io/v1","version":"v1"}}`
				groups += `,{"name":"build.openshift.io","versions":[{"groupVersion":"build.openshift.io/v1","version":"v1"}],"preferredVersion":{"groupVersion":"build.openshift.io/v1","version":"v1"}}`
			}
			fmt.Fprintf(w, `{"kind":"APIGroupList","apiVersion":"v1","groups":[%s]}`, groups)
		default:
			http.NotFound(w, r)
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

func TestConnectDetectsOpenShift(t *testing.T) {
	t.Parallel()
	for _, openshift := range []bool{false, true} {
		t.Run(fmt.Sprint("openshift=", openshift), func(t *testing.T) {
			g := newGlobals(streams{})
			g.kubeconfig = writeKubeconfig(t, fakeAPIServer(t, openshift).URL)
			c, err := g.connect(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if c.openshift != openshift {
				t.Errorf("openshift = %v, want %v", c.openshift, openshift)
			}
			if !strings.Contains(c.cfg.UserAgent, "pulllab/") {
				t.Errorf("user agent %q", c.cfg.UserAgent)
			}
		})
	}
}
