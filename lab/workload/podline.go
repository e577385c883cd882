package workload

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/duration"
)

// PodStatus returns the STATUS column of `kubectl get pod` / `oc get pod`
// for the pod, computed the way kubectl computes it: the pod phase (or the
// pod's status reason), overridden by an init container that has not
// finished ("Init:…"), then by the last container's waiting or terminated
// reason (ErrImagePull, ImagePullBackOff, ErrImageNeverPull, Completed,
// ExitCode:N …), and finally "Terminating" for a pod being deleted.
func PodStatus(pod *corev1.Pod) string {
	return podColumns(pod, time.Time{}).status
}

// PodLine returns the pod as `kubectl get pod --no-headers` prints it:
// NAME READY STATUS RESTARTS AGE, columns separated as kubectl's table
// writer separates them for a single row. AGE is measured at now, in
// kubectl's short form (7s, 2m3s, 5h).
func PodLine(pod *corev1.Pod, now time.Time) string {
	c := podColumns(pod, now)
	return table([][]string{{pod.Name, c.ready, c.status, c.restarts, c.age}})
}

// table aligns rows like kubectl's printer (tab writer: minimum width 6,
// padding 3), without trailing blanks.
func table(rows [][]string) string {
	var buf bytes.Buffer
	w := tabwriter.NewWriter(&buf, 6, 4, 3, ' ', 0)
	for _, r := range rows {
		fmt.Fprintln(w, strings.Join(r, "\t"))
	}
	_ = w.Flush()
	lines := strings.Split(strings.TrimRight(buf.String(), "\n"), "\n")
	for i := range lines {
		lines[i] = strings.TrimRight(lines[i], " ")
	}
	return strings.Join(lines, "\n")
}

type columns struct {
	ready, status, restarts, age string
}

// podColumns computes READY, STATUS, RESTARTS and AGE as kubectl does.
func podColumns(pod *corev1.Pod, now time.Time) columns {
	total := len(pod.Spec.Containers)
	ready := 0
	restarts := 0
	var lastRestart time.Time
	noteRestart := func(cs corev1.ContainerStatus) {
		restarts += int(cs.RestartCount)
		if t := cs.LastTerminationState.Terminated; t != nil && t.FinishedAt.After(lastRestart) {
			lastRestart = t.FinishedAt.Time
		}
	}

	status := string(pod.Status.Phase)
	if pod.Status.Reason != "" {
		status = pod.Status.Reason
	}
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Reason == corev1.PodReasonSchedulingGated {
			status = corev1.PodReasonSchedulingGated
		}
	}

	sidecar := map[string]bool{}
	for _, c := range pod.Spec.InitContainers {
		if c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
			sidecar[c.Name] = true
			total++
		}
	}

	// Init containers run in order; the first that has not completed
	// decides the status. Sidecars (restartable init containers) that have
	// started count like app containers.
	initializing := false
	sidecarRestarts := 0
	var sidecarLastRestart time.Time
	for i, cs := range pod.Status.InitContainerStatuses {
		noteRestart(cs)
		if sidecar[cs.Name] {
			sidecarRestarts += int(cs.RestartCount)
			if t := cs.LastTerminationState.Terminated; t != nil && t.FinishedAt.After(sidecarLastRestart) {
				sidecarLastRestart = t.FinishedAt.Time
			}
		}
		if t := cs.State.Terminated; t != nil && t.ExitCode == 0 {
			continue
		}
		if sidecar[cs.Name] && cs.Started != nil && *cs.Started {
			if cs.Ready {
				ready++
			}
			continue
		}
		initializing = true
		switch t, w := cs.State.Terminated, cs.State.Waiting; {
		case t != nil && t.Reason != "":
			status = "Init:" + t.Reason
		case t != nil && t.Signal != 0:
			status = fmt.Sprintf("Init:Signal:%d", t.Signal)
		case t != nil:
			status = fmt.Sprintf("Init:ExitCode:%d", t.ExitCode)
		case w != nil && w.Reason != "" && w.Reason != "PodInitializing":
			status = "Init:" + w.Reason
		default:
			status = fmt.Sprintf("Init:%d/%d", i, len(pod.Spec.InitContainers))
		}
		break
	}

	if !initializing || conditionTrue(pod, corev1.PodInitialized) {
		// From here on only sidecar restarts count from the init containers.
		restarts, lastRestart = sidecarRestarts, sidecarLastRestart
		running := false
		// Walk backwards so that the first container's reason wins, as in kubectl.
		for i := len(pod.Status.ContainerStatuses) - 1; i >= 0; i-- {
			cs := pod.Status.ContainerStatuses[i]
			noteRestart(cs)
			switch w, t := cs.State.Waiting, cs.State.Terminated; {
			case w != nil && w.Reason != "":
				status = w.Reason
			case t != nil && t.Reason != "":
				status = t.Reason
			case t != nil && t.Signal != 0:
				status = fmt.Sprintf("Signal:%d", t.Signal)
			case t != nil:
				status = fmt.Sprintf("ExitCode:%d", t.ExitCode)
			case cs.Ready && cs.State.Running != nil:
				running = true
				ready++
			}
		}
		if status == "Completed" && running {
			status = "NotReady"
			if conditionTrue(pod, corev1.PodReady) {
				status = "Running"
			}
		}
	}

	if pod.DeletionTimestamp != nil {
		switch {
		case pod.Status.Reason == "NodeLost":
			status = "Unknown"
		case pod.Status.Phase != corev1.PodSucceeded && pod.Status.Phase != corev1.PodFailed:
			status = "Terminating"
		}
	}

	restartCol := strconv.Itoa(restarts)
	if restarts != 0 && !lastRestart.IsZero() {
		restartCol = fmt.Sprintf("%d (%s ago)", restarts, age(lastRestart, now))
	}
	return columns{
		ready:    fmt.Sprintf("%d/%d", ready, total),
		status:   status,
		restarts: restartCol,
		age:      age(pod.CreationTimestamp.Time, now),
	}
}

// age formats now-t as kubectl does ("<unknown>" for a zero time).
func age(t time.Time, now time.Time) string {
	if t.IsZero() || now.IsZero() {
		return "<unknown>"
	}
	return duration.HumanDuration(now.Sub(t))
}

// conditionTrue reports whether the pod has condition typ with status True.
func conditionTrue(pod *corev1.Pod, typ corev1.PodConditionType) bool {
	for _, c := range pod.Status.Conditions {
		if c.Type == typ {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}
