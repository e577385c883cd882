package crcctl

import (
	"regexp"
	"strings"
	"testing"
)

// pulllabCommand is a pulllab command line written into a message.
var pulllabCommand = regexp.MustCompile("`pulllab|pulllab (up|down|doctor|verify|status|env)\\b")

// TestRenderActions: every action's marker is replaced by what the caller
// renders for it, anything else in braces is left alone, and the hints
// crcctl writes carry markers, not a program's command lines.
func TestRenderActions(t *testing.T) {
	render := func(a Action) string { return "<" + strings.ToUpper(string(a)) + ">" }
	tests := []struct{ in, want string }{
		{"", ""},
		{"no action here", "no action here"},
		{"run `{doctor}`", "run `<DOCTOR>`"},
		{"`{delete-vm}`, then `{up}`", "`<DELETE-VM>`, then `<UP>`"},
		{"({install-crc}) and {verify}", "(<INSTALL-CRC>) and <VERIFY>"},
		{`{unknown} {"json": 1} {Up} {up`, `{unknown} {"json": 1} {Up} {up`},
	}
	for _, tt := range tests {
		if got := RenderActions(tt.in, render); got != tt.want {
			t.Errorf("RenderActions(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	seen := map[Action]bool{}
	for _, a := range Actions() {
		if seen[a] || a.Marker() != "{"+string(a)+"}" {
			t.Errorf("action %q is listed twice or has marker %q", a, a.Marker())
		}
		seen[a] = true
	}
	for _, m := range []string{doDoctor, doUp, doInstallCRC, doDeleteVM, doVerify} {
		if got := RenderActions(m, render); got == m {
			t.Errorf("marker %s is not in Actions()", m)
		}
	}
	hints := []string{hintDeleteAndRestart, hintVirt, MicroShiftNote, MicroShiftFix, ManualInstall("linux", "amd64", "2.65.0", "https://m.example")}
	for _, r := range rules {
		hints = append(hints, r.hint)
	}
	for _, h := range hints {
		if pulllabCommand.MatchString(h) {
			t.Errorf("hint names a pulllab command line instead of an action: %q", h)
		}
	}
}
