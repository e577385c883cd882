package manifests

import (
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/pulllab/pulllab/lab"
)

func TestNamesIncludesOwnFiles(t *testing.T) {
	names := strings.Join(Names(), ",")
	for _, f := range []string{DeploymentFile, WarmupPodFile, DebugPodFile} {
		if !strings.Contains(names, f) {
			t.Errorf("Names() = %s, missing %s", names, f)
		}
	}
}

// Every embedded file, this package's or another's, is one strict YAML
// document with an apiVersion and a kind.
func TestEveryEmbeddedFileDecodes(t *testing.T) {
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			u := &unstructured.Unstructured{}
			if err := Decode(name, u); err != nil {
				t.Fatal(err)
			}
			if u.GetKind() == "" || u.GetAPIVersion() == "" {
				t.Errorf("no apiVersion or kind: %v", u.Object)
			}
		})
	}
}

func TestDeployment(t *testing.T) {
	d, err := Deployment()
	if err != nil {
		t.Fatal(err)
	}
	ctr := d.Spec.Template.Spec.Containers[0]
	checks := []struct {
		what string
		ok   bool
	}{
		{"name custom-image-java", d.Name == lab.AppName && ctr.Name == lab.AppName},
		{"one replica", d.Spec.Replicas != nil && *d.Spec.Replicas == 1},
		{"strategy Recreate", d.Spec.Strategy.Type == appsv1.RecreateDeploymentStrategyType},
		{"the full pull spec by tag", ctr.Image == "image-registry.openshift-image-registry.svc:5000/pulllab/custom-image-java:v1"},
		{"explicit imagePullPolicy IfNotPresent", ctr.ImagePullPolicy == corev1.PullIfNotPresent},
		{"no image trigger annotation", d.Annotations["image.openshift.io/triggers"] == "" && d.Spec.Template.Annotations["image.openshift.io/triggers"] == ""},
		{"asks for the restricted-v2 SCC", d.Spec.Template.Annotations[AnnotationRequiredSCC] == SCCRestrictedV2},
		{"meets Pod Security restricted", restrictedOK(&d.Spec.Template.Spec)},
		{"no runAsUser (OpenShift assigns one)", noRunAsUser(&d.Spec.Template.Spec)},
		{"a short grace period", d.Spec.Template.Spec.TerminationGracePeriodSeconds != nil && *d.Spec.Template.Spec.TerminationGracePeriodSeconds <= 10},
		{"container port 8080", len(ctr.Ports) == 1 && ctr.Ports[0].ContainerPort == 8080},
		{"selector matches the template", d.Spec.Selector.MatchLabels["deployment"] == d.Spec.Template.Labels["deployment"]},
		{"managed-by label", d.Labels[lab.LabelManagedBy] == lab.ManagedBy},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("deployment.yaml: want %s", c.what)
		}
	}
}

func TestWarmupPod(t *testing.T) {
	p, err := WarmupPod()
	if err != nil {
		t.Fatal(err)
	}
	if p.Spec.RestartPolicy != corev1.RestartPolicyNever {
		t.Errorf("restartPolicy = %q, want Never", p.Spec.RestartPolicy)
	}
	if got := p.Spec.Containers[0].ImagePullPolicy; got != corev1.PullAlways {
		t.Errorf("imagePullPolicy = %q, want Always", got)
	}
	if p.GenerateName != "pulllab-warmup-" || p.Name != "" {
		t.Errorf("name %q generateName %q", p.Name, p.GenerateName)
	}
	if p.Labels[lab.LabelManagedBy] != lab.ManagedBy || p.Labels[lab.LabelRole] != "warmup" {
		t.Errorf("labels = %v", p.Labels)
	}
	if p.Annotations[AnnotationRequiredSCC] != SCCRestrictedV2 {
		t.Errorf("annotations = %v, want %s=%s", p.Annotations, AnnotationRequiredSCC, SCCRestrictedV2)
	}
	if !restrictedOK(&p.Spec) || !noRunAsUser(&p.Spec) {
		t.Errorf("warm-up pod security context: %+v / %+v", p.Spec.SecurityContext, p.Spec.Containers[0].SecurityContext)
	}
}

// restrictedOK checks the four Pod Security "restricted" fields pulllab
// sets (the admission model in admissiontest checks them as the API
// server does).
func restrictedOK(s *corev1.PodSpec) bool {
	psc, sc := s.SecurityContext, s.Containers[0].SecurityContext
	return psc != nil && psc.RunAsNonRoot != nil && *psc.RunAsNonRoot &&
		psc.SeccompProfile != nil && psc.SeccompProfile.Type == corev1.SeccompProfileTypeRuntimeDefault &&
		sc != nil && sc.AllowPrivilegeEscalation != nil && !*sc.AllowPrivilegeEscalation &&
		sc.Capabilities != nil && len(sc.Capabilities.Drop) == 1 && sc.Capabilities.Drop[0] == "ALL"
}

func noRunAsUser(s *corev1.PodSpec) bool {
	return (s.SecurityContext == nil || s.SecurityContext.RunAsUser == nil) &&
		(s.Containers[0].SecurityContext == nil || s.Containers[0].SecurityContext.RunAsUser == nil)
}

func TestDebugPod(t *testing.T) {
	p, err := DebugPod()
	if err != nil {
		t.Fatal(err)
	}
	s := p.Spec
	ctr := s.Containers[0]
	sc := ctr.SecurityContext
	var hostVolume bool
	for _, v := range s.Volumes {
		if v.HostPath != nil && v.HostPath.Path == "/" {
			for _, m := range ctr.VolumeMounts {
				hostVolume = hostVolume || (m.Name == v.Name && m.MountPath == "/host" && !m.ReadOnly)
			}
		}
	}
	var tolerateAll bool
	for _, tol := range s.Tolerations {
		tolerateAll = tolerateAll || (tol.Operator == corev1.TolerationOpExists && tol.Key == "" && tol.Effect == "")
	}
	checks := []struct {
		what string
		ok   bool
	}{
		{"host PID, network and IPC", s.HostPID && s.HostNetwork && s.HostIPC},
		{"privileged", sc != nil && sc.Privileged != nil && *sc.Privileged},
		{"root", sc != nil && sc.RunAsUser != nil && *sc.RunAsUser == 0},
		{"the node's / at /host", hostVolume},
		{"container container-00", ctr.Name == "container-00"},
		{"a command that sleeps", len(ctr.Command) > 0 && strings.Contains(strings.Join(ctr.Command, " "), "sleep")},
		{"no stdin or tty", !ctr.Stdin && !ctr.StdinOnce && !ctr.TTY},
		{"the privileged SCC annotation", p.Annotations["openshift.io/required-scc"] == "privileged"},
		{"tolerates every taint", tolerateAll},
		{"restartPolicy Never", s.RestartPolicy == corev1.RestartPolicyNever},
		{"managed-by and role labels", p.Labels[lab.LabelManagedBy] == lab.ManagedBy && p.Labels[lab.LabelRole] == "debug"},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("debug-pod.yaml: want %s", c.what)
		}
	}
}

func TestNamespace(t *testing.T) {
	plain := Namespace("lab", false)
	if plain.Name != "lab" || len(plain.Labels) != 1 || plain.Labels[lab.LabelManagedBy] != lab.ManagedBy {
		t.Errorf("plain namespace labels = %v", plain.Labels)
	}
	priv := Namespace("lab", true)
	want := map[string]string{
		lab.LabelManagedBy:                               lab.ManagedBy,
		"pod-security.kubernetes.io/enforce":             "privileged",
		"pod-security.kubernetes.io/audit":               "privileged",
		"pod-security.kubernetes.io/warn":                "privileged",
		"security.openshift.io/scc.podSecurityLabelSync": "false",
	}
	if len(priv.Labels) != len(want) {
		t.Errorf("privileged namespace labels = %v", priv.Labels)
	}
	for k, v := range want {
		if priv.Labels[k] != v {
			t.Errorf("label %s = %q, want %q", k, priv.Labels[k], v)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	t.Run("missing file", func(t *testing.T) {
		err := Decode("nope.yaml", &corev1.Pod{})
		if err == nil || !strings.Contains(err.Error(), "nope.yaml") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("wrong kind", func(t *testing.T) {
		err := Decode(DebugPodFile, &appsv1.Deployment{})
		if err == nil {
			t.Error("decoding a Pod into a Deployment succeeded")
		}
	})
	t.Run("unknown field is an error", func(t *testing.T) {
		err := decode("x.yaml", []byte("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  nodeNme: typo\n"), &corev1.Pod{})
		if err == nil || !strings.Contains(err.Error(), "nodeNme") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("duplicate field is an error", func(t *testing.T) {
		err := decode("x.yaml", []byte("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  name: q\n"), &corev1.Pod{})
		if err == nil {
			t.Error("a duplicate field was accepted")
		}
	})
	t.Run("two documents are an error", func(t *testing.T) {
		err := decode("x.yaml", []byte("apiVersion: v1\nkind: Pod\n---\napiVersion: v1\nkind: Pod\n"), &corev1.Pod{})
		if err == nil || !strings.Contains(err.Error(), "2 YAML documents") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("no kind is an error", func(t *testing.T) {
		err := decode("x.yaml", []byte("metadata:\n  name: p\n"), &corev1.Pod{})
		if err == nil || !strings.Contains(err.Error(), "no apiVersion or kind") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("kind mismatch for a known type", func(t *testing.T) {
		err := decode("x.yaml", []byte("apiVersion: v1\nkind: Service\nmetadata:\n  name: p\n"), &corev1.Pod{})
		if err == nil || !strings.Contains(err.Error(), "want a /v1, Kind=Pod") {
			t.Errorf("err = %v", err)
		}
	})
}

func TestDocuments(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"", 0},
		{"# only a comment\n", 0},
		{"a: 1\n", 1},
		{"---\na: 1\n", 1},
		{"# header\n---\na: 1\n---\n", 1},
		{"a: 1\n---\nb: 2\n", 2},
		{"a: |\n  text --- inside\n", 1},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := documents([]byte(tt.in)); got != tt.want {
				t.Errorf("documents(%q) = %d, want %d", tt.in, got, tt.want)
			}
		})
	}
}

func TestLabelsMatchTheLab(t *testing.T) {
	if labelManagedBy != lab.LabelManagedBy || managedBy != lab.ManagedBy {
		t.Errorf("manifests uses %s=%s, lab %s=%s", labelManagedBy, managedBy, lab.LabelManagedBy, lab.ManagedBy)
	}
}
