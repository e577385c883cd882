package target

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"go.yaml.in/yaml/v3"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/rest"
	k8stesting "k8s.io/client-go/testing"

	"github.com/pulllab/pulllab/lab"
	"github.com/pulllab/pulllab/lab/kube"
	"github.com/pulllab/pulllab/lab/openshift"
)

// testRegistry is an in-process OCI registry on 127.0.0.1 that serves a
// base image (USER 185, linux/amd64) under base/server:1; it returns the
// registry's host:port.
func testRegistry(t *testing.T) string {
	t.Helper()
	t.Setenv("DOCKER_CONFIG", t.TempDir()) // no credentials from this machine
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	// one layer holding the directory the server deploys from (the kube
	// backend checks it exists before it changes anything)
	var tb bytes.Buffer
	tw := tar.NewWriter(&tb)
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: "deployments/", Mode: 0o775}); err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(tb.Bytes())), nil })
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		t.Fatal(err)
	}
	img, err = mutate.ConfigFile(img, &v1.ConfigFile{OS: "linux", Architecture: "amd64", Config: v1.Config{User: "185", WorkingDir: "/deployments"}})
	if err != nil {
		t.Fatal(err)
	}
	ref, err := name.ParseReference(u.Host+"/base/server:1", name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img); err != nil {
		t.Fatal(err)
	}
	return u.Host
}

// readyNode is a schedulable linux/amd64 node.
func readyNode() *corev1.Node {
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: "node1", Labels: map[string]string{corev1.LabelArchStable: "amd64"}},
		Status: corev1.NodeStatus{
			Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}},
			NodeInfo:   corev1.NodeSystemInfo{Architecture: "amd64", OperatingSystem: "linux"},
		},
	}
}

// labNamespace is a namespace as pulllab labels it (or, with mine false,
// one somebody else made).
func labNamespace(name string, mine bool) *corev1.Namespace {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if mine {
		ns.Labels = map[string]string{lab.LabelManagedBy: lab.ManagedBy, lab.LabelLabID: "pulllab"}
	}
	return ns
}

func fakeCluster(flavor Flavor, objs ...*corev1.Namespace) (*Cluster, *fake.Clientset) {
	cs := fake.NewClientset(readyNode())
	for _, ns := range objs {
		_ = cs.Tracker().Add(ns)
	}
	cs.ClearActions()
	return &Cluster{Config: &rest.Config{Host: "https://127.0.0.1:1"}, Client: cs, Flavor: flavor}, cs
}

// changes are the actions that change something.
func changes(cs *fake.Clientset) []string {
	var out []string
	for _, a := range cs.Actions() {
		switch a.GetVerb() {
		case "get", "list", "watch":
			continue
		}
		out = append(out, a.GetVerb()+" "+a.GetResource().Resource+" "+actionName(a))
	}
	return out
}

func actionName(a k8stesting.Action) string {
	switch a := a.(type) {
	case k8stesting.CreateAction:
		if m, ok := a.GetObject().(metav1.Object); ok {
			return a.GetNamespace() + "/" + m.GetName()
		}
	case k8stesting.DeleteAction:
		return a.GetNamespace() + "/" + a.GetName()
	}
	return a.GetNamespace()
}

// fakeBackend records what a target asks of it.
type fakeBackend struct {
	lab.Backend // nil: the runner is never reached in these tests
	calls       []string
	builds      []lab.Build
	accessErr   error
	st          Status
}

func (f *fakeBackend) lab() lab.Backend { return f.Backend }
func (f *fakeBackend) prepare(context.Context) error {
	f.calls = append(f.calls, "prepare")
	return nil
}
func (f *fakeBackend) base(context.Context) (lab.BaseImage, error) {
	f.calls = append(f.calls, "base")
	return lab.BaseImage{Ref: "base:1", Digest: "sha256:b"}, nil
}
func (f *fakeBackend) build(context.Context) ([]lab.Build, error) {
	f.calls = append(f.calls, "build")
	return f.builds, nil
}
func (f *fakeBackend) checkAccess(context.Context) error {
	f.calls = append(f.calls, "checkAccess")
	return f.accessErr
}
func (f *fakeBackend) status(context.Context) (Status, error) {
	f.calls = append(f.calls, "status")
	return f.st, nil
}
func (f *fakeBackend) teardown(context.Context) error {
	f.calls = append(f.calls, "teardown")
	return nil
}

func twoBuilds(d1, d2 string) []lab.Build {
	return []lab.Build{{Variant: lab.Variants[0], Digest: d1}, {Variant: lab.Variants[1], Digest: d2}}
}

// TestUp: Up prepares the namespace, the base image and both variants, in
// that order, on every target; where no registry is known it refuses
// before anything is changed.
func TestUp(t *testing.T) {
	const reg = "REGISTRY" // each case gets its own registry
	tests := []struct {
		name      string
		flavor    Flavor
		backend   *fakeBackend // nil: the real backend Open picks
		settings  Settings
		wantCalls []string
		wantErr   string
		// wantCreated are namespaces the real backend must leave.
		wantCreated []string
	}{
		{name: "OpenShift", flavor: OpenShift, backend: &fakeBackend{builds: twoBuilds("sha256:1", "sha256:2")}, wantCalls: []string{"prepare", "base", "build"}},
		{name: "OpenShift, variants alike", flavor: OpenShift, backend: &fakeBackend{builds: twoBuilds("sha256:1", "sha256:1")}, wantCalls: []string{"prepare", "base", "build"}, wantErr: "both variants have the digest sha256:1"},
		{name: "Kubernetes", flavor: Kubernetes, settings: Settings{Namespace: "pulllab", Registry: reg, BaseImage: reg + "/base/server:1"}, wantCreated: []string{"pulllab", "pulllab-debug"}},
		{name: "MicroShift with a registry", flavor: MicroShift, settings: Settings{Namespace: "pulllab", Registry: reg, BaseImage: reg + "/base/server:1"}, wantCreated: []string{"pulllab", "pulllab-debug"}},
		{name: "MicroShift without a registry", flavor: MicroShift, settings: Settings{Namespace: "pulllab", BaseImage: reg + "/base/server:1"}, wantErr: "is MicroShift, which has no ImageStreams, builds or internal registry: the lab needs the setting registry"},
		{name: "Kubernetes without a registry", flavor: Kubernetes, settings: Settings{Namespace: "pulllab"}, wantErr: "is plain Kubernetes: the lab needs the setting registry"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := testRegistry(t)
			tt.settings.Registry = strings.ReplaceAll(tt.settings.Registry, reg, r)
			tt.settings.BaseImage = strings.ReplaceAll(tt.settings.BaseImage, reg, r)
			c, cs := fakeCluster(tt.flavor)
			var tg *Target
			if tt.backend != nil {
				tg = newTarget(c, tt.backend, Options{})
			} else {
				var err error
				tg, err = Open(c, tt.settings, Options{})
				if err != nil {
					var rn *RegistryNeededError
					if !errors.As(err, &rn) || rn.Flavor != tt.flavor {
						t.Fatalf("Open: %v, want a *RegistryNeededError for %s", err, tt.flavor)
					}
					if tt.wantErr == "" || !strings.Contains(err.Error(), tt.wantErr) {
						t.Fatalf("Open: %v, want %q", err, tt.wantErr)
					}
					if len(cs.Actions()) > 0 {
						t.Errorf("Open touched the cluster: %v", cs.Actions())
					}
					return
				}
			}
			builds, err := tg.Up(t.Context())
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Up: %v, want %q", err, tt.wantErr)
				}
			} else if err != nil {
				t.Fatalf("Up: %v", err)
			}
			if tt.backend != nil {
				if !slices.Equal(tt.backend.calls, tt.wantCalls) {
					t.Errorf("calls %q, want %q", tt.backend.calls, tt.wantCalls)
				}
				return
			}
			if len(builds) != 2 || builds[0].Digest == builds[1].Digest || !builds[0].Built {
				t.Errorf("builds %+v, want two new builds with different digests", builds)
			}
			for _, ns := range tt.wantCreated {
				got, err := cs.CoreV1().Namespaces().Get(t.Context(), ns, metav1.GetOptions{})
				if err != nil {
					t.Errorf("namespace %s: %v", ns, err)
					continue
				}
				if got.Labels[lab.LabelManagedBy] != lab.ManagedBy {
					t.Errorf("namespace %s labels %v", ns, got.Labels)
				}
			}
			pods, err := cs.CoreV1().Pods("").List(t.Context(), metav1.ListOptions{})
			if err != nil || len(pods.Items) > 0 {
				t.Errorf("up started pods (%v): %v", err, pods)
			}
			// A second Up reuses both variants.
			again, err := tg.Up(t.Context())
			if err != nil {
				t.Fatalf("second Up: %v", err)
			}
			for i := range again {
				if again[i].Built || again[i].Digest != builds[i].Digest {
					t.Errorf("second Up %+v, want %s reused", again[i], builds[i].Digest)
				}
			}
		})
	}
}

// TestTeardown: Teardown deletes the lab's namespaces only when pulllab
// made them (labelled), leaves every other namespace, and is idempotent.
func TestTeardown(t *testing.T) {
	reg := testRegistry(t)
	tests := []struct {
		name       string
		namespaces []*corev1.Namespace
		open       bool // through an opened Target (else the registry-free Teardown)
		wantGone   []string
		wantKept   []string
		wantErr    string
	}{
		{
			name:       "all the lab's, opened",
			namespaces: []*corev1.Namespace{labNamespace("pulllab", true), labNamespace("pulllab-debug", true), labNamespace("pulllab-nocreds", true), labNamespace("default", false), labNamespace("other", true)},
			open:       true,
			wantGone:   []string{"pulllab", "pulllab-debug", "pulllab-nocreds"},
			wantKept:   []string{"default", "other"},
		},
		{
			name:       "all the lab's, without a registry",
			namespaces: []*corev1.Namespace{labNamespace("pulllab", true), labNamespace("pulllab-debug", true), labNamespace("default", false)},
			wantGone:   []string{"pulllab", "pulllab-debug"},
			wantKept:   []string{"default"},
		},
		{
			name:       "a namespace of the lab's name that pulllab did not make",
			namespaces: []*corev1.Namespace{labNamespace("pulllab", false), labNamespace("pulllab-debug", true)},
			open:       true,
			wantGone:   []string{"pulllab-debug"},
			wantKept:   []string{"pulllab"},
			wantErr:    `namespace "pulllab" was not created by pulllab`,
		},
		{name: "nothing there", open: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, cs := fakeCluster(Kubernetes, tt.namespaces...)
			teardown := func() error { return Teardown(t.Context(), c, "pulllab", Options{}) }
			if tt.open {
				tg, err := Open(c, Settings{Namespace: "pulllab", Registry: reg}, Options{})
				if err != nil {
					t.Fatal(err)
				}
				teardown = func() error { return tg.Teardown(t.Context()) }
			}
			err := teardown()
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("Teardown: %v, want %q", err, tt.wantErr)
			}
			for _, ns := range tt.wantGone {
				if _, err := cs.CoreV1().Namespaces().Get(t.Context(), ns, metav1.GetOptions{}); err == nil {
					t.Errorf("namespace %s is still there", ns)
				}
			}
			for _, ns := range tt.wantKept {
				if _, err := cs.CoreV1().Namespaces().Get(t.Context(), ns, metav1.GetOptions{}); err != nil {
					t.Errorf("namespace %s: %v, want it kept", ns, err)
				}
			}
			var deleted []string
			for _, ch := range changes(cs) {
				deleted = append(deleted, strings.TrimPrefix(ch, "delete namespaces /"))
			}
			slices.Sort(deleted)
			want := slices.Clone(tt.wantGone)
			slices.Sort(want)
			if !slices.Equal(deleted, want) {
				t.Errorf("changes %q, want only the deletion of %q", changes(cs), want)
			}
			// Idempotent: a second Teardown deletes nothing more and
			// fails only where the first did.
			cs.ClearActions()
			err2 := teardown()
			if (err2 == nil) != (err == nil) {
				t.Errorf("second Teardown: %v (first: %v)", err2, err)
			}
			if ch := changes(cs); len(ch) > 0 {
				t.Errorf("second Teardown changed %q", ch)
			}
		})
	}
}

// TestStatus: Status is typed (the section of the target's backend) and
// prints as that section alone.
func TestStatus(t *testing.T) {
	reg := testRegistry(t)
	t.Run("Kubernetes, read from the registry and the cluster", func(t *testing.T) {
		c, cs := fakeCluster(Kubernetes)
		tg, err := Open(c, Settings{Namespace: "pulllab", Registry: reg, BaseImage: reg + "/base/server:1"}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		before, err := tg.Status(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if before.Flavor != Kubernetes || before.Kubernetes == nil || before.OpenShift != nil {
			t.Fatalf("status %+v, want the Kubernetes section", before)
		}
		for _, v := range before.Kubernetes.Variants {
			if v.Digest != "" {
				t.Errorf("variant %s has %s before up", v.Variant, v.Digest)
			}
		}
		if !strings.Contains(before.Kubernetes.NodeNote, "does not exist") {
			t.Errorf("node note %q, want why the node was not read", before.Kubernetes.NodeNote)
		}
		if ch := changes(cs); len(ch) > 0 {
			t.Errorf("Status changed %q", ch)
		}
		builds, err := tg.Up(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		// Without the debug namespace Status reads no node (reading it
		// would start a debug pod that a fake cluster never runs).
		if err := cs.Tracker().Delete(corev1.SchemeGroupVersion.WithResource("namespaces"), "", "pulllab-debug"); err != nil {
			t.Fatal(err)
		}
		after, err := tg.Status(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range after.Kubernetes.Variants {
			if v.Digest != builds[i].Digest {
				t.Errorf("variant %s: status %s, up built %s", v.Variant, v.Digest, builds[i].Digest)
			}
		}
		b, err := json.Marshal(after)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		if m["registry"] != reg || m["namespace"] != "pulllab" {
			t.Errorf("JSON %s, want the Kubernetes section itself", b)
		}
	})
	for _, tc := range []struct {
		name     string
		st       Status
		wantJSON string
		wantYAML string
	}{
		{"OpenShift", Status{OpenShift: &openshift.LabStatus{Namespace: "pulllab", Exists: true}}, `"exists":true`, "exists: true"},
		{"note", Status{Flavor: MicroShift, Note: "set the lab's registry"}, `{"note":"set the lab's registry"}`, "note: set the lab's registry"},
		{"Kubernetes", Status{Kubernetes: &kube.LabStatus{Registry: "127.0.0.1:5000"}}, `"registry":"127.0.0.1:5000"`, "registry: 127.0.0.1:5000"},
	} {
		t.Run("printed: "+tc.name, func(t *testing.T) {
			f := &fakeBackend{st: tc.st}
			c, _ := fakeCluster(tc.st.Flavor)
			st, err := newTarget(c, f, Options{}).Status(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			j, err := json.Marshal(st)
			if err != nil || !strings.Contains(string(j), tc.wantJSON) {
				t.Errorf("JSON %s (%v), want %s", j, err, tc.wantJSON)
			}
			y, err := yaml.Marshal(map[string]*Status{"Lab": &st})
			if err != nil || !strings.HasPrefix(string(y), "Lab:\n") || !strings.Contains(string(y), "\n    "+tc.wantYAML+"\n") || strings.Contains(strings.ToLower(string(y)), "flavor") {
				t.Errorf("YAML %s (%v), want %s right under Lab", y, err, tc.wantYAML)
			}
		})
	}
}

// TestVerifyChecksAccessFirst: a user without the rights the lab needs
// gets the access check's error before the runner touches anything.
func TestVerifyChecksAccessFirst(t *testing.T) {
	f := &fakeBackend{accessErr: errors.New("you may not create namespaces")}
	c, _ := fakeCluster(OpenShift)
	res, err := newTarget(c, f, Options{}).Verify(t.Context(), nil, VerifyOptions{})
	if err == nil || !strings.Contains(err.Error(), "may not create namespaces") || res != nil {
		t.Fatalf("Verify = %v, %v; want the access error", res, err)
	}
	if !slices.Equal(f.calls, []string{"checkAccess"}) {
		t.Errorf("calls %q, want only the access check", f.calls)
	}
}

// TestOpenRefusesNoCluster: Open and Teardown need a connected cluster.
func TestOpenRefusesNoCluster(t *testing.T) {
	if _, err := Open(nil, Settings{}, Options{}); err == nil {
		t.Error("Open(nil) succeeded")
	}
	if err := Teardown(t.Context(), &Cluster{}, "pulllab", Options{}); err == nil {
		t.Error("Teardown without a client succeeded")
	}
}
