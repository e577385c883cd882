package workload

import (
	"context"
	"errors"
	"github.com/pulllab/pulllab/internal/golden"
	"path/filepath"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/version"
	fakediscovery "k8s.io/client-go/discovery/fake"
	k8stesting "k8s.io/client-go/testing"
	"sigs.k8s.io/yaml"

	"github.com/pulllab/pulllab/lab"
	"github.com/pulllab/pulllab/manifests"
)

func TestWarmupPodFor(t *testing.T) {
	c := newClient(newHarness(t))
	p, err := c.WarmupPodFor(appRef)
	if err != nil {
		t.Fatal(err)
	}
	out, err := yaml.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "warmup-pod.golden.yaml"), out)
	ctr := p.Spec.Containers[0]
	if ctr.Image != appRef || ctr.ImagePullPolicy != corev1.PullAlways || p.Spec.RestartPolicy != corev1.RestartPolicyNever ||
		p.Spec.NodeName != node || p.Labels[lab.LabelRole] != RoleWarmup || p.Labels[lab.LabelLabID] != labID || p.GenerateName == "" {
		t.Errorf("warm-up pod = %+v", p)
	}
}

// warmupPod waits for Warm's pod to appear and returns its name.
func warmupPod(t *testing.T, h *harness) string {
	t.Helper()
	h.waitWatch("pods")
	for _, p := range h.pods(ns) {
		if p.Labels[lab.LabelRole] == RoleWarmup {
			return p.Name
		}
	}
	t.Fatal("no warm-up pod")
	return ""
}

func TestWarm(t *testing.T) {
	tests := []struct {
		name    string
		state   corev1.ContainerState
		phase   corev1.PodPhase
		wantErr string
		pullErr bool
	}{
		{name: "running means pulled", state: running(t0)},
		{name: "terminated means pulled", state: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 1}}},
		{name: "a container that cannot be created was still pulled", state: waiting("CreateContainerError", "no command")},
		{name: "ImagePullBackOff", state: waiting("ImagePullBackOff", `Back-off pulling image "x": not found`), wantErr: "could not pull", pullErr: true},
		{name: "ErrImagePull fails at once", state: waiting("ErrImagePull", "manifest unknown"), wantErr: "manifest unknown", pullErr: true},
		{name: "InvalidImageName", state: waiting("InvalidImageName", "bad"), wantErr: "InvalidImageName", pullErr: true},
		{name: "rejected by the kubelet", phase: corev1.PodFailed, wantErr: "rejected"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			c := newClient(h)
			done := make(chan error, 1)
			go func() { done <- c.Warm(context.Background(), appRef) }()
			name := warmupPod(t, h)
			h.setStatus(ns, name, func(p *corev1.Pod) {
				if tt.phase != "" {
					p.Status.Phase, p.Status.Reason, p.Status.Message = tt.phase, "OutOfcpu", "Node didn't have enough resource"
					return
				}
				withContainer(tt.state, false, appRef, "")(p)
			})
			err := <-done
			if tt.wantErr == "" && err != nil {
				t.Fatal(err)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
			}
			var pe *PullError
			if errors.As(err, &pe) != tt.pullErr {
				t.Errorf("PullError = %v, want %v", pe, tt.pullErr)
			}
			if pe != nil && (pe.Ref != appRef || pe.Node != node) {
				t.Errorf("PullError = %+v", pe)
			}
			if left := h.pods(ns); len(left) != 0 {
				t.Errorf("the warm-up pod was left behind: %s", left[0].Name)
			}
			// It was deleted with grace period 0.
			var zeroGrace bool
			for _, a := range h.cs.Actions() {
				if da, ok := a.(k8stesting.DeleteActionImpl); ok && da.GetResource().Resource == "pods" {
					g := da.GetDeleteOptions().GracePeriodSeconds
					zeroGrace = g != nil && *g == 0
				}
			}
			if !zeroGrace {
				t.Error("the warm-up pod was not deleted with grace period 0")
			}
		})
	}
}

func TestWarmCancelledDeletesThePod(t *testing.T) {
	h := newHarness(t)
	c := newClient(h)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Warm(ctx, appRef) }()
	warmupPod(t, h)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	if left := h.pods(ns); len(left) != 0 {
		t.Errorf("the warm-up pod was left behind after Ctrl-C: %s", left[0].Name)
	}
}

func TestWarmTimeout(t *testing.T) {
	h := newHarness(t)
	c := newClient(h, func(o *Options) { o.PullTimeout = 50 * time.Millisecond })
	err := c.Warm(context.Background(), appRef)
	if err == nil || !strings.Contains(err.Error(), "took longer than") {
		t.Errorf("err = %v", err)
	}
	if left := h.pods(ns); len(left) != 0 {
		t.Errorf("the warm-up pod was left behind: %s", left[0].Name)
	}
}

func TestEnsureNamespace(t *testing.T) {
	ctx := context.Background()
	t.Run("creates a labelled namespace", func(t *testing.T) {
		h := newHarness(t)
		if err := newClient(h).EnsureNamespace(ctx, true); err != nil {
			t.Fatal(err)
		}
		n, err := h.cs.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if n.Labels[lab.LabelManagedBy] != lab.ManagedBy || n.Labels["pod-security.kubernetes.io/enforce"] != "privileged" {
			t.Errorf("labels = %v", n.Labels)
		}
	})
	t.Run("adds the privileged labels to an existing namespace without claiming it", func(t *testing.T) {
		h := newHarness(t, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns, Labels: map[string]string{"team": "a", "pod-security.kubernetes.io/enforce": "restricted"}}})
		if err := newClient(h).EnsureNamespace(ctx, true); err != nil {
			t.Fatal(err)
		}
		n, _ := h.cs.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
		for k, v := range manifests.PrivilegedLabels() {
			if n.Labels[k] != v {
				t.Errorf("label %s = %q, want %q", k, n.Labels[k], v)
			}
		}
		if n.Labels["team"] != "a" || n.Labels[lab.LabelManagedBy] != "" {
			t.Errorf("labels = %v", n.Labels)
		}
	})
	t.Run("leaves an existing namespace alone when not privileged", func(t *testing.T) {
		h := newHarness(t, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})
		if err := newClient(h).EnsureNamespace(ctx, false); err != nil {
			t.Fatal(err)
		}
		for _, a := range h.cs.Actions() {
			if a.GetVerb() != "get" {
				t.Errorf("unexpected %s", a.GetVerb())
			}
		}
	})
	t.Run("refuses a terminating namespace", func(t *testing.T) {
		h := newHarness(t, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}, Status: corev1.NamespaceStatus{Phase: corev1.NamespaceTerminating}})
		err := newClient(h).EnsureNamespace(ctx, false)
		if err == nil || !strings.Contains(err.Error(), "being deleted") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("reports a refusal", func(t *testing.T) {
		h := newHarness(t)
		h.cs.PrependReactor("create", "namespaces", func(k8stesting.Action) (bool, runtime.Object, error) {
			return true, nil, apierrors.NewForbidden(corev1.Resource("namespaces"), ns, errors.New("no"))
		})
		err := newClient(h).EnsureNamespace(ctx, false)
		if err == nil || !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), `creating namespace "pulllab"`) {
			t.Errorf("err = %v", err)
		}
	})
}

func TestDeleteNamespace(t *testing.T) {
	ctx := context.Background()
	t.Run("deletes pulllab's namespace", func(t *testing.T) {
		h := newHarness(t, manifests.Namespace(ns, false))
		if err := newClient(h).DeleteNamespace(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := h.cs.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("namespace still there: %v", err)
		}
	})
	t.Run("waits for a terminating namespace", func(t *testing.T) {
		n := manifests.Namespace(ns, false)
		n.DeletionTimestamp = &metav1.Time{Time: t0}
		h := newHarness(t, n)
		done := make(chan error, 1)
		go func() { done <- newClient(h).DeleteNamespace(ctx) }()
		h.waitWatch("namespaces")
		select {
		case err := <-done:
			t.Fatalf("returned (%v) while the namespace was terminating", err)
		default:
		}
		if err := h.cs.Tracker().Delete(corev1.SchemeGroupVersion.WithResource("namespaces"), "", ns); err != nil {
			t.Fatal(err)
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	})
	t.Run("refuses a namespace pulllab did not create", func(t *testing.T) {
		h := newHarness(t, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})
		err := newClient(h).DeleteNamespace(ctx)
		if err == nil || !strings.Contains(err.Error(), "not created by pulllab") {
			t.Errorf("err = %v", err)
		}
		if _, err := h.cs.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{}); err != nil {
			t.Errorf("the namespace was deleted: %v", err)
		}
	})
	t.Run("absent is fine", func(t *testing.T) {
		if err := newClient(newHarness(t)).DeleteNamespace(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

func TestCleanup(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t)
	c := newClient(h)
	if err := c.Deploy(ctx, lab.Deployment{Name: lab.AppName, Image: appRef, Policy: lab.PolicyAlways, CaseID: 2}); err != nil {
		t.Fatal(err)
	}
	mine := []*corev1.Pod{appPod(c, "app-1", "2", t0)}
	warm, _ := c.WarmupPodFor(appRef)
	warm.Name = "pulllab-warmup-abc"
	mine = append(mine, warm)
	theirs := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "users-pod", Namespace: ns, Labels: map[string]string{"app": "x"}}}
	otherLab := appPod(c, "other-lab", "2", t0)
	otherLab.Labels[lab.LabelLabID] = "lab2"
	otherDep := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "users-dep", Namespace: ns}}
	for _, p := range append(mine, theirs, otherLab) {
		if _, err := h.cs.CoreV1().Pods(ns).Create(ctx, p, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := h.cs.AppsV1().Deployments(ns).Create(ctx, otherDep, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := c.Cleanup(ctx); err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, p := range h.pods(ns) {
		left = append(left, p.Name)
	}
	if strings.Join(left, ",") != "other-lab,users-pod" {
		t.Errorf("pods left = %v, want only the others'", left)
	}
	deps, _ := h.cs.AppsV1().Deployments(ns).List(ctx, metav1.ListOptions{})
	if len(deps.Items) != 1 || deps.Items[0].Name != "users-dep" {
		t.Errorf("deployments left = %v", deps.Items)
	}
}

func readyNode(name string, mutate func(*corev1.Node)) *corev1.Node {
	n := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Status: corev1.NodeStatus{
			Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}},
			NodeInfo:   corev1.NodeSystemInfo{KubeletVersion: "v1.34.4", ContainerRuntimeVersion: "containerd://1.6.20", OSImage: "Debian GNU/Linux 12 (bookworm)"},
		},
	}
	if mutate != nil {
		mutate(n)
	}
	return n
}

func notReady(n *corev1.Node) {
	n.Status.Conditions[0].Status = corev1.ConditionFalse
	n.Status.Conditions[0].Message = "container runtime is down"
}

func TestPickNode(t *testing.T) {
	cpTaint := func(n *corev1.Node) {
		n.Spec.Taints = []corev1.Taint{{Key: "node-role.kubernetes.io/control-plane", Effect: corev1.TaintEffectNoSchedule}}
	}
	tests := []struct {
		name    string
		nodes   []runtime.Object
		ask     string
		want    string
		wantErr string
	}{
		{name: "single node", nodes: []runtime.Object{readyNode("crc", nil)}, want: "crc"},
		{name: "single control-plane node is fine", nodes: []runtime.Object{readyNode("vm", cpTaint)}, want: "vm"},
		{name: "skips control plane when workers exist", nodes: []runtime.Object{readyNode("a-cp", cpTaint), readyNode("b-worker", nil)}, want: "b-worker"},
		{name: "skips not ready and cordoned", nodes: []runtime.Object{
			readyNode("a", notReady),
			readyNode("b", func(n *corev1.Node) { n.Spec.Unschedulable = true }),
			readyNode("c", nil),
		}, want: "c"},
		{name: "first by name", nodes: []runtime.Object{readyNode("z", nil), readyNode("m", nil)}, want: "m"},
		{name: "PreferNoSchedule is not a reason to skip", nodes: []runtime.Object{readyNode("a", func(n *corev1.Node) {
			n.Spec.Taints = []corev1.Taint{{Key: "k", Effect: corev1.TaintEffectPreferNoSchedule}}
		})}, want: "a"},
		{name: "none suitable says why", nodes: []runtime.Object{
			readyNode("a", notReady),
			readyNode("b", func(n *corev1.Node) {
				n.Spec.Taints = []corev1.Taint{{Key: "gpu", Value: "x", Effect: corev1.TaintEffectNoSchedule}}
			}),
		}, wantErr: "a (not Ready), b (taint gpu=x:NoSchedule)"},
		{name: "no nodes", wantErr: "no nodes"},
		{name: "named node", nodes: []runtime.Object{readyNode("a", nil), readyNode("b", func(n *corev1.Node) { n.Spec.Unschedulable = true })}, ask: "b", want: "b"},
		{name: "named node missing", nodes: []runtime.Object{readyNode("a", nil)}, ask: "x", wantErr: `node "x" does not exist`},
		{name: "named node not ready", nodes: []runtime.Object{readyNode("a", notReady)}, ask: "a", wantErr: "container runtime is down"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, tt.nodes...)
			n, err := PickNode(context.Background(), h.cs, tt.ask)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if n.Name != tt.want {
				t.Errorf("picked %s, want %s", n.Name, tt.want)
			}
		})
	}
}

func TestFacts(t *testing.T) {
	n := readyNode("vm", nil)
	h := newHarness(t, n)
	h.cs.Discovery().(*fakediscovery.FakeDiscovery).FakedServerVersion = &version.Info{GitVersion: "v1.34.4"}
	env, err := Facts(context.Background(), h.cs, n)
	if err != nil {
		t.Fatal(err)
	}
	// A fake clientset has no REST client to reach the node proxy: the
	// KEP-2535 state is inferred, and says so (kubelet_test.go reads it
	// through a fake API server).
	k := env.KubeletImageCredentials
	if k == nil || k.Source != lab.SourceKubeletVersion || k.Gate != lab.GateOff {
		t.Errorf("KubeletImageCredentials = %+v, want inferred off", k)
	}
	env.KubeletImageCredentials = nil
	want := lab.Environment{KubernetesVersion: "v1.34.4", KubeletVersion: "v1.34.4", ContainerRuntime: "containerd 1.6.20", OSImage: "Debian GNU/Linux 12 (bookworm)", Node: "vm"}
	if env != want {
		t.Errorf("env = %+v, want %+v", env, want)
	}
}
