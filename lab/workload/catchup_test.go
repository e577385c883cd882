package workload

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	k8stesting "k8s.io/client-go/testing"

	"github.com/pulllab/pulllab/lab"
)

var podsGVR = schema.GroupVersionResource{Version: "v1", Resource: "pods"}

// fakeKubelet makes the fake clientset's pods behave as the kubelet's
// config source and status manager do (catchUp's comment names the source
// files): a patch that changes a pod's annotations is an UPDATE, which makes
// the kubelet sync the pod, and the sync publishes what publish writes into
// the status (nil: the kubelet never publishes). A patch that changes no
// annotation syncs nothing. forbid makes every pod patch Forbidden, as for
// a user without the patch verb.
type fakeKubelet struct {
	h       *harness
	publish func(*corev1.Pod)
	forbid  bool

	mu      sync.Mutex
	patches []map[string]string // the annotations after each patch
	syncs   int
}

func (k *fakeKubelet) install() {
	k.h.cs.PrependReactor("patch", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		pa := a.(k8stesting.PatchAction)
		if k.forbid {
			return true, nil, apierrors.NewForbidden(podsGVR.GroupResource(), pa.GetName(), fmt.Errorf("user cannot patch resource \"pods\""))
		}
		before, err := k.h.cs.Tracker().Get(podsGVR, pa.GetNamespace(), pa.GetName())
		if err != nil {
			return true, nil, err
		}
		handled, obj, err := k8stesting.ObjectReaction(k.h.cs.Tracker())(a)
		if err != nil || !handled {
			return handled, obj, err
		}
		after := obj.(*corev1.Pod)
		k.mu.Lock()
		defer k.mu.Unlock()
		k.patches = append(k.patches, after.Annotations)
		if reflect.DeepEqual(before.(*corev1.Pod).Annotations, after.Annotations) {
			return true, obj, nil // status-only or no-op: a RECONCILE, no sync
		}
		k.syncs++
		if k.publish != nil {
			p := after.DeepCopy()
			k.publish(p)
			if err := k.h.cs.Tracker().Update(podsGVR, p, p.Namespace); err != nil {
				return true, nil, err
			}
		}
		return true, obj, nil
	})
}

// After an event-based verdict pulllab annotates the pod; a kubelet that
// syncs on that update publishes the real waiting reason at once, and the
// pod line shows it; one that does not leaves the status behind, and the
// observation says the reason rests on the event.
func TestObserveMakesTheStatusCatchUp(t *testing.T) {
	const neverPullMsg = `Container image "` + appRef + `" is not present with pull policy of Never`
	backOffMsg := `Back-off pulling image "` + appRef + `": ErrImagePull: not found`
	for _, tc := range []struct {
		name         string
		policy       lab.Policy
		before       corev1.ContainerState // the status when the event arrives
		eventType    string
		eventReason  string
		eventMessage string
		publish      func(*corev1.Pod) // nil: the kubelet never publishes
		forbid       bool
		statusWait   time.Duration

		wantStatus string
		wantReason string
		caughtUp   bool
		nudged     bool
		note       []string
	}{
		{
			name: "BackOff: the kubelet publishes ImagePullBackOff after the update", policy: lab.PolicyAlways,
			before:    waiting("ErrImagePull", "not found"),
			eventType: "Normal", eventReason: "BackOff", eventMessage: `Back-off pulling image "` + appRef + `"`,
			publish:    withContainer(waiting("ImagePullBackOff", backOffMsg), false, appRef, ""),
			statusWait: 20 * time.Second,
			wantStatus: "ImagePullBackOff", wantReason: "ImagePullBackOff", caughtUp: true, nudged: true,
		},
		{
			name: "ErrImageNeverPull: published after the update", policy: lab.PolicyNever,
			before:    waiting("ContainerCreating", ""),
			eventType: "Warning", eventReason: "ErrImageNeverPull", eventMessage: neverPullMsg,
			publish:    withContainer(waiting("ErrImageNeverPull", neverPullMsg), false, appRef, ""),
			statusWait: 20 * time.Second,
			wantStatus: "ErrImageNeverPull", wantReason: "ErrImageNeverPull", caughtUp: true, nudged: true,
		},
		{
			name: "a kubelet that never publishes: bounded, the event's reason, a note", policy: lab.PolicyAlways,
			before:    waiting("ErrImagePull", "not found"),
			eventType: "Normal", eventReason: "BackOff", eventMessage: `Back-off pulling image "` + appRef + `"`,
			statusWait: 300 * time.Millisecond,
			wantStatus: "ErrImagePull", wantReason: "ImagePullBackOff", nudged: true,
			note: []string{"still said ErrImagePull", "300ms", "BackOff", "ImagePullBackOff event", "the reason is the event's"},
		},
		{
			name: "no permission to patch: waits for the kubelet's own sync within the bound", policy: lab.PolicyAlways,
			before:    waiting("ErrImagePull", "not found"),
			eventType: "Normal", eventReason: "BackOff", eventMessage: `Back-off pulling image "` + appRef + `"`,
			publish:    withContainer(waiting("ImagePullBackOff", backOffMsg), false, appRef, ""),
			forbid:     true,
			statusWait: 300 * time.Millisecond,
			wantStatus: "ErrImagePull", wantReason: "ImagePullBackOff",
			note: []string{"still said ErrImagePull", "could not annotate the pod", "forbidden"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			k := &fakeKubelet{h: h, publish: tc.publish, forbid: tc.forbid}
			k.install()
			c := newClient(h, func(o *Options) { o.EventWait, o.StatusWait = time.Second, tc.statusWait })
			d := lab.Deployment{Name: lab.AppName, Image: appRef, Policy: tc.policy, CaseID: 1}
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
			ctx := context.Background()
			p := appPod(c, "custom-image-java-68d6f46966-abcde", "1", t0)
			if _, err := h.cs.CoreV1().Pods(ns).Create(ctx, p, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
			h.setStatus(ns, p.Name, withContainer(tc.before, false, appRef, ""))
			e := event(p, fmt.Sprintf("%s.%x", p.Name, t0.Add(time.Second).UnixNano()), tc.eventType, tc.eventReason, tc.eventMessage, 1, t0.Add(time.Second), t0.Add(time.Second))
			start := time.Now()
			if _, err := h.cs.CoreV1().Events(ns).Create(ctx, e, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
			var obs lab.Observation
			select {
			case obs = <-done:
			case <-time.After(time.Minute):
				t.Fatal("Observe did not return")
			}
			took := time.Since(start)

			if obs.Status != tc.wantStatus || obs.Reason != tc.wantReason || obs.TimedOut {
				t.Errorf("status %q reason %q timedOut %v, want status %q reason %q", obs.Status, obs.Reason, obs.TimedOut, tc.wantStatus, tc.wantReason)
			}
			if !strings.Contains(obs.PodLine, " "+tc.wantStatus+" ") {
				t.Errorf("pod line %q does not show %s", obs.PodLine, tc.wantStatus)
			}
			if tc.caughtUp {
				if took > tc.statusWait/2 {
					t.Errorf("took %s; the status should catch up right after the update, not near the %s bound", took, tc.statusWait)
				}
				w, ok := obs.StatusWait()
				if !ok || obs.StatusCaughtUp.Before(obs.Seen) || w <= 0 {
					t.Errorf("StatusWait() = %s, %v; seen %v caught up %v", w, ok, obs.Seen, obs.StatusCaughtUp)
				}
				if obs.StatusNote != "" {
					t.Errorf("note %q for a status that caught up", obs.StatusNote)
				}
			} else {
				if _, ok := obs.StatusWait(); ok || !obs.StatusCaughtUp.IsZero() {
					t.Errorf("caught up at %v, want never", obs.StatusCaughtUp)
				}
				if took < tc.statusWait {
					t.Errorf("returned after %s, before the %s bound", took, tc.statusWait)
				}
			}
			for _, want := range tc.note {
				if !strings.Contains(obs.StatusNote, want) {
					t.Errorf("note %q lacks %q", obs.StatusNote, want)
				}
			}
			if obs.StatusNudged.IsZero() == tc.nudged {
				t.Errorf("nudged at %v, want nudged=%v", obs.StatusNudged, tc.nudged)
			}
			k.mu.Lock()
			defer k.mu.Unlock()
			if tc.forbid {
				return
			}
			if len(k.patches) != 1 || k.patches[0][annotationSyncRequest] == "" || k.syncs != 1 {
				t.Errorf("patches %v (syncs %d), want one that sets %s", k.patches, k.syncs, annotationSyncRequest)
			} else if ts, err := time.Parse(time.RFC3339Nano, k.patches[0][annotationSyncRequest]); err != nil || !ts.Equal(obs.StatusNudged) {
				t.Errorf("annotation %q (%v), want the nudge time %v", k.patches[0][annotationSyncRequest], err, obs.StatusNudged)
			}
		})
	}
}

// A pod whose status decided needs no nudge: it has caught up when seen.
func TestObserveStatusDecidedNeedsNoNudge(t *testing.T) {
	h := newHarness(t)
	k := &fakeKubelet{h: h}
	k.install()
	c := newClient(h, func(o *Options) { o.EventWait = 100 * time.Millisecond })
	d := lab.Deployment{Name: lab.AppName, Image: appRef, Policy: lab.PolicyNever, CaseID: 8}
	deployCase(t, h, c, d)
	p := appPod(c, "p8", "8", t0)
	withContainer(waiting("ErrImageNeverPull", "not present"), false, appRef, "")(p)
	if _, err := h.cs.CoreV1().Pods(ns).Create(context.Background(), p, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	obs, err := c.Observe(context.Background(), d, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if obs.Status != "ErrImageNeverPull" || !obs.StatusCaughtUp.Equal(obs.Seen) || !obs.StatusNudged.IsZero() || obs.StatusNote != "" {
		t.Errorf("status %q seen %v caught up %v nudged %v note %q", obs.Status, obs.Seen, obs.StatusCaughtUp, obs.StatusNudged, obs.StatusNote)
	}
	if w, ok := obs.StatusWait(); !ok || w != 0 {
		t.Errorf("StatusWait() = %s, %v, want 0, true", w, ok)
	}
	if len(k.patches) != 0 {
		t.Errorf("patched the pod: %v", k.patches)
	}
}
