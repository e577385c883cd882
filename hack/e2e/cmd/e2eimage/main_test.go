package main

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"
)

// fakeSources writes stand-in binaries: the tool only copies bytes.
func fakeSources(t *testing.T) sources {
	t.Helper()
	dir := t.TempDir()
	for n, body := range map[string]string{"pause": "PAUSE-BINARY", "appserver": "APPSERVER-BINARY", "busybox": "BUSYBOX-BINARY"} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return sources{BinDir: dir, Busybox: filepath.Join(dir, "busybox")}
}

// layerListing renders the image's single layer as "name type mode [-> link|size]" lines.
func layerListing(t *testing.T, sp spec) string {
	t.Helper()
	img, err := buildImage(sp, "amd64")
	if err != nil {
		t.Fatal(err)
	}
	layers, err := img.Layers()
	if err != nil || len(layers) != 1 {
		t.Fatalf("layers %d, err %v", len(layers), err)
	}
	rc, err := layers[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	var b strings.Builder
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Uid != 0 || h.Gid != 0 || !h.ModTime.Equal(epoch) {
			t.Errorf("%s: uid %d gid %d mtime %v", h.Name, h.Uid, h.Gid, h.ModTime)
		}
		fmt.Fprintf(&b, "%s %c %o", h.Name, h.Typeflag, h.Mode)
		switch h.Typeflag {
		case tar.TypeSymlink:
			fmt.Fprintf(&b, " -> %s", h.Linkname)
		case tar.TypeReg:
			fmt.Fprintf(&b, " %d", h.Size)
		}
		b.WriteString("\n")
	}
	return b.String()
}

func TestLayers(t *testing.T) {
	src := fakeSources(t)
	tests := []struct {
		image string
		want  string
	}{
		{"pause", "pause 0 755 12\n"},
		{"bystander", "pause 0 755 12\n"},
		{"appserver", "appserver 0 755 16\ndeployments/ 5 777\ntmp/ 5 1777\n"},
		{"debug", "bin/ 5 755\nbin/busybox 0 755 14\nbin/cat 2 777 -> busybox\nbin/chroot 2 777 -> busybox\n" +
			"bin/ls 2 777 -> busybox\nbin/sh 2 777 -> busybox\nbin/sleep 2 777 -> busybox\nhost/ 5 755\ntmp/ 5 1777\n"},
	}
	for _, tc := range tests {
		t.Run(tc.image, func(t *testing.T) {
			sp, err := imageSpec(tc.image, src)
			if err != nil {
				t.Fatal(err)
			}
			if got := layerListing(t, sp); got != tc.want {
				t.Errorf("layer:\n%s\nwant:\n%s", got, tc.want)
			}
		})
	}
}

func TestConfig(t *testing.T) {
	src := fakeSources(t)
	tests := []struct {
		image                string
		entrypoint, cmd, dir string
		port, user           string
	}{
		{image: "pause", entrypoint: "/pause", dir: "/", user: "65532:65532"},
		{image: "bystander", entrypoint: "/pause", dir: "/", user: "65532:65532"},
		{image: "appserver", entrypoint: "/appserver", dir: "/deployments", port: "8080/tcp", user: "65532:65532"},
		{image: "debug", cmd: "/bin/sleep infinity", dir: "/", user: ""},
	}
	for _, tc := range tests {
		t.Run(tc.image, func(t *testing.T) {
			sp, err := imageSpec(tc.image, src)
			if err != nil {
				t.Fatal(err)
			}
			img, err := buildImage(sp, "arm64")
			if err != nil {
				t.Fatal(err)
			}
			cf, err := img.ConfigFile()
			if err != nil {
				t.Fatal(err)
			}
			c := cf.Config
			if cf.OS != "linux" || cf.Architecture != "arm64" {
				t.Errorf("platform %s/%s", cf.OS, cf.Architecture)
			}
			if strings.Join(c.Entrypoint, " ") != tc.entrypoint || strings.Join(c.Cmd, " ") != tc.cmd || c.WorkingDir != tc.dir {
				t.Errorf("entrypoint %q cmd %q workdir %q", c.Entrypoint, c.Cmd, c.WorkingDir)
			}
			if _, ok := c.ExposedPorts[tc.port]; tc.port != "" && !ok {
				t.Errorf("exposed ports %v, want %s", c.ExposedPorts, tc.port)
			}
			if len(c.Env) == 0 || !strings.HasPrefix(c.Env[0], "PATH=") || !strings.Contains(c.Env[0], "/usr/local/bin") {
				t.Errorf("env %q: PATH must reach /usr/local/bin (crictl after chroot)", c.Env)
			}
			if c.User != tc.user {
				t.Errorf("user %q, want %q (restricted Pod Security needs a numeric non-root user)", c.User, tc.user)
			}
			if c.Labels[labelImage] != tc.image {
				t.Errorf("labels %v", c.Labels)
			}
		})
	}
}

func TestDigestsAreDeterministicAndDistinct(t *testing.T) {
	src := fakeSources(t)
	digests := map[string]string{}
	for _, n := range imageNames {
		var first string
		for i := 0; i < 2; i++ {
			sp, err := imageSpec(n, src)
			if err != nil {
				t.Fatal(err)
			}
			img, err := buildImage(sp, "amd64")
			if err != nil {
				t.Fatal(err)
			}
			d, err := img.Digest()
			if err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				first = d.String()
			} else if d.String() != first {
				t.Errorf("%s: digest %s then %s", n, first, d)
			}
		}
		for other, d := range digests {
			if d == first {
				t.Errorf("%s and %s share digest %s", n, other, d)
			}
		}
		digests[n] = first
	}
}

func TestLayerTarRejects(t *testing.T) {
	tests := []struct {
		name    string
		entries []entry
	}{
		{"root", []entry{{Path: "/", Dir: true}}},
		{"duplicate", []entry{{Path: "/a", Data: []byte("x")}, {Path: "a", Data: []byte("y")}}},
		{"directory with data", []entry{{Path: "/d", Dir: true, Data: []byte("x")}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := layerTar(tc.entries); err == nil {
				t.Error("no error")
			}
		})
	}
}

func TestRunPushAndCheck(t *testing.T) {
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	reg := strings.TrimPrefix(srv.URL, "http://")
	src := fakeSources(t)
	ctx := context.Background()

	var out, errb bytes.Buffer
	if code := run(ctx, []string{"-registry", reg, "-check", "all"}, &out, &errb); code != 1 {
		t.Fatalf("check on an empty registry: exit %d, want 1\n%s%s", code, out.String(), errb.String())
	}
	out.Reset()
	if code := run(ctx, []string{"-registry", reg, "-bin", src.BinDir, "-busybox", src.Busybox, "all"}, &out, &errb); code != 0 {
		t.Fatalf("push: exit %d\n%s", code, errb.String())
	}
	for _, n := range imageNames {
		if !strings.Contains(out.String(), "pushed "+reg+"/"+imageRefs[n]+" sha256:") {
			t.Errorf("push output lacks %s:\n%s", n, out.String())
		}
	}
	out.Reset()
	if code := run(ctx, []string{"-registry", reg, "-check", "debug", "pause"}, &out, &errb); code != 0 {
		t.Fatalf("check after push: exit %d\n%s", code, out.String())
	}
	if lines := strings.Count(out.String(), "\n"); lines != 2 {
		t.Errorf("check printed %d lines:\n%s", lines, out.String())
	}
}

func TestRunUsage(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
	}{
		{"no images", []string{"-bin", "x"}, 2},
		{"unknown image", []string{"-bin", "x", "nginx"}, 2},
		{"no -bin", []string{"pause"}, 2},
		{"bad flag", []string{"-nope"}, 2},
		{"missing binary", []string{"-bin", "/nonexistent", "-registry", "127.0.0.1:1", "pause"}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if code := run(context.Background(), tc.args, io.Discard, io.Discard); code != tc.code {
				t.Errorf("exit %d, want %d", code, tc.code)
			}
		})
	}
}
