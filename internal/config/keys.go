package config

import (
	"fmt"
	"strings"
	"time"

	"github.com/pulllab/pulllab/crcctl"
)

// Kind is the type of a setting's value.
type Kind int

// The kinds of values a setting can hold.
const (
	String   Kind = iota // text
	Int                  // a whole number
	Bool                 // true or false
	Duration             // a Go duration string such as 45m or 1h30m
)

// Key describes one setting: where it lives in pulllab.yaml, the flag and
// the environment variable that override it, and what it means.
type Key struct {
	// Path is the key in pulllab.yaml as section.key, e.g. "lab.namespace".
	Path string
	// Flag is the long flag name without dashes, e.g. "namespace".
	Flag string
	// Aliases are extra flag names, e.g. "n" for -n.
	Aliases []string
	// Env is the environment variable: PULLLAB_ plus Flag in upper snake case.
	Env string
	// Help is one line for flag usage; the first word in backquotes is the
	// flag's value placeholder (urfave/cli's convention).
	Help string
	// Doc is extra explanation for the comment in pulllab.yaml and the docs.
	Doc string
	// IsPath marks file and directory settings: "~" is the home directory,
	// and a relative path in the file is relative to the file's directory.
	IsPath bool
	// field returns a pointer to the setting inside a Config.
	field func(*Config) any
}

// Kind is the type of the key's value.
func (k Key) Kind() Kind {
	switch k.field(&Config{}).(type) {
	case *int:
		return Int
	case *bool:
		return Bool
	case *time.Duration:
		return Duration
	default:
		return String
	}
}

// Section is the part of Path before the dot ("crc" or "lab").
func (k Key) Section() string { s, _, _ := strings.Cut(k.Path, "."); return s }

// Name is the part of Path after the dot, the key as written in its section.
func (k Key) Name() string { _, n, _ := strings.Cut(k.Path, "."); return n }

// Usage is Help without the placeholder backquotes, for prose.
func (k Key) Usage() string { return strings.ReplaceAll(k.Help, "`", "") }

// Value returns the key's value in c: a string, int, bool or time.Duration.
func (k Key) Value(c *Config) any {
	switch p := k.field(c).(type) {
	case *string:
		return *p
	case *int:
		return *p
	case *bool:
		return *p
	case *time.Duration:
		return *p
	default:
		panic(fmt.Sprintf("config: key %s has an unsupported field type %T", k.Path, p))
	}
}

// Text returns the key's value in c as a user writes it: durations in their
// shortest form ("45m", not "45m0s").
func (k Key) Text(c *Config) string { return FormatValue(k.Value(c)) }

// FormatValue formats a setting's value as a user writes it.
func FormatValue(v any) string {
	if d, ok := v.(time.Duration); ok {
		return FormatDuration(d)
	}
	return fmt.Sprint(v)
}

// FormatDuration writes d without trailing zero units: 45m, 1h30m, 90s.
func FormatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// sections are the top-level keys of pulllab.yaml, in file order, with the
// comment that introduces each.
var sections = []struct{ name, doc string }{
	{"crc", "OpenShift Local (CRC): how `pulllab up` sets up and starts the VM."},
	{"lab", "The experiment: where `pulllab verify` runs the cases and what it writes."},
}

// keys is the one table of settings. Order is the order in pulllab.yaml,
// `pulllab config view` and the docs.
var keys = []Key{
	{
		Path: "crc.preset", Flag: "preset", Env: "PULLLAB_PRESET",
		Help: "run OpenShift Local with crc's `PRESET`: openshift, okd or microshift",
		Doc: "okd needs no Red Hat pull secret for crc, but its cluster cannot pull the EAP image from registry.redhat.io: " +
			"unless lab.baseImage is set, the lab builds on the public WildFly S2I image. microshift has no ImageStreams, " +
			"builds or internal registry: there the lab runs only on the plain-Kubernetes path, `pulllab verify --registry HOST:PORT`.",
		field: func(c *Config) any { return &c.CRC.Preset },
	},
	{
		Path: "crc.pullSecretFile", Flag: "pull-secret", Env: "PULLLAB_PULL_SECRET", IsPath: true,
		Help: "read the Red Hat pull secret for CRC from `FILE`",
		Doc: "Download it from https://console.redhat.com/openshift/create/local. " +
			"Required by `pulllab up` on CRC, except with preset okd (crc uses a placeholder there); pulllab hands crc its absolute path.",
		field: func(c *Config) any { return &c.CRC.PullSecretFile },
	},
	{
		Path: "crc.cpus", Flag: "cpus", Env: "PULLLAB_CPUS",
		Help:  "give the CRC VM `N` virtual CPUs (crc's minimum: 4; 2 for microshift)",
		field: func(c *Config) any { return &c.CRC.CPUs },
	},
	{
		Path: "crc.memory", Flag: "memory", Env: "PULLLAB_MEMORY",
		Help:  "give the CRC VM `N` MiB of memory (crc's minimum: 10752; 4096 for microshift)",
		Doc:   "The cluster monitoring stack needs 14336 or more.",
		field: func(c *Config) any { return &c.CRC.MemoryMiB },
	},
	{
		Path: "crc.diskSize", Flag: "disk-size", Env: "PULLLAB_DISK_SIZE",
		Help:  "give the CRC VM a disk of `N` GiB (crc's minimum: 31)",
		Doc:   "Set it before the first start: the disk can grow later but never shrink.",
		field: func(c *Config) any { return &c.CRC.DiskGiB },
	},
	{
		Path: "crc.consentTelemetry", Flag: "consent-telemetry", Env: "PULLLAB_CONSENT_TELEMETRY",
		Help:  "answer crc's telemetry question with `ANSWER`: yes or no",
		field: func(c *Config) any { return &c.CRC.ConsentTelemetry },
	},
	{
		Path: "crc.version", Flag: "crc-version", Env: "PULLLAB_CRC_VERSION",
		Help:  "install crc `VERSION` with --install-crc",
		Doc:   "The name of a version folder on the mirror, without a leading v.",
		field: func(c *Config) any { return &c.CRC.Version },
	},
	{
		Path: "crc.mirror", Flag: "crc-mirror", Env: "PULLLAB_CRC_MIRROR",
		Help:  "download crc from the mirror at `URL` with --install-crc",
		Doc:   "Point it at a local copy of the mirror for air-gapped workshops.",
		field: func(c *Config) any { return &c.CRC.Mirror },
	},
	{
		Path: "crc.startTimeout", Flag: "start-timeout", Env: "PULLLAB_START_TIMEOUT",
		Help:  "give up on starting CRC after `DURATION`",
		Doc:   "Starting takes " + crcctl.StartDuration + ".",
		field: func(c *Config) any { return &c.CRC.StartTimeout },
	},
	{
		Path: "lab.namespace", Flag: "namespace", Aliases: []string{"n"}, Env: "PULLLAB_NAMESPACE",
		Help:  "run the lab in namespace `NAME` (a project on OpenShift)",
		Doc:   "pulllab creates it and only ever touches what is inside it.",
		field: func(c *Config) any { return &c.Lab.Namespace },
	},
	{
		Path: "lab.baseImage", Flag: "base-image", Env: "PULLLAB_BASE_IMAGE",
		Help: "build both variants on the app server `IMAGE`",
		Doc: "The article's JBoss EAP 7.4 image by default (it needs registry.redhat.io credentials); a WildFly image works too. " +
			"With crc's okd preset and this left unset, the public WildFly S2I image is used; on plain Kubernetes, the public WildFly image " + KubernetesBaseImage + ".",
		field: func(c *Config) any { return &c.Lab.BaseImage },
	},
	{
		Path: "lab.deploymentsDir", Flag: "deployments-dir", Env: "PULLLAB_DEPLOYMENTS_DIR",
		Help: "put the WAR into the absolute directory `DIR` of the base image on plain Kubernetes",
		Doc: "Empty means the directory the base image's config points to: /deployments for S2I images, " +
			"$JBOSS_HOME/standalone/deployments for the plain WildFly image. Set it for a base image whose server scans another directory; " +
			"it is created when the image lacks it.",
		field: func(c *Config) any { return &c.Lab.DeploymentsDir },
	},
	{
		Path: "lab.debugImage", Flag: "debug-image", Env: "PULLLAB_DEBUG_IMAGE",
		Help: "read the node's image cache with a debug pod running `IMAGE`",
		Doc: "Empty means the image `oc debug node` uses (the openshift/tools image stream) on OpenShift, " +
			"and " + KubernetesDebugImage + " on plain Kubernetes. It needs sh, sleep and chroot.",
		field: func(c *Config) any { return &c.Lab.DebugImage },
	},
	{
		Path: "lab.registry", Flag: "registry", Env: "PULLLAB_REGISTRY",
		Help: "push the images to the OCI registry at `HOST:PORT[/PREFIX]` on plain Kubernetes",
		Doc: "Not used on OpenShift, where the cluster's own registry holds the images. Empty means the registry the cluster announces " +
			"in the ConfigMap kube-public/local-registry-hosting (KEP-1755; kind, k3d and minikube write it): pulllab pushes to its host.",
		field: func(c *Config) any { return &c.Lab.Registry },
	},
	{
		Path: "lab.registryPull", Flag: "registry-pull", Env: "PULLLAB_REGISTRY_PULL",
		Help: "name the images by `HOST:PORT[/PREFIX]`, the address the node pulls the lab registry from, when it differs from --registry",
		Doc: "Needs lab.registry. Empty means lab.registry, or, when the cluster announces its registry, the ConfigMap's " +
			"hostFromContainerRuntime. Without a path it takes lab.registry's: the repositories are the same ones under either address.",
		field: func(c *Config) any { return &c.Lab.RegistryPull },
	},
	{
		Path: "lab.registryAuth", Flag: "registry-auth", Env: "PULLLAB_REGISTRY_AUTH", IsPath: true,
		Help: "read the registry's credentials from the dockerconfigjson `FILE`",
		Doc: "Like ~/.docker/config.json after `docker login`: {\"auths\": {\"HOST:PORT\": {\"auth\": \"<base64 of user:password>\"}}}. " +
			"Empty means the docker config (DOCKER_CONFIG). pulllab pushes with these credentials and gives the lab's pods a pull secret " +
			"holding only the registry's, under the address the node pulls from (for a registry with a push and a pull address, " +
			"credentials given under either one serve both); a registry that needs credentials is what cases 11 and 12 need.",
		field: func(c *Config) any { return &c.Lab.RegistryAuth },
	},
	{
		Path: "lab.node", Flag: "node", Env: "PULLLAB_NODE",
		Help:  "run every lab pod on node `NAME`",
		Doc:   "Empty means the first schedulable node.",
		field: func(c *Config) any { return &c.Lab.Node },
	},
	{
		Path: "lab.lang", Flag: "lang", Env: "PULLLAB_LANG",
		Help:  "write reports in `LANGUAGE`: en or ja",
		field: func(c *Config) any { return &c.Lab.Lang },
	},
	{
		Path: "lab.out", Flag: "out", Env: "PULLLAB_OUT", IsPath: true,
		Help:  "write results and reports to `DIR`",
		field: func(c *Config) any { return &c.Lab.Out },
	},
	{
		Path: "lab.caseTimeout", Flag: "case-timeout", Env: "PULLLAB_CASE_TIMEOUT",
		Help:  "give up on one case's pod after `DURATION`",
		field: func(c *Config) any { return &c.Lab.CaseTimeout },
	},
	{
		Path: "lab.extended", Flag: "extended", Env: "PULLLAB_EXTENDED",
		Help:  "also run the extended cases 7 to 12",
		field: func(c *Config) any { return &c.Lab.Extended },
	},
}

// Keys returns every setting, in file order.
func Keys() []Key {
	out := make([]Key, len(keys))
	copy(out, keys)
	return out
}

// LookupKey returns the setting with the given path, e.g. "lab.namespace".
func LookupKey(path string) (Key, bool) {
	for _, k := range keys {
		if k.Path == path {
			return k, true
		}
	}
	return Key{}, false
}

// LookupFlag returns the setting whose flag is name (without dashes).
func LookupFlag(name string) (Key, bool) {
	for _, k := range keys {
		if k.Flag == name {
			return k, true
		}
	}
	return Key{}, false
}
