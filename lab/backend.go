package lab

import (
	"context"
	"time"
)

// Labels every object the lab creates carries.
const (
	LabelManagedBy = "app.kubernetes.io/managed-by"
	ManagedBy      = "pulllab"
	LabelLabID     = "pulllab.io/lab"
	LabelRole      = "pulllab.io/role" // app, warmup, debug
	LabelCase      = "pulllab.io/case"
)

// AppName is the name of the app's image repository and Deployment, as in
// the article.
const AppName = "custom-image-java"

// StashName is the image repository that keeps both variants under the tags
// "node" and "registry".
const StashName = "pulllab-variants"

// Backend is what differs between targets: the namespaces and what the
// node operations need, the base image, the builds, the registry and the
// environment. The OpenShift backend (lab/openshift) and the
// plain-Kubernetes backend (lab/kube) implement it. What is the same on
// every target — the lab's node, the pods there and its image cache
// (lab/workload, lab/node) — Prepare hands to the runner as a Site.
//
// Every method honours ctx: when it is cancelled the method returns
// ctx.Err() (possibly wrapped) promptly and leaves nothing half-made that
// Cleanup would not remove.
type Backend interface {
	// Kind names the target: "openshift" or "kubernetes".
	Kind() string
	// Prepare makes the lab namespace (idempotent) and whatever the node
	// operations need (the debug pod), and returns the lab's node side.
	Prepare(ctx context.Context) (Site, error)
	// Cleanup removes what this run created in the lab namespace: app and
	// warm-up pods and the debug pod. It keeps the variants and the
	// namespace, so a re-run does not rebuild. It is called with a fresh
	// context after Ctrl-C, also when Prepare did not run or failed.
	Cleanup(ctx context.Context) error
	// EnsureBase makes the base image available to builds and returns it.
	EnsureBase(ctx context.Context) (BaseImage, error)
	// Build builds variant v from the WAR bytes and stashes it. It is
	// idempotent: when a stashed build of the same WAR content exists it
	// returns that with Built false.
	Build(ctx context.Context, v Variant, war []byte) (Build, error)

	Registry

	// Environment gathers facts for the report: versions, node, runtime.
	Environment(ctx context.Context) (Environment, error)
}

// Site is the lab's node as the runner uses it, the same on every target:
// the lab namespace's pods, pinned to the node (lab/workload), and the
// node's image cache (lab/node). Backend.Prepare returns it.
type Site struct {
	// Workload runs the lab namespace's pods on the node.
	Workload Workload
	// NodeCache reads and changes the node's image cache.
	NodeCache NodeCache
}

// Registry is the registry side: what the app's tags point at.
type Registry interface {
	// AppRef returns the app's pull spec by tag, e.g.
	// "image-registry.openshift-image-registry.svc:5000/pulllab/custom-image-java:v1".
	AppRef(tag string) string
	// AppDigestRef returns the app's pull spec by digest ("repo@sha256:…").
	AppDigestRef(digest string) string
	// PointApp makes the registry serve variant v under tag, by a tag
	// operation on the stashed image (no rebuild).
	PointApp(ctx context.Context, tag string, v Variant) error
	// RemoveApp makes the registry serve nothing under tag. Removing an
	// absent tag is not an error.
	RemoveApp(ctx context.Context, tag string) error
	// AppDigest returns the manifest digest the registry serves under tag,
	// or "" when it serves nothing there.
	AppDigest(ctx context.Context, tag string) (string, error)
}

// NodeCache is the node's image cache, seen through the container runtime.
type NodeCache interface {
	// NodeImages lists the images on the node that carry a reference (tag or
	// digest) in the app's repository.
	NodeImages(ctx context.Context) ([]NodeImage, error)
	// RemoveNodeImage removes the image the node holds under ref. It must
	// refuse (with an error) an image that carries any reference that is not
	// the lab's. Removing an absent image is not an error.
	RemoveNodeImage(ctx context.Context, ref string) error
}

// Workload runs pods on the lab's node.
type Workload interface {
	// Warm makes the node pull ref: a short pod with imagePullPolicy Always
	// that is deleted once the image is pulled.
	Warm(ctx context.Context, ref string) error
	// Deploy creates (or replaces) the app Deployment.
	Deploy(ctx context.Context, d Deployment) error
	// Observe watches the Deployment's pod until it is Running and Ready, or
	// its container waits with ImagePullBackOff or ErrImageNeverPull, or
	// timeout passes (then TimedOut is set and the error is nil). It then
	// gathers the evidence.
	Observe(ctx context.Context, d Deployment, timeout time.Duration) (Observation, error)
	// Undeploy deletes the Deployment and waits until its pods are gone.
	// An absent Deployment is not an error: the runner calls Undeploy
	// before every case, the first one included, so that no pod of an
	// earlier (or interrupted) run still uses the image it must remove.
	Undeploy(ctx context.Context, name string) error
}

// NamespaceWorkload is a Workload that also looks after its namespace:
// what both backends need from lab/workload's Client.
type NamespaceWorkload interface {
	Workload
	// EnsureNamespace creates the namespace if needed, labelled for the lab
	// and, when privileged, for privileged pods.
	EnsureNamespace(ctx context.Context, privileged bool) error
	// Cleanup removes the lab's pods and Deployments in the namespace.
	Cleanup(ctx context.Context) error
	// DeleteNamespace deletes the namespace (only pulllab's) and waits.
	DeleteNamespace(ctx context.Context) error
}

// DebugNodeCache is the node's image cache seen through a debug pod that a
// backend starts and stops: what both backends need from lab/node's Cache.
type DebugNodeCache interface {
	NodeCache
	// Start runs the debug pod and waits until it can exec.
	Start(ctx context.Context) error
	// StartShared uses a running debug pod without owning it (owned is
	// false: do not Stop it), or starts one (owned is true).
	StartShared(ctx context.Context) (owned bool, err error)
	// Stop deletes the debug pod.
	Stop(ctx context.Context) error
	// RuntimeVersion returns the container runtime's name and version.
	RuntimeVersion(ctx context.Context) (string, error)
}

// Deployment is what the runner deploys for a case.
type Deployment struct {
	// Name of the Deployment (the app name).
	Name string
	// Image is the full pull spec, by tag or by digest.
	Image string
	// Policy is the imagePullPolicy; empty omits the field.
	Policy Policy
	// CaseID labels the pod.
	CaseID int
}

// BaseImage is the image the variants are built on.
type BaseImage struct {
	// Ref is the reference the user asked for.
	Ref string `json:"ref" yaml:"ref"`
	// Digest is the manifest digest that was imported or pulled.
	Digest string `json:"digest,omitempty" yaml:"digest,omitempty"`
	// Profile names the base image's log profile (see ProfileFor).
	Profile string `json:"profile" yaml:"profile"`
}

// Build is one stashed variant.
type Build struct {
	Variant Variant `json:"variant" yaml:"variant"`
	// Digest is the image's manifest digest ("sha256:…").
	Digest string `json:"digest" yaml:"digest"`
	// ImageID is the image's config digest ("sha256:…"), the ID container
	// runtimes show; empty when the backend cannot tell.
	ImageID string `json:"imageID,omitempty" yaml:"imageID,omitempty"`
	// WARSHA256 is the hex SHA-256 of the WAR the image deploys.
	WARSHA256 string `json:"warSHA256" yaml:"warSHA256"`
	// Built is true when this run built the image, false when it reused it.
	Built bool `json:"built" yaml:"built"`
	// Name identifies the build (an OpenShift Build name), if any.
	Name string `json:"name,omitempty" yaml:"name,omitempty"`
}

// NodeImage is one image in the node's cache, as crictl shows it.
type NodeImage struct {
	ID          string   `json:"id" yaml:"id"`
	RepoTags    []string `json:"repoTags" yaml:"repoTags"`
	RepoDigests []string `json:"repoDigests" yaml:"repoDigests"`
	Size        int64    `json:"size" yaml:"size"`
}

// Event is one Kubernetes event of a pod.
type Event struct {
	Type    string    `json:"type" yaml:"type"`
	Reason  string    `json:"reason" yaml:"reason"`
	Message string    `json:"message" yaml:"message"`
	Count   int32     `json:"count" yaml:"count"`
	First   time.Time `json:"first" yaml:"first"`
	Last    time.Time `json:"last" yaml:"last"`
}

// Observation is what a case's pod did, as the API server reports it.
type Observation struct {
	// Pod is the pod's name.
	Pod string `json:"pod" yaml:"pod"`
	// PodLine is the pod as `oc get pod` shows it: NAME READY STATUS RESTARTS AGE.
	PodLine string `json:"podLine" yaml:"podLine"`
	// Status is the STATUS column: Running, ImagePullBackOff, ….
	Status string `json:"status" yaml:"status"`
	// Ready is the container's readiness.
	Ready bool `json:"ready" yaml:"ready"`
	// Reason and Message are the container's waiting reason and message.
	Reason  string `json:"reason,omitempty" yaml:"reason,omitempty"`
	Message string `json:"message,omitempty" yaml:"message,omitempty"`
	// Image and ImageID are containerStatuses[0].image and .imageID.
	Image   string `json:"image,omitempty" yaml:"image,omitempty"`
	ImageID string `json:"imageID,omitempty" yaml:"imageID,omitempty"`
	// Events are the pod's events, oldest first.
	Events []Event `json:"events" yaml:"events"`
	// LogLine is the container log line that names the deployed WAR.
	LogLine string `json:"logLine,omitempty" yaml:"logLine,omitempty"`
	// Created is the pod's creation time; Kubelet is when the kubelet
	// reported the terminal state (container start, or the Failed/BackOff
	// event); Seen is when pulllab saw it.
	Created time.Time `json:"created" yaml:"created"`
	Kubelet time.Time `json:"kubelet" yaml:"kubelet"`
	Seen    time.Time `json:"seen" yaml:"seen"`
	// TimedOut is set when no terminal state was reached in time.
	TimedOut bool `json:"timedOut,omitempty" yaml:"timedOut,omitempty"`
	// StatusNudged is when pulllab, having decided on the kubelet's event,
	// annotated the pod so that the kubelet syncs it at once and publishes
	// the state in the pod status; zero when it did not need to.
	StatusNudged time.Time `json:"statusNudged,omitzero" yaml:"statusNudged,omitempty"`
	// StatusCaughtUp is when pulllab saw the pod status show the state the
	// verdict was taken on (equal to Seen when the status itself decided);
	// zero when the status did not catch up within the bound, and then
	// StatusNote says so.
	StatusCaughtUp time.Time `json:"statusCaughtUp,omitzero" yaml:"statusCaughtUp,omitempty"`
	// StatusNote explains a pod line that does not show the verdict's state
	// (the reason then rests on the kubelet's event).
	StatusNote string `json:"statusNote,omitempty" yaml:"statusNote,omitempty"`
	// LogNote says why LogLine is empty: the log was silent (it named no
	// WAR before it stopped growing), it ended, or it could not be read.
	LogNote string `json:"logNote,omitempty" yaml:"logNote,omitempty"`
	// LogSeconds is how long pulllab read the container log for LogLine.
	LogSeconds float64 `json:"logSeconds,omitempty" yaml:"logSeconds,omitempty"`
}

// StatusWait is how long after the verdict the pod status took to show the
// verdict's state: zero when the status decided, StatusCaughtUp − Seen
// after an event-based verdict. ok is false when the status never caught up.
func (o Observation) StatusWait() (wait time.Duration, ok bool) {
	if o.StatusCaughtUp.IsZero() {
		return 0, false
	}
	if d := o.StatusCaughtUp.Sub(o.Seen); d > 0 {
		return d, true
	}
	return 0, true
}

// Environment is where the lab ran.
type Environment struct {
	Target            string `json:"target" yaml:"target"`
	CRCVersion        string `json:"crcVersion,omitempty" yaml:"crcVersion,omitempty"`
	OpenShiftVersion  string `json:"openshiftVersion,omitempty" yaml:"openshiftVersion,omitempty"`
	KubernetesVersion string `json:"kubernetesVersion,omitempty" yaml:"kubernetesVersion,omitempty"`
	KubeletVersion    string `json:"kubeletVersion,omitempty" yaml:"kubeletVersion,omitempty"`
	ContainerRuntime  string `json:"containerRuntime,omitempty" yaml:"containerRuntime,omitempty"`
	Node              string `json:"node,omitempty" yaml:"node,omitempty"`
	OSImage           string `json:"osImage,omitempty" yaml:"osImage,omitempty"`
	Namespace         string `json:"namespace" yaml:"namespace"`
	// AppRepository is the app's repository as the node pulls it (what
	// the pods ran).
	AppRepository string `json:"appRepository" yaml:"appRepository"`
	// AppPushRepository is the same repository under the address pulllab
	// pushed to, when the registry's push and pull addresses differ;
	// empty when they are the same.
	AppPushRepository string `json:"appPushRepository,omitempty" yaml:"appPushRepository,omitempty"`
	// EnsureSecretPulledImages says whether the kubelet feature
	// KubeletEnsureSecretPulledImages (KEP-2535) is in force: "on", "off",
	// or "unknown", with the reason after a colon when inferred.
	EnsureSecretPulledImages string `json:"ensureSecretPulledImages,omitempty" yaml:"ensureSecretPulledImages,omitempty"`
	// KubeletImageCredentials is the KEP-2535 state as read from the node
	// (or inferred, and marked so); EnsureSecretPulledImages is filled
	// from it.
	KubeletImageCredentials *KubeletImageCredentials `json:"kubeletImageCredentials,omitempty" yaml:"kubeletImageCredentials,omitempty"`
	// BaseImageReason says why the variants were built on the base image
	// they were (BaseImage.Ref in the results): one of the BaseReason
	// values; empty when the backend did not choose.
	BaseImageReason BaseImageReason `json:"baseImageReason,omitempty" yaml:"baseImageReason,omitempty"`
	// NodeArchitecture is the lab node's CPU architecture (amd64, arm64, …).
	NodeArchitecture string `json:"nodeArchitecture,omitempty" yaml:"nodeArchitecture,omitempty"`
}

// BaseImageReason is why the lab built on its base image; the report words
// it in each language.
type BaseImageReason string

// The reasons for a base image.
const (
	// BaseReasonUser: the user chose it (flag, variable or pulllab.yaml).
	BaseReasonUser BaseImageReason = "user"
	// BaseReasonDefault: the default, the article's JBoss EAP 7.4 image.
	BaseReasonDefault BaseImageReason = "default"
	// BaseReasonArm64: the node's architecture has no build of the
	// default image, so the arm64 default was used.
	BaseReasonArm64 BaseImageReason = "arch"
	// BaseReasonOKD: crc's okd preset has no registry.redhat.io
	// credentials, so the public WildFly S2I image was used.
	BaseReasonOKD BaseImageReason = "okd"
	// BaseReasonKubernetes: on plain Kubernetes with no base image chosen,
	// the public WildFly image was used instead of the EAP image.
	BaseReasonKubernetes BaseImageReason = "kubernetes"
)
