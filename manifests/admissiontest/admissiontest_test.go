package admissiontest

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/pulllab/pulllab/manifests"
)

const ns = "pulllab"

func restrictedNS() *corev1.Namespace {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns, Labels: map[string]string{
		"pod-security.kubernetes.io/enforce": "restricted",
	}}}
}

// bare is a pod as a user writes it without thinking of Pod Security.
func bare() *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "bare", Namespace: ns},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "x"}}},
	}
}

// The model refuses a bare pod with the message a real API server gives
// (the shape of pod-security-admission's admission.go and the check
// details of policy/check_*.go).
func TestPodSecurityRefusesLikeTheAPIServer(t *testing.T) {
	cs := fake.NewClientset(restrictedNS())
	Install(cs, Options{})
	_, err := cs.CoreV1().Pods(ns).Create(context.Background(), bare(), metav1.CreateOptions{})
	if !apierrors.IsForbidden(err) {
		t.Fatalf("err = %v, want Forbidden", err)
	}
	want := `pods "bare" is forbidden: violates PodSecurity "restricted:latest": ` +
		`allowPrivilegeEscalation != false (container "app" must set securityContext.allowPrivilegeEscalation=false), ` +
		`unrestricted capabilities (container "app" must set securityContext.capabilities.drop=["ALL"]), ` +
		`runAsNonRoot != true (pod or container "app" must set securityContext.runAsNonRoot=true), ` +
		`seccompProfile (pod or container "app" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")`
	if err.Error() != want {
		t.Errorf("err =\n%v\nwant\n%s", err, want)
	}
}

func TestViolations(t *testing.T) {
	tr, fa := true, false
	ok := func() *corev1.Pod {
		p, err := manifests.WarmupPod()
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name   string
		level  string
		mutate func(*corev1.Pod)
		want   string
	}{
		{"the warm-up pod meets restricted", "restricted", func(*corev1.Pod) {}, ""},
		{"privileged level allows anything", "privileged", func(p *corev1.Pod) { *p = *bare() }, ""},
		{"baseline allows a bare pod", "baseline", func(p *corev1.Pod) { *p = *bare() }, ""},
		{"no seccomp", "restricted", func(p *corev1.Pod) { p.Spec.SecurityContext.SeccompProfile = nil }, "seccompProfile (pod or container"},
		{"Unconfined seccomp on the container", "restricted", func(p *corev1.Pod) {
			p.Spec.Containers[0].SecurityContext.SeccompProfile = &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeUnconfined}
		}, "seccompProfile"},
		{"runAsNonRoot false on the container", "restricted", func(p *corev1.Pod) {
			p.Spec.Containers[0].SecurityContext.RunAsNonRoot = &fa
		}, `runAsNonRoot != true (container "warmup" must not set securityContext.runAsNonRoot=false)`},
		{"runAsNonRoot on the container only is enough", "restricted", func(p *corev1.Pod) {
			p.Spec.SecurityContext.RunAsNonRoot = nil
			p.Spec.Containers[0].SecurityContext.RunAsNonRoot = &tr
		}, ""},
		{"root UID", "restricted", func(p *corev1.Pod) {
			zero := int64(0)
			p.Spec.Containers[0].SecurityContext.RunAsUser = &zero
		}, `runAsUser=0 (container "warmup" must not set runAsUser=0)`},
		{"escalation allowed", "restricted", func(p *corev1.Pod) {
			p.Spec.Containers[0].SecurityContext.AllowPrivilegeEscalation = &tr
		}, "allowPrivilegeEscalation != false"},
		{"capabilities kept", "restricted", func(p *corev1.Pod) {
			p.Spec.Containers[0].SecurityContext.Capabilities = nil
		}, "unrestricted capabilities"},
		{"the debug pod is not even baseline", "baseline", func(p *corev1.Pod) {
			d, err := manifests.DebugPod()
			if err != nil {
				t.Fatal(err)
			}
			*p = *d
		}, `host namespaces (hostNetwork=true, hostPID=true, hostIPC=true), privileged (container "container-00" must not set securityContext.privileged=true), hostPath volumes (volume "host")`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := ok()
			tt.mutate(p)
			got := Violations(tt.level, &p.Spec)
			if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
				t.Errorf("Violations = %q, want %q", got, tt.want)
			}
		})
	}
}

// podOf returns the pod a ReplicaSet controller makes from the
// Deployment's template.
func deploymentPod(t *testing.T) *corev1.Pod {
	t.Helper()
	d, err := manifests.Deployment()
	if err != nil {
		t.Fatal(err)
	}
	tmpl := d.Spec.Template.DeepCopy()
	return &corev1.Pod{ObjectMeta: tmpl.ObjectMeta, Spec: tmpl.Spec}
}

func warmupPod(t *testing.T) *corev1.Pod {
	t.Helper()
	p, err := manifests.WarmupPod()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// On OpenShift with "restricted" enforced: pulllab's pods are admitted and
// get restricted-v2 whoever creates them; a bare pod made by a
// cluster-admin gets anyuid and is then refused by Pod Security (the
// situation the issue describes), unless the pod asks for restricted-v2.
func TestOpenShiftAdmission(t *testing.T) {
	clusterAdmin := Options{OpenShift: true}
	rsController := Options{OpenShift: true, Requester: []string{}}
	withRequired := func(p *corev1.Pod) *corev1.Pod {
		p.Annotations = map[string]string{manifests.AnnotationRequiredSCC: manifests.SCCRestrictedV2}
		return p
	}
	tests := []struct {
		name    string
		pod     func(*testing.T) *corev1.Pod
		o       Options
		wantSCC string
		wantErr string
	}{
		{"warm-up pod by a cluster-admin", warmupPod, clusterAdmin, manifests.SCCRestrictedV2, ""},
		{"warm-up pod by a user with only restricted-v2", warmupPod, rsController, manifests.SCCRestrictedV2, ""},
		{"Deployment pod by the ReplicaSet controller", deploymentPod, rsController, manifests.SCCRestrictedV2, ""},
		{"Deployment pod by a cluster-admin", deploymentPod, clusterAdmin, manifests.SCCRestrictedV2, ""},
		{"bare pod by a cluster-admin gets anyuid and is refused", func(*testing.T) *corev1.Pod { return bare() }, clusterAdmin, "",
			`violates PodSecurity "restricted:latest"`},
		// restricted-v2 fills in seccomp, escalation and capabilities but
		// the pod must still say runAsNonRoot itself.
		{"bare pod by a ReplicaSet still lacks runAsNonRoot", func(*testing.T) *corev1.Pod { return bare() }, rsController, "",
			`violates PodSecurity "restricted:latest": runAsNonRoot != true (pod or container "app" must set securityContext.runAsNonRoot=true)`},
		{"bare pod with runAsNonRoot asking for restricted-v2 by a cluster-admin", func(*testing.T) *corev1.Pod {
			p := withRequired(bare())
			tr := true
			p.Spec.SecurityContext = &corev1.PodSecurityContext{RunAsNonRoot: &tr}
			return p
		}, clusterAdmin, manifests.SCCRestrictedV2, ""},
		{"the debug pod in a restricted namespace is refused", func(t *testing.T) *corev1.Pod {
			p, err := manifests.DebugPod()
			if err != nil {
				t.Fatal(err)
			}
			return p
		}, clusterAdmin, "", `violates PodSecurity "restricted:latest": host namespaces`},
		{"a required SCC the user may not use", func(*testing.T) *corev1.Pod {
			p := bare()
			p.Annotations = map[string]string{manifests.AnnotationRequiredSCC: "anyuid"}
			return p
		}, rsController, "", `provider "anyuid": Forbidden: not usable by user or serviceaccount`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cs := fake.NewClientset(restrictedNS())
			Install(cs, tt.o)
			p := tt.pod(t)
			p.Namespace = ns
			if p.Name == "" {
				p.Name = "p"
			}
			got, err := cs.CoreV1().Pods(ns).Create(context.Background(), p, metav1.CreateOptions{})
			if tt.wantErr != "" {
				if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want Forbidden with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s := got.Annotations[manifests.AnnotationSCC]; s != tt.wantSCC {
				t.Errorf("SCC = %q, want %q", s, tt.wantSCC)
			}
			if tt.wantSCC == manifests.SCCRestrictedV2 {
				if u := got.Spec.Containers[0].SecurityContext.RunAsUser; u == nil || *u < 1000650000 {
					t.Errorf("restricted-v2 did not assign a UID from the namespace's range: %v", u)
				}
			}
		})
	}
}

// A bare pod by a cluster-admin without Pod Security enforced gets anyuid:
// the SCC model's priorities, shown so that the test above cannot pass by
// a model that always picks restricted-v2.
func TestClusterAdminBarePodGetsAnyuid(t *testing.T) {
	cs := fake.NewClientset(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})
	Install(cs, Options{OpenShift: true})
	got, err := cs.CoreV1().Pods(ns).Create(context.Background(), bare(), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if s := got.Annotations[manifests.AnnotationSCC]; s != "anyuid" {
		t.Errorf("SCC = %q, want anyuid", s)
	}
	if got.Spec.Containers[0].SecurityContext.RunAsUser != nil {
		t.Errorf("anyuid assigned a UID")
	}
}
