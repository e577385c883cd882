//go:build linux || darwin

package crcctl

import (
	"strconv"
	"syscall"
)

func diskFree(path string) (uint64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(path, &st); err != nil {
		return 0, err
	}
	return uint64(st.Bavail) * uint64(st.Bsize), nil
}

// processHasGroup reports whether gid is among this process's groups.
func processHasGroup(gid string, _ bool) bool {
	want, err := strconv.Atoi(gid)
	if err != nil {
		return false
	}
	if syscall.Getegid() == want {
		return true
	}
	groups, err := syscall.Getgroups()
	if err != nil {
		return false
	}
	for _, g := range groups {
		if g == want {
			return true
		}
	}
	return false
}
