package suggest

import "testing"

func TestDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{{"", "", 0}, {"a", "", 1}, {"kitten", "sitting", 3}, {"ノード", "ノート", 1}, {"same", "same", 0}} {
		if got := Distance(tc.a, tc.b); got != tc.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestClosest(t *testing.T) {
	cands := []string{"output", "o", "extended", "cases", "doctor", "down"}
	for _, tc := range []struct{ in, want string }{
		{"outpt", "output"}, {"outptu", "output"}, {"ext", "extended"}, {"bogus", ""},
		{"docter", "doctor"}, {"x", ""}, {"output", ""}, {"OUTPT", "output"},
	} {
		if got := Closest(tc.in, cands); got != tc.want {
			t.Errorf("Closest(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
