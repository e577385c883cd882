package kube

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/pulllab/pulllab/lab"
)

// deleteMode is how the test registry answers a manifest DELETE.
type deleteMode int

const (
	// deletesLikeDistribution: DELETE by digest removes the manifest and
	// every tag of the repository pointing at it (the distribution
	// registry, "docker-registry", with storage.delete.enabled).
	deletesLikeDistribution deleteMode = iota
	// deletesKeepTags: DELETE by digest removes only the digest; tags stay
	// until deleted themselves (go-containerregistry's in-memory registry).
	deletesKeepTags
	// deletesRefused: every DELETE gets 405 UNSUPPORTED (distribution
	// without storage.delete.enabled).
	deletesRefused
)

// testRegistry is an in-process OCI registry on a loopback httptest server.
type testRegistry struct {
	srv   *httptest.Server
	inner http.Handler
	mode  deleteMode
	host  string

	mu      sync.Mutex
	deletes []string // paths of DELETE requests that reached the handler
}

func newTestRegistry(t *testing.T, mode deleteMode) *testRegistry {
	t.Helper()
	r := &testRegistry{
		inner: registry.New(registry.Logger(log.New(io.Discard, "", 0))),
		mode:  mode,
	}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	r.host = strings.TrimPrefix(r.srv.URL, "http://")
	return r
}

func (r *testRegistry) serve(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodDelete {
		r.inner.ServeHTTP(w, req)
		return
	}
	r.mu.Lock()
	r.deletes = append(r.deletes, req.URL.Path)
	r.mu.Unlock()
	switch r.mode {
	case deletesRefused:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusMethodNotAllowed)
		fmt.Fprint(w, `{"errors":[{"code":"UNSUPPORTED","message":"The operation is unsupported."}]}`)
		return
	case deletesLikeDistribution:
		repo, ref, ok := splitManifestPath(req.URL.Path)
		if !ok {
			break
		}
		if !strings.HasPrefix(ref, "sha256:") {
			// distribution 2.x deletes manifests only.
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"errors":[{"code":"DIGEST_INVALID","message":"provided digest did not match uploaded content"}]}`)
			return
		}
		for _, tag := range r.tags(repo) {
			if r.digest(repo, tag) == ref {
				r.do(http.MethodDelete, "/v2/"+repo+"/manifests/"+tag)
			}
		}
	}
	r.inner.ServeHTTP(w, req)
}

// splitManifestPath splits /v2/<repo>/manifests/<ref>.
func splitManifestPath(p string) (repo, ref string, ok bool) {
	p = strings.TrimPrefix(p, "/v2/")
	i := strings.LastIndex(p, "/manifests/")
	if i < 0 {
		return "", "", false
	}
	return p[:i], p[i+len("/manifests/"):], true
}

func (r *testRegistry) do(method, path string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	r.inner.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
	return rec
}

func (r *testRegistry) tags(repo string) []string {
	rec := r.do(http.MethodGet, "/v2/"+repo+"/tags/list")
	var l struct{ Tags []string }
	_ = json.Unmarshal(rec.Body.Bytes(), &l)
	return l.Tags
}

func (r *testRegistry) digest(repo, ref string) string {
	rec := r.do(http.MethodHead, "/v2/"+repo+"/manifests/"+ref)
	if rec.Code != http.StatusOK {
		return ""
	}
	return rec.Header().Get("Docker-Content-Digest")
}

func (r *testRegistry) deleteCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.deletes)
}

// push writes img under ref (host-relative, e.g. "base/img:1").
func (r *testRegistry) push(t *testing.T, ref string, img v1.Image) string {
	t.Helper()
	tag, err := name.NewTag(r.host+"/"+ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(tag, img); err != nil {
		t.Fatalf("pushing %s: %v", tag, err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d.String()
}

// pushIndex writes an index under ref.
func (r *testRegistry) pushIndex(t *testing.T, ref string, idx v1.ImageIndex) string {
	t.Helper()
	tag, err := name.NewTag(r.host+"/"+ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.WriteIndex(tag, idx); err != nil {
		t.Fatalf("pushing %s: %v", tag, err)
	}
	d, err := idx.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d.String()
}

func randomImage(t *testing.T) v1.Image {
	t.Helper()
	img, err := random.Image(512, 2)
	if err != nil {
		t.Fatal(err)
	}
	// Like an S2I image: USER 185, an S2I label and /deployments.
	img = appendLayer(t, img, tarEntry{Name: "deployments/", Dir: true, Mode: 0o775, UID: 185})
	return withConfig(t, img, func(c *v1.Config) {
		c.User = "185"
		c.Labels = map[string]string{"io.openshift.s2i.scripts-url": "image:///usr/local/s2i"}
	})
}

// s2iLayout is what EnsureBase settles for randomImage.
var s2iLayout = WARLayout{Dir: "/deployments", User: "185", UID: 185}

// fakeCluster records every call, in order, in one journal.
type fakeCluster struct {
	mu      sync.Mutex
	calls   []string
	node    *corev1.Node
	pickErr error
	facts   lab.Environment
	// namespaces that exist
	namespaces map[string]bool
	// failures by call name, e.g. "cleanup pulllab"
	fail map[string]error
	// images the fake node holds
	images  []lab.NodeImage
	runtime string
	// secrets are the pull secrets' dockerconfigjson by namespace
	secrets map[string][]byte
}

func newFakeCluster(arch string) *fakeCluster {
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "node-1"}}
	n.Status.NodeInfo.Architecture = arch
	n.Status.NodeInfo.KubeletVersion = "v1.34.4"
	n.Status.NodeInfo.ContainerRuntimeVersion = "containerd://1.6.20"
	return &fakeCluster{
		node:       n,
		facts:      lab.Environment{KubernetesVersion: "v1.34.4", KubeletVersion: "v1.34.4", Node: "node-1", OSImage: "Debian GNU/Linux 12 (bookworm)"},
		namespaces: map[string]bool{},
		fail:       map[string]error{},
		runtime:    "containerd v1.6.20",
	}
}

func (f *fakeCluster) record(call string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, call)
	return f.fail[call]
}

func (f *fakeCluster) journal() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func (f *fakeCluster) PickNode(_ context.Context, name string) (*corev1.Node, error) {
	if err := f.record("pick " + name); err != nil {
		return nil, err
	}
	if f.pickErr != nil {
		return nil, f.pickErr
	}
	return f.node.DeepCopy(), nil
}

func (f *fakeCluster) Facts(_ context.Context, n *corev1.Node) (lab.Environment, error) {
	if err := f.record("facts " + n.Name); err != nil {
		return lab.Environment{}, err
	}
	return f.facts, nil
}

func (f *fakeCluster) NamespaceExists(_ context.Context, ns string) (bool, error) {
	if err := f.record("exists " + ns); err != nil {
		return false, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.namespaces[ns], nil
}

func (f *fakeCluster) Workload(ns, node string) Workload {
	return &fakeWorkload{f: f, ns: ns, node: node}
}

func (f *fakeCluster) NodeCache(ns, node string, repos []string) NodeOps {
	return &fakeNode{f: f, desc: fmt.Sprintf("%s/%s %s", ns, node, strings.Join(repos, ","))}
}

func (f *fakeCluster) EnsurePullSecret(_ context.Context, ns string, dockerconfig []byte) error {
	if dockerconfig == nil {
		return f.record("pull-secret " + ns + " none")
	}
	f.mu.Lock()
	if f.secrets == nil {
		f.secrets = map[string][]byte{}
	}
	f.secrets[ns] = dockerconfig
	f.mu.Unlock()
	return f.record("pull-secret " + ns)
}

type fakeWorkload struct {
	f        *fakeCluster
	ns, node string
}

func (w *fakeWorkload) Warm(_ context.Context, ref string) error {
	return w.f.record(fmt.Sprintf("warm %s@%s %s", w.ns, w.node, ref))
}

func (w *fakeWorkload) Deploy(_ context.Context, d lab.Deployment) error {
	return w.f.record(fmt.Sprintf("deploy %s@%s %s %s", w.ns, w.node, d.Name, d.Image))
}

func (w *fakeWorkload) Observe(_ context.Context, d lab.Deployment, timeout time.Duration) (lab.Observation, error) {
	if err := w.f.record(fmt.Sprintf("observe %s@%s %s %s", w.ns, w.node, d.Name, timeout)); err != nil {
		return lab.Observation{}, err
	}
	return lab.Observation{Pod: d.Name + "-1", Status: "Running"}, nil
}

func (w *fakeWorkload) Undeploy(_ context.Context, name string) error {
	return w.f.record(fmt.Sprintf("undeploy %s@%s %s", w.ns, w.node, name))
}

func (w *fakeWorkload) EnsureNamespace(_ context.Context, privileged bool) error {
	if err := w.f.record(fmt.Sprintf("ensure %s privileged=%v", w.ns, privileged)); err != nil {
		return err
	}
	w.f.mu.Lock()
	w.f.namespaces[w.ns] = true
	w.f.mu.Unlock()
	return nil
}

func (w *fakeWorkload) Cleanup(context.Context) error { return w.f.record("cleanup " + w.ns) }

func (w *fakeWorkload) DeleteNamespace(context.Context) error {
	if err := w.f.record("delete " + w.ns); err != nil {
		return err
	}
	w.f.mu.Lock()
	delete(w.f.namespaces, w.ns)
	w.f.mu.Unlock()
	return nil
}

type fakeNode struct {
	f    *fakeCluster
	desc string
}

func (n *fakeNode) Start(context.Context) error { return n.f.record("start " + n.desc) }

func (n *fakeNode) StartShared(ctx context.Context) (bool, error) { return true, n.Start(ctx) }
func (n *fakeNode) Stop(context.Context) error                    { return n.f.record("stop " + n.desc) }
func (n *fakeNode) NodeImages(context.Context) ([]lab.NodeImage, error) {
	if err := n.f.record("images"); err != nil {
		return nil, err
	}
	return n.f.images, nil
}
func (n *fakeNode) RemoveNodeImage(_ context.Context, ref string) error {
	return n.f.record("rmi " + ref)
}
func (n *fakeNode) RuntimeVersion(context.Context) (string, error) {
	if err := n.f.record("runtime"); err != nil {
		return "", err
	}
	return n.f.runtime, nil
}
