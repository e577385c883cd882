package kube

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/sirupsen/logrus"

	"github.com/pulllab/pulllab/lab"
)

const (
	testUser     = "labuser"
	testPassword = "s3cret-Pa55w0rd!"
)

var testAuth = base64.StdEncoding.EncodeToString([]byte(testUser + ":" + testPassword))

func TestParseRegistryAuth(t *testing.T) {
	tests := []struct {
		name string
		in   string
		// host → user for a valid file
		want map[string]string
		// for an invalid one: line (0 = none), field and text in the error
		line      int
		field     string
		errSubstr string
	}{
		{name: "auth", in: `{"auths": {"127.0.0.1:5001": {"auth": "` + testAuth + `"}}}`, want: map[string]string{"127.0.0.1:5001": testUser}},
		{name: "username and password, email ignored", in: `{"auths": {"reg.example.com": {"username": "u", "password": "p", "email": "x@example.com"}}}`, want: map[string]string{"reg.example.com": "u"}},
		{name: "scheme and path dropped, other keys ignored", in: `{"credsStore": "desktop", "auths": {"https://reg.example.com:5000/v1/": {"auth": "` + testAuth + `"}}}`, want: map[string]string{"reg.example.com:5000": testUser}},
		{name: "auth and matching username", in: `{"auths": {"r:1": {"auth": "` + testAuth + `", "username": "` + testUser + `"}}}`, want: map[string]string{"r:1": testUser}},

		{name: "empty", in: "  \n", errSubstr: "is empty"},
		{name: "not JSON", in: "{\n  \"auths\": {\n    \"r:1\": {\"auth\": \"" + testAuth + "\" \"x\"}\n  }\n}", line: 3, errSubstr: "not valid JSON"},
		{name: "not an object", in: `["` + testPassword + `"]`, line: 1, errSubstr: "must be a JSON object"},
		{name: "no auths", in: `{"credHelpers": {"r:1": "pass"}}`, field: "auths", errSubstr: "is missing"},
		{name: "auths not an object", in: `{"auths": "` + testPassword + `"}`, line: 1, field: "auths", errSubstr: "an object of registry hosts"},
		{name: "no registries", in: `{"auths": {}}`, field: "auths", errSubstr: "names no registry"},
		{name: "no credentials", in: "{\"auths\": {\n\"r:1\": {}}}", line: 2, field: `auths["r:1"]`, errSubstr: "has no credentials"},
		{name: "auth not base64", in: "{\"auths\": {\"r:1\":\n  {\"auth\": \"" + testPassword + "\"}}}", line: 2, field: `auths["r:1"].auth`, errSubstr: "is not base64"},
		{name: "auth without a colon", in: `{"auths": {"r:1": {"auth": "` + base64.StdEncoding.EncodeToString([]byte(testPassword)) + `"}}}`, line: 1, field: `auths["r:1"].auth`, errSubstr: "user:password"},
		{name: "password missing", in: `{"auths": {"r:1": {"username": "` + testUser + `"}}}`, line: 1, field: `auths["r:1"].password`, errSubstr: "is missing"},
		{name: "username missing", in: `{"auths": {"r:1": {"password": "` + testPassword + `"}}}`, line: 1, field: `auths["r:1"].username`, errSubstr: "is missing"},
		{name: "disagree", in: `{"auths": {"r:1": {"auth": "` + testAuth + `", "password": "other"}}}`, line: 1, field: `auths["r:1"]`, errSubstr: "disagree"},
		{name: "token only", in: `{"auths": {"r:1": {"identitytoken": "` + testPassword + `"}}}`, line: 1, field: `auths["r:1"]`, errSubstr: "token only"},
		{name: "wrong type", in: `{"auths": {"r:1": {"auth": 12345}}}`, line: 1, field: `auths["r:1"].auth`, errSubstr: "must be a string"},
		{name: "bad host", in: `{"auths": {"user@r:1": {"auth": "` + testAuth + `"}}}`, line: 1, field: `auths["user@r:1"]`, errSubstr: "not a registry host"},
		{name: "duplicate", in: "{\"auths\": {\"r:1\": {\"auth\": \"" + testAuth + "\"},\n \"https://r:1\": {\"auth\": \"" + testAuth + "\"}}}", line: 2, field: `auths["https://r:1"]`, errSubstr: "a second time"},
		{name: "trailing text", in: `{"auths": {"r:1": {"auth": "` + testAuth + `"}}} ` + testPassword, line: 1, errSubstr: "after the JSON object"},
		{name: "cut short", in: `{"auths": {"r:1": {"auth": "` + testAuth, errSubstr: "ends too early"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			creds, err := ParseRegistryAuth("auth.json", []byte(tc.in))
			if tc.want != nil {
				if err != nil {
					t.Fatalf("ParseRegistryAuth: %v", err)
				}
				if got := creds.Hosts(); len(got) != len(tc.want) {
					t.Fatalf("hosts = %v, want %v", got, tc.want)
				}
				for host, user := range tc.want {
					reg, _ := name.NewRegistry(host, name.Insecure)
					a, _ := creds.Resolve(reg)
					cfg, err := a.Authorization()
					if err != nil || cfg.Username != user || cfg.Password == "" {
						t.Errorf("%s: credentials %q/%v, want user %q", host, cfg.Username, err, user)
					}
				}
				if s := fmt.Sprintf("%v %+v %#v", creds, creds, creds); strings.Contains(s, testPassword) || strings.Contains(s, testAuth) {
					t.Errorf("formatting the credentials shows the secret: %s", s)
				}
				return
			}
			var ae *AuthFileError
			if !errors.As(err, &ae) {
				t.Fatalf("error = %v, want *AuthFileError", err)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "lab.registryAuth auth.json: ") || !errors.Is(err, lab.ErrBadInput) {
				t.Errorf("error %q does not name the setting and the file, or is not lab.ErrBadInput", msg)
			}
			if tc.line > 0 && ae.Line != tc.line {
				t.Errorf("line = %d, want %d (%s)", ae.Line, tc.line, msg)
			}
			if tc.field != "" && ae.Field != tc.field {
				t.Errorf("field = %q, want %q (%s)", ae.Field, tc.field, msg)
			}
			if !strings.Contains(msg, tc.errSubstr) {
				t.Errorf("error %q, want it to contain %q", msg, tc.errSubstr)
			}
			assertNoSecret(t, msg)
		})
	}
}

func TestReadRegistryAuthMissingFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "none.json")
	_, err := ReadRegistryAuth(p)
	var ae *AuthFileError
	if !errors.As(err, &ae) || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), "no such file") {
		t.Fatalf("error = %v, want an *AuthFileError naming %s", err, p)
	}
}

// FuzzParseRegistryAuth checks that any input gives credentials or an
// *AuthFileError, and that an error never quotes the password the seeds
// carry.
func FuzzParseRegistryAuth(f *testing.F) {
	for _, s := range []string{
		`{"auths": {"127.0.0.1:5001": {"auth": "` + testAuth + `"}}}`,
		`{"auths": {"r:1": {"username": "` + testUser + `", "password": "` + testPassword + `"}}}`,
		`{"auths": {"r:1": {"auth": "` + testPassword + `"}}}`,
		`{"auths": {"r:1": {"password": "` + testPassword + `"}}} x`,
		`{"auths": "` + testPassword + `"}`,
		`{"auths": {"r:1": {"auth": ` + testPassword + `}}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		creds, err := ParseRegistryAuth("f.json", data)
		if err == nil {
			if len(creds.Hosts()) == 0 {
				t.Fatal("no error and no credentials")
			}
			return
		}
		var ae *AuthFileError
		if !errors.As(err, &ae) {
			t.Fatalf("error %T %v, want *AuthFileError", err, err)
		}
		if strings.Contains(err.Error(), testPassword) && !hostNamed(data, testPassword) {
			t.Fatalf("the error quotes the password: %s", err)
		}
	})
}

// hostNamed reports whether s is used as a registry key in data (a host is
// quoted in errors on purpose).
func hostNamed(data []byte, s string) bool {
	return bytes.Contains(data, []byte(`"`+s+`":`)) || bytes.Contains(data, []byte(`"`+s+`" :`))
}

func assertNoSecret(t *testing.T, texts ...string) {
	t.Helper()
	for _, s := range texts {
		for _, secret := range []string{testPassword, testAuth} {
			if strings.Contains(s, secret) {
				t.Errorf("a secret leaked: %q", s)
			}
		}
	}
}

// authRegistry is the test registry behind HTTP basic auth, the way a
// distribution registry with htpasswd answers: 401 with a Basic challenge
// unless the request carries testUser:testPassword.
type authRegistry struct {
	*testRegistry
	open atomic.Bool // let everything through (to seed images)
}

func newAuthRegistry(t *testing.T) *authRegistry {
	t.Helper()
	r := &authRegistry{testRegistry: newTestRegistry(t, deletesLikeDistribution)}
	inner := r.srv.Config.Handler
	r.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if u, p, ok := req.BasicAuth(); r.open.Load() || ok && u == testUser && p == testPassword {
			inner.ServeHTTP(w, req)
			return
		}
		w.Header().Set("WWW-Authenticate", `Basic realm="pulllab-test"`)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`)
	})
	return r
}

// TestAuthenticatedRegistry runs the backend against a registry that
// requires basic auth, with credentials from --registry-auth, from
// DOCKER_CONFIG, and from nowhere, and checks that neither the password nor
// the base64 auth reaches a log line or an error.
func TestAuthenticatedRegistry(t *testing.T) {
	reg := newAuthRegistry(t)
	reg.open.Store(true)
	reg.push(t, "base/appserver:1", randomImage(t))
	reg.open.Store(false)
	authFile := `{"auths": {"` + reg.host + `": {"auth": "` + testAuth + `"}, "other.example.com": {"username": "x", "password": "other-secret"}}}`

	tests := []struct {
		name string
		// setup returns the backend options' credentials and keychain.
		setup    func(t *testing.T) Options
		wantErr  string
		pullCred bool
	}{
		{name: "--registry-auth", setup: func(t *testing.T) Options {
			creds, err := ParseRegistryAuth("auth.json", []byte(authFile))
			if err != nil {
				t.Fatal(err)
			}
			return Options{Credentials: creds, Keychain: noCredentials{}}
		}, pullCred: true},
		{name: "DOCKER_CONFIG", setup: func(t *testing.T) Options {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(authFile), 0o600); err != nil {
				t.Fatal(err)
			}
			t.Setenv("DOCKER_CONFIG", dir)
			return Options{Keychain: authn.DefaultKeychain}
		}, pullCred: true},
		{name: "no credentials", setup: func(t *testing.T) Options {
			t.Setenv("DOCKER_CONFIG", t.TempDir())
			return Options{Keychain: authn.DefaultKeychain}
		}, wantErr: "asks for credentials"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			l := logrus.New()
			l.SetOutput(&logs)
			l.SetLevel(logrus.TraceLevel)
			o := tc.setup(t)
			o.Registry, o.BaseImage, o.Namespace, o.Log = reg.host, reg.host+"/base/appserver:1", "lab", l
			f := newFakeCluster("amd64")
			b, err := NewWithCluster(f, o)
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			var errs []string
			note := func(err error) {
				if err != nil {
					errs = append(errs, err.Error())
				}
			}
			_, err = b.Prepare(ctx)
			note(err)
			if tc.wantErr != "" {
				// The base image is read before anything is changed.
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), "lab.registryAuth") {
					t.Fatalf("Prepare = %v, want %q and a hint at lab.registryAuth", err, tc.wantErr)
				}
				if got := f.journal(); len(got) != 1 || got[0] != "pick " {
					t.Errorf("Prepare changed the cluster before failing: %q", got)
				}
				assertNoSecret(t, append(errs, logs.String())...)
				return
			}
			if err != nil {
				t.Fatalf("Prepare: %v", err)
			}
			_, err = b.Build(ctx, lab.VariantNode, nodeWAR)
			note(err)
			{
				if err != nil {
					t.Fatalf("Build: %v", err)
				}
				note(b.PointApp(ctx, lab.AppTag, lab.VariantNode))
				d, err := b.AppDigest(ctx, lab.AppTag)
				note(err)
				if d == "" {
					t.Errorf("AppDigest after PointApp is empty (errors: %q)", errs)
				}
				note(b.RemoveApp(ctx, lab.AppTag))
				if len(errs) > 0 {
					t.Errorf("registry operations failed: %q", errs)
				}
			}
			anon, err := b.AnonymousPull(ctx)
			note(err)
			if err != nil || anon {
				t.Errorf("AnonymousPull = %v, %v; want false: the registry refuses anonymous clients", anon, err)
			}
			if b.HasPullSecret() != tc.pullCred {
				t.Errorf("HasPullSecret = %v, want %v", b.HasPullSecret(), tc.pullCred)
			}
			secret := f.secrets["lab"]
			if tc.pullCred {
				var got struct {
					Auths map[string]struct{ Username, Password, Auth string }
				}
				if err := json.Unmarshal(secret, &got); err != nil {
					t.Fatalf("pull secret: %v", err)
				}
				e, ok := got.Auths[reg.host]
				if len(got.Auths) != 1 || !ok || e.Username != testUser || e.Password != testPassword || e.Auth != testAuth {
					t.Errorf("the pull secret must hold only %s's credentials; it holds %d entries (%v)", reg.host, len(got.Auths), ok)
				}
				if !bytes.Equal(f.secrets["lab-debug"], secret) {
					t.Error("the debug namespace did not get the same pull secret (the debug image may be in the lab registry)")
				}
			} else if secret != nil {
				t.Errorf("a pull secret was made without credentials")
			}
			assertNoSecret(t, append(errs, logs.String())...)
		})
	}
}

// TestAnonymousRegistry: a registry that answers anonymous clients makes no
// pull secret when there are no credentials, and AnonymousPull says so.
func TestAnonymousRegistry(t *testing.T) {
	reg := newTestRegistry(t, deletesLikeDistribution)
	reg.push(t, "base/appserver:1", randomImage(t))
	f := newFakeCluster("amd64")
	b := newTestBackend(t, f, Options{Registry: reg.host, BaseImage: reg.host + "/base/appserver:1", Namespace: "lab"})
	if _, err := b.Prepare(context.Background()); err != nil {
		t.Fatal(err)
	}
	anon, err := b.AnonymousPull(context.Background())
	if err != nil || !anon {
		t.Errorf("AnonymousPull = %v, %v; want true", anon, err)
	}
	if b.HasPullSecret() || f.secrets["lab"] != nil {
		t.Error("a pull secret was made without credentials")
	}
}

func TestPrepareNoCredentials(t *testing.T) {
	f := newFakeCluster("amd64")
	b := newTestBackend(t, f, Options{Namespace: "lab"})
	wl, err := b.PrepareNoCredentials(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := wl.Deploy(context.Background(), lab.Deployment{Name: lab.AppName, Image: b.AppRef("v1")}); err != nil {
		t.Fatal(err)
	}
	if err := b.Cleanup(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"pick ",
		"ensure lab-nocreds privileged=false",
		"pull-secret lab-nocreds none",
		"deploy lab-nocreds@node-1 custom-image-java 127.0.0.1:5000/lab/custom-image-java:v1",
		"cleanup lab-nocreds",
		"cleanup lab",
		"stop lab-debug/node-1 127.0.0.1:5000/lab/custom-image-java,127.0.0.1:5000/lab/pulllab-variants",
	}
	if got := f.journal(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("calls:\n got %q\nwant %q", got, want)
	}
}

// statusRecorder keeps every status line.
type statusRecorder struct{ lines []string }

func (s *statusRecorder) Start(f string, a ...any) { s.lines = append(s.lines, fmt.Sprintf(f, a...)) }
func (s *statusRecorder) End(bool)                 {}
func (s *statusRecorder) Infof(f string, a ...any) { s.lines = append(s.lines, fmt.Sprintf(f, a...)) }
func (s *statusRecorder) Warnf(f string, a ...any) { s.lines = append(s.lines, fmt.Sprintf(f, a...)) }

// TestRunnerOnAnAuthenticatedRegistryLeaksNothing runs the lab's runner
// with this backend on the basic-auth registry, with every case including
// 11 and 12, and checks the status lines, the trace log, the errors and
// the results for the password and its base64.
func TestRunnerOnAnAuthenticatedRegistryLeaksNothing(t *testing.T) {
	reg := newAuthRegistry(t)
	reg.open.Store(true)
	reg.push(t, "base/appserver:1", randomImage(t))
	reg.open.Store(false)
	creds, err := ParseRegistryAuth("auth.json", []byte(`{"auths": {"`+reg.host+`": {"username": "`+testUser+`", "password": "`+testPassword+`"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	l := logrus.New()
	l.SetOutput(&logs)
	l.SetLevel(logrus.TraceLevel)
	f := newFakeCluster("amd64")
	f.facts.KubeletImageCredentials = &lab.KubeletImageCredentials{Gate: lab.GateOn, Policy: lab.PolicyNeverVerifyPreloadedImages, Source: lab.SourceConfigz}
	b := newTestBackend(t, f, Options{Registry: reg.host, BaseImage: reg.host + "/base/appserver:1", Namespace: "lab", Credentials: creds, Log: l})
	st := &statusRecorder{}
	r := &lab.Runner{Backend: b, WARs: map[lab.Variant][]byte{lab.VariantNode: nodeWAR, lab.VariantRegistry: registryWAR}, Status: st, Log: l}
	res, runErr := r.Run(context.Background(), lab.Matrix(true))
	if res == nil || len(res.Cases) != 12 {
		t.Fatalf("Run = %v with %v", runErr, res)
	}
	var out bytes.Buffer
	if err := res.WriteJSON(&out); err != nil {
		t.Fatal(err)
	}
	texts := append(st.lines, logs.String(), out.String())
	if runErr != nil {
		texts = append(texts, runErr.Error())
	}
	assertNoSecret(t, texts...)
	if !strings.Contains(string(f.secrets["lab"]), testUser) {
		t.Error("the run made no pull secret for the lab namespace")
	}
	if !strings.Contains(logs.String(), reg.host) {
		t.Error("the trace log names no registry operation; the check above proves nothing")
	}
	// The registry refuses anonymous clients and the gate was read: the
	// credential cases ran in the namespace without credentials.
	if !slices.Contains(f.journal(), "ensure lab-nocreds privileged=false") {
		t.Errorf("the namespace without credentials was not prepared: %q", f.journal())
	}
}
