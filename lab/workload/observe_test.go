package workload

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/pulllab/pulllab/lab"
)

func TestDecide(t *testing.T) {
	const img = "r/app:v1"
	pod := func(mutate func(*corev1.Pod)) *corev1.Pod {
		p := podWith("app-1", t0, mutate)
		p.UID = types.UID("uid-1")
		return p
	}
	pending := pod(withContainer(waiting("ContainerCreating", ""), false, img, ""))
	pulling := pod(withContainer(waiting(lab.ReasonErrImagePull, "pull failed"), false, img, ""))
	other := podWith("app-0", t0, nil)
	other.UID = "uid-0"
	ev := func(p *corev1.Pod, reason, msg string) *corev1.Event {
		return event(p, "e", "Warning", reason, msg, 1, t0, t0)
	}
	backOff := ev(pulling, lab.EventReasonBackOff, `Back-off pulling image "r/app:v1"`)
	neverPull := ev(pending, lab.ReasonErrImageNeverPull, `Container image "r/app:v1" is not present with pull policy of Never`)
	errorNeverPull := ev(pending, lab.EventReasonFailed, "Error: ErrImageNeverPull")
	pullFailed := ev(pulling, lab.EventReasonFailed, `Failed to pull image "r/app:v1": not found`)
	restarting := ev(pulling, lab.EventReasonBackOff, "Back-off restarting failed container app")

	for _, tc := range []struct {
		name   string
		prev   decision
		pod    *corev1.Pod
		events []*corev1.Event
		want   decision
	}{
		{"no pod yet", decision{}, nil, []*corev1.Event{backOff}, decision{}},
		{"pod still creating", decision{}, pending, nil, decision{}},
		{"ErrImagePull alone is not terminal", decision{}, pulling, []*corev1.Event{pullFailed}, decision{}},
		{"running and ready decides on the status", decision{}, pod(withContainer(running(t0), true, img, "sha256:1")), nil, decision{done: true}},
		{"running but not ready waits", decision{}, pod(withContainer(running(t0), false, img, "sha256:1")), nil, decision{}},
		{"ImagePullBackOff in the status", decision{}, pod(withContainer(waiting(lab.ReasonImagePullBackOff, ""), false, img, "")), nil, decision{done: true}},
		{"ErrImageNeverPull in the status", decision{}, pod(withContainer(waiting(lab.ReasonErrImageNeverPull, ""), false, img, "")), nil, decision{done: true}},
		{"InvalidImageName in the status", decision{}, pod(withContainer(waiting(lab.ReasonInvalidImageName, ""), false, img, "")), nil, decision{done: true}},
		{"CrashLoopBackOff in the status", decision{}, pod(withContainer(waiting(lab.ReasonCrashLoopBackOff, ""), false, img, "")), nil, decision{done: true}},
		{"the status wins over an event", decision{}, pod(withContainer(waiting(lab.ReasonImagePullBackOff, ""), false, img, "")), []*corev1.Event{neverPull}, decision{done: true}},
		{"back-off event before the status", decision{}, pulling, []*corev1.Event{pullFailed, backOff}, decision{done: true, eventState: lab.ReasonImagePullBackOff}},
		{"never-pull event", decision{}, pending, []*corev1.Event{neverPull}, decision{done: true, eventState: lab.ReasonErrImageNeverPull}},
		{"Error: ErrImageNeverPull event", decision{}, pending, []*corev1.Event{errorNeverPull}, decision{done: true, eventState: lab.ReasonErrImageNeverPull}},
		{"the first matching event decides", decision{}, pending, []*corev1.Event{neverPull, backOff}, decision{done: true, eventState: lab.ReasonErrImageNeverPull}},
		{"restart back-off is not an image event", decision{}, pulling, []*corev1.Event{restarting}, decision{}},
		{"another pod's event is ignored", decision{}, pending, []*corev1.Event{ev(other, lab.EventReasonBackOff, `Back-off pulling image "r/app:v1"`)}, decision{}},
		{"a decision stays", decision{done: true, eventState: lab.ReasonImagePullBackOff}, pod(withContainer(running(t0), true, img, "sha256:1")), nil, decision{done: true, eventState: lab.ReasonImagePullBackOff}},
		{"a decision stays without a pod", decision{done: true}, nil, nil, decision{done: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := decide(tc.prev, tc.pod, tc.events); got != tc.want {
				t.Errorf("decide = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestContainerEvidence(t *testing.T) {
	const img = "r/app:v1"
	for _, tc := range []struct {
		name       string
		pod        *corev1.Pod
		eventState string
		wantState  string
		want       lab.Observation
	}{
		{"running", podWith("p", t0, withContainer(running(t0), true, img, "r/app@sha256:1")), "", stateRunning,
			lab.Observation{Ready: true, Image: img, ImageID: "r/app@sha256:1"}},
		{"waiting in the status", podWith("p", t0, withContainer(waiting(lab.ReasonImagePullBackOff, "Back-off pulling image"), false, img, "")), "", lab.ReasonImagePullBackOff,
			lab.Observation{Image: img, Reason: lab.ReasonImagePullBackOff, Message: "Back-off pulling image"}},
		{"the event's reason wins over a lagging status", podWith("p", t0, withContainer(waiting(lab.ReasonErrImagePull, "not found"), false, img, "")), lab.ReasonImagePullBackOff, lab.ReasonImagePullBackOff,
			lab.Observation{Image: img, Reason: lab.ReasonImagePullBackOff, Message: "not found"}},
		{"a non-terminal waiting reason is the state", podWith("p", t0, withContainer(waiting(lab.ReasonErrImagePull, "x"), false, img, "")), "", lab.ReasonErrImagePull,
			lab.Observation{Image: img, Reason: lab.ReasonErrImagePull, Message: "x"}},
		{"no container status: the spec's image", podWith("p", t0, nil), "", "", lab.Observation{Image: img}},
		{"no container status after an event", podWith("p", t0, nil), lab.ReasonErrImageNeverPull, lab.ReasonErrImageNeverPull, lab.Observation{Image: img}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var obs lab.Observation
			state := containerEvidence(&obs, tc.pod, tc.eventState)
			if state != tc.wantState {
				t.Errorf("state = %q, want %q", state, tc.wantState)
			}
			if obs.Ready != tc.want.Ready || obs.Image != tc.want.Image || obs.ImageID != tc.want.ImageID || obs.Reason != tc.want.Reason || obs.Message != tc.want.Message {
				t.Errorf("observation = %+v, want %+v", obs, tc.want)
			}
		})
	}
}
