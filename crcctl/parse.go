package crcctl

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/crc-org/crc/v2/pkg/crc/machine/state"
	"github.com/crc-org/crc/v2/pkg/crc/preset"
)

// Version is `crc version -o json`.
type Version struct {
	Version           string `json:"version" yaml:"version"`
	Commit            string `json:"commit" yaml:"commit"`
	OpenShiftVersion  string `json:"openshiftVersion" yaml:"openshiftVersion"`
	MicroShiftVersion string `json:"microshiftVersion,omitempty" yaml:"microshiftVersion,omitempty"`
}

// Status is a successful `crc status -o json`. Sizes are bytes; a size is
// zero when crc did not report it (a stopped VM has no disk or RAM use).
type Status struct {
	// CRCStatus is the VM: Running, Stopped, Starting, Stopping or Error.
	CRCStatus state.State `json:"crcStatus"`
	// OpenShiftStatus is the cluster: Running, Starting, Degraded,
	// Unreachable, Stopped or Stopping.
	OpenShiftStatus  state.State   `json:"openshiftStatus"`
	OpenShiftVersion string        `json:"openshiftVersion"`
	DiskUsage        int64         `json:"diskUsage"`
	DiskSize         int64         `json:"diskSize"`
	CacheUsage       int64         `json:"cacheUsage"`
	CacheDir         string        `json:"cacheDir"`
	RAMSize          int64         `json:"ramSize"`
	RAMUsage         int64         `json:"ramUsage"`
	Preset           preset.Preset `json:"preset"`
}

// Ready reports whether both the VM and the cluster are Running.
func (s *Status) Ready() bool {
	return s != nil && s.CRCStatus == state.Running && s.OpenShiftStatus == state.Running
}

// StartResult is the non-secret part of `crc start -o json`. The
// credentials crc prints are never decoded.
type StartResult struct {
	ClusterType   preset.Preset `json:"clusterType"`
	URL           string        `json:"url"`
	WebConsoleURL string        `json:"webConsoleUrl"`
}

// ActionResult is `crc stop|delete|setup -o json` (Forced only for stop).
type ActionResult struct {
	Success bool   `json:"success"`
	Forced  bool   `json:"forced"`
	Error   string `json:"error"`
}

// errUnreadable is returned (wrapped) when crc's output is not the JSON
// crcctl expects; it never quotes the output, which may hold secrets.
var errUnreadable = errors.New("crc printed output pulllab cannot read")

// decodeJSON finds the JSON object in out (crc may print text lines before
// it) and decodes it into v. Errors name the position or the field, never
// the content.
func decodeJSON(out []byte, v any) error {
	i := bytes.IndexByte(out, '{')
	if i < 0 {
		return fmt.Errorf("%w: no JSON object in %d bytes of output", errUnreadable, len(out))
	}
	if j := bytes.Index(out, []byte("\n{")); j >= 0 && i != 0 {
		i = j + 1
	}
	dec := json.NewDecoder(bytes.NewReader(out[i:]))
	if err := dec.Decode(v); err != nil {
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &syn):
			return fmt.Errorf("%w: invalid JSON at byte %d", errUnreadable, int64(i)+syn.Offset)
		case errors.As(err, &typ):
			return fmt.Errorf("%w: field %q has the wrong type", errUnreadable, typ.Field)
		default:
			return fmt.Errorf("%w: incomplete JSON", errUnreadable)
		}
	}
	return nil
}

// ParseVersion parses `crc version -o json`.
func ParseVersion(out []byte) (*Version, error) {
	var v Version
	if err := decodeJSON(out, &v); err != nil {
		return nil, err
	}
	if v.Version == "" {
		return nil, fmt.Errorf("%w: no version field", errUnreadable)
	}
	return &v, nil
}

// statusJSON mirrors crc's status struct including its error field.
type statusJSON struct {
	Success bool   `json:"success"`
	Error   string `json:"error"`
	Status
}

// ParseStatus parses `crc status -o json`. When crc reports a failure
// (success false, exit code 0), it returns a classified *Error: typically
// KindVMMissing or KindDaemonUnreachable.
func ParseStatus(out []byte) (*Status, error) {
	var s statusJSON
	if err := decodeJSON(out, &s); err != nil {
		return nil, err
	}
	if !s.Success {
		return nil, newCRCError("crc status", s.Error, nil)
	}
	st := s.Status
	return &st, nil
}

// startJSON has no credential fields on purpose: they are skipped by the
// decoder and never held in memory as strings.
type startJSON struct {
	Success       bool         `json:"success"`
	Error         string       `json:"error"`
	ClusterConfig *StartResult `json:"clusterConfig"`
}

// ParseStartResult parses `crc start -o json`, dropping the credentials.
// A reported failure comes back as a classified *Error.
func ParseStartResult(out []byte) (*StartResult, error) {
	var s startJSON
	if err := decodeJSON(out, &s); err != nil {
		return nil, err
	}
	if !s.Success {
		return nil, newCRCError("crc start", s.Error, nil)
	}
	if s.ClusterConfig == nil {
		return &StartResult{}, nil
	}
	return s.ClusterConfig, nil
}

// ParseActionResult parses `crc setup|stop|delete -o json`. A reported
// failure comes back as a classified *Error for op.
func ParseActionResult(op string, out []byte) (*ActionResult, error) {
	var r ActionResult
	if err := decodeJSON(out, &r); err != nil {
		return nil, err
	}
	if !r.Success {
		return &r, newCRCError(op, r.Error, nil)
	}
	return &r, nil
}

// LogLine is one stderr line of crc in logrus's logfmt form
// (level=info msg="Checking if running as non-root").
type LogLine struct {
	Level string
	Msg   string
}

// ParseLogLine parses a logfmt line from crc's stderr. Lines in another
// form (a coloured TTY layout, a progress bar) come back with an empty
// level and the line as the message; ok is false for blank lines.
func ParseLogLine(line string) (l LogLine, ok bool) {
	line = strings.TrimSpace(line)
	if line == "" {
		return LogLine{}, false
	}
	if !strings.HasPrefix(line, "level=") {
		return LogLine{Msg: line}, true
	}
	rest := line[len("level="):]
	sp := strings.IndexAny(rest, " \t\r\n")
	if sp < 0 {
		return LogLine{Level: rest}, true
	}
	l.Level = rest[:sp]
	rest = strings.TrimLeft(rest[sp:], " \t\r\n")
	if !strings.HasPrefix(rest, "msg=") {
		return LogLine{Level: l.Level, Msg: rest}, true
	}
	rest = rest[len("msg="):]
	if strings.HasPrefix(rest, `"`) {
		if q, err := strconv.QuotedPrefix(rest); err == nil {
			if s, err := strconv.Unquote(q); err == nil {
				l.Msg = s
				return l, true
			}
		}
		l.Msg = strings.Trim(rest, `"`)
		return l, true
	}
	if sp := strings.IndexByte(rest, ' '); sp >= 0 {
		rest = rest[:sp]
	}
	l.Msg = rest
	return l, true
}

// lastErrorLine returns the message of the last error or fatal line in
// crc's stderr, or the last non-empty line if none is in logfmt form.
func lastErrorLine(stderr []byte) string {
	var last, lastErr string
	for _, line := range strings.Split(string(stderr), "\n") {
		l, ok := ParseLogLine(line)
		if !ok {
			continue
		}
		switch l.Level {
		case "error", "fatal", "panic":
			lastErr = l.Msg
		case "":
			last = l.Msg
		}
	}
	if lastErr != "" {
		return lastErr
	}
	return last
}
