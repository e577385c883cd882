package workload

import (
	"context"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/pulllab/pulllab/lab"
)

// The kubelet sends its BackOff event at once but publishes the matching
// pod status only at its next sync: Observe decides on the event, while the
// pod still says ErrImagePull, and takes the kubelet's time from the
// event's name (the recorder's clock in nanoseconds).
func TestObserveDecidesOnTheBackOffEvent(t *testing.T) {
	h := newHarness(t)
	c := newClient(h, func(o *Options) { o.EventWait, o.StatusWait = time.Second, time.Second })
	d := lab.Deployment{Name: lab.AppName, Image: appRef, Policy: lab.PolicyAlways, CaseID: 1}
	deployCase(t, h, c, d)
	done := make(chan lab.Observation, 1)
	go func() {
		obs, err := c.Observe(context.Background(), d, time.Minute)
		if err != nil {
			t.Error(err)
		}
		done <- obs
	}()
	h.waitWatch("pods")
	h.waitWatch("events") // the fake's watch does not replay what the list missed
	ctx := context.Background()
	p := appPod(c, "custom-image-java-68d6f46966-abcde", "1", t0)
	if _, err := h.cs.CoreV1().Pods(ns).Create(ctx, p, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	pullErr := `failed to resolve reference "` + appRef + `": not found`
	h.setStatus(ns, p.Name, withContainer(waiting("ErrImagePull", pullErr), false, appRef, ""))
	backOffAt := t0.Add(1234 * time.Millisecond)
	e := event(p, fmt.Sprintf("%s.%x", p.Name, backOffAt.UnixNano()), "Normal", "BackOff", `Back-off pulling image "`+appRef+`"`, 1, t0.Add(time.Second), t0.Add(time.Second))
	if _, err := h.cs.CoreV1().Events(ns).Create(ctx, e, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	var obs lab.Observation
	select {
	case obs = <-done:
	case <-time.After(time.Minute):
		t.Fatal("Observe did not decide on the BackOff event")
	}
	if obs.Reason != lab.ReasonImagePullBackOff || obs.TimedOut {
		t.Errorf("reason %q timedOut %v, want ImagePullBackOff", obs.Reason, obs.TimedOut)
	}
	// The status never caught up within the bound: the pod line says what the API said.
	if obs.Status != "ErrImagePull" {
		t.Errorf("status %q, want the pod's own ErrImagePull", obs.Status)
	}
	if !obs.Kubelet.Equal(backOffAt) {
		t.Errorf("Kubelet = %v, want the event name's %v", obs.Kubelet, backOffAt)
	}
	if obs.Seen.IsZero() || !hasReason(obs.Events, "BackOff") {
		t.Errorf("seen %v events %+v", obs.Seen, obs.Events)
	}
}

func TestEventNameTime(t *testing.T) {
	at := time.Date(2026, 11, 26, 15, 4, 5, 123456789, time.UTC)
	for _, tc := range []struct {
		name, event, object string
		want                time.Time
		ok                  bool
	}{
		{"recorder name", fmt.Sprintf("app-1.%x", at.UnixNano()), "app-1", at, true},
		{"other object", fmt.Sprintf("app-2.%x", at.UnixNano()), "app-1", time.Time{}, false},
		{"not hex", "app-1.zzzzzzzzzzzzzzzz", "app-1", time.Time{}, false},
		{"too short", "app-1.1f", "app-1", time.Time{}, false},
		{"no suffix", "app-1", "app-1", time.Time{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := eventNameTime(tc.event, tc.object)
			if ok != tc.ok || !got.Equal(tc.want) {
				t.Errorf("eventNameTime(%q) = %v, %v; want %v, %v", tc.event, got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestCreatedTime(t *testing.T) {
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{CreationTimestamp: metav1.NewTime(t0)}}
	for _, tc := range []struct {
		name      string
		firstSeen time.Time
		want      time.Time
	}{
		{"seen within the second", t0.Add(300 * time.Millisecond), t0.Add(300 * time.Millisecond)},
		{"seen later", t0.Add(3 * time.Second), t0},
		{"never seen", time.Time{}, t0},
		{"clock behind", t0.Add(-time.Second), t0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := createdTime(pod, tc.firstSeen); !got.Equal(tc.want) {
				t.Errorf("createdTime = %v, want %v", got, tc.want)
			}
		})
	}
}
