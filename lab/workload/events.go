package workload

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"

	"github.com/pulllab/pulllab/lab"
)

// Kubelet event reasons and message fragments (pkg/kubelet/events and the
// image manager; identical in Kubernetes 1.31 to 1.36).
const (
	eventPulling = "Pulling"
	eventPulled  = "Pulled"
	eventFailed  = "Failed"
	eventBackOff = "BackOff"
	eventStarted = "Started"
	// eventNeverPull is the reason of "Container image … is not present
	// with pull policy of Never".
	eventNeverPull = lab.ReasonErrImageNeverPull
)

// podEvents returns the pod's events, oldest first. Events reach the API
// server asynchronously (the kubelet's recorder sends them after the status),
// so when the event that matches the terminal state is not there yet it
// watches for it, bounded by EventWait; after that it returns what there is.
func (c *Client) podEvents(ctx context.Context, pod *corev1.Pod, state string) ([]lab.Event, []*corev1.Event, error) {
	opts := metav1.ListOptions{FieldSelector: fields.Set{
		"involvedObject.uid":  string(pod.UID),
		"involvedObject.name": pod.Name,
	}.AsSelector().String()}
	keep := func(e *corev1.Event) bool {
		return e.InvolvedObject.Name == pod.Name && (pod.UID == "" || e.InvolvedObject.UID == pod.UID)
	}
	var got []*corev1.Event
	wctx, cancel := context.WithTimeout(ctx, c.o.EventWait)
	defer cancel()
	err := until(wctx, eventLW(c.cs, pod.Namespace, opts), &corev1.Event{}, keep,
		func(evs []*corev1.Event) (bool, error) {
			got = evs
			return state == "" || hasStateEvent(evs, state), nil
		})
	switch {
	case err == nil:
	case ctx.Err() != nil:
		return nil, nil, fmt.Errorf("reading the events of pod %s: %w", pod.Name, ctx.Err())
	case errors.Is(err, context.DeadlineExceeded):
		c.o.Log.WithFields(map[string]any{"pod": pod.Name, "state": state}).Debugf("the event for the pod's state did not arrive within %s", c.o.EventWait)
	default:
		return nil, nil, fmt.Errorf("reading the events of pod %s: %w", pod.Name, err)
	}
	sort.SliceStable(got, func(i, j int) bool { return eventBefore(got[i], got[j]) })
	out := make([]lab.Event, 0, len(got))
	for _, e := range got {
		out = append(out, convertEvent(e))
	}
	return out, got, nil
}

// eventBefore orders events by their first occurrence. Events of the same
// second (Pulling, Failed and BackOff often are) are ordered by name: the
// kubelet's recorder names an event after the pod and its own clock in
// nanoseconds (hexadecimal, fixed width), so names sort in creation order.
// (The resourceVersion would not do: it changes when a repeated event's
// count is updated.)
func eventBefore(a, b *corev1.Event) bool {
	fa, fb := convertEvent(a).First, convertEvent(b).First
	if !fa.Equal(fb) {
		return fa.Before(fb)
	}
	return a.Name < b.Name
}

// convertEvent turns an API event into the lab's form.
//
// Precision: the kubelet records events with the legacy core/v1 recorder,
// which sets firstTimestamp and lastTimestamp (metav1.Time, serialised with
// one-second resolution) and leaves eventTime and series empty. Events from
// the events.k8s.io/v1 API carry eventTime and series.lastObservedTime
// (microseconds) instead; either is used when present. Kubelet times derived
// from events (and from containerStatuses[].state.running.startedAt, also
// one-second resolution) are therefore exact to a second only, while
// Observation.Seen is pulllab's own clock.
func convertEvent(e *corev1.Event) lab.Event {
	first := e.FirstTimestamp.Time
	if first.IsZero() {
		first = e.EventTime.Time
	}
	if first.IsZero() {
		first = e.CreationTimestamp.Time
	}
	last := e.LastTimestamp.Time
	if e.Series != nil && !e.Series.LastObservedTime.IsZero() {
		last = e.Series.LastObservedTime.Time
	}
	if last.IsZero() {
		last = first
	}
	count := e.Count
	if e.Series != nil && e.Series.Count > count {
		count = e.Series.Count
	}
	if count == 0 {
		count = 1
	}
	return lab.Event{Type: e.Type, Reason: e.Reason, Message: e.Message, Count: count, First: first, Last: last}
}

// matchesState reports whether an event is the kubelet's report of state.
func matchesState(reason, message, state string) bool {
	switch state {
	case stateRunning:
		return reason == eventStarted
	case lab.ReasonImagePullBackOff:
		return (reason == eventBackOff && strings.HasPrefix(message, "Back-off pulling image")) ||
			(reason == eventFailed && message == "Error: "+lab.ReasonImagePullBackOff)
	case lab.ReasonErrImageNeverPull:
		return reason == eventNeverPull ||
			(reason == eventFailed && message == "Error: "+lab.ReasonErrImageNeverPull)
	case lab.ReasonErrImagePull:
		return reason == eventFailed &&
			(message == "Error: "+lab.ReasonErrImagePull || strings.HasPrefix(message, "Failed to pull image"))
	case reasonInvalidImageName:
		return reason == "InspectFailed" || (reason == eventFailed && message == "Error: "+reasonInvalidImageName)
	case reasonCrashLoopBackOff:
		return reason == eventBackOff && strings.HasPrefix(message, "Back-off restarting")
	}
	return false
}

func hasStateEvent(evs []*corev1.Event, state string) bool {
	for _, e := range evs {
		if matchesState(e.Reason, e.Message, state) {
			return true
		}
	}
	return false
}

// kubeletTime is when the kubelet reached the terminal state, by its own
// clock. The kubelet's event recorder names each event after the pod and
// the kubelet's clock in nanoseconds ("<pod>.<hex>"), so the Started event
// (for a running pod) or the first BackOff / ErrImageNeverPull event gives
// the moment to the nanosecond; the events' timestamps, the container's
// startedAt and the Ready condition only have one-second resolution and are
// the fallback. Zero when unknown.
func kubeletTime(pod *corev1.Pod, state string, events []*corev1.Event) time.Time {
	var precise, coarse time.Time
	for _, e := range events {
		if !matchesState(e.Reason, e.Message, state) {
			continue
		}
		if t, ok := eventNameTime(e.Name, pod.Name); ok && (precise.IsZero() || t.Before(precise)) {
			precise = t
		}
		if t := convertEvent(e).First; coarse.IsZero() || t.Before(coarse) {
			coarse = t
		}
	}
	if !precise.IsZero() {
		return precise
	}
	if state == stateRunning {
		if cs := appStatus(pod); cs != nil && cs.State.Running != nil && !cs.State.Running.StartedAt.IsZero() {
			return cs.State.Running.StartedAt.Time
		}
		for _, c := range pod.Status.Conditions {
			if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue {
				return c.LastTransitionTime.Time
			}
		}
	}
	return coarse
}

// eventNameTime reads the recorder's clock from an event name
// "<object>.<hex nanoseconds>".
func eventNameTime(name, object string) (time.Time, bool) {
	suffix, ok := strings.CutPrefix(name, object+".")
	if !ok || len(suffix) < 15 || len(suffix) > 16 {
		return time.Time{}, false
	}
	n, err := strconv.ParseInt(suffix, 16, 64)
	if err != nil || n <= 0 {
		return time.Time{}, false
	}
	return time.Unix(0, n), true
}

// createdTime is when the pod was created. The API's creationTimestamp is
// truncated to the second; when pulllab's watch saw the pod appear within
// that second, the sighting is the closer (upper) bound and is used.
func createdTime(pod *corev1.Pod, firstSeen time.Time) time.Time {
	ct := pod.CreationTimestamp.Time
	if !firstSeen.IsZero() && !firstSeen.Before(ct) && firstSeen.Sub(ct) < time.Second {
		return firstSeen
	}
	return ct
}

// catchUp waits (bounded) until the pod's status shows the waiting reason
// state, and returns the newest pod seen. The verdict does not wait for
// this; the pod line in the report does.
func (c *Client) catchUp(ctx context.Context, pod *corev1.Pod, state string) *corev1.Pod {
	wctx, cancel := context.WithTimeout(ctx, c.o.StatusWait)
	defer cancel()
	got, err := WaitForPod(wctx, c.cs, pod.Namespace, pod.Name, func(p *corev1.Pod) (bool, error) {
		if p == nil {
			return false, errors.New("the pod is gone")
		}
		if p.UID != pod.UID {
			return false, nil
		}
		cs := appStatus(p)
		return cs != nil && cs.State.Waiting != nil && cs.State.Waiting.Reason == state, nil
	})
	if err != nil || got == nil {
		return pod
	}
	return got
}

// maxLogLine bounds one log line; a longer line is cut.
const maxLogLine = 1 << 20

// deployLine follows the pod's log for up to LogWait and returns the first
// line in which the profile finds a deployed WAR, or "" when none came (the
// verdict rests on the image ID; the line is supporting evidence). It
// returns an error only when ctx itself ends.
func (c *Client) deployLine(ctx context.Context, pod *corev1.Pod) (string, error) {
	if c.o.Profile.DeployLine == nil {
		return "", nil
	}
	log := c.o.Log.WithField("pod", pod.Name)
	lctx, cancel := context.WithTimeout(ctx, c.o.LogWait)
	defer cancel()
	rc, err := c.logs(lctx, pod.Namespace, pod.Name, pod.Spec.Containers[0].Name, true)
	if err != nil {
		if ctx.Err() != nil {
			return "", fmt.Errorf("reading the log of pod %s: %w", pod.Name, ctx.Err())
		}
		log.WithError(err).Warn("cannot read the pod's log")
		return "", nil
	}
	defer rc.Close()
	// Close the stream when the deadline passes, so that Scan returns.
	stop := context.AfterFunc(lctx, func() { _ = rc.Close() })
	defer stop()
	var found string
	scanErr := scanLines(rc, func(line string) bool {
		if c.o.Profile.DeployedWAR(line) != "" {
			found = line
			return false
		}
		return true
	})
	if found != "" {
		return found, nil
	}
	if ctx.Err() != nil {
		return "", fmt.Errorf("reading the log of pod %s: %w", pod.Name, ctx.Err())
	}
	if lctx.Err() != nil {
		log.Warnf("no log line naming the deployed WAR (profile %s) within %s", c.o.Profile.Name, c.o.LogWait)
	} else if scanErr != nil {
		log.WithError(scanErr).Warn("reading the pod's log")
	} else {
		log.Warnf("the pod's log ended without a line naming the deployed WAR (profile %s)", c.o.Profile.Name)
	}
	return "", nil
}

// scanLines calls fn with every line of r (without the line end) until fn
// returns false or r ends. Lines longer than maxLogLine are cut there.
func scanLines(r io.Reader, fn func(string) bool) error {
	br := bufio.NewReader(r)
	var line []byte
	for {
		chunk, isPrefix, err := br.ReadLine()
		if len(line) < maxLogLine {
			line = append(line, chunk[:min(len(chunk), maxLogLine-len(line))]...)
		}
		if err != nil {
			if len(line) > 0 {
				fn(strings.TrimRight(string(line), "\r"))
			}
			if err == io.EOF {
				return nil
			}
			return err
		}
		if isPrefix {
			continue
		}
		if !fn(strings.TrimRight(string(line), "\r")) {
			return nil
		}
		line = line[:0]
	}
}
