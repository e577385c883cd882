package lab

import (
	"strings"
	"testing"
)

func wildflyLine(war string) string {
	return `INFO  [org.jboss.as.server.deployment] (MSC service thread 1-2) WFLYSRV0027: Starting deployment of "` + war + `" (runtime-name: "` + war + `")`
}

func running(digestHex, war string, events ...Event) Observation {
	return Observation{Status: "Running", Ready: true, ImageID: testRepo + "@sha256:" + digestHex, LogLine: wildflyLine(war), Events: events}
}

func waiting(reason, msg string) Observation {
	return Observation{Status: reason, Reason: reason, Message: msg}
}

func TestDecide(t *testing.T) {
	c1, _ := CaseByID(1)
	c2, _ := CaseByID(2)
	c6, _ := CaseByID(6)
	c8, _ := CaseByID(8)
	cached := Event{Reason: "Pulled", Message: `Container image "x" already present on machine`}
	for _, tc := range []struct {
		name     string
		c        Case
		obs      Observation
		verdict  Verdict
		observed string // Expect.String() of the observed outcome, "" for none
		ran, log Variant
		detail   []string // fragments the detail must contain
	}{
		{"case 6 runs the stale node image", c6, running(hexNodeManifest, "node.war", cached), VerdictPass, "runs(node)", VariantNode, VariantNode,
			[]string{"node.war ran as expected", "sha256:111111111111", "already present"}},
		{"case 2 runs the registry image", c2, running(hexRegManifest, "registry.war"), VerdictPass, "runs(registry)", VariantRegistry, VariantRegistry,
			[]string{"registry.war ran as expected"}},
		{"imageID as a bare config digest", c2, Observation{Status: "Running", ImageID: "sha256:" + hexRegConfig, LogLine: wildflyLine("registry.war")}, VerdictPass, "runs(registry)", VariantRegistry, VariantRegistry, nil},
		{"running but not yet ready still counts as running", c6, Observation{Status: "Running", ImageID: hexNodeConfig, LogLine: wildflyLine("node.war")}, VerdictPass, "runs(node)", VariantNode, VariantNode, nil},
		{"no log line still passes on the imageID", c6, running(hexNodeManifest, ""), VerdictPass, "runs(node)", VariantNode, "",
			[]string{"no line naming a WAR"}},
		{"a silent log says so", c6, func() Observation {
			o := running(hexNodeManifest, "")
			o.LogNote = "the log named no WAR: it was silent for 3s with the container running and ready"
			return o
		}(), VerdictPass, "runs(node)", VariantNode, "",
			[]string{"node.war ran as expected", "the log named no WAR: it was silent for 3s"}},
		{"a status behind the event says so", c1, func() Observation {
			o := waiting(ReasonImagePullBackOff, `Back-off pulling image "x"`)
			o.Status = ReasonErrImagePull
			o.StatusNote = "the pod status still said ErrImagePull 2s after the kubelet's ImagePullBackOff event; the reason is the event's"
			return o
		}(), VerdictPass, "fails(ImagePullBackOff)", "", "",
			[]string{"waits with ImagePullBackOff, as expected", "still said ErrImagePull 2s", "the reason is the event's"}},
		{"case 2 runs the wrong variant", c2, running(hexNodeManifest, "node.war", cached), VerdictFail, "runs(node)", VariantNode, VariantNode,
			[]string{"expected registry.war to run, but node.war ran"}},
		{"digest and log disagree", c6, running(hexNodeManifest, "registry.war"), VerdictFail, "runs(node)", VariantNode, VariantRegistry,
			[]string{"disagree", "the log names registry.war"}},
		{"log names a WAR neither variant deploys", c6, running(hexNodeManifest, "ROOT.war"), VerdictFail, "runs(node)", VariantNode, "",
			[]string{"ROOT.war, which neither variant deploys"}},
		{"imageID matches neither variant", c6, running(hexForeign, "node.war"), VerdictFail, "runs(unknown)", VariantUnknown, VariantNode,
			[]string{"neither the node variant (sha256:111111111111) nor the registry variant (sha256:333333333333)"}},
		{"case 1 backs off", c1, waiting(ReasonImagePullBackOff, `Back-off pulling image "x"`), VerdictPass, "fails(ImagePullBackOff)", "", "",
			[]string{"waits with ImagePullBackOff, as expected"}},
		{"ErrImagePull meets an ImagePullBackOff expectation and is reported as seen", c1, waiting(ReasonErrImagePull, "name unknown"), VerdictPass, "fails(ErrImagePull)", "", "",
			[]string{"waits with ErrImagePull"}},
		{"case 1 runs instead of failing", c1, running(hexNodeManifest, "node.war"), VerdictFail, "runs(node)", VariantNode, VariantNode,
			[]string{"expected ImagePullBackOff, but node.war ran"}},
		{"case 8 never pulls", c8, waiting(ReasonErrImageNeverPull, `Container image "x" is not present with pull policy of Never`), VerdictPass, "fails(ErrImageNeverPull)", "", "", nil},
		{"case 8 with a pull failure instead", c8, waiting(ReasonErrImagePull, "boom"), VerdictFail, "fails(ErrImagePull)", "", "",
			[]string{"expected ErrImageNeverPull, but the container waits with ErrImagePull: boom"}},
		{"case 6 cannot pull", c6, waiting(ReasonImagePullBackOff, "x"), VerdictFail, "fails(ImagePullBackOff)", "", "",
			[]string{"expected node.war to run, but the container waits with ImagePullBackOff"}},
		{"status column only", c1, Observation{Status: ReasonErrImagePull}, VerdictPass, "fails(ErrImagePull)", "", "", nil},
		{"other waiting reason", c6, waiting("CreateContainerConfigError", "secret not found"), VerdictFail, "fails(CreateContainerConfigError)", "", "", nil},
		{"timeout", c6, Observation{Status: "ContainerCreating", TimedOut: true}, VerdictError, "", "", "",
			[]string{"no final state within the case timeout (last status ContainerCreating)"}},
		{"nothing to judge", c6, Observation{Status: "Pending"}, VerdictError, "", "", "",
			[]string{"cannot judge (status Pending)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := Decide(tc.c, tc.obs, testBuilds, ProfileWildFly)
			if d.Verdict != tc.verdict {
				t.Errorf("verdict %s, want %s (%s)", d.Verdict, tc.verdict, d.Detail)
			}
			observed := ""
			if d.Observed != nil {
				observed = d.Observed.String()
			}
			if observed != tc.observed {
				t.Errorf("observed %q, want %q", observed, tc.observed)
			}
			if d.RanVariant != tc.ran || d.LogVariant != tc.log {
				t.Errorf("ran %q log %q, want %q %q", d.RanVariant, d.LogVariant, tc.ran, tc.log)
			}
			if d.Detail == "" || strings.Contains(d.Detail, "\n") {
				t.Errorf("detail %q is not one sentence", d.Detail)
			}
			for _, frag := range tc.detail {
				if !strings.Contains(d.Detail, frag) {
					t.Errorf("detail %q lacks %q", d.Detail, frag)
				}
			}
		})
	}
}

func TestClip(t *testing.T) {
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"abcdef", 3, "abc…"},
		{"ああ", 4, "あ…"},
	} {
		if got := clip(tc.in, tc.n); got != tc.want {
			t.Errorf("clip(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
	}
}
