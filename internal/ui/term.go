package ui

import (
	"io"
	"os"

	"github.com/mattn/go-isatty"
)

// IsSmartTerminal reports whether w is a terminal that can show a spinner
// and colour: a TTY (or a Cygwin/MSYS pty), NO_COLOR unset, TERM not "dumb",
// and on Windows only inside Windows Terminal (WT_SESSION), where the legacy
// console mangles redraws. lookupEnv is os.LookupEnv outside tests.
func IsSmartTerminal(w io.Writer, goos string, lookupEnv func(string) (string, bool)) bool {
	f, ok := w.(interface{ Fd() uintptr })
	if !ok {
		return false
	}
	if !isatty.IsTerminal(f.Fd()) && !isatty.IsCygwinTerminal(f.Fd()) {
		return false
	}
	return smartEnv(goos, lookupEnv)
}

func smartEnv(goos string, lookupEnv func(string) (string, bool)) bool {
	if _, set := lookupEnv("NO_COLOR"); set {
		return false
	}
	if t, _ := lookupEnv("TERM"); t == "dumb" {
		return false
	}
	if goos == "windows" {
		if _, set := lookupEnv("WT_SESSION"); !set {
			return false
		}
	}
	return true
}

// IsTerminal reports whether f is an interactive terminal (for prompts).
func IsTerminal(f *os.File) bool {
	return isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd())
}
