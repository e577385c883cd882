package crcctl

import (
	"archive/tar"
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	neturl "net/url"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/ulikunitz/xz"
)

// ReleaseFile is the file of a crc release folder for goos/goarch
// (crc.md §4): the Linux tarball, or the macOS/Windows installer.
func ReleaseFile(goos, goarch string) (string, error) {
	switch goos {
	case "linux":
		if goarch == "amd64" || goarch == "arm64" {
			return "crc-linux-" + goarch + ".tar.xz", nil
		}
	case "darwin":
		return "crc-macos-installer.pkg", nil
	case "windows":
		if goarch == "amd64" {
			return "crc-windows-installer.zip", nil
		}
	}
	return "", &Error{Kind: KindNotInstalled, Op: "installing crc", Msg: fmt.Sprintf("OpenShift Local has no release for %s/%s", goos, goarch), Hint: "use a Linux (amd64, arm64), macOS or Windows (amd64) machine"}
}

// ReleaseURL is <mirror>/<version>/<file>.
func ReleaseURL(mirror, version, file string) string {
	return strings.TrimRight(mirror, "/") + "/" + path.Join(version, file)
}

// ManualInstall explains how to install crc by hand on goos/goarch.
func ManualInstall(goos, goarch, version, mirror string) string {
	file, err := ReleaseFile(goos, goarch)
	if err != nil {
		return err.Error()
	}
	url := ReleaseURL(mirror, version, file)
	switch goos {
	case "linux":
		return fmt.Sprintf("download %s, unpack it (tar xf %s) and put its crc on your PATH; or run `"+doInstallCRC+"` to do exactly that into ~/.crc/bin", url, file)
	case "darwin":
		return fmt.Sprintf("download %s and run `sudo installer -pkg %s -target /`; or run `"+doInstallCRC+"`, which downloads and verifies it and prints that command", url, file)
	default:
		return fmt.Sprintf("download %s, unzip it, run `msiexec /i crc-windows-amd64.msi` as administrator and reboot; or run `"+doInstallCRC+"`, which downloads, verifies and unzips it", url)
	}
}

// Downloader fetches crc releases and checks them against the release
// folder's sha256sum.txt.
type Downloader struct {
	// Client is the HTTP client; nil means http.DefaultClient.
	Client *http.Client
	// UserAgent is sent with each request.
	UserAgent string
	// Progress is called as bytes arrive with the count so far and the
	// total (-1 if unknown); may be nil.
	Progress func(done, total int64)
	// Log receives debug lines; nil discards.
	Log Logger
}

func (d *Downloader) logf(format string, args ...any) {
	if d.Log != nil {
		d.Log.Debugf(format, args...)
	}
}

func (d *Downloader) get(ctx context.Context, url string) (*http.Response, error) {
	if u, err := neturl.Parse(url); err == nil && u.Scheme == "file" {
		return openFileURL(u)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	if d.UserAgent != "" {
		req.Header.Set("User-Agent", d.UserAgent)
	}
	c := d.Client
	if c == nil {
		c = http.DefaultClient
	}
	d.logf("GET %s", url)
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return resp, nil
}

// openFileURL serves a file:// URL (a local copy of the mirror) like an
// HTTP response.
func openFileURL(u *neturl.URL) (*http.Response, error) {
	p := u.Path
	if len(p) >= 3 && p[0] == '/' && p[2] == ':' { // file:///C:/mirror
		p = p[1:]
	}
	f, err := os.Open(filepath.FromSlash(p))
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	return &http.Response{StatusCode: http.StatusOK, Status: "200 OK", Body: f, ContentLength: fi.Size()}, nil
}

func downloadError(msg, hint string, err error) *Error {
	return &Error{Kind: KindDownload, Op: "downloading crc", Msg: msg, Hint: hint, Err: err}
}

// Fetch downloads <mirror>/<version>/<file> into dir and returns its path.
// It first reads <mirror>/<version>/sha256sum.txt; a file with no entry
// there is refused, and a download whose SHA-256 differs is deleted. An
// interrupted transfer leaves nothing behind.
func (d *Downloader) Fetch(ctx context.Context, mirror, version, file, dir string) (string, error) {
	sumsURL := ReleaseURL(mirror, version, "sha256sum.txt")
	resp, err := d.get(ctx, sumsURL)
	if err != nil {
		return "", d.wrapNet(ctx, fmt.Sprintf("fetching %s", sumsURL), err)
	}
	sums, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	if err != nil {
		return "", d.wrapNet(ctx, fmt.Sprintf("reading %s", sumsURL), err)
	}
	want, err := SHA256For(sums, file)
	if err != nil {
		return "", downloadError(fmt.Sprintf("%s has no checksum for %s", sumsURL, file), "check crc.version and crc.mirror: the folder must be a crc release folder", err)
	}

	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("creating %s: %w", dir, err)
	}
	dest := filepath.Join(dir, file)
	url := ReleaseURL(mirror, version, file)
	resp, err = d.get(ctx, url)
	if err != nil {
		return "", d.wrapNet(ctx, fmt.Sprintf("fetching %s", url), err)
	}
	defer resp.Body.Close()
	part, err := os.CreateTemp(dir, "."+file+".*.part")
	if err != nil {
		return "", fmt.Errorf("creating download file in %s: %w", dir, err)
	}
	keep := false
	defer func() {
		if !keep {
			part.Close()
			os.Remove(part.Name())
		}
	}()
	h := sha256.New()
	pw := &progressWriter{total: resp.ContentLength, fn: d.Progress}
	n, err := io.Copy(io.MultiWriter(part, h, pw), resp.Body)
	if err == nil && resp.ContentLength >= 0 && n != resp.ContentLength {
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		if ctx.Err() != nil {
			return "", fmt.Errorf("downloading %s: %w", url, ctx.Err())
		}
		return "", downloadError(fmt.Sprintf("the transfer of %s stopped after %d of %d bytes", url, n, resp.ContentLength), "run the same command again to restart the download", err)
	}
	if err := part.Close(); err != nil {
		return "", fmt.Errorf("writing %s: %w", part.Name(), err)
	}
	got := hex.EncodeToString(h.Sum(nil))
	if !strings.EqualFold(got, want) {
		return "", downloadError(fmt.Sprintf("%s has SHA-256 %s, but sha256sum.txt says %s; the file was deleted", file, got, want), "run the command again; if it keeps failing, the mirror is serving a broken or tampered file — try another crc.mirror", nil)
	}
	if err := os.Rename(part.Name(), dest); err != nil {
		return "", fmt.Errorf("moving download into place: %w", err)
	}
	keep = true
	d.logf("downloaded %s (%d bytes, sha256 %s)", dest, n, got)
	return dest, nil
}

func (d *Downloader) wrapNet(ctx context.Context, what string, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%s: %w", what, ctx.Err())
	}
	return downloadError(fmt.Sprintf("%s: %v", what, err), "check the network connection and crc.mirror / crc.version", err)
}

// SHA256For finds file's checksum in a sha256sum.txt ("<hex>  <name>" or
// "<hex> *<name>" lines).
func SHA256For(sums []byte, file string) (string, error) {
	sc := bufio.NewScanner(bytes.NewReader(sums))
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) != 2 {
			continue
		}
		name := strings.TrimPrefix(fields[1], "*")
		name = strings.TrimPrefix(name, "./")
		if name != file {
			continue
		}
		sum := strings.ToLower(fields[0])
		if len(sum) != 64 {
			return "", fmt.Errorf("checksum for %s is not a SHA-256", file)
		}
		if _, err := hex.DecodeString(sum); err != nil {
			return "", fmt.Errorf("checksum for %s is not hexadecimal", file)
		}
		return sum, nil
	}
	return "", fmt.Errorf("no line for %s", file)
}

// progressWriter reports the running byte count.
type progressWriter struct {
	done, total int64
	fn          func(done, total int64)
}

func (p *progressWriter) Write(b []byte) (int, error) {
	p.done += int64(len(b))
	if p.fn != nil {
		p.fn(p.done, p.total)
	}
	return len(b), nil
}

// InstallTarXZ unpacks a crc-linux-<arch>.tar.xz into binDir (keeping the
// tarball's top directory, crc-linux-<version>-<arch>/) and points
// binDir/crc at the crc inside, the same link `crc setup` makes. The
// binary itself is not placed at binDir/crc because `crc cleanup` removes
// that path. It returns the path of the link.
func InstallTarXZ(archive, binDir string) (string, error) {
	f, err := os.Open(archive)
	if err != nil {
		return "", err
	}
	defer f.Close()
	xr, err := xz.NewReader(bufio.NewReader(f))
	if err != nil {
		return "", fmt.Errorf("reading %s: %w", archive, err)
	}
	if err := os.MkdirAll(binDir, 0o755); err != nil {
		return "", fmt.Errorf("creating %s: %w", binDir, err)
	}
	tr := tar.NewReader(xr)
	crcPath := ""
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", fmt.Errorf("reading %s: %w", archive, err)
		}
		name := path.Clean(strings.TrimPrefix(hdr.Name, "./"))
		if name == "." || path.IsAbs(name) || name == ".." || strings.HasPrefix(name, "../") || strings.Contains(name, `\`) {
			return "", fmt.Errorf("reading %s: unsafe path %q in archive", archive, hdr.Name)
		}
		target := filepath.Join(binDir, filepath.FromSlash(name))
		switch hdr.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, 0o755); err != nil {
				return "", err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				return "", err
			}
			mode := os.FileMode(0o644)
			if hdr.FileInfo().Mode().Perm()&0o111 != 0 || path.Base(name) == "crc" {
				mode = 0o755
			}
			if err := writeFile(target, tr, mode, hdr.Size); err != nil {
				return "", fmt.Errorf("unpacking %s: %w", name, err)
			}
			if path.Base(name) == "crc" {
				crcPath = target
			}
		default:
			// Links and devices are not part of a crc release; skip them.
		}
	}
	if crcPath == "" {
		return "", fmt.Errorf("%s has no crc binary", archive)
	}
	link := filepath.Join(binDir, "crc")
	if fi, err := os.Lstat(link); err == nil {
		if fi.Mode()&os.ModeSymlink == 0 {
			return "", fmt.Errorf("%s exists and is not a link; move it away and try again", link)
		}
		if err := os.Remove(link); err != nil {
			return "", err
		}
	}
	if err := os.Symlink(crcPath, link); err != nil {
		return "", fmt.Errorf("linking %s: %w", link, err)
	}
	return link, nil
}

func writeFile(target string, r io.Reader, mode os.FileMode, size int64) error {
	tmp := target + ".tmp"
	out, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, mode)
	if err != nil {
		return err
	}
	n, err := io.Copy(out, r)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil && n != size {
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, target)
}

// ExtractMSI takes crc-windows-amd64.msi out of the Windows installer zip
// into dir and returns its path.
func ExtractMSI(zipPath, dir string) (string, error) {
	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		return "", fmt.Errorf("opening %s: %w", zipPath, err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		base := path.Base(strings.ReplaceAll(f.Name, `\`, "/"))
		if !strings.HasSuffix(strings.ToLower(base), ".msi") || f.FileInfo().IsDir() {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return "", fmt.Errorf("reading %s: %w", f.Name, err)
		}
		target := filepath.Join(dir, base)
		err = writeFile(target, rc, 0o644, int64(f.UncompressedSize64))
		rc.Close()
		if err != nil {
			return "", fmt.Errorf("unpacking %s: %w", f.Name, err)
		}
		return target, nil
	}
	return "", fmt.Errorf("%s holds no .msi", zipPath)
}

// AdminInstallCommand is the one command an administrator runs to install
// the downloaded installer at p.
func AdminInstallCommand(goos, p string) string {
	if goos == "windows" {
		return fmt.Sprintf(`msiexec /i "%s"   (in an administrator PowerShell; reboot afterwards)`, p)
	}
	return fmt.Sprintf("sudo installer -pkg %s -target /", shellQuote(p))
}

// InstallOptions configure Install.
type InstallOptions struct {
	GOOS, GOARCH string
	// Version is the release folder, e.g. "2.60.1".
	Version string
	// Mirror is the URL above the version folders.
	Mirror string
	// Paths are crc's paths; Linux installs into Paths.BinDir.
	Paths Paths
	// DownloadDir receives the download (the Linux tarball is removed
	// after unpacking; installers are kept for the administrator).
	DownloadDir string
	// Downloader fetches and verifies; nil means a default one.
	Downloader *Downloader
}

// InstallResult says what Install did.
type InstallResult struct {
	// File is the URL that was downloaded.
	URL string
	// CRC is the installed crc (Linux); empty when an administrator must
	// still run AdminCommand.
	CRC string
	// Installer is the downloaded installer (macOS .pkg, Windows .msi).
	Installer string
	// AdminCommand installs Installer; empty on Linux.
	AdminCommand string
}

// Install downloads the crc release for o.GOOS/o.GOARCH from the pinned
// version folder and verifies it. On Linux it unpacks crc into
// ~/.crc/bin; on macOS and Windows, installing needs administrator rights,
// so it stops at a verified installer and the command to run.
func Install(ctx context.Context, o InstallOptions) (*InstallResult, error) {
	file, err := ReleaseFile(o.GOOS, o.GOARCH)
	if err != nil {
		return nil, err
	}
	d := o.Downloader
	if d == nil {
		d = &Downloader{}
	}
	res := &InstallResult{URL: ReleaseURL(o.Mirror, o.Version, file)}
	got, err := d.Fetch(ctx, o.Mirror, o.Version, file, o.DownloadDir)
	if err != nil {
		return nil, err
	}
	switch o.GOOS {
	case "linux":
		link, err := InstallTarXZ(got, o.Paths.BinDir)
		if err != nil {
			return nil, fmt.Errorf("installing crc into %s: %w", o.Paths.BinDir, err)
		}
		_ = os.Remove(got)
		res.CRC = link
	case "windows":
		msi, err := ExtractMSI(got, o.DownloadDir)
		if err != nil {
			return nil, err
		}
		res.Installer, res.AdminCommand = msi, AdminInstallCommand(o.GOOS, msi)
	default:
		res.Installer, res.AdminCommand = got, AdminInstallCommand(o.GOOS, got)
	}
	return res, nil
}
