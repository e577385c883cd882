package openshift

import (
	"context"
	"fmt"
	"strings"

	imagev1 "github.com/openshift/api/image/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"

	"github.com/pulllab/pulllab/lab"
	"github.com/pulllab/pulllab/manifests"
)

// AnnotationVariant is the tag annotation naming the variant an app tag was
// pointed at.
const AnnotationVariant = "pulllab.io/variant"

// AppRef returns the app's pull spec by tag, e.g.
// "image-registry.openshift-image-registry.svc:5000/pulllab/custom-image-java:v1".
func (b *Backend) AppRef(tag string) string { return b.appRepo + ":" + tag }

// AppDigestRef returns the app's pull spec by digest.
func (b *Backend) AppDigestRef(digest string) string { return b.appRepo + "@" + digest }

// AppDigest returns the digest of the image the ImageStream custom-image-java
// holds under tag (status.tags[tag].items[0].image), or "" when the stream or
// the tag is absent.
func (b *Backend) AppDigest(ctx context.Context, tag string) (string, error) {
	is, err := b.c.Image.ImageStreams(b.o.Namespace).Get(ctx, lab.AppName, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("reading ImageStream %q: %w", lab.AppName, err)
	}
	return statusImage(is, tag), nil
}

// statusImage returns the newest image of a stream's status tag, or "".
func statusImage(is *imagev1.ImageStream, tag string) string {
	for _, t := range is.Status.Tags {
		if t.Tag == tag && len(t.Items) > 0 {
			return t.Items[0].Image
		}
	}
	return ""
}

// ImageStreamTagFor returns the ImageStreamTag custom-image-java:<tag>
// pointing at the stashed image with digest (imagestreamtag.yaml): the `oc
// tag pulllab-variants@<digest> custom-image-java:<tag>` equivalent, fixed to
// the digest so later changes to the stash do not move it.
func (b *Backend) ImageStreamTagFor(tag string, v lab.Variant, digest string) (*imagev1.ImageStreamTag, error) {
	if !strings.HasPrefix(digest, "sha256:") {
		return nil, fmt.Errorf("the %s variant has no image digest (%q)", v, digest)
	}
	ist := &imagev1.ImageStreamTag{}
	if err := manifests.Decode(imageStreamTagFile, ist); err != nil {
		return nil, err
	}
	if ist.Tag == nil || ist.Tag.From == nil {
		return nil, fmt.Errorf("embedded manifest %q has no tag.from", imageStreamTagFile)
	}
	ist.Name = lab.AppName + ":" + tag
	ist.Namespace = b.o.Namespace
	ist.Tag.Name = tag
	ist.Tag.From.Kind = "ImageStreamImage"
	ist.Tag.From.Name = lab.StashName + "@" + digest
	ist.Tag.From.Namespace = b.o.Namespace
	ist.Tag.Annotations = map[string]string{AnnotationVariant: string(v)}
	ist.LookupPolicy.Local = false
	return ist, nil
}

// PointApp makes the registry serve variant v under tag: the ImageStreamTag
// custom-image-java:<tag> is created or updated to point at the stashed
// image of v by digest (the ImageStream is created first when it is absent,
// e.g. after RemoveApp). It then checks that the stream's status shows it.
func (b *Backend) PointApp(ctx context.Context, tag string, v lab.Variant) error {
	digest, err := b.variantDigest(ctx, v)
	if err != nil {
		return err
	}
	cur, err := b.AppDigest(ctx, tag)
	if err != nil {
		return err
	}
	if cur == digest {
		return nil
	}
	if _, err := b.c.Image.ImageStreams(b.o.Namespace).Get(ctx, lab.AppName, metav1.GetOptions{}); apierrors.IsNotFound(err) {
		if _, err := b.createImageStream(ctx, lab.AppName); err != nil {
			return err
		}
	} else if err != nil {
		return fmt.Errorf("reading ImageStream %q: %w", lab.AppName, err)
	}
	want, err := b.ImageStreamTagFor(tag, v, digest)
	if err != nil {
		return err
	}
	istc := b.c.Image.ImageStreamTags(b.o.Namespace)
	b.log.WithFields(map[string]any{"tag": want.Name, "variant": v, "digest": digest}).Info("pointing the app tag at a stashed variant")
	_, err = istc.Create(ctx, want, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
			got, err := istc.Get(ctx, want.Name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			got.Tag = want.Tag
			_, err = istc.Update(ctx, got, metav1.UpdateOptions{})
			return err
		})
	}
	if err != nil {
		return fmt.Errorf("pointing %s at the %s variant: %w", want.Name, v, err)
	}
	var last string
	return b.poll(ctx, func(ctx context.Context) (bool, error) {
		d, err := b.AppDigest(ctx, tag)
		last = d
		return d == digest, err
	}, func() error {
		return fmt.Errorf("%s does not show the %s variant (%s) %s after it was set; it shows %q", want.Name, v, digest, b.o.WaitTimeout, last)
	})
}

// variantDigest returns the digest of the stashed variant: the one this
// backend built or reused, else what the stash tag holds.
func (b *Backend) variantDigest(ctx context.Context, v lab.Variant) (string, error) {
	b.mu.Lock()
	bd, ok := b.builds[v]
	b.mu.Unlock()
	if ok && bd.Digest != "" {
		return bd.Digest, nil
	}
	ist, err := b.c.Image.ImageStreamTags(b.o.Namespace).Get(ctx, stashTag(v), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return "", fmt.Errorf("the %s variant is not built (no ImageStreamTag %s): %w", v, stashTag(v), lab.ErrNotPrepared)
	}
	if err != nil {
		return "", fmt.Errorf("reading ImageStreamTag %s: %w", stashTag(v), err)
	}
	if ist.Image.Name == "" {
		return "", fmt.Errorf("ImageStreamTag %s has no image", stashTag(v))
	}
	return ist.Image.Name, nil
}

// stashTag returns the stash ImageStreamTag of a variant, e.g.
// "pulllab-variants:node".
func stashTag(v lab.Variant) string { return lab.StashName + ":" + string(v) }

// RemovesAllAppTags reports that RemoveApp removes every app tag (it
// deletes the ImageStream), so the planner models it that way
// (lab.AllAppTagsRemover).
func (b *Backend) RemovesAllAppTags() bool { return true }

var _ lab.AllAppTagsRemover = (*Backend)(nil)

// RemoveApp makes the registry serve nothing under the app's tags by
// deleting the ImageStream custom-image-java, as the article does with `oc
// delete is`, and waits until it is gone. This removes every app tag, not
// only tag; the stashed variants stay. An absent stream is not an error.
func (b *Backend) RemoveApp(ctx context.Context, tag string) error {
	isc := b.c.Image.ImageStreams(b.o.Namespace)
	b.log.WithField("imagestream", lab.AppName).Info("deleting the app ImageStream")
	err := isc.Delete(ctx, lab.AppName, metav1.DeleteOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("deleting ImageStream %q: %w", lab.AppName, err)
	}
	return b.poll(ctx, func(ctx context.Context) (bool, error) {
		_, err := isc.Get(ctx, lab.AppName, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return true, nil
		}
		if err != nil {
			return false, fmt.Errorf("reading ImageStream %q: %w", lab.AppName, err)
		}
		return false, nil
	}, func() error {
		return fmt.Errorf("ImageStream %q is still there %s after deleting it", lab.AppName, b.o.WaitTimeout)
	})
}
