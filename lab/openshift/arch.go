package openshift

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	imagev1 "github.com/openshift/api/image/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/pulllab/pulllab/internal/config"
	"github.com/pulllab/pulllab/lab"
)

// DefaultArm64BaseImage is the base image on an arm64 node (OpenShift Local
// on Apple silicon) when the user gave none, because the EAP 7.4 image has
// no arm64 build: the public WildFly S2I builder, config.WildFlyS2IImage
// (published for amd64, arm64 and ppc64le). Its builds get the Galleon
// provisioning environment of lab.S2IBuildEnv, which gives the builder a
// server to deploy the WAR into.
const DefaultArm64BaseImage = config.WildFlyS2IImage

// defaultBaseArchs are the architectures the default EAP 7.4 image is built for.
var defaultBaseArchs = []string{"amd64", "s390x", "ppc64le"}

// nodeArch is the node's architecture as the kubelet reports it (GOARCH
// names: amd64, arm64, …), "" when it does not say.
func nodeArch(n *corev1.Node) string {
	if a := n.Status.NodeInfo.Architecture; a != "" {
		return a
	}
	return n.Labels[corev1.LabelArchStable]
}

// chooseBase decides, once, which base image the lab builds on: the user's
// --base-image as given; else the default, unless the node is of an
// architecture the default is not built for (arm64), which gets
// DefaultArm64BaseImage. It records the choice and why.
func (b *Backend) chooseBase(ctx context.Context) error {
	if b.baseChosen {
		return nil
	}
	switch {
	case b.o.BaseImageReason == lab.BaseReasonOKD:
		b.baseReason = lab.BaseReasonOKD
	case !b.baseDefaulted:
		b.baseReason = lab.BaseReasonUser
	default:
		node, err := b.Node(ctx)
		if err != nil {
			return err
		}
		arch := nodeArch(node)
		if arch == "" || contains(defaultBaseArchs, arch) {
			b.baseReason = lab.BaseReasonDefault
			break
		}
		ref, err := parseBaseRef(DefaultArm64BaseImage)
		if err != nil {
			return err
		}
		b.base = ref
		b.o.Profile = lab.ProfileFor(ref.Ref)
		b.baseReason = lab.BaseReasonArm64
		b.status.Infof("Node %s is %s: the base image is %s (the default EAP 7.4 image has no %s build)", node.Name, arch, ref.Ref, arch)
	}
	b.baseChosen = true
	b.log.WithField("base", b.baseReason).Debug("base image chosen")
	return nil
}

// checkArch stops before any build when the imported base image cannot run
// on the node: it compares the node's architecture with the image's (its
// manifest list when the import kept one, else the image's config). An
// unknown architecture on either side is not an error.
func (b *Backend) checkArch(ctx context.Context, img *imagev1.Image) error {
	if img == nil {
		return nil
	}
	node, err := b.Node(ctx)
	if err != nil {
		return err
	}
	want := nodeArch(node)
	have := imageArchs(img)
	if want == "" || len(have) == 0 || contains(have, want) {
		return nil
	}
	suggest := DefaultArm64BaseImage
	if want != "arm64" {
		suggest = "an image built for " + want
	}
	return &OptionError{Setting: "lab.baseImage", Value: b.base.Ref, Reason: fmt.Sprintf(
		"the image is built for %s but node %s is %s, so its builds and pods would fail (exec format error); set lab.baseImage to an image published for %s, e.g. %s",
		strings.Join(have, ", "), node.Name, want, want, suggest)}
}

// imageArchs returns the architectures an imported image offers: those of
// its manifest list, else the one of its config (dockerImageMetadata).
func imageArchs(img *imagev1.Image) []string {
	seen := map[string]bool{}
	for _, m := range img.DockerImageManifests {
		if m.Architecture != "" && (m.OS == "" || m.OS == "linux") {
			seen[m.Architecture] = true
		}
	}
	if len(seen) == 0 && len(img.DockerImageMetadata.Raw) > 0 {
		var meta struct {
			Architecture string `json:"Architecture"`
		}
		if json.Unmarshal(img.DockerImageMetadata.Raw, &meta) == nil && meta.Architecture != "" {
			seen[meta.Architecture] = true
		}
	}
	out := make([]string, 0, len(seen))
	for a := range seen {
		out = append(out, a)
	}
	sort.Strings(out)
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
