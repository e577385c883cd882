//go:build !linux

package main

// peakRSS returns 0: pulllab reads its peak resident set size only on Linux.
func peakRSS() int64 { return 0 }
