package crcctl

import (
	"fmt"
	"github.com/pulllab/pulllab/internal/golden"
	"io/fs"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestRenderEnvGolden renders `pulllab env` for every shell, with Unix and
// Windows paths, with and without KUBECONFIG. Regenerate with -update.
func TestRenderEnvGolden(t *testing.T) {
	homes := map[string]string{"linux": "/home/u", "windows": `C:\Users\u`}
	kubeconfigs := map[string]string{"linux": "/home/u/my kube/config", "windows": `C:\Users\u\my kube\config`}
	for _, goos := range []string{"linux", "windows"} {
		for _, sh := range Shells {
			for _, withKC := range []bool{false, true} {
				name := fmt.Sprintf("%s-%s", goos, sh)
				if withKC {
					name += "-kubeconfig"
				}
				t.Run(name, func(t *testing.T) {
					p := NewPaths(goos, homes[goos])
					vars := []EnvVar{{Name: "PATH", Value: p.OcDir, Prepend: true}}
					hint := "pulllab env"
					if withKC {
						vars = append(vars, EnvVar{Name: "KUBECONFIG", Value: kubeconfigs[goos]})
						hint = "pulllab --kubeconfig KUBECONFIG env"
					}
					got := RenderEnv(sh, goos, vars, hint)
					golden.Check(t, filepath.Join("testdata", "env", name+".golden"), []byte(got))
				})
			}
		}
	}
}

func TestRenderEnvDetails(t *testing.T) {
	win := RenderEnv(ShellBash, "windows", []EnvVar{{Name: "PATH", Value: `C:\Users\u\.crc\bin\oc`, Prepend: true}}, "pulllab env")
	if !strings.HasPrefix(win, `export PATH="/C/Users/u/.crc/bin/oc:$PATH"`) {
		t.Errorf("Git Bash line = %q", win)
	}
	fish := RenderEnv(ShellFish, "linux", []EnvVar{{Name: "KUBECONFIG", Value: "/k"}}, "pulllab env")
	if !strings.HasPrefix(fish, `set -gx KUBECONFIG "/k"`) || strings.Contains(fish, "fish_user_paths") {
		t.Errorf("fish must set non-PATH variables with set -gx: %q", fish)
	}
	quoted := RenderEnv(ShellBash, "linux", []EnvVar{{Name: "KUBECONFIG", Value: "/a \"b\" $c `d`"}}, "x")
	if !strings.HasPrefix(quoted, "export KUBECONFIG=\"/a \\\"b\\\" \\$c \\`d\\`\"\n") {
		t.Errorf("bash quoting = %q", quoted)
	}
	ps := RenderEnv(ShellPowerShell, "windows", []EnvVar{{Name: "KUBECONFIG", Value: `C:\a $b "c"`}}, "x")
	if !strings.HasPrefix(ps, "$Env:KUBECONFIG = \"C:\\a `$b `\"c`\"\"\n") {
		t.Errorf("PowerShell quoting = %q", ps)
	}
}

func TestPOSIXPath(t *testing.T) {
	for in, want := range map[string]string{`C:\Users\u\.crc\bin\oc`: "/C/Users/u/.crc/bin/oc", `d:\x`: "/d/x", `C:`: "/C/", "/home/u": "/home/u", `\\srv\share\x`: "//srv/share/x"} {
		if got := POSIXPath(in); got != want {
			t.Errorf("POSIXPath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseShell(t *testing.T) {
	for in, want := range map[string]Shell{"bash": ShellBash, "ZSH": ShellZsh, "fish": ShellFish, "pwsh": ShellPowerShell, "PowerShell": ShellPowerShell, "cmd": ShellCmd, "sh": ShellBash} {
		if got, err := ParseShell(in); err != nil || got != want {
			t.Errorf("ParseShell(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ParseShell("tcsh"); err == nil {
		t.Error("tcsh accepted")
	}
}

func TestDetectShell(t *testing.T) {
	const (
		ps7Path  = `C:\Users\u\Documents\PowerShell\Modules;C:\Program Files\PowerShell\Modules;c:\program files\powershell\7\Modules;C:\Program Files\WindowsPowerShell\Modules;C:\WINDOWS\system32\WindowsPowerShell\v1.0\Modules`
		ps51Path = `C:\Users\u\OneDrive\Documents\WindowsPowerShell\Modules;C:\Program Files\WindowsPowerShell\Modules;C:\WINDOWS\system32\WindowsPowerShell\v1.0\Modules`
		cmdPath  = `C:\Program Files\WindowsPowerShell\Modules;C:\WINDOWS\system32\WindowsPowerShell\v1.0\Modules;C:\Program Files (x86)\Microsoft SQL Server\150\Tools\PowerShell\Modules\`
	)
	tests := []struct {
		name      string
		goos      string
		ancestors []string
		env       map[string]string
		want      Shell
		sure      bool
	}{
		{"linux bash parent", "linux", []string{"bash"}, nil, ShellBash, true},
		{"linux through sudo to zsh", "linux", []string{"sudo", "zsh"}, nil, ShellZsh, true},
		{"linux login fish", "linux", []string{"-fish"}, nil, ShellFish, true},
		{"linux pwsh", "linux", []string{"pwsh"}, map[string]string{"SHELL": "/bin/bash"}, ShellPowerShell, true},
		{"linux dash counts as bash", "linux", []string{"dash"}, nil, ShellBash, true},
		{"linux no shell parent uses SHELL", "linux", []string{"make", "systemd"}, map[string]string{"SHELL": "/usr/bin/zsh"}, ShellZsh, true},
		{"linux nothing known", "linux", []string{"sshd"}, nil, ShellBash, false},
		{"macOS zsh from SHELL", "darwin", nil, map[string]string{"SHELL": "/bin/zsh"}, ShellZsh, true},
		{"macOS pwsh as login shell", "darwin", nil, map[string]string{"SHELL": "/usr/local/bin/pwsh"}, ShellPowerShell, true},
		{"macOS pwsh env only", "darwin", nil, map[string]string{"PSModulePath": "/Users/u/.local/share/powershell/Modules"}, ShellPowerShell, true},
		{"windows pwsh.exe parent", "windows", []string{"pwsh.exe", "WindowsTerminal.exe"}, nil, ShellPowerShell, true},
		{"windows powershell.exe parent", "windows", []string{"powershell.exe"}, nil, ShellPowerShell, true},
		{"windows cmd.exe parent beats inherited pwsh env", "windows", []string{"cmd.exe", "pwsh.exe"}, map[string]string{"PSModulePath": ps7Path}, ShellCmd, true},
		{"windows git bash parent", "windows", []string{"bash.exe"}, nil, ShellBash, true},
		{"windows env: PowerShell 7", "windows", nil, map[string]string{"PSModulePath": ps7Path, "ComSpec": `C:\WINDOWS\system32\cmd.exe`}, ShellPowerShell, true},
		{"windows env: PowerShell 5.1", "windows", nil, map[string]string{"PSModulePath": ps51Path, "ComSpec": `C:\WINDOWS\system32\cmd.exe`}, ShellPowerShell, true},
		{"windows env: cmd with SQL Server modules", "windows", nil, map[string]string{"PSModulePath": cmdPath, "ComSpec": `C:\WINDOWS\system32\cmd.exe`, "PROMPT": "$P$G"}, ShellCmd, true},
		{"windows env: Git Bash", "windows", nil, map[string]string{"SHELL": "/usr/bin/bash", "MSYSTEM": "MINGW64", "PSModulePath": cmdPath}, ShellBash, true},
		{"windows env: MSYS2 zsh", "windows", nil, map[string]string{"SHELL": "/usr/bin/zsh"}, ShellZsh, true},
		{"windows nothing", "windows", nil, nil, ShellCmd, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, sure := DetectShell(tt.goos, tt.ancestors, func(k string) string { return tt.env[k] })
			if got != tt.want || sure != tt.sure {
				t.Errorf("DetectShell = %s (sure %v), want %s (sure %v)", got, sure, tt.want, tt.sure)
			}
		})
	}
}

func TestProcAncestors(t *testing.T) {
	procs := map[string]string{
		"/proc/100/stat": "100 (pulllab) S 90 100 90 0",
		"/proc/90/comm":  "bash\n",
		"/proc/90/stat":  "90 (bash) S 80 90 80 0",
		"/proc/80/comm":  "tmux: server\n",
		"/proc/80/stat":  "80 (tmux: server (x)) S 1 80 80 0",
	}
	read := func(p string) ([]byte, error) {
		if s, ok := procs[p]; ok {
			return []byte(s), nil
		}
		return nil, fs.ErrNotExist
	}
	if got, want := ProcAncestors(read, 100, 10), []string{"bash", "tmux: server"}; !reflect.DeepEqual(got, want) {
		t.Errorf("ProcAncestors = %q, want %q", got, want)
	}
	if got := ProcAncestors(read, 100, 1); !reflect.DeepEqual(got, []string{"bash"}) {
		t.Errorf("ProcAncestors max 1 = %q", got)
	}
	if got := ProcAncestors(read, 5, 10); got != nil {
		t.Errorf("unreadable pid = %q", got)
	}
}

func TestNewPathsAndFind(t *testing.T) {
	w := NewPaths("windows", `C:\Users\u`)
	if w.OcDir != `C:\Users\u\.crc\bin\oc` || w.Oc != `C:\Users\u\.crc\bin\oc\oc.exe` || w.Kubeconfig != `C:\Users\u\.crc\machines\crc\kubeconfig` {
		t.Errorf("windows paths = %+v", w)
	}
	l := NewPaths("linux", "/home/u")
	if l.CRCLink != "/home/u/.crc/bin/crc" || l.Kubeconfig != "/home/u/.crc/machines/crc/kubeconfig" {
		t.Errorf("linux paths = %+v", l)
	}

	exe := fakeFileInfo{mode: 0o755}
	tests := []struct {
		name     string
		paths    Paths
		onPath   string
		files    map[string]fs.FileInfo
		want     string
		notFound bool
	}{
		{"PATH first", l, "/opt/crc/crc", map[string]fs.FileInfo{"/usr/local/bin/crc": exe}, "/opt/crc/crc", false},
		{"macOS package", l, "", map[string]fs.FileInfo{"/usr/local/bin/crc": exe, l.CRCLink: exe}, "/usr/local/bin/crc", false},
		{"crc's own link", l, "", map[string]fs.FileInfo{l.CRCLink: exe}, l.CRCLink, false},
		{"not executable", l, "", map[string]fs.FileInfo{l.CRCLink: fakeFileInfo{mode: 0o644}}, "", true},
		{"windows MSI", w, "", map[string]fs.FileInfo{WindowsInstallPath: fakeFileInfo{mode: 0o666}}, WindowsInstallPath, false},
		{"nothing", l, "", nil, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := Finder{
				Paths: tt.paths,
				LookPath: func(string) (string, error) {
					if tt.onPath == "" {
						return "", fs.ErrNotExist
					}
					return tt.onPath, nil
				},
				Stat: func(p string) (fs.FileInfo, error) {
					if fi, ok := tt.files[p]; ok {
						return fi, nil
					}
					return nil, fs.ErrNotExist
				},
			}
			got, err := f.Find()
			if tt.notFound {
				if KindOf(err) != KindNotInstalled || !strings.Contains(err.Error(), "looked in PATH") || HintOf(err) == "" {
					t.Fatalf("Find = %q, %v; want KindNotInstalled", got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("Find = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

type fakeFileInfo struct {
	mode fs.FileMode
	dir  bool
}

func (f fakeFileInfo) Name() string { return "f" }
func (f fakeFileInfo) Size() int64  { return 1 }
func (f fakeFileInfo) Mode() fs.FileMode {
	if f.dir {
		return f.mode | fs.ModeDir
	}
	return f.mode
}
func (f fakeFileInfo) ModTime() time.Time { return time.Time{} }
func (f fakeFileInfo) IsDir() bool        { return f.dir }
func (f fakeFileInfo) Sys() any           { return nil }
