package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/pulllab/pulllab/lab"
)

// TestSkippedCases renders a run whose cases 11 and 12 were skipped: JUnit
// marks them <skipped>, the summaries count them, and the run still reads
// as all passed.
func TestSkippedCases(t *testing.T) {
	r := fixtureKEPOn()
	for i := range r.Cases {
		if c := &r.Cases[i]; c.Case.ID >= 11 {
			c.Observation, c.Observed, c.RanVariant, c.LogVariant = nil, nil, "", ""
			c.Verdict = lab.VerdictSkipped
			c.Detail = "the registry serves the app's repository without credentials"
		}
	}
	r.Tally()
	if !r.Summary.OK() || r.Summary.Skipped != 2 {
		t.Fatalf("summary %+v", r.Summary)
	}
	for _, tc := range []struct {
		name   string
		render func(*bytes.Buffer) error
		want   []string
	}{
		{"junit", func(b *bytes.Buffer) error { return JUnit(b, r) }, []string{
			`skipped="2"`, `<skipped message="the registry serves the app&#39;s repository without credentials"></skipped>`}},
		{"summary en", func(b *bytes.Buffer) error { return Summary(b, r, "en") }, []string{" skipped\n", ", 2 skipped)"}},
		{"summary ja", func(b *bytes.Buffer) error { return Summary(b, r, "ja") }, []string{" skipped\n", "スキップ 2 件"}},
		{"report en", func(b *bytes.Buffer) error { return Markdown(b, r, "en") }, []string{"2 cannot show anything on this cluster (skipped)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := tc.render(&b); err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !strings.Contains(b.String(), w) {
					t.Errorf("output lacks %q", w)
				}
			}
		})
	}
}
