package lab

// Test-only helpers of State: building a state tag by tag, and a canonical
// key to compare and print states.

import (
	"fmt"
	"sort"
	"strings"
)

// setNode records what the node holds under tag.
func (s *State) setNode(tag string, h Holding) {
	if s.Node == nil {
		s.Node = map[string]Holding{}
	}
	s.Node[tag] = h
}

// setRegistry records what the registry serves under tag.
func (s *State) setRegistry(tag string, h Holding) {
	if s.Registry == nil {
		s.Registry = map[string]Holding{}
	}
	s.Registry[tag] = h
}

// key is a canonical form of the holdings (digests left out), so equal
// states have equal keys. Tags holding nothing are omitted.
func (s State) key() string {
	var b strings.Builder
	for _, part := range []struct {
		name string
		m    map[string]Holding
	}{{"n", s.Node}, {"r", s.Registry}} {
		b.WriteString(part.name)
		for _, tag := range sortedTags(part.m) {
			if h := holdingAt(part.m, tag); h != HoldsNone {
				fmt.Fprintf(&b, "|%s=%s", tag, h)
			}
		}
		b.WriteByte(';')
	}
	b.WriteString("p")
	for _, tag := range sortedTags(s.Node) {
		if s.PulledAt(tag) {
			fmt.Fprintf(&b, "|%s", tag)
		}
	}
	b.WriteByte(';')
	return b.String()
}

// sortedTags returns the tags of m, sorted.
func sortedTags(m map[string]Holding) []string {
	out := make([]string, 0, len(m))
	for t := range m {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// NewPlan is NewPlanFor with the registry modelled per tag (RemovesTag).
func NewPlan(cases []Case, start State) Plan {
	return NewPlanFor(cases, start, RemovesTag)
}
