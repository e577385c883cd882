package workload

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/pulllab/pulllab/lab"
	"github.com/pulllab/pulllab/manifests"
	"github.com/pulllab/pulllab/manifests/admissiontest"
)

// restrictedNamespace is the lab namespace as OpenShift 5.0's label syncer
// (or the e2e harness) leaves it: Pod Security "restricted" enforced.
func restrictedNamespace() *corev1.Namespace {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns, Labels: map[string]string{
		manifests.LabelPodSecurity + "enforce": "restricted",
	}}}
}

// The pods pulllab creates in the lab namespace are admitted where Pod
// Security "restricted" is enforced, and on OpenShift get restricted-v2
// whether a cluster-admin creates them (the warm-up pod) or the ReplicaSet
// controller does (the Deployment's pod). The control row shows that the
// same admission refuses the pods pulllab made before (no runAsNonRoot, no
// seccomp, no required-scc): a cluster-admin's pod then got anyuid.
func TestLabPodsMeetPodSecurityRestricted(t *testing.T) {
	depPod := func(t *testing.T, c *Client) *corev1.Pod {
		dep, err := c.DeploymentFor(lab.Deployment{Name: lab.AppName, Image: appRef, Policy: lab.PolicyIfNotPresent, CaseID: 6})
		if err != nil {
			t.Fatal(err)
		}
		// What the ReplicaSet controller creates from the template.
		tmpl := dep.Spec.Template.DeepCopy()
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{
			GenerateName: dep.Name + "-", Namespace: ns, Labels: tmpl.Labels, Annotations: tmpl.Annotations,
		}, Spec: tmpl.Spec}
	}
	warmPod := func(t *testing.T, c *Client) *corev1.Pod {
		p, err := c.WarmupPodFor(appRef)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	oldWarmPod := func(t *testing.T, c *Client) *corev1.Pod {
		p := warmPod(t, c)
		p.Annotations = nil
		p.Spec.SecurityContext = nil
		return p
	}
	clusterAdmin := admissiontest.Options{OpenShift: true}
	rsController := admissiontest.Options{OpenShift: true, Requester: []string{}}
	tests := []struct {
		name    string
		pod     func(*testing.T, *Client) *corev1.Pod
		o       admissiontest.Options
		wantSCC string
		wantErr string
	}{
		{"warm-up pod, plain Kubernetes", warmPod, admissiontest.Options{}, "", ""},
		{"Deployment pod, plain Kubernetes", depPod, admissiontest.Options{}, "", ""},
		{"warm-up pod by a cluster-admin on OpenShift", warmPod, clusterAdmin, manifests.SCCRestrictedV2, ""},
		{"Deployment pod by the ReplicaSet controller on OpenShift", depPod, rsController, manifests.SCCRestrictedV2, ""},
		{"Deployment pod by a cluster-admin on OpenShift", depPod, clusterAdmin, manifests.SCCRestrictedV2, ""},
		{"control: the old warm-up pod by a cluster-admin", oldWarmPod, clusterAdmin, "",
			`violates PodSecurity "restricted:latest": runAsNonRoot != true (pod or container "warmup" must set securityContext.runAsNonRoot=true), seccompProfile`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, restrictedNamespace())
			admissiontest.Install(h.cs, tt.o)
			c := newClient(h)
			got, err := h.cs.CoreV1().Pods(ns).Create(context.Background(), tt.pod(t, c), metav1.CreateOptions{})
			if tt.wantErr != "" {
				if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want Forbidden with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("not admitted: %v", err)
			}
			if s := got.Annotations[manifests.AnnotationSCC]; s != tt.wantSCC {
				t.Errorf("SCC = %q, want %q", s, tt.wantSCC)
			}
		})
	}
}

// Warm itself, end to end, in a restricted namespace on OpenShift as a
// cluster-admin: its pod is admitted (with restricted-v2) and the pull
// completes.
func TestWarmAdmittedWhereRestrictedIsEnforced(t *testing.T) {
	h := newHarness(t, restrictedNamespace())
	admissiontest.Install(h.cs, admissiontest.Options{OpenShift: true})
	c := newClient(h)
	done := make(chan error, 1)
	go func() { done <- c.Warm(context.Background(), appRef) }()
	name := warmupPod(t, h)
	p, err := h.cs.CoreV1().Pods(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if s := p.Annotations[manifests.AnnotationSCC]; s != manifests.SCCRestrictedV2 {
		t.Errorf("warm-up pod SCC = %q, want %s", s, manifests.SCCRestrictedV2)
	}
	h.setStatus(ns, name, withContainer(running(t0), true, appRef, "sha256:x"))
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
