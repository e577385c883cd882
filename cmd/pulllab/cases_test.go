package main

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/pulllab/pulllab/lab"
)

func TestCasesOutput(t *testing.T) {
	for _, tc := range []struct {
		name   string
		args   []string
		decode func([]byte, any) error
		want   int
	}{
		{"json", []string{"-o", "json"}, json.Unmarshal, 6},
		{"json extended", []string{"--extended", "-o", "json"}, json.Unmarshal, 12},
		{"yaml extended", []string{"--extended", "--output", "yaml"}, yaml.Unmarshal, 12},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, stderr := runCmdForTest(t, append([]string{"cases"}, tc.args...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			var cases []lab.Case
			if err := tc.decode([]byte(out), &cases); err != nil {
				t.Fatalf("decoding: %v\n%s", err, out)
			}
			want := lab.Matrix(tc.want == 12)
			if len(cases) != len(want) {
				t.Fatalf("%d cases, want %d", len(cases), len(want))
			}
			for i := range want {
				if !reflect.DeepEqual(cases[i], want[i]) {
					t.Errorf("case %d decoded as %+v, want %+v", want[i].ID, cases[i], want[i])
				}
			}
		})
	}
}

func TestCasesJSONIndent(t *testing.T) {
	_, out, _ := runCmdForTest(t, "cases", "-o", "json")
	if !strings.HasPrefix(out, "[\n  {\n    \"id\": 1,") {
		t.Errorf("not 2-space indented JSON:\n%.80s", out)
	}
}

func TestCasesText(t *testing.T) {
	code, out, _ := runCmdForTest(t, "cases", "--extended")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) != 13 {
		t.Fatalf("%d lines, want a header and 12 rows:\n%s", len(lines), out)
	}
	if f := strings.Fields(lines[0]); strings.Join(f, " ") != "NO. POLICY NODE REGISTRY REF EXPECTED" {
		t.Errorf("header %q", lines[0])
	}
	col := strings.Index(lines[0], "EXPECTED")
	for _, want := range []string{
		"6    IfNotPresent  node.war  registry.war  tag :v1",
		"9    IfNotPresent  node.war  registry.war  digest of :v1",
		"10   (omitted)     node.war  registry.war  tag :latest",
		"11   IfNotPresent  node.war  registry.war  tag :v1",
	} {
		found := false
		for _, l := range lines {
			if strings.HasPrefix(l, want) {
				found = true
			}
		}
		if !found {
			t.Errorf("no row starting %q in:\n%s", want, out)
		}
	}
	for _, l := range lines[1:] {
		if len(l) <= col || l[col-1] != ' ' || l[col] == ' ' {
			t.Errorf("row %q is not aligned with the EXPECTED column", l)
		}
	}
	_, short, _ := runCmdForTest(t, "cases")
	if !strings.Contains(short, "--extended") {
		t.Error("the short table does not mention --extended")
	}
}

func TestCasesRejectsBadInput(t *testing.T) {
	for _, args := range [][]string{{"-o", "xml"}, {"7"}} {
		code, _, stderr := runCmdForTest(t, append([]string{"cases"}, args...)...)
		if code != 2 || !strings.Contains(stderr, "ERROR") {
			t.Errorf("cases %v: exit %d, stderr %q; want 2", args, code, stderr)
		}
	}
}
