// Package wars holds the sources of the lab's two web applications, node.war
// and registry.war, and packs them into web archives.
//
// The two apps differ only in their name and in the page they serve, so a
// running pod shows which variant it runs both in the server log (the WAR
// file name) and on its page. Packing is byte-for-byte reproducible: the
// same sources always give the same archive, and so the same SHA-256, which
// the backends use to tell whether a stashed image still matches the WAR.
package wars

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"
	"time"
)

// sources holds one directory per variant; the directory is the WAR's root.
//
//go:embed node registry
var sources embed.FS

// Names of the variants whose sources this package holds, in a stable order.
// They match lab.Variants.
var names = []string{"node", "registry"}

// Epoch is the modification time of every entry in a packed WAR
// (1980-01-01 00:00:00 UTC, the earliest time a ZIP file can record).
var Epoch = time.Date(1980, time.January, 1, 0, 0, 0, 0, time.UTC)

// ManifestPath is the JAR manifest's path; it is the first file in every
// packed WAR, right after its directory, as the jar tool writes it.
const ManifestPath = "META-INF/MANIFEST.MF"

// manifest is the JAR manifest written into every WAR. It names no tool
// version, so the archive does not change when pulllab does.
const manifest = "Manifest-Version: 1.0\r\nCreated-By: pulllab\r\n\r\n"

// compressionLevel is the fixed DEFLATE level, so the output depends only on
// the input (and on Go's compress/flate).
const compressionLevel = flate.BestCompression

// Names returns the names of the variants whose sources this package holds:
// "node" and "registry".
func Names() []string { return append([]string(nil), names...) }

// Source returns the sources of variant name as a file system whose root is
// the WAR's root (it holds WEB-INF/web.xml and index.jsp).
func Source(name string) (fs.FS, error) {
	if !known(name) {
		return nil, fmt.Errorf("unknown WAR %q: pulllab has %s", name, strings.Join(names, " and "))
	}
	sub, err := fs.Sub(sources, name)
	if err != nil {
		return nil, fmt.Errorf("reading the sources of %s.war: %w", name, err)
	}
	return sub, nil
}

// WAR packs the web archive of variant name ("node" or "registry", the
// string of a lab.Variant). The result is byte-for-byte the same on every
// call and every machine built with the same Go release.
func WAR(name string) ([]byte, error) {
	src, err := Source(name)
	if err != nil {
		return nil, err
	}
	files := map[string][]byte{}
	err = fs.WalkDir(src, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		b, err := fs.ReadFile(src, p)
		if err != nil {
			return err
		}
		files[p] = b
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading the sources of %s.war: %w", name, err)
	}
	b, err := Pack(files)
	if err != nil {
		return nil, fmt.Errorf("packing %s.war: %w", name, err)
	}
	return b, nil
}

// SHA256 returns the lower-case hex SHA-256 of b (64 characters).
func SHA256(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Pack writes files (slash-separated relative paths to contents) into a ZIP
// archive laid out as the jar tool does: the META-INF/ directory and its
// MANIFEST.MF first, then every other entry in lexical order, with a
// directory entry before the files in it. Every entry has the time Epoch and
// Unix mode 0644 (files) or 0755 (directories); files are deflated at a
// fixed level. Paths must be relative, clean and free of "..";
// META-INF/MANIFEST.MF is written by Pack and must not be among files.
func Pack(files map[string][]byte) ([]byte, error) {
	dirs := map[string]bool{}
	var paths []string
	for p := range files {
		if err := checkPath(p); err != nil {
			return nil, err
		}
		if strings.EqualFold(p, ManifestPath) {
			return nil, fmt.Errorf("%s is written by pulllab and must not be among the sources", ManifestPath)
		}
		paths = append(paths, p)
		for d := path.Dir(p); d != "."; d = path.Dir(d) {
			dirs[d+"/"] = true
		}
	}
	dirs["META-INF/"] = true
	for p := range files {
		if dirs[p+"/"] {
			return nil, fmt.Errorf("%q is both a file and a directory", p)
		}
	}
	delete(dirs, "META-INF/")
	for d := range dirs {
		paths = append(paths, d)
	}
	sort.Strings(paths)

	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(w, compressionLevel)
	})
	if err := writeEntry(zw, "META-INF/", nil); err != nil {
		return nil, err
	}
	if err := writeEntry(zw, ManifestPath, []byte(manifest)); err != nil {
		return nil, err
	}
	for _, p := range paths {
		if err := writeEntry(zw, p, files[p]); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("finishing the archive: %w", err)
	}
	return buf.Bytes(), nil
}

// writeEntry writes one entry; a name ending in "/" is a directory.
func writeEntry(zw *zip.Writer, name string, content []byte) error {
	fh := &zip.FileHeader{Name: name, Modified: Epoch, Method: zip.Deflate}
	if strings.HasSuffix(name, "/") {
		fh.Method = zip.Store
		fh.SetMode(fs.ModeDir | 0o755)
	} else {
		fh.SetMode(0o644)
	}
	w, err := zw.CreateHeader(fh)
	if err != nil {
		return fmt.Errorf("adding %s: %w", name, err)
	}
	if len(content) > 0 {
		if _, err := w.Write(content); err != nil {
			return fmt.Errorf("writing %s: %w", name, err)
		}
	}
	return nil
}

// checkPath rejects a path a servlet container could misplace or that could
// escape the deployment directory.
func checkPath(p string) error {
	switch {
	case p == "" || p == ".":
		return fmt.Errorf("empty path in the WAR sources")
	case strings.HasPrefix(p, "/") || strings.Contains(p, "\\") || strings.Contains(p, ":"):
		return fmt.Errorf("path %q must be relative and slash-separated", p)
	case !fs.ValidPath(p):
		return fmt.Errorf("path %q is not clean (no \"..\", \".\" or empty elements)", p)
	}
	return nil
}

func known(name string) bool {
	for _, n := range names {
		if n == name {
			return true
		}
	}
	return false
}
