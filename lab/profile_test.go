package lab_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/pulllab/pulllab/internal/config"
	"github.com/pulllab/pulllab/lab"
)

func TestS2IBuildEnv(t *testing.T) {
	wildfly := []lab.BuildEnvVar{
		{Name: "GALLEON_PROVISION_FEATURE_PACKS", Value: lab.WildFlyS2IFeaturePacks},
		{Name: "GALLEON_PROVISION_LAYERS", Value: lab.WildFlyS2ILayers},
		{Name: "S2I_ENABLE_INCREMENTAL_BUILDS", Value: "false"},
	}
	tests := []struct {
		ref  string
		want []lab.BuildEnvVar
	}{
		{config.WildFlyS2IImage, wildfly},
		{"quay.io/wildfly/wildfly-s2i:latest", wildfly},
		{"quay.io/wildfly/wildfly-s2i-jdk17:latest", wildfly},
		{"QUAY.IO/WildFly/WildFly-S2I:2.1.0-jdk21", wildfly},
		{"mirror.example.com:5000/wildfly/wildfly-s2i@sha256:" + strings.Repeat("a", 64), wildfly},
		{"mirror.example.com:5000/wildfly-s2i", wildfly},
		{"wildfly-s2i", wildfly},
		{config.EAPBaseImage, nil},
		// The EAP 8 builder needs Galleon too, but with EAP's feature
		// packs and Red Hat's Maven repository: not this environment.
		{"registry.redhat.io/jboss-eap-8/eap8-openjdk21-builder-openshift-rhel9:1.0", nil},
		{"quay.io/wildfly/wildfly:latest", nil},                // a server image, not a builder
		{"quay.io/wildfly/wildfly-runtime:latest-jdk21", nil},  // the runtime of chained builds
		{"registry.example.com/wildfly-s2i/tomcat:10", nil},    // the name, not a namespace
		{"registry.example.com/acme/not-wildfly-s2i:1", nil},   // a suffix is not the name
		{"wildfly-s2i.example.com:5000/acme/appserver:1", nil}, // nor the registry's host
		{"127.0.0.1:5001/appserver:1", nil},
	}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			if got := lab.S2IBuildEnv(tt.ref); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("lab.S2IBuildEnv(%q) = %v, want %v", tt.ref, got, tt.want)
			}
			if got := lab.IsWildFlyS2IBuilder(tt.ref); got != (tt.want != nil) {
				t.Errorf("lab.IsWildFlyS2IBuilder(%q) = %v", tt.ref, got)
			}
		})
	}
}

// The WildFly S2I builder's server logs the WAR as EAP does; the lab reads
// it with the WildFly profile, also with the colour codes of its console
// handler in front.
func TestWildFlyS2IProfile(t *testing.T) {
	if p := lab.ProfileFor(config.WildFlyS2IImage); p.Name != lab.ProfileWildFly.Name {
		t.Fatalf("profile of %s = %s, want wildfly", config.WildFlyS2IImage, p.Name)
	}
	for _, line := range []string{
		lab.ProfileWildFly.Example,
		"\x1b[0m\x1b[0m09:41:07,512 INFO  [org.jboss.as.server.deployment] (MSC service thread 1-1) WFLYSRV0027: Starting deployment of \"registry.war\" (runtime-name: \"registry.war\")",
	} {
		war, format := lab.FindDeployedWAR(lab.ProfileFor(config.WildFlyS2IImage), line)
		if war == "" || format != lab.ProfileWildFly.Name {
			t.Errorf("%q: WAR %q in format %q", line, war, format)
		}
	}
	if !lab.ServerStarted("\x1b[0m09:41:09,003 INFO  [org.jboss.as] (Controller Boot Thread) WFLYSRV0025: WildFly 41.0.0.Final (WildFly Core 33.0.0.Final) started in 4102ms - Started 281 of 376 services (134 services are lazy, passive or on-demand)") {
		t.Error("WFLYSRV0025 not recognised")
	}
}

// The user guide states what a build on the WildFly S2I builder provisions;
// it must say what the code sets.
func TestUserGuideNamesWildFlyS2IProvisioning(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "docs", "user-guide.md"))
	if err != nil {
		t.Fatal(err)
	}
	guide := strings.Join(strings.Fields(string(doc)), " ")
	for _, e := range lab.S2IBuildEnv(config.WildFlyS2IImage) {
		if w := "`" + e.Name + "=" + e.Value + "`"; !strings.Contains(guide, w) {
			t.Errorf("docs/user-guide.md does not say %s", w)
		}
	}
	for _, w := range []string{"`" + config.WildFlyS2IImage + "`", "`" + lab.WildFlyS2IDeploymentsDir + "`"} {
		if !strings.Contains(guide, w) {
			t.Errorf("docs/user-guide.md does not say %s", w)
		}
	}
}
