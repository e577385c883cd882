package openshift

import (
	"context"
	"errors"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/pulllab/pulllab/lab"
	"github.com/pulllab/pulllab/lab/workload"
)

// Environment gathers the cluster and node facts for the report: the
// OpenShift version (ClusterVersion "version"), the Kubernetes, kubelet and
// runtime versions, the node, and whether KubeletEnsureSecretPulledImages is
// in force (inferred from the kubelet's version). The CRC version is the
// CLI's to add.
func (b *Backend) Environment(ctx context.Context) (lab.Environment, error) {
	node, err := b.Node(ctx)
	if err != nil {
		return lab.Environment{}, err
	}
	env, err := b.c.Facts(ctx, node)
	if err != nil {
		return lab.Environment{}, fmt.Errorf("reading cluster facts: %w", err)
	}
	var errs []error
	if v, err := b.OpenShiftVersion(ctx); err != nil {
		if ctx.Err() != nil {
			return lab.Environment{}, ctx.Err()
		}
		errs = append(errs, err)
	} else {
		env.OpenShiftVersion = v
	}
	var rv workload.RuntimeVersioner
	if nc := b.running(); nc != nil {
		rv = nc
	}
	if env, err = workload.CompleteEnvironment(ctx, b.log, env, node, b.o.Namespace, rv); err != nil {
		return lab.Environment{}, err
	}
	env.Target = KindName
	env.AppRepository = b.appRepo
	env.BaseImageReason = b.baseReason
	return env, errors.Join(errs...)
}

// LabStatus is what `pulllab status` shows of the lab on OpenShift.
type LabStatus struct {
	// Namespace is the lab project; Exists says whether it exists.
	Namespace string `json:"namespace" yaml:"namespace"`
	Exists    bool   `json:"exists" yaml:"exists"`
	// Base is the imported base image, when it is.
	Base *lab.BaseImage `json:"base,omitempty" yaml:"base,omitempty"`
	// Variants are the stashed variants (Built is always false here).
	Variants []lab.Build `json:"variants" yaml:"variants"`
	// Tags are the app's tags: what the registry serves under each and what
	// the node holds under its reference.
	Tags []TagStatus `json:"tags" yaml:"tags"`
	// Node is the lab's node; NodeImages are its images under the lab's
	// repositories, read through a short-lived debug pod.
	Node       string          `json:"node,omitempty" yaml:"node,omitempty"`
	NodeImages []lab.NodeImage `json:"nodeImages" yaml:"nodeImages"`
	// NodeNote says why the node's images are not shown, if they are not.
	NodeNote string `json:"nodeNote,omitempty" yaml:"nodeNote,omitempty"`
}

// TagStatus is one app tag.
type TagStatus struct {
	Tag string `json:"tag" yaml:"tag"`
	// Ref is the app's pull spec with this tag.
	Ref string `json:"ref" yaml:"ref"`
	// Digest is what the registry serves under the tag ("" for nothing).
	Digest string `json:"digest,omitempty" yaml:"digest,omitempty"`
	// Registry and Node are what the registry and the node hold under the
	// tag: none, node, registry or other; Node is empty when the node's
	// images could not be read (see LabStatus.NodeNote).
	Registry lab.Holding `json:"registry" yaml:"registry"`
	Node     lab.Holding `json:"node,omitempty" yaml:"node,omitempty"`
}

// Status reads what the lab holds: the base image, the stashed variants,
// what custom-image-java:v1 and :latest point at, and what the node holds
// under the lab's references. Reading the node needs the debug namespace
// (made by `pulllab verify`) and starts a debug pod for a moment; without it
// NodeNote says why the node is not shown. A missing project is not an
// error: Exists is false.
func (b *Backend) Status(ctx context.Context) (LabStatus, error) {
	st := LabStatus{Namespace: b.o.Namespace, Variants: []lab.Build{}, Tags: []TagStatus{}, NodeImages: []lab.NodeImage{}}
	_, err := b.c.Kube.CoreV1().Namespaces().Get(ctx, b.o.Namespace, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("reading project %q: %w", b.o.Namespace, err)
	}
	st.Exists = true

	if is, err := b.c.Image.ImageStreams(b.o.Namespace).Get(ctx, b.base.Stream, metav1.GetOptions{}); err == nil {
		if d := statusImage(is, b.base.Tag); d != "" {
			st.Base = &lab.BaseImage{Ref: b.base.Ref, Digest: d, Profile: b.o.Profile.Name}
		}
	} else if !apierrors.IsNotFound(err) {
		return st, fmt.Errorf("reading ImageStream %q: %w", b.base.Stream, err)
	}

	builds := map[lab.Variant]lab.Build{}
	for _, v := range lab.Variants {
		bd, err := b.stashed(ctx, v)
		if err != nil {
			return st, err
		}
		if bd != nil {
			builds[v] = *bd
			st.Variants = append(st.Variants, *bd)
		}
	}

	images, note := b.statusNodeImages(ctx)
	if ctx.Err() != nil {
		return st, ctx.Err()
	}
	st.NodeNote = note
	if images != nil {
		st.NodeImages = images
	}
	st.Node = b.node.Chosen()

	for _, tag := range []string{lab.AppTag, lab.LatestTag} {
		d, err := b.AppDigest(ctx, tag)
		if err != nil {
			return st, err
		}
		ts := TagStatus{Tag: tag, Ref: b.AppRef(tag), Digest: d, Registry: lab.RegistryHolding(d, builds), Node: lab.HoldsNone}
		if images != nil {
			ts.Node = lab.NodeHolding(images, ts.Ref, builds)
		} else {
			ts.Node = ""
		}
		st.Tags = append(st.Tags, ts)
	}
	return st, nil
}

// stashed returns the stashed variant v, or nil when it is not built.
func (b *Backend) stashed(ctx context.Context, v lab.Variant) (*lab.Build, error) {
	ist, err := b.c.Image.ImageStreamTags(b.o.Namespace).Get(ctx, stashTag(v), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading ImageStreamTag %s: %w", stashTag(v), err)
	}
	if ist.Image.Name == "" {
		return nil, nil
	}
	lbl := imageLabels(&ist.Image)
	return &lab.Build{
		Variant:   v,
		Digest:    ist.Image.Name,
		ImageID:   imageConfigDigest(&ist.Image),
		WARSHA256: lbl[ImageLabelWARSHA256],
		Name:      lbl[imageLabelBuildName],
	}, nil
}

// statusNodeImages reads the node's lab images with a short-lived debug pod
// (or the running one), or says why it could not.
func (b *Backend) statusNodeImages(ctx context.Context) ([]lab.NodeImage, string) {
	if nc := b.running(); nc != nil {
		imgs, err := nc.NodeImages(ctx)
		if err != nil {
			return nil, fmt.Sprintf("could not read the node's images: %v", err)
		}
		return imgs, ""
	}
	ns, err := b.c.Kube.CoreV1().Namespaces().Get(ctx, b.debugNS, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, fmt.Sprintf("the debug namespace %s does not exist yet (a verify run makes it)", b.debugNS)
	}
	if err != nil {
		return nil, fmt.Sprintf("could not read namespace %s: %v", b.debugNS, err)
	}
	if ns.Labels[lab.LabelManagedBy] != lab.ManagedBy {
		return nil, fmt.Sprintf("namespace %s is not pulllab's, so pulllab runs no debug pod there", b.debugNS)
	}
	node, err := b.Node(ctx)
	if err != nil {
		return nil, err.Error()
	}
	image, err := b.debugImage(ctx, node.Name)
	if err != nil {
		return nil, err.Error()
	}
	nc := b.c.NodeCache(b.debugNS, node.Name, image, b.repositories())
	owned, err := nc.StartShared(ctx)
	if owned {
		defer func() {
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), b.o.WaitTimeout)
			defer cancel()
			if err := nc.Stop(sctx); err != nil {
				b.log.WithError(err).Warn("could not remove the debug pod")
			}
		}()
	}
	if err != nil {
		return nil, fmt.Sprintf("could not start the debug pod on %s: %v", node.Name, err)
	}
	imgs, err := nc.NodeImages(ctx)
	if err != nil {
		return nil, fmt.Sprintf("could not read the node's images: %v", err)
	}
	return imgs, ""
}

// Teardown is `pulllab down` on OpenShift: it deletes the debug namespace
// and the lab project, each only when pulllab made it (labelled
// app.kubernetes.io/managed-by=pulllab), and waits until they are gone. With
// the project go the base image's stream, the stashed variants, the app's
// stream and the builds. Images cached on the node stay (the kubelet's
// image garbage collection owns them). Absent namespaces are not an error.
func (b *Backend) Teardown(ctx context.Context) error {
	var errs []error
	for _, ns := range []string{b.debugNS, b.o.Namespace} {
		if err := b.c.Workload(ns, "").DeleteNamespace(ctx); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			errs = append(errs, fmt.Errorf("deleting %q: %w", ns, err))
		}
	}
	b.mu.Lock()
	// The debug pod went with its namespace.
	b.cache = nil
	b.builds = map[lab.Variant]lab.Build{}
	b.mu.Unlock()
	return errors.Join(errs...)
}
