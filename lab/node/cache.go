// Package node reads and changes the image cache of the lab's node. It runs
// a privileged debug pod on the node (like `oc debug node/NAME`) and, over
// the API server's exec subresource, runs `chroot /host crictl …` in it, so
// it sees exactly what the kubelet's container runtime (CRI-O or
// containerd) holds.
//
// Removal is guarded: pulllab removes an image only when every tag and
// digest the image carries is in one of the lab's repositories, and removes
// it by image ID, then checks that it is gone.
package node

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sirupsen/logrus"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/pulllab/pulllab/internal/kubeclient"
	"github.com/pulllab/pulllab/lab"
	"github.com/pulllab/pulllab/lab/workload"
	"github.com/pulllab/pulllab/manifests"
)

// Defaults for the Options.
const (
	DefaultStartTimeout = 5 * time.Minute
	DefaultStopTimeout  = 2 * time.Minute
	// DefaultInUseWait bounds the wait, after the runtime refused to remove
	// an image because a container still uses it, until no container does:
	// CRI-O refuses while even a stopped container uses the image, and the
	// kubelet can take about a minute to remove the containers of a deleted
	// pod.
	DefaultInUseWait = 2 * time.Minute
)

// DebugContainer is the name of the debug pod's container (as in
// debug-pod.yaml and `oc debug`).
const DebugContainer = "container-00"

// DefaultCrictl is the command prefix that reaches the node's crictl.
var DefaultCrictl = []string{"chroot", "/host", "crictl"}

// Options configure a Cache.
type Options struct {
	// Namespace holds the debug pod; it must allow privileged pods (see
	// manifests.Namespace).
	Namespace string
	// Node is the node whose cache this is.
	Node string
	// Image is the debug pod's image; it needs sh, sleep and chroot.
	Image string
	// LabID is the value of the pulllab.io/lab label.
	LabID string
	// Repositories are the lab's image repositories, e.g.
	// "127.0.0.1:5000/pulllab/custom-image-java". Only images whose every
	// reference is in one of them may be removed.
	Repositories []string
	// Crictl is the command prefix (default DefaultCrictl).
	Crictl []string
	// StartTimeout bounds the wait for the debug pod to run (default
	// DefaultStartTimeout); StopTimeout the wait for it to go.
	StartTimeout time.Duration
	StopTimeout  time.Duration
	// InUseWait bounds the wait until no container uses an image whose
	// removal the runtime refused (default DefaultInUseWait); InUseRetry is
	// the interval between looks at `crictl ps -a` (default 2s).
	InUseWait  time.Duration
	InUseRetry time.Duration
	// Progress receives a line for the user when a removal has to wait
	// (default: logged at info level).
	Progress func(msg string)
	// Log receives debug messages and warnings (default: discarded).
	Log logrus.FieldLogger
}

// Cache is the node's image cache. It implements lab.NodeCache.
type Cache struct {
	cs kubeclient.Interface
	ex Execer
	o  Options
}

var _ lab.NodeCache = (*Cache)(nil)

// New returns a Cache; call Start before the other methods.
func New(cs kubeclient.Interface, ex Execer, o Options) *Cache {
	if len(o.Crictl) == 0 {
		o.Crictl = DefaultCrictl
	}
	if o.StartTimeout <= 0 {
		o.StartTimeout = DefaultStartTimeout
	}
	if o.StopTimeout <= 0 {
		o.StopTimeout = DefaultStopTimeout
	}
	if o.InUseWait <= 0 {
		o.InUseWait = DefaultInUseWait
	}
	if o.InUseRetry <= 0 {
		o.InUseRetry = 2 * time.Second
	}
	if o.Log == nil {
		o.Log = lab.DiscardLog()
	}
	if o.Progress == nil {
		log := o.Log
		o.Progress = func(msg string) { log.Info(msg) }
	}
	return &Cache{cs: cs, ex: ex, o: o}
}

// PodName returns the debug pod's name: pulllab-debug-<node>.
func (c *Cache) PodName() string {
	name := "pulllab-debug-" + strings.ToLower(c.o.Node)
	if len(name) > validation.DNS1123SubdomainMaxLength {
		sum := sha256.Sum256([]byte(c.o.Node))
		name = name[:validation.DNS1123SubdomainMaxLength-11] + "-" + hex.EncodeToString(sum[:])[:10]
	}
	return name
}

// DebugPodFor returns the debug pod Start creates: the embedded
// debug-pod.yaml with the name, image, node and labels filled in.
func (c *Cache) DebugPodFor() (*corev1.Pod, error) {
	if c.o.Namespace == "" || c.o.Node == "" {
		return nil, fmt.Errorf("the node cache needs a namespace and a node")
	}
	if c.o.Image == "" {
		return nil, fmt.Errorf("no debug image configured for the node's debug pod")
	}
	if errs := validation.IsValidLabelValue(c.o.LabID); c.o.LabID == "" || len(errs) > 0 {
		return nil, fmt.Errorf("invalid lab ID %q: it must be a non-empty label value", c.o.LabID)
	}
	p, err := manifests.DebugPod()
	if err != nil {
		return nil, err
	}
	p.Name = c.PodName()
	p.Namespace = c.o.Namespace
	if p.Labels == nil {
		p.Labels = map[string]string{}
	}
	p.Labels[lab.LabelManagedBy] = lab.ManagedBy
	p.Labels[lab.LabelLabID] = c.o.LabID
	p.Labels[lab.LabelRole] = workload.RoleDebug
	p.Spec.NodeName = c.o.Node
	p.Spec.Containers[0].Name = DebugContainer
	p.Spec.Containers[0].Image = c.o.Image
	return p, nil
}

// StartShared is Start for read-only callers such as `pulllab status`: when
// a debug pod for this node is already running (a verify run is using it),
// it uses that pod and reports owned=false, and the caller must not Stop it;
// otherwise it starts one as Start does and reports owned=true.
func (c *Cache) StartShared(ctx context.Context) (owned bool, err error) {
	want, err := c.DebugPodFor()
	if err != nil {
		return false, err
	}
	cur, err := c.cs.CoreV1().Pods(c.o.Namespace).Get(ctx, want.Name, metav1.GetOptions{})
	if err == nil && cur.DeletionTimestamp == nil && cur.Status.Phase == corev1.PodRunning &&
		cur.Spec.NodeName == c.o.Node && cur.Spec.Containers[0].Image == c.o.Image {
		return false, nil
	}
	if err != nil && !apierrors.IsNotFound(err) {
		return false, fmt.Errorf("reading debug pod %s/%s: %w", c.o.Namespace, want.Name, err)
	}
	return true, c.Start(ctx)
}

// Start makes the debug pod run on the node: it reuses a running one,
// replaces one that has ended or is being deleted, and otherwise creates it
// and watches it until its container runs. If Start fails after creating the
// pod, it deletes it again (with a fresh context when ctx was cancelled).
func (c *Cache) Start(ctx context.Context) (err error) {
	want, err := c.DebugPodFor()
	if err != nil {
		return err
	}
	ns, name := c.o.Namespace, want.Name
	pods := c.cs.CoreV1().Pods(ns)
	log := c.o.Log.WithFields(logrus.Fields{"pod": name, "node": c.o.Node})

	cur, err := pods.Get(ctx, name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		cur = nil
	case err != nil:
		return fmt.Errorf("reading debug pod %s/%s: %w", ns, name, err)
	case cur.DeletionTimestamp != nil || cur.Status.Phase == corev1.PodSucceeded || cur.Status.Phase == corev1.PodFailed ||
		cur.Spec.NodeName != c.o.Node || cur.Spec.Containers[0].Image != c.o.Image:
		log.Debug("replacing a stale debug pod")
		if err := c.deleteNow(ctx); err != nil {
			return err
		}
		cur = nil
	}
	if cur == nil {
		_, cerr := pods.Create(ctx, want, metav1.CreateOptions{})
		if apierrors.IsForbidden(cerr) {
			return fmt.Errorf("creating the node debug pod %s/%s was refused: %w; the namespace must allow privileged pods (label %senforce=privileged) and on OpenShift you must be allowed the privileged SCC (log in as cluster-admin, e.g. kubeadmin on CRC)",
				ns, name, cerr, manifests.LabelPodSecurity)
		}
		if cerr != nil && !apierrors.IsAlreadyExists(cerr) {
			return fmt.Errorf("creating the node debug pod %s/%s: %w", ns, name, cerr)
		}
		log.Debug("created debug pod")
		defer func() {
			if err == nil {
				return
			}
			dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.o.StopTimeout)
			defer cancel()
			if derr := c.deleteNow(dctx); derr != nil {
				log.WithError(derr).Warn("could not delete the debug pod")
			}
		}()
	}

	wctx, cancel := context.WithTimeout(ctx, c.o.StartTimeout)
	defer cancel()
	last, err := workload.WaitForPod(wctx, c.cs, ns, name, func(p *corev1.Pod) (bool, error) {
		if p == nil {
			return false, fmt.Errorf("the debug pod %s/%s was deleted while starting", ns, name)
		}
		if len(p.Status.ContainerStatuses) > 0 {
			s := p.Status.ContainerStatuses[0].State
			switch {
			case s.Running != nil:
				return true, nil
			case s.Terminated != nil:
				return false, fmt.Errorf("the debug pod's container ended (%s, exit code %d): %s", s.Terminated.Reason, s.Terminated.ExitCode, s.Terminated.Message)
			case s.Waiting != nil && lab.IsPullFailure(s.Waiting.Reason):
				return false, fmt.Errorf("the node cannot pull the debug image %s (%s): %s; choose another debug image", c.o.Image, s.Waiting.Reason, s.Waiting.Message)
			case s.Waiting != nil && (s.Waiting.Reason == lab.ReasonCreateContainerError || s.Waiting.Reason == lab.ReasonCreateContainerConfigError || s.Waiting.Reason == lab.ReasonRunContainerError):
				return false, fmt.Errorf("the debug pod's container cannot start (%s): %s", s.Waiting.Reason, s.Waiting.Message)
			}
		}
		if p.Status.Phase == corev1.PodFailed || p.Status.Phase == corev1.PodSucceeded {
			return false, fmt.Errorf("the debug pod ended: %s %s", p.Status.Reason, p.Status.Message)
		}
		return false, nil
	})
	switch {
	case err == nil:
		log.Debug("debug pod running")
		return nil
	case ctx.Err() != nil:
		return fmt.Errorf("starting the node debug pod: %w", ctx.Err())
	case errors.Is(err, context.DeadlineExceeded):
		status := "absent"
		if last != nil {
			status = workload.PodStatus(last)
		}
		return fmt.Errorf("the node debug pod %s/%s did not run within %s (status %s)", ns, name, c.o.StartTimeout, status)
	}
	return fmt.Errorf("starting the node debug pod %s/%s: %w", ns, name, err)
}

// Stop deletes the debug pod (grace period 0) and waits until it is gone.
// An absent pod is not an error.
func (c *Cache) Stop(ctx context.Context) error {
	wctx, cancel := context.WithTimeout(ctx, c.o.StopTimeout)
	defer cancel()
	return c.deleteNow(wctx)
}

func (c *Cache) deleteNow(ctx context.Context) error {
	if err := workload.DeletePodNow(ctx, c.cs, c.o.Namespace, c.PodName()); err != nil {
		return fmt.Errorf("removing the node debug pod: %w", err)
	}
	return nil
}

// crictl runs crictl with args in the debug pod.
func (c *Cache) crictl(ctx context.Context, args ...string) ([]byte, error) {
	argv := append(append([]string{}, c.o.Crictl...), args...)
	stdout, stderr, err := c.ex.Exec(ctx, c.o.Namespace, c.PodName(), DebugContainer, argv)
	if err != nil {
		var ee *ExitError
		if errors.As(err, &ee) {
			if ee.Code == 126 || ee.Code == 127 {
				return stdout, fmt.Errorf("%w; is crictl installed on the node (and /etc/crictl.yaml pointing at the runtime's socket)?", err)
			}
			return stdout, err
		}
		if s := strings.TrimSpace(string(stderr)); s != "" {
			return stdout, fmt.Errorf("%w (stderr: %s)", err, s)
		}
		return stdout, err
	}
	return stdout, nil
}

// All lists every image in the node's cache.
func (c *Cache) All(ctx context.Context) ([]lab.NodeImage, error) {
	out, err := c.crictl(ctx, "images", "-o", "json")
	if err != nil {
		return nil, fmt.Errorf("listing the images on node %s: %w", c.o.Node, err)
	}
	imgs, err := ParseImages(out)
	if err != nil {
		return nil, fmt.Errorf("listing the images on node %s: %w", c.o.Node, err)
	}
	return imgs, nil
}

// NodeImages lists the images that carry at least one tag or digest in the
// lab's repositories (lab.NodeCache).
func (c *Cache) NodeImages(ctx context.Context) ([]lab.NodeImage, error) {
	all, err := c.All(ctx)
	if err != nil {
		return nil, err
	}
	var out []lab.NodeImage
	for _, img := range all {
		if c.isLabs(img) {
			out = append(out, img)
		}
	}
	return out, nil
}

func (c *Cache) isLabs(img lab.NodeImage) bool {
	for _, r := range append(append([]string{}, img.RepoTags...), img.RepoDigests...) {
		if InRepositories(r, c.o.Repositories) {
			return true
		}
	}
	return false
}

// holds reports whether img carries ref as a tag or digest.
func holds(img lab.NodeImage, ref string) bool {
	for _, r := range append(append([]string{}, img.RepoTags...), img.RepoDigests...) {
		if r == ref {
			return true
		}
	}
	return false
}

// RemoveNodeImage removes from the node the image(s) that carry ref as a
// tag or a digest (lab.NodeCache). It refuses (before removing anything) when ref is not in a lab
// repository, or when such an image carries any reference outside the lab's
// repositories. It removes by image ID — removing by name would only untag
// on CRI-O — retrying for a while when the runtime says a container still
// uses the image, and then lists the images again to check that ref is gone.
// An absent image is not an error.
func (c *Cache) RemoveNodeImage(ctx context.Context, ref string) error {
	if !InRepositories(ref, c.o.Repositories) {
		return fmt.Errorf("refusing to remove %q from the node: it is not in the lab's repositories (%s)", ref, strings.Join(c.o.Repositories, ", "))
	}
	all, err := c.All(ctx)
	if err != nil {
		return err
	}
	var targets []lab.NodeImage
	for _, img := range all {
		if holds(img, ref) {
			if err := CheckRemovable(img, c.o.Repositories); err != nil {
				return err
			}
			targets = append(targets, img)
		}
	}
	log := c.o.Log.WithFields(logrus.Fields{"node": c.o.Node, "ref": ref})
	if len(targets) == 0 {
		log.Debug("image not on the node; nothing to remove")
		return nil
	}
	for _, img := range targets {
		if err := c.rmi(ctx, img); err != nil {
			return fmt.Errorf("removing %s (image %s) from node %s: %w", ref, img.ID, c.o.Node, err)
		}
		log.WithField("id", img.ID).Debug("removed image")
	}
	after, err := c.All(ctx)
	if err != nil {
		return fmt.Errorf("checking that %s is gone from node %s: %w", ref, c.o.Node, err)
	}
	for _, img := range after {
		if holds(img, ref) {
			return fmt.Errorf("%s is still on node %s after removing it (image %s)", ref, c.o.Node, img.ID)
		}
		for _, t := range targets {
			if img.ID == t.ID {
				return fmt.Errorf("image %s is still on node %s after removing it", img.ID, c.o.Node)
			}
		}
	}
	return nil
}

// rmi removes one image by ID. When the runtime refuses because a
// container still uses the image (CRI-O does so even for a stopped
// container, which the kubelet removes up to about a minute after its pod
// is gone), it waits — bounded by InUseWait, saying what it waits for —
// until `crictl ps -a` shows no container using the image, and tries
// again. An image that vanished meanwhile is fine.
func (c *Cache) rmi(ctx context.Context, img lab.NodeImage) error {
	deadline := time.Now().Add(c.o.InUseWait)
	announced := false
	for {
		_, err := c.crictl(ctx, "rmi", img.ID)
		if err == nil {
			return nil
		}
		var ee *ExitError
		if !errors.As(err, &ee) {
			return err
		}
		switch {
		case strings.Contains(strings.ToLower(string(ee.Stderr)), "no such image"):
			return nil
		case !InUseRefusal(ee.Stderr):
			return err
		}
		users, err := c.waitUnused(ctx, img, deadline, &announced)
		if err != nil {
			return err
		}
		if len(users) > 0 {
			return fmt.Errorf("the runtime refuses to remove the image while a container uses it, and %s still %s it after %s: the kubelet has not removed %s; delete the lab's pods (pulllab down) or remove the containers on the node with 'crictl rm'",
				describeContainers(users), verb(len(users), "uses", "use"), c.o.InUseWait, verb(len(users), "it", "them"))
		}
	}
}

// waitUnused polls `crictl ps -a` until no container uses img, or until
// deadline, and returns the containers that still use it then. The first
// time it has to wait it says so through Progress. When no container uses
// img at the first look (the runtime refused all the same), it pauses one
// interval so that the caller's retry is not immediate.
func (c *Cache) waitUnused(ctx context.Context, img lab.NodeImage, deadline time.Time, announced *bool) ([]Container, error) {
	first := true
	for {
		users, err := c.containersUsing(ctx, img)
		if err != nil {
			return nil, err
		}
		if (len(users) == 0 && !first) || !time.Now().Before(deadline) {
			return users, nil
		}
		if len(users) > 0 && !*announced {
			*announced = true
			c.o.Progress(fmt.Sprintf("node %s: %s still %s image %s, and the runtime will not remove an image a container uses; waiting up to %s for the kubelet to remove %s",
				c.o.Node, describeContainers(users), verb(len(users), "uses", "use"), shortID(img.ID), time.Until(deadline).Round(time.Second), verb(len(users), "it", "them")))
		}
		c.o.Log.WithFields(logrus.Fields{"image": img.ID, "containers": len(users)}).Debug("waiting until no container uses the image")
		first = false
		t := time.NewTimer(c.o.InUseRetry)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
		if len(users) == 0 {
			return nil, nil
		}
	}
}

// containersUsing lists the node's containers (all states) that use img.
func (c *Cache) containersUsing(ctx context.Context, img lab.NodeImage) ([]Container, error) {
	out, err := c.crictl(ctx, "ps", "-a", "-o", "json")
	if err != nil {
		return nil, fmt.Errorf("listing the containers on node %s: %w", c.o.Node, err)
	}
	all, err := ParseContainers(out)
	if err != nil {
		return nil, fmt.Errorf("listing the containers on node %s: %w", c.o.Node, err)
	}
	var users []Container
	for _, ctr := range all {
		if ctr.Uses(img) {
			users = append(users, ctr)
		}
	}
	return users, nil
}

// describeContainers names containers for a message: `container
// custom-image-java (pod pulllab/x, CONTAINER_EXITED)`, up to three.
func describeContainers(cs []Container) string {
	var parts []string
	for i, ctr := range cs {
		if i == 3 {
			parts = append(parts, fmt.Sprintf("%d more", len(cs)-3))
			break
		}
		name := ctr.Name
		if name == "" {
			name = shortID(ctr.ID)
		}
		d := name + " ("
		if ctr.Pod != "" {
			d += "pod " + ctr.Pod + ", "
		}
		parts = append(parts, d+strings.ToLower(strings.TrimPrefix(ctr.State, "CONTAINER_"))+")")
	}
	return verb(len(cs), "container ", "containers ") + strings.Join(parts, ", ")
}

func verb(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// shortID is the first 13 characters of an ID, as crictl shows them.
func shortID(id string) string {
	id = strings.TrimPrefix(id, "sha256:")
	if len(id) > 13 {
		return id[:13]
	}
	return id
}

// Inspect returns what the runtime knows about one image (ID or reference),
// including its labels.
func (c *Cache) Inspect(ctx context.Context, id string) (ImageInfo, error) {
	out, err := c.crictl(ctx, "inspecti", "-o", "json", id)
	if err != nil {
		return ImageInfo{}, fmt.Errorf("inspecting image %s on node %s: %w", id, c.o.Node, err)
	}
	info, err := ParseInspect(out)
	if err != nil {
		return ImageInfo{}, fmt.Errorf("inspecting image %s on node %s: %w", id, c.o.Node, err)
	}
	return info, nil
}

// RuntimeVersion returns the node's container runtime and its version as
// crictl reports them, e.g. "containerd 1.6.20~ds1" or "cri-o 1.34.1".
func (c *Cache) RuntimeVersion(ctx context.Context) (string, error) {
	out, err := c.crictl(ctx, "version")
	if err != nil {
		return "", fmt.Errorf("reading the container runtime version on node %s: %w", c.o.Node, err)
	}
	v, err := ParseVersion(out)
	if err != nil {
		return "", fmt.Errorf("reading the container runtime version on node %s: %w", c.o.Node, err)
	}
	return v, nil
}
