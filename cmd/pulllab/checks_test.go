package main

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// fakeNodeServer is a plain Kubernetes API server with one Ready amd64
// node "n1" and no lab namespaces, answering like a real one (empty lists,
// NotFound); it records every request that creates or changes something.
func fakeNodeServer(t *testing.T) (*httptest.Server, func() []string) {
	t.Helper()
	plain := fakeAPIServer(t, false)
	var mu sync.Mutex
	var writes []string
	notFound := func(w http.ResponseWriter) {
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"NotFound","code":404}`)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodPost, http.MethodPut, http.MethodPatch:
			mu.Lock()
			writes = append(writes, r.Method+" "+r.URL.Path)
			mu.Unlock()
		}
		w.Header().Set("Content-Type", "application/json")
		p := r.URL.Path
		switch {
		case p == "/api/v1/nodes/n1":
			fmt.Fprint(w, `{"kind":"Node","apiVersion":"v1","metadata":{"name":"n1"},"status":{"nodeInfo":{"architecture":"amd64"},"conditions":[{"type":"Ready","status":"True"}]}}`)
			return
		case r.Method == http.MethodGet && r.URL.Query().Get("watch") == "true":
			w.WriteHeader(http.StatusOK)
			w.(http.Flusher).Flush()
			<-r.Context().Done()
			return
		case r.Method == http.MethodGet && strings.HasPrefix(p, "/api/v1/namespaces/") && strings.HasSuffix(p, "/pods"):
			fmt.Fprint(w, `{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"1"},"items":[]}`)
			return
		case r.Method == http.MethodGet && strings.HasPrefix(p, "/apis/apps/v1/namespaces/"):
			fmt.Fprint(w, `{"kind":"DeploymentList","apiVersion":"apps/v1","metadata":{"resourceVersion":"1"},"items":[]}`)
			return
		case strings.HasPrefix(p, "/api/v1/namespaces/"):
			notFound(w)
			return
		}
		forwardTo(w, r, plain.URL)
	}))
	t.Cleanup(srv.Close)
	return srv, func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), writes...) }
}

// baseWithout is a one-layer image laid out like WildFly's config
// (JBOSS_HOME, USER 1000) whose layer holds only dir, for arch.
func baseWithout(t *testing.T, dir, arch string) v1.Image {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: dir, Mode: 0o755}); err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil })
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.AppendLayers(empty.Image, l)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", arch
	cf.Config.User = "1000"
	cf.Config.Env = []string{"JBOSS_HOME=/opt/jboss/wildfly"}
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		t.Fatal(err)
	}
	return img
}

// TestVerifyPreRunChecks: a base image for another architecture, or one
// whose deployments directory is missing, stops verify with exit 2 and
// what to give, before anything in the cluster is changed; with
// --deployments-dir the directory check gives way.
func TestVerifyPreRunChecks(t *testing.T) {
	reg := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(reg.Close)
	host := strings.TrimPrefix(reg.URL, "http://")
	for ref, img := range map[string]v1.Image{
		"base/nodir:1": baseWithout(t, "opt/jboss/wildfly/", "amd64"),
		"base/arm:1":   baseWithout(t, "opt/jboss/wildfly/standalone/deployments/", "arm64"),
	} {
		tag, err := name.NewTag(host+"/"+ref, name.Insecure)
		if err != nil {
			t.Fatal(err)
		}
		if err := remote.Write(tag, img); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"missing deployments directory", []string{"--base-image", host + "/base/nodir:1"},
			[]string{"/opt/jboss/wildfly/standalone/deployments (from the image's variable JBOSS_HOME", "does not exist in the image", "in --deployments-dir"}},
		{"another architecture", []string{"--base-image", host + "/base/arm:1"},
			[]string{"built for linux/arm64, but the lab's node is linux/amd64"}},
		{"--deployments-dir relative", []string{"--base-image", host + "/base/nodir:1", "--deployments-dir", "deploy"},
			[]string{"--deployments-dir: want an absolute directory in the base image"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, writes := fakeNodeServer(t)
			kc := writeKubeconfig(t, srv.URL)
			args := append([]string{"verify", "--kubeconfig", kc, "--registry", host, "--node", "n1", "--debug-image", host + "/debug:1"}, tc.args...)
			code, _, stderr := runCmdForTest(t, args...)
			t.Log(stderr)
			if code != 2 {
				t.Errorf("exit %d, want 2; stderr:\n%s", code, stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
			if w := writes(); len(w) > 0 {
				t.Errorf("the cluster was changed before the checks failed: %q", w)
			}
		})
	}
}
