package crcctl

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/ulikunitz/xz"
)

// mirror is an httptest crc mirror with one version folder.
type mirror struct {
	srv   *httptest.Server
	mu    sync.Mutex
	files map[string][]byte // name in the version folder → content
	sums  string            // sha256sum.txt; computed from files when empty
	// cutAfter, when > 0, closes the connection after that many bytes of
	// a release file, with the full Content-Length announced.
	cutAfter int
	requests []string
}

func newMirror(t *testing.T, files map[string][]byte) *mirror {
	m := &mirror{files: files}
	m.srv = httptest.NewServer(http.HandlerFunc(m.serve))
	t.Cleanup(m.srv.Close)
	return m
}

func (m *mirror) serve(w http.ResponseWriter, r *http.Request) {
	m.mu.Lock()
	m.requests = append(m.requests, r.URL.Path)
	m.mu.Unlock()
	dir, name := filepath.Split(r.URL.Path)
	if dir != "/2.60.1/" {
		http.NotFound(w, r)
		return
	}
	if name == "sha256sum.txt" {
		if m.sums != "" {
			fmt.Fprint(w, m.sums)
			return
		}
		for n, b := range m.files {
			sum := sha256.Sum256(b)
			fmt.Fprintf(w, "%s  %s\n", hex.EncodeToString(sum[:]), n)
		}
		return
	}
	b, ok := m.files[name]
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Length", fmt.Sprint(len(b)))
	if m.cutAfter > 0 && m.cutAfter < len(b) {
		w.Write(b[:m.cutAfter])
		w.(http.Flusher).Flush()
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
		return
	}
	w.Write(b)
}

const fakeCRCBinary = "#!/bin/sh\necho 'CRC version: 2.60.1+e90757'\n"

func tarXZ(t *testing.T, entries map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	xw, err := xz.NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	tw := tar.NewWriter(xw)
	names := []string{}
	for n := range entries {
		names = append(names, n)
	}
	for _, n := range names {
		body := entries[n]
		mode := int64(0o644)
		if strings.HasSuffix(n, "/crc") {
			mode = 0o755
		}
		if err := tw.WriteHeader(&tar.Header{Name: n, Mode: mode, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(body))
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := xw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func linuxRelease(t *testing.T) []byte {
	return tarXZ(t, map[string]string{
		"crc-linux-2.60.1-amd64/crc":     fakeCRCBinary,
		"crc-linux-2.60.1-amd64/LICENSE": "Apache-2.0\n",
	})
}

func dirEntries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

func TestInstallLinux(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symlinks")
	}
	m := newMirror(t, map[string][]byte{"crc-linux-amd64.tar.xz": linuxRelease(t), "crc-linux-arm64.tar.xz": []byte("other")})
	home, dl := t.TempDir(), t.TempDir()
	var last, total int64
	d := &Downloader{Client: m.srv.Client(), Progress: func(done, tot int64) { last, total = done, tot }}
	res, err := Install(context.Background(), InstallOptions{GOOS: "linux", GOARCH: "amd64", Version: "2.60.1", Mirror: m.srv.URL + "/", Paths: NewPaths("linux", home), DownloadDir: dl, Downloader: d})
	if err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(home, ".crc", "bin", "crc")
	if res.CRC != link || res.AdminCommand != "" {
		t.Errorf("InstallResult = %+v", res)
	}
	target, err := os.Readlink(link)
	if err != nil || target != filepath.Join(home, ".crc", "bin", "crc-linux-2.60.1-amd64", "crc") {
		t.Fatalf("link %s → %q, %v", link, target, err)
	}
	fi, err := os.Stat(link)
	if err != nil || fi.Mode().Perm()&0o100 == 0 {
		t.Errorf("installed crc not executable: %v %v", fi, err)
	}
	if b, _ := os.ReadFile(link); string(b) != fakeCRCBinary {
		t.Errorf("installed crc content = %q", b)
	}
	if last == 0 || last != total {
		t.Errorf("progress ended at %d of %d", last, total)
	}
	if left := dirEntries(t, dl); len(left) != 0 {
		t.Errorf("download dir keeps %q", left)
	}
	// Installing again replaces the link (an old crc's link, say).
	if _, err := Install(context.Background(), InstallOptions{GOOS: "linux", GOARCH: "amd64", Version: "2.60.1", Mirror: m.srv.URL, Paths: NewPaths("linux", home), DownloadDir: dl, Downloader: d}); err != nil {
		t.Fatalf("second install: %v", err)
	}
}

func TestFetchRefusals(t *testing.T) {
	release := linuxRelease(t)
	good := sha256.Sum256(release)
	tests := []struct {
		name      string
		sums      string
		cutAfter  int
		version   string
		wantMsg   string
		fetchFile bool // whether the release file itself was requested
	}{
		{"checksum mismatch", strings.Repeat("ab", 32) + "  crc-linux-amd64.tar.xz\n", 0, "2.60.1", "the file was deleted", true},
		{"no entry", hex.EncodeToString(good[:]) + "  crc-macos-installer.pkg\n", 0, "2.60.1", "has no checksum for crc-linux-amd64.tar.xz", false},
		{"malformed entry", "zz  crc-linux-amd64.tar.xz\n", 0, "2.60.1", "has no checksum", false},
		{"interrupted transfer", "", 1000, "2.60.1", "stopped after 1000 of", true},
		{"unknown version", "", 0, "9.9.9", "404", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := release
			if tt.cutAfter > 0 {
				file = bytes.Repeat([]byte("crc!"), 64<<10)
			}
			m := newMirror(t, map[string][]byte{"crc-linux-amd64.tar.xz": file})
			m.sums, m.cutAfter = tt.sums, tt.cutAfter
			dir := t.TempDir()
			d := &Downloader{Client: m.srv.Client()}
			got, err := d.Fetch(context.Background(), m.srv.URL, tt.version, "crc-linux-amd64.tar.xz", dir)
			if err == nil {
				t.Fatalf("Fetch succeeded: %s", got)
			}
			if KindOf(err) != KindDownload || !strings.Contains(err.Error(), tt.wantMsg) || HintOf(err) == "" {
				t.Fatalf("Fetch = %v (kind %v), want KindDownload with %q", err, KindOf(err), tt.wantMsg)
			}
			if left := dirEntries(t, dir); len(left) != 0 {
				t.Errorf("left behind: %q", left)
			}
			fetched := false
			for _, r := range m.requests {
				fetched = fetched || strings.HasSuffix(r, ".tar.xz")
			}
			if fetched != tt.fetchFile {
				t.Errorf("release file requested = %v, want %v (requests %q)", fetched, tt.fetchFile, m.requests)
			}
		})
	}
}

func TestInstallInstallers(t *testing.T) {
	var zbuf bytes.Buffer
	zw := zip.NewWriter(&zbuf)
	w, _ := zw.Create("crc-windows-amd64.msi")
	w.Write([]byte("MSI"))
	zw.Close()
	m := newMirror(t, map[string][]byte{"crc-macos-installer.pkg": []byte("xar!pkg"), "crc-windows-installer.zip": zbuf.Bytes()})
	tests := []struct {
		goos, goarch string
		installer    string
		command      string
	}{
		{"darwin", "arm64", "crc-macos-installer.pkg", "sudo installer -pkg "},
		{"windows", "amd64", "crc-windows-amd64.msi", `msiexec /i "`},
	}
	for _, tt := range tests {
		t.Run(tt.goos, func(t *testing.T) {
			dl := t.TempDir()
			res, err := Install(context.Background(), InstallOptions{GOOS: tt.goos, GOARCH: tt.goarch, Version: "2.60.1", Mirror: m.srv.URL, Paths: NewPaths(tt.goos, "/home/u"), DownloadDir: dl, Downloader: &Downloader{Client: m.srv.Client()}})
			if err != nil {
				t.Fatal(err)
			}
			if res.CRC != "" || filepath.Base(res.Installer) != tt.installer || !strings.HasPrefix(res.AdminCommand, tt.command) || !strings.Contains(res.AdminCommand, res.Installer) {
				t.Errorf("InstallResult = %+v", res)
			}
			if _, err := os.Stat(res.Installer); err != nil {
				t.Errorf("installer missing: %v", err)
			}
		})
	}
}

func TestInstallTarXZRefusesUnsafePaths(t *testing.T) {
	for _, name := range []string{"../evil/crc", "/abs/crc"} {
		archive := filepath.Join(t.TempDir(), "x.tar.xz")
		if err := os.WriteFile(archive, tarXZ(t, map[string]string{name: "x"}), 0o644); err != nil {
			t.Fatal(err)
		}
		bin := t.TempDir()
		if _, err := InstallTarXZ(archive, bin); err == nil || !strings.Contains(err.Error(), "unsafe path") {
			t.Errorf("InstallTarXZ with %q = %v", name, err)
		}
	}
	archive := filepath.Join(t.TempDir(), "nocrc.tar.xz")
	os.WriteFile(archive, tarXZ(t, map[string]string{"dir/LICENSE": "x"}), 0o644)
	if _, err := InstallTarXZ(archive, t.TempDir()); err == nil || !strings.Contains(err.Error(), "no crc binary") {
		t.Errorf("archive without crc = %v", err)
	}
}

func TestSHA256For(t *testing.T) {
	sum := strings.Repeat("0a", 32)
	sums := []byte(strings.Repeat("f", 64) + "  crc-linux-arm64.tar.xz\n" + strings.ToUpper(sum) + " *crc-linux-amd64.tar.xz\n\nnoise\n")
	if got, err := SHA256For(sums, "crc-linux-amd64.tar.xz"); err != nil || got != sum {
		t.Errorf("SHA256For = %q, %v", got, err)
	}
	if _, err := SHA256For(sums, "crc-linux-amd64.tar"); err == nil {
		t.Error("prefix of a name matched")
	}
}

func TestReleaseFile(t *testing.T) {
	for _, tt := range []struct{ goos, goarch, want string }{
		{"linux", "amd64", "crc-linux-amd64.tar.xz"},
		{"linux", "arm64", "crc-linux-arm64.tar.xz"},
		{"darwin", "amd64", "crc-macos-installer.pkg"},
		{"darwin", "arm64", "crc-macos-installer.pkg"},
		{"windows", "amd64", "crc-windows-installer.zip"},
		{"windows", "arm64", ""},
		{"freebsd", "amd64", ""},
	} {
		got, err := ReleaseFile(tt.goos, tt.goarch)
		if got != tt.want || (tt.want == "") != (err != nil) {
			t.Errorf("ReleaseFile(%s, %s) = %q, %v", tt.goos, tt.goarch, got, err)
		}
	}
	if got := ManualInstall("darwin", "arm64", "2.60.1", "https://m/crc/"); !strings.Contains(got, "https://m/crc/2.60.1/crc-macos-installer.pkg") || !strings.Contains(got, "sudo installer -pkg") {
		t.Errorf("ManualInstall darwin = %q", got)
	}
}

func TestFetchFromFileMirror(t *testing.T) {
	root := t.TempDir()
	release := linuxRelease(t)
	sum := sha256.Sum256(release)
	os.MkdirAll(filepath.Join(root, "2.60.1"), 0o755)
	os.WriteFile(filepath.Join(root, "2.60.1", "crc-linux-amd64.tar.xz"), release, 0o644)
	os.WriteFile(filepath.Join(root, "2.60.1", "sha256sum.txt"), []byte(hex.EncodeToString(sum[:])+"  crc-linux-amd64.tar.xz\n"), 0o644)
	mirrorURL := "file://" + filepath.ToSlash(root)
	if runtime.GOOS == "windows" {
		mirrorURL = "file:///" + filepath.ToSlash(root)
	}
	dir := t.TempDir()
	got, err := (&Downloader{}).Fetch(context.Background(), mirrorURL, "2.60.1", "crc-linux-amd64.tar.xz", dir)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(got); !bytes.Equal(b, release) {
		t.Error("copied file differs")
	}
	if _, err := (&Downloader{}).Fetch(context.Background(), mirrorURL, "9.9.9", "crc-linux-amd64.tar.xz", dir); KindOf(err) != KindDownload {
		t.Errorf("missing version folder = %v", err)
	}
}
