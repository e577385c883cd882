//go:build !linux && !windows && !darwin

package crcctl

// ParentProcessNames is not implemented on this OS; detection falls back
// to the environment.
func ParentProcessNames(max int) []string { return nil }
