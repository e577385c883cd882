package main

import (
	"bytes"
	"strings"
	"testing"
)

// testdata/mod builds on Linux and macOS only: main calls a function
// defined under a !windows constraint and imports a package whose only
// files are for linux and darwin.
func TestPlatforms(t *testing.T) {
	t.Chdir("testdata/mod")
	for _, tc := range []struct {
		name     string
		args     []string
		code     int
		out      []string
		errLines []string
	}{
		{"linux and darwin build", []string{"linux/amd64", "darwin/arm64", "--", "./..."}, 0,
			[]string{"typecheck: linux/amd64 ok (", "typecheck: darwin/arm64 ok ("}, nil},
		{"windows lacks a function and a package", []string{"linux/arm64", "windows/amd64", "--", "."}, 1,
			[]string{"typecheck: linux/arm64 ok ("},
			[]string{"typecheck: windows/amd64: ", "build constraints exclude all Go files", "undefined: notOnWindows"}},
		{"an architecture the compiler does not know", []string{"linux/z80", "--", "."}, 2, nil,
			[]string{"linux/z80"}},
		{"no packages", []string{"linux/amd64", "--"}, 2, nil, []string{"give at least one OS/ARCH"}},
		{"no platform", []string{"--", "."}, 2, nil, []string{`"." is not a platform`}},
		{"not a platform", []string{"windows", "--", "."}, 2, nil, []string{`"windows" is not a platform`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			if code := run(tc.args, &out, &errb); code != tc.code {
				t.Fatalf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, out.String(), errb.String())
			}
			for _, w := range tc.out {
				if !strings.Contains(out.String(), w) {
					t.Errorf("stdout lacks %q:\n%s", w, out.String())
				}
			}
			for _, w := range tc.errLines {
				if !strings.Contains(errb.String(), w) {
					t.Errorf("stderr lacks %q:\n%s", w, errb.String())
				}
			}
			if tc.code != 1 && tc.errLines == nil && errb.Len() > 0 {
				t.Errorf("unexpected stderr:\n%s", errb.String())
			}
		})
	}
}
