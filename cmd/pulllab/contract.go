package main

import (
	"fmt"
	"strings"

	"github.com/pulllab/pulllab/crcctl"
)

// This file holds the facts the help, README and docs/cli.md all state, so
// that each is written once: the exit codes, the kubeconfig order, and how
// a hint names pulllab itself. Tests compare the README with them.

// exitCodeMeanings says what each exit code of exitCode means, in order.
// TestExitCodesMatchTheCode checks each line against the code.
var exitCodeMeanings = []struct {
	code    int
	meaning string
}{
	{0, "every case matched (skipped cases do not count)"},
	{1, "the lab ran and some case did not match; the report is written"},
	{2, "some case ended in error (it could not be evaluated; the report is written), or pulllab could not do what was asked: usage, config, CRC, cluster, a precondition"},
	{130, "interrupted: the lab's pods and the node debug pod are removed; run the same command again to continue"},
}

// exitCodesText is the exit codes as help text, one a line.
func exitCodesText() string {
	var b strings.Builder
	b.WriteString("Exit codes:\n")
	for _, e := range exitCodeMeanings {
		fmt.Fprintf(&b, "  %-3d  %s\n", e.code, e.meaning)
	}
	return strings.TrimRight(b.String(), "\n")
}

// exitCodesMarkdown is the exit codes as a Markdown table, as README.md
// and docs/cli.md carry it.
func exitCodesMarkdown() string {
	var b strings.Builder
	b.WriteString("| Exit code | Meaning |\n|---|---|\n")
	for _, e := range exitCodeMeanings {
		fmt.Fprintf(&b, "| %d | %s |\n", e.code, e.meaning)
	}
	return b.String()
}

// kubeconfigDefaults is the order clientConfig takes kubeconfigs in when
// --kubeconfig is not given.
const kubeconfigDefaults = "$KUBECONFIG, else CRC's admin kubeconfig when it exists, else ~/.kube/config"

// selfCommand is the command a hint should tell the user to run: as they
// ran pulllab when that was a path (bin/pulllab after `make lab`), else
// "pulllab" (found on PATH).
func selfCommand(argv0 string) string {
	if argv0 == "" || !strings.ContainsAny(argv0, `/\`) {
		return "pulllab"
	}
	return strings.TrimSuffix(argv0, ".exe")
}

// actionArgs is the command line, after pulllab itself, of each action
// crcctl's hints name (crcctl.Action): the one place that says which
// command does what crcctl asks for.
var actionArgs = map[crcctl.Action]string{
	crcctl.ActionDoctor:     "doctor",
	crcctl.ActionUp:         "up",
	crcctl.ActionInstallCRC: "up --install-crc",
	crcctl.ActionDeleteVM:   "down --delete --yes",
	crcctl.ActionVerify:     "verify",
}

// withSelf renders text for the user who ran pulllab as self: each action
// crcctl names ("{up}") becomes the command that does it, and the pulllab
// commands quoted in pulllab's own text ("`pulllab up --install-crc`",
// "'pulllab --help'") run self instead.
func withSelf(text, self string) string {
	if self == "" {
		self = "pulllab"
	}
	text = crcctl.RenderActions(text, func(a crcctl.Action) string { return self + " " + actionArgs[a] })
	if self == "pulllab" {
		return text
	}
	return strings.NewReplacer(
		"`pulllab ", "`"+self+" ", "`pulllab`", "`"+self+"`",
		"'pulllab ", "'"+self+" ", "'pulllab'", "'"+self+"'",
	).Replace(text)
}
