package openshift

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	configv1 "github.com/openshift/api/config/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/pulllab/pulllab/lab"
	"github.com/pulllab/pulllab/lab/workload"
)

func TestPrepareAndCleanup(t *testing.T) {
	c := newCluster(t, ourProject(nil)...)
	b := c.backend(Options{})
	ctx := context.Background()
	if b.running() != nil {
		t.Error("a node debug pod runs before Prepare")
	}
	site, err := b.Prepare(ctx)
	if err != nil {
		t.Fatal(err)
	}
	dbg := c.workloads["pulllab-debug"]
	if dbg == nil || !reflect.DeepEqual(dbg.ensured, []bool{true}) || dbg.node != "crc" {
		t.Fatalf("debug namespace workload %+v", dbg)
	}
	if ns, err := c.kube.CoreV1().Namespaces().Get(ctx, "pulllab-debug", metav1.GetOptions{}); err != nil || ns.Annotations["openshift.io/node-selector"] != "" {
		t.Errorf("debug namespace %+v, %v; want an empty node selector", ns, err)
	} else if _, ok := ns.Annotations["openshift.io/node-selector"]; !ok {
		t.Error("the debug namespace has no openshift.io/node-selector annotation")
	}
	if len(c.nodes) != 1 {
		t.Fatalf("%d node caches", len(c.nodes))
	}
	n := c.nodes[0]
	wantRepos := []string{InternalRegistry + "/pulllab/custom-image-java", InternalRegistry + "/pulllab/pulllab-variants"}
	if n.ns != "pulllab-debug" || n.node != "crc" || n.starts != 1 || !strings.HasPrefix(n.image, "registry.example.com/openshift-release-dev/") || !reflect.DeepEqual(n.repos, wantRepos) {
		t.Errorf("node cache %+v", n)
	}

	// The Site Prepare returns reaches the project's workload on the node
	// and the debug pod's node cache.
	ref := b.AppRef("v1")
	if err := site.Workload.Warm(ctx, ref); err != nil {
		t.Fatal(err)
	}
	if err := site.Workload.Deploy(ctx, lab.Deployment{Name: lab.AppName, Image: ref}); err != nil {
		t.Fatal(err)
	}
	if _, err := site.Workload.Observe(ctx, lab.Deployment{Name: lab.AppName}, 0); err != nil {
		t.Fatal(err)
	}
	if err := site.Workload.Undeploy(ctx, lab.AppName); err != nil {
		t.Fatal(err)
	}
	if err := site.NodeCache.RemoveNodeImage(ctx, ref); err != nil {
		t.Fatal(err)
	}
	if _, err := site.NodeCache.NodeImages(ctx); err != nil {
		t.Fatal(err)
	}
	w := c.workloads["pulllab"]
	want := []string{"warm " + ref, "deploy " + ref, "observe " + lab.AppName, "undeploy " + lab.AppName}
	if w == nil || !reflect.DeepEqual(w.calls, want) || w.node != "crc" {
		t.Errorf("workload calls %v, want %v", w.calls, want)
	}
	if !reflect.DeepEqual(n.removed, []string{ref}) {
		t.Errorf("removed %v", n.removed)
	}

	if err := b.Cleanup(ctx); err != nil {
		t.Fatal(err)
	}
	if w.cleanups != 1 || n.stops != 1 {
		t.Errorf("cleanup: workload %d, debug pod stops %d", w.cleanups, n.stops)
	}
	if b.running() != nil {
		t.Error("the backend still holds the node debug pod after Cleanup")
	}
}

func TestPrepareRefusesForeignProject(t *testing.T) {
	c := newCluster(t, ourProject(map[string]string{"owner": "someone"})...)
	_, err := c.backend(Options{}).Prepare(context.Background())
	if err == nil || !strings.Contains(err.Error(), "pulllab did not create it") {
		t.Fatalf("err = %v", err)
	}
	if len(c.nodes) != 0 {
		t.Error("a debug pod was started for a foreign project")
	}
}

func TestPrepareRefusesForeignDebugNamespace(t *testing.T) {
	foreign := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "pulllab-debug", Labels: map[string]string{"team": "a"}}}
	c := newCluster(t, append(ourProject(nil), foreign)...)
	_, err := c.backend(Options{}).Prepare(context.Background())
	if err == nil || !strings.Contains(err.Error(), "pulllab-debug") || !strings.Contains(err.Error(), "privileged") {
		t.Fatalf("err = %v", err)
	}
	if len(c.nodes) != 0 || c.workloads["pulllab-debug"] != nil {
		t.Error("pulllab touched a namespace it did not create")
	}
}

func TestEnvironment(t *testing.T) {
	c := newCluster(t, ourProject(nil)...)
	b := c.backend(Options{})
	ctx := context.Background()
	if _, err := b.Prepare(ctx); err != nil {
		t.Fatal(err)
	}
	env, err := b.Environment(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := lab.Environment{
		Target: "openshift", OpenShiftVersion: "4.21.8", KubernetesVersion: "v1.34.2", KubeletVersion: "v1.34.2",
		ContainerRuntime: "cri-o 1.34.1", Node: "crc", OSImage: "Red Hat Enterprise Linux CoreOS", Namespace: "pulllab",
		AppRepository: InternalRegistry + "/pulllab/custom-image-java",
		// The fake's facts read no kubelet: inferred, and marked so.
		KubeletImageCredentials: lab.InferKubeletImageCredentials("v1.34.2", workload.KubeletNotRead),
	}
	want.EnsureSecretPulledImages = want.KubeletImageCredentials.Summary()
	if !reflect.DeepEqual(env, want) {
		t.Errorf("environment\n got %+v\nwant %+v", env, want)
	}
}

func TestEnvironmentWithoutClusterVersion(t *testing.T) {
	c := newCluster(t, ourProject(nil)...)
	if err := c.config.Tracker().Delete(configv1.SchemeGroupVersion.WithResource("clusterversions"), "", "version"); err != nil {
		t.Fatal(err)
	}
	env, err := c.backend(Options{}).Environment(context.Background())
	if err == nil || !strings.Contains(err.Error(), "ClusterVersion") {
		t.Errorf("err = %v, want it to name the ClusterVersion", err)
	}
	if env.Node != "crc" || env.Target != "openshift" || env.OpenShiftVersion != "" {
		t.Errorf("the other facts are lost: %+v", env)
	}
}

func TestClusterVersionFromHistory(t *testing.T) {
	c := newCluster(t)
	cv, err := fakeClusterVersions{c.config}.Get(context.Background(), "version", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := clusterVersion(cv); got != "4.21.8" {
		t.Errorf("clusterVersion from the desired release = %q, want 4.21.8", got)
	}
	cv.Status.Desired.Version = ""
	cv.Status.History = []UpdateHistory{{Version: "4.20.5"}, {Version: "4.19.9"}}
	if got := clusterVersion(cv); got != "4.20.5" {
		t.Errorf("clusterVersion = %q", got)
	}
}

func TestTeardown(t *testing.T) {
	c := newCluster(t, ourProject(nil)...)
	b := c.backend(Options{})
	if err := b.Teardown(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, ns := range []string{"pulllab", "pulllab-debug"} {
		if w := c.workloads[ns]; w == nil || w.deletions != 1 {
			t.Errorf("namespace %s: %+v", ns, w)
		}
	}
	c.workloads["pulllab"].deleteErr = errors.New(`namespace "pulllab" was not created by pulllab`)
	err := b.Teardown(context.Background())
	if err == nil || !strings.Contains(err.Error(), "not created by pulllab") {
		t.Errorf("err = %v", err)
	}
	if c.workloads["pulllab-debug"].deletions != 2 {
		t.Error("a failure on one namespace stopped the other's deletion")
	}
}
