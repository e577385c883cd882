package kube

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/rest"

	"github.com/pulllab/pulllab/lab"
	"github.com/pulllab/pulllab/lab/node"
)

// TestNewWiresWorkloadAndNode checks the production Cluster on a fake
// clientset: namespaces, node choice and the debug pod's settings.
func TestNewWiresWorkloadAndNode(t *testing.T) {
	ctx := context.Background()
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "vm"}}
	n.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}}
	n.Status.NodeInfo = corev1.NodeSystemInfo{Architecture: "amd64", KubeletVersion: "v1.34.4", ContainerRuntimeVersion: "containerd://1.6.20"}
	cs := fake.NewClientset(n)

	if _, err := New(nil, cs, Options{Registry: "127.0.0.1:5000"}); err == nil {
		t.Error("New without a rest.Config succeeded")
	}
	if _, err := New(&rest.Config{Host: "https://127.0.0.1:6443"}, cs, Options{Registry: "nohost"}); err == nil {
		t.Error("New with a bad registry succeeded")
	}
	b, err := New(&rest.Config{Host: "https://127.0.0.1:6443"}, cs, Options{Registry: "127.0.0.1:5000", Namespace: "lab", LabID: "lab-1"})
	if err != nil {
		t.Fatal(err)
	}
	c := b.cluster

	got, err := c.PickNode(ctx, "")
	if err != nil || got.Name != "vm" {
		t.Fatalf("PickNode = %v, %v", got, err)
	}
	if err := c.Workload("lab", "vm").EnsureNamespace(ctx, false); err != nil {
		t.Fatal(err)
	}
	if err := c.Workload("lab-debug", "vm").EnsureNamespace(ctx, true); err != nil {
		t.Fatal(err)
	}
	for ns, privileged := range map[string]bool{"lab": false, "lab-debug": true} {
		ok, err := c.NamespaceExists(ctx, ns)
		if err != nil || !ok {
			t.Fatalf("NamespaceExists(%s) = %v, %v", ns, ok, err)
		}
		obj, err := cs.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got := obj.Labels["pod-security.kubernetes.io/enforce"] == "privileged"; got != privileged {
			t.Errorf("namespace %s privileged = %v, want %v (labels %v)", ns, got, privileged, obj.Labels)
		}
	}
	if ok, err := c.NamespaceExists(ctx, "other"); err != nil || ok {
		t.Errorf("NamespaceExists(other) = %v, %v", ok, err)
	}

	nc, ok := c.NodeCache(b.DebugNamespace(), "vm", []string{b.AppRepository(), b.StashRepository()}).(*node.Cache)
	if !ok {
		t.Fatal("NodeCache is not a *node.Cache")
	}
	pod, err := nc.DebugPodFor()
	if err != nil {
		t.Fatal(err)
	}
	if pod.Namespace != "lab-debug" || pod.Spec.NodeName != "vm" || pod.Spec.Containers[0].Image != DefaultDebugImage || pod.Labels[lab.LabelLabID] != "lab-1" {
		t.Errorf("debug pod = %s/%s on %s image %s labels %v", pod.Namespace, pod.Name, pod.Spec.NodeName, pod.Spec.Containers[0].Image, pod.Labels)
	}

	env, err := b.Environment(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if env.Target != "kubernetes" || env.Node != "vm" || env.KubeletVersion != "v1.34.4" || env.ContainerRuntime != "containerd 1.6.20" ||
		env.AppRepository != "127.0.0.1:5000/lab/custom-image-java" || !strings.HasPrefix(env.EnsureSecretPulledImages, "off:") {
		t.Errorf("Environment = %+v", env)
	}

	if err := b.Teardown(ctx); err != nil {
		t.Fatalf("Teardown: %v", err)
	}
	for _, ns := range []string{"lab", "lab-debug"} {
		if ok, _ := c.NamespaceExists(ctx, ns); ok {
			t.Errorf("namespace %s still exists after Teardown", ns)
		}
	}
}
