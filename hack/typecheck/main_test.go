package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// inModCopy changes into a copy of testdata/mod for the test.
func inModCopy(t *testing.T) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "mod")
	if err := os.CopyFS(dir, os.DirFS("testdata/mod")); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
}

// testdata/mod builds on Linux and macOS only: main calls a function
// defined under a !windows constraint and imports a package whose only
// files are for linux and darwin.
func TestPlatforms(t *testing.T) {
	inModCopy(t)
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
			if code := run(append([]string{"-cache", ""}, tc.args...), &out, &errb); code != tc.code {
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

// A platform that passed is not checked again until a file changes; one
// that failed is checked every time.
func TestCache(t *testing.T) {
	inModCopy(t)
	cache := t.TempDir()
	check := func(wantCode int, want ...string) {
		t.Helper()
		var out, errb bytes.Buffer
		code := run([]string{"-cache", cache, "linux/amd64", "windows/amd64", "--", "."}, &out, &errb)
		if code != wantCode {
			t.Fatalf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", code, wantCode, out.String(), errb.String())
		}
		for _, w := range want {
			if !strings.Contains(out.String()+errb.String(), w) {
				t.Errorf("output lacks %q:\n%s%s", w, out.String(), errb.String())
			}
		}
	}
	check(1, "typecheck: linux/amd64 ok (", " s)\n", "typecheck: windows/amd64: ")
	check(1, "typecheck: linux/amd64 ok (", "packages, unchanged since they passed)", "typecheck: windows/amd64: ")
	// An edit that breaks Linux too is seen at once.
	if err := os.WriteFile("other_unix.go", []byte("//go:build !windows\n\npackage main\n\nfunc notOnWindows(int) {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	check(1, "typecheck: linux/amd64: ", "not enough arguments in call to notOnWindows")
	if entries, _ := os.ReadDir(cache); len(entries) != 1 {
		t.Errorf("%d stamps in the cache, want 1 (linux/amd64 before the edit)", len(entries))
	}
}
