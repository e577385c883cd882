package main

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/pulllab/pulllab/internal/version"
)

func TestVersion(t *testing.T) {
	t.Parallel()
	t.Run("text", func(t *testing.T) {
		r := testRunApp(t, nil, nil, "version")
		want := version.String() + "\n"
		if r.code != 0 || r.out != want {
			t.Errorf("code %d, out %q, want %q", r.code, r.out, want)
		}
		if !strings.HasPrefix(r.out, "pulllab v") || !strings.Contains(r.out, " "+runtime.Version()+" "+runtime.GOOS+"/"+runtime.GOARCH) {
			t.Errorf("out %q is not `pulllab vX (commit) go1.xx os/arch`", r.out)
		}
	})
	t.Run("--version flag says the same", func(t *testing.T) {
		r := testRunApp(t, nil, nil, "--version")
		if r.code != 0 || r.out != version.String()+"\n" {
			t.Errorf("code %d, out %q", r.code, r.out)
		}
	})
	t.Run("json", func(t *testing.T) {
		r := testRunApp(t, nil, nil, "version", "-o", "json")
		var v map[string]string
		if err := json.Unmarshal([]byte(r.out), &v); err != nil || r.code != 0 {
			t.Fatalf("code %d, %v: %q", r.code, err, r.out)
		}
		want := map[string]string{"version": version.Version(), "commit": version.Commit(), "go": runtime.Version(), "os": runtime.GOOS, "arch": runtime.GOARCH}
		for k, w := range want {
			if got, ok := v[k]; !ok || got != w {
				t.Errorf("%s = %q (present %v), want %q", k, got, ok, w)
			}
		}
		if len(v) != len(want) {
			t.Errorf("fields %v", v)
		}
	})
	t.Run("yaml", func(t *testing.T) {
		r := testRunApp(t, nil, nil, "version", "-o", "yaml")
		var v versionInfo
		if err := yaml.Unmarshal([]byte(r.out), &v); err != nil || v != currentVersion() {
			t.Errorf("%v: %+v from %q", err, v, r.out)
		}
	})
	t.Run("bad input", func(t *testing.T) {
		for _, args := range [][]string{{"version", "-o", "toml"}, {"version", "now"}} {
			if r := testRunApp(t, nil, nil, args...); r.code != 2 {
				t.Errorf("%v: code %d, stderr %q", args, r.code, r.err)
			}
		}
	})
}

// TestNoArchSpecificCode keeps `make cross` honest: it builds one
// architecture per operating system, which proves every release platform
// builds only while no file of the module is specific to an architecture.
func TestNoArchSpecificCode(t *testing.T) {
	t.Parallel()
	root := filepath.Join("..", "..")
	archs := []string{"amd64", "arm64", "386", "arm", "ppc64le", "s390x", "riscv64"}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") {
			return nil
		}
		base := strings.TrimSuffix(strings.TrimSuffix(d.Name(), ".go"), "_test")
		for _, a := range archs {
			if strings.HasSuffix(base, "_"+a) {
				t.Errorf("%s is specific to %s: make cross must then build every release platform (CROSS_CHECK in the Makefile)", path, a)
			}
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, line := range strings.Split(string(data), "\n") {
			if strings.HasPrefix(line, "//go:build") {
				for _, a := range archs {
					if strings.Contains(line, a) {
						t.Errorf("%s has the build constraint %q: make cross must then build every release platform", path, line)
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
