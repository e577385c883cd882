package openshift

import (
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// The backend reaches build.openshift.io/v1 through the dynamic client and
// reads the few fields it needs into the types below, instead of linking
// openshift/api's build types (and the typed client with its apply
// configurations): with their generated protobuf code and field docs they
// weigh about 1 MB of the binary. Objects pulllab writes back (a
// BuildConfig's spec, a Build's cancellation) are changed in place in the
// server's object, so fields these types leave out are kept. The JSON names
// are those of Build, BuildStatus, BuildStatusOutput and
// BuildStatusOutputTo in openshift/api build/v1/types.go; the tests decode
// the typed fake's objects through them, so a name that drifts shows.

// buildGV is the API group and version of builds.
var buildGV = schema.GroupVersion{Group: "build.openshift.io", Version: "v1"}

var (
	// buildsResource is build.openshift.io/v1 builds.
	buildsResource = buildGV.WithResource("builds")
	// buildConfigsResource is build.openshift.io/v1 buildconfigs.
	buildConfigsResource = buildGV.WithResource("buildconfigs")
)

// buildConfigLabel is the label the build controller puts on a Build to
// name its BuildConfig (openshift/api build/v1 BuildConfigLabel).
const buildConfigLabel = "openshift.io/build-config.name"

// BuildPhase is the phase of a Build (openshift/api build/v1 BuildPhase).
type BuildPhase string

// The phases of a Build.
const (
	BuildPhaseNew       BuildPhase = "New"
	BuildPhasePending   BuildPhase = "Pending"
	BuildPhaseRunning   BuildPhase = "Running"
	BuildPhaseComplete  BuildPhase = "Complete"
	BuildPhaseFailed    BuildPhase = "Failed"
	BuildPhaseError     BuildPhase = "Error"
	BuildPhaseCancelled BuildPhase = "Cancelled"
)

// Build is the part of a build.openshift.io/v1 Build that pulllab reads.
type Build struct {
	// Name, Namespace, Labels, Annotations: the object's metadata.
	Name        string            `json:"-"`
	Namespace   string            `json:"-"`
	Labels      map[string]string `json:"-"`
	Annotations map[string]string `json:"-"`
	// Status is how the build is going.
	Status BuildStatus `json:"status"`
}

// BuildStatus is the status of a Build.
type BuildStatus struct {
	// Phase is where the build is.
	Phase BuildPhase `json:"phase"`
	// Cancelled asks the build controller to cancel the build.
	Cancelled bool `json:"cancelled,omitempty"`
	// Reason and Message say why a build failed.
	Reason  string `json:"reason,omitempty"`
	Message string `json:"message,omitempty"`
	// LogSnippet is the end of a failed build's log.
	LogSnippet string `json:"logSnippet,omitempty"`
	// Output is what the build pushed.
	Output BuildStatusOutput `json:"output,omitempty"`
}

// BuildStatusOutput is what a build pushed.
type BuildStatusOutput struct {
	// To is the pushed image, once there is one.
	To *BuildStatusOutputTo `json:"to,omitempty"`
}

// BuildStatusOutputTo is the image a build pushed.
type BuildStatusOutputTo struct {
	// ImageDigest is the pushed image's digest ("sha256:…").
	ImageDigest string `json:"imageDigest,omitempty"`
}

// buildFrom reads a Build from the server's object.
func buildFrom(u *unstructured.Unstructured) (*Build, error) {
	var bd Build
	if st, ok := u.Object["status"].(map[string]any); ok {
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(st, &bd.Status); err != nil {
			return nil, fmt.Errorf("reading the status of build %s: %w", u.GetName(), err)
		}
	}
	bd.Name, bd.Namespace = u.GetName(), u.GetNamespace()
	bd.Labels, bd.Annotations = u.GetLabels(), u.GetAnnotations()
	return &bd, nil
}

// buildsFrom reads the Builds of a list.
func buildsFrom(l *unstructured.UnstructuredList) ([]Build, error) {
	out := make([]Build, 0, len(l.Items))
	for i := range l.Items {
		bd, err := buildFrom(&l.Items[i])
		if err != nil {
			return nil, err
		}
		out = append(out, *bd)
	}
	return out, nil
}
