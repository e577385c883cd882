package workload

import (
	"context"
	"fmt"
	"sort"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/tools/cache"
	watchtools "k8s.io/client-go/tools/watch"

	"github.com/pulllab/pulllab/internal/kubeclient"
)

// until runs an informer over lw (list, then watch from the list's
// resourceVersion, re-listing when the watch expires) and calls check with
// the objects of objType's type that pass keep, after the initial list and after every change,
// until check returns true or an error, or ctx ends. On ctx's end it returns
// ctx.Err(). The server-side selectors in lw are an optimisation only: keep
// must apply the same restrictions, because not every server (and no fake
// clientset) honours them on watches.
func until[T runtime.Object](ctx context.Context, lw cache.ListerWatcher, objType T, keep func(T) bool, check func([]T) (bool, error)) error {
	var store cache.Store
	eval := func() (bool, error) {
		var objs []T
		for _, o := range store.List() {
			if t, ok := o.(T); ok && keep(t) {
				objs = append(objs, t)
			}
		}
		return check(objs)
	}
	_, err := watchtools.UntilWithSync(ctx, lw, objType,
		func(s cache.Store) (bool, error) { store = s; return eval() },
		func(watch.Event) (bool, error) { return eval() },
	)
	if err != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// listWatch lists and watches with list and watchFn, restricted to opts'
// label and field selectors.
func listWatch[L runtime.Object](opts metav1.ListOptions,
	list func(context.Context, metav1.ListOptions) (L, error),
	watchFn func(context.Context, metav1.ListOptions) (watch.Interface, error)) cache.ListerWatcher {
	return &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			o.LabelSelector, o.FieldSelector = opts.LabelSelector, opts.FieldSelector
			return list(ctx, o)
		},
		WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			o.LabelSelector, o.FieldSelector = opts.LabelSelector, opts.FieldSelector
			return watchFn(ctx, o)
		},
	}
}

// podLW lists and watches the pods in ns that match opts.
func podLW(cs kubeclient.Interface, ns string, opts metav1.ListOptions) cache.ListerWatcher {
	return listWatch(opts, cs.CoreV1().Pods(ns).List, cs.CoreV1().Pods(ns).Watch)
}

// deploymentLW lists and watches the Deployments in ns that match opts.
func deploymentLW(cs kubeclient.Interface, ns string, opts metav1.ListOptions) cache.ListerWatcher {
	return listWatch(opts, cs.AppsV1().Deployments(ns).List, cs.AppsV1().Deployments(ns).Watch)
}

// eventLW lists and watches the core/v1 events in ns that match opts.
func eventLW(cs kubeclient.Interface, ns string, opts metav1.ListOptions) cache.ListerWatcher {
	return listWatch(opts, cs.CoreV1().Events(ns).List, cs.CoreV1().Events(ns).Watch)
}

// byName restricts a list or watch to one object.
func byName(name string) metav1.ListOptions {
	return metav1.ListOptions{FieldSelector: fields.OneTermEqualSelector("metadata.name", name).String()}
}

// WaitForPod watches the pod ns/name until cond returns true or an error,
// or ctx ends (then it returns ctx.Err()). cond is called with nil while the
// pod does not exist. It returns the pod as last seen (nil if absent).
func WaitForPod(ctx context.Context, cs kubeclient.Interface, ns, name string, cond func(*corev1.Pod) (bool, error)) (*corev1.Pod, error) {
	var last *corev1.Pod
	err := until(ctx, podLW(cs, ns, byName(name)), &corev1.Pod{},
		func(p *corev1.Pod) bool { return p.Name == name && p.Namespace == ns },
		func(pods []*corev1.Pod) (bool, error) {
			last = nil
			if len(pods) > 0 {
				last = pods[0]
			}
			return cond(last)
		})
	return last, err
}

// WaitForPodGone waits until the pod ns/name no longer exists.
func WaitForPodGone(ctx context.Context, cs kubeclient.Interface, ns, name string) error {
	_, err := WaitForPod(ctx, cs, ns, name, func(p *corev1.Pod) (bool, error) { return p == nil, nil })
	return err
}

// WaitForPodsGone waits until no pod in ns matches selector.
func WaitForPodsGone(ctx context.Context, cs kubeclient.Interface, ns string, selector labels.Selector) error {
	return until(ctx, podLW(cs, ns, metav1.ListOptions{LabelSelector: selector.String()}), &corev1.Pod{},
		func(p *corev1.Pod) bool { return p.Namespace == ns && selector.Matches(labels.Set(p.Labels)) },
		func(pods []*corev1.Pod) (bool, error) { return len(pods) == 0, nil })
}

// waitDeploymentsGone waits until no Deployment in ns matches the options
// (name and/or selector).
func waitDeploymentsGone(ctx context.Context, cs kubeclient.Interface, ns, name string, selector labels.Selector) error {
	opts := metav1.ListOptions{LabelSelector: selector.String()}
	if name != "" {
		opts.FieldSelector = byName(name).FieldSelector
	}
	return until(ctx, deploymentLW(cs, ns, opts), &appsv1.Deployment{},
		func(d *appsv1.Deployment) bool {
			return d.Namespace == ns && (name == "" || d.Name == name) && selector.Matches(labels.Set(d.Labels))
		},
		func(ds []*appsv1.Deployment) (bool, error) { return len(ds) == 0, nil })
}

// podsDescription names pods for an error message: "a (Running), b (Terminating)".
func podsDescription(pods []*corev1.Pod) string {
	sort.Slice(pods, func(i, j int) bool { return pods[i].Name < pods[j].Name })
	s := ""
	for i, p := range pods {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%s (%s)", p.Name, PodStatus(p))
	}
	return s
}
