package openshift

import (
	"context"
	"errors"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/pulllab/pulllab/lab"
)

// setNodeArch makes the fake node report arch, as the kubelet does in
// node.status.nodeInfo.architecture.
func setNodeArch(t *testing.T, c *cluster, arch string) {
	t.Helper()
	n, err := c.kube.CoreV1().Nodes().Get(context.Background(), "crc", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	n.Status.NodeInfo.Architecture = arch
	if _, err := c.kube.CoreV1().Nodes().Update(context.Background(), n, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// Apple silicon: the node's architecture decides the default base image,
// and an imported base image of another architecture stops the lab before
// any build, with an error that names both and what to pass.
func TestBaseImageArchitecture(t *testing.T) {
	other := "registry.example.com/jboss-eap-7/eap74-openjdk11-openshift-rhel8:7.4.0"
	tests := []struct {
		name     string
		nodeArch string
		base     string // "" = the default
		imports  map[string]importOutcome
		wantRef  string
		wantWhy  lab.BaseImageReason
		wantErr  []string
	}{
		{name: "amd64 node, default EAP 7.4", nodeArch: "amd64",
			imports: map[string]importOutcome{DefaultBaseImage: {digest: digestOf("eap"), arch: "amd64"}},
			wantRef: DefaultBaseImage, wantWhy: lab.BaseReasonDefault},
		{name: "arm64 node gets the WildFly S2I image", nodeArch: "arm64",
			imports: map[string]importOutcome{DefaultArm64BaseImage: {digest: digestOf("wf"), arch: "arm64", archs: []string{"amd64", "arm64"}}},
			wantRef: DefaultArm64BaseImage, wantWhy: lab.BaseReasonArm64},
		{name: "arm64 node, the user's amd64-only image stops before building", nodeArch: "arm64", base: other,
			imports: map[string]importOutcome{other: {digest: digestOf("eap-other"), arch: "amd64"}},
			wantErr: []string{"invalid lab.baseImage", "built for amd64 but node crc is arm64", "set lab.baseImage to an image published for arm64", DefaultArm64BaseImage}},
		{name: "a manifest list without the node's architecture", nodeArch: "arm64", base: other,
			imports: map[string]importOutcome{other: {digest: digestOf("eap-list"), arch: "amd64", archs: []string{"amd64", "ppc64le", "s390x"}}},
			wantErr: []string{"built for amd64, ppc64le, s390x but node crc is arm64"}},
		{name: "the user's image on an arm64 node, published for arm64", nodeArch: "arm64", base: other,
			imports: map[string]importOutcome{other: {digest: digestOf("eap-arm"), arch: "arm64"}},
			wantRef: other, wantWhy: lab.BaseReasonUser},
		{name: "node without an architecture: no check", base: other,
			imports: map[string]importOutcome{other: {digest: digestOf("x"), arch: "s390x"}},
			wantRef: other, wantWhy: lab.BaseReasonUser},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCluster(t, ourProject(nil)...)
			if tt.nodeArch != "" {
				setNodeArch(t, c, tt.nodeArch)
			}
			for ref, o := range tt.imports {
				c.imports[ref] = o
			}
			b := c.backend(Options{BaseImage: tt.base})
			for attempt := 1; attempt <= 2; attempt++ { // the second finds the import done
				bi, err := b.EnsureBase(context.Background())
				if len(tt.wantErr) > 0 {
					var oe *OptionError
					if !errors.As(err, &oe) || !errors.Is(err, lab.ErrBadInput) {
						t.Fatalf("attempt %d: err = %v, want an *OptionError (lab.ErrBadInput)", attempt, err)
					}
					for _, w := range tt.wantErr {
						if !strings.Contains(err.Error(), w) {
							t.Errorf("attempt %d: error lacks %q: %v", attempt, w, err)
						}
					}
					continue
				}
				if err != nil {
					t.Fatalf("attempt %d: %v", attempt, err)
				}
				if bi.Ref != tt.wantRef || b.base.Ref != tt.wantRef {
					t.Errorf("base = %s (builds on %s), want %s", bi.Ref, b.base.Ref, tt.wantRef)
				}
			}
			if len(tt.wantErr) > 0 {
				if got := c.build.Actions(); len(got) != 0 {
					t.Errorf("build API used after an architecture mismatch: %v", got)
				}
				return
			}
			if b.baseReason != tt.wantWhy {
				t.Errorf("reason = %q, want it to say %q", b.baseReason, tt.wantWhy)
			}
			if tt.wantRef == DefaultArm64BaseImage {
				if b.o.Profile.Name != lab.ProfileWildFly.Name {
					t.Errorf("profile = %s, want wildfly (WFLYSRV0027)", b.o.Profile.Name)
				}
				if !strings.Contains(c.status.text(), "is arm64: the base image is "+DefaultArm64BaseImage) {
					t.Errorf("the user is not told:\n%s", c.status.text())
				}
				env, err := b.Environment(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				if env.BaseImageReason != lab.BaseReasonArm64 {
					t.Errorf("environment base image reason = %q", env.BaseImageReason)
				}
			}
		})
	}
}
