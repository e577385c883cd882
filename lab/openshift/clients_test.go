package openshift

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	buildv1 "github.com/openshift/api/build/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"

	"github.com/pulllab/pulllab/lab/node"
	"github.com/pulllab/pulllab/lab/workload"
)

// TestNewTalksToTheAPIServer checks the production wiring against a fake API
// server: pulllab's User-Agent, the typed clients' paths, and a build
// upload that outlives the configured client timeout.
func TestNewTalksToTheAPIServer(t *testing.T) {
	var mu sync.Mutex
	var agents, paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		agents = append(agents, r.UserAgent())
		paths = append(paths, r.Method+" "+r.URL.Path)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch {
		case strings.HasSuffix(r.URL.Path, "/instantiatebinary"):
			// The server holds the upload open until the build runs.
			time.Sleep(400 * time.Millisecond)
			w.WriteHeader(http.StatusCreated)
			_ = json.NewEncoder(w).Encode(&buildv1.Build{
				TypeMeta:   metav1.TypeMeta{APIVersion: "build.openshift.io/v1", Kind: "Build"},
				ObjectMeta: metav1.ObjectMeta{Name: "pulllab-node-1", Namespace: "lab"},
			})
		case strings.HasSuffix(r.URL.Path, "/imagestreams/slow"):
			time.Sleep(400 * time.Millisecond)
			fallthrough
		default:
			w.WriteHeader(http.StatusNotFound)
			_ = json.NewEncoder(w).Encode(&metav1.Status{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Status"},
				Status: metav1.StatusFailure, Reason: metav1.StatusReasonNotFound, Code: http.StatusNotFound})
		}
	}))
	defer srv.Close()

	cfg := &rest.Config{Host: srv.URL, Timeout: 100 * time.Millisecond}
	b, err := New(cfg, Options{Namespace: "lab"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.UserAgent != "" {
		t.Error("New changed the caller's rest.Config")
	}
	ctx := context.Background()
	d, err := b.AppDigest(ctx, "v1")
	if err != nil || d != "" {
		t.Fatalf("AppDigest = %q, %v; want nothing for an absent stream", d, err)
	}
	// The ordinary clients keep the caller's timeout...
	if _, err := b.c.Image.ImageStreams("lab").Get(ctx, "slow", metav1.GetOptions{}); err == nil {
		t.Error("a slow ordinary request did not time out; the test cannot tell the clients apart")
	}
	// ...the build upload has none.
	bd, err := b.instantiateBinary(ctx, "pulllab-node", "node.war", []byte("war"))
	if err != nil || bd.Name != "pulllab-node-1" {
		t.Fatalf("instantiateBinary = %v, %v", bd, err)
	}

	mu.Lock()
	defer mu.Unlock()
	for i, ua := range agents {
		if !strings.Contains(ua, "pulllab/") {
			t.Errorf("request %s has User-Agent %q", paths[i], ua)
		}
	}
	if paths[0] != "GET /apis/image.openshift.io/v1/namespaces/lab/imagestreams/custom-image-java" {
		t.Errorf("first request %q", paths[0])
	}

	if _, ok := b.c.Workload("lab", "crc").(*workload.Client); !ok {
		t.Error("the workload factory does not make lab/workload clients")
	}
	if _, ok := b.c.NodeCache("lab-debug", "crc", "img", nil).(*node.Cache); !ok {
		t.Error("the node cache factory does not make lab/node caches")
	}
}

func TestNewNeedsConfig(t *testing.T) {
	if _, err := New(nil, Options{}); err == nil {
		t.Fatal("New(nil) succeeded")
	}
	if _, err := New(&rest.Config{Host: "https://api.crc.testing:6443"}, Options{DebugImage: "::"}); err == nil {
		t.Fatal("New accepted a bad debug image")
	}
}
