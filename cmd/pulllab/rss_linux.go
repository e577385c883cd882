//go:build linux

package main

import "syscall"

// peakRSS returns pulllab's peak resident set size in bytes (Linux reports
// ru_maxrss in KiB), or 0 when it cannot be read.
func peakRSS() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return int64(ru.Maxrss) * 1024
}
