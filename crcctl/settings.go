package crcctl

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/crc-org/crc/v2/pkg/crc/preset"
)

// crc's configuration keys that pulllab manages.
const (
	KeyPreset             = "preset"
	KeyCPUs               = "cpus"
	KeyMemory             = "memory"
	KeyDiskSize           = "disk-size"
	KeyPullSecretFile     = "pull-secret-file"
	KeyConsentTelemetry   = "consent-telemetry"
	KeyDisableUpdateCheck = "disable-update-check"
)

// Minimum VM sizes crc accepts for the openshift and okd presets: CPUs,
// MiB, GiB (crc-org/crc pkg/crc/constants: GetDefaultCPUs,
// GetDefaultMemory, DefaultDiskSize). MinimumFor gives them per preset.
const (
	MinCPUs        = 4
	MinMemoryMiB   = 10752
	MinDiskGiB     = 31
	minCPUsMicro   = 2
	minMemoryMicro = 4096
)

// Minimum is what crc requires of the VM for one preset.
type Minimum struct {
	CPUs      int
	MemoryMiB int
	DiskGiB   int
}

// MinimumFor returns crc's minimums for p: 4 CPUs, 10752 MiB and 31 GiB
// for openshift and okd; 2 CPUs, 4096 MiB and 31 GiB for microshift.
func MinimumFor(p preset.Preset) Minimum {
	cpus, mem := minimums(p)
	return Minimum{CPUs: cpus, MemoryMiB: mem, DiskGiB: MinDiskGiB}
}

// PresetSupported refuses what crc refuses for a preset on a host
// architecture: okd has no arm64 bundle (crc-org/crc
// pkg/crc/config/validations.go, validatePreset).
func PresetSupported(p preset.Preset, goarch string) error {
	if p == preset.OKD && (goarch == "arm64" || goarch == "arm") {
		return &Error{Kind: KindOther, Op: "crc config", Msg: fmt.Sprintf("crc does not support preset okd on %s", goarch), Hint: "set crc.preset to openshift, which runs on Apple silicon and other arm64 hosts"}
	}
	return nil
}

// Settings are the crc configuration values pulllab wants. A zero value
// leaves crc's own setting alone, so a VM the user sized with
// `crc config set` keeps its size unless pulllab is told otherwise.
type Settings struct {
	// Preset is the cluster kind. The lab builds its images on openshift
	// and okd; microshift has no builds (the command layer refuses it).
	Preset preset.Preset
	// CPUs, MemoryMiB and DiskGiB size the VM; 0 keeps crc's value. The
	// disk is never shrunk: crc can only grow it.
	CPUs      int
	MemoryMiB int
	DiskGiB   int
	// PullSecretFile is the ABSOLUTE path of the pull secret; empty leaves
	// crc's setting alone.
	PullSecretFile string
	// ConsentTelemetry is "yes" or "no"; empty keeps crc's answer, or
	// answers "no" if crc has none (so `crc setup` does not ask).
	ConsentTelemetry string
	// DisableUpdateCheck stops crc from checking for new releases.
	DisableUpdateCheck bool
}

// minimums returns crc's minimum CPUs and memory for p.
func minimums(p preset.Preset) (cpus, memMiB int) {
	if p == preset.Microshift {
		return minCPUsMicro, minMemoryMicro
	}
	return MinCPUs, MinMemoryMiB
}

// Validate refuses values crc would refuse for the preset (its minimums,
// with crc's own wording, and a pull secret path it would store as given),
// so nothing is touched before the user fixes them. The shape of each value
// (a known preset, yes or no, positive numbers) is pulllab's settings'
// business: internal/config validates it once, naming where it came from.
func (s Settings) Validate() error {
	minCPU, minMem := minimums(s.Preset)
	if s.CPUs != 0 && s.CPUs < minCPU {
		return &Error{Kind: KindCPU, Op: "crc config", Msg: fmt.Sprintf("cpus %d: requires CPUs >= %d for preset %s", s.CPUs, minCPU, string(s.Preset)), Hint: fmt.Sprintf("set crc.cpus to %d or more", minCPU)}
	}
	if s.MemoryMiB != 0 && s.MemoryMiB < minMem {
		return &Error{Kind: KindMemory, Op: "crc config", Msg: fmt.Sprintf("memory %d: requires memory in MiB >= %d for preset %s", s.MemoryMiB, minMem, string(s.Preset)), Hint: fmt.Sprintf("set crc.memory to %d or more", minMem)}
	}
	if s.DiskGiB != 0 && s.DiskGiB < MinDiskGiB {
		return &Error{Kind: KindDisk, Op: "crc config", Msg: fmt.Sprintf("disk-size %d: requires disk size in GiB >= %d", s.DiskGiB, MinDiskGiB), Hint: fmt.Sprintf("set crc.diskSize to %d or more", MinDiskGiB)}
	}
	if s.PullSecretFile != "" && !isAbs(s.PullSecretFile) {
		return &Error{Kind: KindPullSecretMissing, Op: "crc config", Msg: fmt.Sprintf("pull secret path %q is not absolute", s.PullSecretFile), Hint: "crc stores the path as given; pass an absolute path"}
	}
	return nil
}

// isAbs accepts both POSIX and Windows absolute paths, so settings made
// for another OS validate the same way in tests.
func isAbs(p string) bool {
	if strings.HasPrefix(p, "/") || strings.HasPrefix(p, `\\`) {
		return true
	}
	return len(p) >= 3 && p[1] == ':' && (p[2] == '\\' || p[2] == '/')
}

// ConfigChange is one `crc config set KEY VALUE` pulllab makes.
type ConfigChange struct {
	Key string `json:"key"`
	// From is the current value ("" when crc uses its default).
	From string `json:"from"`
	To   string `json:"to"`
}

// desired lists the keys in the order they must be set: preset first,
// because changing it resets cpus and memory below its minimum.
func (s Settings) desired(current map[string]string) []ConfigChange {
	d := []ConfigChange{{Key: KeyPreset, To: string(s.Preset)}}
	for _, kv := range []struct {
		key string
		n   int
	}{{KeyCPUs, s.CPUs}, {KeyMemory, s.MemoryMiB}, {KeyDiskSize, s.DiskGiB}} {
		if kv.n != 0 {
			d = append(d, ConfigChange{Key: kv.key, To: strconv.Itoa(kv.n)})
		}
	}
	switch {
	case s.ConsentTelemetry != "":
		d = append(d, ConfigChange{Key: KeyConsentTelemetry, To: s.ConsentTelemetry})
	case current[KeyConsentTelemetry] == "":
		d = append(d, ConfigChange{Key: KeyConsentTelemetry, To: "no"})
	}
	d = append(d, ConfigChange{Key: KeyDisableUpdateCheck, To: strconv.FormatBool(s.DisableUpdateCheck)})
	if s.PullSecretFile != "" {
		d = append(d, ConfigChange{Key: KeyPullSecretFile, To: s.PullSecretFile})
	}
	return d
}

// crcDefault is the value crc uses for a key that `crc config view` does
// not list (it lists only values that differ from the default), given the
// preset that will be in effect.
func crcDefault(key string, p preset.Preset) string {
	cpus, mem := minimums(p)
	switch key {
	case KeyPreset:
		return string(preset.OpenShift)
	case KeyCPUs:
		return strconv.Itoa(cpus)
	case KeyMemory:
		return strconv.Itoa(mem)
	case KeyDiskSize:
		return strconv.Itoa(MinDiskGiB)
	case KeyDisableUpdateCheck:
		return "false"
	}
	return ""
}

// Changes returns the `crc config set` calls needed to go from current
// (as read by ConfigView) to s, skipping values that already match and
// never shrinking the disk.
func (s Settings) Changes(current map[string]string) []ConfigChange {
	var out []ConfigChange
	for _, c := range s.desired(current) {
		cur, set := current[c.Key]
		effective := cur
		if !set {
			effective = crcDefault(c.Key, s.Preset)
		}
		if sameValue(effective, c.To) {
			continue
		}
		if c.Key == KeyDiskSize && atoi(effective) > atoi(c.To) {
			continue
		}
		c.From = cur
		out = append(out, c)
	}
	return out
}

func sameValue(a, b string) bool {
	a, b = strings.TrimSpace(a), strings.TrimSpace(b)
	if a == b {
		return true
	}
	if x, err := strconv.ParseInt(a, 10, 64); err == nil {
		if y, err := strconv.ParseInt(b, 10, 64); err == nil {
			return x == y
		}
	}
	if x, err := strconv.ParseBool(a); err == nil {
		if y, err := strconv.ParseBool(b); err == nil {
			return x == y
		}
	}
	return false
}

func atoi(s string) int {
	n, _ := strconv.Atoi(strings.TrimSpace(s))
	return n
}
