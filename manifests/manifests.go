// Package manifests holds the Kubernetes objects pulllab creates, as
// readable YAML files embedded in the binary. A user can read them, or apply
// them with kubectl, and see exactly what the lab does; the backends decode
// them and fill in the per-run fields (names, images, node, labels).
//
// Every *.yaml file in this directory is embedded; Decode reads one by name.
package manifests

import (
	"bytes"
	"embed"
	"fmt"
	"io/fs"
	"sort"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/yaml"
)

//go:embed *.yaml
var files embed.FS

// The embedded files this package decodes itself.
const (
	DeploymentFile = "deployment.yaml"
	WarmupPodFile  = "warmup-pod.yaml"
	DebugPodFile   = "debug-pod.yaml"
)

// Namespace labels.
const (
	// LabelPodSecurity is the prefix of the Pod Security admission labels.
	LabelPodSecurity = "pod-security.kubernetes.io/"
	// LabelSCCSync turns OpenShift's Pod Security label synchronisation off
	// for a namespace when "false", so the privileged labels stay.
	LabelSCCSync = "security.openshift.io/scc.podSecurityLabelSync"
)

// OpenShift's security context constraints (SCC) as pods name them.
const (
	// AnnotationRequiredSCC on a pod makes OpenShift's SCC admission
	// consider only the named SCC, whoever creates the pod.
	AnnotationRequiredSCC = "openshift.io/required-scc"
	// AnnotationSCC is where OpenShift records the SCC a pod was admitted with.
	AnnotationSCC = "openshift.io/scc"
	// SCCRestrictedV2 is the SCC whose pods meet Pod Security "restricted"
	// (a UID from the namespace's range, RuntimeDefault seccomp, no
	// privilege escalation, all capabilities dropped). The lab's app and
	// warm-up pods ask for it.
	SCCRestrictedV2 = "restricted-v2"
	// SCCPrivileged is the SCC the node debug pod asks for.
	SCCPrivileged = "privileged"
)

// The managed-by label, as lab.LabelManagedBy and lab.ManagedBy (this
// package does not import lab; a test keeps them equal).
const (
	labelManagedBy = "app.kubernetes.io/managed-by"
	managedBy      = "pulllab"
)

// Names lists the embedded files, sorted.
func Names() []string {
	entries, err := fs.ReadDir(files, ".")
	if err != nil {
		// The embedded FS always has its root directory.
		panic(err)
	}
	var out []string
	for _, e := range entries {
		if !e.IsDir() {
			out = append(out, e.Name())
		}
	}
	sort.Strings(out)
	return out
}

// Raw returns an embedded file's bytes, e.g. to show it to a user.
func Raw(name string) ([]byte, error) {
	b, err := files.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("reading embedded manifest %q: %w", name, err)
	}
	return b, nil
}

// Decode decodes the embedded file name into into. Decoding is strict: an
// unknown or duplicate field is an error, the file must hold exactly one
// document, and when into's type is known to client-go's scheme the file's
// apiVersion and kind must match it.
func Decode(name string, into runtime.Object) error {
	b, err := Raw(name)
	if err != nil {
		return err
	}
	return decode(name, b, into)
}

// decode is Decode for the bytes b of the file name.
func decode(name string, b []byte, into runtime.Object) error {
	if n := documents(b); n != 1 {
		return fmt.Errorf("embedded manifest %q holds %d YAML documents, want 1", name, n)
	}
	if err := yaml.UnmarshalStrict(b, into); err != nil {
		return fmt.Errorf("decoding embedded manifest %q: %w", name, err)
	}
	got := into.GetObjectKind().GroupVersionKind()
	if got.Kind == "" || got.Version == "" {
		return fmt.Errorf("embedded manifest %q has no apiVersion or kind", name)
	}
	if want, _, err := scheme.Scheme.ObjectKinds(into); err == nil && len(want) > 0 {
		ok := false
		for _, w := range want {
			if w == got {
				ok = true
			}
		}
		if !ok {
			return fmt.Errorf("embedded manifest %q is a %s, want a %s", name, got, want[0])
		}
	}
	return nil
}

// documents counts the non-empty YAML documents in b.
func documents(b []byte) int {
	n := 0
	for _, doc := range bytes.Split(append([]byte("\n"), b...), []byte("\n---")) {
		for _, line := range bytes.Split(doc, []byte("\n")) {
			line = bytes.TrimSpace(line)
			// The rest of a separator line, comments and blank lines are not content.
			if len(line) == 0 || line[0] == '#' || bytes.Equal(line, []byte("---")) {
				continue
			}
			n++
			break
		}
	}
	return n
}

// Deployment returns the app Deployment (deployment.yaml): one replica,
// strategy Recreate, the image by tag with an explicit imagePullPolicy, no
// image trigger annotation.
func Deployment() (*appsv1.Deployment, error) {
	d := &appsv1.Deployment{}
	if err := Decode(DeploymentFile, d); err != nil {
		return nil, err
	}
	if len(d.Spec.Template.Spec.Containers) != 1 {
		return nil, fmt.Errorf("embedded manifest %q must have exactly one container", DeploymentFile)
	}
	return d, nil
}

// WarmupPod returns the pod that makes the node pull an image
// (warmup-pod.yaml): restartPolicy Never, imagePullPolicy Always.
func WarmupPod() (*corev1.Pod, error) {
	p := &corev1.Pod{}
	if err := Decode(WarmupPodFile, p); err != nil {
		return nil, err
	}
	if len(p.Spec.Containers) != 1 {
		return nil, fmt.Errorf("embedded manifest %q must have exactly one container", WarmupPodFile)
	}
	return p, nil
}

// DebugPod returns the privileged node debug pod (debug-pod.yaml), like
// `oc debug node`: host PID, network and IPC, privileged, root, the node's /
// at /host, container container-00 sleeping until deleted.
func DebugPod() (*corev1.Pod, error) {
	p := &corev1.Pod{}
	if err := Decode(DebugPodFile, p); err != nil {
		return nil, err
	}
	if len(p.Spec.Containers) != 1 {
		return nil, fmt.Errorf("embedded manifest %q must have exactly one container", DebugPodFile)
	}
	return p, nil
}

// Namespace returns the lab namespace, labelled as pulllab's. A privileged
// namespace carries the Pod Security labels enforce, audit and warn =
// privileged, and turns OpenShift's label synchronisation off so they stay
// (as `oc debug node` does for its temporary namespace).
func Namespace(name string, privileged bool) *corev1.Namespace {
	ns := &corev1.Namespace{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
		ObjectMeta: metav1.ObjectMeta{
			Name:   name,
			Labels: map[string]string{labelManagedBy: managedBy},
		},
	}
	if privileged {
		for k, v := range PrivilegedLabels() {
			ns.Labels[k] = v
		}
	}
	return ns
}

// PrivilegedLabels returns the namespace labels that allow privileged pods.
func PrivilegedLabels() map[string]string {
	return map[string]string{
		LabelPodSecurity + "enforce": "privileged",
		LabelPodSecurity + "audit":   "privileged",
		LabelPodSecurity + "warn":    "privileged",
		LabelSCCSync:                 "false",
	}
}
