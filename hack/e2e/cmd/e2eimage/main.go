// Command e2eimage builds the container images of pulllab's e2e harness and
// pushes them to the harness registry (plain http on 127.0.0.1). No image
// comes from a public registry: each one is scratch plus a single
// deterministic tar layer holding static binaries built from this repository
// (or Debian's busybox-static), so the same inputs always give the same
// digest.
//
//	e2eimage -bin DIR [-registry 127.0.0.1:5000] [-busybox /bin/busybox] IMAGE...
//	e2eimage -check [-registry 127.0.0.1:5000] IMAGE...
//
// IMAGE is pause, appserver, debug, bystander or all. -bin is the directory
// holding the pause and appserver binaries (CGO_ENABLED=0). -check prints
// the digest the registry serves for each image and exits 1 if one is
// missing.
package main

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// imageNames lists the images in push order.
var imageNames = []string{"pause", "appserver", "debug", "bystander"}

// Repositories and tags of the images, relative to the registry.
var imageRefs = map[string]string{
	"pause":     "pulllab-e2e/pause:3.10",
	"appserver": "pulllab-e2e/appserver:1",
	"debug":     "pulllab-e2e/debug:1",
	"bystander": "bystander/app:1",
}

// rootPath is the PATH every image sets: the debug image's shell needs it
// after `chroot /host` too, where crictl is in /usr/local/bin.
const rootPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// labelImage names the harness image in its config labels.
const labelImage = "io.pulllab.e2e.image"

// entry is one file, directory or symlink in a layer.
type entry struct {
	Path string // absolute, e.g. "/bin/sh"
	Mode int64
	Data []byte
	Link string // symlink target when set
	Dir  bool
}

// spec is what an image holds.
type spec struct {
	Name    string
	Ref     string // repository:tag under the registry
	Entries []entry
	Config  v1.Config
}

// sources are the host files the images are made from.
type sources struct {
	BinDir  string // holds pause and appserver
	Busybox string // Debian's busybox-static binary
}

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("e2eimage", flag.ContinueOnError)
	fs.SetOutput(stderr)
	registry := fs.String("registry", "127.0.0.1:5000", "push to the registry at `HOST:PORT` (plain http)")
	binDir := fs.String("bin", "", "`DIR` holding the pause and appserver binaries")
	busybox := fs.String("busybox", "/bin/busybox", "busybox-static binary `FILE` for the debug image")
	arch := fs.String("arch", runtime.GOARCH, "image architecture (the binaries')")
	check := fs.Bool("check", false, "only check which images the registry serves")
	timeout := fs.Duration("timeout", 2*time.Minute, "give up after `DURATION`")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: e2eimage -bin DIR [flags] IMAGE...\n       e2eimage -check [flags] IMAGE...\nIMAGE: %s or all\n", strings.Join(imageNames, ", "))
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	names, err := selectImages(fs.Args())
	if err != nil {
		fmt.Fprintf(stderr, "e2eimage: %v\n", err)
		return 2
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()

	if *check {
		missing := 0
		for _, n := range names {
			ref := *registry + "/" + imageRefs[n]
			dg, err := remoteDigest(ctx, ref)
			if err != nil {
				fmt.Fprintf(stdout, "%-10s %s missing (%v)\n", n, ref, err)
				missing++
				continue
			}
			fmt.Fprintf(stdout, "%-10s %s %s\n", n, ref, dg)
		}
		if missing > 0 {
			return 1
		}
		return 0
	}

	if *binDir == "" {
		fmt.Fprintln(stderr, "e2eimage: -bin is required to build images")
		return 2
	}
	src := sources{BinDir: *binDir, Busybox: *busybox}
	for _, n := range names {
		sp, err := imageSpec(n, src)
		if err != nil {
			fmt.Fprintf(stderr, "e2eimage: %v\n", err)
			return 1
		}
		img, err := buildImage(sp, *arch)
		if err != nil {
			fmt.Fprintf(stderr, "e2eimage: building %s: %v\n", n, err)
			return 1
		}
		ref := *registry + "/" + sp.Ref
		dg, err := push(ctx, ref, img)
		if err != nil {
			fmt.Fprintf(stderr, "e2eimage: pushing %s: %v\n", ref, err)
			return 1
		}
		fmt.Fprintf(stdout, "pushed %s %s\n", ref, dg)
	}
	return 0
}

// selectImages expands "all" and checks the names.
func selectImages(args []string) ([]string, error) {
	if len(args) == 0 {
		return nil, errors.New("name the images to build: " + strings.Join(imageNames, ", ") + " or all")
	}
	seen := map[string]bool{}
	for _, a := range args {
		if a == "all" {
			for _, n := range imageNames {
				seen[n] = true
			}
			continue
		}
		if _, ok := imageRefs[a]; !ok {
			return nil, fmt.Errorf("unknown image %q: use %s or all", a, strings.Join(imageNames, ", "))
		}
		seen[a] = true
	}
	var out []string
	for _, n := range imageNames {
		if seen[n] {
			out = append(out, n)
		}
	}
	return out, nil
}

// nonRootUser is the numeric USER of every image that runs in a namespace
// under Pod Security "restricted" (runAsNonRoot needs a numeric, non-zero
// user to check against). The debug image stays root: it runs privileged in
// pulllab's debug namespace and chroots into the host.
const nonRootUser = "65532:65532"

// imageSpec describes image n, reading its binaries from src.
func imageSpec(n string, src sources) (spec, error) {
	read := func(file string) ([]byte, error) {
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("image %s: %w (run `hack/e2e/cluster.sh build`)", n, err)
		}
		return b, nil
	}
	sp := spec{Name: n, Ref: imageRefs[n]}
	labels := map[string]string{labelImage: n}
	switch n {
	case "pause", "bystander":
		b, err := read(filepath.Join(src.BinDir, "pause"))
		if err != nil {
			return spec{}, err
		}
		sp.Entries = []entry{{Path: "/pause", Mode: 0o755, Data: b}}
		sp.Config = v1.Config{Entrypoint: []string{"/pause"}, Env: []string{rootPath}, WorkingDir: "/", User: nonRootUser, Labels: labels}
		if n == "bystander" {
			// Same binary, a different config: a different digest, so the
			// lab cannot mistake it for anything of its own.
			labels["io.pulllab.e2e.note"] = "an image that is not the lab's; the lab must never remove it"
		}
	case "appserver":
		b, err := read(filepath.Join(src.BinDir, "appserver"))
		if err != nil {
			return spec{}, err
		}
		sp.Entries = []entry{
			{Path: "/appserver", Mode: 0o755, Data: b},
			{Path: "/deployments", Mode: 0o777, Dir: true},
			{Path: "/tmp", Mode: 0o1777, Dir: true},
		}
		labels["io.pulllab.deployments-dir"] = "/deployments"
		sp.Config = v1.Config{
			Entrypoint:   []string{"/appserver"},
			Env:          []string{rootPath, "DEPLOYMENTS_DIR=/deployments"},
			WorkingDir:   "/deployments",
			User:         nonRootUser,
			ExposedPorts: map[string]struct{}{"8080/tcp": {}},
			Labels:       labels,
		}
	case "debug":
		b, err := read(src.Busybox)
		if err != nil {
			return spec{}, err
		}
		sp.Entries = []entry{
			{Path: "/bin/busybox", Mode: 0o755, Data: b},
			{Path: "/host", Mode: 0o755, Dir: true},
			{Path: "/tmp", Mode: 0o1777, Dir: true},
		}
		for _, l := range []string{"sh", "chroot", "sleep", "cat", "ls"} {
			sp.Entries = append(sp.Entries, entry{Path: "/bin/" + l, Mode: 0o777, Link: "busybox"})
		}
		sp.Config = v1.Config{Cmd: []string{"/bin/sleep", "infinity"}, Env: []string{rootPath}, WorkingDir: "/", Labels: labels}
	default:
		return spec{}, fmt.Errorf("unknown image %q", n)
	}
	return sp, nil
}

// epoch is every entry's modification time: layers depend only on content.
var epoch = time.Unix(0, 0).UTC()

// layerTar writes the entries as a tar, parents first and sorted by path,
// owned by root, with fixed times.
func layerTar(entries []entry) ([]byte, error) {
	all := map[string]entry{}
	for _, e := range entries {
		p := path.Clean("/" + e.Path)
		if p == "/" {
			return nil, errors.New("a layer entry cannot be /")
		}
		if _, dup := all[p]; dup {
			return nil, fmt.Errorf("duplicate layer entry %s", p)
		}
		e.Path = p
		all[p] = e
		for d := path.Dir(p); d != "/"; d = path.Dir(d) {
			if _, ok := all[d]; !ok {
				all[d] = entry{Path: d, Mode: 0o755, Dir: true}
			}
		}
	}
	paths := make([]string, 0, len(all))
	for p := range all {
		paths = append(paths, p)
	}
	sort.Strings(paths)

	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, p := range paths {
		e := all[p]
		h := &tar.Header{Name: strings.TrimPrefix(p, "/"), Mode: e.Mode, ModTime: epoch, Format: tar.FormatPAX}
		switch {
		case e.Dir:
			if e.Data != nil || e.Link != "" {
				return nil, fmt.Errorf("directory entry %s has content", p)
			}
			h.Typeflag, h.Name = tar.TypeDir, h.Name+"/"
		case e.Link != "":
			h.Typeflag, h.Linkname = tar.TypeSymlink, e.Link
		default:
			h.Typeflag, h.Size = tar.TypeReg, int64(len(e.Data))
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if h.Typeflag == tar.TypeReg {
			if _, err := tw.Write(e.Data); err != nil {
				return nil, err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// buildImage makes scratch + one layer with the spec's entries and config.
func buildImage(sp spec, arch string) (v1.Image, error) {
	tb, err := layerTar(sp.Entries)
	if err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(tb)), nil
	})
	if err != nil {
		return nil, err
	}
	img, err := mutate.Append(empty.Image, mutate.Addendum{
		Layer:   layer,
		History: v1.History{CreatedBy: "pulllab e2eimage " + sp.Name, Created: v1.Time{Time: epoch}},
	})
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", arch
	cf.Created = v1.Time{Time: epoch}
	cf.Config = sp.Config
	return mutate.ConfigFile(img, cf)
}

// push writes img to ref over plain http and returns its digest.
func push(ctx context.Context, ref string, img v1.Image) (string, error) {
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		return "", err
	}
	if err := remote.Write(r, img, remote.WithContext(ctx)); err != nil {
		return "", err
	}
	dg, err := img.Digest()
	if err != nil {
		return "", err
	}
	return dg.String(), nil
}

// remoteDigest returns the manifest digest the registry serves for ref.
func remoteDigest(ctx context.Context, ref string) (string, error) {
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		return "", err
	}
	d, err := remote.Head(r, remote.WithContext(ctx))
	if err != nil {
		return "", err
	}
	return d.Digest.String(), nil
}
