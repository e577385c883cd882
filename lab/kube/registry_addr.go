package kube

import (
	"errors"
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/pulllab/pulllab/lab"
)

// OptionError is bad input to New: a setting's value the backend cannot
// use, named by its setting (lab.SettingError; errors.Is(err,
// lab.ErrBadInput) holds).
type OptionError = lab.SettingError

// RegistryAddress is a parsed --registry value: HOST[:PORT][/PREFIX].
type RegistryAddress struct {
	// Host is the registry's host and optional port, as given.
	Host string
	// Prefix is the repository path under which the lab's repositories
	// live, without leading or trailing slashes; empty for none.
	Prefix string
}

// String returns HOST[:PORT][/PREFIX].
func (a RegistryAddress) String() string {
	if a.Prefix == "" {
		return a.Host
	}
	return a.Host + "/" + a.Prefix
}

// Loopback reports whether the host is localhost or a loopback address
// (127.0.0.0/8, ::1).
func (a RegistryAddress) Loopback() bool { return isLoopbackHost(a.Host) }

// pathComponent is one component of a repository path (OCI distribution
// spec: lower case alphanumerics separated by '.', '_', '__' or dashes).
var pathComponent = regexp.MustCompile(`^[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*$`)

const registryHint = "give HOST:PORT[/PREFIX] of a registry that this machine can push to and the node can pull from, e.g. 127.0.0.1:5000 or registry.example.com/team"

// ParseRegistry parses a --registry value, HOST[:PORT][/PREFIX]. The host
// must look like a host to a container runtime (contain a dot or a port, or
// be localhost): a bare word would be read as a Docker Hub namespace. A
// scheme, tag or digest is rejected. Errors are *OptionError.
func ParseRegistry(s string) (RegistryAddress, error) {
	bad := func(reason string) (RegistryAddress, error) {
		return RegistryAddress{}, &OptionError{Setting: "lab.registry", Value: s, Reason: reason}
	}
	v := strings.TrimSpace(s)
	if v == "" {
		return RegistryAddress{}, &OptionError{Setting: "lab.registry", Reason: "is required on a Kubernetes cluster that is not OpenShift: " + registryHint}
	}
	if i := strings.Index(v, "://"); i >= 0 {
		return bad("drop the scheme " + v[:i+3] + ": " + registryHint + " (loopback registries are reached over plain http)")
	}
	if strings.ContainsAny(v, "@ \t") {
		return bad("a registry address has no digest or spaces: " + registryHint)
	}
	v = strings.TrimRight(v, "/")
	host, prefix, _ := strings.Cut(v, "/")
	if host == "" {
		return bad("the host is missing: " + registryHint)
	}
	if err := checkHost(host); err != nil {
		return bad(err.Error())
	}
	if prefix != "" {
		for _, c := range strings.Split(prefix, "/") {
			switch {
			case c == "":
				return bad("the prefix has an empty path component (//)")
			case strings.Contains(c, ":"):
				return bad("the prefix must not carry a tag: pulllab chooses the tags")
			case strings.ToLower(c) != c:
				return bad(fmt.Sprintf("repository paths are lower case; use %q", strings.ToLower(c)))
			case !pathComponent.MatchString(c):
				return bad(fmt.Sprintf("%q is not a valid repository path component (lower-case letters and digits, separated by '.', '_' or '-')", c))
			}
		}
	}
	a := RegistryAddress{Host: host, Prefix: prefix}
	if _, err := name.NewRepository(a.String()+"/x", name.StrictValidation); err != nil {
		return bad(err.Error())
	}
	return a, nil
}

// checkHost validates HOST[:PORT] where HOST is a DNS name, an IPv4
// address or a bracketed IPv6 address.
func checkHost(hostport string) error {
	h, port := hostport, ""
	if strings.HasPrefix(hostport, "[") {
		end := strings.Index(hostport, "]")
		if end < 0 {
			return fmt.Errorf("unbalanced '[' in the host")
		}
		h, port = hostport[1:end], strings.TrimPrefix(hostport[end+1:], ":")
		if hostport[end+1:] != "" && !strings.HasPrefix(hostport[end+1:], ":") {
			return fmt.Errorf("unexpected %q after the IPv6 address", hostport[end+1:])
		}
		if ip := net.ParseIP(h); ip == nil || ip.To4() != nil {
			return fmt.Errorf("%q is not an IPv6 address", h)
		}
	} else if i := strings.LastIndex(hostport, ":"); i >= 0 {
		h, port = hostport[:i], hostport[i+1:]
		if h == "" {
			return fmt.Errorf("the host is missing before the port: %s", registryHint)
		}
		if strings.Contains(h, ":") {
			return fmt.Errorf("write an IPv6 address in brackets, e.g. [::1]:5000")
		}
	}
	if strings.Contains(hostport, ":") {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("the port %q is not a number from 1 to 65535", port)
		}
	}
	if !strings.HasPrefix(hostport, "[") {
		for _, label := range strings.Split(h, ".") {
			if !hostLabel.MatchString(label) {
				return fmt.Errorf("%q is not a valid host name", h)
			}
		}
		if port == "" && !strings.Contains(h, ".") && h != "localhost" {
			return fmt.Errorf("%q has no dot and no port, so a container runtime would read it as a Docker Hub namespace; %s", h, registryHint)
		}
	}
	return nil
}

var hostLabel = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?$`)

// isLoopbackHost reports whether HOST[:PORT] names this machine's loopback:
// localhost, 127.0.0.0/8 or ::1.
func isLoopbackHost(hostport string) bool {
	h := hostport
	if sh, _, err := net.SplitHostPort(hostport); err == nil {
		h = sh
	}
	h = strings.Trim(h, "[]")
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// registryPair parses the push address (lab.registry) and the pull
// address (lab.registryPull, empty for the push address). A pull address without a
// prefix takes the push address's: the repositories are the same ones
// under either host. Prefixes that differ are refused: one registry keeps
// one path per repository. Errors are *OptionError.
func registryPair(push, pull string) (RegistryAddress, RegistryAddress, error) {
	if strings.TrimSpace(push) == "" && strings.TrimSpace(pull) != "" {
		return RegistryAddress{}, RegistryAddress{}, &OptionError{Setting: "lab.registryPull", Value: pull, Reason: "needs lab.registry too: give lab.registry HOST:PORT[/PREFIX] (where this machine pushes) with lab.registryPull HOST:PORT (where the node pulls the same registry from)"}
	}
	p, err := ParseRegistry(push)
	if err != nil {
		return RegistryAddress{}, RegistryAddress{}, err
	}
	if strings.TrimSpace(pull) == "" {
		return p, p, nil
	}
	q, err := ParseRegistry(pull)
	if err != nil {
		var oe *OptionError
		if errors.As(err, &oe) {
			oe.Setting = "lab.registryPull"
		}
		return RegistryAddress{}, RegistryAddress{}, err
	}
	if q.Prefix == "" {
		q.Prefix = p.Prefix
	}
	if q.Prefix != p.Prefix {
		return RegistryAddress{}, RegistryAddress{}, &OptionError{Setting: "lab.registryPull", Value: pull, Reason: fmt.Sprintf("its path %q differs from lab.registry's %q: both must name the same repositories in one registry; give the pull address without a path (it then takes lab.registry's) or with the same one", q.Prefix, p.Prefix)}
	}
	return p, q, nil
}
