package lab

import (
	"strings"
	"testing"
	"unicode/utf8"
)

const testImage = "image-registry.openshift-image-registry.svc:5000/pulllab/custom-image-java:v1"

// Event messages as the kubelet writes them (pkg/kubelet/images/image_manager.go
// and kuberuntime_container.go, Kubernetes 1.31–1.35).
var realEvents = []struct {
	reason, message string
	kind            EventKind
}{
	{"Pulling", `Pulling image "` + testImage + `"`, EventPulling},
	{"Pulled", `Successfully pulled image "` + testImage + `" in 1.2s (1.3s including waiting). Image size: 512345678 bytes.`, EventPulled},
	{"Pulled", `Container image "` + testImage + `" already present on machine`, EventAlreadyPresent},
	{"Pulled", `Container image "` + testImage + `" already present on machine and can be accessed by the pod`, EventAlreadyPresent},
	{"Failed", `Failed to pull image "` + testImage + `": rpc error: code = Unknown desc = reading manifest v1 in image-registry.openshift-image-registry.svc:5000/pulllab/custom-image-java: name unknown`, EventPullFailed},
	{"Failed", "Error: ErrImagePull", EventError},
	{"Failed", "Error: ImagePullBackOff", EventError},
	{"BackOff", `Back-off pulling image "` + testImage + `"`, EventBackOff},
	{"BackOff", "Back-off restarting failed container app in pod x", EventOther},
	{"ErrImageNeverPull", `Container image "` + testImage + `" is not present with pull policy of Never`, EventNeverPull},
	{"Failed", "Error: ErrImageNeverPull", EventNeverPull},
	{"Scheduled", "Successfully assigned pulllab/app-1 to crc", EventOther},
	{"Created", "Created container: custom-image-java", EventOther},
	{"Started", "Started container custom-image-java", EventOther},
	{"Failed", "Error: context deadline exceeded", EventError},
	{"Failed", "something else", EventOther},
}

func TestClassifyEvent(t *testing.T) {
	for _, tc := range realEvents {
		t.Run(tc.reason+"/"+tc.message, func(t *testing.T) {
			if got := ClassifyEvent(Event{Reason: tc.reason, Message: tc.message}); got != tc.kind {
				t.Errorf("ClassifyEvent = %s, want %s", got, tc.kind)
			}
		})
	}
}

func TestSummarizeEvents(t *testing.T) {
	ev := func(reason, msg string) Event { return Event{Reason: reason, Message: msg} }
	for _, tc := range []struct {
		name   string
		events []Event
		want   PullEvidence
		text   string
	}{
		{"cached", []Event{ev("Pulled", `Container image "x" already present on machine`)}, PullEvidence{AlreadyPresent: true}, "the kubelet found the image already present on the node"},
		{"pulled", []Event{ev("Pulling", `Pulling image "x"`), ev("Pulled", `Successfully pulled image "x" in 1s (1s including waiting). Image size: 1 bytes.`)}, PullEvidence{Pulled: true}, "the kubelet pulled it from the registry"},
		{"failed", []Event{
			ev("Failed", `Failed to pull image "x": first`), ev("Failed", "Error: ErrImagePull"),
			ev("BackOff", `Back-off pulling image "x"`), ev("Failed", `Failed to pull image "x": second`),
		}, PullEvidence{PullFailed: true, FailMessage: `Failed to pull image "x": first`, BackOff: true}, "the pull failed and the kubelet backed off pulling"},
		{"never", []Event{ev("ErrImageNeverPull", `Container image "x" is not present with pull policy of Never`)}, PullEvidence{NeverPull: true}, "the image is not on the node and the policy is Never"},
		{"nothing", nil, PullEvidence{}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := SummarizeEvents(tc.events)
			if got != tc.want {
				t.Errorf("SummarizeEvents = %+v, want %+v", got, tc.want)
			}
			if got.String() != tc.text {
				t.Errorf("String = %q, want %q", got.String(), tc.text)
			}
		})
	}
}

func TestVariantOfImageID(t *testing.T) {
	for _, tc := range []struct {
		name, id string
		want     Variant
	}{
		{"containerd repo digest", "127.0.0.1:5000/lab/app@sha256:" + hexNodeManifest, VariantNode},
		{"CRI-O repo digest", testRepo + "@sha256:" + hexRegManifest, VariantRegistry},
		{"docker-pullable", "docker-pullable://" + testRepo + "@sha256:" + hexRegManifest, VariantRegistry},
		{"bare config digest", "sha256:" + hexNodeConfig, VariantNode},
		{"bare hex config", hexRegConfig, VariantRegistry},
		{"neither", testRepo + "@sha256:" + hexForeign, ""},
		{"empty", "", ""},
		{"just the algorithm", "sha256:", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := VariantOfImageID(tc.id, testBuilds); got != tc.want {
				t.Errorf("VariantOfImageID(%q) = %q, want %q", tc.id, got, tc.want)
			}
		})
	}
	same := map[Variant]Build{VariantNode: {Digest: "sha256:" + hexNodeManifest}, VariantRegistry: {Digest: "sha256:" + hexNodeManifest}}
	if got := VariantOfImageID("sha256:"+hexNodeManifest, same); got != "" {
		t.Errorf("identical variants: got %q, want no answer", got)
	}
}

// realLogLines are container log lines; format is the known format that
// recognises the line ("" when none does), tried in FindDeployedWAR's order.
var realLogLines = []struct {
	profile Profile
	line    string
	war     string
	variant Variant
	format  string
}{
	{ProfileWildFly, `12:00:01,234 INFO  [org.jboss.as.server.deployment] (MSC service thread 1-2) WFLYSRV0027: Starting deployment of "node.war" (runtime-name: "node.war")`, "node.war", VariantNode, "wildfly"},
	{ProfileWildFly, `WFLYSRV0027: Starting deployment of "registry.war" (runtime-name: "registry.war")`, "registry.war", VariantRegistry, "wildfly"},
	// WildFly's "Deployed" line names the WAR too; only the generic form reads it.
	{ProfileWildFly, `WFLYSRV0010: Deployed "node.war" (runtime-name : "node.war")`, "node.war", VariantNode, "generic"},
	{ProfileWildFly, `WFLYSRV0025: JBoss EAP 7.4.19.GA (WildFly Core 15.0.37.Final-redhat-00001) started in 9512ms`, "", "", ""},
	{ProfileWildFly, `WFLYSRV0027: Starting deployment of "ROOT.war" (runtime-name: "ROOT.war")`, "ROOT.war", "", "wildfly"},
	{ProfileAppServer, `appserver: APPSRV0027: Starting deployment of "registry.war" from /deployments`, "registry.war", VariantRegistry, "appserver"},
	{ProfileGeneric, `Deploying node.war`, "node.war", VariantNode, "generic"},
	{ProfileGeneric, `nothing here`, "", "", ""},
	{ProfileGeneric, `WFLYDS0013: Started FileSystemDeploymentService for directory /opt/eap/standalone/deployments`, "", "", ""},
}

func TestLogVariant(t *testing.T) {
	for _, tc := range realLogLines {
		t.Run(tc.profile.Name+"/"+tc.line, func(t *testing.T) {
			v, war := LogVariant(tc.profile, tc.line)
			if v != tc.variant || war != tc.war {
				t.Errorf("LogVariant = (%q, %q), want (%q, %q)", v, war, tc.variant, tc.war)
			}
		})
	}
}

// The line is recognised whatever profile the image's name suggested: an
// image called like one server that logs another's message (issue 9: EAP's
// WFLYSRV0027 under a name that picked the generic profile) still names its
// WAR, and the format that matched is the line's own.
func TestFindDeployedWARAnyProfile(t *testing.T) {
	for _, tc := range realLogLines {
		for _, preferred := range []Profile{{}, ProfileWildFly, ProfileAppServer, ProfileGeneric, ProfileFor("quay.example.com/acme/tomcat-base:1")} {
			war, format := FindDeployedWAR(preferred, tc.line)
			if war != tc.war {
				t.Errorf("preferring %q: FindDeployedWAR(%q) = %q, want %q", preferred.Name, tc.line, war, tc.war)
			}
			if war == "" {
				if format != "" {
					t.Errorf("preferring %q: format %q without a WAR", preferred.Name, format)
				}
				continue
			}
			// The specific message IDs win over the generic pattern unless
			// the generic profile itself was asked for first.
			want := tc.format
			if preferred.Name == ProfileGeneric.Name {
				want = ProfileGeneric.Name
			}
			if format != want {
				t.Errorf("preferring %q: %q matched as %q, want %q", preferred.Name, tc.line, format, want)
			}
		}
	}
}

func TestServerStarted(t *testing.T) {
	for _, tc := range []struct {
		line string
		want bool
	}{
		{`12:00:10,111 INFO  [org.jboss.as] (Controller Boot Thread) WFLYSRV0025: JBoss EAP 7.4.19.GA (WildFly Core 15.0.37.Final-redhat-00001) started in 9512ms - Started 321 of 550 services (330 services are lazy, passive or on-demand)`, true},
		{`ERROR [org.jboss.as] (Controller Boot Thread) WFLYSRV0026: WildFly Full 30.0.0.Final (WildFly Core 22.0.1.Final) started (with errors) in 4410ms - Started 280 of 500 services (2 services failed or missing dependencies)`, true},
		{`appserver: APPSRV0025: Listening on [::]:8080 with 2 deployment(s)`, true},
		{`WFLYSRV0049: JBoss EAP 7.4.19.GA (WildFly Core 15.0.37.Final-redhat-00001) starting`, false},
		{`WFLYSRV0027: Starting deployment of "node.war" (runtime-name: "node.war")`, false},
		{`the server started in my head`, false},
		{``, false},
	} {
		if got := ServerStarted(tc.line); got != tc.want {
			t.Errorf("ServerStarted(%q) = %v, want %v", tc.line, got, tc.want)
		}
	}
}

func FuzzClassifyEvent(f *testing.F) {
	for _, e := range realEvents {
		f.Add(e.reason, e.message)
	}
	f.Fuzz(func(t *testing.T, reason, msg string) {
		k := ClassifyEvent(Event{Reason: reason, Message: msg})
		switch k {
		case EventPulling, EventPulled, EventAlreadyPresent, EventPullFailed, EventError, EventBackOff, EventNeverPull, EventOther:
		default:
			t.Fatalf("unknown kind %q", k)
		}
		if reason == "Pulled" && strings.Contains(msg, MsgAlreadyPresent) && k != EventAlreadyPresent {
			t.Errorf("a Pulled event saying %q is %s", MsgAlreadyPresent, k)
		}
		if reason == "Pulling" && k != EventPulling {
			t.Errorf("a Pulling event is %s", k)
		}
		ev := SummarizeEvents([]Event{{Reason: reason, Message: msg}})
		if ev.AlreadyPresent != (k == EventAlreadyPresent) || ev.Pulled != (k == EventPulled) {
			t.Errorf("summary %+v disagrees with kind %s", ev, k)
		}
	})
}

func FuzzDeployedWAR(f *testing.F) {
	for _, l := range realLogLines {
		f.Add(l.line)
	}
	f.Add(`WFLYSRV0027: Starting deployment of "node.war`)
	f.Add(`deploy "x.war" "registry.war"`)
	f.Add("\x00APPSRV0027: Starting deployment of \"\xff.war\"")
	f.Add(`WFLYSRV0025: JBoss EAP 7.4.19.GA started in 9512ms - Started 321 of 550 services`)
	f.Add(`appserver: APPSRV0025: Listening on [::]:8080 with 2 deployment(s)`)
	f.Fuzz(func(t *testing.T, line string) {
		if ServerStarted(line) && !strings.Contains(line, "WFLYSRV002") && !strings.Contains(line, "APPSRV0025") {
			t.Errorf("ServerStarted(%q) without a known server's started message", line)
		}
		for _, p := range []Profile{{}, ProfileWildFly, ProfileAppServer, ProfileGeneric} {
			v, war := LogVariant(p, line)
			fwar, format := FindDeployedWAR(p, line)
			if fwar != war {
				t.Fatalf("%s: LogVariant's WAR %q, FindDeployedWAR's %q", p.Name, war, fwar)
			}
			if war == "" {
				if v != "" || format != "" {
					t.Fatalf("%s: variant %q / format %q without a WAR", p.Name, v, format)
				}
				continue
			}
			known, ok := Profiles[format]
			if !ok || known.DeployedWAR(line) != war {
				t.Errorf("%s: format %q does not itself find %q in %q", p.Name, format, war, line)
			}
			if !strings.HasSuffix(strings.ToLower(war), ".war") || !strings.Contains(line, war) {
				t.Errorf("%s: WAR %q is not a .war named in %q", p.Name, war, line)
			}
			if utf8.ValidString(line) && !utf8.ValidString(war) {
				t.Errorf("%s: WAR %q is not valid UTF-8", p.Name, war)
			}
			if v != "" && war != v.WAR() {
				t.Errorf("%s: WAR %q maps to variant %q", p.Name, war, v)
			}
		}
	})
}
