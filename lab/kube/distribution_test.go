package kube

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/pulllab/pulllab/lab"
)

// These flags point the registry tests at a real registry as well, e.g. the
// distribution registry (docker-registry) the e2e cluster runs:
//
//	go test ./lab/kube -run TestRealRegistry -args -kube.registry=127.0.0.1:5000 -kube.nodelete-registry=127.0.0.1:5001
//
// The first must allow deletes; the second, if given, must refuse them.
var (
	realRegistry         = flag.String("kube.registry", "", "HOST:PORT of a real registry with deletes enabled, for TestRealRegistry")
	realNoDeleteRegistry = flag.String("kube.nodelete-registry", "", "HOST:PORT of a real registry with deletes disabled, for TestRealRegistry")
)

func TestRealRegistry(t *testing.T) {
	if *realRegistry == "" {
		t.Skip("no -kube.registry given")
	}
	ctx := context.Background()
	// A namespace of its own per run keeps runs apart.
	ns := fmt.Sprintf("pulllab-test-%d", time.Now().UnixNano())
	baseRef := *realRegistry + "/" + ns + "/base:1"
	pushReal(t, baseRef)
	b := newTestBackend(t, newFakeCluster("amd64"), Options{Registry: *realRegistry, Namespace: ns, BaseImage: baseRef})

	node, err := b.Build(ctx, lab.VariantNode, nodeWAR)
	if err != nil || !node.Built {
		t.Fatalf("Build(node) = %+v, %v", node, err)
	}
	reg, err := b.Build(ctx, lab.VariantRegistry, registryWAR)
	if err != nil {
		t.Fatal(err)
	}
	if again, err := b.Build(ctx, lab.VariantNode, nodeWAR); err != nil || again.Built || again.Digest != node.Digest {
		t.Fatalf("Build(node) again = %+v, %v", again, err)
	}
	for _, tag := range []string{"v1", "latest"} {
		if err := b.PointApp(ctx, tag, lab.VariantRegistry); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.RemoveApp(ctx, "v1"); err != nil {
		t.Fatalf("RemoveApp(v1): %v", err)
	}
	if d := appDigest(t, b, "v1"); d != "" {
		t.Errorf("v1 = %q after RemoveApp", d)
	}
	if d := appDigest(t, b, "latest"); d != reg.Digest {
		t.Errorf("latest = %q after RemoveApp(v1), want %s", d, reg.Digest)
	}
	if err := b.PointApp(ctx, "v1", lab.VariantNode); err != nil {
		t.Fatal(err)
	}
	if d := appDigest(t, b, "v1"); d != node.Digest {
		t.Errorf("v1 = %q, want %s", d, node.Digest)
	}
	st, err := b.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.AppTags[0].Variant != lab.VariantNode || st.AppTags[1].Variant != lab.VariantRegistry {
		t.Errorf("status app tags = %+v", st.AppTags)
	}

	if *realNoDeleteRegistry == "" {
		return
	}
	nbase := *realNoDeleteRegistry + "/" + ns + "/base:1"
	pushReal(t, nbase)
	nb := newTestBackend(t, newFakeCluster("amd64"), Options{Registry: *realNoDeleteRegistry, Namespace: ns, BaseImage: nbase})
	if _, err := nb.Build(ctx, lab.VariantRegistry, registryWAR); err != nil {
		t.Fatal(err)
	}
	if err := nb.PointApp(ctx, "v1", lab.VariantRegistry); err != nil {
		t.Fatal(err)
	}
	err = nb.RemoveApp(ctx, "v1")
	var refused *DeleteRefusedError
	t.Logf("RemoveApp on a registry without deletes: %v", err)
	if !errors.As(err, &refused) || !strings.Contains(err.Error(), "storage.delete.enabled") {
		t.Errorf("RemoveApp on a registry without deletes = %v", err)
	}
}

func pushReal(t *testing.T, ref string) {
	t.Helper()
	tag, err := name.NewTag(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(tag, randomImage(t)); err != nil {
		t.Fatalf("pushing %s: %v", ref, err)
	}
}
