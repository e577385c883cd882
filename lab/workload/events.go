package workload

import (
	"bufio"
	"context"
	"encoding/json"
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
	"k8s.io/apimachinery/pkg/types"

	"github.com/pulllab/pulllab/lab"
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

// hasStateEvent reports whether one of evs is the kubelet's report of state.
func hasStateEvent(evs []*corev1.Event, state string) bool {
	for _, e := range evs {
		if lab.EventReportsState(e.Reason, e.Message, state) {
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
		if !lab.EventReportsState(e.Reason, e.Message, state) {
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

// annotationSyncRequest is the pod annotation catchUp sets (to the time of
// the request) so that the kubelet syncs the pod at once.
const annotationSyncRequest = "pulllab.io/sync-requested"

// statusCatchUp is what catchUp did and found.
type statusCatchUp struct {
	// pod is the newest pod seen.
	pod *corev1.Pod
	// nudged is when the pod was annotated (zero when it was not);
	// caughtUp is when its status showed the state (zero when it did not).
	nudged, caughtUp time.Time
	// note explains a status that did not catch up.
	note string
}

// catchUp makes the pod status show the waiting reason state that the
// kubelet has already reported in an event, bounded by StatusWait. The
// verdict does not wait for this; the report's pod line does.
//
// The kubelet reports BackOff and ErrImageNeverPull as events during a pod
// sync but puts the reason into the pod status only at its next sync, and
// after a failed sync its pod worker waits about ten seconds before the
// next one. An update of the pod's annotations makes it sync at once.
// Checked in Kubernetes v1.34.4 and v1.37.2, pkg/kubelet:
//
//   - kubelet.go SyncPod builds the status (generateAPIPodStatus) before
//     the runtime's SyncPod, and only after that fills the reason cache
//     (reasonCache.Update) from which kubelet_pods.go
//     convertToAPIContainerStatuses takes the waiting reason: a failure
//     reaches the status one sync later;
//   - pod_workers.go completeWork re-queues a pod whose sync failed after
//     backOffPeriod (10 s, kubelet.go), or in v1.37.2 when the image
//     back-off expires (kubecontainer.MinBackoffExpiration; 10 s at first);
//   - config/config.go checkAndUpdatePod turns a pod whose annotations
//     changed (podsDifferSemantically: spec, labels, deletion fields and
//     every annotation but the kubelet's own) into an UPDATE, while a
//     status-only change is a RECONCILE, which kubelet.go
//     HandlePodReconcile syncs only to repair the Ready condition; kubelet.go
//     syncLoopIteration passes an UPDATE to HandlePodUpdates, which calls
//     podWorkers.UpdatePod, which wakes the pod's worker at once (or right
//     after its current sync) without the work queue's delay;
//   - that sync does not pull again: images/image_manager.go answers from
//     the image back-off (another BackOff event, ImagePullBackOff), and
//     status/status_manager.go sends a changed status at once
//     (podStatusChannel → syncBatch).
//
// Pod Security admission ignores an annotation-only update
// (pod-security-admission admission.go isSignificantPodUpdate); OpenShift's
// SCC admission re-validates an updated pod without mutation against the SCC
// it was admitted under (apiserver-library-go sccadmission/admission.go),
// which an unchanged spec passes. When the annotation cannot be set (e.g.
// the user may not patch pods) catchUp still waits for the kubelet's own
// next sync within the bound; when the status does not catch up, note says
// so and the reason rests on the event.
func (c *Client) catchUp(ctx context.Context, pod *corev1.Pod, state string) statusCatchUp {
	out := statusCatchUp{pod: pod}
	shows := func(p *corev1.Pod) bool {
		cs := appStatus(p)
		return cs != nil && cs.State.Waiting != nil && cs.State.Waiting.Reason == state
	}
	if shows(pod) {
		out.caughtUp = c.o.Now()
		return out
	}
	log := c.o.Log.WithFields(map[string]any{"pod": pod.Name, "state": state})
	wctx, cancel := context.WithTimeout(ctx, c.o.StatusWait)
	defer cancel()

	now := c.o.Now()
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{
		"annotations": map[string]string{annotationSyncRequest: now.UTC().Format(time.RFC3339Nano)},
	}})
	if err == nil {
		_, err = c.cs.CoreV1().Pods(pod.Namespace).Patch(wctx, pod.Name, types.MergePatchType, patch, metav1.PatchOptions{})
	}
	nudgeNote := ""
	if err == nil {
		out.nudged = now
		log.Debug("annotated the pod so that the kubelet syncs it and publishes the state")
	} else if ctx.Err() == nil {
		nudgeNote = fmt.Sprintf(" (pulllab could not annotate the pod to make the kubelet sync it: %v)", err)
		log.WithError(err).Debug("could not annotate the pod; waiting for the kubelet's own next sync")
	}

	got, err := WaitForPod(wctx, c.cs, pod.Namespace, pod.Name, func(p *corev1.Pod) (bool, error) {
		if p == nil {
			return false, errors.New("the pod is gone")
		}
		return p.UID == pod.UID && shows(p), nil
	})
	if got != nil && got.UID == pod.UID {
		out.pod = got
	}
	switch {
	case err == nil:
		out.caughtUp = c.o.Now()
		log.Debug("the pod status shows the state")
	case ctx.Err() != nil:
		// cancelled: the caller reports it
	case errors.Is(err, context.DeadlineExceeded):
		out.note = fmt.Sprintf("the pod status still said %s %s after the kubelet's %s event%s; the reason is the event's",
			PodStatus(out.pod), c.o.StatusWait, state, nudgeNote)
	default:
		out.note = fmt.Sprintf("the pod status could not be read after the kubelet's %s event (%v)%s; the reason is the event's", state, err, nudgeNote)
	}
	if out.note != "" {
		log.Debug(out.note)
	}
	return out
}

// maxLogLine bounds one log line; a longer line is cut.
const maxLogLine = 1 << 20

// logRead is what deployLine found in a container log.
type logRead struct {
	// line is the line naming the deployed WAR, or "".
	line string
	// note says why line is empty.
	note string
	// took is how long the log was read.
	took time.Duration
}

// deployLine follows the running, ready container's log and returns the
// first line that names one of the variants' WARs, recognised in every known
// format (lab.FindDeployedWAR, the profile's format first) whatever the base
// image is called; a line naming another WAR is kept in case none names a
// variant's. It stops at that line; at a known server's "finished starting"
// line (lab.ServerStarted: a server names what it deploys at start-up
// before that); when the log has not grown for LogQuiet; when the log ends;
// or after LogWait in all. The line is supporting evidence (the
// verdict rests on the image ID), so a log without it is a note, not an
// error: the note tells a silent log from one that could not be read. It
// returns an error only when ctx itself ends.
func (c *Client) deployLine(ctx context.Context, pod *corev1.Pod) (logRead, error) {
	start := c.o.Now()
	log := c.o.Log.WithField("pod", pod.Name)
	done := func(r logRead) (logRead, error) {
		r.took = c.o.Now().Sub(start)
		if r.note != "" {
			log.Warn(r.note)
		}
		return r, nil
	}
	lctx, cancel := context.WithTimeout(ctx, c.o.LogWait)
	defer cancel()
	rc, err := c.logs(lctx, pod.Namespace, pod.Name, pod.Spec.Containers[0].Name, true)
	if err != nil {
		if ctx.Err() != nil {
			return logRead{}, fmt.Errorf("reading the log of pod %s: %w", pod.Name, ctx.Err())
		}
		return done(logRead{note: fmt.Sprintf("the log could not be read: %v", err)})
	}
	defer rc.Close()

	grew := make(chan struct{}, 1)
	type scanned struct {
		line    string
		started bool // the server said it had finished starting
		err     error
	}
	result := make(chan scanned, 1)
	go func() {
		var best, other string
		started := false
		err := scanLines(activityReader{r: rc, grew: grew}, func(line string) bool {
			war, _ := lab.FindDeployedWAR(c.o.Profile, line)
			switch {
			case war == "" && lab.ServerStarted(line):
				started = true
				return false // it named at start-up all it deploys
			case war == "":
				return true
			case lab.VariantOfWAR(war) != "":
				best = line
				return false
			case other == "":
				other = line
			}
			return true
		})
		if best == "" {
			best = other
		}
		result <- scanned{best, started, err}
	}()

	// finish turns what the scan found into the result; why is "quiet"
	// or "bound" when pulllab stopped the stream, "" when it ended.
	finish := func(r scanned, why string) (logRead, error) {
		switch {
		case r.line != "":
			return done(logRead{line: r.line})
		case ctx.Err() != nil:
			return logRead{}, fmt.Errorf("reading the log of pod %s: %w", pod.Name, ctx.Err())
		case r.started:
			return done(logRead{note: "the log named no WAR: the server said it had finished starting without naming one"})
		case why == "quiet":
			return done(logRead{note: fmt.Sprintf("the log named no WAR: it was silent for %s with the container running and ready", c.o.LogQuiet)})
		case why == "bound" || lctx.Err() != nil:
			return done(logRead{note: fmt.Sprintf("the log named no WAR within %s although it kept growing", c.o.LogWait)})
		case r.err != nil:
			return done(logRead{note: fmt.Sprintf("reading the log failed before it named a WAR: %v", r.err)})
		}
		return done(logRead{note: "the log ended without naming a WAR"})
	}
	quiet := time.NewTimer(c.o.LogQuiet)
	defer quiet.Stop()
	for {
		why := ""
		select {
		case <-grew:
			if !quiet.Stop() {
				select {
				case <-quiet.C:
				default:
				}
			}
			quiet.Reset(c.o.LogQuiet)
			continue
		case r := <-result:
			return finish(r, "")
		case <-quiet.C:
			why = "quiet"
		case <-lctx.Done():
			why = "bound"
		}
		// Stop the stream and take what the scan found up to then.
		_ = rc.Close()
		return finish(<-result, why)
	}
}

// activityReader passes reads through and signals grew (without blocking)
// whenever a read returned data.
type activityReader struct {
	r    io.Reader
	grew chan<- struct{}
}

func (a activityReader) Read(p []byte) (int, error) {
	n, err := a.r.Read(p)
	if n > 0 {
		select {
		case a.grew <- struct{}{}:
		default:
		}
	}
	return n, err
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
