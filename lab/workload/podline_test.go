package workload

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

var t0 = time.Date(2026, 11, 26, 14, 33, 9, 0, time.UTC)

func podWith(name string, created time.Time, mutate func(*corev1.Pod)) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "lab", CreationTimestamp: metav1.NewTime(created)},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "r/app:v1"}}},
	}
	if mutate != nil {
		mutate(p)
	}
	return p
}

func TestPodStatusAndLine(t *testing.T) {
	sidecar := corev1.ContainerRestartPolicyAlways
	yes := true
	now := t0.Add(20 * time.Second)
	tests := []struct {
		name   string
		pod    *corev1.Pod
		now    time.Time
		status string
		line   string
	}{
		{
			name:   "running and ready, as in the recipe's case (a)",
			pod:    podWith("app-6c74ff7f9b-x9jxm", t0, withContainer(running(t0.Add(time.Second)), true, "", "")),
			status: "Running",
			line:   "app-6c74ff7f9b-x9jxm   1/1   Running   0     20s",
		},
		{
			name:   "ErrImagePull, as in the recipe's case (b)",
			pod:    podWith("app-68d6f46966-v8r69", t0.Add(-10*time.Second), withContainer(waiting("ErrImagePull", "not found"), false, "", "")),
			status: "ErrImagePull",
			line:   "app-68d6f46966-v8r69   0/1   ErrImagePull   0     30s",
		},
		{
			name:   "ImagePullBackOff",
			pod:    podWith("p", t0, withContainer(waiting("ImagePullBackOff", "Back-off pulling image"), false, "", "")),
			status: "ImagePullBackOff",
			line:   "p     0/1   ImagePullBackOff   0     20s",
		},
		{
			name:   "ErrImageNeverPull",
			pod:    podWith("p", t0, withContainer(waiting("ErrImageNeverPull", ""), false, "", "")),
			status: "ErrImageNeverPull",
		},
		{
			name:   "container creating",
			pod:    podWith("p", t0, withContainer(waiting("ContainerCreating", ""), false, "", "")),
			status: "ContainerCreating",
		},
		{
			name:   "pending without statuses shows the phase",
			pod:    podWith("p", t0, func(p *corev1.Pod) { p.Status.Phase = corev1.PodPending }),
			status: "Pending",
			line:   "p     0/1   Pending   0     20s",
		},
		{
			name: "pod reason wins over phase (evicted)",
			pod: podWith("p", t0, func(p *corev1.Pod) {
				p.Status.Phase, p.Status.Reason = corev1.PodFailed, "Evicted"
			}),
			status: "Evicted",
		},
		{
			name: "scheduling gated",
			pod: podWith("p", t0, func(p *corev1.Pod) {
				p.Status.Phase = corev1.PodPending
				p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: corev1.PodReasonSchedulingGated}}
			}),
			status: "SchedulingGated",
		},
		{
			name: "terminating",
			pod: podWith("p", t0, func(p *corev1.Pod) {
				withContainer(running(t0), true, "", "")(p)
				p.DeletionTimestamp = &metav1.Time{Time: now}
			}),
			status: "Terminating",
		},
		{
			name: "a finished pod being deleted keeps its reason",
			pod: podWith("p", t0, func(p *corev1.Pod) {
				p.Status.Phase = corev1.PodSucceeded
				p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "app", State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{Reason: "Completed"}}}}
				p.DeletionTimestamp = &metav1.Time{Time: now}
			}),
			status: "Completed",
		},
		{
			name: "node lost",
			pod: podWith("p", t0, func(p *corev1.Pod) {
				p.Status.Phase, p.Status.Reason = corev1.PodRunning, "NodeLost"
				p.DeletionTimestamp = &metav1.Time{Time: now}
			}),
			status: "Unknown",
		},
		{
			name: "terminated without reason: exit code",
			pod: podWith("p", t0, func(p *corev1.Pod) {
				p.Status.Phase = corev1.PodFailed
				p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "app", State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 3}}}}
			}),
			status: "ExitCode:3",
		},
		{
			name: "terminated without reason: signal",
			pod: podWith("p", t0, func(p *corev1.Pod) {
				p.Status.Phase = corev1.PodFailed
				p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "app", State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{Signal: 9, ExitCode: 137}}}}
			}),
			status: "Signal:9",
		},
		{
			name: "crash loop with restarts shows when the last one was",
			pod: podWith("p", t0.Add(-3*time.Minute), func(p *corev1.Pod) {
				p.Status.Phase = corev1.PodRunning
				p.Status.ContainerStatuses = []corev1.ContainerStatus{{
					Name: "app", RestartCount: 4, State: waiting("CrashLoopBackOff", "back-off"),
					LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 1, FinishedAt: metav1.NewTime(now.Add(-83 * time.Second))}},
				}}
			}),
			status: "CrashLoopBackOff",
			line:   "p     0/1   CrashLoopBackOff   4 (83s ago)   3m20s",
		},
		{
			name: "init container waiting",
			pod: podWith("p", t0, func(p *corev1.Pod) {
				p.Spec.InitContainers = []corev1.Container{{Name: "init"}}
				p.Status.Phase = corev1.PodPending
				p.Status.InitContainerStatuses = []corev1.ContainerStatus{{Name: "init", State: waiting("ErrImagePull", "")}}
				p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "app", State: waiting("PodInitializing", "")}}
			}),
			status: "Init:ErrImagePull",
		},
		{
			name: "init container not started",
			pod: podWith("p", t0, func(p *corev1.Pod) {
				p.Spec.InitContainers = []corev1.Container{{Name: "a"}, {Name: "b"}}
				p.Status.Phase = corev1.PodPending
				p.Status.InitContainerStatuses = []corev1.ContainerStatus{
					{Name: "a", State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 0, Reason: "Completed"}}},
					{Name: "b", State: waiting("PodInitializing", "")},
				}
			}),
			status: "Init:1/2",
		},
		{
			name: "init container failed",
			pod: podWith("p", t0, func(p *corev1.Pod) {
				p.Spec.InitContainers = []corev1.Container{{Name: "a"}}
				p.Status.Phase = corev1.PodPending
				p.Status.InitContainerStatuses = []corev1.ContainerStatus{{Name: "a", State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 2}}}}
			}),
			status: "Init:ExitCode:2",
		},
		{
			name: "sidecar counts as a container once started",
			pod: podWith("p", t0, func(p *corev1.Pod) {
				p.Spec.InitContainers = []corev1.Container{{Name: "side", RestartPolicy: &sidecar}}
				withContainer(running(t0), true, "", "")(p)
				p.Status.InitContainerStatuses = []corev1.ContainerStatus{{Name: "side", Started: &yes, Ready: true, State: running(t0)}}
			}),
			status: "Running",
			line:   "p     2/2   Running   0     20s",
		},
		{
			name: "completed container next to a running one",
			pod: podWith("p", t0, func(p *corev1.Pod) {
				p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: "job"})
				withContainer(running(t0), true, "", "")(p)
				p.Status.ContainerStatuses = append(p.Status.ContainerStatuses, corev1.ContainerStatus{
					Name: "job", State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{Reason: "Completed"}},
				})
			}),
			status: "Running",
			line:   "p     1/2   Running   0     20s",
		},
		{
			name: "completed next to running but pod not ready",
			pod: podWith("p", t0, func(p *corev1.Pod) {
				p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: "job"})
				withContainer(running(t0), true, "", "")(p)
				p.Status.Conditions[0].Status = corev1.ConditionFalse
				p.Status.ContainerStatuses = append(p.Status.ContainerStatuses, corev1.ContainerStatus{
					Name: "job", State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{Reason: "Completed"}},
				})
			}),
			status: "NotReady",
		},
		{
			name:   "running but not ready counts 0/1",
			pod:    podWith("p", t0, withContainer(running(t0), false, "", "")),
			status: "Running",
			line:   "p     0/1   Running   0     20s",
		},
		{
			name:   "age in minutes and seconds",
			pod:    podWith("p", t0, withContainer(running(t0), true, "", "")),
			now:    t0.Add(2*time.Minute + 3*time.Second),
			status: "Running",
			line:   "p     1/1   Running   0     2m3s",
		},
		{
			name:   "unknown age without a creation time",
			pod:    podWith("p", time.Time{}, nil),
			status: "",
			line:   "p     0/1         0     <unknown>",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := PodStatus(tt.pod); got != tt.status {
				t.Errorf("PodStatus = %q, want %q", got, tt.status)
			}
			if tt.line == "" {
				return
			}
			at := tt.now
			if at.IsZero() {
				at = now
			}
			if got := PodLine(tt.pod, at); got != tt.line {
				t.Errorf("PodLine =\n%q\nwant\n%q", got, tt.line)
			}
		})
	}
}

func TestPodTableAlignsWithHeader(t *testing.T) {
	p := podWith("custom-image-java-5d4f8b7c9-abcde", t0, withContainer(running(t0), true, "", ""))
	got := PodTable(t0.Add(7*time.Second), p)
	want := "NAME                                READY   STATUS    RESTARTS   AGE\n" +
		"custom-image-java-5d4f8b7c9-abcde   1/1     Running   0          7s"
	if got != want {
		t.Errorf("PodTable =\n%s\nwant\n%s", got, want)
	}
}

// PodTable returns the pods as `kubectl get pod` prints them, with the
// header row.
func PodTable(now time.Time, pods ...*corev1.Pod) string {
	rows := [][]string{{"NAME", "READY", "STATUS", "RESTARTS", "AGE"}}
	for _, p := range pods {
		c := podColumns(p, now)
		rows = append(rows, []string{p.Name, c.ready, c.status, c.restarts, c.age})
	}
	return table(rows)
}
