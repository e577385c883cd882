package kube

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// maxKeptFile bounds the content baseFS keeps of one wanted file
// (/etc/passwd): a larger one is an error, not a read without end.
const maxKeptFile = 1 << 20

// maxSymlinks bounds the symbolic links followed while resolving one path,
// as the kernel's limit does.
const maxSymlinks = 40

// baseFS answers questions about an image's merged file system from its
// layers' tar headers. Layers are read lazily from the top down, so a
// question the upper layers answer never downloads the lower ones. The
// OCI whiteouts are honoured: ".wh.NAME" removes NAME from the layers
// below, ".wh..wh..opq" hides everything the layers below hold in its
// directory, and an entry that is not a directory hides the layers' below
// entries under its path.
type baseFS struct {
	layers  []v1.Layer // top first
	scanned []*layerIndex
	// keep are the paths of the regular files whose content is kept.
	keep map[string]bool
}

// fsEntry is one tar entry of a layer.
type fsEntry struct {
	Type     byte
	Linkname string
	UID, GID int
	Mode     int64
	// Data is the content of a kept regular file.
	Data []byte
}

// IsDir reports whether the entry is a directory.
func (e fsEntry) IsDir() bool { return e.Type == tar.TypeDir }

// layerIndex is what one layer says about paths.
type layerIndex struct {
	entries map[string]fsEntry
	// implied are the directories a layer's entries lie under without an
	// entry of their own: they exist (the runtime creates them, or keeps
	// a lower layer's).
	implied   map[string]bool
	whiteouts map[string]bool
	opaque    map[string]bool
}

// newBaseFS returns the view of an image's layers (bottom first, as
// v1.Image.Layers returns them) that keeps the content of the files at
// keep.
func newBaseFS(layers []v1.Layer, keep ...string) *baseFS {
	top := make([]v1.Layer, len(layers))
	for i, l := range layers {
		top[len(layers)-1-i] = l
	}
	k := map[string]bool{}
	for _, p := range keep {
		k[path.Clean("/"+p)] = true
	}
	return &baseFS{layers: top, keep: k}
}

// layer returns the index of the i-th layer from the top, reading it on
// first use; nil when there are fewer layers.
func (f *baseFS) layer(i int) (*layerIndex, error) {
	if i >= len(f.layers) {
		return nil, nil
	}
	for len(f.scanned) <= i {
		n := len(f.scanned)
		li, err := f.scan(f.layers[n])
		if err != nil {
			d, _ := f.layers[n].Digest()
			return nil, fmt.Errorf("reading layer %s: %w", d, err)
		}
		f.scanned = append(f.scanned, li)
	}
	return f.scanned[i], nil
}

// scan reads one layer's tar headers (and the kept files' content).
func (f *baseFS) scan(l v1.Layer) (*layerIndex, error) {
	rc, err := l.Uncompressed()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	li := &layerIndex{entries: map[string]fsEntry{}, implied: map[string]bool{}, whiteouts: map[string]bool{}, opaque: map[string]bool{}}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return li, nil
		}
		if err != nil {
			return nil, err
		}
		p := path.Clean("/" + h.Name)
		dir, base := path.Split(p)
		dir = path.Clean(dir)
		for a := dir; a != "/" && !li.implied[a]; a = path.Dir(a) {
			li.implied[a] = true
		}
		switch {
		case base == ".wh..wh..opq":
			li.opaque[dir] = true
			continue
		case strings.HasPrefix(base, ".wh."):
			li.whiteouts[path.Join(dir, strings.TrimPrefix(base, ".wh."))] = true
			continue
		}
		e := fsEntry{Type: h.Typeflag, Linkname: h.Linkname, UID: h.Uid, GID: h.Gid, Mode: h.Mode}
		if e.Type == tar.TypeRegA {
			e.Type = tar.TypeReg
		}
		if f.keep[p] && e.Type == tar.TypeReg {
			if h.Size > maxKeptFile {
				return nil, fmt.Errorf("%s is %d bytes, more than the %d pulllab reads", p, h.Size, maxKeptFile)
			}
			if e.Data, err = io.ReadAll(io.LimitReader(tr, maxKeptFile)); err != nil {
				return nil, fmt.Errorf("reading %s: %w", p, err)
			}
		}
		li.entries[p] = e
	}
}

// lookup returns the entry at the absolute, clean path p in the merged
// file system, without following symbolic links in p itself; ok is false
// when p does not exist. Ancestors must already be resolved (resolve does).
// A directory that a layer implies (its entries lie under it) exists; with
// meta, its owner and mode are looked for in the layers below (else root's
// 0755), without, the answer stops at that layer.
func (f *baseFS) lookup(p string, meta bool) (fsEntry, bool, error) {
	implied := fsEntry{Type: tar.TypeDir, Mode: 0o755}
	seen := false
	for i := 0; ; i++ {
		li, err := f.layer(i)
		if err != nil {
			return fsEntry{}, false, err
		}
		if li == nil {
			return implied, seen, nil
		}
		if e, ok := li.entries[p]; ok {
			return e, true, nil
		}
		if li.whiteouts[p] {
			return implied, seen, nil
		}
		if li.implied[p] {
			if !meta {
				return implied, true, nil
			}
			seen = true
		}
		for a := path.Dir(p); a != "/"; a = path.Dir(a) {
			if li.whiteouts[a] || li.opaque[a] {
				return implied, seen, nil
			}
			if e, ok := li.entries[a]; ok && !e.IsDir() {
				return implied, seen, nil
			}
		}
	}
}

// resolve follows symbolic links in every component of the absolute path
// p, as the container's processes see it, and returns the path it ends at
// and its entry; ok is false when it does not exist (or a component is not
// a directory).
func (f *baseFS) resolve(p string) (string, fsEntry, bool, error) {
	rest := strings.Split(strings.Trim(path.Clean("/"+p), "/"), "/")
	cur := "/"
	root := fsEntry{Type: tar.TypeDir}
	last := root
	links := 0
	for len(rest) > 0 {
		c := rest[0]
		rest = rest[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			cur = path.Dir(cur)
			last = root
			if cur != "/" {
				e, ok, err := f.lookup(cur, len(rest) == 0)
				if err != nil || !ok {
					return "", fsEntry{}, false, err
				}
				last = e
			}
			continue
		}
		next := path.Join(cur, c)
		e, ok, err := f.lookup(next, len(rest) == 0)
		if err != nil || !ok {
			return "", fsEntry{}, false, err
		}
		if e.Type == tar.TypeSymlink {
			links++
			if links > maxSymlinks {
				return "", fsEntry{}, false, fmt.Errorf("%s: more than %d symbolic links", p, maxSymlinks)
			}
			t := e.Linkname
			if path.IsAbs(t) {
				cur = "/"
			}
			rest = append(strings.Split(t, "/"), rest...)
			continue
		}
		if len(rest) > 0 && !e.IsDir() {
			return "", fsEntry{}, false, nil
		}
		cur, last = next, e
	}
	return cur, last, true, nil
}

// readFile returns the content of the regular file at p (a kept path,
// after symbolic links), or ok false when there is none.
func (f *baseFS) readFile(p string) ([]byte, bool, error) {
	rp, e, ok, err := f.resolve(p)
	if err != nil || !ok {
		return nil, false, err
	}
	if e.Type != tar.TypeReg {
		return nil, false, fmt.Errorf("%s is not a regular file in the image", p)
	}
	if !f.keep[rp] {
		return nil, false, fmt.Errorf("%s (%s) was not read from the image's layers", p, rp)
	}
	return e.Data, true, nil
}
