package workload

import (
	"bytes"
	"context"
	"errors"
	"github.com/pulllab/pulllab/internal/golden"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/yaml"

	"github.com/pulllab/pulllab/lab"
)

const (
	ns     = "pulllab"
	node   = "crc"
	labID  = "lab1"
	appRef = "image-registry.openshift-image-registry.svc:5000/pulllab/custom-image-java:v1"
)

func newClient(h *harness, mutate ...func(*Options)) *Client {
	o := Options{
		Namespace: ns, Node: node, LabID: labID, Profile: lab.ProfileWildFly,
		LogWait: 5 * time.Second, EventWait: 2 * time.Second, DeleteTimeout: 30 * time.Second, PullTimeout: 30 * time.Second,
		Now: clock(t0.Add(30 * time.Second)),
	}
	for _, m := range mutate {
		m(&o)
	}
	return New(h.cs, o)
}

func TestDeploymentFor(t *testing.T) {
	c := newClient(newHarness(t))
	dep, err := c.DeploymentFor(lab.Deployment{Name: lab.AppName, Image: appRef, Policy: lab.PolicyIfNotPresent, CaseID: 6})
	if err != nil {
		t.Fatal(err)
	}
	out, err := yaml.Marshal(dep)
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "deployment.golden.yaml"), out)

	spec := dep.Spec.Template.Spec
	ctr := spec.Containers[0]
	checks := []struct {
		what string
		ok   bool
	}{
		{"image by tag, as given", ctr.Image == appRef && !strings.Contains(ctr.Image, "@")},
		{"explicit imagePullPolicy", ctr.ImagePullPolicy == corev1.PullIfNotPresent},
		{"no image trigger annotation", dep.Annotations["image.openshift.io/triggers"] == "" && dep.Spec.Template.Annotations["image.openshift.io/triggers"] == ""},
		{"strategy Recreate", dep.Spec.Strategy.Type == appsv1.RecreateDeploymentStrategyType},
		{"one replica", dep.Spec.Replicas != nil && *dep.Spec.Replicas == 1},
		{"pinned to the node", spec.NodeName == node},
		{"in the lab namespace", dep.Namespace == ns},
		{"case label on the pod", dep.Spec.Template.Labels[lab.LabelCase] == "6"},
		{"lab labels on the pod", dep.Spec.Template.Labels[lab.LabelLabID] == labID && dep.Spec.Template.Labels[lab.LabelManagedBy] == lab.ManagedBy && dep.Spec.Template.Labels[lab.LabelRole] == RoleApp},
		{"lab labels on the deployment", dep.Labels[lab.LabelLabID] == labID && dep.Labels[lab.LabelManagedBy] == lab.ManagedBy},
		{"selector matches the template", dep.Spec.Template.Labels[labelDeployment] == dep.Spec.Selector.MatchLabels[labelDeployment] && len(dep.Spec.Selector.MatchLabels) == 1},
		{"short grace period", spec.TerminationGracePeriodSeconds != nil && *spec.TerminationGracePeriodSeconds <= 10},
		{"port 8080", len(ctr.Ports) == 1 && ctr.Ports[0].ContainerPort == 8080},
	}
	for _, ch := range checks {
		if !ch.ok {
			t.Errorf("deployment: want %s", ch.what)
		}
	}
}

func TestDeploymentForPolicies(t *testing.T) {
	c := newClient(newHarness(t))
	tests := []struct {
		policy lab.Policy
		want   corev1.PullPolicy
	}{
		{lab.PolicyAlways, corev1.PullAlways},
		{lab.PolicyIfNotPresent, corev1.PullIfNotPresent},
		{lab.PolicyNever, corev1.PullNever},
		{lab.PolicyDefault, ""}, // omitted: the API server defaults it
	}
	for _, tt := range tests {
		t.Run(tt.policy.String(), func(t *testing.T) {
			dep, err := c.DeploymentFor(lab.Deployment{Name: lab.AppName, Image: "r/app:latest", Policy: tt.policy, CaseID: 10})
			if err != nil {
				t.Fatal(err)
			}
			if got := dep.Spec.Template.Spec.Containers[0].ImagePullPolicy; got != tt.want {
				t.Errorf("imagePullPolicy = %q, want %q", got, tt.want)
			}
			if tt.policy == lab.PolicyDefault {
				out, _ := yaml.Marshal(dep)
				if bytes.Contains(out, []byte("imagePullPolicy")) {
					t.Errorf("the omitted policy still appears in the object:\n%s", out)
				}
			}
		})
	}
}

func TestDeploymentForRejects(t *testing.T) {
	tests := []struct {
		name string
		o    func(*Options)
		d    lab.Deployment
		want string
	}{
		{"bad policy", nil, lab.Deployment{Name: "a", Image: "r/a:v1", Policy: "Sometimes"}, "invalid imagePullPolicy"},
		{"no image", nil, lab.Deployment{Name: "a"}, "has no image"},
		{"bad name", nil, lab.Deployment{Name: "A_b", Image: "r/a:v1"}, "invalid deployment name"},
		{"no node", func(o *Options) { o.Node = "" }, lab.Deployment{Name: "a", Image: "r/a:v1"}, "no node"},
		{"bad lab ID", func(o *Options) { o.LabID = "not valid!" }, lab.Deployment{Name: "a", Image: "r/a:v1"}, "invalid lab ID"},
		{"no namespace", func(o *Options) { o.Namespace = "" }, lab.Deployment{Name: "a", Image: "r/a:v1"}, "no lab namespace"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mut []func(*Options)
			if tt.o != nil {
				mut = append(mut, tt.o)
			}
			_, err := newClient(newHarness(t), mut...).DeploymentFor(tt.d)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// appPod is the pod the ReplicaSet would create for a case.
func appPod(c *Client, name string, caseID string, created time.Time) *corev1.Pod {
	dep, _ := c.DeploymentFor(lab.Deployment{Name: lab.AppName, Image: appRef, Policy: lab.PolicyIfNotPresent})
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name: name, Namespace: ns, UID: types.UID("uid-" + name),
			Labels:            mergeLabels(dep.Spec.Template.Labels, map[string]string{lab.LabelCase: caseID}),
			CreationTimestamp: metav1.NewTime(created),
		},
		Spec: dep.Spec.Template.Spec,
	}
	p.Status.Phase = corev1.PodPending
	return p
}

func TestDeployReplacesExisting(t *testing.T) {
	h := newHarness(t)
	c := newClient(h)
	ctx := context.Background()
	if err := c.Deploy(ctx, lab.Deployment{Name: lab.AppName, Image: appRef, Policy: lab.PolicyAlways, CaseID: 1}); err != nil {
		t.Fatal(err)
	}
	old := appPod(c, "custom-image-java-old", "1", t0)
	if _, err := h.cs.CoreV1().Pods(ns).Create(ctx, old, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		done <- c.Deploy(ctx, lab.Deployment{Name: lab.AppName, Image: appRef, Policy: lab.PolicyNever, CaseID: 7})
	}()
	h.waitWatch("pods")
	select {
	case err := <-done:
		t.Fatalf("Deploy returned (%v) while the old pod still existed", err)
	default:
	}
	// The garbage collector removes the old pod.
	if err := h.cs.CoreV1().Pods(ns).Delete(ctx, old.Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	dep, err := h.cs.AppsV1().Deployments(ns).Get(ctx, lab.AppName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := dep.Spec.Template.Spec.Containers[0].ImagePullPolicy; got != corev1.PullNever {
		t.Errorf("policy = %q, want the new deployment's Never", got)
	}
	if got := dep.Spec.Template.Labels[lab.LabelCase]; got != "7" {
		t.Errorf("case label = %q, want 7", got)
	}
}

func TestUndeploy(t *testing.T) {
	t.Run("waits until the pods are gone", func(t *testing.T) {
		h := newHarness(t)
		c := newClient(h)
		ctx := context.Background()
		if err := c.Deploy(ctx, lab.Deployment{Name: lab.AppName, Image: appRef, Policy: lab.PolicyAlways, CaseID: 1}); err != nil {
			t.Fatal(err)
		}
		p := appPod(c, "custom-image-java-1", "1", t0)
		if _, err := h.cs.CoreV1().Pods(ns).Create(ctx, p, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		// A pod of another lab with the same app name stays.
		other := appPod(c, "custom-image-java-other", "1", t0)
		other.Labels[lab.LabelLabID] = "other"
		if _, err := h.cs.CoreV1().Pods(ns).Create(ctx, other, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- c.Undeploy(ctx, lab.AppName) }()
		h.waitWatch("pods")
		select {
		case err := <-done:
			t.Fatalf("Undeploy returned (%v) while its pod still existed", err)
		default:
		}
		if err := h.cs.CoreV1().Pods(ns).Delete(ctx, p.Name, metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if _, err := h.cs.AppsV1().Deployments(ns).Get(ctx, lab.AppName, metav1.GetOptions{}); err == nil {
			t.Error("the deployment still exists")
		}
		// Foreground propagation was asked for.
		var sawForeground bool
		for _, a := range h.cs.Actions() {
			if a.GetVerb() == "delete" && a.GetResource().Resource == "deployments" {
				if da, ok := a.(interface{ GetDeleteOptions() metav1.DeleteOptions }); ok {
					po := da.GetDeleteOptions().PropagationPolicy
					sawForeground = po != nil && *po == metav1.DeletePropagationForeground
				}
			}
		}
		if !sawForeground {
			t.Error("the deployment was not deleted with foreground propagation")
		}
	})
	t.Run("absent deployment is fine", func(t *testing.T) {
		if err := newClient(newHarness(t)).Undeploy(context.Background(), "nothing"); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("times out naming the pod that stays", func(t *testing.T) {
		h := newHarness(t)
		c := newClient(h, func(o *Options) { o.DeleteTimeout = 50 * time.Millisecond })
		p := appPod(c, "stuck", "1", t0)
		if _, err := h.cs.CoreV1().Pods(ns).Create(context.Background(), p, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		err := c.Undeploy(context.Background(), lab.AppName)
		if err == nil || !strings.Contains(err.Error(), "stuck (Pending)") {
			t.Errorf("err = %v, want one naming the pod", err)
		}
	})
}

// deploy creates the case's Deployment and returns a pod for it in the fake.
func deployCase(t *testing.T, h *harness, c *Client, d lab.Deployment) {
	t.Helper()
	if err := c.Deploy(context.Background(), d); err != nil {
		t.Fatal(err)
	}
}

func TestObserve(t *testing.T) {
	d := lab.Deployment{Name: lab.AppName, Image: appRef, Policy: lab.PolicyIfNotPresent, CaseID: 6}
	const nodeID = "image-registry.openshift-image-registry.svc:5000/pulllab/custom-image-java@sha256:1111111111111111111111111111111111111111111111111111111111111111"
	warLine := `11:02:03,456 INFO  [org.jboss.as.server.deployment] (MSC service thread 1-2) WFLYSRV0027: Starting deployment of "node.war" (runtime-name: "node.war")`

	t.Run("running: image ID, events, log line, timings", func(t *testing.T) {
		h := newHarness(t)
		c := newClient(h)
		c.logs = func(ctx context.Context, ns, pod, container string, follow bool) (io.ReadCloser, error) {
			if !follow || container != "custom-image-java" {
				t.Errorf("logs(%s, follow=%v)", container, follow)
			}
			return io.NopCloser(strings.NewReader("booting\n" + warLine + "\r\nmore\n")), nil
		}
		deployCase(t, h, c, d)
		type res struct {
			obs lab.Observation
			err error
		}
		done := make(chan res, 1)
		go func() {
			obs, err := c.Observe(context.Background(), d, time.Minute)
			done <- res{obs, err}
		}()
		h.waitWatch("pods")
		ctx := context.Background()
		// A pod of another case and a terminating pod of this case are ignored.
		stale := appPod(c, "custom-image-java-stale", "6", t0)
		stale.DeletionTimestamp = &metav1.Time{Time: t0}
		withContainer(running(t0), true, "", "")(stale)
		other := appPod(c, "custom-image-java-case2", "2", t0)
		withContainer(running(t0), true, "", "")(other)
		p := appPod(c, "custom-image-java-6c74ff7f9b-x9jxm", "6", t0)
		for _, o := range []*corev1.Pod{stale, other, p} {
			if _, err := h.cs.CoreV1().Pods(ns).Create(ctx, o, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		h.setStatus(ns, p.Name, withContainer(waiting("ContainerCreating", ""), false, "", ""))
		for _, e := range []*corev1.Event{
			event(p, "e2", "Normal", "Pulled", `Container image "`+appRef+`" already present on machine`, 1, t0.Add(time.Second), t0.Add(time.Second)),
			event(p, "e3", "Normal", "Created", "Created container: custom-image-java", 1, t0.Add(time.Second), t0.Add(time.Second)),
			event(p, "e4", "Normal", "Started", "Started container custom-image-java", 1, t0.Add(2*time.Second), t0.Add(2*time.Second)),
			event(other, "e5", "Normal", "Started", "Started container custom-image-java", 1, t0, t0),
		} {
			if _, err := h.cs.CoreV1().Events(ns).Create(ctx, e, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		h.setStatus(ns, p.Name, withContainer(running(t0.Add(2*time.Second)), true, appRef, nodeID))
		r := <-done
		if r.err != nil {
			t.Fatal(r.err)
		}
		obs := r.obs
		if obs.Pod != p.Name || obs.Status != "Running" || !obs.Ready || obs.TimedOut {
			t.Errorf("obs = %+v", obs)
		}
		if obs.ImageID != nodeID || obs.Image != appRef {
			t.Errorf("image %q id %q", obs.Image, obs.ImageID)
		}
		// The fake clock ticks a second per reading: the pod's first
		// sighting takes t0+30s, the verdict t0+31s.
		if want := "custom-image-java-6c74ff7f9b-x9jxm   1/1   Running   0     31s"; obs.PodLine != want {
			t.Errorf("PodLine = %q, want %q", obs.PodLine, want)
		}
		if obs.LogLine != warLine {
			t.Errorf("LogLine = %q", obs.LogLine)
		}
		if !obs.Created.Equal(t0) || !obs.Kubelet.Equal(t0.Add(2*time.Second)) || !obs.Seen.Equal(t0.Add(31*time.Second)) {
			t.Errorf("created %v kubelet %v seen %v", obs.Created, obs.Kubelet, obs.Seen)
		}
		var reasons []string
		for _, e := range obs.Events {
			reasons = append(reasons, e.Reason)
		}
		if got := strings.Join(reasons, ","); got != "Pulled,Created,Started" {
			t.Errorf("events = %s, want the pod's own, oldest first", got)
		}
	})

	t.Run("ErrImagePull is not terminal; ImagePullBackOff is, with a late event", func(t *testing.T) {
		h := newHarness(t)
		c := newClient(h, func(o *Options) { o.EventWait = 30 * time.Second })
		c.logs = func(context.Context, string, string, string, bool) (io.ReadCloser, error) {
			t.Error("a failing pod's log was read")
			return nil, errors.New("no")
		}
		d := d
		d.Policy, d.CaseID = lab.PolicyAlways, 1
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
		p := appPod(c, "custom-image-java-68d6f46966-v8r69", "1", t0)
		if _, err := h.cs.CoreV1().Pods(ns).Create(ctx, p, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		pullErr := `rpc error: code = NotFound desc = failed to pull and unpack image "` + appRef + `": not found`
		h.setStatus(ns, p.Name, withContainer(waiting("ErrImagePull", pullErr), false, appRef, ""))
		select {
		case obs := <-done:
			t.Fatalf("Observe ended on ErrImagePull: %+v", obs)
		default:
		}
		for _, e := range []*corev1.Event{
			event(p, "a", "Normal", "Pulling", `Pulling image "`+appRef+`"`, 2, t0.Add(time.Second), t0.Add(12*time.Second)),
			event(p, "b", "Warning", "Failed", `Failed to pull image "`+appRef+`": `+pullErr, 2, t0.Add(time.Second), t0.Add(12*time.Second)),
			event(p, "c", "Warning", "Failed", "Error: ErrImagePull", 2, t0.Add(time.Second), t0.Add(12*time.Second)),
		} {
			if _, err := h.cs.CoreV1().Events(ns).Create(ctx, e, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		h.setStatus(ns, p.Name, withContainer(waiting("ImagePullBackOff", `Back-off pulling image "`+appRef+`": ErrImagePull: `+pullErr), false, appRef, ""))
		// The BackOff event comes after the status.
		h.waitWatch("events")
		late := event(p, "d", "Normal", "BackOff", `Back-off pulling image "`+appRef+`"`, 2, t0.Add(2*time.Second), t0.Add(14*time.Second))
		if _, err := h.cs.CoreV1().Events(ns).Create(ctx, late, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		obs := <-done
		if obs.Status != "ImagePullBackOff" || obs.Reason != "ImagePullBackOff" || obs.Ready || obs.TimedOut {
			t.Errorf("obs = %+v", obs)
		}
		if !strings.Contains(obs.Message, "not found") || obs.ImageID != "" || obs.LogLine != "" {
			t.Errorf("message %q imageID %q log %q", obs.Message, obs.ImageID, obs.LogLine)
		}
		if len(obs.Events) < 4 || !hasReason(obs.Events, "BackOff") {
			t.Errorf("events = %+v, want the late BackOff too", obs.Events)
		}
		// The kubelet's time of the state: its first report of the back-off.
		if !obs.Kubelet.Equal(t0.Add(2 * time.Second)) {
			t.Errorf("Kubelet = %v, want %v", obs.Kubelet, t0.Add(2*time.Second))
		}
	})

	t.Run("ErrImageNeverPull", func(t *testing.T) {
		h := newHarness(t)
		c := newClient(h)
		d := d
		d.Policy, d.CaseID = lab.PolicyNever, 8
		deployCase(t, h, c, d)
		p := appPod(c, "custom-image-java-c6f47fc85-h5gfv", "8", t0)
		withContainer(waiting("ErrImageNeverPull", `Container image "`+appRef+`" is not present with pull policy of Never`), false, appRef, "")(p)
		if _, err := h.cs.CoreV1().Pods(ns).Create(context.Background(), p, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		e := event(p, "n", "Warning", "ErrImageNeverPull", `Container image "`+appRef+`" is not present with pull policy of Never`, 4, t0.Add(time.Second), t0.Add(9*time.Second))
		if _, err := h.cs.CoreV1().Events(ns).Create(context.Background(), e, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		obs, err := c.Observe(context.Background(), d, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if obs.Status != "ErrImageNeverPull" || obs.TimedOut || !obs.Kubelet.Equal(t0.Add(time.Second)) {
			t.Errorf("obs = %+v", obs)
		}
		if obs.Events[0].Count != 4 {
			t.Errorf("count = %d", obs.Events[0].Count)
		}
	})

	t.Run("timeout while still ErrImagePull", func(t *testing.T) {
		h := newHarness(t)
		c := newClient(h, func(o *Options) { o.EventWait = 50 * time.Millisecond })
		deployCase(t, h, c, d)
		p := appPod(c, "p1", "6", t0)
		withContainer(waiting("ErrImagePull", "unauthorized"), false, appRef, "")(p)
		if _, err := h.cs.CoreV1().Pods(ns).Create(context.Background(), p, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		obs, err := c.Observe(context.Background(), d, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if !obs.TimedOut || obs.Status != "ErrImagePull" || obs.Reason != "ErrImagePull" || obs.Message != "unauthorized" || obs.Pod != "p1" {
			t.Errorf("obs = %+v", obs)
		}
	})

	t.Run("timeout without a pod explains why", func(t *testing.T) {
		h := newHarness(t)
		c := newClient(h)
		deployCase(t, h, c, d)
		dep, _ := h.cs.AppsV1().Deployments(ns).Get(context.Background(), d.Name, metav1.GetOptions{})
		dep.UID = "dep-uid"
		if _, err := h.cs.AppsV1().Deployments(ns).Update(context.Background(), dep, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		ctrl := true
		rs := &appsv1.ReplicaSet{
			ObjectMeta: metav1.ObjectMeta{Name: "custom-image-java-abc", Namespace: ns, Labels: dep.Spec.Selector.MatchLabels,
				OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "Deployment", Name: d.Name, UID: "dep-uid", Controller: &ctrl}}},
			Status: appsv1.ReplicaSetStatus{Conditions: []appsv1.ReplicaSetCondition{{
				Type: appsv1.ReplicaSetReplicaFailure, Status: corev1.ConditionTrue, Reason: "FailedCreate",
				Message: `pods "custom-image-java-abc-" is forbidden: exceeded quota`,
			}}},
		}
		if _, err := h.cs.AppsV1().ReplicaSets(ns).Create(context.Background(), rs, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		obs, err := c.Observe(context.Background(), d, 50*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		if !obs.TimedOut || obs.Pod != "" || !strings.Contains(obs.Message, "exceeded quota") {
			t.Errorf("obs = %+v", obs)
		}
	})

	t.Run("cancelled", func(t *testing.T) {
		h := newHarness(t)
		c := newClient(h)
		deployCase(t, h, c, d)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			_, err := c.Observe(ctx, d, time.Minute)
			done <- err
		}()
		h.waitWatch("pods")
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	})

	t.Run("no deployment", func(t *testing.T) {
		_, err := newClient(newHarness(t)).Observe(context.Background(), d, time.Second)
		if err == nil || !strings.Contains(err.Error(), "does not exist") {
			t.Errorf("err = %v", err)
		}
	})

	t.Run("log line missing within LogWait", func(t *testing.T) {
		h := newHarness(t)
		c := newClient(h, func(o *Options) { o.LogWait = 50 * time.Millisecond })
		pr, pw := io.Pipe()
		defer pw.Close()
		c.logs = func(context.Context, string, string, string, bool) (io.ReadCloser, error) {
			go func() { _, _ = io.WriteString(pw, "booting\nstill booting\n") }()
			return pr, nil
		}
		deployCase(t, h, c, d)
		p := appPod(c, "p1", "6", t0)
		withContainer(running(t0), true, appRef, nodeID)(p)
		if _, err := h.cs.CoreV1().Pods(ns).Create(context.Background(), p, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		e := event(p, "s", "Normal", "Started", "Started container", 1, t0, t0)
		if _, err := h.cs.CoreV1().Events(ns).Create(context.Background(), e, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		obs, err := c.Observe(context.Background(), d, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if obs.Status != "Running" || obs.LogLine != "" {
			t.Errorf("obs = %+v", obs)
		}
	})
}

func hasReason(evs []lab.Event, reason string) bool {
	for _, e := range evs {
		if e.Reason == reason {
			return true
		}
	}
	return false
}

func TestConvertEvent(t *testing.T) {
	micro := metav1.NewMicroTime(t0.Add(1500 * time.Millisecond))
	tests := []struct {
		name        string
		e           corev1.Event
		first, last time.Time
		count       int32
	}{
		{"legacy kubelet event", corev1.Event{FirstTimestamp: metav1.NewTime(t0), LastTimestamp: metav1.NewTime(t0.Add(5 * time.Second)), Count: 3}, t0, t0.Add(5 * time.Second), 3},
		{"events.k8s.io event", corev1.Event{EventTime: micro}, micro.Time, micro.Time, 1},
		{"series", corev1.Event{EventTime: micro, Series: &corev1.EventSeries{Count: 7, LastObservedTime: metav1.NewMicroTime(t0.Add(9 * time.Second))}}, micro.Time, t0.Add(9 * time.Second), 7},
		{"only creation time", corev1.Event{ObjectMeta: metav1.ObjectMeta{CreationTimestamp: metav1.NewTime(t0)}}, t0, t0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := convertEvent(&tt.e)
			if !got.First.Equal(tt.first) || !got.Last.Equal(tt.last) || got.Count != tt.count {
				t.Errorf("got first %v last %v count %d", got.First, got.Last, got.Count)
			}
		})
	}
}

func TestScanLines(t *testing.T) {
	long := strings.Repeat("x", maxLogLine+10)
	var got []string
	err := scanLines(strings.NewReader("a\r\n"+long+"\nb\nlast"), func(l string) bool {
		got = append(got, l)
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 4 || got[0] != "a" || len(got[1]) != maxLogLine || got[2] != "b" || got[3] != "last" {
		t.Errorf("lines: %d, first %q", len(got), got[0])
	}
}
