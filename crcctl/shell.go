package crcctl

import (
	"fmt"
	"path"
	"strings"
)

// Shell is a shell pulllab env can print lines for.
type Shell string

// The shells `crc oc-env` supports, with the same names.
const (
	ShellBash       Shell = "bash"
	ShellZsh        Shell = "zsh"
	ShellFish       Shell = "fish"
	ShellPowerShell Shell = "powershell"
	ShellCmd        Shell = "cmd"
)

// Shells lists the supported shells.
var Shells = []Shell{ShellBash, ShellZsh, ShellFish, ShellPowerShell, ShellCmd}

// ParseShell accepts a shell name as a user types it: bash, zsh, fish,
// powershell (or pwsh), cmd; case-insensitive.
func ParseShell(s string) (Shell, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "bash", "sh":
		return ShellBash, nil
	case "zsh":
		return ShellZsh, nil
	case "fish":
		return ShellFish, nil
	case "powershell", "pwsh":
		return ShellPowerShell, nil
	case "cmd":
		return ShellCmd, nil
	}
	return "", fmt.Errorf("%q is not a supported shell; use bash, zsh, fish, powershell or cmd", s)
}

// shellFromProcess maps a process name (comm on Linux, the image name on
// Windows) to a shell. POSIX shells that understand `export` count as bash.
func shellFromProcess(name string) (Shell, bool) {
	n := strings.ToLower(strings.TrimSpace(name))
	n = strings.TrimPrefix(n, "-") // login shells
	n = path.Base(strings.ReplaceAll(n, `\`, "/"))
	n = strings.TrimSuffix(n, ".exe")
	switch n {
	case "bash":
		return ShellBash, true
	case "zsh":
		return ShellZsh, true
	case "fish":
		return ShellFish, true
	case "pwsh", "powershell", "powershell_ise":
		return ShellPowerShell, true
	case "cmd":
		return ShellCmd, true
	case "sh", "dash", "ash", "ksh", "mksh", "yash", "busybox":
		return ShellBash, true
	}
	return "", false
}

// DetectShell guesses the user's shell. ancestors are the names of the
// parent processes, nearest first (from the Linux /proc walk or the Windows
// process snapshot; may be empty). getenv reads the environment. When
// ancestors name no shell it falls back to:
//
//   - Windows: SHELL or MSYSTEM (Git Bash, MSYS2, Cygwin) → that POSIX
//     shell; PSModulePath holding a per-user or PowerShell 7 module folder
//     → powershell (cmd.exe only has the system folders); else cmd.
//   - Others: SHELL's base name; else PSModulePath (set by pwsh) →
//     powershell; else bash.
//
// sure is false when the answer is only the last-resort default.
func DetectShell(goos string, ancestors []string, getenv func(string) string) (sh Shell, sure bool) {
	for _, a := range ancestors {
		if s, ok := shellFromProcess(a); ok {
			return s, true
		}
	}
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	shellVar := getenv("SHELL")
	if goos == "windows" {
		if s, ok := shellFromProcess(shellVar); ok && s != ShellCmd && s != ShellPowerShell {
			return s, true
		}
		if getenv("MSYSTEM") != "" {
			return ShellBash, true
		}
		if psModulePathIsPowerShell(getenv("PSModulePath")) {
			return ShellPowerShell, true
		}
		if getenv("ComSpec") != "" || getenv("PROMPT") != "" {
			return ShellCmd, true
		}
		return ShellCmd, false
	}
	if s, ok := shellFromProcess(shellVar); ok {
		return s, true
	}
	if getenv("PSModulePath") != "" {
		return ShellPowerShell, true
	}
	return ShellBash, false
}

// psModulePathIsPowerShell reports whether a Windows PSModulePath was set
// up by a PowerShell session: PowerShell 7 adds its $PSHOME
// (...\PowerShell\7\Modules) and Documents\PowerShell\Modules, Windows
// PowerShell 5.1 adds Documents\WindowsPowerShell\Modules. A cmd.exe
// started from Explorer only has the machine-wide folders.
func psModulePathIsPowerShell(v string) bool {
	low := strings.ToLower(strings.ReplaceAll(v, "/", `\`))
	for _, entry := range strings.Split(low, ";") {
		entry = strings.TrimRight(entry, `\`)
		switch {
		case entry == "":
		case strings.Contains(entry, `\powershell\7`):
			return true
		case strings.HasSuffix(entry, `\documents\powershell\modules`), strings.HasSuffix(entry, `\documents\windowspowershell\modules`):
			return true
		}
	}
	return false
}

// ProcAncestors walks /proc from pid upwards and returns the names (comm)
// of up to max parent processes, nearest first. readFile is os.ReadFile
// outside tests; unreadable entries end the walk.
func ProcAncestors(readFile func(string) ([]byte, error), pid, max int) []string {
	var names []string
	for i := 0; i < max && pid > 1; i++ {
		stat, err := readFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			break
		}
		ppid, ok := parsePPID(string(stat))
		if !ok || ppid < 1 {
			break
		}
		comm, err := readFile(fmt.Sprintf("/proc/%d/comm", ppid))
		if err != nil {
			break
		}
		names = append(names, strings.TrimSpace(string(comm)))
		pid = ppid
	}
	return names
}

// parsePPID reads the parent pid from /proc/<pid>/stat: "pid (comm) state
// ppid ...", where comm may itself contain spaces and parentheses.
func parsePPID(stat string) (int, bool) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(stat[i+1:])
	if len(f) < 2 {
		return 0, false
	}
	n := 0
	for _, r := range f[1] {
		if r < '0' || r > '9' {
			return 0, false
		}
		n = n*10 + int(r-'0')
		if n > 1<<30 {
			return 0, false
		}
	}
	return n, true
}

// EnvVar is one line pulllab env prints.
type EnvVar struct {
	Name  string
	Value string
	// Prepend puts Value in front of the variable's current value (PATH).
	Prepend bool
}

// POSIXPath turns a Windows path into the form Git Bash and MSYS2 use:
// C:\Users\u → /C/Users/u. Other paths are returned unchanged.
func POSIXPath(p string) string {
	if len(p) >= 2 && p[1] == ':' {
		rest := strings.ReplaceAll(p[2:], `\`, "/")
		if !strings.HasPrefix(rest, "/") {
			rest = "/" + rest
		}
		return "/" + p[:1] + rest
	}
	return strings.ReplaceAll(p, `\`, "/")
}

// RenderEnv returns the lines that set vars in sh, in the formats `crc
// oc-env` uses, followed by the two-line usage hint for hintCmd (e.g.
// "pulllab env"). goos decides the path style: on Windows, bash, zsh and
// fish get POSIX paths (/C/Users/...) and ':' separators; powershell and
// cmd keep Windows paths and ';' (pwsh elsewhere uses ':'). Unlike crc, fish sets non-PATH variables
// with `set -gx NAME "value"`.
func RenderEnv(sh Shell, goos string, vars []EnvVar, hintCmd string) string {
	var b strings.Builder
	posix := sh == ShellBash || sh == ShellZsh || sh == ShellFish
	for _, v := range vars {
		val := v.Value
		if goos == "windows" && posix {
			val = POSIXPath(val)
		}
		switch sh {
		case ShellFish:
			if v.Prepend && v.Name == "PATH" {
				q := fishQuote(val)
				fmt.Fprintf(&b, "contains %s $fish_user_paths; or set -U fish_user_paths %s $fish_user_paths\n", q, q)
			} else if v.Prepend {
				fmt.Fprintf(&b, "set -gx %s %s $%s\n", v.Name, fishQuote(val), v.Name)
			} else {
				fmt.Fprintf(&b, "set -gx %s %s\n", v.Name, fishQuote(val))
			}
		case ShellPowerShell:
			if v.Prepend {
				// pwsh on Linux and macOS separates PATH with ':'.
				sep := ";"
				if goos != "windows" {
					sep = ":"
				}
				fmt.Fprintf(&b, "$Env:%s = \"%s%s$Env:%s\"\n", v.Name, psEscape(val), sep, v.Name)
			} else {
				fmt.Fprintf(&b, "$Env:%s = \"%s\"\n", v.Name, psEscape(val))
			}
		case ShellCmd:
			if v.Prepend {
				fmt.Fprintf(&b, "SET %s=%s;%%%s%%\n", v.Name, val, v.Name)
			} else {
				fmt.Fprintf(&b, "SET %s=%s\n", v.Name, val)
			}
		default: // bash, zsh
			if v.Prepend {
				fmt.Fprintf(&b, "export %s=\"%s:$%s\"\n", v.Name, posixEscape(val), v.Name)
			} else {
				fmt.Fprintf(&b, "export %s=\"%s\"\n", v.Name, posixEscape(val))
			}
		}
	}
	b.WriteString(usageHint(sh, hintCmd))
	return b.String()
}

// usageHint is the two comment lines telling how to apply the output.
func usageHint(sh Shell, cmd string) string {
	switch sh {
	case ShellFish:
		return "# Run this command to configure your shell:\n# eval (" + cmd + ")\n"
	case ShellPowerShell:
		return "# Run this command to configure your shell:\n# " + cmd + " | Invoke-Expression\n"
	case ShellCmd:
		return "REM Run this command to configure your shell:\nREM @FOR /f \"tokens=*\" %i IN ('" + cmd + "') DO @call %i\n"
	}
	return "# Run this command to configure your shell:\n# eval $(" + cmd + ")\n"
}

// posixEscape escapes for the inside of a double-quoted POSIX string.
func posixEscape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "$", `\$`, "`", "\\`")
	return r.Replace(s)
}

// fishQuote double-quotes for fish, escaping \, " and $.
func fishQuote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "$", `\$`)
	return `"` + r.Replace(s) + `"`
}

// psEscape escapes for the inside of a double-quoted PowerShell string.
func psEscape(s string) string {
	r := strings.NewReplacer("`", "``", `"`, "`\"", "$", "`$")
	return r.Replace(s)
}
