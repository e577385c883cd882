package report

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/pulllab/pulllab/lab"
)

// Fake secrets, in the shapes that could leak into results. None is real.
const (
	fakeOAuthToken   = "sha256~Q2hlY2tUaGlzSXNOb3RBUmVhbFRva2VuXzAxMjM0NTY3"
	fakeJWTHeader    = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImZha2Uta2V5In0"
	fakeJWT          = fakeJWTHeader + ".eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6cHVsbGxhYjpkZWZhdWx0In0.ZmFrZS1zaWduYXR1cmUtbm90LXJlYWw"
	fakePullAuth     = "ZmFrZXVzZXI6ZmFrZS1wdWxsLXNlY3JldC1ub3QtcmVhbA=="
	fakePullSecret   = `{"auths":{"cloud.openshift.com":{"auth":"` + fakePullAuth + `","email":"someone@example.com"},"registry.redhat.io":{"auth":"` + fakePullAuth + `"}}}`
	fakePassword     = "Sup3r-S3cret_pw!"
	fakeKubeadmin    = "dpDFV-xamBW-kKAk3-Fi6Lg"
	fakeBasicURLPass = "hunter2hunter2"
	// The lab registry's credentials (--registry-auth, the lab's pull secret).
	fakeRegistryPassword = "Reg1stry-pa55word"
	fakeRegistryBasic    = "bGFidXNlcjpSZWcxc3RyeS1wYTU1d29yZA=="
	fakeRegistrySecret   = `{"auths":{"127.0.0.1:5001":{"username":"labuser","password":"` + fakeRegistryPassword + `","auth":"` + fakeRegistryBasic + `"}}}`
)

// secretsNeverShown are the substrings that must not appear in any output.
var secretsNeverShown = []string{
	"Q2hlY2tUaGlzSXNOb3RBUmVhbFRva2Vu",
	fakeJWTHeader,
	"ZmFrZS1zaWduYXR1cmUtbm90LXJlYWw",
	fakePullAuth,
	`"auths":{`,
	"someone@example.com",
	fakePassword,
	fakeKubeadmin,
	fakeBasicURLPass,
	fakeRegistryPassword,
	fakeRegistryBasic,
}

// withSecrets returns the fixture with a fake secret in every kind of free
// text: steps, details, event messages, log line, pod line, container
// message, environment strings.
func withSecrets() *lab.Results {
	r := fixtureOpenShift()
	c := &r.Cases[0]
	c.Steps = append(c.Steps,
		"oc login -u kubeadmin -p "+fakeKubeadmin+" https://api.crc.testing:6443",
		"used token "+fakeOAuthToken,
		"pull secret: "+fakePullSecret)
	c.Detail = "precondition: password=" + fakePassword + " was rejected; Authorization: Bearer " + fakeJWT
	o := c.Observation
	o.Events[0].Message = "Failed to pull image: unauthorized with " + fakeJWT
	o.Events = append(o.Events, lab.Event{Type: "Warning", Reason: "Failed", Message: "dockercfg " + fakePullSecret, Count: 1})
	o.LogLine = `startup: {\"auths\":{\"registry.example.com\":{\"auth\":\"` + fakePullAuth + `\"}}} and --password ` + fakePassword
	o.PodLine += " " + fakeOAuthToken
	o.Message = "kubeadmin password is " + fakeKubeadmin
	r.Environment.AppRepository = "https://admin:" + fakeBasicURLPass + "@registry.example.com/pulllab/custom-image-java"
	r.Base.Ref = "registry.redhat.io/jboss-eap-7/eap74?token=" + fakeOAuthToken
	r.Cases[1].Detail = `{"auths":{"x":{"auth":"` + fakePullAuth // cut off mid-object
	// Registry credentials: a basic-auth header in a pull error, the
	// lab's pull secret in a skipped case's reason.
	o.Events = append(o.Events, lab.Event{Type: "Warning", Reason: "Failed", Count: 1,
		Message: `Failed to pull image "127.0.0.1:5001/pulllab/custom-image-java:v1": 401 Unauthorized (sent Authorization: Basic ` + fakeRegistryBasic + ")"})
	r.Cases[2].Verdict = lab.VerdictSkipped
	r.Cases[2].Detail = "the namespace has the pull secret .dockerconfigjson=" + fakeRegistrySecret
	r.Cases[2].Steps = append(r.Cases[2].Steps, "docker login -u labuser -p "+fakeRegistryPassword+" 127.0.0.1:5001")
	r.Tally()
	return r
}

func TestSecretsNeverRendered(t *testing.T) {
	outputs := map[string]func(*bytes.Buffer, *lab.Results) error{
		"json": func(b *bytes.Buffer, r *lab.Results) error { return JSON(b, r) },
	}
	for _, rd := range renderers() {
		outputs[rd.file] = rd.render
	}
	for name, render := range outputs {
		t.Run(name, func(t *testing.T) {
			r := withSecrets()
			var b bytes.Buffer
			if err := render(&b, r); err != nil {
				t.Fatal(err)
			}
			out := b.String()
			for _, s := range secretsNeverShown {
				if strings.Contains(out, s) {
					t.Errorf("output contains the secret %q", s)
				}
			}
			if !strings.Contains(out, redacted) && name != "summary.en.txt" && name != "summary.ja.txt" {
				t.Errorf("output shows no %s marker; were the secrets dropped with their text?", redacted)
			}
		})
	}
}

func TestRedactKeepsInput(t *testing.T) {
	r := withSecrets()
	before := withSecrets()
	got := Redact(r)
	if !reflect.DeepEqual(r, before) {
		t.Error("Redact changed its input")
	}
	if reflect.DeepEqual(got, before) {
		t.Error("Redact changed nothing")
	}
	if !got.StartedAt.Equal(r.StartedAt) || got.Cases[0].Observation.Created != r.Cases[0].Observation.Created {
		t.Error("Redact lost times")
	}
	if got.Cases[0].Observation == r.Cases[0].Observation {
		t.Error("Redact shares an Observation with its input")
	}
}

func TestRedact(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"oauth token", "token " + fakeOAuthToken + " used", "token sha256~[REDACTED] used"},
		{"jwt", "Bearer-less " + fakeJWT + ".", "Bearer-less [REDACTED]."},
		{"base64 pull secret", "eyJhdXRocyI6eyJxdWF5LmlvIjp7fX19", "[REDACTED]"},
		{"pull secret json", "secret " + fakePullSecret + " end", "secret [REDACTED] end"},
		{"pull secret nested", `{"kind":"Secret","data":{"x":1},"auths":{"a":{"auth":"abc"}}} tail`, "[REDACTED] tail"},
		{"pull secret escaped", `log {\"auths\":{\"a\":{\"auth\":\"abc\"}}} tail`, "log [REDACTED] tail"},
		{"pull secret cut off", `{"auths":{"a":{"auth":"abc`, "[REDACTED]"},
		{"auth value", `"auth": "dXNlcjpwYXNz"`, `"auth": "[REDACTED]"`},
		{"password kv", "password=" + fakePassword + " next", "password=[REDACTED] next"},
		{"password colon", "Password: " + fakePassword, "Password: [REDACTED]"},
		{"password flag", "crc start --password " + fakePassword, "crc start --password [REDACTED]"},
		{"oc login", "oc login -u kubeadmin -p " + fakeKubeadmin + " https://api.crc.testing:6443", "oc login -u kubeadmin -p [REDACTED] https://api.crc.testing:6443"},
		{"kubeadmin alone", "the password is " + fakeKubeadmin + ".", "the password is [REDACTED]."},
		{"url userinfo", "https://admin:" + fakeBasicURLPass + "@registry.example.com/x", "https://[REDACTED]@registry.example.com/x"},
		{"authorization header", "Authorization: Basic YWRtaW46cGFzcw==", "Authorization: [REDACTED]"},
		{"authorization bearer", "authorization: Bearer abc.def-ghi", "authorization: [REDACTED]"},
		{"authorization bare token", "authorization=Zm9vOmJhcg==", "authorization=[REDACTED]"},
		{"authorization bare key", "Authorization: AbCdEfGhIjKlMnOpQrSt", "Authorization: [REDACTED]"},
		{"authorization quoted", `authorization: "x y"`, "authorization: [REDACTED]"},
		// containerd's refused pull (cases 11 and 12 show it).
		{"refused pull", `failed to resolve reference "r/x:v1": pull access denied, repository does not exist or may require authorization: authorization failed: no basic auth credentials`, ""},
		{"refused pull, server message", `may require authorization: server message: insufficient_scope: authorization failed`, ""},
		{"bearer", "bearer abcdefghijklmnopqrstuvwxyz", "bearer [REDACTED]"},
		// Text that must survive untouched.
		{"digest", "image-registry.openshift-image-registry.svc:5000/pulllab/custom-image-java@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", ""},
		{"pull event", `Successfully pulled image "q/custom-image-java:v1" in 2.143s (2.143s including waiting). Image size: 611843072 bytes.`, ""},
		{"already present", `Container image "q/custom-image-java:v1" already present on machine and can be accessed by the pod`, ""},
		{"pod name", "custom-image-java-6f8d9b7c5d-x7k2p   1/1     Running   0          21s", ""},
		{"wildfly", `WFLYSRV0027: Starting deployment of "node.war" (runtime-name: "node.war")`, ""},
		{"words", "the pull secret of the default service account; basic setup; token bucket", ""},
		{"build name", "pulllab-node-1 built from registry.redhat.io/jboss-eap-7/eap74-openjdk11-openshift-rhel8:7.4.21-2.1743444175", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := tt.want
			if want == "" {
				want = tt.in
			}
			if got := redact(tt.in); got != want {
				t.Errorf("redact(%q)\n got %q\nwant %q", tt.in, got, want)
			}
			if got := redact(redact(tt.in)); got != want {
				t.Errorf("redact is not idempotent on %q: %q", tt.in, got)
			}
		})
	}
}

// FuzzRedact checks that a secret embedded in any text is removed and that
// redacting twice changes nothing more.
func FuzzRedact(f *testing.F) {
	f.Add("before", "after", 0)
	f.Add(`{"kind":"x"`, "}", 1)
	f.Add("", "", 2)
	f.Add("password=", "", 3)
	f.Add("ünïcödé ポリシー", "\x00\n", 4)
	f.Add("{{{", "}}}", 5)
	f.Fuzz(func(t *testing.T, prefix, suffix string, which int) {
		secrets := []struct{ text, core string }{
			{fakeOAuthToken, strings.TrimPrefix(fakeOAuthToken, "sha256~")},
			{fakeJWT, fakeJWTHeader},
			{fakePullSecret, fakePullAuth},
			{"password=" + fakePassword, fakePassword},
			{fakeKubeadmin, fakeKubeadmin},
			{"https://u:" + fakeBasicURLPass + "@h/x", fakeBasicURLPass},
		}
		s := secrets[(which%len(secrets)+len(secrets))%len(secrets)]
		in := prefix + " " + s.text + " " + suffix
		out := redact(in)
		if strings.Contains(out, s.core) && !strings.Contains(prefix+suffix, s.core) {
			t.Errorf("redact(%q) kept the secret: %q", in, out)
		}
		if again := redact(out); again != out {
			t.Errorf("redact is not idempotent:\n once %q\ntwice %q", out, again)
		}
	})
}
