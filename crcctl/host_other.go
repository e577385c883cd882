//go:build !linux && !darwin && !windows

package crcctl

import (
	"errors"
	"runtime"
)

var errUnsupportedOS = errors.New("not supported on " + runtime.GOOS)

func hostMemory() (uint64, uint64, error) { return 0, 0, errUnsupportedOS }

func diskFree(string) (uint64, error) { return 0, errUnsupportedOS }

func processHasGroup(_ string, listed bool) bool { return listed }

func machineArch() string { return runtime.GOARCH }
