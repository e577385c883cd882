package kube

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sort"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/sirupsen/logrus"

	"github.com/pulllab/pulllab/internal/version"
	"github.com/pulllab/pulllab/lab"
)

// remoteOpts are the options of every registry call.
func (b *Backend) remoteOpts(ctx context.Context, extra ...remote.Option) []remote.Option {
	opts := []remote.Option{
		remote.WithContext(ctx),
		remote.WithUserAgent(version.UserAgent()),
		remote.WithAuthFromKeychain(b.keychain),
	}
	if b.o.Transport != nil {
		opts = append(opts, remote.WithTransport(b.o.Transport))
	}
	return append(opts, extra...)
}

// AppRef returns the app's pull spec by tag: REGISTRY/NAMESPACE/custom-image-java:TAG.
func (b *Backend) AppRef(tag string) string { return b.appRepo + ":" + tag }

// AppDigestRef returns the app's pull spec by digest: REGISTRY/NAMESPACE/custom-image-java@DIGEST.
func (b *Backend) AppDigestRef(digest string) string { return b.appRepo + "@" + digest }

// StashRef returns the stashed variant's reference: REGISTRY/NAMESPACE/pulllab-variants:VARIANT.
func (b *Backend) StashRef(v lab.Variant) string { return b.stashRepo + ":" + string(v) }

func (b *Backend) appTag(tag string) (name.Tag, error) {
	t, err := name.NewTag(b.app.Name()+":"+tag, b.nameOpts(b.addr.Host)...)
	if err != nil {
		return name.Tag{}, fmt.Errorf("app tag %q: %w", tag, err)
	}
	return t, nil
}

func (b *Backend) stashTag(v lab.Variant) (name.Tag, error) {
	if v != lab.VariantNode && v != lab.VariantRegistry {
		return name.Tag{}, fmt.Errorf("unknown variant %q: the variants are %q and %q", v, lab.VariantNode, lab.VariantRegistry)
	}
	return b.stash.Tag(string(v)), nil
}

// AppDigest returns the manifest digest the registry serves under the app's
// tag, or "" when it serves nothing there.
func (b *Backend) AppDigest(ctx context.Context, tag string) (string, error) {
	t, err := b.appTag(tag)
	if err != nil {
		return "", err
	}
	d, err := b.head(ctx, t)
	if err != nil {
		return "", b.registryError(err, "reading "+t.String())
	}
	return d, nil
}

// head returns the digest under ref, or "" when the registry has none.
func (b *Backend) head(ctx context.Context, ref name.Reference) (string, error) {
	desc, err := remote.Head(ref, b.remoteOpts(ctx)...)
	if isNotFound(err) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return desc.Digest.String(), nil
}

// PointApp makes the registry serve the stashed variant v under the app's
// tag. It copies the stashed manifest byte for byte, so the app tag gets
// the variant's digest; the blobs are mounted from (or, when the registry
// cannot mount, copied from) the stash repository.
func (b *Backend) PointApp(ctx context.Context, tag string, v lab.Variant) error {
	st, err := b.stashTag(v)
	if err != nil {
		return err
	}
	t, err := b.appTag(tag)
	if err != nil {
		return err
	}
	desc, err := remote.Get(st, b.remoteOpts(ctx)...)
	if isNotFound(err) {
		return fmt.Errorf("the %s variant is not in the registry (%s is missing): %w", v, st, lab.ErrNotPrepared)
	}
	if err != nil {
		return b.registryError(err, "reading "+st.String())
	}
	if cur, err := b.head(ctx, t); err != nil {
		return b.registryError(err, "reading "+t.String())
	} else if cur == desc.Digest.String() {
		return nil
	}
	img, err := desc.Image()
	if err != nil {
		return fmt.Errorf("reading %s: %w", st, err)
	}
	if err := remote.Write(t, img, b.remoteOpts(ctx)...); err != nil {
		return b.registryError(err, "pointing "+t.String()+" at "+st.String())
	}
	b.log.WithFields(logrus.Fields{"tag": t.String(), "variant": v, "digest": desc.Digest.String()}).Debug("app tag pointed")
	return nil
}

// RemoveApp makes the registry serve nothing under the app's tag. Registries
// delete manifests, not tags: DELETE of the tag's digest removes every tag
// of the app repository that points at that digest (the distribution
// registry's behaviour), so the other app tags with the same digest (v1 and
// latest often share one) are read first and put back afterwards. The
// stash repository is not touched. A registry that keeps the tag after its
// manifest is deleted (some keep tags apart from manifests) gets a DELETE
// of the tag itself.
func (b *Backend) RemoveApp(ctx context.Context, tag string) error {
	t, err := b.appTag(tag)
	if err != nil {
		return err
	}
	digest, err := b.head(ctx, t)
	if err != nil {
		return b.registryError(err, "reading "+t.String())
	}
	if digest == "" {
		return nil
	}
	dref := b.app.Digest(digest)
	// The manifest, to put back under the tags that must survive.
	desc, err := remote.Get(dref, b.remoteOpts(ctx)...)
	if err != nil {
		return b.registryError(err, "reading "+dref.String())
	}
	survivors, err := b.tagsWithDigest(ctx, digest, tag)
	if err != nil {
		return err
	}
	if err := remote.Delete(dref, b.remoteOpts(ctx)...); err != nil && !isNotFound(err) {
		return b.deleteError(err, dref)
	}
	if still, err := b.head(ctx, t); err != nil {
		return b.registryError(err, "reading "+t.String())
	} else if still != "" {
		if err := remote.Delete(t, b.remoteOpts(ctx)...); err != nil && !isNotFound(err) {
			return fmt.Errorf("the registry at %s kept %s after its manifest %s was deleted, and deleting the tag failed: %w", b.addr.Host, t, digest, b.deleteError(err, t))
		}
	}
	// The manifest is gone: put the other tags back even if ctx is
	// cancelled now, so an interrupt does not lose them.
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), stopTimeout)
	defer cancel()
	var errs []error
	for _, s := range survivors {
		st, err := b.appTag(s)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if err := remote.Put(st, desc, b.remoteOpts(pctx)...); err != nil {
			errs = append(errs, b.registryError(err, "putting back "+st.String()+" (it shared "+digest+" with "+t.String()+")"))
			continue
		}
		b.log.WithFields(logrus.Fields{"tag": st.String(), "digest": digest}).Debug("app tag put back after the shared manifest was deleted")
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if still, err := b.head(ctx, t); err != nil {
		return b.registryError(err, "reading "+t.String())
	} else if still != "" {
		return fmt.Errorf("the registry at %s still serves %s (%s) after deleting it", b.addr.Host, t, still)
	}
	b.log.WithFields(logrus.Fields{"tag": t.String(), "digest": digest, "kept": survivors}).Debug("app tag removed")
	return nil
}

// tagsWithDigest lists the app tags other than except that point at digest.
func (b *Backend) tagsWithDigest(ctx context.Context, digest, except string) ([]string, error) {
	tags, err := remote.List(b.app, b.remoteOpts(ctx)...)
	if isNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, b.registryError(err, "listing the tags of "+b.app.String())
	}
	sort.Strings(tags)
	var out []string
	for _, tag := range tags {
		if tag == except {
			continue
		}
		t, err := b.appTag(tag)
		if err != nil {
			continue // not a tag pulllab can name; it cannot be pulllab's
		}
		d, err := b.head(ctx, t)
		if err != nil {
			return nil, b.registryError(err, "reading "+t.String())
		}
		if d == digest {
			out = append(out, tag)
		}
	}
	return out, nil
}

// DeleteRefusedError says the registry does not allow manifest deletes,
// which the cases where the registry holds nothing need.
type DeleteRefusedError struct {
	// Registry is the registry's host.
	Registry string
	// Ref is what pulllab tried to delete.
	Ref string
	// Err is the registry's answer.
	Err error
}

// Error explains what to change in the registry.
func (e *DeleteRefusedError) Error() string {
	return fmt.Sprintf("the registry at %s refuses deletes (deleting %s: %v); pulllab deletes the app's tag for the cases where the registry holds nothing: enable deletes (distribution registry: storage.delete.enabled: true in config.yml, or REGISTRY_STORAGE_DELETE_ENABLED=true) and restart it, or use another registry", e.Registry, e.Ref, e.Err)
}

// Unwrap returns the registry's answer.
func (e *DeleteRefusedError) Unwrap() error { return e.Err }

// deleteError turns a refused DELETE into a *DeleteRefusedError.
func (b *Backend) deleteError(err error, ref name.Reference) error {
	var te *transport.Error
	if errors.As(err, &te) {
		refused := te.StatusCode == http.StatusMethodNotAllowed
		for _, d := range te.Errors {
			if d.Code == transport.UnsupportedErrorCode {
				refused = true
			}
		}
		if refused {
			return &DeleteRefusedError{Registry: b.addr.Host, Ref: ref.String(), Err: err}
		}
	}
	return b.registryError(err, "deleting "+ref.String())
}

// isNotFound reports whether err is the registry saying the manifest,
// repository or tag does not exist.
func isNotFound(err error) bool {
	var te *transport.Error
	if !errors.As(err, &te) {
		return false
	}
	if te.StatusCode == http.StatusNotFound {
		return true
	}
	for _, d := range te.Errors {
		switch d.Code {
		case transport.ManifestUnknownErrorCode, transport.NameUnknownErrorCode:
			return true
		}
	}
	return false
}

// registryError wraps an error of the lab registry with what pulllab was
// doing and what the user can do about it.
func (b *Backend) registryError(err error, doing string) error {
	return describeRegistryError(err, b.addr.Host, doing, "check lab.registry: the registry must be running and reachable from this machine (pulllab speaks plain http only to a registry on loopback)")
}

// describeRegistryError turns a registry failure into a message that names
// the registry and says what to do.
func describeRegistryError(err error, host, doing, unreachableHint string) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s: %w", doing, err)
	}
	var te *transport.Error
	if errors.As(err, &te) {
		switch te.StatusCode {
		case http.StatusUnauthorized:
			return fmt.Errorf("%s: the registry %s asks for credentials: log in with `docker login %s` (pulllab reads Docker's credentials, DOCKER_CONFIG) or give a dockerconfigjson with lab.registryAuth FILE: %w", doing, host, host, err)
		case http.StatusForbidden:
			return fmt.Errorf("%s: the registry %s denied access: check that your login there may read and push this repository: %w", doing, host, err)
		}
		return fmt.Errorf("%s: %w", doing, err)
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return fmt.Errorf("%s: cannot reach the registry %s (%w); %s", doing, host, err, unreachableHint)
	}
	return fmt.Errorf("%s: %w", doing, err)
}

// TagStatus is what one app tag points at.
type TagStatus struct {
	Tag string `json:"tag" yaml:"tag"`
	// Digest is the manifest digest under the tag; empty when absent.
	Digest string `json:"digest,omitempty" yaml:"digest,omitempty"`
	// Variant is the stashed variant with that digest; empty when the tag
	// is absent or points at something pulllab did not build.
	Variant lab.Variant `json:"variant,omitempty" yaml:"variant,omitempty"`
}

// VariantStatus is one stashed variant.
type VariantStatus struct {
	Variant lab.Variant `json:"variant" yaml:"variant"`
	// Digest is the stashed manifest digest; empty when not built.
	Digest string `json:"digest,omitempty" yaml:"digest,omitempty"`
	// ImageID is the config digest.
	ImageID string `json:"imageID,omitempty" yaml:"imageID,omitempty"`
	// WARSHA256 is the image's io.pulllab.war-sha256 label.
	WARSHA256 string `json:"warSHA256,omitempty" yaml:"warSHA256,omitempty"`
}

// LabStatus is what the lab holds on a Kubernetes target, for `pulllab status`.
type LabStatus struct {
	Registry string `json:"registry" yaml:"registry"`
	// RegistryPull is the address the node pulls the registry from, when
	// it differs from Registry (where pulllab pushes).
	RegistryPull    string          `json:"registryPull,omitempty" yaml:"registryPull,omitempty"`
	AppRepository   string          `json:"appRepository" yaml:"appRepository"`
	StashRepository string          `json:"stashRepository" yaml:"stashRepository"`
	Namespace       string          `json:"namespace" yaml:"namespace"`
	Variants        []VariantStatus `json:"variants" yaml:"variants"`
	// AppTags are the app's tags v1 and latest.
	AppTags []TagStatus `json:"appTags" yaml:"appTags"`
	// Node is the lab's node, when the node was read.
	Node string `json:"node,omitempty" yaml:"node,omitempty"`
	// NodeImages are the node's images under the lab's repositories; nil
	// when they could not be read (NodeNote says why).
	NodeImages []lab.NodeImage `json:"nodeImages,omitempty" yaml:"nodeImages,omitempty"`
	NodeNote   string          `json:"nodeNote,omitempty" yaml:"nodeNote,omitempty"`
}

// Status reports what the lab holds: the stashed variants' digests, what
// the app's tags v1 and latest point at, and the node's images under the
// lab's repositories. The node is read through the debug pod: Status
// starts one (and removes it again) when Prepare has not, but only while
// the lab's debug namespace exists; it never creates a namespace. Registry
// failures are errors; node failures are reported in NodeNote.
func (b *Backend) Status(ctx context.Context) (LabStatus, error) {
	s := LabStatus{
		Registry:        b.addr.String(),
		AppRepository:   b.appRepo,
		StashRepository: b.stashRepo,
		Namespace:       b.o.Namespace,
	}
	if b.pull != b.addr {
		s.RegistryPull = b.pull.String()
	}
	byDigest := map[string]lab.Variant{}
	for _, v := range lab.Variants {
		vs, err := b.variantStatus(ctx, v)
		if err != nil {
			return s, err
		}
		s.Variants = append(s.Variants, vs)
		if vs.Digest != "" {
			byDigest[vs.Digest] = v
		}
	}
	for _, tag := range []string{lab.AppTag, lab.LatestTag} {
		d, err := b.AppDigest(ctx, tag)
		if err != nil {
			return s, err
		}
		s.AppTags = append(s.AppTags, TagStatus{Tag: tag, Digest: d, Variant: byDigest[d]})
	}
	if err := b.nodeStatus(ctx, &s); err != nil {
		return s, err
	}
	return s, nil
}

func (b *Backend) variantStatus(ctx context.Context, v lab.Variant) (VariantStatus, error) {
	vs := VariantStatus{Variant: v}
	st, err := b.stashTag(v)
	if err != nil {
		return vs, err
	}
	desc, err := remote.Get(st, b.remoteOpts(ctx)...)
	if isNotFound(err) {
		return vs, nil
	}
	if err != nil {
		return vs, b.registryError(err, "reading "+st.String())
	}
	vs.Digest = desc.Digest.String()
	img, err := desc.Image()
	if err != nil {
		return vs, fmt.Errorf("reading %s: %w", st, err)
	}
	id, err := img.ConfigName()
	if err != nil {
		return vs, b.registryError(err, "reading the config of "+st.String())
	}
	vs.ImageID = id.String()
	cf, err := img.ConfigFile()
	if err != nil {
		return vs, b.registryError(err, "reading the config of "+st.String())
	}
	vs.WARSHA256 = cf.Config.Labels[LabelWARSHA256]
	return vs, nil
}

// nodeStatus fills the node part of s. Only a cancelled ctx is an error.
func (b *Backend) nodeStatus(ctx context.Context, s *LabStatus) error {
	note := func(format string, args ...any) error {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		s.NodeNote = fmt.Sprintf(format, args...)
		return nil
	}
	nc := b.running()
	started := nc != nil
	if !started {
		ok, err := b.cluster.NamespaceExists(ctx, b.debugNS)
		if err != nil {
			return note("reading namespace %q: %v", b.debugNS, err)
		}
		if !ok {
			return note("the lab's debug namespace %q does not exist, so the node was not read (pulllab verify creates it)", b.debugNS)
		}
	}
	node, err := b.Node(ctx)
	if err != nil {
		return note("%v", err)
	}
	s.Node = node.Name
	if !started {
		nc = b.nodeCache(node.Name)
		owned, err := nc.StartShared(ctx)
		if owned {
			defer b.stopDetached(ctx, nc)
		}
		if err != nil {
			return note("starting the node debug pod on %s: %v", node.Name, err)
		}
	}
	imgs, err := nc.NodeImages(ctx)
	if err != nil {
		return note("listing the images on %s: %v", node.Name, err)
	}
	if imgs == nil {
		imgs = []lab.NodeImage{}
	}
	s.NodeImages = imgs
	return nil
}

// stopDetached removes a debug pod with a context that survives ctx's
// cancellation.
func (b *Backend) stopDetached(ctx context.Context, nc NodeOps) {
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), stopTimeout)
	defer cancel()
	if err := nc.Stop(sctx); err != nil {
		b.log.WithError(err).Warn("could not remove the node debug pod; `pulllab down` removes its namespace")
	}
}
