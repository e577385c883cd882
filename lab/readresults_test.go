package lab

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadResultsErrors: what a user sees for a bad --from file is a
// sentence about the file, never Go's type names (issue 12, item 7).
func TestReadResultsErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, content string
		want          []string
	}{
		{"array", `[1, 2]`, []string{"holds a JSON array where an object belongs", "line 1"}},
		{"schema as string", `{"schemaVersion": "1"}`, []string{`no numeric "schemaVersion"`}},
		{"newer pulllab", `{"schemaVersion": 7, "cases": "x"}`, []string{"newer pulllab", "schema 7", "upgrade pulllab"}},
		{"older schema", `{"schemaVersion": 0}`, []string{"no longer reads", "run verify again"}},
		{"truncated", "{\"schemaVersion\": 1,\n \"cases\": [", []string{"ends in the middle of the JSON"}},
		{"syntax", "{\"schemaVersion\": 1,\n  \"cases\": [}]}", []string{"is not valid JSON: line 2, column"}},
		{"wrong field type", "{\"schemaVersion\": 1,\n \"cases\": {\"a\": 1}}", []string{`"cases" holds a JSON object where an array belongs (line 2`}},
		{"empty", "  \n", []string{"is empty"}},
		{"no schema", `{"cases": []}`, []string{`no numeric "schemaVersion"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, tc.name+".json")
			if err := os.WriteFile(p, []byte(tc.content), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := ReadResults(p)
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, p+" ") {
				t.Errorf("%q does not start with the file name", msg)
			}
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("%q lacks %q", msg, w)
				}
			}
			for _, bad := range []string{"Go value", "Go struct", "lab.Results", "json:", "unexpected EOF"} {
				if strings.Contains(msg, bad) {
					t.Errorf("%q leaks %q", msg, bad)
				}
			}
		})
	}
	if _, err := ReadResults(filepath.Join(dir, "missing.json")); err == nil || !strings.HasSuffix(err.Error(), "missing.json does not exist") || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

// FuzzDecodeResults: any bytes give results or an error, never a panic, and
// no error text carries Go's own vocabulary.
func FuzzDecodeResults(f *testing.F) {
	for _, s := range []string{`{"schemaVersion":1}`, `[]`, `{"schemaVersion":1,"cases":[{"id":"x"}]}`, `{`, `"x"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := DecodeResults(data)
		if err != nil && strings.Contains(err.Error(), "Go ") {
			t.Errorf("error speaks Go: %v", err)
		}
	})
}
