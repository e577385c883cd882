package report

import (
	"regexp"
	"sort"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/pulllab/pulllab/lab"
)

// funcs are the helpers the templates use. They format; they never phrase.
var funcs = template.FuncMap{
	// secs renders seconds with one decimal.
	"secs": func(s float64) string { return strconv.FormatFloat(s, 'f', 1, 64) },
	// mib renders bytes as MiB with one decimal.
	"mib": func(b int64) string { return strconv.FormatFloat(float64(b)/(1<<20), 'f', 1, 64) },
	// code renders an inline code span that survives backticks in s.
	"code": codeSpan,
	// cell makes s safe inside a Markdown table cell.
	"cell": cell,
	// fence returns a code fence longer than any backtick run in s.
	"fence": fence,
	// short shortens a digest to "sha256:" and 12 hex digits.
	"short": shortDigest,
	// ints joins numbers with ", ".
	"ints": func(n []int) string {
		s := make([]string, len(n))
		for i, x := range n {
			s[i] = strconv.Itoa(x)
		}
		return strings.Join(s, ", ")
	},
	// mark is the verdict's symbol.
	"mark": func(v lab.Verdict) string {
		switch v {
		case lab.VerdictPass:
			return "✅"
		case lab.VerdictFail:
			return "❌"
		case verdictSkipped:
			return "⏭️"
		}
		return "⚠️"
	},
	// word is the verdict's word; anything but pass or fail is an error, as
	// lab.Results.Tally counts it.
	"word": verdictWord,
	// period ends a sentence that lacks a final full stop.
	"period": func(s string) string {
		s = strings.TrimSpace(s)
		if s == "" || strings.ContainsAny(s[len(s)-1:], ".!?") || strings.HasSuffix(s, "。") {
			return s
		}
		return s + "."
	},
	// inc counts from one in a range over a slice.
	"inc": func(i int) int { return i + 1 },
	// digestOf returns the "sha256:…" digest in an image ID or reference.
	"digestOf": func(s string) string {
		if d := digestRE.FindString(s); d != "" {
			return d
		}
		return s
	},
}

func verdictWord(v lab.Verdict) string {
	switch v {
	case lab.VerdictPass, lab.VerdictFail, verdictSkipped:
		return string(v)
	}
	return string(lab.VerdictError)
}

func timestamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.RFC3339)
}

// sortedCases orders cases by their number, then by run order.
func sortedCases(cs []lab.CaseResult) []lab.CaseResult {
	out := append([]lab.CaseResult(nil), cs...)
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Case.ID != out[j].Case.ID {
			return out[i].Case.ID < out[j].Case.ID
		}
		return out[i].Order < out[j].Order
	})
	return out
}

var digestRE = regexp.MustCompile(`sha256:[0-9a-f]{12,}`)

func shortDigest(s string) string {
	return digestRE.ReplaceAllStringFunc(s, func(d string) string { return d[:len("sha256:")+12] })
}

var backticks = regexp.MustCompile("`+")

func longestBacktickRun(s string) int {
	n := 0
	for _, m := range backticks.FindAllString(s, -1) {
		n = max(n, len(m))
	}
	return n
}

func codeSpan(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if s == "" {
		return ""
	}
	ticks := strings.Repeat("`", longestBacktickRun(s)+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		s = " " + s + " "
	}
	return ticks + s + ticks
}

func fence(s string) string {
	return strings.Repeat("`", max(3, longestBacktickRun(s)+1))
}

var cellEscaper = strings.NewReplacer("|", `\|`, "<", "&lt;", ">", "&gt;", "\n", " ", "\t", " ")

func cell(s string) string {
	return strings.TrimSpace(cellEscaper.Replace(s))
}

// tidy trims trailing blanks from every line, keeps at most one empty line
// in a row, and ends the text with exactly one newline. Templates can then
// be written for readability rather than exact whitespace.
func tidy(b []byte) []byte {
	lines := strings.Split(string(b), "\n")
	var out []string
	blank := true // drop leading empty lines
	for _, l := range lines {
		l = strings.TrimRight(l, " \t")
		if l == "" {
			if blank {
				continue
			}
			blank = true
		} else {
			blank = false
		}
		out = append(out, l)
	}
	for len(out) > 0 && out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	return []byte(strings.Join(out, "\n") + "\n")
}

// alignTabs aligns the tab-separated lines of b into columns gap spaces
// apart, by display width. Lines without a tab are left as they are.
func alignTabs(b []byte, gap int) []byte {
	lines := strings.Split(string(b), "\n")
	var rows [][]string
	var at []int
	for i, l := range lines {
		if strings.Contains(l, "\t") {
			rows = append(rows, strings.Split(l, "\t"))
			at = append(at, i)
		}
	}
	for k, l := range alignRows(rows, gap, 0) {
		lines[at[k]] = l
	}
	return []byte(strings.Join(lines, "\n"))
}

// alignRows pads every cell but the last of each row to its column's width
// plus gap (and at least minWidth), measuring East Asian wide characters as
// two columns.
func alignRows(rows [][]string, gap, minWidth int) []string {
	var widths []int
	for _, r := range rows {
		for i, c := range r {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], width(c))
		}
	}
	out := make([]string, len(rows))
	for k, r := range rows {
		var sb strings.Builder
		for i, c := range r {
			sb.WriteString(c)
			if i < len(r)-1 {
				sb.WriteString(strings.Repeat(" ", max(widths[i]+gap, minWidth)-width(c)))
			}
		}
		out[k] = strings.TrimRight(sb.String(), " ")
	}
	return out
}

// width is the number of terminal columns s takes: two for East Asian wide
// and full-width characters, none for combining marks and variation
// selectors, one otherwise.
func width(s string) int {
	n := 0
	for _, r := range s {
		switch {
		case r == 0x200b || (r >= 0x0300 && r <= 0x036f) || (r >= 0xfe00 && r <= 0xfe0f):
		case r >= 0x1100 && r <= 0x115f,
			r >= 0x2e80 && r <= 0xa4cf && r != 0x303f,
			r >= 0xac00 && r <= 0xd7a3,
			r >= 0xf900 && r <= 0xfaff,
			r >= 0xfe30 && r <= 0xfe4f,
			r >= 0xff00 && r <= 0xff60,
			r >= 0xffe0 && r <= 0xffe6,
			r >= 0x1f300 && r <= 0x1f64f,
			r >= 0x1f900 && r <= 0x1f9ff,
			r >= 0x20000 && r <= 0x3fffd:
			n += 2
		default:
			n++
		}
	}
	return n
}
