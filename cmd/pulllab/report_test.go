package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReportCommand(t *testing.T) {
	sample := filepath.Join("..", "..", "docs", "sample", "v1.34.4-cri-o")
	from := filepath.Join(sample, "results.json")
	for _, tc := range []struct {
		name, lang, golden string
	}{
		{"english", "en", "report.md"},
		{"japanese", "ja", "report.ja.md"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "r.md")
			code, stdout, stderr := runCmdForTest(t, "report", "--from", from, "--lang", tc.lang, "--out", out)
			if code != 0 {
				t.Fatalf("exit %d, stderr:\n%s", code, stderr)
			}
			got, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			want, err := os.ReadFile(filepath.Join(sample, tc.golden))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(want) {
				t.Errorf("report --lang %s differs from docs/sample/%s (regenerate with go test ./lab/report -update)", tc.lang, tc.golden)
			}
			if !strings.Contains(stdout, out) {
				t.Errorf("stdout does not name the file: %q", stdout)
			}
		})
	}
	t.Run("junit to stdout", func(t *testing.T) {
		code, stdout, stderr := runCmdForTest(t, "report", "--from", from, "--format", "junit")
		if code != 0 || !strings.HasPrefix(stdout, "<?xml") {
			t.Fatalf("exit %d, stdout %.80q, stderr %s", code, stdout, stderr)
		}
	})
	bad := []struct {
		name string
		args []string
		want string
	}{
		{"unknown language", []string{"--from", from, "--lang", "fr"}, "--lang"},
		{"unknown format", []string{"--from", from, "--format", "pdf"}, "--format"},
		{"missing file", []string{"--from", filepath.Join(t.TempDir(), "nope.json")}, "nope.json does not exist"},
		{"not results", []string{"--from", filepath.Join(sample, "..", "README.md")}, "README.md is not valid JSON: line 1"},
		{"stray argument", []string{"--from", from, "extra"}, "no arguments"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runCmdForTest(t, append([]string{"report"}, tc.args...)...)
			if code != 2 {
				t.Fatalf("exit %d, want 2; stderr:\n%s", code, stderr)
			}
			if !strings.Contains(stderr, tc.want) {
				t.Errorf("stderr %q does not mention %q", stderr, tc.want)
			}
		})
	}
}
