package lab

import (
	"slices"
	"strings"
	"testing"
)

func TestMatrix(t *testing.T) {
	for _, tc := range []struct {
		extended bool
		ids      []int
	}{
		{false, []int{1, 2, 3, 4, 5, 6}},
		{true, []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}},
	} {
		var ids []int
		for _, c := range Matrix(tc.extended) {
			ids = append(ids, c.ID)
		}
		if !slices.Equal(ids, tc.ids) {
			t.Errorf("Matrix(%v) IDs %v, want %v", tc.extended, ids, tc.ids)
		}
	}
	// The expectations are the article's table and the extended cases.
	want := map[int]string{
		1:  "Always node none tag fails(ImagePullBackOff)",
		2:  "Always node registry tag runs(registry)",
		3:  "IfNotPresent none none tag fails(ImagePullBackOff)",
		4:  "IfNotPresent none registry tag runs(registry)",
		5:  "IfNotPresent node none tag runs(node)",
		6:  "IfNotPresent node registry tag runs(node)",
		7:  "Never node any tag runs(node)",
		8:  "Never none registry tag fails(ErrImageNeverPull)",
		9:  "IfNotPresent node registry digest runs(registry)",
		10: "(omitted) node registry latest runs(registry)",
		11: "IfNotPresent node registry tag runs(node) verifying:fails(ImagePullBackOff) no-credentials pulled-with-secret",
		12: "Never node registry tag runs(node) verifying:fails(ErrImageNeverPull) no-credentials pulled-with-secret",
	}
	for _, c := range Matrix(true) {
		got := strings.Join([]string{c.Policy.String(), string(c.Node), string(c.Registry), string(c.Ref), c.Expect.String()}, " ")
		if c.ExpectVerifying != nil {
			got += " verifying:" + c.ExpectVerifying.String()
		}
		if c.NoCredentials {
			got += " no-credentials"
		}
		if c.NodePulledWithSecret {
			got += " pulled-with-secret"
		}
		if got != want[c.ID] {
			t.Errorf("case %d = %q, want %q", c.ID, got, want[c.ID])
		}
		if c.Extended != (c.ID > 6) {
			t.Errorf("case %d: extended %v", c.ID, c.Extended)
		}
	}
	m := Matrix(false)
	m[0].Policy = PolicyNever
	if c, _ := CaseByID(1); c.Policy != PolicyAlways {
		t.Error("Matrix does not return a copy")
	}
}

func TestSelectCases(t *testing.T) {
	for _, tc := range []struct {
		sel      string
		extended bool
		want     []int
		err      string
	}{
		{"", false, []int{1, 2, 3, 4, 5, 6}, ""},
		{" ", true, []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, ""},
		{"11,12", false, []int{11, 12}, ""},
		{"6,2,1", false, []int{1, 2, 6}, ""},
		{"1-3, 9", false, []int{1, 2, 3, 9}, ""},
		{"2,2,1-2", false, []int{1, 2}, ""},
		{"0", false, nil, "there is no case 0"},
		{"13", false, nil, "there is no case 13: cases are numbered 1 to 12"},
		{"3-1", false, nil, "invalid case selection"},
		{"a", false, nil, "invalid case selection"},
		{"1,,2", false, nil, "invalid case selection"},
		{"-1", false, nil, "there is no case -1"},
	} {
		t.Run(tc.sel, func(t *testing.T) {
			cs, err := SelectCases(tc.sel, tc.extended)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var ids []int
			for _, c := range cs {
				ids = append(ids, c.ID)
			}
			if !slices.Equal(ids, tc.want) {
				t.Errorf("ids %v, want %v", ids, tc.want)
			}
		})
	}
}

func TestCaseTitle(t *testing.T) {
	for id, want := range map[int]string{
		1:  "Case 1 · Always · node has node.war, registry has no image",
		6:  "Case 6 · IfNotPresent · node has node.war, registry has registry.war",
		7:  "Case 7 · Never · node has node.war, registry has anything",
		9:  "Case 9 · IfNotPresent · node has node.war, registry has registry.war · by digest",
		10: "Case 10 · (omitted) · node has node.war, registry has registry.war · :latest",
		11: "Case 11 · IfNotPresent · node has node.war, registry has registry.war · pulled with the lab's secret, deployed without credentials",
	} {
		c, _ := CaseByID(id)
		if got := CaseTitle(c); got != want {
			t.Errorf("CaseTitle(%d) = %q, want %q", id, got, want)
		}
	}
}

func TestResolve(t *testing.T) {
	c11, _ := CaseByID(11)
	c12, _ := CaseByID(12)
	c6, _ := CaseByID(6)
	for _, tc := range []struct {
		c        Case
		verifies bool
		want     string
	}{
		{c11, false, "runs(node)"},
		{c11, true, "fails(ImagePullBackOff)"},
		{c12, false, "runs(node)"},
		{c12, true, "fails(ErrImageNeverPull)"},
		{c6, true, "runs(node)"},
	} {
		r := tc.c.Resolve(tc.verifies)
		if r.Expect.String() != tc.want || r.ExpectVerifying != nil {
			t.Errorf("case %d Resolve(%v) = %s (verifying %v), want %s", tc.c.ID, tc.verifies, r.Expect, r.ExpectVerifying, tc.want)
		}
	}
	if c, _ := CaseByID(11); c.ExpectVerifying == nil || c.Expect.Outcome != OutcomeRuns {
		t.Error("Resolve changed the matrix")
	}
}
