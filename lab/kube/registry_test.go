package kube

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/pulllab/pulllab/lab"
)

func appDigest(t *testing.T, b *Backend, tag string) string {
	t.Helper()
	d, err := b.AppDigest(context.Background(), tag)
	if err != nil {
		t.Fatalf("AppDigest(%s): %v", tag, err)
	}
	return d
}

func TestPointAndRemoveApp(t *testing.T) {
	for _, mode := range []struct {
		name string
		mode deleteMode
	}{
		{"distribution deletes tags with the manifest", deletesLikeDistribution},
		{"registry keeps tags apart from manifests", deletesKeepTags},
	} {
		t.Run(mode.name, func(t *testing.T) {
			ctx := context.Background()
			fx := newBuildFixture(t, mode.mode)
			b := fx.b
			node := fx.build(t, lab.VariantNode, nodeWAR)
			reg := fx.build(t, lab.VariantRegistry, registryWAR)

			if d := appDigest(t, b, "v1"); d != "" {
				t.Fatalf("app:v1 before any PointApp = %q, want none", d)
			}
			if err := b.RemoveApp(ctx, "v1"); err != nil {
				t.Fatalf("RemoveApp of an absent tag: %v", err)
			}

			for _, tag := range []string{"v1", "latest"} {
				if err := b.PointApp(ctx, tag, lab.VariantRegistry); err != nil {
					t.Fatalf("PointApp(%s): %v", tag, err)
				}
				if d := appDigest(t, b, tag); d != reg.Digest {
					t.Fatalf("app:%s = %q, want the registry variant %s", tag, d, reg.Digest)
				}
			}

			// v1 and latest share one digest; removing v1 keeps latest.
			if err := b.RemoveApp(ctx, "v1"); err != nil {
				t.Fatalf("RemoveApp(v1): %v", err)
			}
			if d := appDigest(t, b, "v1"); d != "" {
				t.Errorf("app:v1 after RemoveApp = %q, want none", d)
			}
			if d := appDigest(t, b, "latest"); d != reg.Digest {
				t.Errorf("app:latest after RemoveApp(v1) = %q, want %s kept", d, reg.Digest)
			}
			// Pulling by digest still works: case 9 deploys app@digest.
			if d := fx.reg.digest(b.app.RepositoryStr(), reg.Digest); d != reg.Digest {
				t.Errorf("app@%s is gone after RemoveApp(v1) although latest still points at it", reg.Digest)
			}
			// The stash is another repository: untouched.
			for v, want := range map[string]string{"node": node.Digest, "registry": reg.Digest} {
				if d := fx.reg.digest(b.stash.RepositoryStr(), v); d != want {
					t.Errorf("stash %s = %q after RemoveApp, want %s", v, d, want)
				}
			}

			// Point v1 at the other variant; then removing latest keeps v1.
			if err := b.PointApp(ctx, "v1", lab.VariantNode); err != nil {
				t.Fatal(err)
			}
			if d := appDigest(t, b, "v1"); d != node.Digest {
				t.Fatalf("app:v1 = %q, want the node variant %s", d, node.Digest)
			}
			if err := b.RemoveApp(ctx, "latest"); err != nil {
				t.Fatal(err)
			}
			if d := appDigest(t, b, "latest"); d != "" {
				t.Errorf("app:latest = %q, want none", d)
			}
			if d := appDigest(t, b, "v1"); d != node.Digest {
				t.Errorf("app:v1 = %q after RemoveApp(latest), want %s", d, node.Digest)
			}

			// Moving a tag from one variant to the other is one PointApp.
			if err := b.PointApp(ctx, "v1", lab.VariantRegistry); err != nil {
				t.Fatal(err)
			}
			if d := appDigest(t, b, "v1"); d != reg.Digest {
				t.Errorf("app:v1 = %q, want %s", d, reg.Digest)
			}
			if err := b.RemoveApp(ctx, "v1"); err != nil {
				t.Fatal(err)
			}
			if d := appDigest(t, b, "v1"); d != "" {
				t.Errorf("app:v1 = %q, want none", d)
			}
		})
	}
}

func TestRemoveAppOnARegistryThatRefusesDeletes(t *testing.T) {
	ctx := context.Background()
	fx := newBuildFixture(t, deletesRefused)
	reg := fx.build(t, lab.VariantRegistry, registryWAR)
	if err := fx.b.PointApp(ctx, "v1", lab.VariantRegistry); err != nil {
		t.Fatal(err)
	}
	err := fx.b.RemoveApp(ctx, "v1")
	var refused *DeleteRefusedError
	if !errors.As(err, &refused) {
		t.Fatalf("RemoveApp = %v (%T), want *DeleteRefusedError", err, err)
	}
	for _, want := range []string{"the registry at " + fx.reg.host + " refuses deletes", "storage.delete.enabled", "REGISTRY_STORAGE_DELETE_ENABLED"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	if d := appDigest(t, fx.b, "v1"); d != reg.Digest {
		t.Errorf("app:v1 = %q after a refused delete, want it unchanged (%s)", d, reg.Digest)
	}
	if n := fx.reg.deleteCount(); n != 1 {
		t.Errorf("%d DELETE requests, want exactly 1", n)
	}
}

func TestPointAppNeedsTheVariant(t *testing.T) {
	fx := newBuildFixture(t, deletesLikeDistribution)
	err := fx.b.PointApp(context.Background(), "v1", lab.VariantNode)
	if err == nil || !strings.Contains(err.Error(), "the node variant is not in the registry") || !errors.Is(err, lab.ErrNotPrepared) {
		t.Errorf("PointApp before Build = %v, want a lab.ErrNotPrepared saying the variant is missing", err)
	}
	if err := fx.b.PointApp(context.Background(), "v1", "other"); err == nil || !strings.Contains(err.Error(), "unknown variant") {
		t.Errorf("PointApp(other) = %v", err)
	}
	if _, err := fx.b.AppDigest(context.Background(), "bad tag"); err == nil {
		t.Error("AppDigest(\"bad tag\") succeeded")
	}
}

func TestRegistryUnreachable(t *testing.T) {
	reg := newTestRegistry(t, deletesLikeDistribution)
	host := reg.host
	reg.srv.Close()
	b := newTestBackend(t, newFakeCluster("amd64"), Options{Registry: host})
	_, err := b.AppDigest(context.Background(), "v1")
	if err == nil || !strings.Contains(err.Error(), "cannot reach the registry "+host) || !strings.Contains(err.Error(), "check lab.registry") {
		t.Errorf("AppDigest on a stopped registry = %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := b.AppDigest(ctx, "v1"); !errors.Is(err, context.Canceled) {
		t.Errorf("AppDigest with a cancelled context = %v, want context.Canceled", err)
	}
}

func TestStatus(t *testing.T) {
	ctx := context.Background()
	fx := newBuildFixture(t, deletesLikeDistribution)
	b := fx.b
	node := fx.build(t, lab.VariantNode, nodeWAR)
	if err := b.PointApp(ctx, "v1", lab.VariantNode); err != nil {
		t.Fatal(err)
	}

	t.Run("no debug namespace", func(t *testing.T) {
		s, err := b.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(s.Variants) != 2 || s.Variants[0].Digest != node.Digest || s.Variants[0].WARSHA256 != node.WARSHA256 || s.Variants[0].ImageID != node.ImageID || s.Variants[1].Digest != "" {
			t.Errorf("variants = %+v", s.Variants)
		}
		want := []TagStatus{{Tag: "v1", Digest: node.Digest, Variant: lab.VariantNode}, {Tag: "latest"}}
		if len(s.AppTags) != 2 || s.AppTags[0] != want[0] || s.AppTags[1] != want[1] {
			t.Errorf("app tags = %+v, want %+v", s.AppTags, want)
		}
		if s.NodeImages != nil || !strings.Contains(s.NodeNote, `debug namespace "pulllab-debug" does not exist`) {
			t.Errorf("node part = %+v / %q", s.NodeImages, s.NodeNote)
		}
		for _, c := range fx.cluster.journal() {
			if strings.HasPrefix(c, "start") || strings.HasPrefix(c, "ensure") {
				t.Errorf("Status changed the cluster: %q", fx.cluster.journal())
			}
		}
	})
	t.Run("debug namespace exists", func(t *testing.T) {
		fx.cluster.namespaces["pulllab-debug"] = true
		fx.cluster.images = []lab.NodeImage{{ID: "sha256:abc", RepoTags: []string{b.AppRef("v1")}}}
		fx.cluster.calls = nil
		s, err := b.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if s.Node != "node-1" || len(s.NodeImages) != 1 || s.NodeNote != "" {
			t.Errorf("node part = %q %+v %q", s.Node, s.NodeImages, s.NodeNote)
		}
		var started, stopped bool
		for _, c := range fx.cluster.journal() {
			started = started || strings.HasPrefix(c, "start pulllab-debug/node-1")
			stopped = stopped || strings.HasPrefix(c, "stop pulllab-debug/node-1")
		}
		if !started || !stopped {
			t.Errorf("Status did not start and stop its own debug pod: %q", fx.cluster.journal())
		}
	})
	t.Run("prepared backend reuses its debug pod", func(t *testing.T) {
		if _, err := b.Prepare(ctx); err != nil {
			t.Fatal(err)
		}
		fx.cluster.calls = nil
		if _, err := b.Status(ctx); err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(fx.cluster.journal(), ";"); got != "images" {
			t.Errorf("calls = %q, want only the image listing", got)
		}
	})
}
