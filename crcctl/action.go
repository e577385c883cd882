package crcctl

import "regexp"

// Action is something crcctl's hints and doctor's fixes tell the user to
// ask of the program that drives crc (for pulllab, one of its commands).
// crcctl names the action, never the command line that does it: a message
// carries an action as its marker, "{up}", and the caller renders each
// marker as its user types the command (RenderActions). crc's own command
// lines (`crc setup`) are crc's and are written out as they are.
type Action string

// The actions crcctl's messages refer to.
const (
	// ActionDoctor checks the host, crc and the settings.
	ActionDoctor Action = "doctor"
	// ActionUp sets up crc and its VM (`crc setup`, `crc start`) and the lab.
	ActionUp Action = "up"
	// ActionInstallCRC downloads and installs the recommended crc, then
	// does what ActionUp does.
	ActionInstallCRC Action = "install-crc"
	// ActionDeleteVM deletes the CRC VM (the user has agreed to).
	ActionDeleteVM Action = "delete-vm"
	// ActionVerify runs the lab on a cluster that is already set up.
	ActionVerify Action = "verify"
)

// Actions lists every action, so that a caller can check it renders each.
func Actions() []Action {
	return []Action{ActionDoctor, ActionUp, ActionInstallCRC, ActionDeleteVM, ActionVerify}
}

// The markers as messages carry them (constants, so a misspelt one does
// not compile).
const (
	doDoctor     = "{" + string(ActionDoctor) + "}"
	doUp         = "{" + string(ActionUp) + "}"
	doInstallCRC = "{" + string(ActionInstallCRC) + "}"
	doDeleteVM   = "{" + string(ActionDeleteVM) + "}"
	doVerify     = "{" + string(ActionVerify) + "}"
)

// Marker is a's marker as crcctl's messages carry it: "{up}".
func (a Action) Marker() string { return "{" + string(a) + "}" }

// markerRE finds a candidate marker; RenderActions keeps those that name
// no action.
var markerRE = regexp.MustCompile(`\{[a-z][a-z-]*\}`)

// RenderActions replaces every action marker in text with render(action),
// the command the user types for it. Braces that name no action are left
// as they are.
func RenderActions(text string, render func(Action) string) string {
	known := map[string]Action{}
	for _, a := range Actions() {
		known[a.Marker()] = a
	}
	return markerRE.ReplaceAllStringFunc(text, func(m string) string {
		if a, ok := known[m]; ok {
			return render(a)
		}
		return m
	})
}
