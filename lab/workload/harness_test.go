package workload

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

// harness is a fake clientset that tells the test when a watch has started,
// so that the test changes objects only once the code under test watches
// them (the fake's watches do not replay changes made after the list).
type harness struct {
	t  *testing.T
	cs *fake.Clientset

	mu      sync.Mutex
	watches map[string]chan struct{}
	names   int
}

func newHarness(t *testing.T, objs ...runtime.Object) *harness {
	t.Helper()
	h := &harness{t: t, cs: fake.NewClientset(objs...), watches: map[string]chan struct{}{}}
	h.cs.PrependWatchReactor("*", func(action k8stesting.Action) (bool, watch.Interface, error) {
		var opts metav1.ListOptions
		if wa, ok := action.(k8stesting.WatchActionImpl); ok {
			opts = wa.ListOptions
		}
		w, err := h.cs.Tracker().Watch(action.GetResource(), action.GetNamespace(), opts)
		if err != nil {
			return true, nil, err
		}
		h.signal(action.GetResource().Resource)
		return true, w, nil
	})
	// The fake does not implement generateName.
	h.cs.PrependReactor("create", "*", func(action k8stesting.Action) (bool, runtime.Object, error) {
		obj, ok := action.(k8stesting.CreateAction).GetObject().(metav1.Object)
		if ok && obj.GetName() == "" && obj.GetGenerateName() != "" {
			h.mu.Lock()
			h.names++
			obj.SetName(fmt.Sprintf("%sx%04d", obj.GetGenerateName(), h.names))
			h.mu.Unlock()
		}
		return false, nil, nil
	})
	return h
}

func (h *harness) ch(resource string) chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	c, ok := h.watches[resource]
	if !ok {
		c = make(chan struct{}, 1000)
		h.watches[resource] = c
	}
	return c
}

func (h *harness) signal(resource string) { h.ch(resource) <- struct{}{} }

// waitWatch blocks until the code under test has started a watch on
// resource (one not yet consumed by an earlier waitWatch).
func (h *harness) waitWatch(resource string) {
	h.t.Helper()
	select {
	case <-h.ch(resource):
	case <-time.After(30 * time.Second):
		h.t.Fatalf("no watch on %s started", resource)
	}
}

// pods lists the pods in ns.
func (h *harness) pods(ns string) []corev1.Pod {
	h.t.Helper()
	l, err := h.cs.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		h.t.Fatal(err)
	}
	return l.Items
}

// setStatus replaces a pod's status.
func (h *harness) setStatus(ns, name string, mutate func(*corev1.Pod)) {
	h.t.Helper()
	p, err := h.cs.CoreV1().Pods(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		h.t.Errorf("getting pod %s: %v", name, err)
		return
	}
	mutate(p)
	if _, err := h.cs.CoreV1().Pods(ns).UpdateStatus(context.Background(), p, metav1.UpdateOptions{}); err != nil {
		h.t.Errorf("updating pod %s: %v", name, err)
	}
}

// Pod status builders.

func waiting(reason, msg string) corev1.ContainerState {
	return corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason, Message: msg}}
}

func running(started time.Time) corev1.ContainerState {
	return corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.NewTime(started)}}
}

// withContainer sets the single container status (name from the spec).
func withContainer(state corev1.ContainerState, ready bool, image, imageID string) func(*corev1.Pod) {
	return func(p *corev1.Pod) {
		p.Status.Phase = corev1.PodPending
		if state.Running != nil {
			p.Status.Phase = corev1.PodRunning
		}
		readyStatus := corev1.ConditionFalse
		if ready {
			readyStatus = corev1.ConditionTrue
		}
		p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: readyStatus}}
		p.Status.ContainerStatuses = []corev1.ContainerStatus{{
			Name: p.Spec.Containers[0].Name, State: state, Ready: ready, Image: image, ImageID: imageID,
		}}
	}
}

// event builds a kubelet event for a pod.
func event(pod *corev1.Pod, name, typ, reason, msg string, count int32, first, last time.Time) *corev1.Event {
	return &corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{Name: name, Namespace: pod.Namespace},
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", Name: pod.Name, Namespace: pod.Namespace, UID: pod.UID},
		Type:           typ, Reason: reason, Message: msg, Count: count,
		FirstTimestamp: metav1.NewTime(first), LastTimestamp: metav1.NewTime(last),
		Source: corev1.EventSource{Component: "kubelet"},
	}
}

// clock returns a Now function that returns t, then t+1s, t+2s, ….
func clock(t time.Time) func() time.Time {
	var mu sync.Mutex
	n := 0
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		n++
		return t.Add(time.Duration(n-1) * time.Second)
	}
}
