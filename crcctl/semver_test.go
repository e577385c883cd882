package crcctl

import (
	"strings"
	"testing"
)

func TestParseSemver(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		pre     int
		wantErr bool
	}{
		{in: "5.0.0", want: "5.0.0"},
		{in: "4.21.8", want: "4.21.8"},
		{in: "5.0.0-okd-scos.4", want: "5.0.0-okd-scos.4", pre: 2},
		{in: "4.21.0-okd-scos.8", want: "4.21.0-okd-scos.8", pre: 2},
		{in: "v2.65.0", want: "2.65.0"},
		{in: "2.65.0+e90757", want: "2.65.0+e90757"},
		{in: "4.21", want: "4.21.0"},
		{in: " 5.0.0-rc.1 ", want: "5.0.0-rc.1", pre: 2},
		{in: "", wantErr: true},
		{in: "5", wantErr: true},
		{in: "5.0.0.1", wantErr: true},
		{in: "5.x.0", wantErr: true},
		{in: "5.0.0-", wantErr: true},
		{in: "5.0.0-a..b", wantErr: true},
		{in: "5.0.0+", wantErr: true},
		{in: "-1.0.0", wantErr: true},
		{in: "0.0.0-unset", want: "0.0.0-unset", pre: 1},
	}
	for _, tt := range tests {
		v, err := ParseSemver(tt.in)
		if tt.wantErr {
			if err == nil {
				t.Errorf("ParseSemver(%q) = %v, want an error", tt.in, v)
			}
			continue
		}
		if err != nil || v.String() != tt.want || len(v.Pre) != tt.pre {
			t.Errorf("ParseSemver(%q) = %v (pre %q), %v; want %s", tt.in, v, v.Pre, err, tt.want)
		}
	}
}

func TestCompareVersions(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"2.57.0", "2.57.0", 0},
		{"2.60.1", "2.57.0", 1},
		{"2.54.0", "2.57.0", -1},
		{"v2.57", "2.57.0", 0},
		{"2.57.0+e90757", "2.57.0", 0},
		{"2.100.0", "2.99.9", 1},
		{"2.65.0", "2.60.1", 1},
		// OpenShift: the major version is a number like any other.
		{"5.0.0", "4.21.8", 1},
		{"4.21.8", "5.0.0", -1},
		{"10.0.0", "9.99.99", 1},
		{"5.0.0-okd-scos.4", "4.22.0-okd-scos.10", 1},
		{"5.0.0-okd-scos.4", "5.0.0", -1},
		{"4.22.0-okd-scos.10", "4.22.0-okd-scos.6", 1}, // numeric identifiers compare as numbers
		{"5.0.0-rc.1", "5.0.0-okd-scos.4", 1},
		{"5.0.0-1", "5.0.0-alpha", -1},
		{"5.0.0-alpha", "5.0.0-alpha.1", -1},
		// Unreadable versions are never newer.
		{"garbage", "4.14.0", -1},
		{"4.14.0", "garbage", 1},
	}
	for _, tt := range tests {
		if got := CompareVersions(tt.a, tt.b); got != tt.want {
			t.Errorf("CompareVersions(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
		if got := CompareVersions(tt.b, tt.a); got != -tt.want {
			t.Errorf("CompareVersions(%q, %q) = %d, want %d (antisymmetry)", tt.b, tt.a, got, -tt.want)
		}
	}
}

func TestSemverAtLeast(t *testing.T) {
	min, _ := ParseSemver(MinOpenShiftVersion)
	for in, want := range map[string]bool{
		"5.0.0": true, "4.21.8": true, "4.21.0-okd-scos.8": true, "5.0.0-okd-scos.4": true,
		MinOpenShiftVersion: true, "4.13.99": false, "3.11.0": false,
	} {
		v, err := ParseSemver(in)
		if err != nil || v.AtLeast(min) != want {
			t.Errorf("%s AtLeast %s = %v, %v; want %v", in, MinOpenShiftVersion, v.AtLeast(min), err, want)
		}
	}
}

// FuzzParseSemver: whatever crc or a cluster prints, parsing never panics,
// an accepted version round-trips through String, and Compare is a total
// order consistent with equality of the printed form.
func FuzzParseSemver(f *testing.F) {
	for _, s := range []string{"5.0.0", "4.21.8", "5.0.0-okd-scos.4", "2.65.0+e90757", "v4.21", "0.0.0-unset", "5.0.0-rc.1+b", "1.2.3-0.a.-"} {
		f.Add(s, "4.21.8")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		va, errA := ParseSemver(a)
		vb, errB := ParseSemver(b)
		if errA == nil {
			back, err := ParseSemver(va.String())
			if err != nil || back.Compare(va) != 0 || back.String() != va.String() {
				t.Fatalf("%q → %q does not round-trip: %v", a, va.String(), err)
			}
			if va.Compare(va) != 0 {
				t.Fatalf("%q differs from itself", a)
			}
			if strings.ContainsAny(va.String(), " \n") {
				t.Fatalf("%q prints with white space", a)
			}
		}
		if errA == nil && errB == nil {
			if va.Compare(vb) != -vb.Compare(va) {
				t.Fatalf("Compare(%q, %q) is not antisymmetric", a, b)
			}
		}
		if CompareVersions(a, b) != -CompareVersions(b, a) {
			t.Fatalf("CompareVersions(%q, %q) is not antisymmetric", a, b)
		}
	})
}
