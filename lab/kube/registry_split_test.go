package kube

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/sirupsen/logrus"

	"github.com/pulllab/pulllab/lab"
)

func TestSplitRegistry(t *testing.T) {
	kindLike := &LocalRegistryHosting{Host: "localhost:5001", HostFromContainerRuntime: "kind-registry:5000", Help: "https://kind.sigs.k8s.io/docs/user/local-registry/"}
	oneAddress := &LocalRegistryHosting{Host: "localhost:5001"}
	tests := []struct {
		name           string
		registry, pull string
		hosting        *LocalRegistryHosting
		ok             bool
		push, pullWant string
		announced      bool
		status, debug  string // substrings; "" means must be empty
		errFlag        string // *OptionError's setting
		errHosting     string // *HostingError's text
	}{
		{name: "neither flag nor ConfigMap"},
		{name: "--registry only", registry: "127.0.0.1:5000", ok: true, push: "127.0.0.1:5000", pullWant: "127.0.0.1:5000"},
		{name: "both flags", registry: "localhost:5001", pull: "kind-registry:5000", ok: true, push: "localhost:5001", pullWant: "kind-registry:5000",
			status: "registry: pushing to localhost:5001, the node pulls it as kind-registry:5000"},
		{name: "both flags, the same address", registry: "localhost:5001", pull: "localhost:5001", ok: true, push: "localhost:5001", pullWant: "localhost:5001"},
		{name: "ConfigMap with one address", hosting: oneAddress, ok: true, push: "localhost:5001", pullWant: "localhost:5001", announced: true,
			status: "registry localhost:5001, as the cluster announces it (ConfigMap kube-public/local-registry-hosting)"},
		{name: "ConfigMap with two addresses", hosting: kindLike, ok: true, push: "localhost:5001", pullWant: "kind-registry:5000", announced: true,
			status: "registry: pushing to localhost:5001, the node pulls it as kind-registry:5000, as the cluster announces it"},
		{name: "--registry overrides the ConfigMap", registry: "127.0.0.1:5000", hosting: kindLike, ok: true, push: "127.0.0.1:5000", pullWant: "127.0.0.1:5000",
			debug: `lab.registry given: the registry the cluster announces in the ConfigMap kube-public/local-registry-hosting (host "localhost:5001", hostFromContainerRuntime "kind-registry:5000") is not used`},
		{name: "both flags override the ConfigMap", registry: "127.0.0.1:5000", pull: "127.0.0.2:5000", hosting: kindLike, ok: true, push: "127.0.0.1:5000", pullWant: "127.0.0.2:5000",
			status: "pulls it as 127.0.0.2:5000", debug: "is not used"},
		{name: "--registry-pull without --registry", pull: "kind-registry:5000", errFlag: "lab.registryPull"},
		{name: "--registry-pull without --registry, with a ConfigMap", pull: "kind-registry:5000", hosting: kindLike, errFlag: "lab.registryPull"},
		{name: "a bad pull address", registry: "localhost:5001", pull: "http://kind-registry:5000", errFlag: "lab.registryPull"},
		{name: "a bad push address", registry: "localhost:5001/UPPER", pull: "kind-registry:5000", errFlag: "lab.registry"},
		{name: "pull without a path takes the push path", registry: "registry.example.com/team", pull: "mirror.internal:5000", ok: true,
			push: "registry.example.com/team", pullWant: "mirror.internal:5000/team", status: "pulls it as mirror.internal:5000/team"},
		{name: "the same path on both", registry: "registry.example.com/team", pull: "mirror.internal:5000/team", ok: true,
			push: "registry.example.com/team", pullWant: "mirror.internal:5000/team", status: "pulls it as mirror.internal:5000/team"},
		{name: "different paths", registry: "registry.example.com/team", pull: "mirror.internal:5000/other", errFlag: "lab.registryPull"},
		{name: "ConfigMap with a path on host only", hosting: &LocalRegistryHosting{Host: "localhost:5001/lab", HostFromContainerRuntime: "kind-registry:5000"}, ok: true,
			push: "localhost:5001/lab", pullWant: "kind-registry:5000/lab", announced: true, status: "pulls it as kind-registry:5000/lab"},
		{name: "ConfigMap with different paths", hosting: &LocalRegistryHosting{Host: "localhost:5001/a", HostFromContainerRuntime: "kind-registry:5000/b", Help: "https://example.com/help"},
			errHosting: `different repository paths ("a", "b")`},
		{name: "ConfigMap with a bad pull host", hosting: &LocalRegistryHosting{Host: "localhost:5001", HostFromContainerRuntime: "kind_registry"},
			errHosting: `hostFromContainerRuntime "kind_registry" is not a registry address`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, ok, err := SplitRegistry(tc.registry, tc.pull, tc.hosting)
			switch {
			case tc.errFlag != "":
				var oe *OptionError
				if !errors.As(err, &oe) || oe.Setting != tc.errFlag || !errors.Is(err, lab.ErrBadInput) {
					t.Fatalf("SplitRegistry error = %v, want an *OptionError for %s", err, tc.errFlag)
				}
				if tc.errFlag == "lab.registryPull" && tc.registry == "" && !strings.Contains(err.Error(), "give lab.registry HOST:PORT[/PREFIX]") {
					t.Errorf("the error does not say what to give: %v", err)
				}
				return
			case tc.errHosting != "":
				var he *HostingError
				if !errors.As(err, &he) || !strings.Contains(err.Error(), tc.errHosting) || !errors.Is(err, lab.ErrBadInput) {
					t.Fatalf("SplitRegistry error = %v, want a *HostingError with %q", err, tc.errHosting)
				}
				if tc.hosting.Help != "" && !strings.Contains(err.Error(), tc.hosting.Help) {
					t.Errorf("the error lacks the ConfigMap's help link: %v", err)
				}
				return
			case err != nil:
				t.Fatalf("SplitRegistry: %v", err)
			}
			if ok != tc.ok {
				t.Fatalf("ok = %v, want %v", ok, tc.ok)
			}
			if !ok {
				return
			}
			if c.Push.String() != tc.push || c.Pull.String() != tc.pullWant || c.Announced != tc.announced {
				t.Errorf("choice = push %s pull %s announced %v, want %s, %s, %v", c.Push, c.Pull, c.Announced, tc.push, tc.pullWant, tc.announced)
			}
			if c.Split() != (tc.push != tc.pullWant) {
				t.Errorf("Split = %v", c.Split())
			}
			for _, x := range []struct{ what, got, want string }{{"Status", c.Status, tc.status}, {"Debug", c.Debug, tc.debug}} {
				if (x.want == "") != (x.got == "") || !strings.Contains(x.got, x.want) {
					t.Errorf("%s = %q, want %q", x.what, x.got, x.want)
				}
			}
			// What SplitRegistry chose, the backend takes.
			b := newTestBackend(t, newFakeCluster("amd64"), Options{Registry: c.Push.String(), RegistryPull: c.Pull.String()})
			if b.Registry() != tc.push || b.RegistryPull() != tc.pullWant {
				t.Errorf("backend registry = %s, %s, want %s, %s", b.Registry(), b.RegistryPull(), tc.push, tc.pullWant)
			}
		})
	}
}

// TestSplitRefs: everything the node sees names the pull address; the
// repositories pulllab pushes to, the push address.
func TestSplitRefs(t *testing.T) {
	const d = "sha256:07e027be83d259c84cb024292052a7fc1c8d3138823089b82e5e92bbc0c0516b"
	f := newFakeCluster("amd64")
	b := newTestBackend(t, f, Options{Registry: "localhost:5001/lab", RegistryPull: "kind-registry:5000", Namespace: "ns"})
	for _, x := range []struct{ what, got, want string }{
		{"AppRef", b.AppRef("v1"), "kind-registry:5000/lab/ns/custom-image-java:v1"},
		{"AppDigestRef", b.AppDigestRef(d), "kind-registry:5000/lab/ns/custom-image-java@" + d},
		{"StashRef", b.StashRef(lab.VariantNode), "kind-registry:5000/lab/ns/pulllab-variants:node"},
		{"AppRepository", b.AppRepository(), "kind-registry:5000/lab/ns/custom-image-java"},
		{"StashRepository", b.StashRepository(), "kind-registry:5000/lab/ns/pulllab-variants"},
		{"AppPushRepository", b.AppPushRepository(), "localhost:5001/lab/ns/custom-image-java"},
		{"app (pushed)", b.app.String(), "localhost:5001/lab/ns/custom-image-java"},
		{"stash (pushed)", b.stash.String(), "localhost:5001/lab/ns/pulllab-variants"},
	} {
		if x.got != x.want {
			t.Errorf("%s = %q, want %q", x.what, x.got, x.want)
		}
	}
	if !b.insecure {
		t.Error("the push address is loopback: plain http must be allowed")
	}
	env, err := b.Environment(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if env.AppRepository != "kind-registry:5000/lab/ns/custom-image-java" || env.AppPushRepository != "localhost:5001/lab/ns/custom-image-java" {
		t.Errorf("Environment repositories = %q (pull), %q (push)", env.AppRepository, env.AppPushRepository)
	}
	one := newTestBackend(t, newFakeCluster("amd64"), Options{Registry: "127.0.0.1:5000"})
	if env, err := one.Environment(context.Background()); err != nil || env.AppPushRepository != "" {
		t.Errorf("one address: AppPushRepository = %q (%v), want empty", env.AppPushRepository, err)
	}
}

// TestRunnerOnASplitRegistry runs every case with the backend pushing to the
// basic-auth test registry under its own address and naming a pull address
// the test never serves: every Deployment, warm-up and node operation
// names the pull address, every registry request goes to the push address,
// and the pull secret holds the credentials under the pull host, whichever
// host the credentials were given for.
func TestRunnerOnASplitRegistry(t *testing.T) {
	const pullHost = "registry.pull.test:5000"
	reg := newAuthRegistry(t)
	reg.open.Store(true)
	reg.push(t, "base/appserver:1", randomImage(t))
	reg.open.Store(false)
	for _, keyedBy := range []string{"push", "pull", "both"} {
		t.Run("credentials under the "+keyedBy+" host", func(t *testing.T) {
			entry := `{"username": "` + testUser + `", "password": "` + testPassword + `"}`
			var auths []string
			if keyedBy != "pull" {
				auths = append(auths, `"`+reg.host+`": `+entry)
			}
			if keyedBy != "push" {
				auths = append(auths, `"`+pullHost+`": `+entry)
			}
			creds, err := ParseRegistryAuth("auth.json", []byte(`{"auths": {`+strings.Join(auths, ", ")+`}}`))
			if err != nil {
				t.Fatal(err)
			}
			var logs bytes.Buffer
			l := logrus.New()
			l.SetOutput(&logs)
			l.SetLevel(logrus.TraceLevel)
			f := newFakeCluster("amd64")
			f.facts.KubeletImageCredentials = &lab.KubeletImageCredentials{Gate: lab.GateOn, Policy: lab.PolicyNeverVerifyPreloadedImages, Source: lab.SourceConfigz}
			b := newTestBackend(t, f, Options{Registry: reg.host, RegistryPull: pullHost, BaseImage: reg.host + "/base/appserver:1", Namespace: "lab", Credentials: creds, Log: l})
			st := &statusRecorder{}
			r := &lab.Runner{Backend: b, WARs: map[lab.Variant][]byte{lab.VariantNode: nodeWAR, lab.VariantRegistry: registryWAR}, Status: st, Log: l}
			res, runErr := r.Run(context.Background(), lab.Matrix(true))
			if res == nil || len(res.Cases) != 12 {
				t.Fatalf("Run = %v with %v", runErr, res)
			}
			// Pushed under the push address: the stash holds both variants.
			if tags := reg.tags("lab/" + lab.StashName); len(tags) != 2 {
				t.Errorf("the registry's stash tags = %v, want node and registry (pushed to %s)", tags, reg.host)
			}
			var deploys, warms int
			for _, call := range f.journal() {
				kind, _, _ := strings.Cut(call, " ")
				if kind != "deploy" && kind != "warm" && kind != "rmi" {
					continue
				}
				if kind == "deploy" {
					deploys++
				}
				if kind == "warm" {
					warms++
				}
				if !strings.Contains(call, " "+pullHost+"/lab/custom-image-java") || strings.Contains(call, reg.host) {
					t.Errorf("%q does not name the pull repository %s/lab/custom-image-java", call, pullHost)
				}
			}
			if deploys == 0 || warms == 0 {
				t.Errorf("the run deployed %d times and warmed %d times; the check above proves nothing: %q", deploys, warms, f.journal())
			}
			var got struct {
				Auths map[string]struct{ Username, Password string }
			}
			if err := json.Unmarshal(f.secrets["lab"], &got); err != nil {
				t.Fatalf("pull secret: %v", err)
			}
			if e, ok := got.Auths[pullHost]; len(got.Auths) != 1 || !ok || e.Username != testUser || e.Password != testPassword {
				t.Errorf("the pull secret must hold the credentials under %s only; it has %d entries (%v)", pullHost, len(got.Auths), ok)
			}
			fellBack := strings.Contains(logs.String(), "using the ones given for its other address")
			if fellBack != (keyedBy != "both") {
				t.Errorf("debug log of the fallback to the other host's credentials: %v, want %v", fellBack, keyedBy != "both")
			}
			var out bytes.Buffer
			if err := res.WriteJSON(&out); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out.String(), `"appRepository": "`+pullHost+`/lab/custom-image-java"`) || !strings.Contains(out.String(), `"appPushRepository": "`+reg.host+`/lab/custom-image-java"`) {
				t.Errorf("results.json does not name the pull and push repositories:\n%s", out.String())
			}
			texts := append(st.lines, logs.String(), out.String())
			if runErr != nil {
				texts = append(texts, runErr.Error())
			}
			assertNoSecret(t, texts...)
		})
	}
}
