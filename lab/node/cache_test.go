package node

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/pulllab/pulllab/internal/golden"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	"sigs.k8s.io/yaml"

	"github.com/pulllab/pulllab/lab"
)

// fakeRuntime answers crictl commands from an image list, as the node's
// runtime would, and records them.
type fakeRuntime struct {
	mu     sync.Mutex
	images []lab.NodeImage
	calls  []string
	// containers are the node's containers (any state); CRI-O refuses to
	// remove an image while one of them uses it. The kubelet removes an
	// exited container right after `crictl ps -a` has listed it gcAfter times
	// (0: never).
	containers []fakeContainer
	gcAfter    int
	psCalls    int
	// refusal is the stderr format of an in-use refusal (%s: the image ID).
	refusal string
	// sticky keeps removals from having any effect.
	sticky bool
	// fail makes every command fail with this exit error.
	fail *ExitError
}

func (f *fakeRuntime) Exec(_ context.Context, ns, pod, container string, argv []string) ([]byte, []byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if ns != "debug-ns" || pod != "pulllab-debug-crc" || container != "container-00" {
		return nil, nil, fmt.Errorf("exec in the wrong place: %s/%s %s", ns, pod, container)
	}
	if len(argv) < 3 || strings.Join(argv[:3], " ") != "chroot /host crictl" {
		return nil, nil, fmt.Errorf("not crictl: %v", argv)
	}
	args := argv[3:]
	f.calls = append(f.calls, strings.Join(args, " "))
	if f.fail != nil {
		e := *f.fail
		e.Argv = argv
		return nil, e.Stderr, &e
	}
	switch {
	case strings.Join(args, " ") == "images -o json":
		type img struct {
			ID          string   `json:"id"`
			RepoTags    []string `json:"repoTags"`
			RepoDigests []string `json:"repoDigests"`
			Size        string   `json:"size"`
		}
		var doc struct {
			Images []img `json:"images"`
		}
		doc.Images = []img{}
		for _, i := range f.images {
			doc.Images = append(doc.Images, img{i.ID, i.RepoTags, i.RepoDigests, fmt.Sprint(i.Size)})
		}
		b, _ := json.MarshalIndent(doc, "", "  ")
		return b, nil, nil
	case strings.Join(args, " ") == "ps -a -o json":
		f.psCalls++
		type ctr struct {
			ID       string            `json:"id"`
			Metadata map[string]any    `json:"metadata"`
			Image    map[string]string `json:"image"`
			ImageRef string            `json:"imageRef"`
			State    string            `json:"state"`
			Labels   map[string]string `json:"labels"`
		}
		doc := struct {
			Containers []ctr `json:"containers"`
		}{Containers: []ctr{}}
		var keep []fakeContainer
		for _, c := range f.containers {
			doc.Containers = append(doc.Containers, ctr{ID: c.id, Metadata: map[string]any{"name": c.name, "attempt": 0},
				Image: map[string]string{"image": c.image}, ImageRef: c.image, State: c.state,
				Labels: map[string]string{"io.kubernetes.pod.name": "custom-image-java-1", "io.kubernetes.pod.namespace": "pulllab"}})
			if f.gcAfter == 0 || c.state != "CONTAINER_EXITED" || f.psCalls < f.gcAfter {
				keep = append(keep, c)
			}
		}
		f.containers = keep
		b, _ := json.Marshal(doc)
		return b, nil, nil
	case len(args) == 2 && args[0] == "rmi":
		for _, c := range f.containers {
			if c.image == args[1] {
				format := f.refusal
				if format == "" {
					format = crioRefusalNew
				}
				msg := []byte(fmt.Sprintf(format, args[1], c.id))
				return nil, msg, &ExitError{Argv: argv, Code: 1, Stderr: msg}
			}
		}
		for i, img := range f.images {
			if img.ID == args[1] {
				if !f.sticky {
					f.images = append(f.images[:i], f.images[i+1:]...)
				}
				return []byte("Deleted: " + strings.Join(img.RepoTags, "\nDeleted: ")), nil, nil
			}
		}
		msg := []byte("no such image " + args[1])
		return nil, msg, &ExitError{Argv: argv, Code: 1, Stderr: msg}
	case strings.Join(args, " ") == "version":
		return readTestdataBytes("crio-version.txt"), nil, nil
	case len(args) == 4 && args[0] == "inspecti":
		return readTestdataBytes("crio-inspecti.json"), nil, nil
	}
	return nil, nil, fmt.Errorf("unexpected crictl %v", args)
}

// fakeContainer is a container on the fake node.
type fakeContainer struct{ id, name, image, state string }

// How crictl reports CRI-O's refusal to remove an image a container uses:
// CRI-O's RemoveImage (server/image_remove.go) returns "delete image: %w"
// of containers/storage's "image used by <container>: image is in use by a
// container"; crictl wraps it in its own words, which changed between
// versions (%[1]s: the image, %[2]s: the container).
const (
	crioRefusalOld = `time="2026-12-03T10:01:02Z" level=fatal msg="error of removing image \"%[1]s\": rpc error: code = Unknown desc = delete image: image used by %[2]s: image is in use by a container"`
	crioRefusalNew = `E1203 10:01:02.123456    4242 remote_image.go:270] "RemoveImage from image service failed" err="rpc error: code = Unknown desc = delete image: image used by %[2]s: image is in use by a container" image="%[1]s"
time="2026-12-03T10:01:02Z" level=error msg="error of removing image \"%[1]s\": rpc error: code = Unknown desc = delete image: image used by %[2]s: image is in use by a container"
time="2026-12-03T10:01:02Z" level=fatal msg="unable to remove the image(s)"`
)

func readTestdataBytes(name string) []byte {
	b, _ := os.ReadFile(filepath.Join("testdata", name))
	return b
}

func (f *fakeRuntime) rmiCalls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, c := range f.calls {
		if strings.HasPrefix(c, "rmi ") {
			out = append(out, c)
		}
	}
	return out
}

// harness is a fake clientset that signals when a watch starts.
type harness struct {
	t       *testing.T
	cs      *fake.Clientset
	watches chan string
}

func newHarness(t *testing.T, objs ...runtime.Object) *harness {
	h := &harness{t: t, cs: fake.NewClientset(objs...), watches: make(chan string, 1000)}
	h.cs.PrependWatchReactor("*", func(action k8stesting.Action) (bool, watch.Interface, error) {
		var opts metav1.ListOptions
		if wa, ok := action.(k8stesting.WatchActionImpl); ok {
			opts = wa.ListOptions
		}
		w, err := h.cs.Tracker().Watch(action.GetResource(), action.GetNamespace(), opts)
		if err == nil {
			h.watches <- action.GetResource().Resource
		}
		return true, w, err
	})
	return h
}

func (h *harness) waitWatch(resource string) {
	h.t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		select {
		case r := <-h.watches:
			if r == resource {
				return
			}
		case <-deadline:
			h.t.Fatalf("no watch on %s started", resource)
		}
	}
}

const (
	debugNS    = "debug-ns"
	debugImage = "127.0.0.1:5000/pulllab-e2e/debug:1"
)

func newCache(h *harness, rt Execer, mutate ...func(*Options)) *Cache {
	o := Options{
		Namespace: debugNS, Node: "crc", Image: debugImage, LabID: "lab1",
		Repositories: []string{ocpRepo, ocpStash},
		StartTimeout: 30 * time.Second, StopTimeout: 30 * time.Second,
		InUseWait: 10 * time.Second, InUseRetry: time.Millisecond,
	}
	for _, m := range mutate {
		m(&o)
	}
	var cs = h.cs
	return New(cs, rt, o)
}

func runningStatus(p *corev1.Pod) {
	p.Status.Phase = corev1.PodRunning
	p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "container-00", Ready: true,
		State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}}
}

func (h *harness) setStatus(name string, mutate func(*corev1.Pod)) {
	h.t.Helper()
	p, err := h.cs.CoreV1().Pods(debugNS).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		h.t.Error(err)
		return
	}
	mutate(p)
	if _, err := h.cs.CoreV1().Pods(debugNS).UpdateStatus(context.Background(), p, metav1.UpdateOptions{}); err != nil {
		h.t.Error(err)
	}
}

func (h *harness) podNames() []string {
	l, _ := h.cs.CoreV1().Pods(debugNS).List(context.Background(), metav1.ListOptions{})
	var out []string
	for _, p := range l.Items {
		out = append(out, p.Name)
	}
	return out
}

func TestDebugPodFor(t *testing.T) {
	c := newCache(newHarness(t), &fakeRuntime{})
	p, err := c.DebugPodFor()
	if err != nil {
		t.Fatal(err)
	}
	out, err := yaml.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "debug-pod.golden.yaml"), out)
	sc := p.Spec.Containers[0].SecurityContext
	if p.Name != "pulllab-debug-crc" || p.Spec.NodeName != "crc" || p.Spec.Containers[0].Image != debugImage ||
		!p.Spec.HostPID || !p.Spec.HostNetwork || sc == nil || sc.Privileged == nil || !*sc.Privileged ||
		p.Labels[lab.LabelRole] != "debug" || p.Labels[lab.LabelLabID] != "lab1" || p.Labels[lab.LabelManagedBy] != lab.ManagedBy {
		t.Errorf("debug pod = %+v", p)
	}
}

func TestPodName(t *testing.T) {
	long := strings.Repeat("n", 300)
	for _, node := range []string{"crc", "ip-10-0-1-2.ec2.internal", long} {
		c := newCache(newHarness(t), &fakeRuntime{}, func(o *Options) { o.Node = node })
		if n := c.PodName(); len(n) > 253 || !strings.HasPrefix(n, "pulllab-debug-") {
			t.Errorf("PodName(%d chars) = %q", len(node), n)
		}
	}
}

func TestStart(t *testing.T) {
	ctx := context.Background()
	t.Run("creates the pod and waits until it runs", func(t *testing.T) {
		h := newHarness(t)
		c := newCache(h, &fakeRuntime{})
		done := make(chan error, 1)
		go func() { done <- c.Start(ctx) }()
		h.waitWatch("pods")
		select {
		case err := <-done:
			t.Fatalf("Start returned (%v) before the pod ran", err)
		default:
		}
		h.setStatus("pulllab-debug-crc", func(p *corev1.Pod) {
			p.Status.Phase = corev1.PodPending
			p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "container-00", State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ContainerCreating"}}}}
		})
		h.setStatus("pulllab-debug-crc", runningStatus)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	})
	t.Run("reuses a running pod", func(t *testing.T) {
		h := newHarness(t)
		c := newCache(h, &fakeRuntime{})
		p, _ := c.DebugPodFor()
		runningStatus(p)
		if _, err := h.cs.CoreV1().Pods(debugNS).Create(ctx, p, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		h.cs.ClearActions()
		if err := c.Start(ctx); err != nil {
			t.Fatal(err)
		}
		for _, a := range h.cs.Actions() {
			if a.GetVerb() == "create" || a.GetVerb() == "delete" {
				t.Errorf("unexpected %s", a.GetVerb())
			}
		}
	})
	t.Run("replaces an ended pod", func(t *testing.T) {
		h := newHarness(t)
		c := newCache(h, &fakeRuntime{})
		p, _ := c.DebugPodFor()
		p.UID = "old"
		p.Status.Phase = corev1.PodSucceeded
		if _, err := h.cs.CoreV1().Pods(debugNS).Create(ctx, p, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- c.Start(ctx) }()
		h.waitWatch("pods") // waiting for the old one to go
		h.waitWatch("pods") // waiting for the new one to run
		h.setStatus("pulllab-debug-crc", runningStatus)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		got, _ := h.cs.CoreV1().Pods(debugNS).Get(ctx, "pulllab-debug-crc", metav1.GetOptions{})
		if got.UID == "old" {
			t.Error("the ended pod was kept")
		}
	})
	t.Run("debug image cannot be pulled: error and no pod left", func(t *testing.T) {
		h := newHarness(t)
		c := newCache(h, &fakeRuntime{})
		done := make(chan error, 1)
		go func() { done <- c.Start(ctx) }()
		h.waitWatch("pods")
		h.setStatus("pulllab-debug-crc", func(p *corev1.Pod) {
			p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "container-00", State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ImagePullBackOff", Message: "manifest unknown"}}}}
		})
		err := <-done
		if err == nil || !strings.Contains(err.Error(), "cannot pull the debug image") || !strings.Contains(err.Error(), "manifest unknown") {
			t.Errorf("err = %v", err)
		}
		if names := h.podNames(); len(names) != 0 {
			t.Errorf("pods left: %v", names)
		}
	})
	t.Run("cancelled: no pod left", func(t *testing.T) {
		h := newHarness(t)
		c := newCache(h, &fakeRuntime{})
		cctx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- c.Start(cctx) }()
		h.waitWatch("pods")
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v", err)
		}
		if names := h.podNames(); len(names) != 0 {
			t.Errorf("pods left: %v", names)
		}
	})
	t.Run("forbidden explains privileged", func(t *testing.T) {
		h := newHarness(t)
		h.cs.PrependReactor("create", "pods", func(k8stesting.Action) (bool, runtime.Object, error) {
			return true, nil, apierrors.NewForbidden(corev1.Resource("pods"), "pulllab-debug-crc", errors.New(`violates PodSecurity "restricted:latest": privileged`))
		})
		err := newCache(h, &fakeRuntime{}).Start(ctx)
		if err == nil || !strings.Contains(err.Error(), "enforce=privileged") || !apierrors.IsForbidden(err) {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		h := newHarness(t)
		c := newCache(h, &fakeRuntime{}, func(o *Options) { o.StartTimeout = 50 * time.Millisecond })
		err := c.Start(ctx)
		if err == nil || !strings.Contains(err.Error(), "did not run within") {
			t.Errorf("err = %v", err)
		}
		if names := h.podNames(); len(names) != 0 {
			t.Errorf("pods left: %v", names)
		}
	})
}

func TestStop(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t)
	c := newCache(h, &fakeRuntime{})
	if err := c.Stop(ctx); err != nil {
		t.Fatalf("stopping an absent pod: %v", err)
	}
	p, _ := c.DebugPodFor()
	if _, err := h.cs.CoreV1().Pods(debugNS).Create(ctx, p, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := c.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if names := h.podNames(); len(names) != 0 {
		t.Errorf("pods left: %v", names)
	}
}

// Images of a node in the OpenShift flavour.
var (
	labOnly = lab.NodeImage{ID: "aaaa", Size: 10,
		RepoTags:    []string{ocpRepo + ":v1"},
		RepoDigests: []string{ocpRepo + "@" + digestA, ocpStash + "@" + digestA}}
	labDigestOnly = lab.NodeImage{ID: "bbbb", Size: 10, RepoTags: []string{},
		RepoDigests: []string{ocpRepo + "@sha256:43da3553ace447eb15f078400254df6e54404feb32109883839381172648cc8b"}}
	withBystander = lab.NodeImage{ID: "cccc", Size: 10,
		RepoTags:    []string{ocpRepo + ":v1", "registry.example.com/someone/app:1"},
		RepoDigests: []string{}}
	withPrefixTwin = lab.NodeImage{ID: "dddd", Size: 10,
		RepoTags:    []string{ocpRepo + ":v1", ocpRepo + "-old:v1"},
		RepoDigests: []string{}}
	prefixTwinOnly = lab.NodeImage{ID: "eeee", Size: 10, RepoTags: []string{ocpRepo + "-old:v1"}, RepoDigests: []string{}}
	baseImage      = lab.NodeImage{ID: "ffff", Size: 10, RepoTags: []string{"registry.redhat.io/jboss-eap-7/eap74-openjdk11-openshift-rhel8:7.4.21-2.1743444175"}, RepoDigests: []string{}}
)

func TestRemove(t *testing.T) {
	tests := []struct {
		name    string
		images  []lab.NodeImage
		ref     string
		sticky  bool
		wantRmi []string
		wantErr string
		left    []string
	}{
		{name: "lab-only image is removed by ID", images: []lab.NodeImage{labOnly, baseImage}, ref: ocpRepo + ":v1",
			wantRmi: []string{"rmi aaaa"}, left: []string{"ffff"}},
		{name: "by digest", images: []lab.NodeImage{labOnly, labDigestOnly}, ref: labDigestOnly.RepoDigests[0],
			wantRmi: []string{"rmi bbbb"}, left: []string{"aaaa"}},
		{name: "an image with a bystander's tag is refused", images: []lab.NodeImage{withBystander}, ref: ocpRepo + ":v1",
			wantErr: `"registry.example.com/someone/app:1"`, left: []string{"cccc"}},
		{name: "a tag in a repository that only shares the prefix is refused", images: []lab.NodeImage{withPrefixTwin}, ref: ocpRepo + ":v1",
			wantErr: "custom-image-java-old:v1", left: []string{"dddd"}},
		{name: "a reference outside the lab's repositories is refused", images: []lab.NodeImage{prefixTwinOnly}, ref: ocpRepo + "-old:v1",
			wantErr: "not in the lab's repositories", left: []string{"eeee"}},
		{name: "the base image is refused", images: []lab.NodeImage{baseImage}, ref: baseImage.RepoTags[0],
			wantErr: "not in the lab's repositories", left: []string{"ffff"}},
		{name: "absent is fine", images: []lab.NodeImage{baseImage}, ref: ocpRepo + ":v1", left: []string{"ffff"}},
		{name: "still there after rmi", images: []lab.NodeImage{labOnly}, ref: ocpRepo + ":v1", sticky: true,
			wantRmi: []string{"rmi aaaa"}, wantErr: "still on node crc", left: []string{"aaaa"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt := &fakeRuntime{images: append([]lab.NodeImage{}, tt.images...), sticky: tt.sticky}
			c := newCache(newHarness(t), rt)
			err := c.RemoveNodeImage(context.Background(), tt.ref)
			if tt.wantErr == "" && err != nil {
				t.Fatal(err)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
			}
			if got := strings.Join(rt.rmiCalls(), ","); got != strings.Join(tt.wantRmi, ",") {
				t.Errorf("rmi calls = %q, want %q", got, tt.wantRmi)
			}
			var left []string
			for _, img := range rt.images {
				left = append(left, img.ID)
			}
			if strings.Join(left, ",") != strings.Join(tt.left, ",") {
				t.Errorf("images left = %v, want %v", left, tt.left)
			}
		})
	}
}

// CRI-O refuses to remove an image while a container — even a stopped one
// — uses it, and the kubelet removes the containers of a deleted pod up to
// about a minute later. Remove then waits, bounded and saying what for,
// until `crictl ps -a` shows no container using the image, and removes it.
func TestRemoveWaitsUntilNoContainerUsesTheImage(t *testing.T) {
	exited := fakeContainer{id: "c0ffee0000000000000000000000000000000000000000000000000000000001", name: "custom-image-java", image: "aaaa", state: "CONTAINER_EXITED"}
	running := exited
	running.state = "CONTAINER_RUNNING"
	other := fakeContainer{id: "c0ffee02", name: "bystander", image: "ffff", state: "CONTAINER_EXITED"}
	tests := []struct {
		name       string
		containers []fakeContainer
		gcAfter    int
		refusal    string
		wantErr    string
		wantRmi    int
		wantPS     int
		wantWaited bool
	}{
		{name: "no container: removed at once, no ps", containers: []fakeContainer{other}, wantRmi: 1, wantPS: 0},
		{name: "stopped container removed by the kubelet on the 3rd look", containers: []fakeContainer{exited, other}, gcAfter: 3,
			wantRmi: 2, wantPS: 4, wantWaited: true},
		{name: "same with the older crictl wording", containers: []fakeContainer{exited}, gcAfter: 2, refusal: crioRefusalOld,
			wantRmi: 2, wantPS: 3, wantWaited: true},
		{name: "the kubelet never removes it: bounded, says what to do", containers: []fakeContainer{exited}, wantWaited: true,
			wantErr: "container custom-image-java (pod pulllab/custom-image-java-1, exited) still uses it after 200ms: the kubelet has not removed it; delete the lab's pods (pulllab down)"},
		{name: "a running container is not removed by the kubelet either", containers: []fakeContainer{running}, gcAfter: 1, wantWaited: true,
			wantErr: "(pod pulllab/custom-image-java-1, running) still uses it"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt := &fakeRuntime{images: []lab.NodeImage{labOnly}, containers: tt.containers, gcAfter: tt.gcAfter, refusal: tt.refusal}
			var progress []string
			c := newCache(newHarness(t), rt, func(o *Options) {
				o.InUseWait = 200 * time.Millisecond
				o.InUseRetry = 5 * time.Millisecond
				o.Progress = func(m string) { progress = append(progress, m) }
			})
			err := c.RemoveNodeImage(context.Background(), ocpRepo+":v1")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
			} else {
				if err != nil {
					t.Fatal(err)
				}
				if got := len(rt.rmiCalls()); got != tt.wantRmi {
					t.Errorf("rmi calls = %d, want %d", got, tt.wantRmi)
				}
				if rt.psCalls != tt.wantPS {
					t.Errorf("ps calls = %d, want %d", rt.psCalls, tt.wantPS)
				}
			}
			if tt.wantWaited != (len(progress) == 1) {
				t.Fatalf("progress = %q, want one line: %v", progress, tt.wantWaited)
			}
			if tt.wantWaited && (!strings.Contains(progress[0], "still uses image aaaa") || !strings.Contains(progress[0], "waiting up to") ||
				!strings.Contains(progress[0], "for the kubelet to remove it")) {
				t.Errorf("progress = %q", progress[0])
			}
		})
	}
}

func TestRemoveCancelledWhileWaiting(t *testing.T) {
	rt := &fakeRuntime{images: []lab.NodeImage{labOnly}, containers: []fakeContainer{{id: "c1", name: "x", image: "aaaa", state: "CONTAINER_EXITED"}}}
	ctx, cancel := context.WithCancel(context.Background())
	c := newCache(newHarness(t), rt, func(o *Options) {
		o.InUseRetry = 5 * time.Millisecond
		o.Progress = func(string) { cancel() }
	})
	if err := c.RemoveNodeImage(ctx, ocpRepo+":v1"); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestImages(t *testing.T) {
	rt := &fakeRuntime{images: []lab.NodeImage{baseImage, labOnly, prefixTwinOnly, labDigestOnly}}
	c := newCache(newHarness(t), rt)
	got, err := c.NodeImages(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, img := range got {
		ids = append(ids, img.ID)
	}
	if strings.Join(ids, ",") != "aaaa,bbbb" {
		t.Errorf("lab images = %v, want aaaa,bbbb", ids)
	}
	all, err := c.All(context.Background())
	if err != nil || len(all) != 4 {
		t.Errorf("All = %d images, %v", len(all), err)
	}
}

func TestCrictlErrors(t *testing.T) {
	tests := []struct {
		name string
		fail ExitError
		want string
	}{
		{"crictl missing on the node", ExitError{Code: 127, Stderr: []byte("chroot: can't execute 'crictl': No such file or directory")}, "is crictl installed on the node"},
		{"runtime down", ExitError{Code: 1, Stderr: []byte(`level=fatal msg="validate service connection: connection refused"`)}, "connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fail := tt.fail
			c := newCache(newHarness(t), &fakeRuntime{fail: &fail})
			_, err := c.All(context.Background())
			var ee *ExitError
			if err == nil || !strings.Contains(err.Error(), tt.want) || !errors.As(err, &ee) || ee.Code != tt.fail.Code {
				t.Errorf("err = %v", err)
			}
		})
	}
}

func TestRuntimeVersionAndInspect(t *testing.T) {
	c := newCache(newHarness(t), &fakeRuntime{})
	v, err := c.RuntimeVersion(context.Background())
	if err != nil || v != "cri-o 1.34.0" {
		t.Errorf("RuntimeVersion = %q, %v", v, err)
	}
	info, err := c.Inspect(context.Background(), "5a2c")
	if err != nil || info.Labels["io.pulllab.variant"] != "registry" {
		t.Errorf("Inspect = %+v, %v", info, err)
	}
}

// StartShared lets `pulllab status` read through the debug pod a verify run
// is using without owning (and so deleting) it.
func TestStartShared(t *testing.T) {
	ctx := context.Background()
	t.Run("a running pod is used, not owned", func(t *testing.T) {
		h := newHarness(t)
		c := newCache(h, &fakeRuntime{})
		p, _ := c.DebugPodFor()
		runningStatus(p)
		if _, err := h.cs.CoreV1().Pods(debugNS).Create(ctx, p, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		h.cs.ClearActions()
		owned, err := c.StartShared(ctx)
		if err != nil || owned {
			t.Fatalf("StartShared = %v, %v; want not owned", owned, err)
		}
		for _, a := range h.cs.Actions() {
			if a.GetVerb() != "get" {
				t.Errorf("unexpected %s", a.GetVerb())
			}
		}
	})
	t.Run("no pod: one is started and owned", func(t *testing.T) {
		h := newHarness(t)
		c := newCache(h, &fakeRuntime{})
		type result struct {
			owned bool
			err   error
		}
		done := make(chan result, 1)
		go func() { o, err := c.StartShared(ctx); done <- result{o, err} }()
		h.waitWatch("pods")
		h.setStatus("pulllab-debug-crc", runningStatus)
		r := <-done
		if r.err != nil || !r.owned {
			t.Fatalf("StartShared = %v, %v; want owned", r.owned, r.err)
		}
	})
}
