package lab

import (
	"errors"
	"fmt"
)

// ErrBadInput marks an error caused by what the user gave pulllab (a
// setting's value, a file they named), not by the cluster or the machine:
// errors.Is(err, ErrBadInput) holds for every *SettingError. The command
// line decides what that means for the exit code.
var ErrBadInput = errors.New("bad input")

// ErrNotPrepared marks an error that says the lab is not set up yet on the
// cluster (the base image is not imported, a variant is not built): the
// command line adds how to set it up.
var ErrNotPrepared = errors.New("the lab is not set up on this cluster")

// SettingError is a setting's value that the lab cannot use. It names the
// setting as pulllab.yaml does ("lab.registry"), never a flag or a
// variable: the command line knows which of those the value came from and
// says so.
type SettingError struct {
	// Setting is the setting's key path, e.g. "lab.registry".
	Setting string
	// Value is the rejected value; empty when the setting was not given.
	Value string
	// Reason says what is wrong and what to give instead.
	Reason string
}

// Error renders the setting, the value and the reason: `invalid
// lab.registry "x": reason`, or `lab.registry reason` when there is no
// value.
func (e *SettingError) Error() string {
	if e.Value == "" {
		return fmt.Sprintf("%s %s", e.Setting, e.Reason)
	}
	return fmt.Sprintf("invalid %s %q: %s", e.Setting, e.Value, e.Reason)
}

// Is makes every SettingError an ErrBadInput.
func (e *SettingError) Is(target error) bool { return target == ErrBadInput }
