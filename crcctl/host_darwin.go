package crcctl

import (
	"runtime"

	"golang.org/x/sys/unix"
)

func hostMemory() (uint64, uint64, error) {
	total, err := unix.SysctlUint64("hw.memsize")
	if err != nil {
		return 0, 0, err
	}
	// macOS has no simple "available" figure; 0 means unknown.
	return total, 0, nil
}

// machineArch is arm64 on Apple silicon, also for an amd64 pulllab
// translated by Rosetta.
func machineArch() string {
	if runtime.GOARCH == "amd64" {
		if v, err := unix.SysctlUint32("sysctl.proc_translated"); err == nil && v == 1 {
			return "arm64"
		}
	}
	return runtime.GOARCH
}
