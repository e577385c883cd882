package site

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/pulllab/pulllab/lab"
)

type fakeWorkload struct {
	lab.Workload
	cleanErr error
	cleaned  int
}

func (w *fakeWorkload) EnsureNamespace(context.Context, bool) error { return nil }
func (w *fakeWorkload) Cleanup(context.Context) error               { w.cleaned++; return w.cleanErr }
func (w *fakeWorkload) DeleteNamespace(context.Context) error       { return nil }
func (w *fakeWorkload) Warm(context.Context, string) error          { return nil }
func (w *fakeWorkload) Deploy(context.Context, lab.Deployment) error {
	return nil
}
func (w *fakeWorkload) Observe(context.Context, lab.Deployment, time.Duration) (lab.Observation, error) {
	return lab.Observation{}, nil
}
func (w *fakeWorkload) Undeploy(context.Context, string) error { return nil }

type fakeNode struct {
	started, stopped int
	runtime          string
	runtimeErr       error
	images           []lab.NodeImage
}

func (n *fakeNode) Start(context.Context) error { n.started++; return nil }
func (n *fakeNode) StartShared(ctx context.Context) (bool, error) {
	return true, n.Start(ctx)
}
func (n *fakeNode) Stop(context.Context) error                      { n.stopped++; return nil }
func (n *fakeNode) Images(context.Context) ([]lab.NodeImage, error) { return n.images, nil }
func (n *fakeNode) Remove(context.Context, string) error            { return nil }
func (n *fakeNode) RuntimeVersion(context.Context) (string, error)  { return n.runtime, n.runtimeErr }

func testNode() *corev1.Node {
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "vm"}}
	n.Status.NodeInfo = corev1.NodeSystemInfo{KubeletVersion: "v1.34.4", ContainerRuntimeVersion: "containerd://1.6.20"}
	return n
}

func newTestSite(wl *fakeWorkload, picks *int) *Site {
	return New(Options{
		Namespace: "pulllab",
		PickNode: func(context.Context, string) (*corev1.Node, error) {
			*picks++
			return testNode(), nil
		},
		Workload: func(string, string) Workload { return wl },
	})
}

func TestSiteLifecycle(t *testing.T) {
	ctx := context.Background()
	wl, picks := &fakeWorkload{}, 0
	s := newTestSite(wl, &picks)
	if _, err := s.NodeImages(ctx); err == nil || !strings.Contains(err.Error(), "Prepare the backend first") {
		t.Errorf("NodeImages before Prepare: %v", err)
	}
	for i := 0; i < 2; i++ {
		if n, err := s.Node(ctx); err != nil || n.Name != "vm" {
			t.Fatalf("Node = %v, %v", n, err)
		}
	}
	if picks != 1 || s.Picked() != "vm" {
		t.Errorf("picked %d times, Picked %q; want once, vm", picks, s.Picked())
	}
	nc := &fakeNode{images: []lab.NodeImage{{ID: "x"}}}
	s.Use(wl, nc)
	if _, running := s.Running(); running {
		t.Error("running before StartNodeCache")
	}
	if err := s.StartNodeCache(ctx, "vm"); err != nil {
		t.Fatal(err)
	}
	if imgs, err := s.NodeImages(ctx); err != nil || len(imgs) != 1 {
		t.Errorf("NodeImages = %v, %v", imgs, err)
	}
	wl.cleanErr = errors.New("apiserver down")
	err := s.Cleanup(ctx, func(string) NodeOps { t.Error("stray used although a node cache exists"); return nil })
	if err == nil || !strings.Contains(err.Error(), `cleaning up namespace "pulllab": apiserver down`) || nc.stopped != 1 {
		t.Errorf("Cleanup = %v, stopped %d; want the workload error and the debug pod stopped", err, nc.stopped)
	}
	if _, err := s.NodeCache(); err == nil {
		t.Error("node cache still usable after Cleanup")
	}
}

func TestSiteCleanupRemovesAStrayDebugPod(t *testing.T) {
	wl, picks := &fakeWorkload{}, 0
	s := newTestSite(wl, &picks)
	stray := &fakeNode{}
	if err := s.Cleanup(context.Background(), func(string) NodeOps { return stray }); err != nil {
		t.Fatal(err)
	}
	if wl.cleaned != 1 || stray.stopped != 1 {
		t.Errorf("cleaned %d, stray stopped %d; want 1 and 1", wl.cleaned, stray.stopped)
	}
}

func TestCompleteEnvironment(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name        string
		nc          *fakeNode
		wantRuntime string
	}{
		{"crictl's version wins", &fakeNode{runtime: "containerd 1.6.20~ds1"}, "containerd 1.6.20~ds1"},
		{"the kubelet's view when crictl fails", &fakeNode{runtimeErr: errors.New("exec failed")}, "containerd 1.6.20"},
		{"the kubelet's view without a debug pod", nil, "containerd 1.6.20"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wl, picks := &fakeWorkload{}, 0
			s := newTestSite(wl, &picks)
			if tc.nc != nil {
				s.Use(wl, tc.nc)
				if err := s.StartNodeCache(ctx, "vm"); err != nil {
					t.Fatal(err)
				}
			}
			env, err := s.CompleteEnvironment(ctx, lab.Environment{KubernetesVersion: "v1.34.4"}, testNode())
			if err != nil {
				t.Fatal(err)
			}
			want := lab.Environment{
				KubernetesVersion: "v1.34.4", KubeletVersion: "v1.34.4", ContainerRuntime: tc.wantRuntime, Node: "vm",
				Namespace: "pulllab",
				EnsureSecretPulledImages: "off: inferred from the kubelet version; the node could not be read (the backend did not read the kubelet's configuration); " +
					"alpha, default off in Kubernetes 1.33 and 1.34 (upstream default; a distribution may set it otherwise)",
				KubeletImageCredentials: lab.InferKubeletImageCredentials("v1.34.4", KubeletNotRead),
			}
			if !reflect.DeepEqual(env, want) {
				t.Errorf("env = %+v\nwant  %+v", env, want)
			}
		})
	}
}

// The KEP-2535 state the backend read from the kubelet is kept, and the
// one-line summary follows it rather than the version.
func TestCompleteEnvironmentKeepsTheStateRead(t *testing.T) {
	wl, picks := &fakeWorkload{}, 0
	s := newTestSite(wl, &picks)
	read := &lab.KubeletImageCredentials{Gate: lab.GateOff, Source: lab.SourceConfigz, Detail: "featureGates sets KubeletEnsureSecretPulledImages explicitly"}
	n := testNode()
	n.Status.NodeInfo.KubeletVersion = "v1.36.1" // upstream default would be on
	env, err := s.CompleteEnvironment(context.Background(), lab.Environment{KubeletImageCredentials: read}, n)
	if err != nil {
		t.Fatal(err)
	}
	if env.KubeletImageCredentials != read {
		t.Errorf("KubeletImageCredentials = %+v, want the one read", env.KubeletImageCredentials)
	}
	if want := "off: read from the kubelet's configz; featureGates sets KubeletEnsureSecretPulledImages explicitly"; env.EnsureSecretPulledImages != want {
		t.Errorf("EnsureSecretPulledImages = %q, want %q", env.EnsureSecretPulledImages, want)
	}
}
