package lab

import (
	"context"
	"errors"
	"strings"
	"testing"
)

const (
	hexNodeManifest = "1111111111111111111111111111111111111111111111111111111111111111"
	hexNodeConfig   = "2222222222222222222222222222222222222222222222222222222222222222"
	hexRegManifest  = "3333333333333333333333333333333333333333333333333333333333333333"
	hexRegConfig    = "4444444444444444444444444444444444444444444444444444444444444444"
	hexForeign      = "9999999999999999999999999999999999999999999999999999999999999999"
	testRepo        = "image-registry.openshift-image-registry.svc:5000/pulllab/custom-image-java"
)

var testBuilds = map[Variant]Build{
	VariantNode:     {Variant: VariantNode, Digest: "sha256:" + hexNodeManifest, ImageID: "sha256:" + hexNodeConfig},
	VariantRegistry: {Variant: VariantRegistry, Digest: "sha256:" + hexRegManifest, ImageID: "sha256:" + hexRegConfig},
}

func TestDigestHex(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"sha256:ABC", "abc"},
		{"abc", "abc"},
		{"repo:5000/ns/app@sha256:abc", "abc"},
		{"docker-pullable://repo/app@sha256:abc", "abc"},
		{"docker://sha256:abc", "abc"},
		{" sha256:abc ", "abc"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			if got := digestHex(tc.in); got != tc.want {
				t.Errorf("digestHex(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestNodeHolding(t *testing.T) {
	ref := testRepo + ":v1"
	for _, tc := range []struct {
		name   string
		images []NodeImage
		builds map[Variant]Build
		want   Holding
	}{
		{"empty cache", nil, testBuilds, HoldsNone},
		{"other tag only", []NodeImage{{ID: hexNodeConfig, RepoTags: []string{testRepo + ":latest"}}}, testBuilds, HoldsNone},
		{"dangling image", []NodeImage{{ID: hexNodeConfig, RepoDigests: []string{testRepo + "@sha256:" + hexNodeManifest}}}, testBuilds, HoldsNone},
		{"CRI-O id without prefix", []NodeImage{{ID: hexNodeConfig, RepoTags: []string{ref}}}, testBuilds, HoldsNode},
		{"containerd id with prefix", []NodeImage{{ID: "sha256:" + hexRegConfig, RepoTags: []string{ref}}}, testBuilds, HoldsRegistry},
		{"by repo digest when the id is unknown", []NodeImage{{ID: hexForeign, RepoTags: []string{ref}, RepoDigests: []string{testRepo + "@sha256:" + hexRegManifest}}}, testBuilds, HoldsRegistry},
		{"by repo digest when builds lack image ids", []NodeImage{{ID: hexNodeConfig, RepoTags: []string{ref}, RepoDigests: []string{testRepo + "@sha256:" + hexNodeManifest}}},
			map[Variant]Build{VariantNode: {Digest: "sha256:" + hexNodeManifest}, VariantRegistry: {Digest: "sha256:" + hexRegManifest}}, HoldsNode},
		{"unknown image", []NodeImage{{ID: hexForeign, RepoTags: []string{ref}, RepoDigests: []string{testRepo + "@sha256:" + hexForeign}}}, testBuilds, HoldsOther},
		{"tag must match exactly", []NodeImage{{ID: hexNodeConfig, RepoTags: []string{ref + "0", "pulllab/custom-image-java:v1"}}}, testBuilds, HoldsNone},
		{"the tagged image wins over a dangling one", []NodeImage{
			{ID: hexNodeConfig, RepoDigests: []string{testRepo + "@sha256:" + hexNodeManifest}},
			{ID: hexRegConfig, RepoTags: []string{ref}, RepoDigests: []string{testRepo + "@sha256:" + hexRegManifest}},
		}, testBuilds, HoldsRegistry},
		{"empty build digests match nothing", []NodeImage{{ID: "", RepoTags: []string{ref}, RepoDigests: []string{""}}}, map[Variant]Build{VariantNode: {}}, HoldsOther},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := NodeHolding(tc.images, ref, tc.builds); got != tc.want {
				t.Errorf("NodeHolding = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestRegistryHolding(t *testing.T) {
	for _, tc := range []struct {
		digest string
		want   Holding
	}{
		{"", HoldsNone},
		{"sha256:" + hexNodeManifest, HoldsNode},
		{"sha256:" + hexRegManifest, HoldsRegistry},
		{hexRegManifest, HoldsRegistry},
		{"sha256:" + hexRegConfig, HoldsOther}, // a config digest is not a manifest digest
		{"sha256:" + hexForeign, HoldsOther},
	} {
		t.Run(tc.digest, func(t *testing.T) {
			if got := RegistryHolding(tc.digest, testBuilds); got != tc.want {
				t.Errorf("RegistryHolding(%q) = %s, want %s", tc.digest, got, tc.want)
			}
		})
	}
}

func TestReadState(t *testing.T) {
	ctx := context.Background()
	f := newFakeLab()
	builds := map[Variant]Build{}
	for _, v := range Variants {
		b, err := f.Build(ctx, v, testWARs[v])
		if err != nil {
			t.Fatal(err)
		}
		builds[v] = b
	}
	f.seedNode(AppTag, VariantNode)
	f.tags[AppTag] = builds[VariantRegistry].Digest
	s, err := ReadState(ctx, f, f, []string{AppTag, LatestTag}, builds)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Snapshot(AppTag); got != (StateSnapshot{Tag: AppTag, Node: HoldsNode, Registry: HoldsRegistry}) {
		t.Errorf("v1: %+v", got)
	}
	if got := s.Snapshot(LatestTag); got != (StateSnapshot{Tag: LatestTag, Node: HoldsNone, Registry: HoldsNone}) {
		t.Errorf("latest: %+v", got)
	}
	if s.Digests[AppTag] != builds[VariantRegistry].Digest || s.Digests[LatestTag] != "" {
		t.Errorf("digests %v", s.Digests)
	}

	f.hook = func(_ context.Context, call string) error {
		if strings.HasPrefix(call, "AppDigest") {
			return errors.New("unauthorized")
		}
		return nil
	}
	if _, err := ReadState(ctx, f, f, []string{AppTag}, builds); err == nil || !strings.Contains(err.Error(), `reading what the registry serves under "v1": unauthorized`) {
		t.Errorf("err = %v", err)
	}
}

func TestStateKeyIgnoresNoneAndDigests(t *testing.T) {
	a := State{Node: map[string]Holding{AppTag: HoldsNone}, Digests: map[string]string{AppTag: "sha256:x"}}
	if a.key() != (State{}).key() {
		t.Errorf("key %q differs from the empty state's %q", a.key(), State{}.key())
	}
	b := State{Node: map[string]Holding{AppTag: HoldsNode}}
	if b.key() == a.key() {
		t.Error("different states share a key")
	}
}

func TestDistinctVariants(t *testing.T) {
	a, b := "sha256:"+strings.Repeat("a", 64), "sha256:"+strings.Repeat("b", 64)
	for _, tc := range []struct {
		name         string
		node, reg    string
		wantTogether bool
	}{
		{"different images", a, b, false},
		{"one image", a, a, true},
		{"one image, one digest without its algorithm", a, strings.Repeat("a", 64), true},
		{"digests not known", "", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := DistinctVariants(Build{Variant: VariantNode, Digest: tc.node}, Build{Variant: VariantRegistry, Digest: tc.reg})
			if (err != nil) != tc.wantTogether {
				t.Fatalf("DistinctVariants(%q, %q) = %v", tc.node, tc.reg, err)
			}
			if err != nil && !strings.Contains(err.Error(), "no case could tell them apart") {
				t.Errorf("error %q does not say why it matters", err)
			}
		})
	}
}
