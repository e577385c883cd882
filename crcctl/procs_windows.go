package crcctl

import (
	"os"
	"unsafe"

	"golang.org/x/sys/windows"
)

// ParentProcessNames returns the image names of up to max ancestors of
// this process, nearest first, from a process snapshot.
func ParentProcessNames(max int) []string {
	snap, err := windows.CreateToolhelp32Snapshot(windows.TH32CS_SNAPPROCESS, 0)
	if err != nil {
		return nil
	}
	defer windows.CloseHandle(snap)
	type proc struct {
		parent uint32
		name   string
	}
	procs := map[uint32]proc{}
	var e windows.ProcessEntry32
	e.Size = uint32(unsafe.Sizeof(e))
	for err = windows.Process32First(snap, &e); err == nil; err = windows.Process32Next(snap, &e) {
		procs[e.ProcessID] = proc{parent: e.ParentProcessID, name: windows.UTF16ToString(e.ExeFile[:])}
	}
	var names []string
	pid := uint32(os.Getpid())
	seen := map[uint32]bool{}
	for i := 0; i < max; i++ {
		p, ok := procs[pid]
		if !ok || seen[p.parent] || p.parent == 0 {
			break
		}
		seen[pid] = true
		parent, ok := procs[p.parent]
		if !ok {
			break
		}
		names = append(names, parent.name)
		pid = p.parent
	}
	return names
}
