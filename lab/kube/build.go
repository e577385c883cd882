package kube

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/sirupsen/logrus"
	corev1 "k8s.io/api/core/v1"

	"github.com/pulllab/pulllab/lab"
)

// BuildTime is the fixed time of everything a build writes (the layer's
// file times, the image's created time, its history), so that the same
// WAR on the same base gives the same digest. 1980-01-01 is also the
// earliest time a WAR (zip) can record.
var BuildTime = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

// DeploymentsDir is where the WAR goes in the image (the S2I deployments
// directory of EAP and WildFly images).
const DeploymentsDir = "deployments"

const stopTimeout = 30 * time.Second

// EnsureBase resolves the base image (Options.BaseImage) in its registry:
// for an index, the image for linux and the node's architecture. It returns
// the digest the reference names. Nothing is copied: Build reads the base
// image's manifest and config, and the push copies or mounts its layers.
func (b *Backend) EnsureBase(ctx context.Context) (lab.BaseImage, error) {
	b.mu.Lock()
	if b.baseInfo != nil {
		bi := *b.baseInfo
		b.mu.Unlock()
		return bi, nil
	}
	b.mu.Unlock()
	if b.baseRef == nil {
		return lab.BaseImage{}, &OptionError{Setting: "lab.baseImage", Reason: "is required on a Kubernetes cluster: give the image the variants are built on (an EAP or WildFly image, or any image that deploys /deployments/*.war)"}
	}
	plat, err := b.platform(ctx)
	if err != nil {
		return lab.BaseImage{}, err
	}
	host := b.baseRef.Context().RegistryStr()
	desc, err := remote.Get(b.baseRef, b.remoteOpts(ctx, remote.WithPlatform(plat))...)
	if err != nil {
		return lab.BaseImage{}, baseError(err, b.baseRef, host)
	}
	img, err := desc.Image()
	if err != nil {
		if desc.MediaType.IsIndex() {
			return lab.BaseImage{}, fmt.Errorf("base image %s has no image for %s: %w; choose a base image built for the node's platform (lab.baseImage)", b.baseRef, platformString(plat), err)
		}
		return lab.BaseImage{}, fmt.Errorf("base image %s: %w", b.baseRef, err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return lab.BaseImage{}, baseError(err, b.baseRef, host)
	}
	if why := rootUser(cf.Config.User); why != "" {
		return lab.BaseImage{}, &OptionError{Setting: "lab.baseImage", Value: strings.TrimSpace(b.o.BaseImage), Reason: why +
			`; the lab's pods run with runAsNonRoot (Pod Security "restricted") and no runAsUser, so the kubelet would refuse to start them (CreateContainerConfigError):` +
			` give a base image whose config declares a numeric non-root USER (EAP and WildFly images declare USER 185), or rebuild this one with e.g. USER 1001`}
	}
	if cf.Architecture != "" && cf.Architecture != plat.Architecture {
		b.log.WithFields(logrus.Fields{"base": b.baseRef.String(), "image": cf.Architecture, "node": plat.Architecture}).Warn("the base image's architecture differs from the node's; its pods may not start")
	}
	bi := lab.BaseImage{Ref: strings.TrimSpace(b.o.BaseImage), Digest: desc.Digest.String(), Profile: b.o.Profile.Name}
	if d, err := img.Digest(); err == nil && d != desc.Digest {
		b.log.WithFields(logrus.Fields{"index": desc.Digest.String(), "image": d.String(), "platform": platformString(plat)}).Debug("base image resolved from an index")
	}
	b.mu.Lock()
	b.base, b.baseInfo = img, &bi
	b.mu.Unlock()
	return bi, nil
}

// rootUser says why an image whose config declares user would fail the
// kubelet's runAsNonRoot check, or "" when it passes: the kubelet accepts
// only a numeric UID other than 0 ("uid" or "uid:gid"); no USER means root,
// and a user name cannot be verified.
func rootUser(user string) string {
	u := strings.TrimSpace(user)
	if u == "" {
		return "the image declares no USER, so it runs as root"
	}
	uid, _, _ := strings.Cut(u, ":")
	n, err := strconv.ParseUint(uid, 10, 32)
	switch {
	case err != nil:
		return fmt.Sprintf("the image declares USER %q by name, which the kubelet cannot verify as non-root", u)
	case n == 0:
		return fmt.Sprintf("the image declares USER %q, which is root", u)
	}
	return ""
}

// baseError names the base image's registry and what to do.
func baseError(err error, ref name.Reference, host string) error {
	if isNotFound(err) {
		return fmt.Errorf("base image %s does not exist in %s: check lab.baseImage: %w", ref, host, err)
	}
	return describeRegistryError(err, host, "reading base image "+ref.String(),
		"check the address and this machine's network, or copy the image into the lab registry and set lab.baseImage to that reference")
}

// platform is linux and the node's architecture (amd64 when the node does
// not say).
func (b *Backend) platform(ctx context.Context) (v1.Platform, error) {
	node, err := b.Node(ctx)
	if err != nil {
		return v1.Platform{}, err
	}
	return v1.Platform{OS: "linux", Architecture: nodeArch(node)}, nil
}

func nodeArch(n *corev1.Node) string {
	if a := n.Status.NodeInfo.Architecture; a != "" {
		return a
	}
	if a := n.Labels[corev1.LabelArchStable]; a != "" {
		return a
	}
	return "amd64"
}

func platformString(p v1.Platform) string { return p.OS + "/" + p.Architecture }

// Build builds variant v: the base image plus one layer holding
// /deployments/<v>.war, labelled with the variant and the WAR's SHA-256, at
// fixed times, so the same WAR on the same base always gives the same
// digest. It pushes the image to the stash tag pulllab-variants:<v>. When
// that tag already holds an image of the same WAR on the current base, it
// returns that image with Built false and pushes nothing.
func (b *Backend) Build(ctx context.Context, v lab.Variant, war []byte) (lab.Build, error) {
	st, err := b.stashTag(v)
	if err != nil {
		return lab.Build{}, err
	}
	if len(war) == 0 {
		return lab.Build{}, fmt.Errorf("building the %s variant: the WAR is empty", v)
	}
	if _, err := b.EnsureBase(ctx); err != nil {
		return lab.Build{}, err
	}
	b.mu.Lock()
	base := b.base
	b.mu.Unlock()
	sum := sha256.Sum256(war)
	warSHA := hex.EncodeToString(sum[:])

	if got, ok, err := b.stashed(ctx, st, v, warSHA, base); err != nil {
		return lab.Build{}, err
	} else if ok {
		b.log.WithFields(logrus.Fields{"variant": v, "digest": got.Digest}).Debug("variant already stashed")
		return got, nil
	}

	img, err := VariantImage(base, v, war)
	if err != nil {
		return lab.Build{}, fmt.Errorf("building the %s variant: %w", v, err)
	}
	digest, err := digestOf(img)
	if err != nil {
		return lab.Build{}, fmt.Errorf("building the %s variant: %w", v, err)
	}
	id, err := img.ConfigName()
	if err != nil {
		return lab.Build{}, fmt.Errorf("building the %s variant: %w", v, err)
	}
	if err := remote.Write(st, img, b.remoteOpts(ctx)...); err != nil {
		return lab.Build{}, b.registryError(err, "pushing the "+string(v)+" variant to "+st.String())
	}
	b.log.WithFields(logrus.Fields{"variant": v, "ref": st.String(), "digest": digest}).Debug("variant built and pushed")
	return lab.Build{Variant: v, Digest: digest, ImageID: id.String(), WARSHA256: warSHA, Built: true}, nil
}

// stashed returns the stashed variant when it holds the same WAR on the
// same base layers.
func (b *Backend) stashed(ctx context.Context, st name.Tag, v lab.Variant, warSHA string, base v1.Image) (lab.Build, bool, error) {
	desc, err := remote.Get(st, b.remoteOpts(ctx)...)
	if isNotFound(err) {
		return lab.Build{}, false, nil
	}
	if err != nil {
		return lab.Build{}, false, b.registryError(err, "reading "+st.String())
	}
	if !desc.MediaType.IsImage() {
		return lab.Build{}, false, nil
	}
	img, err := desc.Image()
	if err != nil {
		return lab.Build{}, false, fmt.Errorf("reading %s: %w", st, err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return lab.Build{}, false, b.registryError(err, "reading the config of "+st.String())
	}
	if cf.Config.Labels[LabelWARSHA256] != warSHA || cf.Config.Labels[LabelVariant] != string(v) {
		return lab.Build{}, false, nil
	}
	same, err := onBase(img, base)
	if err != nil {
		return lab.Build{}, false, b.registryError(err, "reading the manifest of "+st.String())
	}
	if !same {
		b.log.WithField("variant", v).Debug("stashed variant is on another base; rebuilding")
		return lab.Build{}, false, nil
	}
	id, err := img.ConfigName()
	if err != nil {
		return lab.Build{}, false, b.registryError(err, "reading "+st.String())
	}
	return lab.Build{Variant: v, Digest: desc.Digest.String(), ImageID: id.String(), WARSHA256: warSHA}, true, nil
}

// onBase reports whether img is base plus exactly one layer.
func onBase(img, base v1.Image) (bool, error) {
	m, err := img.Manifest()
	if err != nil {
		return false, err
	}
	bm, err := base.Manifest()
	if err != nil {
		return false, err
	}
	if len(m.Layers) != len(bm.Layers)+1 {
		return false, nil
	}
	for i, l := range bm.Layers {
		if m.Layers[i].Digest != l.Digest {
			return false, nil
		}
	}
	return true, nil
}

// VariantImage returns base plus one layer holding /deployments/<v>.war,
// with the labels io.pulllab.variant and io.pulllab.war-sha256 and every
// time set to BuildTime. The result depends only on its inputs.
func VariantImage(base v1.Image, v lab.Variant, war []byte) (v1.Image, error) {
	mt, err := base.MediaType()
	if err != nil {
		return nil, fmt.Errorf("reading the base image's media type: %w", err)
	}
	layerType := types.DockerLayer
	if mt == types.OCIManifestSchema1 {
		layerType = types.OCILayer
	}
	layerTar, err := WARLayerTar(v, war)
	if err != nil {
		return nil, err
	}
	layer, err := tarballLayer(layerTar, layerType)
	if err != nil {
		return nil, err
	}
	img, err := mutate.Append(base, mutate.Addendum{
		Layer:     layer,
		MediaType: layerType,
		History: v1.History{
			Created:   v1.Time{Time: BuildTime},
			CreatedBy: fmt.Sprintf("pulllab: COPY %s /%s/", v.WAR(), DeploymentsDir),
			Comment:   "pulllab " + string(v) + " variant",
		},
	})
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cfg := cf.Config.DeepCopy()
	labels := make(map[string]string, len(cfg.Labels)+2)
	for k, val := range cfg.Labels {
		labels[k] = val
	}
	sum := sha256.Sum256(war)
	labels[LabelVariant] = string(v)
	labels[LabelWARSHA256] = hex.EncodeToString(sum[:])
	cfg.Labels = labels
	if img, err = mutate.Config(img, *cfg); err != nil {
		return nil, err
	}
	return mutate.CreatedAt(img, v1.Time{Time: BuildTime})
}

// digestOf returns the digest of an image's manifest.
func digestOf(img v1.Image) (string, error) {
	d, err := img.Digest()
	if err != nil {
		return "", err
	}
	return d.String(), nil
}

func tarballLayer(b []byte, mt types.MediaType) (v1.Layer, error) {
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(b)), nil
	}, tarball.WithMediaType(mt))
}

// WARLayerTar returns the uncompressed layer of variant v: the directory
// deployments/ (0775, so that the group-root user app servers run as can
// write their deployment markers) and deployments/<v>.war (0644), both
// owned by 0:0 and dated BuildTime. Nothing else.
func WARLayerTar(v lab.Variant, war []byte) ([]byte, error) {
	if v == "" {
		return nil, errors.New("no variant")
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	hdrs := []*tar.Header{
		{Typeflag: tar.TypeDir, Name: DeploymentsDir + "/", Mode: 0o775, ModTime: BuildTime, Format: tar.FormatUSTAR},
		{Typeflag: tar.TypeReg, Name: DeploymentsDir + "/" + v.WAR(), Mode: 0o644, Size: int64(len(war)), ModTime: BuildTime, Format: tar.FormatUSTAR},
	}
	for _, h := range hdrs {
		if err := tw.WriteHeader(h); err != nil {
			return nil, fmt.Errorf("writing the layer: %w", err)
		}
	}
	if _, err := tw.Write(war); err != nil {
		return nil, fmt.Errorf("writing the layer: %w", err)
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("writing the layer: %w", err)
	}
	return buf.Bytes(), nil
}
