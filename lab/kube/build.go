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
	"path"
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

const stopTimeout = 30 * time.Second

// EnsureBase resolves the base image (Options.BaseImage) in its registry:
// for an index, the image for linux and the node's architecture. It
// returns the digest the reference names. It also settles, from the
// image's config and layers, the variants' USER (resolveUser) and where
// the WAR goes (ChooseDeploymentsDir, or Options.DeploymentsDir): a base
// for another architecture, one that would run as root, or one whose
// deployments directory is missing is an *OptionError (exit 2) before
// anything is built. Nothing is copied: Build reads the base image's
// manifest and config, and the push copies or mounts its layers.
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
			return lab.BaseImage{}, b.archError(desc, plat, err)
		}
		return lab.BaseImage{}, fmt.Errorf("base image %s: %w", b.baseRef, err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return lab.BaseImage{}, baseError(err, b.baseRef, host)
	}
	if cf.Architecture != "" && cf.Architecture != plat.Architecture {
		return lab.BaseImage{}, b.baseOptionError(fmt.Sprintf(
			"the image is built for %s/%s, but the lab's node is %s: its pods could not start (exec format error); give a base image built for %s, or a multi-architecture one",
			cf.OS, cf.Architecture, platformString(plat), platformString(plat)))
	}
	layout, err := b.inspectBase(img, cf.Config)
	if err != nil {
		if oe := (*OptionError)(nil); errors.As(err, &oe) {
			return lab.BaseImage{}, err
		}
		return lab.BaseImage{}, baseError(err, b.baseRef, host)
	}
	bi := lab.BaseImage{Ref: strings.TrimSpace(b.o.BaseImage), Digest: desc.Digest.String(), Profile: b.o.Profile.Name}
	if d, err := img.Digest(); err == nil && d != desc.Digest {
		b.log.WithFields(logrus.Fields{"index": desc.Digest.String(), "image": d.String(), "platform": platformString(plat)}).Debug("base image resolved from an index")
	}
	b.log.WithFields(logrus.Fields{"dir": layout.Dir, "create": layout.CreateDir, "user": layout.User}).Debug("where the WAR goes and whom the variants run as")
	b.mu.Lock()
	b.base, b.baseInfo, b.layout = img, &bi, layout
	b.mu.Unlock()
	return bi, nil
}

// baseOptionError is a problem with the base image: exit 2, naming it.
func (b *Backend) baseOptionError(why string) error {
	return &OptionError{Setting: "lab.baseImage", Value: strings.TrimSpace(b.o.BaseImage), Reason: why}
}

// inspectBase reads the base image's config and, as far as needed, its
// layers (from the top down): the numeric USER the variants run as and the
// directory the WAR goes to.
func (b *Backend) inspectBase(img v1.Image, cfg v1.Config) (WARLayout, error) {
	layers, err := img.Layers()
	if err != nil {
		return WARLayout{}, err
	}
	rootfs := newBaseFS(layers, "/etc/passwd")
	user, err := resolveUser(cfg.User, func() ([]byte, bool, error) { return rootfs.readFile("/etc/passwd") })
	if ue := (*userError)(nil); errors.As(err, &ue) {
		return WARLayout{}, b.baseOptionError(ue.why + `; the lab's pods run with runAsNonRoot (Pod Security "restricted") and no runAsUser, so the kubelet would refuse to start them (CreateContainerConfigError):` +
			` give a base image whose config declares a non-root USER (EAP and WildFly S2I images declare USER 185, the WildFly image USER jboss), or rebuild this one with e.g. USER 1001`)
	}
	if err != nil {
		return WARLayout{}, err
	}
	given := b.o.DeploymentsDir != ""
	choice := DeploymentsDirChoice{Dir: absDir(b.o.DeploymentsDir), From: "lab.deploymentsDir"}
	if given && choice.Dir == "" {
		return WARLayout{}, &OptionError{Setting: "lab.deploymentsDir", Value: b.o.DeploymentsDir, Reason: "want an absolute directory other than /, e.g. /opt/jboss/wildfly/standalone/deployments"}
	}
	if !given {
		if choice = ChooseDeploymentsDir(cfg); choice.Dir == "" {
			return WARLayout{}, b.baseOptionError("its config does not say where its server looks for WARs (no " + LabelJBossDeploymentsDir + " label, DEPLOYMENTS_DIR or JBOSS_HOME variable, S2I label or WORKDIR named deployments): give the directory in lab.deploymentsDir")
		}
	}
	dir, e, ok, err := rootfs.resolve(choice.Dir)
	switch {
	case err != nil:
		return WARLayout{}, fmt.Errorf("looking for %s in the image: %w", choice.Dir, err)
	case ok && !e.IsDir():
		return WARLayout{}, b.baseOptionError(fmt.Sprintf("%s (from %s) is not a directory in the image: give the directory its server scans in lab.deploymentsDir", choice.Dir, choice.From))
	case ok:
		if !writableBy(e, user) {
			b.log.WithFields(logrus.Fields{"dir": dir, "owner": fmt.Sprintf("%d:%d", e.UID, e.GID), "mode": fmt.Sprintf("%o", e.Mode), "user": user.Config}).
				Warn("the base image's deployments directory is not writable by its user: the server may not write its deployment markers there")
		}
		return WARLayout{Dir: dir, User: user.Config, UID: user.UID, GID: user.GID}, nil
	case given:
		return WARLayout{Dir: choice.Dir, CreateDir: true, User: user.Config, UID: user.UID, GID: user.GID}, nil
	}
	return WARLayout{}, b.baseOptionError(fmt.Sprintf("%s (from %s) does not exist in the image, so its server would not find the WAR there: give the directory it scans in lab.deploymentsDir", choice.Dir, choice.From))
}

// writableBy reports whether the image's user may write into directory e
// by its owner, group or other bits (the group as the image declares it;
// a runtime may add supplementary groups).
func writableBy(e fsEntry, u imageUser) bool {
	return e.Mode&0o002 != 0 ||
		(e.UID == u.UID && e.Mode&0o200 != 0) ||
		(e.GID == u.GID && e.Mode&0o020 != 0)
}

// archError says that an index has no image for the node's platform and
// which platforms it has.
func (b *Backend) archError(desc *remote.Descriptor, plat v1.Platform, err error) error {
	var have []string
	if idx, ierr := desc.ImageIndex(); ierr == nil {
		if m, merr := idx.IndexManifest(); merr == nil {
			for _, d := range m.Manifests {
				if d.Platform != nil && d.Platform.OS != "unknown" {
					have = append(have, platformString(*d.Platform))
				}
			}
		}
	}
	why := "the image has no build for the lab's node, " + platformString(plat)
	if len(have) > 0 {
		why += " (it has " + strings.Join(have, ", ") + ")"
	}
	b.log.WithError(err).Debug("no image for the node's platform")
	return b.baseOptionError(why + "; give a base image built for " + platformString(plat) + ", or a multi-architecture one")
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
	base, layout := b.base, b.layout
	b.mu.Unlock()
	sum := sha256.Sum256(war)
	warSHA := hex.EncodeToString(sum[:])

	if got, ok, err := b.stashed(ctx, st, v, warSHA, base, layout); err != nil {
		return lab.Build{}, err
	} else if ok {
		b.log.WithFields(logrus.Fields{"variant": v, "digest": got.Digest}).Debug("variant already stashed")
		return got, nil
	}

	img, err := VariantImage(base, v, war, layout)
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
func (b *Backend) stashed(ctx context.Context, st name.Tag, v lab.Variant, warSHA string, base v1.Image, layout WARLayout) (lab.Build, bool, error) {
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
	if cf.Config.Labels[LabelWARSHA256] != warSHA || cf.Config.Labels[LabelVariant] != string(v) ||
		cf.Config.Labels[LabelWARDir] != layout.Dir || cf.Config.User != layout.User {
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

// WARLayout is where a variant's WAR goes in the base image and whom the
// variant runs as; EnsureBase settles it from the base image.
type WARLayout struct {
	// Dir is the absolute directory of the WAR, with symbolic links
	// resolved as the base image holds them.
	Dir string
	// CreateDir is set when the base image lacks Dir: the layer then
	// creates it, owned by UID:GID, mode 0775. Otherwise the layer holds
	// no directory entry and the base's (its owner and mode, e.g. WildFly's
	// jboss-owned standalone/deployments) stays in force.
	CreateDir bool
	// User is the variants' USER: numeric, so that the kubelet can check
	// runAsNonRoot; empty keeps the base's.
	User string
	// UID and GID own a directory the layer creates.
	UID, GID int
}

// VariantImage returns base plus one layer holding <layout.Dir>/<v>.war,
// with the labels io.pulllab.variant, io.pulllab.war-sha256 and
// io.pulllab.war-dir, the USER layout.User (when set), and every time set
// to BuildTime. The result depends only on its inputs.
func VariantImage(base v1.Image, v lab.Variant, war []byte, layout WARLayout) (v1.Image, error) {
	mt, err := base.MediaType()
	if err != nil {
		return nil, fmt.Errorf("reading the base image's media type: %w", err)
	}
	layerType := types.DockerLayer
	if mt == types.OCIManifestSchema1 {
		layerType = types.OCILayer
	}
	layerTar, err := WARLayerTar(v, war, layout)
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
			CreatedBy: fmt.Sprintf("pulllab: COPY %s %s/", v.WAR(), layout.Dir),
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
	labels := make(map[string]string, len(cfg.Labels)+3)
	for k, val := range cfg.Labels {
		labels[k] = val
	}
	sum := sha256.Sum256(war)
	labels[LabelVariant] = string(v)
	labels[LabelWARSHA256] = hex.EncodeToString(sum[:])
	labels[LabelWARDir] = layout.Dir
	cfg.Labels = labels
	if layout.User != "" {
		cfg.User = layout.User
	}
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

// WARLayerTar returns the uncompressed layer of variant v: <Dir>/<v>.war
// (0644, owned by 0:0) and, only when layout.CreateDir, the directory
// itself (0775, owned by layout.UID:GID, so that the server can write its
// deployment markers), all dated BuildTime. Nothing else.
func WARLayerTar(v lab.Variant, war []byte, layout WARLayout) ([]byte, error) {
	if v == "" {
		return nil, errors.New("no variant")
	}
	dir := strings.Trim(path.Clean("/"+layout.Dir), "/")
	if dir == "" {
		return nil, errors.New("no directory for the WAR")
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	var hdrs []*tar.Header
	if layout.CreateDir {
		hdrs = append(hdrs, &tar.Header{Typeflag: tar.TypeDir, Name: dir + "/", Mode: 0o775, Uid: layout.UID, Gid: layout.GID, ModTime: BuildTime, Format: tar.FormatUSTAR})
	}
	hdrs = append(hdrs, &tar.Header{Typeflag: tar.TypeReg, Name: dir + "/" + v.WAR(), Mode: 0o644, Size: int64(len(war)), ModTime: BuildTime, Format: tar.FormatUSTAR})
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
