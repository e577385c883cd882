package crcctl

import (
	"fmt"
	"strconv"
	"strings"
)

// Semver is a version as crc and OpenShift print them: MAJOR.MINOR.PATCH,
// an optional pre-release ("-okd-scos.4", "-rc.1") and build metadata
// ("+e90757"). A leading "v" and a missing PATCH ("4.21") are accepted.
type Semver struct {
	Major, Minor, Patch uint64
	// Pre are the dot-separated pre-release identifiers ("okd-scos", "4").
	Pre []string
	// Build is the build metadata after '+', ignored when comparing.
	Build string
}

// ParseSemver parses s. It never assumes a major version: "5.0.0" and
// "4.21.8" parse alike, as does "5.0.0-okd-scos.4".
func ParseSemver(s string) (Semver, error) {
	var v Semver
	in := strings.TrimPrefix(strings.TrimSpace(s), "v")
	if i := strings.IndexByte(in, '+'); i >= 0 {
		v.Build = in[i+1:]
		in = in[:i]
		if !validIdents(v.Build) {
			return Semver{}, fmt.Errorf("version %q: invalid build metadata", s)
		}
	}
	if i := strings.IndexByte(in, '-'); i >= 0 {
		pre := in[i+1:]
		in = in[:i]
		if !validIdents(pre) {
			return Semver{}, fmt.Errorf("version %q: invalid pre-release", s)
		}
		v.Pre = strings.Split(pre, ".")
	}
	parts := strings.Split(in, ".")
	if len(parts) < 2 || len(parts) > 3 {
		return Semver{}, fmt.Errorf("version %q: want MAJOR.MINOR[.PATCH]", s)
	}
	nums := []*uint64{&v.Major, &v.Minor, &v.Patch}
	for i, p := range parts {
		n, err := strconv.ParseUint(p, 10, 64)
		if err != nil {
			return Semver{}, fmt.Errorf("version %q: %q is not a number", s, p)
		}
		*nums[i] = n
	}
	return v, nil
}

// validIdents reports whether s is one or more non-empty dot-separated
// identifiers of ASCII letters, digits and '-'.
func validIdents(s string) bool {
	if s == "" {
		return false
	}
	for _, id := range strings.Split(s, ".") {
		if id == "" {
			return false
		}
		for _, r := range id {
			if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '-') {
				return false
			}
		}
	}
	return true
}

// String formats v without a leading "v".
func (v Semver) String() string {
	s := fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch)
	if len(v.Pre) > 0 {
		s += "-" + strings.Join(v.Pre, ".")
	}
	if v.Build != "" {
		s += "+" + v.Build
	}
	return s
}

// Compare orders versions by semantic-versioning precedence: numbers
// numerically (5.0.0 > 4.21.8), a pre-release before its release
// (5.0.0-okd-scos.4 < 5.0.0), build metadata ignored. It returns -1, 0 or 1.
func (v Semver) Compare(o Semver) int {
	for _, p := range [][2]uint64{{v.Major, o.Major}, {v.Minor, o.Minor}, {v.Patch, o.Patch}} {
		if p[0] != p[1] {
			return cmpUint(p[0], p[1])
		}
	}
	switch {
	case len(v.Pre) == 0 && len(o.Pre) == 0:
		return 0
	case len(v.Pre) == 0:
		return 1
	case len(o.Pre) == 0:
		return -1
	}
	for i := 0; i < len(v.Pre) && i < len(o.Pre); i++ {
		if c := compareIdent(v.Pre[i], o.Pre[i]); c != 0 {
			return c
		}
	}
	return cmpUint(uint64(len(v.Pre)), uint64(len(o.Pre)))
}

// AtLeast reports whether v is min or newer, ignoring pre-releases: an
// OKD build "4.21.0-okd-scos.8" counts as 4.21.0 for a minimum.
func (v Semver) AtLeast(min Semver) bool {
	a, b := v, min
	a.Pre, b.Pre = nil, nil
	return a.Compare(b) >= 0
}

func compareIdent(a, b string) int {
	na, errA := strconv.ParseUint(a, 10, 64)
	nb, errB := strconv.ParseUint(b, 10, 64)
	switch {
	case errA == nil && errB == nil:
		return cmpUint(na, nb)
	case errA == nil:
		return -1 // numeric identifiers sort before alphanumeric ones
	case errB == nil:
		return 1
	}
	return strings.Compare(a, b)
}

func cmpUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// CompareVersions compares two versions by semantic-versioning precedence
// (see Semver.Compare). A version that does not parse sorts before any
// that does, so an unreadable version is never taken as recent enough.
func CompareVersions(a, b string) int {
	va, errA := ParseSemver(a)
	vb, errB := ParseSemver(b)
	switch {
	case errA != nil && errB != nil:
		return strings.Compare(a, b)
	case errA != nil:
		return -1
	case errB != nil:
		return 1
	}
	return va.Compare(vb)
}
