package report

import (
	"bytes"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"

	"github.com/pulllab/pulllab/lab"
)

// jaRenders are the Japanese reports of every fixture and of docs/sample.
func jaRenders(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	add := func(name string, r *lab.Results) {
		var b bytes.Buffer
		if err := Markdown(&b, r, "ja"); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out[name] = b.String()
	}
	for _, f := range fixtures {
		add(f.prefix+"report.ja.md", f.build())
	}
	for _, run := range sampleRuns {
		sample, err := lab.ReadResults(filepath.Join(sampleDir(run), "results.json"))
		if err != nil {
			t.Fatal(err)
		}
		add("docs/sample/"+run+"/report.ja.md", sample)
	}
	add("every explanation", explanationFixture())
	return out
}

// prose returns the lines of a Markdown text outside fenced blocks, with
// their line numbers.
func prose(md string) (lines []string, numbers []int) {
	fenced := ""
	for i, l := range strings.Split(md, "\n") {
		trimmed := strings.TrimSpace(l)
		if fenced != "" {
			if strings.HasPrefix(trimmed, fenced) && strings.Trim(trimmed, "`") == "" {
				fenced = ""
			}
			continue
		}
		if strings.HasPrefix(trimmed, "```") {
			fenced = trimmed[:len(trimmed)-len(strings.TrimLeft(trimmed, "`"))]
			continue
		}
		lines = append(lines, l)
		numbers = append(numbers, i+1)
	}
	return lines, numbers
}

var codeSpanRE = regexp.MustCompile("(`+)[^`]*?(`+)")

// stripCode replaces every code span with a placeholder code span.
func stripCode(l string) string {
	return codeSpanRE.ReplaceAllString(l, "`c`")
}

// quoted reports whether a line quotes what another tool wrote: a row of
// the kubelet events table (first cell Normal or Warning).
func quoted(l string) bool {
	return strings.HasPrefix(l, "| Normal |") || strings.HasPrefix(l, "| Warning |")
}

// englishRun finds four or more Latin words in a row, separated by
// blanks or light punctuation: an English sentence or phrase.
var englishRun = regexp.MustCompile(`[A-Za-z][A-Za-z'’.-]*(?:[ ,;:()]+[A-Za-z][A-Za-z'’.-]*){3,}`)

// names are the proper names of several words the ja report may write as
// they are.
var names = []string{"OpenShift Local", "JBoss EAP", "Red Hat Enterprise Linux CoreOS", "Red Hat", "Debian GNU/Linux", "Fedora CoreOS"}

// englishSentences returns the English phrases in prose lines of a ja
// report that are not code, fenced, a quoted event, or a name.
func englishSentences(md string) []string {
	var found []string
	lines, numbers := prose(md)
	for i, l := range lines {
		if quoted(l) {
			continue
		}
		s := stripCode(l)
		for _, n := range names {
			s = strings.ReplaceAll(s, n, "N")
		}
		for _, m := range englishRun.FindAllString(s, -1) {
			found = append(found, fmt.Sprintf("line %d: %q in %q", numbers[i], m, l))
		}
	}
	return found
}

func TestJapaneseHasNoEnglishSentences(t *testing.T) {
	for name, md := range jaRenders(t) {
		t.Run(name, func(t *testing.T) {
			for _, f := range englishSentences(md) {
				t.Error(f)
			}
		})
	}
	// The check itself finds what it is meant to find.
	for _, tt := range []struct {
		line string
		bad  bool
	}{
		{"pulllab の説明は「the container waits with ImagePullBackOff, as expected」です。", true},
		{"1. warm the node: point the tag v1 at the node variant", true},
		{"ログには `the log named no WAR: it was silent` とあります。", false},
		{"| Normal | Pulled | Successfully pulled image \"x\" in 1s |", false},
		{"| 対象 | OpenShift Local（CRC） |", false},
		{"想定どおり ImagePullBackOff で待機しています。", false},
	} {
		if got := len(englishSentences(tt.line)) > 0; got != tt.bad {
			t.Errorf("englishSentences(%q) found %v, want %v", tt.line, got, tt.bad)
		}
	}
}

// japanese reports whether r is a kana or kanji (not punctuation).
func japanese(r rune) bool {
	return unicode.In(r, unicode.Hiragana, unicode.Katakana, unicode.Han) || r == 'ー'
}

// latin reports whether r is a Latin letter, a digit or a code span's
// backtick.
func latin(r rune) bool {
	return r < 0x80 && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '`')
}

// spacingErrors finds a Japanese character next to a Latin word, number
// or code span without a half-width space between them.
func spacingErrors(md string) []string {
	var found []string
	lines, numbers := prose(md)
	for i, l := range lines {
		if quoted(l) {
			continue
		}
		rs := []rune(stripCode(l))
		for j := 1; j < len(rs); j++ {
			a, b := rs[j-1], rs[j]
			if (japanese(a) && latin(b)) || (latin(a) && japanese(b)) {
				found = append(found, fmt.Sprintf("line %d: %q next to %q in %q", numbers[i], a, b, l))
			}
		}
	}
	return found
}

// breakErrors finds a hard line break between two Japanese characters
// (or Japanese punctuation) in prose: a browser shows it as a space.
func breakErrors(md string) []string {
	var found []string
	lines, numbers := prose(md)
	for i := 1; i < len(lines); i++ {
		prev := []rune(strings.TrimRight(lines[i-1], " "))
		next := []rune(strings.TrimLeft(lines[i], " "))
		if len(prev) == 0 || len(next) == 0 || numbers[i] != numbers[i-1]+1 {
			continue
		}
		if blockStart.MatchString(lines[i]) || blockStart.MatchString(lines[i-1]) && strings.HasPrefix(strings.TrimSpace(lines[i-1]), "|") {
			continue
		}
		a, b := prev[len(prev)-1], next[0]
		if wide(a) && wide(b) || fullWidthPunct(a) || fullWidthPunct(b) {
			found = append(found, fmt.Sprintf("line %d: %q / %q", numbers[i], lines[i-1], lines[i]))
		}
	}
	return found
}

// blockStart matches a line that starts a Markdown block of its own (a
// list item, table row, heading or quote) rather than continuing a
// paragraph.
var blockStart = regexp.MustCompile(`^\s*([-*|#>]|\d+\.\s)`)

// fullWidthPunct reports whether r is full-width punctuation, which needs
// no space on either side.
func fullWidthPunct(r rune) bool {
	return (r >= 0x3000 && r <= 0x303F) || (r >= 0xFF00 && r <= 0xFF0F) || (r >= 0xFF1A && r <= 0xFF20) || r == '）' || r == '（'
}

// wide reports whether r is Japanese text or full-width punctuation.
func wide(r rune) bool {
	return japanese(r) || unicode.In(r, unicode.Han) || (r >= 0x3000 && r <= 0x303F) || (r >= 0xFF00 && r <= 0xFFEF)
}

func TestJapaneseTypography(t *testing.T) {
	for name, md := range jaRenders(t) {
		t.Run(name, func(t *testing.T) {
			for _, f := range spacingErrors(md) {
				t.Error("no half-width space between Japanese and Latin: " + f)
			}
			for _, f := range breakErrors(md) {
				t.Error("hard line break between Japanese characters: " + f)
			}
		})
	}
	for _, tt := range []struct {
		text     string
		spacing  bool
		breaking bool
	}{
		{"ノードはnode 版", true, false},
		{"ノードは node 版で、`v1`を", true, false},
		{"ノードは node 版（`node.war`）です。", false, false},
		{"同じベースイメージから 2 回ビルドし、\n一方のイメージには", false, true},
		{"| 1 | Always | -（※） |\n| 2 | Never |", false, false},
		{"ノードに古いイメージがあっても、\n   Always ではプルが行われ", false, true},
		{"ノードにある\n`v1` のイメージ", false, false},
		{"- 一つ目。\n- 二つ目。", false, false},
	} {
		if got := len(spacingErrors(tt.text)) > 0; got != tt.spacing {
			t.Errorf("spacingErrors(%q) found %v, want %v", tt.text, got, tt.spacing)
		}
		if got := len(breakErrors(tt.text)) > 0; got != tt.breaking {
			t.Errorf("breakErrors(%q) found %v, want %v", tt.text, got, tt.breaking)
		}
	}
}

// explanationFixture is the OpenShift fixture with a recorded explanation
// of every key, recorded operations of every kind, an error before the pod
// was watched, and an event that says nothing about the image.
func explanationFixture() *lab.Results {
	r := fixtureOpenShift()
	id := "sha256:0123456789ab"
	xs := []lab.Explanation{
		{Key: lab.ExplainTimedOut, Status: "ContainerCreating", Evidence: []string{lab.EvidencePulled}},
		{Key: lab.ExplainUnjudgeable, Status: "CrashLoopBackOff"},
		{Key: lab.ExplainFailsAsExpected, Reason: "ImagePullBackOff"}, // case 3 becomes an error
		{Key: lab.ExplainFailsOtherReason, Reason: "ErrImagePull", Message: "manifest unknown"},
		{Key: lab.ExplainFailsInsteadOfRunning, Reason: "ImagePullBackOff", Evidence: []string{lab.EvidencePullFail, lab.EvidenceBackOff},
			StatusNote: "the pod status still said Pending after the kubelet's BackOff event; the reason is the event's"},
		{Key: lab.ExplainRunsUnknownImage, ImageID: "registry.example/x@" + id, Variant: lab.VariantUnknown, NodeDigest: id, RegistryDigest: id},
		{Key: lab.ExplainLogDisagrees, ImageID: id, Variant: lab.VariantNode, WAR: "other.war"},
		{Key: lab.ExplainRunsAsExpected, ImageID: id, Variant: lab.VariantNode, LogNote: "some note no one knows", Evidence: []string{lab.EvidencePresent}},
		{Key: lab.ExplainRunsOtherVariant, ImageID: id, Variant: lab.VariantRegistry, WAR: "registry.war", LogVariant: lab.VariantRegistry, Evidence: []string{lab.EvidencePulled}},
		{Key: lab.ExplainRunsInsteadOfFailing, ImageID: id, Variant: lab.VariantNode},
	}
	ops := []lab.Op{
		{Kind: lab.OpWarmNode, Tag: lab.AppTag, Variant: lab.VariantNode},
		{Kind: lab.OpPointApp, Tag: lab.AppTag, Variant: lab.VariantRegistry},
		{Kind: lab.OpRemoveApp, Tag: lab.AppTag, AllTags: true},
		{Kind: lab.OpRemoveApp, Tag: lab.LatestTag},
		{Kind: lab.OpRemoveNodeImage, Tag: lab.AppTag},
	}
	for i := range r.Cases {
		c := &r.Cases[i]
		x := xs[(c.Case.ID-1)%len(xs)]
		c.Explanation = &x
		if c.Case.ID == 1 {
			c.Ops = ops
			c.Steps = make([]string, len(ops))
			for j, op := range ops {
				c.Steps[j] = op.String()
			}
		}
		if c.Case.ID == 2 {
			c.Steps = []string{"a step an older pulllab wrote in words nobody reads back"}
		}
		if c.Case.ID == 3 {
			c.Observation, c.Observed, c.Explanation = nil, nil, nil
			c.Verdict, c.Detail = lab.VerdictError, "removing the previous case's Deployment: the server is currently unable to handle the request"
		}
		if o := c.Observation; o != nil {
			o.Events = append(o.Events, lab.Event{Type: "Warning", Reason: "MissingClusterDNS", Count: 1,
				Message: "pod: \"x\". kubelet does not have ClusterDNS IP configured and cannot create Pod using \"ClusterFirst\" policy. Falling back to \"Default\" policy."})
		}
	}
	finish(r)
	return r
}

func TestExplanationsInBothLanguages(t *testing.T) {
	r := explanationFixture()
	var ja, en, js bytes.Buffer
	if err := Markdown(&ja, r, "ja"); err != nil {
		t.Fatal(err)
	}
	if err := Markdown(&en, r, "en"); err != nil {
		t.Fatal(err)
	}
	if err := JSON(&js, r); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"ケースの制限時間内に Pod は最終状態に達しませんでした（最後のステータスは `ContainerCreating`）。kubelet のイベントによると、イメージはレジストリからプルされました。",
		"Pod は pulllab が判定できない状態で終わりました（ステータスは `CrashLoopBackOff`）。",
		"`node.war` での起動を想定していましたが、コンテナは ImagePullBackOff で待機しています。このとき `get pod` の行はまだこの状態を示していなかったため、理由は kubelet のイベントから取りました。",
		"kubelet のメッセージは `manifest unknown` です。",
		"これは node 版（`sha256:0123456789ab`）でも registry 版（`sha256:0123456789ab`）でもありません。",
		"ログには `other.war` が出ています（どちらのバリアントもデプロイしない WAR です）。",
		"ただし、ログには WAR 名を含む行がありませんでした（pulllab の記録: `some note no one knows`）。kubelet のイベントによると、イメージはすでにノードにありました。",
		"ログにも `registry.war` が出ています。",
		"1. ノードにイメージを用意しました。タグ `v1` を node 版（`node.war`）に付け替え、imagePullPolicy を Always にした準備用の Pod でプルさせています。",
		"2. レジストリのタグ `v1` を registry 版（`registry.war`）に付け替えました。",
		"3. アプリケーションの ImageStream を削除しました。",
		"4. レジストリからタグ `latest` を削除しました。",
		"5. ノードのキャッシュからタグ `v1` のイメージを削除しました。",
		"1. pulllab の記録（英語）: `a step an older pulllab wrote in words nobody reads back`",
		"pulllab の記録（英語）: `removing the previous case's Deployment: the server is currently unable to handle the request`",
		"イメージに関係しないイベント（5 件）は表から省いています。results.json にはすべて記録されています。",
	} {
		if !strings.Contains(ja.String(), want) {
			t.Errorf("ja report lacks %q", want)
		}
	}
	for _, want := range []string{
		"5 events not about the image are left out of the table; results.json keeps every event.",
	} {
		if !strings.Contains(en.String(), want) {
			t.Errorf("en report lacks %q", want)
		}
	}
	for _, md := range []string{ja.String(), en.String()} {
		if strings.Contains(md, "MissingClusterDNS") {
			t.Error("a report shows the MissingClusterDNS event")
		}
	}
	for _, want := range []string{`"reason": "MissingClusterDNS"`, `"key": "runs-other-variant"`, `"kind": "warm-node"`} {
		if !strings.Contains(js.String(), want) {
			t.Errorf("results.json lacks %s", want)
		}
	}
}

func TestOpFromSentence(t *testing.T) {
	for _, tag := range []string{lab.AppTag, lab.LatestTag, "v7"} {
		for _, op := range []lab.Op{
			{Kind: lab.OpPointApp, Tag: tag, Variant: lab.VariantNode},
			{Kind: lab.OpPointApp, Tag: tag, Variant: lab.VariantRegistry},
			{Kind: lab.OpRemoveApp, Tag: tag},
			{Kind: lab.OpRemoveApp, Tag: tag, AllTags: true},
			{Kind: lab.OpWarmNode, Tag: tag, Variant: lab.VariantNode},
			{Kind: lab.OpWarmNode, Tag: tag, Variant: lab.VariantRegistry},
			{Kind: lab.OpRemoveNodeImage, Tag: tag},
		} {
			got, ok := opFromSentence(op.String(), "v7")
			if !ok || got != op {
				t.Errorf("opFromSentence(%q) = %+v, %v; want %+v", op.String(), got, ok, op)
			}
		}
	}
	if _, ok := opFromSentence("point the registry tag v1 at the node variant"); ok {
		t.Error("a sentence no operation writes was read as one")
	}
}

// TestExplanationFromOlderResults: results without an explanation get the
// one lab.Decide gives on the recorded observation, as long as it reaches
// the recorded verdict; otherwise the report quotes Detail.
func TestExplanationFromOlderResults(t *testing.T) {
	r := fixtureOpenShift()
	builds := map[lab.Variant]lab.Build{}
	for _, b := range r.Builds {
		builds[b.Variant] = b
	}
	for _, c := range r.Cases {
		x := explanationOf(c, builds, lab.Profiles[r.Base.Profile])
		if x == nil {
			t.Errorf("case %d: no explanation derived", c.Case.ID)
			continue
		}
		want := map[lab.Outcome]lab.ExplanationKey{lab.OutcomeRuns: lab.ExplainRunsAsExpected, lab.OutcomeFails: lab.ExplainFailsAsExpected}[c.Case.Expect.Outcome]
		if x.Key != want {
			t.Errorf("case %d: key %s, want %s", c.Case.ID, x.Key, want)
		}
		c.Verdict = lab.VerdictFail // not what the observation gives
		if x := explanationOf(c, builds, lab.Profiles[r.Base.Profile]); x != nil {
			t.Errorf("case %d: explanation %s derived for a verdict the observation does not give", c.Case.ID, x.Key)
		}
	}
}

func TestExpectedTableAlways(t *testing.T) {
	r := fixtureOpenShift()
	for lang, want := range map[string][]string{
		"ja": {"| 1 | Always | -（※） | なし |", "※ Always はノードのキャッシュを使わないため、ノード側の有無は結果に影響しません。"},
		"en": {"| 1 | Always | – (*) | no |", "(*) Always does not use the node's cache"},
	} {
		var b bytes.Buffer
		if err := Markdown(&b, r, lang); err != nil {
			t.Fatal(err)
		}
		for _, w := range want {
			if !strings.Contains(b.String(), w) {
				t.Errorf("%s report lacks %q", lang, w)
			}
		}
	}
}

func TestLogNoteKind(t *testing.T) {
	for note, want := range map[string]string{
		"the log named no WAR: the server said it had finished starting without naming one": logNoteStarted,
		"the log named no WAR: it was silent for 5s with the container running and ready":   logNoteSilent,
		"the log named no WAR within 1m0s although it kept growing":                         logNoteGrowing,
		"the log could not be read: forbidden":                                              logNoteUnreadable,
		"reading the log failed before it named a WAR: EOF":                                 logNoteUnreadable,
		"the log ended without naming a WAR":                                                logNoteEnded,
		"something else":                                                                    "",
		"":                                                                                  "",
	} {
		if got := logNoteKind(note); got != want {
			t.Errorf("logNoteKind(%q) = %q, want %q", note, got, want)
		}
	}
}

// TestFixtureStepsAreOpSentences: the fixtures record steps as the runner
// does (lab.Op.String), so the reports read every one back.
func TestFixtureStepsAreOpSentences(t *testing.T) {
	for _, f := range fixtures {
		for _, c := range f.build().Cases {
			for _, s := range stepsOf(c) {
				if !s.Known {
					t.Errorf("%scase %d: step %q is no operation's sentence", f.prefix, c.Case.ID, s.Record)
				}
			}
		}
	}
}
