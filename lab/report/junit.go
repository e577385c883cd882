package report

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/pulllab/pulllab/lab"
)

// The JUnit XML shape CI servers read (the Ant/Jenkins schema as
// go-junit-report writes it): one suite per pull policy, one test case per
// lab case.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr,omitempty"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitProblem `xml:"failure,omitempty"`
	Error     *junitProblem `xml:"error,omitempty"`
	Skipped   *junitSkipped `xml:"skipped,omitempty"`
	SystemOut *junitOutput  `xml:"system-out,omitempty"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// junitSkipped marks a case that cannot show anything on this cluster.
type junitSkipped struct {
	Message string `xml:"message,attr"`
}

type junitOutput struct {
	Text string `xml:",cdata"`
}

// JUnit writes the results as JUnit XML for CI: a <testsuite> per pull
// policy named pulllab.<Policy> ("default" when the policy is omitted), a
// <testcase> per case with a <failure> when the case did not behave as
// expected and an <error> when it could not be evaluated, the evidence in
// <system-out>, and the environment as suite properties.
func JUnit(w io.Writer, r *lab.Results) error {
	if r == nil {
		return errors.New("writing JUnit: no results")
	}
	v := newView(r)
	props := junitProperties(v)
	root := junitSuites{Name: "pulllab", Time: seconds(v.Perf.TotalSeconds)}
	index := map[string]int{}
	var suiteTime []float64
	var suiteStart []time.Time
	for _, c := range v.Cases {
		group := policyGroup(c.Case.Policy)
		i, ok := index[group]
		if !ok {
			i = len(root.Suites)
			index[group] = i
			root.Suites = append(root.Suites, junitSuite{Name: "pulllab." + group, Properties: props})
			suiteTime = append(suiteTime, 0)
			suiteStart = append(suiteStart, time.Time{})
		}
		tc, err := junitTestCase(c, group)
		if err != nil {
			return err
		}
		s := &root.Suites[i]
		s.Tests++
		switch {
		case tc.Failure != nil:
			s.Failures++
		case tc.Error != nil:
			s.Errors++
		case tc.Skipped != nil:
			s.Skipped++
		}
		s.Cases = append(s.Cases, tc)
		suiteTime[i] += c.PrepareSeconds + c.PhaseSeconds
		if o := c.Observation; o != nil && !o.Created.IsZero() && (suiteStart[i].IsZero() || o.Created.Before(suiteStart[i])) {
			suiteStart[i] = o.Created
		}
	}
	for i := range root.Suites {
		s := &root.Suites[i]
		s.Time = seconds(suiteTime[i])
		s.Timestamp = v.Started
		if !suiteStart[i].IsZero() {
			s.Timestamp = timestamp(suiteStart[i])
		}
		root.Tests += s.Tests
		root.Failures += s.Failures
		root.Errors += s.Errors
		root.Skipped += s.Skipped
	}

	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	enc.Indent("", "  ")
	if err := enc.Encode(root); err != nil {
		return fmt.Errorf("encoding JUnit XML: %w", err)
	}
	buf.WriteString("\n")
	_, err := w.Write(buf.Bytes())
	return err
}

func junitTestCase(c *caseView, group string) (junitCase, error) {
	var out bytes.Buffer
	if err := junitTemplate.Execute(&out, c); err != nil {
		return junitCase{}, fmt.Errorf("rendering the evidence of %s: %w", c.Case.Name(), err)
	}
	tc := junitCase{
		Name:      c.Case.Name(),
		Classname: "pulllab." + group,
		Time:      seconds(c.PrepareSeconds + c.PhaseSeconds),
		SystemOut: &junitOutput{Text: "\n" + string(tidy(out.Bytes()))},
	}
	observed := "nothing"
	if c.Observed != nil {
		observed = c.Observed.String()
	}
	switch c.Verdict {
	case lab.VerdictPass:
	case lab.VerdictSkipped:
		tc.Skipped = &junitSkipped{Message: oneLine(c.Detail, "the case cannot show anything on this cluster")}
	case lab.VerdictFail:
		msg := fmt.Sprintf("expected %s, observed %s", c.Case.Expect, observed)
		tc.Failure = &junitProblem{Message: msg, Type: "mismatch", Text: oneLine(c.Detail, msg)}
	default:
		msg := oneLine(c.Detail, "the case could not be evaluated")
		tc.Error = &junitProblem{Message: msg, Type: "error", Text: msg}
	}
	return tc, nil
}

// junitProperties are the environment facts every suite carries.
func junitProperties(v *view) []junitProperty {
	var ps []junitProperty
	add := func(name, value string) {
		if value != "" {
			ps = append(ps, junitProperty{Name: name, Value: value})
		}
	}
	e := v.Env
	add("pulllab.version", v.Tool.Version)
	add("target", e.Target)
	add("crc.version", e.CRCVersion)
	add("openshift.version", e.OpenShiftVersion)
	add("kubernetes.version", e.KubernetesVersion)
	add("kubelet.version", e.KubeletVersion)
	add("container.runtime", e.ContainerRuntime)
	add("node", e.Node)
	add("node.os", e.OSImage)
	add("namespace", e.Namespace)
	add("app.repository", e.AppRepository)
	add("app.pushRepository", e.AppPushRepository)
	add("kubelet.ensureSecretPulledImages", e.EnsureSecretPulledImages)
	if k := e.KubeletImageCredentials; k != nil {
		add("kubelet.kep2535.gate", k.Gate)
		add("kubelet.kep2535.policy", k.Policy)
		add("kubelet.kep2535.source", k.Source)
	}
	add("base.image", v.Base.Ref)
	add("base.digest", v.Base.Digest)
	for _, vv := range v.Variants {
		if vv.Found {
			add("variant."+string(vv.Variant)+".digest", vv.Build.Digest)
		}
	}
	add("run.started", v.Started)
	add("run.finished", v.Finished)
	return ps
}

// policyGroup names a policy's suite: the policy, or "default" when omitted.
func policyGroup(p lab.Policy) string {
	if p == lab.PolicyDefault {
		return "default"
	}
	return string(p)
}

// seconds renders a duration in seconds as JUnit does (%.3f).
func seconds(s float64) string { return strconv.FormatFloat(s, 'f', 3, 64) }

// oneLine returns s on one line, or fallback when s is empty.
func oneLine(s, fallback string) string {
	s = strings.Join(strings.Fields(s), " ")
	if s == "" {
		return fallback
	}
	return s
}
