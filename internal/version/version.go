// Package version holds pulllab's version, set at build time with
// -ldflags "-X github.com/pulllab/pulllab/internal/version.version=v0.1.0 -X ….commit=abc123".
package version

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

var (
	version = "v0.1.0-dev"
	commit  = ""
)

// Version returns the version string, e.g. "v0.1.0".
func Version() string { return version }

// Commit returns the git commit pulllab was built from, if known.
func Commit() string {
	if commit != "" {
		return commit
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 7 {
				return s.Value[:7]
			}
		}
	}
	return ""
}

// String returns "pulllab v0.1.0 (abc1234) go1.26 linux/amd64".
func String() string {
	c := Commit()
	if c != "" {
		c = " (" + c + ")"
	}
	return fmt.Sprintf("pulllab %s%s %s %s/%s", version, c, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

// UserAgent is what pulllab sends to API servers and registries.
func UserAgent() string { return "pulllab/" + version }
