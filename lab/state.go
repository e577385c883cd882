package lab

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// State is what the node's image cache and the registry hold under each of
// the app's tags. A tag missing from a map holds nothing (HoldsNone), so the
// zero State is an empty lab.
type State struct {
	// Node maps a tag to what the node's cache holds under the app's
	// reference with that tag.
	Node map[string]Holding `json:"node" yaml:"node"`
	// Registry maps a tag to what the registry serves under it.
	Registry map[string]Holding `json:"registry" yaml:"registry"`
	// Digests maps a tag to the manifest digest the registry serves under
	// it. It is filled by ReadState; planned (simulated) states leave it
	// empty.
	Digests map[string]string `json:"digests,omitempty" yaml:"digests,omitempty"`
	// Pulled marks the tags whose node image the kubelet pulled for a pod
	// with the lab's pull secret during this run (the runner knows it; the
	// node's cache cannot tell). Only a node holding of a variant can be
	// pulled.
	Pulled map[string]bool `json:"pulled,omitempty" yaml:"pulled,omitempty"`
}

// PulledAt reports whether the node's image under tag was pulled by the
// kubelet with the lab's pull secret during this run.
func (s State) PulledAt(tag string) bool { return s.Pulled[tag] && s.NodeAt(tag).Variant() != "" }

// NodeAt returns what the node holds under tag.
func (s State) NodeAt(tag string) Holding { return holdingAt(s.Node, tag) }

// RegistryAt returns what the registry serves under tag.
func (s State) RegistryAt(tag string) Holding { return holdingAt(s.Registry, tag) }

func holdingAt(m map[string]Holding, tag string) Holding {
	if h, ok := m[tag]; ok && h != "" {
		return h
	}
	return HoldsNone
}

// Snapshot returns the state under one tag, as results.json records it.
func (s State) Snapshot(tag string) StateSnapshot {
	return StateSnapshot{Tag: tag, Node: s.NodeAt(tag), Registry: s.RegistryAt(tag)}
}

// Clone returns a deep copy.
func (s State) Clone() State {
	return State{Node: cloneMap(s.Node), Registry: cloneMap(s.Registry), Digests: cloneMap(s.Digests), Pulled: cloneMap(s.Pulled)}
}

func cloneMap[V any](m map[string]V) map[string]V {
	out := make(map[string]V, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// Tags returns every tag the state mentions, sorted.
func (s State) Tags() []string {
	seen := map[string]bool{}
	for t := range s.Node {
		seen[t] = true
	}
	for t := range s.Registry {
		seen[t] = true
	}
	out := make([]string, 0, len(seen))
	for t := range seen {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// digestHex reduces the spellings of an image digest or ID that registries,
// container runtimes and the kubelet use to its bare lower-case hex:
// "repo@sha256:abc", "docker-pullable://repo@sha256:abc", "sha256:abc" and
// "abc" all become "abc". It returns "" for an empty input.
func digestHex(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndex(s, "@"); i >= 0 {
		s = s[i+1:]
	} else if i := strings.Index(s, "://"); i >= 0 {
		s = s[i+3:]
	}
	s = strings.TrimPrefix(s, "sha256:")
	return strings.ToLower(s)
}

// sameDigest reports whether two spellings name the same non-empty digest.
func sameDigest(a, b string) bool {
	ha, hb := digestHex(a), digestHex(b)
	return ha != "" && ha == hb
}

// DistinctVariants checks that the node and registry variants were built
// into different images: with one digest, no case could tell them apart.
func DistinctVariants(node, registry Build) error {
	if sameDigest(node.Digest, registry.Digest) {
		return fmt.Errorf("both variants have the digest %s, so no case could tell them apart; the node and registry WARs must differ", node.Digest)
	}
	return nil
}

// NodeHolding returns what the node's cache holds under ref: the image whose
// repo tags contain ref exactly, mapped to a variant by VariantOfImageID of
// its ID (the config digest; CRI-O IDs have no "sha256:" prefix,
// containerd's do) or of one of its repo digests (manifest digests). No such
// image is HoldsNone; an image that is neither variant is HoldsOther.
func NodeHolding(images []NodeImage, ref string, builds map[Variant]Build) Holding {
	for _, img := range images {
		if !slices.Contains(img.RepoTags, ref) {
			continue
		}
		for _, id := range append([]string{img.ID}, img.RepoDigests...) {
			if v := VariantOfImageID(id, builds); v != "" {
				return Holds(v)
			}
		}
		return HoldsOther
	}
	return HoldsNone
}

// RegistryHolding returns what the registry serves given the manifest digest
// under a tag: "" is HoldsNone, a variant's digest that variant, anything
// else HoldsOther.
func RegistryHolding(digest string, builds map[Variant]Build) Holding {
	if digestHex(digest) == "" {
		return HoldsNone
	}
	for _, v := range Variants {
		if b, ok := builds[v]; ok && sameDigest(digest, b.Digest) {
			return Holds(v)
		}
	}
	return HoldsOther
}

// ReadState reads what the node's cache and the registry hold under each
// tag.
func ReadState(ctx context.Context, nc NodeCache, r Registry, tags []string, builds map[Variant]Build) (State, error) {
	images, err := nc.NodeImages(ctx)
	if err != nil {
		return State{}, fmt.Errorf("reading the node's image cache: %w", err)
	}
	s := State{Node: map[string]Holding{}, Registry: map[string]Holding{}, Digests: map[string]string{}}
	for _, tag := range tags {
		s.Node[tag] = NodeHolding(images, r.AppRef(tag), builds)
		d, err := r.AppDigest(ctx, tag)
		if err != nil {
			return State{}, fmt.Errorf("reading what the registry serves under %q: %w", tag, err)
		}
		s.Registry[tag] = RegistryHolding(d, builds)
		if d != "" {
			s.Digests[tag] = d
		}
	}
	return s, nil
}

// caseTags returns the tags the cases depend on, once each, in the order of
// the cases' IDs (so "v1" comes before "latest").
func caseTags(cases []Case) []string {
	cs := slices.Clone(cases)
	slices.SortStableFunc(cs, func(a, b Case) int { return a.ID - b.ID })
	var out []string
	for _, c := range cs {
		if t := c.Ref.Tag(); !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}
