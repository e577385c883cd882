package config

import (
	"errors"
	"fmt"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/pulllab/pulllab/lab/report"
)

// dnsLabel is a Kubernetes namespace name (RFC 1123 label).
var dnsLabel = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

// LongestNamespaceSuffix is the longest suffix the backends add to the lab
// namespace to name their other namespaces (lab/kube NoCredentialsSuffix;
// the debug namespaces end in "-debug"). cmd/pulllab's tests check it
// against the backends.
const LongestNamespaceSuffix = "-nocreds"

// MaxNamespaceLen is the longest lab namespace: every namespace made from
// it must still be a DNS label of at most 63 characters.
const MaxNamespaceLen = 63 - len(LongestNamespaceSuffix)

// Validate checks every value for shape: names, enumerations, positive
// numbers and durations. It does not check things that need the machine or
// the cluster (does the pull secret exist, is there enough memory; crc's
// minimums are for `pulllab up` to enforce). Each problem names where the
// value came from, so the message says what to fix.
func (e *Effective) Validate() error {
	c := &e.Config
	var errs []error
	bad := func(path, format string, args ...any) {
		k, _ := LookupKey(path)
		errs = append(errs, fmt.Errorf("%s: %s", e.where(k), fmt.Sprintf(format, args...)))
	}
	positive := func(path string, n int) {
		if n <= 0 {
			bad(path, "want a number above 0, got %d", n)
		}
	}
	positiveDuration := func(path string, d time.Duration) {
		if d <= 0 {
			bad(path, "want a duration above 0, got %s", FormatDuration(d))
		}
	}
	noSpace := func(path, v string) bool {
		if strings.ContainsAny(v, " \t\r\n") {
			bad(path, "%q contains white space", v)
			return false
		}
		return true
	}

	if !slices.Contains(Presets, c.CRC.Preset) {
		bad("crc.preset", "want one of %s, got %q", strings.Join(Presets, ", "), c.CRC.Preset)
	}
	positive("crc.cpus", c.CRC.CPUs)
	positive("crc.memory", c.CRC.MemoryMiB)
	positive("crc.diskSize", c.CRC.DiskGiB)
	if v := c.CRC.ConsentTelemetry; v != "yes" && v != "no" {
		bad("crc.consentTelemetry", "want yes or no, got %q", v)
	}
	switch v := c.CRC.Version; {
	case v == "":
		bad("crc.version", "must not be empty")
	case strings.HasPrefix(v, "v"):
		bad("crc.version", "write %q without the leading v, as the mirror's folders are named", strings.TrimPrefix(v, "v"))
	case strings.ContainsAny(v, `/\ `):
		bad("crc.version", "want a version such as %s, got %q", BuiltIn().CRC.Version, v)
	}
	if u, err := url.Parse(c.CRC.Mirror); err != nil || !(u.Scheme == "https" || u.Scheme == "http" || u.Scheme == "file") || (u.Scheme != "file" && u.Host == "") {
		bad("crc.mirror", "want an http(s):// or file:// URL, got %q", c.CRC.Mirror)
	}
	positiveDuration("crc.startTimeout", c.CRC.StartTimeout)

	switch ns := c.Lab.Namespace; {
	case len(ns) > MaxNamespaceLen || !dnsLabel.MatchString(ns):
		bad("lab.namespace", "%q is not a namespace name: up to %d lower-case letters, digits and '-' (the lab adds %q to make its other namespaces), starting and ending with a letter or digit", ns, MaxNamespaceLen, LongestNamespaceSuffix)
	case ns == "default" || ns == "openshift" || strings.HasPrefix(ns, "openshift-") || strings.HasPrefix(ns, "kube-"):
		bad("lab.namespace", "%q belongs to the cluster (default, openshift, openshift-* and kube-* do); choose another name", ns)
	}
	if c.Lab.BaseImage == "" {
		bad("lab.baseImage", "must not be empty")
	} else {
		noSpace("lab.baseImage", c.Lab.BaseImage)
	}
	noSpace("lab.debugImage", c.Lab.DebugImage)
	if d := c.Lab.DeploymentsDir; d != "" && noSpace("lab.deploymentsDir", d) {
		switch {
		case !path.IsAbs(d):
			bad("lab.deploymentsDir", "want an absolute directory in the base image, e.g. /opt/jboss/wildfly/standalone/deployments, got %q", d)
		case path.Clean(d) == "/":
			bad("lab.deploymentsDir", "the WAR cannot go into the image's root directory: give the directory the app server scans")
		}
	}
	if r := c.Lab.Registry; noSpace("lab.registry", r) && strings.Contains(r, "://") {
		bad("lab.registry", "write HOST:PORT[/PREFIX] without a scheme, e.g. %q", r[strings.Index(r, "://")+3:])
	}
	if r := c.Lab.RegistryPull; noSpace("lab.registryPull", r) {
		switch {
		case strings.Contains(r, "://"):
			bad("lab.registryPull", "write HOST:PORT[/PREFIX] without a scheme, e.g. %q", r[strings.Index(r, "://")+3:])
		case r != "" && c.Lab.Registry == "":
			bad("lab.registryPull", "needs lab.registry too: give --registry HOST:PORT[/PREFIX] (where this machine pushes) with --registry-pull %s (where the node pulls the same registry from), or neither to use the registry the cluster announces", r)
		}
	}
	if n := c.Lab.Node; n != "" {
		if errs := validation.IsDNS1123Subdomain(n); len(errs) > 0 {
			bad("lab.node", "%q is not a node name: %s", n, strings.Join(errs, "; "))
		}
	}
	if l := c.Lab.Lang; !slices.Contains(report.Languages, l) {
		bad("lab.lang", "want %s, got %q", strings.Join(report.Languages, " or "), l)
	}
	if c.Lab.Out == "" {
		bad("lab.out", "must not be empty")
	}
	positiveDuration("lab.caseTimeout", c.Lab.CaseTimeout)
	return errors.Join(errs...)
}

// where names a key by where its value came from: "pulllab.yaml:12:
// lab.lang", "PULLLAB_LANG", "--lang", "lab.lang (default)".
func (e *Effective) where(k Key) string {
	src := e.Sources[k.Path]
	switch {
	case strings.HasPrefix(src, sourceFile):
		return strings.TrimPrefix(src, sourceFile) + ": " + k.Path
	case strings.HasPrefix(src, sourceEnv):
		return strings.TrimPrefix(src, sourceEnv)
	case strings.HasPrefix(src, sourceFlag):
		return strings.TrimPrefix(src, sourceFlag)
	case src == "" || src == SourceDefault:
		return k.Path + " (default)"
	default:
		return k.Path + " (" + src + ")"
	}
}

// Check runs a check that needs more than this package knows (the shape of
// a registry address belongs to the backend that uses it) on the setting at
// path, and names where the value came from in its error, like Validate.
// An empty value is not checked.
func (e *Effective) Check(path string, check func(value string) error) error {
	k, ok := LookupKey(path)
	if !ok {
		return fmt.Errorf("config: no setting %s", path)
	}
	v, _ := k.Value(&e.Config).(string)
	if v == "" {
		return nil
	}
	if err := check(v); err != nil {
		return fmt.Errorf("%s: %w", e.where(k), err)
	}
	return nil
}

// Mention names the setting at path as the user should change it, by where
// its value came from: the flag ("--registry") when it came from a flag or
// is the default, the variable ("PULLLAB_REGISTRY") when it came from the
// environment, the key and its line ("lab.registry (pulllab.yaml:3)") when
// it came from the file. Libraries name settings by path; the command line
// renders them with Mention. An unknown path is returned as it is.
func (e *Effective) Mention(path string) string {
	k, ok := LookupKey(path)
	if !ok {
		return path
	}
	src := e.Sources[k.Path]
	switch {
	case strings.HasPrefix(src, sourceEnv):
		return strings.TrimPrefix(src, sourceEnv)
	case strings.HasPrefix(src, sourceFile):
		return k.Path + " (" + strings.TrimPrefix(src, sourceFile) + ")"
	default:
		return "--" + k.Flag
	}
}
