package lab

import "strings"

// The kubelet's vocabulary about images, in one place: the event reasons it
// records for a container's image (pkg/kubelet/events/event.go), the message
// fragments of those events (pkg/kubelet/images/image_manager.go), the
// container waiting reasons that mean the image could not be pulled
// (pkg/kubelet/images/types.go), and those that mean a container could not
// start once its image was there (pkg/kubelet/container/sync_result.go,
// pkg/kubelet/kuberuntime/kuberuntime_container.go). The
// waiting reasons the lab's cases expect are in case.go (ReasonErrImagePull,
// ReasonImagePullBackOff, ReasonErrImageNeverPull).

// Event reasons the kubelet records about a container.
const (
	// EventReasonPulling: the kubelet starts pulling the image.
	EventReasonPulling = "Pulling"
	// EventReasonPulled: the image was pulled, or was already present.
	EventReasonPulled = "Pulled"
	// EventReasonFailed: a pull failed, or the container could not start
	// ("Error: <waiting reason>").
	EventReasonFailed = "Failed"
	// EventReasonInspectFailed: the image reference could not be inspected
	// (an invalid image name).
	EventReasonInspectFailed = "InspectFailed"
	// EventReasonBackOff: back-off pulling the image, or restarting the
	// container.
	EventReasonBackOff = "BackOff"
	// EventReasonStarted: the container started.
	EventReasonStarted = "Started"
)

// Container waiting reasons beyond those the cases expect.
const (
	// ReasonCrashLoopBackOff: the container keeps exiting and the kubelet
	// backs off restarting it.
	ReasonCrashLoopBackOff = "CrashLoopBackOff"
	// ReasonCreateContainerConfigError: the container's configuration
	// could not be built (a missing ConfigMap or Secret, …).
	ReasonCreateContainerConfigError = "CreateContainerConfigError"
	// ReasonCreateContainerError: the runtime could not create the
	// container.
	ReasonCreateContainerError = "CreateContainerError"
	// ReasonRunContainerError: the runtime could not start the container.
	ReasonRunContainerError = "RunContainerError"
	// ReasonPreStartHookError: the container's pre-start hook failed.
	ReasonPreStartHookError = "PreStartHookError"
	// ReasonInvalidImageName: the image reference does not parse.
	ReasonInvalidImageName = "InvalidImageName"
	// ReasonImageInspectError: the runtime could not inspect the image.
	ReasonImageInspectError = "ImageInspectError"
	// ReasonRegistryUnavailable: the registry could not be reached.
	ReasonRegistryUnavailable = "RegistryUnavailable"
	// ReasonSignatureValidationFailed: the image's signature was refused.
	ReasonSignatureValidationFailed = "SignatureValidationFailed"
)

// Message fragments of the kubelet's image events.
const (
	// MsgPullFailed starts a Failed event about a pull: `Failed to pull
	// image "X": <runtime error>`.
	MsgPullFailed = "Failed to pull image"
	// MsgBackOffPulling starts a BackOff event about a pull.
	MsgBackOffPulling = "Back-off pulling image"
	// MsgBackOffRestarting starts a BackOff event about a crashing
	// container.
	MsgBackOffRestarting = "Back-off restarting"
	// MsgErrorPrefix starts a Failed event that names a waiting reason:
	// "Error: ErrImagePull".
	MsgErrorPrefix = "Error: "
	// MsgAlreadyPresent is in a Pulled event when the node's cache served
	// the image: `Container image "X" already present on machine`
	// (Kubernetes 1.35 adds " and can be accessed by the pod", so match it
	// as a substring).
	MsgAlreadyPresent = "already present on machine"
	// MsgNeverPull is in the event of an absent image with the policy
	// Never: `Container image "X" is not present with pull policy of Never`.
	MsgNeverPull = "is not present with pull policy of Never"
)

// IsPullFailure reports whether a container waiting reason means that the
// image could not be pulled or resolved.
func IsPullFailure(reason string) bool {
	switch reason {
	case ReasonErrImagePull, ReasonImagePullBackOff, ReasonErrImageNeverPull,
		ReasonInvalidImageName, ReasonImageInspectError, ReasonRegistryUnavailable, ReasonSignatureValidationFailed:
		return true
	}
	return false
}

// IsExpectedPullFailure reports whether a container waiting reason is one
// of the pull failures the case matrix expects (ErrImagePull,
// ImagePullBackOff, ErrImageNeverPull): a subset of IsPullFailure.
func IsExpectedPullFailure(reason string) bool {
	switch reason {
	case ReasonErrImagePull, ReasonImagePullBackOff, ReasonErrImageNeverPull:
		return true
	}
	return false
}

// IsStartFailure reports whether a container waiting reason can only
// happen once the image is on the node: the kubelet pulls first, then
// builds the container's configuration, creates it, runs its hooks and
// starts it, and backs off restarting it when it keeps exiting.
func IsStartFailure(reason string) bool {
	switch reason {
	case ReasonCreateContainerConfigError, ReasonCreateContainerError, ReasonRunContainerError,
		ReasonPreStartHookError, ReasonCrashLoopBackOff:
		return true
	}
	return false
}

// IsImageEventReason reports whether an event reason speaks about a
// container's image: the kubelet's image event reasons (PullingImage,
// PulledImage, FailedToPullImage, FailedToInspectImage,
// ErrImageNeverPullPolicy, BackOffPullImage), plus the waiting reasons a
// runtime or an older kubelet may report as an event reason.
func IsImageEventReason(reason string) bool {
	switch reason {
	case EventReasonPulling, EventReasonPulled, EventReasonFailed, EventReasonInspectFailed,
		EventReasonBackOff, ReasonErrImageNeverPull, ReasonErrImagePull, ReasonImagePullBackOff:
		return true
	}
	return false
}

// IsErrorEvent reports whether a Failed event's message names the waiting
// reason: "Error: <reason>".
func IsErrorEvent(message, reason string) bool {
	return message == MsgErrorPrefix+reason
}

// hasErrorPrefix reports whether a Failed event's message names any waiting
// reason.
func hasErrorPrefix(message string) bool { return strings.HasPrefix(message, MsgErrorPrefix) }

// StateRunning names a running, ready container where a waiting reason
// would name a waiting one (EventReportsState).
const StateRunning = "Running"

// EventReportsState reports whether a kubelet event (its reason and
// message) is the kubelet's report of a container state: StateRunning (the
// Started event), or the waiting reasons ImagePullBackOff (a back-off
// pulling the image), ErrImageNeverPull, ErrImagePull (a failed pull),
// InvalidImageName and CrashLoopBackOff (a back-off restarting the
// container). A Failed event "Error: <reason>" reports its reason.
func EventReportsState(reason, message, state string) bool {
	switch state {
	case StateRunning:
		return reason == EventReasonStarted
	case ReasonImagePullBackOff:
		return (reason == EventReasonBackOff && strings.HasPrefix(message, MsgBackOffPulling)) ||
			(reason == EventReasonFailed && IsErrorEvent(message, ReasonImagePullBackOff))
	case ReasonErrImageNeverPull:
		// "Container image … is not present with pull policy of Never"
		// has the waiting reason as its event reason.
		return reason == ReasonErrImageNeverPull ||
			(reason == EventReasonFailed && IsErrorEvent(message, ReasonErrImageNeverPull))
	case ReasonErrImagePull:
		return reason == EventReasonFailed &&
			(IsErrorEvent(message, ReasonErrImagePull) || strings.HasPrefix(message, MsgPullFailed))
	case ReasonInvalidImageName:
		return reason == EventReasonInspectFailed ||
			(reason == EventReasonFailed && IsErrorEvent(message, ReasonInvalidImageName))
	case ReasonCrashLoopBackOff:
		return reason == EventReasonBackOff && strings.HasPrefix(message, MsgBackOffRestarting)
	}
	return false
}
