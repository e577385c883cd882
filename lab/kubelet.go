package lab

import "strings"

// The kubelet's vocabulary about images, in one place: the event reasons it
// records for a container's image (pkg/kubelet/events/event.go), the message
// fragments of those events (pkg/kubelet/images/image_manager.go), and the
// container waiting reasons that mean the image could not be pulled. The
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
