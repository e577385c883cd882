package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/pulllab/pulllab/lab"
	"github.com/pulllab/pulllab/lab/target"
)

// runCmdForTest runs pulllab with args and returns the exit code, stdout
// and stderr. The debug log goes to a temporary cache directory.
func runCmdForTest(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	t.Setenv("HOME", t.TempDir())
	t.Setenv("KUBECONFIG", "")
	var out, errb bytes.Buffer
	code := run(context.Background(), append([]string{"pulllab"}, args...), streams{in: strings.NewReader(""), out: &out, err: &errb})
	return code, out.String(), errb.String()
}

func TestVerifyDryRunPrintsThePlan(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		sel  string
		ext  bool
	}{
		{"article cases", nil, "", false},
		{"extended", []string{"--extended"}, "", true},
		{"selection", []string{"--cases", "2,6,1"}, "1,2,6", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, stderr := runCmdForTest(t, append([]string{"verify", "--dry-run"}, tc.args...)...)
			if code != 0 {
				t.Fatalf("exit %d, stderr %s", code, stderr)
			}
			cases, err := lab.SelectCases(tc.sel, tc.ext)
			if err != nil {
				t.Fatal(err)
			}
			plan := lab.NewPlanFor(cases, lab.State{}, lab.RemovesAllAppTags)
			pos := -1
			for _, c := range plan.Cases() {
				i := strings.Index(out, lab.CaseTitle(c))
				if i < 0 {
					t.Fatalf("case %d missing from:\n%s", c.ID, out)
				}
				if i < pos {
					t.Errorf("case %d printed out of the planned order", c.ID)
				}
				pos = i
			}
			if strings.Count(out, "· ") < 2*len(cases) {
				t.Errorf("expected a line per case:\n%s", out)
			}
			if i6, i2 := strings.Index(out, "Case 6 ·"), strings.Index(out, "Case 2 ·"); i6 >= 0 && i2 >= 0 && i6 > i2 {
				t.Error("case 2 is planned before case 6")
			}
		})
	}
}

func TestVerifyRejectsBadInput(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"unknown language", []string{"--lang", "fr"}, `--lang: want en or ja, got "fr"`},
		{"unknown case", []string{"--cases", "1,13"}, "there is no case 13"},
		{"bad selection", []string{"--cases", "one"}, "invalid case selection"},
		{"bad namespace", []string{"--namespace", "Pull_Lab"}, `--namespace: "Pull_Lab" is not a namespace name`},
		{"bad node", []string{"--node", "node/1"}, `--node: "node/1" is not a node name`},
		{"registry with a scheme", []string{"--registry", "http://127.0.0.1:5000"}, "--registry: write HOST:PORT[/PREFIX] without a scheme"},
		{"registry with upper-case path", []string{"--registry", "127.0.0.1:5000/Lab"}, "is not HOST:PORT[/prefix] with a lower-case path"},
		{"empty base image", []string{"--base-image", ""}, "--base-image: must not be empty"},
		{"zero timeout", []string{"--case-timeout", "0s"}, "--case-timeout: want a duration above 0"},
		{"empty out", []string{"--out", ""}, "--out: must not be empty"},
		{"positional argument", []string{"6"}, "verify takes no arguments"},
		{"no kubeconfig", nil, "no kubeconfig found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, stderr := runCmdForTest(t, append([]string{"verify"}, tc.args...)...)
			if code != 2 {
				t.Errorf("exit %d, want 2 (stdout %q)", code, out)
			}
			if !strings.Contains(stderr, tc.want) {
				t.Errorf("stderr %q lacks %q", stderr, tc.want)
			}
		})
	}
}

func TestVerifyAcceptsGoodInput(t *testing.T) {
	t.Parallel()
	o := &verifyOptions{cases: "1-3", out: "x", lang: "ja", caseTimeout: time.Minute,
		lab: target.Settings{Namespace: "pulllab", Node: "crc-abcde-master-0", Registry: "127.0.0.1:5000/pulllab", BaseImage: "registry.example.com/wildfly/wildfly:latest"}}
	cases, err := o.selectCases()
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) != 3 {
		t.Errorf("%d cases, want 3", len(cases))
	}
}

// sampleResults is a small finished run.
func sampleResults() *lab.Results {
	t0 := time.Date(2026, 11, 26, 15, 0, 0, 0, time.UTC)
	c6, _ := lab.CaseByID(6)
	obs := lab.Observation{Pod: "custom-image-java-1", PodLine: "custom-image-java-1   1/1   Running   0   20s", Status: "Running", Ready: true,
		ImageID: "registry.test/pulllab/custom-image-java@sha256:1111111111111111111111111111111111111111111111111111111111111111",
		LogLine: `WFLYSRV0027: Starting deployment of "node.war" (runtime-name: "node.war")`,
		Events:  []lab.Event{{Type: "Normal", Reason: "Pulled", Message: `Container image "x" already present on machine`, Count: 1, First: t0, Last: t0}},
		Created: t0, Kubelet: t0.Add(2 * time.Second), Seen: t0.Add(3 * time.Second)}
	observed := lab.Runs(lab.VariantNode)
	r := &lab.Results{
		SchemaVersion: lab.SchemaVersion, Tool: lab.Tool{Name: "pulllab", Version: "test"}, StartedAt: t0, FinishedAt: t0.Add(time.Minute),
		Environment: lab.Environment{Target: "openshift", Namespace: "pulllab", AppRepository: "registry.test/pulllab/custom-image-java"},
		Base:        lab.BaseImage{Ref: "registry.test/eap:7.4", Profile: "wildfly"},
		Builds: []lab.Build{
			{Variant: lab.VariantNode, Digest: "sha256:1111111111111111111111111111111111111111111111111111111111111111"},
			{Variant: lab.VariantRegistry, Digest: "sha256:3333333333333333333333333333333333333333333333333333333333333333"},
		},
		Cases: []lab.CaseResult{{Case: c6, Order: 1, Steps: []string{}, Before: lab.StateSnapshot{Tag: "v1", Node: lab.HoldsNode, Registry: lab.HoldsRegistry},
			Image: "registry.test/pulllab/custom-image-java:v1", Observation: &obs, Observed: &observed, RanVariant: lab.VariantNode, LogVariant: lab.VariantNode,
			Verdict: lab.VerdictPass, Detail: "node.war ran as expected", KubeletSeconds: 2, PhaseSeconds: 3, VerdictDelaySeconds: 1}},
	}
	r.Tally()
	return r
}

func TestWriteReports(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		lang  string
		files []string
		main  string
	}{
		{"en", []string{"results.json", "report.md", "junit.xml"}, "report.md"},
		{"ja", []string{"results.json", "report.md", "report.ja.md", "junit.xml"}, "report.ja.md"},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "out")
			var out bytes.Buffer
			if err := writeReports(&out, &verifyOptions{out: dir, lang: tc.lang}, sampleResults()); err != nil {
				t.Fatal(err)
			}
			entries, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			if len(entries) != len(tc.files) {
				t.Errorf("%d files written, want %v", len(entries), tc.files)
			}
			for _, f := range tc.files {
				b, err := os.ReadFile(filepath.Join(dir, f))
				if err != nil || len(b) == 0 {
					t.Errorf("%s: %v (%d bytes)", f, err, len(b))
				}
			}
			r, err := lab.ReadResults(filepath.Join(dir, "results.json"))
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Cases) != 1 || r.Cases[0].Verdict != lab.VerdictPass {
				t.Errorf("results.json round trip: %+v", r.Summary)
			}
			if !strings.Contains(out.String(), "Report: "+filepath.Join(dir, tc.main)) {
				t.Errorf("stdout does not name the report:\n%s", out.String())
			}
			if !strings.Contains(out.String(), "6") {
				t.Errorf("stdout has no summary table:\n%s", out.String())
			}
			if en, _ := os.ReadFile(filepath.Join(dir, "report.md")); !strings.Contains(string(en), "IfNotPresent") {
				t.Error("report.md does not describe the case")
			}
		})
	}
}

func TestPeakRSS(t *testing.T) {
	t.Parallel()
	got := peakRSS()
	if runtime.GOOS == "linux" && got < 1<<20 {
		t.Errorf("peakRSS = %d bytes on Linux, want at least 1 MiB", got)
	}
	if runtime.GOOS != "linux" && got != 0 {
		t.Errorf("peakRSS = %d, want 0 off Linux", got)
	}
}

// TestVerifyRegistryAuth checks --registry-auth and PULLLAB_REGISTRY_AUTH:
// a file pulllab cannot use stops verify with exit code 2 and an error that
// names the file and the line, and neither the error nor the log shows the
// password or its base64.
func TestVerifyRegistryAuth(t *testing.T) {
	const password = "Pa55-not-shown"
	auth := base64.StdEncoding.EncodeToString([]byte("lab:" + password))
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.json", `{"auths": {"127.0.0.1:5001": {"auth": "`+auth+`"}}}`)
	for _, tc := range []struct {
		name string
		args []string
		env  string
		code int
		want []string
	}{
		{"not base64", []string{"--registry-auth", write("bad64.json", "{\"auths\": {\n  \"127.0.0.1:5001\": {\"auth\": \""+password+"\"}}}")}, "", 2,
			[]string{"bad64.json: line 2", `auths["127.0.0.1:5001"].auth: is not base64`}},
		{"password missing, from the environment", nil, write("nopass.json", `{"auths": {"127.0.0.1:5001": {"username": "lab"}}}`), 2,
			[]string{"nopass.json: line 1", ".password: is missing"}},
		{"not JSON", []string{"--registry-auth", write("broken.json", "{\"auths\": {\"r:1\": {\"auth\": \""+auth+"\" x}}}")}, "", 2,
			[]string{"broken.json: line 1", "not valid JSON"}},
		{"missing file", []string{"--registry-auth", filepath.Join(dir, "none.json")}, "", 2, []string{"none.json: cannot be read: no such file"}},
		{"a good file passes to the cluster step", []string{"--registry-auth", good}, "", 2, []string{"no kubeconfig found"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.env != "" {
				t.Setenv("PULLLAB_REGISTRY_AUTH", tc.env)
			}
			code, out, stderr := runCmdForTest(t, append([]string{"verify", "--extended", "--registry", "127.0.0.1:5001", "--log-level", "debug"}, tc.args...)...)
			if code != tc.code {
				t.Errorf("exit %d, want %d (stdout %q, stderr %q)", code, tc.code, out, stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr %q lacks %q", stderr, w)
				}
			}
			texts := []string{out, stderr}
			if i := strings.Index(stderr, "The full log is in "); i >= 0 {
				p := strings.TrimSpace(strings.SplitN(stderr[i+len("The full log is in "):], "\n", 2)[0])
				if b, err := os.ReadFile(p); err == nil {
					texts = append(texts, string(b))
				}
			}
			for _, s := range texts {
				if strings.Contains(s, password) || strings.Contains(s, auth) {
					t.Errorf("a credential leaked: %q", s)
				}
			}
		})
	}
}
