package crcctl

import (
	"fmt"
	"io/fs"
	"path"
	"strings"
)

// Paths are crc's well-known locations for one user (crc.md §1.7). They are
// built for a given GOOS so Windows paths can be produced and tested on any
// host.
type Paths struct {
	GOOS string `json:"-"`
	// Home is the user's home directory.
	Home string `json:"home"`
	// CRCDir is ~/.crc.
	CRCDir string `json:"crcDir"`
	// BinDir is ~/.crc/bin, where crc keeps its symlink and oc.
	BinDir string `json:"binDir"`
	// OcDir is ~/.crc/bin/oc, the directory to put on PATH.
	OcDir string `json:"ocDir"`
	// Oc is the oc binary in OcDir.
	Oc string `json:"oc"`
	// CRCLink is ~/.crc/bin/crc (a symlink `crc setup` creates on Unix).
	CRCLink string `json:"crcLink"`
	// MachineDir is ~/.crc/machines/crc; its config.json exists when the
	// VM does.
	MachineDir string `json:"machineDir"`
	// Kubeconfig is crc's admin kubeconfig, rewritten on every start.
	Kubeconfig string `json:"kubeconfig"`
	// ConfigFile is ~/.crc/crc.json.
	ConfigFile string `json:"configFile"`
	// CacheDir is ~/.crc/cache (bundles).
	CacheDir string `json:"cacheDir"`
}

// NewPaths returns crc's paths under home for goos.
func NewPaths(goos, home string) Paths {
	j := func(elem ...string) string { return JoinPath(goos, elem...) }
	crcDir := j(home, ".crc")
	bin := j(crcDir, "bin")
	oc := "oc"
	crc := "crc"
	if goos == "windows" {
		oc, crc = "oc.exe", "crc.exe"
	}
	return Paths{
		GOOS:       goos,
		Home:       home,
		CRCDir:     crcDir,
		BinDir:     bin,
		OcDir:      j(bin, "oc"),
		Oc:         j(bin, "oc", oc),
		CRCLink:    j(bin, crc),
		MachineDir: j(crcDir, "machines", "crc"),
		Kubeconfig: j(crcDir, "machines", "crc", "kubeconfig"),
		ConfigFile: j(crcDir, "crc.json"),
		CacheDir:   j(crcDir, "cache"),
	}
}

// socketsDirSince is the first crc release that keeps its daemon's sockets
// in ~/.crc/sockets/ (crc-org/crc pkg/crc/constants: SocketBaseDir,
// DaemonHTTPSocketPath).
const socketsDirSince = "2.62.0"

// DaemonSocket is where the crc daemon of crcVersion listens for its HTTP
// API: ~/.crc/sockets/crc-http.sock from 2.62.0 on, ~/.crc/crc-http.sock
// before; on Windows the named pipe \\.\pipe\crc-http. pulllab only
// looks at it to explain an unreachable daemon; it talks to crc through
// its CLI.
func (p Paths) DaemonSocket(crcVersion string) string {
	if p.GOOS == "windows" {
		return `\\.\pipe\crc-http`
	}
	if CompareVersions(crcVersion, socketsDirSince) >= 0 {
		return JoinPath(p.GOOS, p.CRCDir, "sockets", "crc-http.sock")
	}
	return JoinPath(p.GOOS, p.CRCDir, "crc-http.sock")
}

// JoinPath joins path elements with goos's separator, whatever the host.
func JoinPath(goos string, elem ...string) string {
	if goos != "windows" {
		return path.Join(elem...)
	}
	parts := make([]string, 0, len(elem))
	for _, e := range elem {
		if e = strings.ReplaceAll(e, "/", `\`); e != "" {
			parts = append(parts, e)
		}
	}
	s := strings.Join(parts, `\`)
	for strings.Contains(s[min(2, len(s)):], `\\`) {
		s = s[:2] + strings.ReplaceAll(s[2:], `\\`, `\`)
	}
	return s
}

// WindowsInstallPath is where the crc MSI installs crc.exe.
const WindowsInstallPath = `C:\Program Files\Red Hat OpenShift Local\crc.exe`

// Candidates returns the places crc is looked for after PATH: the macOS
// package's /usr/local/bin/crc, the ~/.crc/bin/crc link `crc setup` makes
// (and pulllab's own install), and the MSI's install directory.
func Candidates(p Paths) []string {
	switch p.GOOS {
	case "windows":
		return []string{WindowsInstallPath, p.CRCLink}
	default:
		return []string{"/usr/local/bin/crc", p.CRCLink}
	}
}

// Finder looks for the crc binary.
type Finder struct {
	Paths Paths
	// LookPath is exec.LookPath outside tests.
	LookPath func(file string) (string, error)
	// Stat is os.Stat outside tests.
	Stat func(name string) (fs.FileInfo, error)
}

// Find returns the crc binary: PATH first, then Candidates. If none is
// usable it returns a KindNotInstalled *Error naming the places looked at.
func (f Finder) Find() (string, error) {
	if f.LookPath != nil {
		if p, err := f.LookPath("crc"); err == nil {
			return p, nil
		}
	}
	cands := Candidates(f.Paths)
	for _, c := range cands {
		if f.Stat == nil {
			break
		}
		fi, err := f.Stat(c)
		if err != nil || fi.IsDir() {
			continue
		}
		if f.Paths.GOOS != "windows" && fi.Mode().Perm()&0o111 == 0 {
			continue
		}
		return c, nil
	}
	return "", &Error{
		Kind: KindNotInstalled,
		Msg:  fmt.Sprintf("crc was not found (looked in PATH, %s)", strings.Join(cands, ", ")),
		Hint: "run `" + doInstallCRC + "` to download and install it, or install OpenShift Local from https://console.redhat.com/openshift/create/local",
	}
}
