package report

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"text/template"

	"github.com/pulllab/pulllab/lab"
)

// Languages lists the languages Markdown and Summary write, in a stable
// order.
var Languages = []string{"en", "ja"}

//go:embed templates/*.tmpl
var templateFS embed.FS

// The parsed templates, one set per language: each language's file defines
// its own helper templates ("holding", "observed", …) under the same names.
var (
	reportTemplates  = parsePerLanguage("report.%s.md.tmpl")
	summaryTemplates = parsePerLanguage("summary.%s.txt.tmpl")
	junitTemplate    = parse("junit.txt.tmpl")
)

func parsePerLanguage(pattern string) map[string]*template.Template {
	m := make(map[string]*template.Template, len(Languages))
	for _, l := range Languages {
		m[l] = parse(fmt.Sprintf(pattern, l))
	}
	return m
}

func parse(name string) *template.Template {
	return template.Must(template.New(name).Funcs(funcs).ParseFS(templateFS, "templates/"+name))
}

// lookup returns the template of a language, or an error that lists the
// languages there are.
func lookup(set map[string]*template.Template, lang string) (*template.Template, error) {
	if t, ok := set[lang]; ok {
		return t, nil
	}
	return nil, fmt.Errorf("unknown report language %q: use one of %s", lang, strings.Join(Languages, ", "))
}

// Markdown writes the lab report in lang ("en" or "ja"): the experiment and
// where it ran, what imagePullPolicy does, a Mermaid flowchart of the
// kubelet's decision, the expected table, every case with its evidence, the
// observed-versus-expected table, the lesson this run supports, the commands
// to repeat a case by hand, and the performance figures.
func Markdown(w io.Writer, r *lab.Results, lang string) error {
	t, err := lookup(reportTemplates, lang)
	if err != nil {
		return err
	}
	if r == nil {
		return errors.New("rendering the report: no results")
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, newView(r)); err != nil {
		return fmt.Errorf("rendering the %s report: %w", lang, err)
	}
	_, err = w.Write(tidy(buf.Bytes()))
	return err
}

// Summary writes a one-screen plain-text table of the cases (No., policy,
// node, registry, reference, expected, observed, verdict) and a one-line
// total, for the terminal. Columns are aligned by display width, so the
// Japanese headers line up too.
func Summary(w io.Writer, r *lab.Results, lang string) error {
	t, err := lookup(summaryTemplates, lang)
	if err != nil {
		return err
	}
	if r == nil {
		return errors.New("rendering the summary: no results")
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, newView(r)); err != nil {
		return fmt.Errorf("rendering the %s summary: %w", lang, err)
	}
	_, err = w.Write(tidy(alignTabs(buf.Bytes(), 2)))
	return err
}

// JSON writes r as results.json (see (*lab.Results).WriteJSON) after
// passing every string through the secret filter.
func JSON(w io.Writer, r *lab.Results) error {
	if r == nil {
		return errors.New("writing results: no results")
	}
	return Redact(r).WriteJSON(w)
}

// view is what the report and summary templates see. Everything in it is
// derived from the Results alone.
type view struct {
	Tool        lab.Tool
	Started     string
	Finished    string
	Interrupted bool
	Sum         lab.Summary
	AllPass     bool

	// CRC is set for OpenShift Local; OpenShift for any OpenShift target
	// (oc, ImageStreams); otherwise the target is plain Kubernetes with an
	// OCI registry (kubectl).
	CRC       bool
	OpenShift bool
	CLI       string
	// PlatformVersion is the OpenShift version, or Kubernetes' on a
	// Kubernetes target.
	PlatformVersion string
	Env             lab.Environment
	// Ensure is "on", "off" or "unknown" (or "" when not recorded);
	// EnsureWhy the reason pulllab gave for it.
	Ensure    string
	EnsureWhy string
	// KEP is the section "KEP-2535 on this cluster".
	KEP kepView

	Base      lab.BaseImage
	LogMarker string
	AppName   string
	AppTag    string
	LatestTag string
	StashName string
	// Stash is the repository holding both variants on a Kubernetes target.
	Stash    string
	Variants []variantView

	Cases    []*caseView
	Extended bool
	HasRef   bool
	Flow     flow
	Lesson   lesson
	Perf     perf
}

// variantView is one variant and the build that provides it, if recorded.
type variantView struct {
	Variant lab.Variant
	Build   lab.Build
	Found   bool
}

// caseView is a case with the facts the templates phrase.
type caseView struct {
	lab.CaseResult
	// Tag is the tag whose state the case depends on.
	Tag string
	// PodLines are the header and the pod's line aligned as `oc get pod`
	// aligns them; nil when no pod line was recorded.
	PodLines []string
	// Ran is the variant that ran: by imageID, else by the observed outcome.
	Ran lab.Variant
	// Agree is set when imageID and log name the same variant; Disagree
	// when both name one and they differ.
	Agree    bool
	Disagree bool
}

// flow lists, for each end of the flowchart, the cases expected to end
// there.
type flow struct {
	Fresh, Cached, BackOff, NeverPull []int
}

// lesson holds the cases that teach the lesson, when they ran, and what
// they showed.
type lesson struct {
	// Trap is the case of the article's lesson (IfNotPresent, stale node
	// image, tag); Stale is set when it really ran the node's image while
	// the registry served the other variant.
	Trap  *caseView
	Stale bool
	// Digest is the same state referenced by digest; Pinned is set when it
	// ran the registry's image.
	Digest *caseView
	Pinned bool
	// Always is the same state with Always; Fresh is set when it ran the
	// registry's image.
	Always *caseView
	Fresh  bool
	// Unreachable is Always with nothing in the registry; Failed is set
	// when the pod failed.
	Unreachable *caseView
	Failed      bool
	// Latest is the omitted policy with :latest; LatestFresh is set when
	// it ran the registry's image.
	Latest      *caseView
	LatestFresh bool
}

// perf adds sums and the built/reused split to the measured performance.
type perf struct {
	lab.Performance
	PrepareSeconds float64
	Built          int
	Reused         int
}

// newView scrubs r (secrets, control characters), recounts its verdicts
// and computes the facts the templates need.
func newView(orig *lab.Results) *view {
	r := transform(orig, clean)
	r.Tally()
	v := &view{
		Tool:        r.Tool,
		Started:     timestamp(r.StartedAt),
		Finished:    timestamp(r.FinishedAt),
		Interrupted: r.Interrupted,
		Sum:         r.Summary,
		AllPass:     r.Summary.Total > 0 && r.Summary.OK(),
		Env:         r.Environment,
		Base:        r.Base,
		LogMarker:   logMarker(r.Base.Profile),
		AppName:     lab.AppName,
		AppTag:      lab.AppTag,
		LatestTag:   lab.LatestTag,
		StashName:   lab.StashName,
	}
	env := r.Environment
	v.OpenShift = env.Target != "kubernetes"
	v.CRC = v.OpenShift && env.CRCVersion != ""
	v.CLI = "kubectl"
	v.PlatformVersion = env.KubernetesVersion
	if v.OpenShift {
		v.CLI = "oc"
		v.PlatformVersion = env.OpenShiftVersion
	}
	if st, why, ok := strings.Cut(env.EnsureSecretPulledImages, ":"); ok {
		v.Ensure, v.EnsureWhy = strings.TrimSpace(st), strings.TrimSpace(why)
	} else {
		v.Ensure = strings.TrimSpace(st)
	}
	if env.AppRepository != "" {
		v.Stash = path.Dir(env.AppRepository) + "/" + lab.StashName
	}

	for _, vr := range lab.Variants {
		vv := variantView{Variant: vr}
		for _, b := range r.Builds {
			if b.Variant == vr {
				vv.Build, vv.Found = b, true
			}
		}
		v.Variants = append(v.Variants, vv)
	}

	v.Perf.Performance = r.Performance
	for _, b := range r.Builds {
		if b.Built {
			v.Perf.Built++
		} else {
			v.Perf.Reused++
		}
	}

	for _, c := range sortedCases(r.Cases) {
		cv := newCaseView(c)
		v.Cases = append(v.Cases, cv)
		v.Perf.PrepareSeconds += c.PrepareSeconds
		if c.Case.Extended {
			v.Extended = true
		}
		if c.Case.Ref != lab.RefTag {
			v.HasRef = true
		}
		e := c.Case.Expect
		switch {
		case e.Outcome == lab.OutcomeRuns && e.Variant == lab.VariantRegistry:
			v.Flow.Fresh = append(v.Flow.Fresh, c.Case.ID)
		case e.Outcome == lab.OutcomeRuns:
			v.Flow.Cached = append(v.Flow.Cached, c.Case.ID)
		case e.Reason == lab.ReasonErrImageNeverPull:
			v.Flow.NeverPull = append(v.Flow.NeverPull, c.Case.ID)
		default:
			v.Flow.BackOff = append(v.Flow.BackOff, c.Case.ID)
		}
	}
	v.Lesson = newLesson(v.Cases)
	v.KEP = newKEPView(env, v.Cases)
	return v
}

func newCaseView(c lab.CaseResult) *caseView {
	cv := &caseView{CaseResult: c, Tag: c.Case.Ref.Tag()}
	if o := c.Observation; o != nil && strings.TrimSpace(o.PodLine) != "" {
		cv.PodLines = podLines(o.PodLine)
	}
	cv.Ran = c.RanVariant
	if cv.Ran == "" && c.Observed != nil && c.Observed.Outcome == lab.OutcomeRuns {
		cv.Ran = c.Observed.Variant
	}
	if c.RanVariant != "" && c.LogVariant != "" {
		cv.Agree = c.RanVariant == c.LogVariant
		cv.Disagree = !cv.Agree
	}
	return cv
}

// newLesson finds the cases of the lesson by their shape (not their
// number) and records what each one really showed.
func newLesson(cases []*caseView) lesson {
	find := func(p lab.Policy, node, reg lab.Holding, ref lab.RefKind) *caseView {
		for _, c := range cases {
			k := c.Case
			if k.Policy == p && k.Node == node && k.Registry == reg && k.Ref == ref {
				return c
			}
		}
		return nil
	}
	ranFresh := func(c *caseView) bool {
		return c != nil && c.Ran == lab.VariantRegistry
	}
	var l lesson
	l.Trap = find(lab.PolicyIfNotPresent, lab.HoldsNode, lab.HoldsRegistry, lab.RefTag)
	l.Stale = l.Trap != nil && l.Trap.Ran == lab.VariantNode && l.Trap.Before.Registry == lab.HoldsRegistry
	l.Digest = find(lab.PolicyIfNotPresent, lab.HoldsNode, lab.HoldsRegistry, lab.RefDigest)
	l.Pinned = ranFresh(l.Digest)
	l.Always = find(lab.PolicyAlways, lab.HoldsNode, lab.HoldsRegistry, lab.RefTag)
	l.Fresh = ranFresh(l.Always)
	l.Unreachable = find(lab.PolicyAlways, lab.HoldsNode, lab.HoldsNone, lab.RefTag)
	l.Failed = l.Unreachable != nil && l.Unreachable.Observed != nil && l.Unreachable.Observed.Outcome == lab.OutcomeFails
	l.Latest = find(lab.PolicyDefault, lab.HoldsNode, lab.HoldsRegistry, lab.RefLatest)
	l.LatestFresh = ranFresh(l.Latest)
	return l
}

// logMarker is what to look for in the container log to find the line that
// names the WAR, for the manual commands.
func logMarker(profile string) string {
	switch profile {
	case lab.ProfileWildFly.Name:
		return "WFLYSRV0027"
	case lab.ProfileAppServer.Name:
		return "APPSRV0027"
	}
	return ".war"
}

// podHeader is the header `oc get pod` prints.
var podHeader = []string{"NAME", "READY", "STATUS", "RESTARTS", "AGE"}

// podLines aligns the header and a pod line the way kubectl's printer does
// (a tabwriter with cells at least 6 wide, 3 spaces apart). A RESTARTS value such as
// "1 (5s ago)" holds spaces, so the line is split as NAME READY STATUS
// … AGE. A line that does not have those columns is returned as it is.
func podLines(line string) []string {
	f := strings.Fields(line)
	if len(f) < len(podHeader) {
		return []string{strings.Join(podHeader, "   "), line}
	}
	row := []string{f[0], f[1], f[2], strings.Join(f[3:len(f)-1], " "), f[len(f)-1]}
	return alignRows([][]string{podHeader, row}, 3, 6)
}
