package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestUpSkipsCRCForAnotherCluster: up runs the crc step only for OpenShift
// Local. For a kubeconfig or context that is not crc's, or with no crc
// and a ~/.kube/config that reaches a cluster, it says in one line why it
// skips the step and prepares the lab on that cluster (here a plain
// Kubernetes one without a registry, so it stops there, exit 2, having
// changed nothing).
func TestUpSkipsCRCForAnotherCluster(t *testing.T) {
	const needsRegistry = "is plain Kubernetes, not OpenShift, and announces no local registry"
	tests := []struct {
		name string
		// setup returns up's extra arguments and environment, given the
		// home directory, crc's kubeconfig path and the plain cluster's
		// kubeconfig.
		setup    func(t *testing.T, home, crcKC, plain string) (args []string, env map[string]string)
		wantSkip string // "" means the crc step runs
		want     string
	}{
		{
			name: "--kubeconfig elsewhere",
			setup: func(t *testing.T, home, crcKC, plain string) ([]string, map[string]string) {
				return []string{"--kubeconfig", plain}, nil
			},
			wantSkip: "is not OpenShift Local's kubeconfig", want: needsRegistry,
		},
		{
			name: "$KUBECONFIG elsewhere",
			setup: func(t *testing.T, home, crcKC, plain string) ([]string, map[string]string) {
				return nil, map[string]string{"KUBECONFIG": plain}
			},
			wantSkip: "$KUBECONFIG (" + "", want: needsRegistry,
		},
		{
			name: "--context that crc's kubeconfig lacks",
			setup: func(t *testing.T, home, crcKC, plain string) ([]string, map[string]string) {
				copyFile(t, plain, filepath.Join(home, ".kube", "config"))
				writeFile(t, crcKC, kubeconfigWith("https://127.0.0.1:1", "crc-admin"))
				return []string{"--context", "c"}, nil
			},
			wantSkip: "--context c is not a context of OpenShift Local's kubeconfig", want: needsRegistry,
		},
		{
			name: "no crc, ~/.kube/config reaches a cluster",
			setup: func(t *testing.T, home, crcKC, plain string) ([]string, map[string]string) {
				copyFile(t, plain, filepath.Join(home, ".kube", "config"))
				return nil, nil
			},
			wantSkip: "crc is not installed and the default kubeconfig (~/.kube/config) reaches the cluster at http://127.0.0.1:", want: needsRegistry,
		},
		{
			name: "no crc, ~/.kube/config reaches nothing",
			setup: func(t *testing.T, home, crcKC, plain string) ([]string, map[string]string) {
				writeFile(t, filepath.Join(home, ".kube", "config"), kubeconfigWith("https://127.0.0.1:1", "c"))
				return nil, nil
			},
			want: "crc was not found",
		},
		{
			name: "crc's own kubeconfig, no crc",
			setup: func(t *testing.T, home, crcKC, plain string) ([]string, map[string]string) {
				copyFile(t, plain, filepath.Join(home, ".kube", "config"))
				writeFile(t, crcKC, kubeconfigWith("https://127.0.0.1:1", "crc-admin"))
				return []string{"--kubeconfig", crcKC}, nil
			},
			want: "crc was not found",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			home := t.TempDir()
			t.Setenv("HOME", home)
			t.Setenv("XDG_CACHE_HOME", t.TempDir())
			t.Setenv("PATH", t.TempDir()) // no crc
			t.Setenv("KUBECONFIG", "")
			paths, err := crcPaths(newGlobals(streams{}).env())
			if err != nil {
				t.Fatal(err)
			}
			plain := writeKubeconfig(t, fakeAPIServerWith(t, nil, "apps").URL)
			args, env := tt.setup(t, home, paths.Kubeconfig, plain)
			for k, v := range env {
				t.Setenv(k, v)
			}
			var out, errb bytes.Buffer
			code := run(context.Background(), append([]string{"pulllab", "up"}, args...), streams{in: strings.NewReader(""), out: &out, err: &errb})
			stderr := errb.String()
			if code != 2 {
				t.Errorf("exit %d, want 2\n%s", code, stderr)
			}
			skipped := strings.Count(stderr, "skipping the crc step")
			switch {
			case tt.wantSkip == "" && skipped > 0:
				t.Errorf("skipped the crc step for OpenShift Local:\n%s", stderr)
			case tt.wantSkip != "" && (skipped != 1 || !strings.Contains(stderr, tt.wantSkip)):
				t.Errorf("want one line skipping the crc step with %q:\n%s", tt.wantSkip, stderr)
			}
			if !strings.Contains(stderr, tt.want) {
				t.Errorf("stderr lacks %q:\n%s", tt.want, stderr)
			}
		})
	}
}

func TestSamePath(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "kubeconfig")
	writeFile(t, f, "x")
	link := filepath.Join(dir, "link")
	if err := os.Symlink(f, link); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{f, f, true},
		{link, f, true},
		{filepath.Join(dir, ".", "kubeconfig"), f, true},
		{filepath.Join(dir, "missing"), filepath.Join(dir, "missing"), true},
		{filepath.Join(dir, "other"), f, false},
		{f + string(filepath.ListSeparator) + f, f, false},
	} {
		if got := samePath(tc.a, tc.b); got != tc.want {
			t.Errorf("samePath(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

// kubeconfigWith is a kubeconfig with one context, name, for server.
func kubeconfigWith(server, name string) string {
	return fmt.Sprintf("apiVersion: v1\nkind: Config\nclusters:\n- name: %[2]s\n  cluster: {server: %[1]q}\ncontexts:\n- name: %[2]s\n  context: {cluster: %[2]s, user: u}\ncurrent-context: %[2]s\nusers:\n- name: u\n  user: {token: not-a-real-token}\n", server, name)
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, to, string(b))
}
