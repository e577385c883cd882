package crcctl

import (
	"os"
	"runtime"
)

func hostMemory() (uint64, uint64, error) {
	data, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0, 0, err
	}
	return parseMeminfo(data)
}

func machineArch() string { return runtime.GOARCH }
