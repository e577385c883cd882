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

import (
	"time"

	"github.com/pulllab/pulllab/lab"
)

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
	// Preset is crc's cluster kind: openshift, okd or microshift (see
	// Presets).
	Preset string `yaml:"preset"`
	// PullSecretFile is the Red Hat pull secret (key pullSecretFile).
	PullSecretFile string `yaml:"pullSecretFile"`
	// CPUs, MemoryMiB and DiskGiB size the VM (crc minimums: 4, 10752, 31
	// for openshift and okd; 2 and 4096 for microshift).
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
	// DeploymentsDir is the absolute directory in the base image where the
	// WAR goes on plain Kubernetes; empty means the one the base image's
	// config points to (lab/kube decides).
	DeploymentsDir string `yaml:"deploymentsDir"`
	// DebugImage is the image of the node debug pod (default: the
	// openshift/tools ImageStream on OpenShift).
	DebugImage string `yaml:"debugImage"`
	// Registry is HOST:PORT[/prefix] of the OCI registry on plain Kubernetes.
	Registry string `yaml:"registry"`
	// RegistryPull is HOST:PORT[/prefix] under which the node pulls from
	// that registry, when it differs from Registry.
	RegistryPull string `yaml:"registryPull"`
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

// BuiltIn returns the settings built into pulllab: what is used when
// nothing else is given (NewEffective layers the other sources on them).
func BuiltIn() Config {
	return Config{
		CRC: CRC{
			Preset:           PresetOpenShift,
			CPUs:             4,
			MemoryMiB:        10752,
			DiskGiB:          31,
			ConsentTelemetry: "no",
			Version:          DefaultCRCVersion,
			Mirror:           "https://mirror.openshift.com/pub/openshift-v4/clients/crc",
			StartTimeout:     45 * time.Minute,
		},
		Lab: Lab{
			Namespace:   "pulllab",
			BaseImage:   EAPBaseImage,
			Lang:        "en",
			Out:         "pulllab-results",
			CaseTimeout: 5 * time.Minute,
		},
	}
}

// DefaultCRCVersion is the crc release pulllab installs with --install-crc
// and recommends: crc 2.65.0 ships OpenShift 5.0.0, MicroShift 5.0.0 and
// OKD 5.0.0-okd-scos.4.
const DefaultCRCVersion = "2.65.0"

// crc's presets (crc-org/crc pkg/crc/preset).
const (
	// PresetOpenShift is OpenShift Container Platform; crc needs the
	// user's Red Hat pull secret.
	PresetOpenShift = "openshift"
	// PresetOKD is OKD, the community distribution: crc needs no Red Hat
	// pull secret (it gives the cluster a placeholder), so the cluster
	// cannot pull from registry.redhat.io.
	PresetOKD = "okd"
	// PresetMicroShift has no ImageStreams, builds or internal registry:
	// the lab runs there only on the plain-Kubernetes path, with a registry.
	PresetMicroShift = "microshift"
)

// Presets are crc's presets, in the order help text lists them.
var Presets = []string{PresetOpenShift, PresetOKD, PresetMicroShift}

// EAPBaseImage is the article's app server image, JBoss EAP 7.4 on
// registry.redhat.io: pulling it needs Red Hat credentials.
const EAPBaseImage = "registry.redhat.io/jboss-eap-7/eap74-openjdk11-openshift-rhel8:7.4.21-2.1743444175"

// WildFlyS2IImage is the public WildFly S2I builder image (JDK 21), published
// for linux/amd64, linux/arm64 and linux/ppc64le: the base image when the
// cluster has no registry.redhat.io credentials (crc's okd preset) or the
// node is arm64, and the user did not choose one. The builder holds no
// server: its builds provision one with Galleon (lab.S2IBuildEnv).
const WildFlyS2IImage = "quay.io/wildfly/wildfly-s2i:latest-jdk21"

// KubernetesBaseImage is the base image on plain Kubernetes when the user
// chose none: WildFly, the upstream of JBoss EAP, from its official
// repository (wildfly/wildfly-container: USER jboss, uid 1000; JBOSS_HOME
// /opt/jboss/wildfly; published for linux/amd64, arm64, s390x and ppc64le).
// It needs no credentials, and its log says WFLYSRV0027 like EAP's.
const KubernetesBaseImage = "quay.io/wildfly/wildfly:41.0.0.Final-jdk21"

// KubernetesDebugImage is the node debug pod's image on plain Kubernetes
// when the user chose none: busybox has the sh, sleep and chroot the debug
// pod runs (`chroot /host crictl …`), and is published for every common
// architecture.
const KubernetesDebugImage = "docker.io/library/busybox:1.37.0"

// BaseImageChoice is the base image the lab builds on and why.
type BaseImageChoice struct {
	// Image is the image reference.
	Image string
	// Why is one line for the user; empty when the image is simply the
	// configured one.
	Why string
	// Reason is why pulllab chose Image for the user (lab.BaseReasonOKD,
	// lab.BaseReasonKubernetes); empty when the user chose it or it is
	// the configured default.
	Reason lab.BaseImageReason
}

// ChooseBaseImage picks the base image for a cluster of the given crc
// preset ("" when the cluster is not OpenShift Local or its preset is
// unknown). An image the user set (explicit) is always used. Otherwise the
// EAP image is used, except on okd, whose cluster has only crc's
// placeholder pull secret and so cannot pull it: there the public WildFly
// S2I image is used.
func ChooseBaseImage(configured string, explicit bool, preset string) BaseImageChoice {
	if explicit || preset != PresetOKD || configured != EAPBaseImage {
		return BaseImageChoice{Image: configured}
	}
	return BaseImageChoice{
		Image:  WildFlyS2IImage,
		Reason: lab.BaseReasonOKD,
		Why:    "preset okd: the cluster has no registry.redhat.io credentials (crc gives it a placeholder pull secret), so the lab builds on the public WildFly S2I image " + WildFlyS2IImage + " instead of the EAP image; to use EAP, add your registry.redhat.io credentials to the cluster and pass --base-image " + EAPBaseImage,
	}
}

// ChooseKubernetesBaseImage picks the base image on plain Kubernetes (kind,
// minikube, k3d, MicroShift, any cluster that is not OpenShift). An image
// the user set (explicit) is always used. Otherwise the public WildFly
// image replaces the EAP default, which needs Red Hat credentials. (The
// debug image's default there, KubernetesDebugImage, is applied by the
// plain-Kubernetes backend itself.)
func ChooseKubernetesBaseImage(configured string, explicit bool) BaseImageChoice {
	if explicit && configured != "" {
		return BaseImageChoice{Image: configured}
	}
	return BaseImageChoice{
		Image:  KubernetesBaseImage,
		Reason: lab.BaseReasonKubernetes,
		Why:    "plain Kubernetes: the lab builds on the public WildFly image " + KubernetesBaseImage + " (the default EAP image needs Red Hat credentials); choose another with --base-image",
	}
}
