package lab

import (
	"strings"
)

// EventKind classifies a kubelet event of a case's pod by what it says about
// the image.
type EventKind string

// The event kinds.
const (
	// EventPulling: `Pulling image "X"`.
	EventPulling EventKind = "pulling"
	// EventPulled: `Successfully pulled image "X" in 1.2s …`: the image came
	// from the registry.
	EventPulled EventKind = "pulled"
	// EventAlreadyPresent: `Container image "X" already present on machine`
	// (Kubernetes 1.35 adds " and can be accessed by the pod"): the node's
	// cache served the image.
	EventAlreadyPresent EventKind = "already-present"
	// EventPullFailed: `Failed to pull image "X": <runtime error>`.
	EventPullFailed EventKind = "pull-failed"
	// EventError: `Error: ErrImagePull`, `Error: ImagePullBackOff`, … (the
	// container could not start).
	EventError EventKind = "error"
	// EventBackOff: `Back-off pulling image "X"`.
	EventBackOff EventKind = "back-off"
	// EventNeverPull: `Container image "X" is not present with pull policy
	// of Never`.
	EventNeverPull EventKind = "never-pull"
	// EventOther is anything else (Scheduled, Created, Started, …).
	EventOther EventKind = "other"
)

// ClassifyEvent returns what a pod event says about the image. The
// "already present on machine" message is matched as a substring, because
// Kubernetes 1.35 extends it (" and can be accessed by the pod").
func ClassifyEvent(e Event) EventKind {
	msg := e.Message
	switch e.Reason {
	case EventReasonPulling:
		return EventPulling
	case EventReasonPulled:
		if strings.Contains(msg, MsgAlreadyPresent) {
			return EventAlreadyPresent
		}
		return EventPulled
	case EventReasonFailed:
		switch {
		case strings.HasPrefix(msg, MsgPullFailed):
			return EventPullFailed
		case strings.HasPrefix(msg, MsgErrorPrefix+ReasonErrImageNeverPull):
			return EventNeverPull
		case hasErrorPrefix(msg):
			return EventError
		}
		return EventOther
	case EventReasonBackOff:
		if strings.HasPrefix(msg, MsgBackOffPulling) {
			return EventBackOff
		}
		return EventOther
	case ReasonErrImageNeverPull:
		return EventNeverPull
	}
	if strings.Contains(msg, MsgNeverPull) {
		return EventNeverPull
	}
	return EventOther
}

// PullEvidence summarises what a pod's events say about where its image
// came from.
type PullEvidence struct {
	// Pulled: the kubelet pulled the image from the registry.
	Pulled bool `json:"pulled" yaml:"pulled"`
	// AlreadyPresent: the kubelet used the node's cached image.
	AlreadyPresent bool `json:"alreadyPresent" yaml:"alreadyPresent"`
	// PullFailed: a pull failed; FailMessage is the first such message.
	PullFailed  bool   `json:"pullFailed" yaml:"pullFailed"`
	FailMessage string `json:"failMessage,omitempty" yaml:"failMessage,omitempty"`
	// BackOff: the kubelet backed off pulling.
	BackOff bool `json:"backOff" yaml:"backOff"`
	// NeverPull: the image was absent and the policy is Never.
	NeverPull bool `json:"neverPull" yaml:"neverPull"`
}

// SummarizeEvents classifies every event and collects the result.
func SummarizeEvents(events []Event) PullEvidence {
	var p PullEvidence
	for _, e := range events {
		switch ClassifyEvent(e) {
		case EventPulled:
			p.Pulled = true
		case EventAlreadyPresent:
			p.AlreadyPresent = true
		case EventPullFailed:
			if !p.PullFailed {
				p.FailMessage = e.Message
			}
			p.PullFailed = true
		case EventBackOff:
			p.BackOff = true
		case EventNeverPull:
			p.NeverPull = true
		}
	}
	return p
}

// String describes the evidence in a few words, e.g. "the kubelet pulled it
// from the registry", or "" when the events say nothing about the image.
func (p PullEvidence) String() string {
	var parts []string
	if p.AlreadyPresent {
		parts = append(parts, "the kubelet found the image already present on the node")
	}
	if p.Pulled {
		parts = append(parts, "the kubelet pulled it from the registry")
	}
	if p.PullFailed {
		parts = append(parts, "the pull failed")
	}
	if p.BackOff {
		parts = append(parts, "the kubelet backed off pulling")
	}
	if p.NeverPull {
		parts = append(parts, "the image is not on the node and the policy is Never")
	}
	return strings.Join(parts, " and ")
}

// VariantOfWAR returns the variant that deploys the WAR file name, or "".
func VariantOfWAR(war string) Variant {
	for _, v := range Variants {
		if war == v.WAR() {
			return v
		}
	}
	return ""
}

// LogVariant returns the WAR named by a container log line and the variant
// that deploys it ("" when the WAR is not one of the variants' or the line
// names none). The line is recognised in every known format, the profile's
// first (FindDeployedWAR): a base image whose name suggests one server but
// which logs another's message is still read right.
func LogVariant(p Profile, line string) (Variant, string) {
	war, _ := FindDeployedWAR(p, line)
	return VariantOfWAR(war), war
}

// VariantOfImageID returns the variant whose image a container's imageID
// names, or "". It accepts what runtimes report: "repo@sha256:<manifest
// digest>" (containerd, CRI-O), "docker-pullable://repo@sha256:…", and bare
// config digests with or without "sha256:", compared with Build.Digest and
// Build.ImageID.
func VariantOfImageID(imageID string, builds map[Variant]Build) Variant {
	if digestHex(imageID) == "" {
		return ""
	}
	var found Variant
	for _, v := range Variants {
		b, ok := builds[v]
		if !ok {
			continue
		}
		if sameDigest(imageID, b.Digest) || sameDigest(imageID, b.ImageID) {
			if found != "" {
				// Both variants share a digest: the ID cannot tell them apart.
				return ""
			}
			found = v
		}
	}
	return found
}

// sameFailure reports whether a seen waiting reason meets an expected one.
// ErrImagePull and ImagePullBackOff are one expectation: the kubelet
// alternates between them while it retries the same failed pull.
func sameFailure(expected, seen string) bool {
	norm := func(r string) string {
		if r == ReasonErrImagePull {
			return ReasonImagePullBackOff
		}
		return r
	}
	return norm(expected) == norm(seen)
}
