package crcctl

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
)

// Host is what `pulllab doctor` asks of the machine. OSHost is the real
// one; tests use a fake so every OS's checks run anywhere.
type Host interface {
	// GOOS is the operating system (runtime.GOOS).
	GOOS() string
	// GOARCH is the machine's CPU architecture; on macOS it is arm64 on
	// Apple silicon even when pulllab runs under Rosetta.
	GOARCH() string
	// Getenv returns an environment variable ("" if unset).
	Getenv(key string) string
	// ReadFile reads a whole (small) file.
	ReadFile(name string) ([]byte, error)
	// ReadHead reads at most n bytes from the start of a file.
	ReadHead(name string, n int) ([]byte, error)
	// Stat is os.Stat.
	Stat(name string) (fs.FileInfo, error)
	// CanOpenRW reports, as an error, whether the current user can open
	// the file for reading and writing (device access such as /dev/kvm).
	CanOpenRW(name string) error
	// NumCPU is the number of logical CPUs the machine has (0 if unknown).
	NumCPU() int
	// Memory returns the physical memory and the memory available to new
	// programs, in bytes; available is 0 when the OS does not say.
	Memory() (total, available uint64, err error)
	// DiskFree returns the bytes free to this user on the file system
	// holding path (or its nearest existing parent).
	DiskFree(path string) (uint64, error)
	// GroupMembership reports whether the current user is listed in the
	// group and whether this process already has it (it does not until
	// the user logs in again after being added). An error means the group
	// does not exist or cannot be read.
	GroupMembership(group string) (listed, active bool, err error)
}

// OSHost is the real machine.
type OSHost struct {
	// LookupEnv reads the environment (os.LookupEnv outside tests); nil
	// means an empty environment.
	LookupEnv func(string) (string, bool)
}

var _ Host = OSHost{}

// GOOS implements Host.
func (OSHost) GOOS() string { return runtime.GOOS }

// GOARCH implements Host.
func (OSHost) GOARCH() string { return machineArch() }

// Getenv implements Host.
func (h OSHost) Getenv(key string) string {
	if h.LookupEnv == nil {
		return ""
	}
	v, _ := h.LookupEnv(key)
	return v
}

// ReadFile implements Host.
func (OSHost) ReadFile(name string) ([]byte, error) { return os.ReadFile(name) }

// ReadHead implements Host.
func (OSHost) ReadHead(name string, n int) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	buf := make([]byte, n)
	m, err := io.ReadFull(f, buf)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return buf[:m], nil
}

// Stat implements Host.
func (OSHost) Stat(name string) (fs.FileInfo, error) { return os.Stat(name) }

// CanOpenRW implements Host.
func (OSHost) CanOpenRW(name string) error {
	f, err := os.OpenFile(name, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	return f.Close()
}

// NumCPU implements Host.
func (OSHost) NumCPU() int { return runtime.NumCPU() }

// Memory implements Host.
func (OSHost) Memory() (uint64, uint64, error) { return hostMemory() }

// DiskFree implements Host.
func (OSHost) DiskFree(path string) (uint64, error) {
	p := path
	for {
		if _, err := os.Stat(p); err == nil {
			break
		}
		parent := filepath.Dir(p)
		if parent == p {
			break
		}
		p = parent
	}
	return diskFree(p)
}

// GroupMembership implements Host.
func (OSHost) GroupMembership(group string) (bool, bool, error) {
	g, err := user.LookupGroup(group)
	if err != nil {
		return false, false, err
	}
	u, err := user.Current()
	if err != nil {
		return false, false, err
	}
	ids, err := u.GroupIds()
	if err != nil {
		return false, false, err
	}
	listed := false
	for _, id := range ids {
		if id == g.Gid {
			listed = true
			break
		}
	}
	return listed, processHasGroup(g.Gid, listed), nil
}

// parseMeminfo reads MemTotal and MemAvailable (kB) from /proc/meminfo.
func parseMeminfo(data []byte) (total, available uint64, err error) {
	for _, line := range strings.Split(string(data), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		f := strings.Fields(v)
		if len(f) == 0 {
			continue
		}
		n, perr := strconv.ParseUint(f[0], 10, 64)
		if perr != nil {
			continue
		}
		switch k {
		case "MemTotal":
			total = n * 1024
		case "MemAvailable":
			available = n * 1024
		}
	}
	if total == 0 {
		return 0, 0, fmt.Errorf("no MemTotal in /proc/meminfo")
	}
	return total, available, nil
}
