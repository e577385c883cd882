//go:build !windows

package main

func notOnWindows() {}
