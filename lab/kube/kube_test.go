package kube

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/pulllab/pulllab/lab"
	"github.com/pulllab/pulllab/lab/workload"
)

func newTestBackend(t *testing.T, c Cluster, o Options) *Backend {
	t.Helper()
	if o.Registry == "" {
		// The default lab registry, 127.0.0.1:5000, is an in-process
		// registry reached through the transport (no socket), serving a
		// usable base image so that Prepare's pre-run checks pass.
		o.Registry = "127.0.0.1:5000"
		if o.Transport == nil {
			o.Transport = inProcessRegistry(t, map[string]v1.Image{"base/appserver:1": randomImage(t)})
		}
		if o.BaseImage == "" {
			o.BaseImage = o.Registry + "/base/appserver:1"
		}
	}
	if o.Keychain == nil {
		// Hermetic: never the docker config of the machine running the tests.
		o.Keychain = noCredentials{}
	}
	b, err := NewWithCluster(c, o)
	if err != nil {
		t.Fatalf("NewWithCluster: %v", err)
	}
	return b
}

func TestRefs(t *testing.T) {
	const d = "sha256:07e027be83d259c84cb024292052a7fc1c8d3138823089b82e5e92bbc0c0516b"
	tests := []struct {
		name            string
		o               Options
		appTag, appDig  string
		stash, debugNS  string
		insecure        bool
		repo, stashRepo string
	}{
		{
			name:   "loopback default namespace",
			o:      Options{Registry: "127.0.0.1:5000"},
			appTag: "127.0.0.1:5000/pulllab/custom-image-java:v1", appDig: "127.0.0.1:5000/pulllab/custom-image-java@" + d,
			stash: "127.0.0.1:5000/pulllab/pulllab-variants:node", debugNS: "pulllab-debug", insecure: true,
			repo: "127.0.0.1:5000/pulllab/custom-image-java", stashRepo: "127.0.0.1:5000/pulllab/pulllab-variants",
		},
		{
			name:   "prefix and namespace",
			o:      Options{Registry: "registry.example.com/team/", Namespace: "lab1"},
			appTag: "registry.example.com/team/lab1/custom-image-java:v1", appDig: "registry.example.com/team/lab1/custom-image-java@" + d,
			stash: "registry.example.com/team/lab1/pulllab-variants:node", debugNS: "lab1-debug", insecure: false,
			repo: "registry.example.com/team/lab1/custom-image-java", stashRepo: "registry.example.com/team/lab1/pulllab-variants",
		},
		{
			name:   "insecure remote registry",
			o:      Options{Registry: "registry.lab:5000", Insecure: true},
			appTag: "registry.lab:5000/pulllab/custom-image-java:v1", appDig: "registry.lab:5000/pulllab/custom-image-java@" + d,
			stash: "registry.lab:5000/pulllab/pulllab-variants:node", debugNS: "pulllab-debug", insecure: true,
			repo: "registry.lab:5000/pulllab/custom-image-java", stashRepo: "registry.lab:5000/pulllab/pulllab-variants",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := newTestBackend(t, newFakeCluster("amd64"), tc.o)
			if got := b.AppRef("v1"); got != tc.appTag {
				t.Errorf("AppRef = %q, want %q", got, tc.appTag)
			}
			if got := b.AppDigestRef(d); got != tc.appDig {
				t.Errorf("AppDigestRef = %q, want %q", got, tc.appDig)
			}
			if got := b.StashRef(lab.VariantNode); got != tc.stash {
				t.Errorf("StashRef = %q, want %q", got, tc.stash)
			}
			if b.AppRepository() != tc.repo || b.StashRepository() != tc.stashRepo {
				t.Errorf("repositories = %q, %q, want %q, %q", b.AppRepository(), b.StashRepository(), tc.repo, tc.stashRepo)
			}
			if b.DebugNamespace() != tc.debugNS {
				t.Errorf("DebugNamespace = %q, want %q", b.DebugNamespace(), tc.debugNS)
			}
			if b.insecure != tc.insecure {
				t.Errorf("insecure = %v, want %v", b.insecure, tc.insecure)
			}
			if b.Kind() != "kubernetes" {
				t.Errorf("Kind = %q", b.Kind())
			}
		})
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	tests := []struct {
		name string
		o    Options
		flag string
		want string
	}{
		{"no registry", Options{}, "lab.registry", "is required"},
		{"bad registry", Options{Registry: "http://127.0.0.1:5000"}, "lab.registry", "drop the scheme"},
		{"bad base image", Options{Registry: "127.0.0.1:5000", BaseImage: "Registry.example.com/UPPER:tag"}, "lab.baseImage", "not an image reference"},
		{"bad debug image", Options{Registry: "127.0.0.1:5000", DebugImage: "busybox:bad tag"}, "lab.debugImage", "not an image reference"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewWithCluster(newFakeCluster("amd64"), tc.o)
			var oe *OptionError
			if !errors.As(err, &oe) {
				t.Fatalf("NewWithCluster error = %v, want *OptionError", err)
			}
			if oe.Setting != tc.flag || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, lab.ErrBadInput) {
				t.Errorf("error = %q (setting %s), want setting %s and text %q", err, oe.Setting, tc.flag, tc.want)
			}
		})
	}
}

func TestPrepareAndCleanupOrder(t *testing.T) {
	f := newFakeCluster("amd64")
	b := newTestBackend(t, f, Options{Namespace: "lab"})
	ctx := context.Background()

	if b.running() != nil {
		t.Error("a node debug pod runs before Prepare")
	}
	site, err := b.Prepare(ctx)
	if err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	if b.running() == nil || site.NodeCache != b.running() {
		t.Error("Prepare did not hand out the node debug pod it started")
	}
	repos := "127.0.0.1:5000/lab/custom-image-java,127.0.0.1:5000/lab/pulllab-variants"
	want := []string{
		"pick ",
		"ensure lab privileged=false",
		"pull-secret lab none",
		"ensure lab-debug privileged=true",
		"pull-secret lab-debug none",
		"start lab-debug/node-1 " + repos,
	}
	if got := f.journal(); !reflect.DeepEqual(got, want) {
		t.Fatalf("Prepare calls:\n got %q\nwant %q", got, want)
	}

	d := lab.Deployment{Name: lab.AppName, Image: b.AppRef("v1"), Policy: lab.PolicyIfNotPresent, CaseID: 6}
	if err := site.Workload.Warm(ctx, b.AppRef("v1")); err != nil {
		t.Fatal(err)
	}
	if err := site.Workload.Deploy(ctx, d); err != nil {
		t.Fatal(err)
	}
	if _, err := site.Workload.Observe(ctx, d, time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := site.Workload.Undeploy(ctx, lab.AppName); err != nil {
		t.Fatal(err)
	}
	if _, err := site.NodeCache.NodeImages(ctx); err != nil {
		t.Fatal(err)
	}
	if err := site.NodeCache.RemoveNodeImage(ctx, b.AppRef("v1")); err != nil {
		t.Fatal(err)
	}
	if err := b.Cleanup(ctx); err != nil {
		t.Fatalf("Cleanup: %v", err)
	}
	want = append(want,
		"warm lab@node-1 127.0.0.1:5000/lab/custom-image-java:v1",
		"deploy lab@node-1 custom-image-java 127.0.0.1:5000/lab/custom-image-java:v1",
		"observe lab@node-1 custom-image-java 1m0s",
		"undeploy lab@node-1 custom-image-java",
		"images",
		"rmi 127.0.0.1:5000/lab/custom-image-java:v1",
		"exists lab-nocreds",
		"cleanup lab",
		"stop lab-debug/node-1 "+repos,
	)
	if got := f.journal(); !reflect.DeepEqual(got, want) {
		t.Fatalf("calls:\n got %q\nwant %q", got, want)
	}
	if b.running() != nil {
		t.Error("the backend still holds the node debug pod after Cleanup")
	}
}

func TestPrepareStopsAtFirstFailure(t *testing.T) {
	f := newFakeCluster("amd64")
	f.fail["ensure pulllab-debug privileged=true"] = errors.New("forbidden")
	b := newTestBackend(t, f, Options{})
	_, err := b.Prepare(context.Background())
	if err == nil || !strings.Contains(err.Error(), `preparing debug namespace "pulllab-debug": forbidden`) {
		t.Fatalf("Prepare = %v, want the debug namespace error", err)
	}
	for _, c := range f.journal() {
		if strings.HasPrefix(c, "start ") {
			t.Errorf("the debug pod was started after the namespace failed: %q", f.journal())
		}
	}
}

func TestPrepareNodeError(t *testing.T) {
	f := newFakeCluster("amd64")
	f.pickErr = errors.New(`node "gone" not found`)
	b := newTestBackend(t, f, Options{Node: "gone"})
	_, err := b.Prepare(context.Background())
	if err == nil || !strings.Contains(err.Error(), `choosing the lab's node: node "gone" not found`) {
		t.Fatalf("Prepare = %v, want a node error", err)
	}
	if got := f.journal(); !reflect.DeepEqual(got, []string{"pick gone"}) {
		t.Errorf("calls = %q, want only the node pick", got)
	}
}

func TestCleanupRunsBothStepsAndJoinsErrors(t *testing.T) {
	f := newFakeCluster("amd64")
	f.fail["cleanup pulllab"] = errors.New("apiserver down")
	b := newTestBackend(t, f, Options{})
	// Without Prepare: Cleanup still removes what an earlier run left.
	err := b.Cleanup(context.Background())
	if err == nil || !strings.Contains(err.Error(), `cleaning up namespace "pulllab": apiserver down`) {
		t.Fatalf("Cleanup = %v, want the workload error", err)
	}
	want := []string{"exists pulllab-nocreds", "cleanup pulllab", "stop pulllab-debug/ 127.0.0.1:5000/pulllab/custom-image-java,127.0.0.1:5000/pulllab/pulllab-variants"}
	if got := f.journal(); !reflect.DeepEqual(got, want) {
		t.Errorf("calls = %q, want %q", got, want)
	}
}

func TestTeardownDeletesTheNamespaces(t *testing.T) {
	f := newFakeCluster("amd64")
	f.fail["delete pulllab"] = errors.New("not ours")
	b := newTestBackend(t, f, Options{})
	err := b.Teardown(context.Background())
	if err == nil || !strings.Contains(err.Error(), `deleting namespace "pulllab": not ours`) {
		t.Fatalf("Teardown = %v, want the first namespace's error", err)
	}
	if got, want := f.journal(), []string{"delete pulllab", "delete pulllab-nocreds", "delete pulllab-debug"}; !reflect.DeepEqual(got, want) {
		t.Errorf("calls = %q, want %q", got, want)
	}
}

func TestEnvironment(t *testing.T) {
	t.Run("prepared", func(t *testing.T) {
		f := newFakeCluster("arm64")
		b := newTestBackend(t, f, Options{Namespace: "lab", BaseImageReason: lab.BaseReasonKubernetes})
		if _, err := b.Prepare(context.Background()); err != nil {
			t.Fatal(err)
		}
		env, err := b.Environment(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		want := lab.Environment{
			Target:            "kubernetes",
			KubernetesVersion: "v1.34.4",
			KubeletVersion:    "v1.34.4",
			ContainerRuntime:  "containerd v1.6.20",
			Node:              "node-1",
			OSImage:           "Debian GNU/Linux 12 (bookworm)",
			Namespace:         "lab",
			AppRepository:     "127.0.0.1:5000/lab/custom-image-java",
			BaseImageReason:   lab.BaseReasonKubernetes,
			// The fake's facts read no kubelet: inferred, and marked so.
			KubeletImageCredentials: lab.InferKubeletImageCredentials("v1.34.4", workload.KubeletNotRead),
		}
		want.EnsureSecretPulledImages = want.KubeletImageCredentials.Summary()
		if !reflect.DeepEqual(env, want) {
			t.Errorf("Environment =\n %+v\nwant\n %+v", env, want)
		}
	})
	t.Run("runtime unreadable falls back to the node's", func(t *testing.T) {
		f := newFakeCluster("amd64")
		f.fail["runtime"] = errors.New("crictl: not found")
		f.facts.KubeletVersion = "v1.35.0"
		b := newTestBackend(t, f, Options{})
		if _, err := b.Prepare(context.Background()); err != nil {
			t.Fatal(err)
		}
		env, err := b.Environment(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if env.ContainerRuntime != "containerd 1.6.20" || !strings.HasPrefix(env.EnsureSecretPulledImages, "on: inferred from the kubelet version;") || env.BaseImageReason != lab.BaseReasonUser {
			t.Errorf("Environment = %+v", env)
		}
	})
	t.Run("facts fail", func(t *testing.T) {
		f := newFakeCluster("amd64")
		f.fail["facts node-1"] = errors.New("forbidden")
		b := newTestBackend(t, f, Options{})
		if _, err := b.Environment(context.Background()); err == nil || !strings.Contains(err.Error(), "reading cluster facts: forbidden") {
			t.Errorf("Environment error = %v", err)
		}
	})
}

// noCredentials is a keychain with nothing in it.
type noCredentials struct{}

func (noCredentials) Resolve(authn.Resource) (authn.Authenticator, error) {
	return authn.Anonymous, nil
}
