// Package config holds pulllab's settings: the pulllab.yaml file, the
// PULLLAB_* environment variables and the flags, merged in that order of
// increasing precedence, with the source of every value remembered.
//
// Every setting is described once, in the table that Keys returns: its key
// in pulllab.yaml, its flag, its environment variable and its help text. The
// file written by `pulllab init` (Template), `pulllab config view`
// (Effective.Settings, Effective.YAML) and the settings table in docs/cli.md
// (MarkdownTable) are all derived from that table.
package config

import "time"

// DefaultFile is the file read when no --config is given, if it exists.
const DefaultFile = "pulllab.yaml"

// Config is every setting a user can put in pulllab.yaml. The YAML tags are
// the keys users write; Keys maps each one to its flag and environment
// variable (the variable is always PULLLAB_ plus the flag name in upper
// snake case: --pull-secret is PULLLAB_PULL_SECRET).
type Config struct {
	// CRC settings.
	CRC CRC `yaml:"crc"`
	// Lab settings.
	Lab Lab `yaml:"lab"`
}

// CRC is how pulllab provisions OpenShift Local.
type CRC struct {
	// PullSecretFile is the Red Hat pull secret (key pullSecretFile).
	PullSecretFile string `yaml:"pullSecretFile"`
	// CPUs, MemoryMiB and DiskGiB size the VM (crc minimums: 4, 10752, 31).
	CPUs      int `yaml:"cpus"`
	MemoryMiB int `yaml:"memory"`
	DiskGiB   int `yaml:"diskSize"`
	// ConsentTelemetry is "yes" or "no" (default no).
	ConsentTelemetry string `yaml:"consentTelemetry"`
	// Version and Mirror pick the crc release to install with --install-crc.
	Version string `yaml:"version"`
	Mirror  string `yaml:"mirror"`
	// StartTimeout bounds `crc start` and the wait for the cluster.
	StartTimeout time.Duration `yaml:"startTimeout"`
}

// Lab is how the experiment runs.
type Lab struct {
	// Namespace is the lab's namespace (project on OpenShift).
	Namespace string `yaml:"namespace"`
	// BaseImage is the app server image the variants are built on.
	BaseImage string `yaml:"baseImage"`
	// DebugImage is the image of the node debug pod (default: the
	// openshift/tools ImageStream on OpenShift).
	DebugImage string `yaml:"debugImage"`
	// Registry is HOST:PORT[/prefix] of the OCI registry on plain Kubernetes.
	Registry string `yaml:"registry"`
	// RegistryAuth is a dockerconfigjson with the registry's credentials.
	RegistryAuth string `yaml:"registryAuth"`
	// Node pins the lab to a node (default: the first schedulable one).
	Node string `yaml:"node"`
	// Lang is the report language: en or ja.
	Lang string `yaml:"lang"`
	// Out is the directory verify writes results and reports to.
	Out string `yaml:"out"`
	// CaseTimeout bounds the wait for one case's pod.
	CaseTimeout time.Duration `yaml:"caseTimeout"`
	// Extended runs cases 7–12 too.
	Extended bool `yaml:"extended"`
}

// Default returns the settings used when nothing else is given.
func Default() Config {
	return Config{
		CRC: CRC{
			CPUs:             4,
			MemoryMiB:        10752,
			DiskGiB:          31,
			ConsentTelemetry: "no",
			Version:          "2.60.1",
			Mirror:           "https://mirror.openshift.com/pub/openshift-v4/clients/crc",
			StartTimeout:     45 * time.Minute,
		},
		Lab: Lab{
			Namespace:   "pulllab",
			BaseImage:   "registry.redhat.io/jboss-eap-7/eap74-openjdk11-openshift-rhel8:7.4.21-2.1743444175",
			Lang:        "en",
			Out:         "pulllab-results",
			CaseTimeout: 5 * time.Minute,
		},
	}
}
