package report

import (
	"bytes"
	"encoding/xml"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/pulllab/pulllab/lab"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/ and the renderings in docs/sample from the current renderers")

// fixtures are the Results the golden files are rendered from, by the
// prefix of their golden files.
var fixtures = []struct {
	prefix string
	build  func() *lab.Results
}{
	{"", fixtureOpenShift},
	{"mismatch-", fixtureMismatch},
	{"kubernetes-", fixtureKubernetes},
	{"kep-on-", fixtureKEPOn},
	{"kep-off-", fixtureKEPOff},
}

// renderer is one output format.
type renderer struct {
	file   string
	render func(*bytes.Buffer, *lab.Results) error
}

func renderers() []renderer {
	rs := []renderer{{"junit.xml", func(b *bytes.Buffer, r *lab.Results) error { return JUnit(b, r) }}}
	for _, l := range Languages {
		rs = append(rs,
			renderer{"report." + l + ".md", func(b *bytes.Buffer, r *lab.Results) error { return Markdown(b, r, l) }},
			renderer{"summary." + l + ".txt", func(b *bytes.Buffer, r *lab.Results) error { return Summary(b, r, l) }},
		)
	}
	return rs
}

func render(t *testing.T, rd renderer, r *lab.Results) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := rd.render(&b, r); err != nil {
		t.Fatalf("rendering %s: %v", rd.file, err)
	}
	return b.Bytes()
}

// compare checks got against the file at path, or rewrites the file with -update.
func compare(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading %s (run go test ./lab/report/ -update to create it): %v", path, err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the renderer's output (run go test ./lab/report/ -update and review the diff)\n%s", path, firstDiff(string(want), string(got)))
	}
}

// firstDiff shows the first line where want and got differ.
func firstDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(w), len(g)); i++ {
		var a, b string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			b = g[i]
		}
		if a != b {
			return fmt.Sprintf("line %d:\n  want: %q\n  got:  %q", i+1, a, b)
		}
	}
	return "(same lines, different bytes)"
}

func TestGolden(t *testing.T) {
	for _, f := range fixtures {
		for _, rd := range renderers() {
			name := f.prefix + rd.file
			t.Run(name, func(t *testing.T) {
				compare(t, filepath.Join("testdata", name+".golden"), render(t, rd, f.build()))
			})
		}
	}
	t.Run("results.json", func(t *testing.T) {
		r := fixtureOpenShift()
		var plain, redacted bytes.Buffer
		if err := r.WriteJSON(&plain); err != nil {
			t.Fatal(err)
		}
		if err := JSON(&redacted, r); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(plain.Bytes(), redacted.Bytes()) {
			t.Errorf("JSON changed results that hold no secret:\n%s", firstDiff(plain.String(), redacted.String()))
		}
		compare(t, filepath.Join("testdata", "results.json.golden"), plain.Bytes())
	})
}

// TestRoundTrip checks that rendering from results.json gives the same
// bytes as rendering the Results it was written from, so `pulllab report`
// reproduces the report of `pulllab verify`.
func TestRoundTrip(t *testing.T) {
	for _, f := range fixtures {
		r := f.build()
		var js bytes.Buffer
		if err := r.WriteJSON(&js); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "results.json")
		if err := os.WriteFile(path, js.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		back, err := lab.ReadResults(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, rd := range renderers() {
			t.Run(f.prefix+rd.file, func(t *testing.T) {
				a, b := render(t, rd, r), render(t, rd, back)
				if !bytes.Equal(a, b) {
					t.Errorf("rendering differs after a JSON round trip:\n%s", firstDiff(string(a), string(b)))
				}
				if c := render(t, rd, r); !bytes.Equal(a, c) {
					t.Errorf("two renderings of the same results differ:\n%s", firstDiff(string(a), string(c)))
				}
			})
		}
	}
}

// sampleRuns are the real e2e runs shipped with the docs, one per kubelet:
// docs/sample/<run>/ (PULLLAB_E2E_SAMPLE_DIR=$PWD/docs/sample make e2e).
var sampleRuns = []string{"v1.34.4-cri-o", "v1.37.2-containerd"}

// sampleDir is the directory of one sample run.
func sampleDir(run string) string { return filepath.Join("..", "..", "docs", "sample", run) }

// TestSampleInSync fails when a docs/sample run is not exactly what the
// renderers make of its results.json (which a real run wrote and nothing
// rewrites). With -update it re-renders them.
func TestSampleInSync(t *testing.T) {
	files := map[string]renderer{}
	for _, rd := range renderers() {
		files[rd.file] = rd
	}
	for _, run := range sampleRuns {
		r, err := lab.ReadResults(filepath.Join(sampleDir(run), "results.json"))
		if err != nil {
			t.Fatal(err)
		}
		if r.Tool.Version == syntheticVersion {
			t.Fatalf("%s holds the synthetic fixture, not a real run", run)
		}
		for name, from := range map[string]string{
			"report.md":    "report.en.md",
			"report.ja.md": "report.ja.md",
			"junit.xml":    "junit.xml",
		} {
			t.Run(run+"/"+name, func(t *testing.T) {
				compare(t, filepath.Join(sampleDir(run), name), render(t, files[from], r))
			})
		}
	}
}

func TestLanguages(t *testing.T) {
	r := fixtureOpenShift()
	for _, lang := range []string{"fr", "", "EN", "jp"} {
		t.Run("unknown "+lang, func(t *testing.T) {
			var b bytes.Buffer
			if err := Markdown(&b, r, lang); err == nil || !strings.Contains(err.Error(), "en, ja") {
				t.Errorf("Markdown(%q) error = %v, want one that lists en, ja", lang, err)
			}
			if err := Summary(&b, r, lang); err == nil {
				t.Errorf("Summary(%q) succeeded", lang)
			}
			if b.Len() != 0 {
				t.Errorf("wrote %d bytes for an unknown language", b.Len())
			}
		})
	}
	for _, lang := range Languages {
		t.Run("nil results "+lang, func(t *testing.T) {
			if err := Markdown(&bytes.Buffer{}, nil, lang); err == nil {
				t.Error("Markdown accepted nil results")
			}
		})
	}
	if err := JUnit(&bytes.Buffer{}, nil); err == nil {
		t.Error("JUnit accepted nil results")
	}
}

func TestTableHeaders(t *testing.T) {
	want := map[string]string{
		"en": "| No. | imagePullPolicy | image on node | image in registry | expected behaviour |",
		"ja": "| No. | imagePullPolicy | ノードにイメージあり | レジストリにイメージあり | 想定挙動 |",
	}
	for _, f := range fixtures {
		for _, lang := range Languages {
			t.Run(f.prefix+lang, func(t *testing.T) {
				var b bytes.Buffer
				if err := Markdown(&b, f.build(), lang); err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(b.String(), "\n"+want[lang]+"\n|---|---|---|---|---|\n") {
					t.Errorf("the expected table's header is not exactly %q", want[lang])
				}
			})
		}
	}
}

// TestMermaid checks the flowchart against the rules GitHub's Mermaid needs:
// flowchart TD, every node label and edge label quoted, no node called end.
func TestMermaid(t *testing.T) {
	shape := regexp.MustCompile(`\b([A-Za-z][A-Za-z0-9_]*)(\(\[|\[|\{|\()`)
	for _, lang := range Languages {
		t.Run(lang, func(t *testing.T) {
			var b bytes.Buffer
			if err := Markdown(&b, fixtureOpenShift(), lang); err != nil {
				t.Fatal(err)
			}
			s := b.String()
			start := strings.Index(s, "```mermaid\n")
			if start < 0 {
				t.Fatal("no mermaid block")
			}
			block := s[start+len("```mermaid\n"):]
			block = block[:strings.Index(block, "```")]
			lines := strings.Split(strings.TrimSpace(block), "\n")
			if lines[0] != "flowchart TD" {
				t.Errorf("first line %q, want flowchart TD", lines[0])
			}
			for _, l := range lines[1:] {
				l = strings.TrimSpace(l)
				if strings.HasPrefix(l, "classDef ") || strings.HasPrefix(l, "class ") {
					continue
				}
				for _, m := range shape.FindAllStringSubmatchIndex(l, -1) {
					id := l[m[2]:m[3]]
					if strings.EqualFold(id, "end") {
						t.Errorf("node named %q: %s", id, l)
					}
					if rest := l[m[1]:]; !strings.HasPrefix(rest, `"`) {
						t.Errorf("unquoted label after %s: %s", id, l)
					}
				}
				for _, part := range strings.Split(l, "-->")[1:] {
					if p := strings.TrimSpace(part); strings.HasPrefix(p, "|") && !strings.HasPrefix(p, `|"`) {
						t.Errorf("unquoted edge label: %s", l)
					}
				}
			}
			for _, id := range []string{"cached", "fresh", "neverPull", "backoff"} {
				if !strings.Contains(block, id+`["`) {
					t.Errorf("outcome %s missing", id)
				}
			}
		})
	}
}

// TestLesson checks that the lesson claims only what the results show.
func TestLesson(t *testing.T) {
	only := func(ids ...int) func() *lab.Results {
		return func() *lab.Results {
			r := fixtureOpenShift()
			var keep []lab.CaseResult
			for _, c := range r.Cases {
				for _, id := range ids {
					if c.Case.ID == id {
						keep = append(keep, c)
					}
				}
			}
			r.Cases = keep
			r.Tally()
			return r
		}
	}
	tests := []struct {
		name    string
		results func() *lab.Results
		lang    string
		want    []string
		notWant []string
	}{
		{"stale image shown", fixtureOpenShift, "en",
			[]string{"Case 6 is the trap", "Case 9 shows it", "Case 2 shows it", "as case 1 shows", "Case 10 shows it"},
			[]string{"did not show a stale image", "--extended"}},
		{"stale image not shown", fixtureMismatch, "en",
			[]string{"Case 6 (IfNotPresent, the older build cached on the node, the newer one in the registry)\ndid not show a stale image in this run: the registry variant (`registry.war`) ran.",
				"KubeletEnsureSecretPulledImages was on", "Case 9 demonstrates it; it runs with `pulllab verify --extended`"},
			[]string{"is the trap", "Case 9 shows it", "Case 10"}},
		{"case 6 not run", only(1, 2, 3), "en",
			[]string{"was not part of this run", "Case 2 shows it"},
			[]string{"is the trap", "did not show"}},
		{"stale image shown ja", fixtureOpenShift, "ja",
			[]string{"ケース 6 こそ、この検証で確かめたかった落とし穴です", "ケース 9 がこれを示しています"},
			[]string{"見られませんでした"}},
		{"stale image not shown ja", fixtureMismatch, "ja",
			[]string{"古いイメージでの起動は見られませんでした。registry 版（`registry.war`）が起動しました。", "ケース 9 で確認でき"},
			[]string{"落とし穴です"}},
		{"case 6 not run ja", only(4, 5), "ja",
			[]string{"今回の実行に含まれていない"},
			[]string{"落とし穴です", "見られませんでした"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := Markdown(&b, tt.results(), tt.lang); err != nil {
				t.Fatal(err)
			}
			s := b.String()
			lesson := s[strings.Index(s, "\n## "+map[string]string{"en": "The lesson", "ja": "教訓"}[tt.lang]):]
			lesson = lesson[:strings.Index(lesson[1:], "\n## ")+1]
			for _, w := range tt.want {
				if !strings.Contains(lesson, w) {
					t.Errorf("lesson lacks %q:\n%s", w, lesson)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(lesson, w) {
					t.Errorf("lesson claims %q:\n%s", w, lesson)
				}
			}
		})
	}
}

func TestVerdictLine(t *testing.T) {
	tests := []struct {
		name    string
		results func() *lab.Results
		want    map[string]string
	}{
		{"all pass", fixtureOpenShift, map[string]string{
			"en": "**10 of 10 cases behaved as expected.**",
			"ja": "**10 ケース中 10 ケースが想定どおりの挙動でした。**",
		}},
		{"fail and error", fixtureMismatch, map[string]string{
			"en": "**4 of 6 cases behaved as expected; 1 did not (fail) and 1 could not be evaluated (error).**",
			"ja": "**6 ケース中 4 ケースが想定どおりでした。1 ケースは想定と異なり（fail）、1 ケースは評価できませんでした（error）。**",
		}},
		{"interrupted", func() *lab.Results {
			r := fixtureKubernetes()
			r.Cases, r.Interrupted = r.Cases[:2], true
			return r
		}, map[string]string{
			"en": "**2 of 2 cases behaved as expected. The run was interrupted before every case ran.**",
			"ja": "**2 ケース中 2 ケースが想定どおりの挙動でした。実行が途中で中断されたため、すべてのケースは実行されていません。**",
		}},
		{"stale summary is recounted", func() *lab.Results {
			r := fixtureOpenShift()
			r.Summary = lab.Summary{Total: 99, Passed: 99}
			r.Cases[0].Verdict = lab.VerdictFail
			return r
		}, map[string]string{
			"en": "**9 of 10 cases behaved as expected; 1 did not (fail) and 0 could not be evaluated (error).**",
		}},
	}
	for _, tt := range tests {
		for lang, want := range tt.want {
			t.Run(tt.name+" "+lang, func(t *testing.T) {
				var b bytes.Buffer
				if err := Markdown(&b, tt.results(), lang); err != nil {
					t.Fatal(err)
				}
				if lines := strings.SplitN(b.String(), "\n", 4); lines[2] != want {
					t.Errorf("verdict line %q, want %q", lines[2], want)
				}
			})
		}
	}
}

// TestJUnitWellFormed parses the XML back and checks it against the results.
func TestJUnitWellFormed(t *testing.T) {
	for _, f := range fixtures {
		t.Run(strings.TrimSuffix(f.prefix, "-")+"junit", func(t *testing.T) {
			r := f.build()
			var b bytes.Buffer
			if err := JUnit(&b, r); err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(b.String(), xml.Header) {
				t.Error("JUnit does not start with xml.Header")
			}
			var got junitSuites
			if err := xml.Unmarshal(b.Bytes(), &got); err != nil {
				t.Fatalf("JUnit is not well-formed: %v", err)
			}
			if got.Tests != len(r.Cases) || got.Failures != r.Summary.Failed || got.Errors != r.Summary.Errors {
				t.Errorf("testsuites tests/failures/errors = %d/%d/%d, want %d/%d/%d",
					got.Tests, got.Failures, got.Errors, len(r.Cases), r.Summary.Failed, r.Summary.Errors)
			}
			seen := map[string]bool{}
			n := 0
			for _, s := range got.Suites {
				if !strings.HasPrefix(s.Name, "pulllab.") || s.Timestamp == "" || len(s.Properties) == 0 {
					t.Errorf("suite %q: name, timestamp or properties missing", s.Name)
				}
				if s.Tests != len(s.Cases) {
					t.Errorf("suite %s: tests=%d, has %d testcases", s.Name, s.Tests, len(s.Cases))
				}
				for _, c := range s.Cases {
					n++
					if c.Classname != s.Name {
						t.Errorf("testcase %s: classname %q in suite %q", c.Name, c.Classname, s.Name)
					}
					key := c.Classname + "/" + c.Name
					if seen[key] {
						t.Errorf("duplicate testcase %s", key)
					}
					seen[key] = true
					if !strings.HasPrefix(c.Name, "case-") {
						t.Errorf("testcase name %q", c.Name)
					}
					if c.SystemOut == nil || !strings.Contains(c.SystemOut.Text, "expected:") {
						t.Errorf("testcase %s: no evidence in system-out", c.Name)
					}
				}
			}
			if n != len(r.Cases) {
				t.Errorf("%d testcases, want %d", n, len(r.Cases))
			}
		})
	}
	t.Run("suites per policy", func(t *testing.T) {
		var b bytes.Buffer
		if err := JUnit(&b, fixtureOpenShift()); err != nil {
			t.Fatal(err)
		}
		var got junitSuites
		if err := xml.Unmarshal(b.Bytes(), &got); err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, s := range got.Suites {
			names = append(names, fmt.Sprintf("%s:%d", s.Name, s.Tests))
		}
		want := "pulllab.Always:2 pulllab.IfNotPresent:5 pulllab.Never:2 pulllab.default:1"
		if strings.Join(names, " ") != want {
			t.Errorf("suites %v, want %s", names, want)
		}
	})
	t.Run("hostile text", func(t *testing.T) {
		r := fixtureKubernetes()
		var o *lab.Observation
		for _, c := range r.Cases {
			if c.Case.ID == 1 { // the first testcase of the first suite
				o = c.Observation
			}
		}
		o.LogLine = "\x1b[32mINFO\x1b[0m ]]> <deploy> \x00\x07 \"node.war\" & done"
		o.Events[0].Message = "]]></system-out><injected/>"
		var b bytes.Buffer
		if err := JUnit(&b, r); err != nil {
			t.Fatal(err)
		}
		var got junitSuites
		if err := xml.Unmarshal(b.Bytes(), &got); err != nil {
			t.Fatalf("JUnit with hostile text is not well-formed: %v", err)
		}
		out := got.Suites[0].Cases[0].SystemOut.Text
		if !strings.Contains(out, "]]></system-out><injected/>") || !strings.Contains(out, `INFO ]]> <deploy>`) {
			t.Errorf("system-out lost text:\n%s", out)
		}
		if strings.ContainsRune(out, 0x1b) || strings.ContainsRune(out, 0) {
			t.Error("system-out kept terminal escape codes or NUL")
		}
		dec := xml.NewDecoder(bytes.NewReader(b.Bytes()))
		for {
			tok, err := dec.Token()
			if err != nil {
				break
			}
			if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "injected" {
				t.Error("text from an event message became an XML element")
			}
		}
	})
}

func TestPodLines(t *testing.T) {
	tests := []struct {
		name string
		line string
		want []string
	}{
		{"running", "custom-image-java-6f8d9b7c5d-x7k2p 1/1 Running 0 21s", []string{
			"NAME                                 READY   STATUS    RESTARTS   AGE",
			"custom-image-java-6f8d9b7c5d-x7k2p   1/1     Running   0          21s",
		}},
		{"restarts with a note", "app-1 0/1 CrashLoopBackOff 2 (10s ago) 1m", []string{
			"NAME    READY   STATUS             RESTARTS      AGE",
			"app-1   0/1     CrashLoopBackOff   2 (10s ago)   1m",
		}},
		{"not a pod line", "no pod", []string{"NAME   READY   STATUS   RESTARTS   AGE", "no pod"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := podLines(tt.line)
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("podLines(%q) =\n%s\nwant\n%s", tt.line, strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

// TestSummaryAligned checks that every column starts at the same display
// column on every line, Japanese headers included.
func TestSummaryAligned(t *testing.T) {
	for _, lang := range Languages {
		t.Run(lang, func(t *testing.T) {
			var b bytes.Buffer
			if err := Summary(&b, fixtureOpenShift(), lang); err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSpace(b.String()), "\n")
			if len(lines) != 1+10+2 {
				t.Fatalf("%d lines, want a header, 10 rows, a blank line and a total:\n%s", len(lines), b.String())
			}
			starts := func(l string) []int {
				var s []int
				col, prevSpace := 0, 0
				for _, r := range l {
					if r != ' ' && prevSpace >= 2 {
						s = append(s, col)
					}
					if r == ' ' {
						prevSpace++
					} else {
						prevSpace = 0
					}
					col += width(string(r))
				}
				return s
			}
			want := starts(lines[0])
			if len(want) != 7 {
				t.Fatalf("header has %d column starts, want 7: %q", len(want), lines[0])
			}
			for _, l := range lines[1:11] {
				if got := starts(l); fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("columns of %q start at %v, header at %v", l, got, want)
				}
			}
		})
	}
}

func TestWidth(t *testing.T) {
	tests := map[string]int{"": 0, "abc": 3, "ポリシー": 8, "（省略）": 8, "No.": 3, "é": 1, "e\u0301": 1, "⚠️": 1}
	for s, want := range tests {
		if got := width(s); got != want {
			t.Errorf("width(%q) = %d, want %d", s, got, want)
		}
	}
}

func TestMarkdownEscaping(t *testing.T) {
	tests := []struct{ in, cell, code string }{
		{"a|b", `a\|b`, "`a|b`"},
		{"<none>", "&lt;none&gt;", "`<none>`"},
		{"two\nlines", "two lines", "`two lines`"},
		{"has `tick`", "has `tick`", "`` has `tick` ``"},
		{"", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := cell(tt.in); got != tt.cell {
				t.Errorf("cell(%q) = %q, want %q", tt.in, got, tt.cell)
			}
			if got := codeSpan(tt.in); got != tt.code {
				t.Errorf("codeSpan(%q) = %q, want %q", tt.in, got, tt.code)
			}
		})
	}
	if got := fence("x ``` y"); got != "````" {
		t.Errorf("fence = %q", got)
	}
}

// TestSparseResults renders results with little in them: no builds, no
// environment, a pod that timed out without a pod line or events, a case
// that never deployed, a verdict pulllab does not know.
func TestSparseResults(t *testing.T) {
	c6, _ := lab.CaseByID(6)
	c10, _ := lab.CaseByID(10)
	c1, _ := lab.CaseByID(1)
	r := &lab.Results{
		SchemaVersion: lab.SchemaVersion,
		Environment:   lab.Environment{Target: "kubernetes"},
		Cases: []lab.CaseResult{
			{Case: c6, Order: 1, Image: "x:v1", Observation: &lab.Observation{Pod: "p", TimedOut: true}, Verdict: lab.VerdictError, Detail: "timed out after 5m0s"},
			{Case: c10, Order: 2, Verdict: ""},
			{Case: c1, Order: 3, Verdict: lab.VerdictFail, Observed: &lab.Expect{Outcome: lab.OutcomeRuns, Variant: lab.VariantNode}},
			{Case: c6, Order: 4, Verdict: lab.VerdictFail, Observed: &lab.Expect{Outcome: lab.OutcomeRuns, Variant: lab.VariantUnknown},
				RanVariant: lab.VariantUnknown, LogVariant: lab.VariantNode,
				Observation: &lab.Observation{PodLine: "p 1/1 Running 0 3s", Status: "Running", ImageID: "x@sha256:0123456789abcdef0123"}},
		},
	}
	for _, rd := range renderers() {
		t.Run(rd.file, func(t *testing.T) {
			out := string(render(t, rd, r))
			for _, bad := range []string{"<no value>", "<nil>", "%!", "unknown.war", "unknown 版", "**unknown**"} {
				if strings.Contains(out, bad) {
					t.Errorf("output contains %q:\n%s", bad, out)
				}
			}
		})
	}
	var b bytes.Buffer
	if err := Markdown(&b, r, "en"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"**0 of 4 cases behaved as expected; 2 did not (fail) and 2 could not be evaluated (error).**",
		"It matches neither variant's digest. The log names `node.war`: the node variant. **Digest and log disagree.**",
		"Observed: runs an image that is neither variant.",
		"| 6 | IfNotPresent | runs `node.war` | runs an image that is neither variant | neither | node | ❌ fail |",
		"| node | `node.war` | not recorded | — | — |",
		"The pod reached no terminal state before the timeout.",
		"Observed: timed out. pulllab's explanation: timed out after 5m0s.",
		"The application was not deployed",
		"Peak resident memory of pulllab: not measured.",
		"pulllab did not record whether the gate is in force",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if strings.Contains(b.String(), "Kubelet events") && !strings.Contains(b.String(), "no events about the image recorded") {
		t.Error("a pod without events shows an empty events table")
	}
}

// TestNoPlaceholders checks every golden output for template leftovers.
func TestNoPlaceholders(t *testing.T) {
	for _, f := range fixtures {
		for _, rd := range renderers() {
			t.Run(f.prefix+rd.file, func(t *testing.T) {
				out := string(render(t, rd, f.build()))
				for _, bad := range []string{"<no value>", "<nil>", "%!", "{{", "}}"} {
					if strings.Contains(out, bad) {
						t.Errorf("output contains %q", bad)
					}
				}
			})
		}
	}
}
