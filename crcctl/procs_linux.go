package crcctl

import "os"

// ParentProcessNames returns the names of up to max ancestors of this
// process, nearest first, from /proc.
func ParentProcessNames(max int) []string {
	return ProcAncestors(os.ReadFile, os.Getpid(), max)
}
