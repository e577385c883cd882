package report

import (
	"strings"

	"github.com/pulllab/pulllab/lab"
)

// imageEvents returns the events about the image (lab.IsImageEventReason)
// and how many others were left out. The case tables show only these;
// results.json keeps every event.
func imageEvents(events []lab.Event) (kept []lab.Event, left int) {
	for _, e := range events {
		if lab.IsImageEventReason(e.Reason) {
			kept = append(kept, e)
		} else {
			left++
		}
	}
	return kept, left
}

// step is one preparation step: the operation when pulllab could read it
// (recorded as data, or read back from the sentence an older pulllab
// wrote), else the sentence as it was recorded.
type step struct {
	Op     lab.Op
	Known  bool
	Record string
}

// stepsOf pairs a case's recorded step sentences with their operations.
// Results from older pulllab versions have no Ops: each sentence is then
// matched against the sentences every possible operation on the case's
// tags would have written (lab.Op.String), so it is read back exactly or
// not at all.
func stepsOf(c lab.CaseResult) []step {
	out := make([]step, 0, len(c.Steps))
	if len(c.Ops) == len(c.Steps) || len(c.Steps) == 0 {
		for i, op := range c.Ops {
			s := step{Op: op, Known: true}
			if i < len(c.Steps) {
				s.Record = c.Steps[i]
			}
			out = append(out, s)
		}
		if len(out) > 0 {
			return out
		}
	}
	for _, rec := range c.Steps {
		op, ok := opFromSentence(rec, c.Case.Ref.Tag(), c.Before.Tag)
		out = append(out, step{Op: op, Known: ok, Record: rec})
	}
	return out
}

// opFromSentence finds the operation whose String is s.
func opFromSentence(s string, tags ...string) (lab.Op, bool) {
	s = strings.TrimSpace(s)
	seen := map[string]bool{}
	for _, tag := range append(tags, lab.AppTag, lab.LatestTag) {
		if tag == "" || seen[tag] {
			continue
		}
		seen[tag] = true
		for _, kind := range []lab.OpKind{lab.OpPointApp, lab.OpRemoveApp, lab.OpWarmNode, lab.OpRemoveNodeImage} {
			for _, v := range append([]lab.Variant{""}, lab.Variants...) {
				for _, all := range []bool{false, true} {
					op := lab.Op{Kind: kind, Tag: tag, Variant: v, AllTags: all}
					if op.String() == s {
						return op, true
					}
				}
			}
		}
	}
	return lab.Op{}, false
}

// explanationOf returns the case's explanation: the recorded one, or, for
// results from an older pulllab, the one lab.Decide gives on the recorded
// observation when it reaches the recorded verdict. nil when neither is
// there (the templates then quote Detail).
func explanationOf(c lab.CaseResult, builds map[lab.Variant]lab.Build, p lab.Profile) *lab.Explanation {
	if c.Explanation != nil {
		return c.Explanation
	}
	if c.Observation == nil || c.Verdict == lab.VerdictSkipped {
		return nil
	}
	d := lab.Decide(c.Case, *c.Observation, builds, p)
	if d.Verdict != c.Verdict || d.Explanation == nil {
		return nil
	}
	return d.Explanation
}

// The kinds of a log note (lab.Observation.LogNote), for the templates
// to word; "" when the note is of no known kind.
const (
	logNoteStarted    = "started"
	logNoteSilent     = "silent"
	logNoteGrowing    = "growing"
	logNoteUnreadable = "unreadable"
	logNoteEnded      = "ended"
)

// logNoteKind classifies a log note by the words lab/workload writes.
func logNoteKind(note string) string {
	switch {
	case note == "":
		return ""
	case strings.Contains(note, "finished starting"):
		return logNoteStarted
	case strings.Contains(note, "was silent"):
		return logNoteSilent
	case strings.Contains(note, "kept growing"):
		return logNoteGrowing
	case strings.Contains(note, "could not be read"), strings.Contains(note, "reading the log failed"):
		return logNoteUnreadable
	case strings.Contains(note, "ended without"):
		return logNoteEnded
	}
	return ""
}

// The kinds of reason a skipped case records (lab's credential check),
// for the templates to word; "" when the reason is of no known kind.
const (
	skipBackend   = "backend"
	skipAnonymous = "anonymous"
	skipNoCreds   = "no-credentials"
	skipKEP       = "kep-unknown"
)

// skipKind classifies a skipped case's Detail by the words lab writes.
func skipKind(detail string) string {
	switch {
	case strings.Contains(detail, "cannot run a pod without registry credentials"):
		return skipBackend
	case strings.Contains(detail, "serves") && strings.Contains(detail, "without credentials"):
		return skipAnonymous
	case strings.Contains(detail, "no credentials for the registry were found"):
		return skipNoCreds
	case strings.Contains(detail, "KEP-2535 state"):
		return skipKEP
	}
	return ""
}
