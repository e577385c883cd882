package kube

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/pulllab/pulllab/internal/golden"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/pulllab/pulllab/lab"
)

var (
	nodeWAR     = []byte("PK\x03\x04 node.war: pretend zip, deploys the node variant")
	registryWAR = []byte("PK\x03\x04 registry.war: pretend zip, deploys the registry variant")
)

// buildFixture is a registry with a base image and a backend on it.
type buildFixture struct {
	reg     *testRegistry
	cluster *fakeCluster
	b       *Backend
	base    v1.Image
	baseDig string
}

func newBuildFixture(t *testing.T, mode deleteMode) *buildFixture {
	t.Helper()
	reg := newTestRegistry(t, mode)
	base := randomImage(t)
	dig := reg.push(t, "base/appserver:1", base)
	f := newFakeCluster("amd64")
	b := newTestBackend(t, f, Options{Registry: reg.host, BaseImage: reg.host + "/base/appserver:1"})
	return &buildFixture{reg: reg, cluster: f, b: b, base: base, baseDig: dig}
}

func (fx *buildFixture) build(t *testing.T, v lab.Variant, war []byte) lab.Build {
	t.Helper()
	got, err := fx.b.Build(context.Background(), v, war)
	if err != nil {
		t.Fatalf("Build(%s): %v", v, err)
	}
	return got
}

func TestEnsureBase(t *testing.T) {
	fx := newBuildFixture(t, deletesLikeDistribution)
	bi, err := fx.b.EnsureBase(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := lab.BaseImage{Ref: fx.reg.host + "/base/appserver:1", Digest: fx.baseDig, Profile: "appserver"}
	if bi != want {
		t.Errorf("EnsureBase = %+v, want %+v", bi, want)
	}
}

func TestBuildIsReproducibleAndIdempotent(t *testing.T) {
	fx := newBuildFixture(t, deletesLikeDistribution)
	first := fx.build(t, lab.VariantNode, nodeWAR)
	sum := sha256.Sum256(nodeWAR)
	if !first.Built || first.Variant != lab.VariantNode || first.WARSHA256 != hex.EncodeToString(sum[:]) {
		t.Fatalf("first Build = %+v, want Built with the WAR's sha", first)
	}
	if !strings.HasPrefix(first.Digest, "sha256:") || !strings.HasPrefix(first.ImageID, "sha256:") || first.Digest == first.ImageID {
		t.Errorf("Build digests = %q, %q", first.Digest, first.ImageID)
	}
	if got := fx.reg.digest(fx.b.stash.RepositoryStr(), "node"); got != first.Digest {
		t.Errorf("stash tag node = %q, want %q", got, first.Digest)
	}

	t.Run("same WAR again reuses the stash", func(t *testing.T) {
		again := fx.build(t, lab.VariantNode, nodeWAR)
		if again.Built || again.Digest != first.Digest || again.ImageID != first.ImageID {
			t.Errorf("second Build = %+v, want Built=false with %s", again, first.Digest)
		}
	})
	t.Run("a new backend computes the same digest", func(t *testing.T) {
		// Offline: the image depends only on base and WAR.
		img, err := VariantImage(fx.base, lab.VariantNode, nodeWAR, s2iLayout)
		if err != nil {
			t.Fatal(err)
		}
		if d, _ := img.Digest(); d.String() != first.Digest {
			t.Errorf("VariantImage digest = %s, want %s", d, first.Digest)
		}
		b2 := newTestBackend(t, newFakeCluster("amd64"), Options{Registry: fx.reg.host, BaseImage: fx.reg.host + "/base/appserver:1"})
		got, err := b2.Build(context.Background(), lab.VariantNode, nodeWAR)
		if err != nil || got.Built || got.Digest != first.Digest {
			t.Errorf("Build on a new backend = %+v, %v; want the stashed %s", got, err, first.Digest)
		}
	})
	t.Run("another variant is another image", func(t *testing.T) {
		reg := fx.build(t, lab.VariantRegistry, registryWAR)
		if !reg.Built || reg.Digest == first.Digest {
			t.Errorf("registry Build = %+v", reg)
		}
	})
	t.Run("a changed WAR rebuilds", func(t *testing.T) {
		changed := append(append([]byte{}, nodeWAR...), " v2"...)
		got := fx.build(t, lab.VariantNode, changed)
		if !got.Built || got.Digest == first.Digest {
			t.Errorf("Build of a changed WAR = %+v, want a new digest", got)
		}
		back := fx.build(t, lab.VariantNode, nodeWAR)
		if !back.Built || back.Digest != first.Digest {
			t.Errorf("Build of the original WAR again = %+v, want Built with the original digest %s", back, first.Digest)
		}
	})
	t.Run("a changed base rebuilds", func(t *testing.T) {
		fx.reg.push(t, "base/appserver:1", randomImage(t))
		b3 := newTestBackend(t, newFakeCluster("amd64"), Options{Registry: fx.reg.host, BaseImage: fx.reg.host + "/base/appserver:1"})
		got, err := b3.Build(context.Background(), lab.VariantNode, nodeWAR)
		if err != nil || !got.Built || got.Digest == first.Digest {
			t.Errorf("Build on a new base = %+v, %v; want a new image", got, err)
		}
	})
}

func TestVariantImageContents(t *testing.T) {
	base := randomImage(t)
	img, err := VariantImage(base, lab.VariantRegistry, registryWAR, s2iLayout)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(registryWAR)
	if cf.Config.Labels[LabelVariant] != "registry" || cf.Config.Labels[LabelWARSHA256] != hex.EncodeToString(sum[:]) {
		t.Errorf("labels = %v", cf.Config.Labels)
	}
	if !cf.Created.Time.Equal(BuildTime) {
		t.Errorf("created = %v, want %v", cf.Created, BuildTime)
	}
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	baseLayers, _ := base.Layers()
	if len(layers) != len(baseLayers)+1 {
		t.Fatalf("%d layers, want base's %d + 1", len(layers), len(baseLayers))
	}
	if mt, _ := layers[len(layers)-1].MediaType(); mt != types.DockerLayer {
		t.Errorf("layer media type %s on a Docker base, want %s", mt, types.DockerLayer)
	}
	rc, err := layers[len(layers)-1].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	var names []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
		if h.Uid != 0 || h.Gid != 0 || !h.ModTime.Equal(BuildTime) {
			t.Errorf("%s: uid %d gid %d mtime %v", h.Name, h.Uid, h.Gid, h.ModTime)
		}
		if h.Name == "deployments/registry.war" {
			b, _ := io.ReadAll(tr)
			if !bytes.Equal(b, registryWAR) || h.Mode != 0o644 {
				t.Errorf("war entry mode %o, content %q", h.Mode, b)
			}
		}
	}
	if strings.Join(names, " ") != "deployments/registry.war" {
		// the base's /deployments (its owner and mode) stays in force
		t.Errorf("layer entries = %q", names)
	}

	t.Run("OCI base gets an OCI layer", func(t *testing.T) {
		oci := mutate.MediaType(base, types.OCIManifestSchema1)
		oci = mutate.ConfigMediaType(oci, types.OCIConfigJSON)
		img, err := VariantImage(oci, lab.VariantNode, nodeWAR, s2iLayout)
		if err != nil {
			t.Fatal(err)
		}
		m, err := img.Manifest()
		if err != nil {
			t.Fatal(err)
		}
		if got := m.Layers[len(m.Layers)-1].MediaType; got != types.OCILayer {
			t.Errorf("layer media type %s, want %s", got, types.OCILayer)
		}
	})
}

// TestWARLayerTarGolden pins the exact bytes of the WAR layer (its
// uncompressed digest is the image's diff ID).
func TestWARLayerTarGolden(t *testing.T) {
	layouts := map[lab.Variant]WARLayout{
		// the base has the directory: only the WAR
		lab.VariantNode: s2iLayout,
		// --deployments-dir to a directory the base lacks: created for
		// the image's user
		lab.VariantRegistry: {Dir: "/opt/app/deploy", CreateDir: true, User: "1000:0", UID: 1000},
	}
	for _, v := range lab.Variants {
		t.Run(string(v), func(t *testing.T) {
			war := []byte("fixed content of " + v.WAR() + "\n")
			b, err := WARLayerTar(v, war, layouts[v])
			if err != nil {
				t.Fatal(err)
			}
			var sb strings.Builder
			sum := sha256.Sum256(b)
			fmt.Fprintf(&sb, "diffID sha256:%x\nsize %d\n", sum, len(b))
			tr := tar.NewReader(bytes.NewReader(b))
			for {
				h, err := tr.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				fmt.Fprintf(&sb, "%c %s mode=%o uid=%d gid=%d size=%d mtime=%s format=%s\n", h.Typeflag, h.Name, h.Mode, h.Uid, h.Gid, h.Size, h.ModTime.UTC().Format("2006-01-02T15:04:05Z"), h.Format)
			}
			golden.Check(t, filepath.Join("testdata", "layer-"+string(v)+".golden"), []byte(sb.String()))
		})
	}
}

func TestBuildFromIndexPicksTheNodesArchitecture(t *testing.T) {
	reg := newTestRegistry(t, deletesLikeDistribution)
	amd, arm := randomImage(t), randomImage(t)
	idx := mutate.AppendManifests(empty.Index,
		mutate.IndexAddendum{Add: amd, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}},
		mutate.IndexAddendum{Add: arm, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "arm64"}}},
	)
	idxDigest := reg.pushIndex(t, "base/multi:1", idx)

	for _, tc := range []struct {
		arch string
		want v1.Image
	}{{"arm64", arm}, {"amd64", amd}, {"", amd}} {
		t.Run("node "+tc.arch, func(t *testing.T) {
			f := newFakeCluster(tc.arch)
			b := newTestBackend(t, f, Options{Registry: reg.host, Namespace: "ns-" + strings.ToLower(tc.arch+"x"), BaseImage: reg.host + "/base/multi:1"})
			bi, err := b.EnsureBase(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if bi.Digest != idxDigest {
				t.Errorf("base digest = %s, want the index's %s", bi.Digest, idxDigest)
			}
			got, err := b.Build(context.Background(), lab.VariantNode, nodeWAR)
			if err != nil {
				t.Fatal(err)
			}
			want, err := VariantImage(tc.want, lab.VariantNode, nodeWAR, s2iLayout)
			if err != nil {
				t.Fatal(err)
			}
			if d, _ := want.Digest(); d.String() != got.Digest {
				t.Errorf("built %s, want the variant of the %s image %s", got.Digest, tc.arch, d)
			}
		})
	}
	t.Run("no image for the node", func(t *testing.T) {
		b := newTestBackend(t, newFakeCluster("s390x"), Options{Registry: reg.host, BaseImage: reg.host + "/base/multi:1"})
		_, err := b.EnsureBase(context.Background())
		var oe *OptionError
		if !errors.As(err, &oe) || !strings.Contains(err.Error(), "has no build for the lab's node, linux/s390x (it has linux/amd64, linux/arm64)") {
			t.Errorf("EnsureBase = %v, want a platform error", err)
		}
	})
}

func TestEnsureBaseErrors(t *testing.T) {
	reg := newTestRegistry(t, deletesLikeDistribution)
	auth := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("WWW-Authenticate", `Basic realm="lab"`)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`)
	}))
	t.Cleanup(auth.Close)
	down := httptest.NewServer(http.NotFoundHandler())
	downHost := strings.TrimPrefix(down.URL, "http://")
	down.Close()
	authHost := strings.TrimPrefix(auth.URL, "http://")

	tests := []struct {
		name, base string
		want       []string
	}{
		{"missing", reg.host + "/base/none:1", []string{"does not exist in " + reg.host, "lab.baseImage"}},
		{"unauthorized", authHost + "/base/app:1", []string{"asks for credentials", "docker login " + authHost}},
		{"unreachable", downHost + "/base/app:1", []string{"cannot reach the registry " + downHost, "lab.baseImage"}},
		{"not set", "", []string{"lab.baseImage is required"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := newTestBackend(t, newFakeCluster("amd64"), Options{Registry: reg.host, BaseImage: tc.base})
			_, err := b.EnsureBase(context.Background())
			if err == nil {
				t.Fatal("EnsureBase succeeded")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("EnsureBase error %q does not contain %q", err, w)
				}
			}
			if _, err := b.Build(context.Background(), lab.VariantNode, nodeWAR); err == nil {
				t.Error("Build succeeded without a base")
			}
		})
	}
}

func TestBuildRejects(t *testing.T) {
	fx := newBuildFixture(t, deletesLikeDistribution)
	if _, err := fx.b.Build(context.Background(), "other", nodeWAR); err == nil || !strings.Contains(err.Error(), `unknown variant "other"`) {
		t.Errorf("Build(other) = %v", err)
	}
	if _, err := fx.b.Build(context.Background(), lab.VariantNode, nil); err == nil || !strings.Contains(err.Error(), "WAR is empty") {
		t.Errorf("Build(empty WAR) = %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	b := newTestBackend(t, newFakeCluster("amd64"), Options{Registry: fx.reg.host, BaseImage: fx.reg.host + "/base/appserver:1"})
	if _, err := b.Build(ctx, lab.VariantNode, nodeWAR); err == nil || !strings.Contains(err.Error(), "context canceled") {
		t.Errorf("Build with a cancelled context = %v", err)
	}
}

// TestStashedImageIsPullable checks the pushed variant is complete: every
// blob can be read back from the stash repository.
func TestStashedImageIsPullable(t *testing.T) {
	fx := newBuildFixture(t, deletesLikeDistribution)
	got := fx.build(t, lab.VariantNode, nodeWAR)
	ref, err := name.ParseReference(fx.b.stashRepo+"@"+got.Digest, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	img, err := remote.Image(ref)
	if err != nil {
		t.Fatal(err)
	}
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range layers {
		rc, err := l.Compressed()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, rc); err != nil {
			t.Fatal(err)
		}
		rc.Close()
	}
	if id, _ := img.ConfigName(); id.String() != got.ImageID {
		t.Errorf("config digest %s, want %s", id, got.ImageID)
	}
}
