package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// fakeAnnouncingServer is a plain Kubernetes API server whose
// kube-public/local-registry-hosting ConfigMap holds doc under the KEP-1755
// key (status is the HTTP status of that read when not 200).
func fakeAnnouncingServer(t *testing.T, doc string, status int) *httptest.Server {
	t.Helper()
	plain := fakeAPIServer(t, false)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1/namespaces/kube-public/configmaps/local-registry-hosting" {
			forwardTo(w, r, plain.URL)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		if status != http.StatusOK {
			w.WriteHeader(status)
			fmt.Fprintf(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","message":"configmaps \"local-registry-hosting\" is forbidden","reason":"Forbidden","code":%d}`, status)
			return
		}
		b, _ := json.Marshal(map[string]any{
			"kind": "ConfigMap", "apiVersion": "v1",
			"metadata": map[string]string{"name": "local-registry-hosting", "namespace": "kube-public"},
			"data":     map[string]string{"localRegistryHosting.v1": doc},
		})
		_, _ = w.Write(b)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// forwardTo answers r with what the server at base answers for the same
// path: the fake API servers that change one answer pass the rest on.
func forwardTo(w http.ResponseWriter, r *http.Request, base string) {
	resp, err := http.Get(base + r.URL.Path)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	w.Header().Set("Content-Type", resp.Header.Get("Content-Type"))
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, resp.Body)
}

// TestVerifyReadsTheAnnouncedRegistry: with no --registry, verify takes the
// registry from the cluster's announcement, and refuses (exit 2, before
// anything is changed) an announcement it cannot use.
func TestVerifyReadsTheAnnouncedRegistry(t *testing.T) {
	for _, tc := range []struct {
		name, doc string
		status    int
		args      []string
		want      string
	}{
		{name: "malformed", doc: "host: [\n", status: 200, want: "local-registry-hosting (key localRegistryHosting.v1) that announces the cluster's local registry cannot be used"},
		{name: "no host, help shown", doc: "help: https://kind.sigs.k8s.io/docs/user/local-registry/\n", status: 200, want: "https://kind.sigs.k8s.io/docs/user/local-registry/"},
		{name: "forbidden", status: http.StatusForbidden, want: "ask for get on configmaps in kube-public"},
		// Push and pull may differ: both are used and both are said.
		{name: "push and pull differ", doc: "host: localhost:5001\nhostFromContainerRuntime: kind-registry:5000\n", status: 200, args: []string{"--base-image", "UPPER/Case"}, want: "registry: pushing to localhost:5001, the node pulls it as kind-registry:5000, as the cluster announces it"},
		{name: "different paths", doc: "host: localhost:5001/a\nhostFromContainerRuntime: kind-registry:5000/b\n", status: 200, want: "name different repository paths"},
		{name: "--registry-pull without --registry", doc: "host: localhost:5001\n", status: 200, args: []string{"--registry-pull", "kind-registry:5000"}, want: "needs lab.registry too: give --registry HOST:PORT[/PREFIX]"},
		{name: "a bad --registry-pull", doc: "host: localhost:5001\n", status: 200, args: []string{"--registry", "localhost:5001", "--registry-pull", "kind-registry:5000/UPPER"}, want: "--registry-pull: \"kind-registry:5000/UPPER\" is not HOST:PORT[/prefix]"},
		{name: "flags override the ConfigMap and may split", doc: "host: localhost:5001\n", status: 200, args: []string{"--registry", "127.0.0.1:5000", "--registry-pull", "127.0.0.2:5000", "--base-image", "UPPER/Case"}, want: "registry: pushing to 127.0.0.1:5000, the node pulls it as 127.0.0.2:5000\n"},
		// The announced address is used: the backend then fails on the
		// bad base image, which proves the registry was accepted.
		{name: "announced registry is used", doc: "host: 127.0.0.1:5001\n", status: 200, args: []string{"--base-image", "UPPER/Case"}, want: "registry 127.0.0.1:5001, as the cluster announces it"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			kc := writeKubeconfig(t, fakeAnnouncingServer(t, tc.doc, tc.status).URL)
			code, _, stderr := runCmdForTest(t, append([]string{"verify", "--kubeconfig", kc}, tc.args...)...)
			t.Log(stderr)
			if code != 2 {
				t.Errorf("exit %d, want 2; stderr:\n%s", code, stderr)
			}
			if !strings.Contains(stderr, tc.want) {
				t.Errorf("stderr lacks %q:\n%s", tc.want, stderr)
			}
		})
	}
}
