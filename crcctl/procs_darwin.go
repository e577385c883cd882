package crcctl

import (
	"bytes"
	"os"

	"golang.org/x/sys/unix"
)

// ParentProcessNames returns the names of up to max ancestors of this
// process, nearest first, from the kern.proc.pid sysctl.
func ParentProcessNames(max int) []string {
	var names []string
	pid := os.Getpid()
	for i := 0; i < max && pid > 1; i++ {
		k, err := unix.SysctlKinfoProc("kern.proc.pid", pid)
		if err != nil {
			break
		}
		ppid := int(k.Eproc.Ppid)
		if ppid <= 1 {
			break
		}
		p, err := unix.SysctlKinfoProc("kern.proc.pid", ppid)
		if err != nil {
			break
		}
		comm := p.Proc.P_comm[:]
		if j := bytes.IndexByte(comm, 0); j >= 0 {
			comm = comm[:j]
		}
		names = append(names, string(comm))
		pid = ppid
	}
	return names
}
