package lab

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"
)

// SchemaVersion is the version of the results.json schema (docs/results.md).
// Bump it on any incompatible change.
const SchemaVersion = 1

// Verdict is the result of one case.
type Verdict string

// The verdicts. VerdictError means the case could not be evaluated (its
// preconditions could not be reached, or the cluster failed): it is neither
// a pass nor a fail.
const (
	VerdictPass  Verdict = "pass"
	VerdictFail  Verdict = "fail"
	VerdictError Verdict = "error"
	// VerdictSkipped means the case cannot show anything on this cluster
	// (Detail says why, e.g. the registry serves without credentials) and
	// was not run; it does not fail a run.
	VerdictSkipped Verdict = "skipped"
)

// Results is the whole record of a verify run: the only input to the report
// renderers. It is written as results.json.
type Results struct {
	SchemaVersion int          `json:"schemaVersion" yaml:"schemaVersion"`
	Tool          Tool         `json:"tool" yaml:"tool"`
	StartedAt     time.Time    `json:"startedAt" yaml:"startedAt"`
	FinishedAt    time.Time    `json:"finishedAt" yaml:"finishedAt"`
	Environment   Environment  `json:"environment" yaml:"environment"`
	Base          BaseImage    `json:"base" yaml:"base"`
	Builds        []Build      `json:"builds" yaml:"builds"`
	Cases         []CaseResult `json:"cases" yaml:"cases"`
	Summary       Summary      `json:"summary" yaml:"summary"`
	Performance   Performance  `json:"performance" yaml:"performance"`
	// Interrupted is set when the run was cancelled before every case ran.
	Interrupted bool `json:"interrupted,omitempty" yaml:"interrupted,omitempty"`
}

// Tool identifies the pulllab that wrote the results.
type Tool struct {
	Name    string `json:"name" yaml:"name"`
	Version string `json:"version" yaml:"version"`
}

// CaseResult is one case's plan, evidence and verdict.
type CaseResult struct {
	Case Case `json:"case" yaml:"case"`
	// Order is the 1-based position in the planned run.
	Order int `json:"order" yaml:"order"`
	// Steps are the operations the runner did to reach the case's state.
	Steps []string `json:"steps" yaml:"steps"`
	// Before is the node and registry state read back before deploying.
	Before StateSnapshot `json:"before" yaml:"before"`
	// Image is the pull spec deployed.
	Image string `json:"image,omitempty" yaml:"image,omitempty"`
	// Observation is what the pod did; nil when the case never deployed.
	Observation *Observation `json:"observation,omitempty" yaml:"observation,omitempty"`
	// Observed is the outcome decided from the evidence.
	Observed *Expect `json:"observed,omitempty" yaml:"observed,omitempty"`
	// RanVariant is the variant whose digest matched the running container's imageID.
	RanVariant Variant `json:"ranVariant,omitempty" yaml:"ranVariant,omitempty"`
	// LogVariant is the variant named by the WAR in the container log.
	LogVariant Variant `json:"logVariant,omitempty" yaml:"logVariant,omitempty"`
	Verdict    Verdict `json:"verdict" yaml:"verdict"`
	// Detail explains the verdict in one sentence (a mismatch, a
	// digest/log disagreement, or the error).
	Detail string `json:"detail,omitempty" yaml:"detail,omitempty"`
	// Timing in seconds.
	PrepareSeconds float64 `json:"prepareSeconds" yaml:"prepareSeconds"`
	// KubeletSeconds is pod created → terminal state as the kubelet reported it.
	KubeletSeconds float64 `json:"kubeletSeconds" yaml:"kubeletSeconds"`
	// PhaseSeconds is pod created → pulllab's verdict.
	PhaseSeconds float64 `json:"phaseSeconds" yaml:"phaseSeconds"`
	// VerdictDelaySeconds is the kubelet's terminal report → pulllab's verdict.
	VerdictDelaySeconds float64 `json:"verdictDelaySeconds" yaml:"verdictDelaySeconds"`
}

// StateSnapshot is what the node and the registry held under the case's tag.
type StateSnapshot struct {
	Tag      string  `json:"tag" yaml:"tag"`
	Node     Holding `json:"node" yaml:"node"`
	Registry Holding `json:"registry" yaml:"registry"`
}

// Summary counts the verdicts.
type Summary struct {
	Total  int `json:"total" yaml:"total"`
	Passed int `json:"passed" yaml:"passed"`
	Failed int `json:"failed" yaml:"failed"`
	Errors int `json:"errors" yaml:"errors"`
	// Skipped counts the cases that cannot show anything on this cluster.
	Skipped int `json:"skipped,omitempty" yaml:"skipped,omitempty"`
}

// OK reports whether every case passed or was skipped.
func (s Summary) OK() bool { return s.Passed+s.Skipped == s.Total }

// Performance is measured during the run.
type Performance struct {
	TotalSeconds float64 `json:"totalSeconds" yaml:"totalSeconds"`
	// CasePhaseSeconds sums PhaseSeconds; KubeletSeconds sums KubeletSeconds.
	CasePhaseSeconds float64 `json:"casePhaseSeconds" yaml:"casePhaseSeconds"`
	KubeletSeconds   float64 `json:"kubeletSeconds" yaml:"kubeletSeconds"`
	// MaxVerdictDelaySeconds is the largest kubelet-report → verdict delay.
	MaxVerdictDelaySeconds float64 `json:"maxVerdictDelaySeconds" yaml:"maxVerdictDelaySeconds"`
	// Builds is how many variant images this run built (0 when reused).
	Builds int `json:"builds" yaml:"builds"`
	// Operations counts the state-changing operations the runner did.
	Operations int `json:"operations" yaml:"operations"`
	// PeakRSSBytes is pulllab's peak resident set size, when known.
	PeakRSSBytes int64 `json:"peakRSSBytes,omitempty" yaml:"peakRSSBytes,omitempty"`
}

// Tally recomputes the summary from the cases.
func (r *Results) Tally() {
	s := Summary{Total: len(r.Cases)}
	for _, c := range r.Cases {
		switch c.Verdict {
		case VerdictPass:
			s.Passed++
		case VerdictFail:
			s.Failed++
		case VerdictSkipped:
			s.Skipped++
		default:
			s.Errors++
		}
	}
	r.Summary = s
}

// WriteJSON writes the results as indented JSON.
func (r *Results) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}

// ReadResults reads results.json and checks its schema version.
func ReadResults(path string) (*Results, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading results: %w", err)
	}
	defer f.Close()
	var r Results
	dec := json.NewDecoder(f)
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("%s is not a pulllab results file: %w", path, err)
	}
	if r.SchemaVersion != SchemaVersion {
		return nil, fmt.Errorf("%s has schemaVersion %d; this pulllab reads version %d", path, r.SchemaVersion, SchemaVersion)
	}
	return &r, nil
}
