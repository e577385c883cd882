package openshift

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	buildv1 "github.com/openshift/api/build/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/pulllab/pulllab/internal/config"
	"github.com/pulllab/pulllab/lab"
	"github.com/pulllab/pulllab/wars"
)

// wildflyS2IAssemble is the fake build controller's model of the WildFly S2I
// builder's assemble for a binary build of a lone WAR (wildfly/wildfly-s2i
// installs the legacy module of wildfly/wildfly-cekit-modules,
// jboss/container/wildfly/s2i/2.0/legacy): the builder holds no server, so
// without both Galleon variables the build has nothing to deploy into and
// fails; with both it provisions a server first. Builds on other images are
// not its business (failed false).
func wildflyS2IAssemble(bd *buildv1.Build) (failed bool, snippet string) {
	ss := bd.Spec.Strategy.SourceStrategy
	if ss == nil || !strings.HasPrefix(ss.From.Name, "wildfly-s2i") {
		return false, ""
	}
	env := map[string]string{}
	for _, e := range ss.Env {
		env[e.Name] = e.Value
	}
	fps, layers := env["GALLEON_PROVISION_FEATURE_PACKS"], env["GALLEON_PROVISION_LAYERS"]
	switch {
	case layers != "" && fps == "":
		return true, "ERROR GALLEON_PROVISION_FEATURE_PACKS must be set along with GALLEON_PROVISION_LAYERS"
	case fps != "" && layers == "":
		return true, "ERROR GALLEON_PROVISION_LAYERS must be set along with GALLEON_PROVISION_FEATURE_PACKS"
	case fps == "":
		return true, "INFO S2I source build with plain binaries detected\nERROR Not a server home directory, exiting."
	}
	return false, ""
}

// wantWildFlyEnv is the Source strategy environment of a build on the WildFly
// S2I builder.
var wantWildFlyEnv = []corev1.EnvVar{
	{Name: "GALLEON_PROVISION_FEATURE_PACKS", Value: lab.WildFlyS2IFeaturePacks},
	{Name: "GALLEON_PROVISION_LAYERS", Value: lab.WildFlyS2ILayers},
	{Name: "S2I_ENABLE_INCREMENTAL_BUILDS", Value: "false"},
}

// The BuildConfig that the cluster receives carries the Galleon provisioning
// exactly when the base image in force is the WildFly S2I builder: the arm64
// default, the okd choice, or a user's image that is a WildFly S2I builder;
// never for EAP 7.4 or another image. The fake builder fails a WildFly S2I
// build without it, as the real assemble does.
func TestBuildEnvFollowsBaseImage(t *testing.T) {
	mirror := "mirror.example.com:5000/wildfly/wildfly-s2i-jdk17:2.1.0"
	tomcat := "registry.example.com/acme/tomcat:10"
	tests := []struct {
		name     string
		nodeArch string
		opts     Options
		imported string // the reference the backend imports
		wantEnv  []corev1.EnvVar
	}{
		{name: "EAP 7.4 on amd64", nodeArch: "amd64", imported: DefaultBaseImage},
		{name: "arm64 node: WildFly S2I by default", nodeArch: "arm64", imported: DefaultArm64BaseImage, wantEnv: wantWildFlyEnv},
		{name: "okd: WildFly S2I chosen by the caller", nodeArch: "amd64",
			opts:     Options{BaseImage: config.WildFlyS2IImage, BaseImageReason: lab.BaseReasonOKD},
			imported: config.WildFlyS2IImage, wantEnv: wantWildFlyEnv},
		{name: "the user's mirror of a WildFly S2I builder", nodeArch: "arm64", opts: Options{BaseImage: mirror}, imported: mirror, wantEnv: wantWildFlyEnv},
		{name: "the user's EAP 7.4 on amd64", nodeArch: "amd64", opts: Options{BaseImage: config.EAPBaseImage}, imported: config.EAPBaseImage},
		{name: "the user's other image", nodeArch: "arm64", opts: Options{BaseImage: tomcat}, imported: tomcat},
	}
	war, err := wars.WAR("node")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCluster(t, ourProject(nil)...)
			setNodeArch(t, c, tt.nodeArch)
			c.imports[tt.imported] = importOutcome{digest: digestOf("base"), arch: tt.nodeArch}
			c.outcomes["pulllab-node"] = buildOutcome{digest: digestOf("node")}
			b := c.backend(tt.opts)
			if _, err := b.EnsureBase(context.Background()); err != nil {
				t.Fatal(err)
			}
			if b.base.Ref != tt.imported {
				t.Fatalf("builds on %s, want %s", b.base.Ref, tt.imported)
			}
			bd, err := b.Build(context.Background(), lab.VariantNode, war)
			if err != nil {
				t.Fatalf("build: %v", err)
			}
			if !bd.Built || bd.Digest != digestOf("node") {
				t.Errorf("build %+v", bd)
			}

			bc, err := c.build.BuildV1().BuildConfigs(testNS).Get(context.Background(), "pulllab-node", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if got := bc.Spec.Strategy.SourceStrategy.Env; !reflect.DeepEqual(got, tt.wantEnv) {
				t.Errorf("BuildConfig env\n got %v\nwant %v", got, tt.wantEnv)
			}
			got, err := c.build.BuildV1().Builds(testNS).Get(context.Background(), bd.Name, metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if _, has := got.Annotations[AnnotationBuildEnvSHA256]; has != (tt.wantEnv != nil) {
				t.Errorf("build annotations %v: environment hash present %v, want %v", got.Annotations, has, tt.wantEnv != nil)
			}
			told := strings.Contains(c.status.text(), "the build provisions WildFly with Galleon (GALLEON_PROVISION_FEATURE_PACKS="+lab.WildFlyS2IFeaturePacks)
			if told != (tt.wantEnv != nil) {
				t.Errorf("status line about provisioning shown %v, want %v:\n%s", told, tt.wantEnv != nil, c.status.text())
			}
		})
	}
}

// A WildFly S2I build without the Galleon variables fails the way the real
// assemble does, and the error carries the end of its log: the fake builder
// is strict enough for TestBuildEnvFollowsBaseImage to mean something.
func TestWildFlyS2IBuildWithoutProvisioningFails(t *testing.T) {
	for _, tt := range []struct {
		name string
		env  []corev1.EnvVar
		want string
	}{
		{"no variables", nil, "Not a server home directory"},
		{"layers only", wantWildFlyEnv[1:2], "GALLEON_PROVISION_FEATURE_PACKS must be set"},
		{"feature packs only", wantWildFlyEnv[:1], "GALLEON_PROVISION_LAYERS must be set"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			bd := &buildv1.Build{Spec: buildv1.BuildSpec{CommonSpec: buildv1.CommonSpec{Strategy: buildv1.BuildStrategy{
				SourceStrategy: &buildv1.SourceBuildStrategy{From: corev1.ObjectReference{Kind: "ImageStreamTag", Name: "wildfly-s2i:latest-jdk21"}, Env: tt.env}}}}}
			failed, snippet := wildflyS2IAssemble(bd)
			if !failed || !strings.Contains(snippet, tt.want) {
				t.Errorf("failed %v, log %q; want a failure saying %q", failed, snippet, tt.want)
			}
		})
	}

	c := newCluster(t, ourProject(nil)...)
	c.imports[config.WildFlyS2IImage] = importOutcome{digest: digestOf("wf")}
	c.outcomes["pulllab-node"] = buildOutcome{digest: digestOf("node")}
	b := c.backend(Options{BaseImage: config.WildFlyS2IImage})
	if _, err := b.EnsureBase(context.Background()); err != nil {
		t.Fatal(err)
	}
	bc := createWithoutEnv(t, c, b, sumOf)
	started, err := b.instantiateBinary(context.Background(), bc.Name, "node.war", []byte("war"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = b.waitForBuild(context.Background(), lab.VariantNode, started.Name)
	if err == nil || !strings.Contains(err.Error(), "Not a server home directory") {
		t.Errorf("a WildFly S2I build without provisioning: err = %v", err)
	}
}

// A stashed variant built on the WildFly S2I builder without the Galleon
// environment (by an older pulllab) is built again, and the BuildConfig that
// pulllab made then gets the environment; a variant built with it is reused.
func TestBuildReuseNeedsSameEnvironment(t *testing.T) {
	war, _ := wars.WAR("node")
	sum := wars.SHA256(war)
	c := newCluster(t, ourProject(nil)...)
	c.imports[config.WildFlyS2IImage] = importOutcome{digest: digestOf("wf")}
	b := c.backend(Options{BaseImage: config.WildFlyS2IImage})
	if _, err := b.EnsureBase(context.Background()); err != nil {
		t.Fatal(err)
	}
	c.push(testNS, lab.StashName, "node", digestOf("old"), map[string]any{"Id": digestOf("cfg")})
	old := &buildv1.Build{ObjectMeta: metav1.ObjectMeta{Name: "pulllab-node-7", Namespace: testNS,
		Labels:      map[string]string{LabelVariant: "node", LabelWARSHA256: sum[:63]},
		Annotations: map[string]string{AnnotationWARSHA256: sum, AnnotationBaseDigest: digestOf("wf")}},
		Status: buildv1.BuildStatus{Phase: buildv1.BuildPhaseComplete, Output: buildv1.BuildStatusOutput{To: &buildv1.BuildStatusOutputTo{ImageDigest: digestOf("old")}}}}
	if err := c.build.Tracker().Create(gvrBuilds, old, testNS); err != nil {
		t.Fatal(err)
	}
	createWithoutEnv(t, c, b, sum)
	c.outcomes["pulllab-node"] = buildOutcome{digest: digestOf("new")}
	first, err := b.Build(context.Background(), lab.VariantNode, war)
	if err != nil {
		t.Fatal(err)
	}
	if !first.Built || first.Digest != digestOf("new") || len(c.requests) != 1 {
		t.Fatalf("build %+v after %d requests; want a new build", first, len(c.requests))
	}
	bc, err := c.build.BuildV1().BuildConfigs(testNS).Get(context.Background(), "pulllab-node", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := bc.Spec.Strategy.SourceStrategy.Env; !reflect.DeepEqual(got, wantWildFlyEnv) {
		t.Errorf("the existing BuildConfig's env is %v, want %v", got, wantWildFlyEnv)
	}
	again, err := b.Build(context.Background(), lab.VariantNode, war)
	if err != nil {
		t.Fatal(err)
	}
	if again.Built || again.Digest != digestOf("new") || len(c.requests) != 1 {
		t.Errorf("build %+v after %d requests; want the stashed one reused", again, len(c.requests))
	}
}

func TestBuildConfigWildFlyS2IGolden(t *testing.T) {
	c := newCluster(t)
	bc, err := c.backend(Options{BaseImage: config.WildFlyS2IImage}).BuildConfigFor(lab.VariantNode, sumOf)
	if err != nil {
		t.Fatal(err)
	}
	goldenYAML(t, "buildconfig-node-wildfly-s2i.yaml", bc)
}

// A build on the WildFly S2I builder that fails says what it needed.
func TestWildFlyS2IBuildFailureSaysWhatItNeeded(t *testing.T) {
	c := newCluster(t, ourProject(nil)...)
	c.imports[config.WildFlyS2IImage] = importOutcome{digest: digestOf("wf")}
	c.outcomes["pulllab-node"] = buildOutcome{fail: true, reason: string(buildv1.StatusReasonGenericBuildFailed),
		message: "Generic Build failure - check logs for details.", snippet: "[ERROR] Failed to execute goal org.wildfly.plugins:wildfly-maven-plugin: Could not transfer artifact"}
	b := c.backend(Options{BaseImage: config.WildFlyS2IImage})
	if _, err := b.EnsureBase(context.Background()); err != nil {
		t.Fatal(err)
	}
	war, _ := wars.WAR("node")
	_, err := b.Build(context.Background(), lab.VariantNode, war)
	var bf *BuildFailedError
	if !errors.As(err, &bf) {
		t.Fatalf("err = %v, want a *BuildFailedError", err)
	}
	msg := err.Error()
	for _, w := range []string{"Could not transfer artifact", "provisioned WildFly with Galleon on " + config.WildFlyS2IImage,
		"GALLEON_PROVISION_LAYERS=" + lab.WildFlyS2ILayers, "Maven repositories reachable from the build pod", "lab.baseImage", "oc logs build/pulllab-node-1"} {
		if !strings.Contains(msg, w) {
			t.Errorf("error lacks %q:\n%s", w, msg)
		}
	}
}

// createWithoutEnv creates the node variant's BuildConfig for the WAR with
// SHA-256 sum as a pulllab older than the build environment made it: the
// same, but with no environment on its Source strategy.
func createWithoutEnv(t *testing.T, c *cluster, b *Backend, sum string) *buildv1.BuildConfig {
	t.Helper()
	u, err := b.BuildConfigFor(lab.VariantNode, sum)
	if err != nil {
		t.Fatal(err)
	}
	bc := buildConfigOf(t, u)
	bc.Spec.Strategy.SourceStrategy.Env = nil
	if _, err := c.build.BuildV1().BuildConfigs(testNS).Create(context.Background(), bc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	return bc
}
