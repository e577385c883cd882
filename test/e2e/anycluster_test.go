//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// TestAnyClusterAnnouncedRegistry runs verify with no --registry: the
// registry is announced only by the KEP-1755 ConfigMap
// kube-public/local-registry-hosting, which the test writes as kind's
// registry script does (host only, one address for push and pull).
func TestAnyClusterAnnouncedRegistry(t *testing.T) {
	cfg := loadConfig(t)
	h := &harness{cfg: cfg, work: t.TempDir()}
	h.buildPulllab(t)
	rc, err := clientcmd.BuildConfigFromFlags("", cfg.kubeconfig)
	if err != nil {
		t.Fatalf("reading %s: %v", cfg.kubeconfig, err)
	}
	rc.UserAgent = "pulllab-e2e"
	if h.cs, err = kubernetes.NewForConfig(rc); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cms := h.cs.CoreV1().ConfigMaps("kube-public")
	cm := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "local-registry-hosting", Namespace: "kube-public"},
		Data:       map[string]string{"localRegistryHosting.v1": fmt.Sprintf("host: %q\nhelp: \"docs/user-guide.md\"\n", cfg.registry)},
	}
	if _, err := cms.Create(ctx, cm, metav1.CreateOptions{}); apierrors.IsAlreadyExists(err) {
		t.Fatalf("kube-public/local-registry-hosting already exists on the e2e cluster; this test writes its own")
	} else if err != nil {
		t.Fatalf("creating kube-public/local-registry-hosting: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := cms.Delete(ctx, cm.Name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			t.Errorf("deleting kube-public/local-registry-hosting: %v", err)
		}
	})

	out := filepath.Join(h.work, "announced")
	full := h.verifyArgs(out, "--extended")
	var args []string
	for i := 0; i < len(full); i++ {
		if full[i] == "--registry" {
			i++ // and its value
			continue
		}
		args = append(args, full[i])
	}
	if contains(args, "--registry") {
		t.Fatalf("args still name --registry: %v", args)
	}
	r := h.run(t, "verify (registry from the ConfigMap)", args, nil)
	if want := "registry " + cfg.registry + ", as the cluster announces it"; !strings.Contains(r.Stderr, want) {
		t.Errorf("stderr lacks %q:\n%s", want, tail(r.Stderr, 30))
	}
	h.requireAllPass(t, r, 10)
	h.requireReports(t, out)
}
