package openshift

import (
	"context"
	"fmt"
	"path"
	"regexp"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	imagev1 "github.com/openshift/api/image/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/pulllab/pulllab/lab"
	"github.com/pulllab/pulllab/lab/node"
	"github.com/pulllab/pulllab/manifests"
)

// Embedded manifests this package decodes (see manifests/).
const (
	imageStreamFile       = "imagestream.yaml"
	imageStreamImportFile = "imagestreamimport.yaml"
	imageStreamTagFile    = "imagestreamtag.yaml"
	buildConfigFile       = "buildconfig.yaml"
)

// pollInterval is how often the short waits look again.
var pollInterval = 500 * time.Millisecond

// poll runs cond until it is done, for at most Options.WaitTimeout. When
// time runs out (and ctx is not cancelled) it returns the error timedOut
// makes; an error from cond or ctx's error is returned as it is.
func (b *Backend) poll(ctx context.Context, cond wait.ConditionWithContextFunc, timedOut func() error) error {
	var condErr error
	err := wait.PollUntilContextTimeout(ctx, pollInterval, b.o.WaitTimeout, true, func(ctx context.Context) (bool, error) {
		done, err := cond(ctx)
		condErr = err
		return done, err
	})
	switch {
	case err == nil:
		return nil
	case condErr != nil:
		return condErr
	case ctx.Err() != nil:
		return ctx.Err()
	case wait.Interrupted(err):
		return timedOut()
	}
	return err
}

// baseRef is the base image reference split the way `oc import-image` uses
// it: the ImageStream is named after the last path component of the
// repository, the tag after the reference's tag.
type baseRef struct {
	// Ref is the reference as given.
	Ref string
	// Stream is the ImageStream name, e.g. "eap74-openjdk11-openshift-rhel8".
	Stream string
	// Tag is the ImageStream tag, e.g. "7.4.21-2.1743444175"; "latest" for
	// a reference by digest only.
	Tag string
}

// IST returns "stream:tag".
func (r baseRef) IST() string { return r.Stream + ":" + r.Tag }

// repoComponent is one path component of an image repository, as the
// distribution reference grammar allows it.
var repoComponent = regexp.MustCompile(`^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$`)

// parseBaseRef splits an image reference ("registry/ns/name:tag",
// "name@sha256:…").
func parseBaseRef(ref string) (baseRef, error) {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return baseRef{}, fmt.Errorf("empty image reference")
	}
	r, err := name.ParseReference(ref)
	if err != nil {
		return baseRef{}, fmt.Errorf("not an image reference (%v); give e.g. registry.example.com/app/server:1.0", err)
	}
	out := baseRef{Ref: ref, Stream: path.Base(r.Context().RepositoryStr()), Tag: "latest"}
	if !repoComponent.MatchString(out.Stream) {
		return baseRef{}, fmt.Errorf("the image name %q cannot name an ImageStream; give e.g. registry.example.com/app/server:1.0", out.Stream)
	}
	if t, ok := r.(name.Tag); ok {
		out.Tag = t.TagStr()
	}
	return out, nil
}

// BaseImageStreamTag returns the ImageStreamTag ("stream:tag") that the
// builds use as their builder image.
func (b *Backend) BaseImageStreamTag() string { return b.base.IST() }

// ImportBase is the `up` step "image": EnsureBase with its own step line.
func (b *Backend) ImportBase(ctx context.Context) (lab.BaseImage, error) {
	if err := b.chooseBase(ctx); err != nil {
		return lab.BaseImage{}, err
	}
	b.status.Start("Importing the base image %s", b.base.Ref)
	defer b.status.End(false)
	bi, err := b.EnsureBase(ctx)
	if err != nil {
		return lab.BaseImage{}, err
	}
	b.status.Infof("%s is %s", b.base.IST(), bi.Digest)
	b.status.End(true)
	return bi, nil
}

// EnsureBase makes the base image available to builds as the ImageStreamTag
// <stream>:<tag> in the lab project, like `oc import-image <stream>:<tag>
// --from=<ref> --confirm`: one ImageStreamImport. A tag already imported
// from the same reference is reused. A registry that refuses the cluster's
// credentials gives an error naming the pull secret and `pulllab doctor`.
func (b *Backend) EnsureBase(ctx context.Context) (lab.BaseImage, error) {
	if err := b.chooseBase(ctx); err != nil {
		return lab.BaseImage{}, err
	}
	out := lab.BaseImage{Ref: b.base.Ref, Profile: b.o.Profile.Name}
	isc := b.c.Image.ImageStreams(b.o.Namespace)
	is, err := isc.Get(ctx, b.base.Stream, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		if _, err := b.createImageStream(ctx, b.base.Stream); err != nil {
			return out, err
		}
	case err != nil:
		return out, fmt.Errorf("reading ImageStream %q: %w", b.base.Stream, err)
	default:
		if d := importedDigest(is, b.base); d != "" {
			b.log.WithFields(map[string]any{"imagestreamtag": b.base.IST(), "digest": d}).Debug("base image already imported")
			img, err := b.c.Image.Images().Get(ctx, d, metav1.GetOptions{})
			if err != nil {
				return out, fmt.Errorf("reading the imported base image %s: %w", d, err)
			}
			if err := b.checkArch(ctx, img); err != nil {
				return out, err
			}
			out.Digest = d
			return out, nil
		}
	}

	isi, err := b.ImageStreamImportFor()
	if err != nil {
		return out, err
	}
	b.log.WithFields(map[string]any{"from": b.base.Ref, "to": b.base.IST()}).Info("importing the base image")
	res, err := b.c.Image.ImageStreamImports(b.o.Namespace).Create(ctx, isi, metav1.CreateOptions{})
	if err != nil {
		return out, fmt.Errorf("importing %s: %w", b.base.Ref, err)
	}
	d, err := importResult(res, b.base.Ref)
	if err != nil {
		return out, err
	}
	if err := b.checkArch(ctx, res.Status.Images[0].Image); err != nil {
		return out, err
	}
	out.Digest = d
	return out, nil
}

// importedDigest returns the digest the stream's tag holds when it was
// imported from ref, else "".
func importedDigest(is *imagev1.ImageStream, ref baseRef) string {
	from := ""
	for _, t := range is.Spec.Tags {
		if t.Name == ref.Tag && t.From != nil && t.From.Kind == "DockerImage" {
			from = t.From.Name
		}
	}
	if from != ref.Ref {
		return ""
	}
	for _, t := range is.Status.Tags {
		if t.Tag == ref.Tag && len(t.Items) > 0 {
			return t.Items[0].Image
		}
	}
	return ""
}

// ImageStreamImportFor returns the ImageStreamImport of the base image (what
// `oc import-image` sends): import the reference into <stream>:<tag> with the
// Source reference policy.
func (b *Backend) ImageStreamImportFor() (*imagev1.ImageStreamImport, error) {
	isi := &imagev1.ImageStreamImport{}
	if err := manifests.Decode(imageStreamImportFile, isi); err != nil {
		return nil, err
	}
	if len(isi.Spec.Images) != 1 {
		return nil, fmt.Errorf("embedded manifest %q must import exactly one image", imageStreamImportFile)
	}
	isi.Name = b.base.Stream
	isi.Namespace = b.o.Namespace
	isi.Labels = b.labels()
	isi.Spec.Import = true
	img := &isi.Spec.Images[0]
	img.From = corev1.ObjectReference{Kind: "DockerImage", Name: b.base.Ref}
	img.To = &corev1.LocalObjectReference{Name: b.base.Tag}
	return isi, nil
}

// importResult reads the outcome of an ImageStreamImport: the imported
// image's digest, or an error that says what to do.
func importResult(res *imagev1.ImageStreamImport, ref string) (string, error) {
	if len(res.Status.Images) == 0 {
		if rs := res.Status.Repository; rs != nil && rs.Status.Status == metav1.StatusFailure {
			return "", importError(ref, rs.Status)
		}
		return "", fmt.Errorf("importing %s: the cluster reported no result", ref)
	}
	st := res.Status.Images[0]
	if st.Status.Status == metav1.StatusSuccess && st.Image != nil && st.Image.Name != "" {
		return st.Image.Name, nil
	}
	return "", importError(ref, st.Status)
}

// importError turns a failed import status into an error that says what to
// do.
func importError(ref string, st metav1.Status) error {
	msg := strings.TrimSpace(st.Message)
	switch st.Reason {
	case metav1.StatusReasonUnauthorized, metav1.StatusReasonForbidden:
		return fmt.Errorf("the registry refused the cluster access to %s (%s: %s): the cluster pulls with its global pull secret (openshift-config/pull-secret, on OpenShift Local the pull secret you gave crc), which must hold credentials for this registry (the doctor command checks it)",
			ref, st.Reason, msg)
	case metav1.StatusReasonNotFound:
		return fmt.Errorf("the image %s does not exist (%s): check the reference, or choose another base image with lab.baseImage", ref, msg)
	}
	reason := string(st.Reason)
	if reason == "" {
		reason = "unknown reason"
	}
	return fmt.Errorf("importing %s failed (%s): %s", ref, reason, msg)
}

// ImageStreamFor returns a lab ImageStream (imagestream.yaml): pulllab's
// labels, lookupPolicy.local unset so only full pull specs resolve.
func (b *Backend) ImageStreamFor(name string) (*imagev1.ImageStream, error) {
	is := &imagev1.ImageStream{}
	if err := manifests.Decode(imageStreamFile, is); err != nil {
		return nil, err
	}
	is.Name = name
	is.Namespace = b.o.Namespace
	is.Labels = b.labels()
	is.Spec.LookupPolicy.Local = false
	return is, nil
}

// createImageStream creates a lab ImageStream; one that exists is fine.
func (b *Backend) createImageStream(ctx context.Context, name string) (*imagev1.ImageStream, error) {
	is, err := b.ImageStreamFor(name)
	if err != nil {
		return nil, err
	}
	got, err := b.c.Image.ImageStreams(b.o.Namespace).Create(ctx, is, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		return b.c.Image.ImageStreams(b.o.Namespace).Get(ctx, name, metav1.GetOptions{})
	}
	if err != nil {
		return nil, fmt.Errorf("creating ImageStream %q: %w", name, err)
	}
	return got, nil
}

// nodeHeldDebugImages are system containers whose image every OpenShift
// node already holds and that has sh and chroot, in order of preference:
//   - openshift-dns, DaemonSet node-resolver, container dns-node-resolver:
//     the release's "cli" image (RHEL with bash and coreutils, hence
//     /bin/sh and chroot); cluster-dns-operator runs it on every Linux node
//     with /bin/bash -c, so it is there and starts on every node, CRC
//     included;
//   - openshift-machine-config-operator, DaemonSet machine-config-daemon:
//     the machine-config-operator image (RHEL, runs commands in the host's
//     root with chroot), also on every node.
//
// The node's own pods tell which image that is on this release; no pull
// is needed, so the debug pod starts offline and at once.
var nodeHeldDebugImages = []struct{ namespace, container string }{
	{"openshift-dns", "dns-node-resolver"},
	{"openshift-machine-config-operator", "machine-config-daemon"},
}

// debugImage returns the node debug pod's image: Options.DebugImage, else
// the image of a system container already running on node (see
// nodeHeldDebugImages), else the pull spec of openshift/tools:latest as
// `oc debug node` resolves it, else FallbackDebugImage. The last two are
// not in CRC's bundle: the first start pulls a large image, and the user
// is told so.
func (b *Backend) debugImage(ctx context.Context, node string) (string, error) {
	if b.o.DebugImage != "" {
		return b.o.DebugImage, nil
	}
	if img, where := b.nodeHeldImage(ctx, node); img != "" {
		b.log.WithFields(map[string]any{"image": img, "from": where}).Debug("the debug pod uses an image the node already holds")
		return img, nil
	}
	if ctx.Err() != nil {
		return "", ctx.Err()
	}
	img := FallbackDebugImage
	is, err := b.c.Image.ImageStreams("openshift").Get(ctx, "tools", metav1.GetOptions{})
	switch {
	case err == nil:
		for _, t := range is.Status.Tags {
			if t.Tag == "latest" && len(t.Items) > 0 && t.Items[0].DockerImageReference != "" {
				img = t.Items[0].DockerImageReference
			}
		}
		if img == FallbackDebugImage {
			b.log.Warnf("the ImageStream openshift/tools has no latest image; the debug pod uses %s", FallbackDebugImage)
		}
	case ctx.Err() != nil:
		return "", ctx.Err()
	default:
		b.log.WithError(err).Warnf("could not read the ImageStream openshift/tools; the debug pod uses %s", FallbackDebugImage)
	}
	b.status.Warnf("No system pod on node %s shows an image with sh and chroot that the debug pod could reuse; it uses %s instead, which the node may not hold: its first pull is large (several hundred MB) and needs the network; waiting up to %s for it (or set lab.debugImage to an image the node holds)",
		node, img, b.debugStartTimeout())
	return img, nil
}

// debugStartTimeout is how long the debug pod may take to start.
func (b *Backend) debugStartTimeout() time.Duration {
	return node.DefaultStartTimeout
}

// nodeHeldImage returns the image of the first running system container
// of nodeHeldDebugImages on node, and where it was found; "" when none.
func (b *Backend) nodeHeldImage(ctx context.Context, nodeName string) (image, where string) {
	for _, c := range nodeHeldDebugImages {
		pods, err := b.c.Kube.CoreV1().Pods(c.namespace).List(ctx, metav1.ListOptions{
			FieldSelector: fields.OneTermEqualSelector("spec.nodeName", nodeName).String(),
		})
		if err != nil {
			b.log.WithError(err).WithField("namespace", c.namespace).Debug("could not list the node's system pods")
			continue
		}
		for _, p := range pods.Items {
			if p.Spec.NodeName != nodeName || p.Status.Phase != corev1.PodRunning {
				continue
			}
			for _, ctr := range p.Spec.Containers {
				if ctr.Name != c.container || ctr.Image == "" {
					continue
				}
				for _, st := range p.Status.ContainerStatuses {
					if st.Name == c.container && st.State.Running != nil {
						return ctr.Image, c.namespace + "/" + p.Name + " container " + c.container
					}
				}
			}
		}
	}
	return "", ""
}
