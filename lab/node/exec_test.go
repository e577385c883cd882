package node

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/pulllab/pulllab/internal/kubeclient"
	"github.com/pulllab/pulllab/lab/workload"
)

// A real exec needs an API server and a kubelet that speak the WebSocket or
// SPDY streaming protocols, which no fake provides; the e2e tests cover it.
// Here an HTTP server that refuses the upgrade checks the request pulllab
// sends (path, container, argv, no stdin or tty) and that the WebSocket
// attempt falls back to SPDY, as kubectl's does.
func TestExecerRequest(t *testing.T) {
	var mu sync.Mutex
	var seen []*http.Request
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Clone(context.Background()))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write([]byte(`{"kind":"Status","apiVersion":"v1","status":"Failure","message":"pods \"p\" is forbidden: cannot exec","reason":"Forbidden","code":403}`))
	}))
	defer srv.Close()
	cfg := &rest.Config{Host: srv.URL}
	cs, err := kubeclient.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ex := NewExecer(cfg, cs)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, _, err = ex.Exec(ctx, "ns", "p", "container-00", []string{"chroot", "/host", "crictl", "images", "-o", "json"})
	if err == nil {
		t.Fatal("exec against a refusing server succeeded")
	}
	if !strings.Contains(err.Error(), "pod ns/p") {
		t.Errorf("err = %v, want it to name the pod", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) == 0 {
		t.Fatal("no request reached the server")
	}
	var methods []string
	for _, r := range seen {
		methods = append(methods, r.Method)
		if r.URL.Path != "/api/v1/namespaces/ns/pods/p/exec" {
			t.Errorf("path = %s", r.URL.Path)
		}
		q := r.URL.Query()
		if got := strings.Join(q["command"], " "); got != "chroot /host crictl images -o json" {
			t.Errorf("command = %q", got)
		}
		if q.Get("container") != "container-00" || q.Get("stdout") != "true" || q.Get("stderr") != "true" || q.Get("stdin") == "true" || q.Get("tty") == "true" {
			t.Errorf("query = %v", q)
		}
	}
	// The WebSocket GET is refused without an upgrade, so SPDY's POST follows.
	if got := strings.Join(methods, ","); got != "GET,POST" {
		t.Errorf("attempts = %s, want GET (WebSocket) then POST (SPDY)", got)
	}
}

func TestExecerNoCommand(t *testing.T) {
	cfg := &rest.Config{Host: "https://127.0.0.1:1"}
	cs, err := kubeclient.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := NewExecer(cfg, cs).Exec(context.Background(), "ns", "p", "c", nil); err == nil {
		t.Error("an empty command was accepted")
	}
}

func TestExitError(t *testing.T) {
	e := &ExitError{Argv: []string{"chroot", "/host", "crictl", "rmi", "x"}, Code: 1, Stderr: []byte("no such image x\n")}
	if got := e.Error(); got != "chroot /host crictl rmi x exited with code 1: no such image x" {
		t.Errorf("Error() = %q", got)
	}
}

// localExecer runs the crictl commands on this machine instead of in a
// pod: argv's "chroot /host crictl" prefix is replaced by PULLLAB_IT_CRICTL.
type localExecer struct{ crictl []string }

func (l localExecer) Exec(ctx context.Context, _, _, _ string, argv []string) ([]byte, []byte, error) {
	args := append(append([]string{}, l.crictl[1:]...), argv[3:]...)
	cmd := exec.CommandContext(ctx, l.crictl[0], args...)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return []byte(stdout.String()), []byte(stderr.String()), &ExitError{Argv: argv, Code: ee.ExitCode(), Stderr: []byte(stderr.String())}
	}
	return []byte(stdout.String()), []byte(stderr.String()), err
}

// TestIntegrationCrictl runs the cache's crictl commands against a real
// container runtime on this machine. Set PULLLAB_IT_CRICTL to the crictl
// command (e.g. "crictl --config /tmp/x/crictl.yaml") and
// PULLLAB_IT_LAB_REPO to a repository whose images may be removed; the test
// removes PULLLAB_IT_REF (an image in that repository) if the node has it.
func TestIntegrationCrictl(t *testing.T) {
	crictl := strings.Fields(os.Getenv("PULLLAB_IT_CRICTL"))
	repo, ref := os.Getenv("PULLLAB_IT_LAB_REPO"), os.Getenv("PULLLAB_IT_REF")
	if testing.Short() || len(crictl) == 0 || repo == "" {
		t.Skip("set PULLLAB_IT_CRICTL and PULLLAB_IT_LAB_REPO to run against a real runtime")
	}
	c := New(nil, localExecer{crictl}, Options{Node: "local", Repositories: []string{repo}})
	ctx := context.Background()
	v, err := c.RuntimeVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("runtime: %s", v)
	all, err := c.All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	mine, err := c.NodeImages(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d images, %d in %s", len(all), len(mine), repo)
	for _, img := range mine {
		if _, err := c.Inspect(ctx, img.ID); err != nil {
			t.Error(err)
		}
		t.Logf("%s %v %v removable: %v", img.ID, img.RepoTags, img.RepoDigests, CheckRemovable(img, []string{repo}))
	}
	if ref == "" {
		return
	}
	err = c.RemoveNodeImage(ctx, ref)
	t.Logf("Remove(%s): %v", ref, err)
	after, lerr := c.All(ctx)
	if lerr != nil {
		t.Fatal(lerr)
	}
	var still bool
	for _, img := range after {
		still = still || holds(img, ref)
	}
	if err == nil && still {
		t.Errorf("Remove returned nil but %s is still there", ref)
	}
	if err != nil && !still {
		t.Errorf("Remove failed (%v) but %s is gone", err, ref)
	}
}

// TestIntegrationNode starts the debug pod on a real cluster's node, in a
// privileged namespace of its own, lists the node's images and stops. It
// removes nothing. It needs PULLLAB_IT_KUBECONFIG and
// PULLLAB_IT_DEBUG_IMAGE (an image with sh, sleep and chroot), and crictl
// on the node.
func TestIntegrationNode(t *testing.T) {
	kubeconfig, image := os.Getenv("PULLLAB_IT_KUBECONFIG"), os.Getenv("PULLLAB_IT_DEBUG_IMAGE")
	if testing.Short() || kubeconfig == "" || image == "" {
		t.Skip("set PULLLAB_IT_KUBECONFIG and PULLLAB_IT_DEBUG_IMAGE to run against a real cluster")
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := kubeclient.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	n, err := workload.PickNode(ctx, cs, "")
	if err != nil {
		t.Fatal(err)
	}
	id := fmt.Sprintf("it%d", time.Now().Unix()%100000)
	ns := "pulllab-" + id + "-debug"
	w := workload.New(cs, workload.Options{Namespace: ns, LabID: id})
	if err := w.EnsureNamespace(ctx, true); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := w.DeleteNamespace(context.Background()); err != nil {
			t.Error(err)
		}
	}()
	c := New(cs, NewExecer(cfg, cs), Options{Namespace: ns, Node: n.Name, Image: image, LabID: id, Repositories: []string{"127.0.0.1:5000/pulllab-e2e/appserver"}})
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := c.Stop(context.Background()); err != nil {
			t.Error(err)
		}
	}()
	if err := c.Start(ctx); err != nil {
		t.Fatalf("second Start (reuse): %v", err)
	}
	v, err := c.RuntimeVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	all, err := c.All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	mine, err := c.NodeImages(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("runtime %s; %d images, %d in the test repository", v, len(all), len(mine))
	for _, img := range mine {
		info, err := c.Inspect(ctx, img.ID)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s %v labels %v", img.ID, img.RepoTags, info.Labels)
	}
	_, err = c.crictl(ctx, "rmi", "sha256:0000000000000000000000000000000000000000000000000000000000000000")
	var ee *ExitError
	if !errors.As(err, &ee) {
		t.Errorf("rmi of an absent image: %v, want an ExitError", err)
	} else {
		t.Logf("rmi of an absent image: code %d, stderr %q", ee.Code, ee.Stderr)
	}
}
