package openshift

import (
	"context"
	"errors"
	"strings"
	"testing"

	imagev1 "github.com/openshift/api/image/v1"
	k8stesting "k8s.io/client-go/testing"

	"github.com/pulllab/pulllab/lab"
)

// withVariants adds both stashed variants, as builds leave them.
func withVariants(t *testing.T, c *cluster) {
	t.Helper()
	for _, v := range lab.Variants {
		c.push(testNS, lab.StashName, string(v), digestOf(string(v)), map[string]any{
			"Id":     digestOf("config-" + string(v)),
			"Config": map[string]any{"Labels": map[string]string{imageLabelBuildName: "pulllab-" + string(v) + "-1", ImageLabelWARSHA256: "abc"}},
		})
	}
}

func TestPointAppAndRemoveApp(t *testing.T) {
	c := newCluster(t, ourProject(nil)...)
	withVariants(t, c)
	b := c.backend(Options{})
	ctx := context.Background()

	if d, err := b.AppDigest(ctx, "v1"); err != nil || d != "" {
		t.Fatalf("AppDigest before anything = %q, %v", d, err)
	}

	// Registry variant under v1: the stream is created, the tag points at the
	// stashed image by digest.
	if err := b.PointApp(ctx, "v1", lab.VariantRegistry); err != nil {
		t.Fatal(err)
	}
	if d, _ := b.AppDigest(ctx, "v1"); d != digestOf("registry") {
		t.Fatalf("AppDigest(v1) = %q, want the registry variant", d)
	}
	is := c.stream(testNS, lab.AppName)
	if is == nil || is.Labels[lab.LabelManagedBy] != lab.ManagedBy || is.Spec.LookupPolicy.Local {
		t.Fatalf("app stream %+v", is)
	}
	var created *imagev1.ImageStreamTag
	for _, a := range c.image.Actions() {
		if a.GetVerb() == "create" && a.GetResource().Resource == "imagestreamtags" {
			created = a.(k8stesting.CreateAction).GetObject().(*imagev1.ImageStreamTag)
		}
	}
	if created == nil || created.Tag.From.Kind != "ImageStreamImage" || created.Tag.From.Name != "pulllab-variants@"+digestOf("registry") {
		t.Fatalf("created tag %+v", created)
	}

	// Node variant under v1: an update of the same tag.
	if err := b.PointApp(ctx, "v1", lab.VariantNode); err != nil {
		t.Fatal(err)
	}
	if d, _ := b.AppDigest(ctx, "v1"); d != digestOf("node") {
		t.Fatalf("AppDigest(v1) = %q, want the node variant", d)
	}
	updates := 0
	for _, a := range c.image.Actions() {
		if a.GetVerb() == "update" && a.GetResource().Resource == "imagestreamtags" {
			updates++
		}
	}
	if updates != 1 {
		t.Errorf("%d tag updates, want 1", updates)
	}

	// Pointing again at what it already shows changes nothing.
	c.image.ClearActions()
	if err := b.PointApp(ctx, "v1", lab.VariantNode); err != nil {
		t.Fatal(err)
	}
	for _, a := range c.image.Actions() {
		if a.GetVerb() != "get" {
			t.Errorf("an idempotent PointApp did %s %s", a.GetVerb(), a.GetResource().Resource)
		}
	}

	// latest is another tag of the same stream.
	if err := b.PointApp(ctx, "latest", lab.VariantRegistry); err != nil {
		t.Fatal(err)
	}
	if d, _ := b.AppDigest(ctx, "latest"); d != digestOf("registry") {
		t.Fatalf("AppDigest(latest) = %q", d)
	}
	if d, _ := b.AppDigest(ctx, "v2"); d != "" {
		t.Errorf("AppDigest of an absent tag = %q", d)
	}

	// Removing deletes the stream (every tag), as `oc delete is` does.
	if err := b.RemoveApp(ctx, "v1"); err != nil {
		t.Fatal(err)
	}
	if c.stream(testNS, lab.AppName) != nil {
		t.Fatal("the app stream is still there")
	}
	for _, tag := range []string{"v1", "latest"} {
		if d, err := b.AppDigest(ctx, tag); err != nil || d != "" {
			t.Errorf("AppDigest(%s) after RemoveApp = %q, %v", tag, d, err)
		}
	}
	// The stash is untouched.
	if c.stream(testNS, lab.StashName) == nil {
		t.Error("RemoveApp removed the stash")
	}
	// Removing again is fine.
	if err := b.RemoveApp(ctx, "v1"); err != nil {
		t.Errorf("second RemoveApp: %v", err)
	}
	// And the tag can be pointed again after removal.
	if err := b.PointApp(ctx, "v1", lab.VariantRegistry); err != nil {
		t.Fatal(err)
	}
	if d, _ := b.AppDigest(ctx, "v1"); d != digestOf("registry") {
		t.Errorf("AppDigest(v1) after re-pointing = %q", d)
	}
}

func TestPointAppWithoutVariant(t *testing.T) {
	c := newCluster(t, ourProject(nil)...)
	err := c.backend(Options{}).PointApp(context.Background(), "v1", lab.VariantNode)
	if err == nil || !strings.Contains(err.Error(), "not built") || !errors.Is(err, lab.ErrNotPrepared) {
		t.Fatalf("err = %v", err)
	}
}

// TestStateThroughRegistry drives lab.ReadState-style reads through the
// backend: what AppDigest reports maps to the right holding.
func TestStateThroughRegistry(t *testing.T) {
	c := newCluster(t, ourProject(nil)...)
	withVariants(t, c)
	b := c.backend(Options{})
	ctx := context.Background()
	builds := map[lab.Variant]lab.Build{
		lab.VariantNode:     {Variant: lab.VariantNode, Digest: digestOf("node")},
		lab.VariantRegistry: {Variant: lab.VariantRegistry, Digest: digestOf("registry")},
	}
	for _, v := range []lab.Variant{lab.VariantRegistry, lab.VariantNode} {
		if err := b.PointApp(ctx, lab.AppTag, v); err != nil {
			t.Fatal(err)
		}
		d, _ := b.AppDigest(ctx, lab.AppTag)
		if got := lab.RegistryHolding(d, builds); got != lab.Holds(v) {
			t.Errorf("after pointing at %s the registry holds %s", v, got)
		}
	}
	if err := b.RemoveApp(ctx, lab.AppTag); err != nil {
		t.Fatal(err)
	}
	d, _ := b.AppDigest(ctx, lab.AppTag)
	if got := lab.RegistryHolding(d, builds); got != lab.HoldsNone {
		t.Errorf("after removing, the registry holds %s", got)
	}
}
