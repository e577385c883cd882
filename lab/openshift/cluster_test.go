package openshift

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	fakediscovery "k8s.io/client-go/discovery/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/pulllab/pulllab/lab"
)

func TestDetect(t *testing.T) {
	tests := []struct {
		name    string
		groups  []string
		fail    bool
		want    Distribution
		wantErr bool
	}{
		{name: "openshift", groups: []string{"v1", "apps/v1", "image.openshift.io/v1", "build.openshift.io/v1", "route.openshift.io/v1", "security.openshift.io/v1", "project.openshift.io/v1"}, want: Full},
		{name: "openshift without route", groups: []string{"v1", "image.openshift.io/v1", "build.openshift.io/v1"}, want: Full},
		{name: "microshift", groups: []string{"v1", "apps/v1", "route.openshift.io/v1", "security.openshift.io/v1"}, want: MicroShift},
		{name: "microshift, route only", groups: []string{"v1", "route.openshift.io/v1"}, want: MicroShift},
		{name: "image without build is not OpenShift", groups: []string{"v1", "image.openshift.io/v1", "route.openshift.io/v1"}, want: MicroShift},
		{name: "image only", groups: []string{"v1", "image.openshift.io/v1"}, want: NotOpenShift},
		{name: "build only", groups: []string{"v1", "build.openshift.io/v1"}, want: NotOpenShift},
		{name: "kubernetes", groups: []string{"v1", "apps/v1", "networking.k8s.io/v1"}, want: NotOpenShift},
		{name: "a lookalike group", groups: []string{"v1", "routes.openshift.io.example.com/v1"}, want: NotOpenShift},
		{name: "unreachable", fail: true, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &k8stesting.Fake{}
			if tt.fail {
				f.AddReactor("get", "group", func(k8stesting.Action) (bool, runtime.Object, error) {
					return true, nil, errors.New("connection refused")
				})
			}
			d := &fakediscovery.FakeDiscovery{Fake: f}
			for _, g := range tt.groups {
				d.Resources = append(d.Resources, &metav1.APIResourceList{GroupVersion: g})
			}
			got, err := Detect(d)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if tt.wantErr && !strings.Contains(err.Error(), "connection refused") {
				t.Errorf("error %q does not carry the cause", err)
			}
			if got != tt.want {
				t.Errorf("Detect = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestConnectCreatesProject(t *testing.T) {
	c := newCluster(t)
	b := c.backend(Options{})
	if err := b.Connect(context.Background()); err != nil {
		t.Fatal(err)
	}
	var req *k8stesting.CreateActionImpl
	for _, a := range c.project.Actions() {
		if ca, ok := a.(k8stesting.CreateActionImpl); ok && a.GetResource().Resource == "projectrequests" {
			req = &ca
		}
	}
	if req == nil {
		t.Fatal("no ProjectRequest was created")
	}
	ns, err := c.kube.CoreV1().Namespaces().Get(context.Background(), testNS, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if ns.Labels[lab.LabelManagedBy] != lab.ManagedBy || ns.Labels[lab.LabelLabID] != testNS {
		t.Errorf("project labels = %v, want pulllab's", ns.Labels)
	}
	out := c.status.text()
	for _, want := range []string{"start: Connecting to the OpenShift cluster", "info: OpenShift 4.21.8", "info: Project pulllab is ready", "end: true"} {
		if !strings.Contains(out, want) {
			t.Errorf("status lacks %q:\n%s", want, out)
		}
	}
}

func TestConnectProjectExists(t *testing.T) {
	tests := []struct {
		name         string
		ns           *corev1.Namespace
		wantErr      string
		wantLabelled bool
	}{
		{
			name:         "ours",
			ns:           &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: testNS, Labels: map[string]string{lab.LabelManagedBy: lab.ManagedBy, lab.LabelLabID: "x"}}},
			wantLabelled: true,
		},
		{
			name:    "someone else's",
			ns:      &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: testNS, Labels: map[string]string{"team": "a"}}},
			wantErr: "pulllab did not create it",
		},
		{
			name:         "requested by pulllab but not labelled yet",
			ns:           &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: testNS, Annotations: map[string]string{annotationDescription: projectDescription}}},
			wantLabelled: true,
		},
		{
			name:    "being deleted",
			ns:      &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: testNS, Labels: map[string]string{lab.LabelManagedBy: lab.ManagedBy}}, Status: corev1.NamespaceStatus{Phase: corev1.NamespaceTerminating}},
			wantErr: "being deleted",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCluster(t, tt.ns, readySA("builder"), readySA("default"), pullSecret("builder", true), pullSecret("default", true))
			b := c.backend(Options{})
			err := b.Connect(context.Background())
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to say %q", err, tt.wantErr)
				}
				if !strings.Contains(c.status.text(), "end: false") {
					t.Errorf("the step did not end as failed:\n%s", c.status.text())
				}
			} else if err != nil {
				t.Fatal(err)
			}
			for _, a := range c.project.Actions() {
				if a.GetVerb() == "create" {
					t.Errorf("an existing project must not be requested again: %v", a)
				}
			}
			ns, _ := c.kube.CoreV1().Namespaces().Get(context.Background(), testNS, metav1.GetOptions{})
			if got := ns.Labels[lab.LabelManagedBy] == lab.ManagedBy; got != tt.wantLabelled && tt.wantErr == "" {
				t.Errorf("labelled = %v, want %v (labels %v)", got, tt.wantLabelled, ns.Labels)
			}
			if tt.name == "someone else's" && ns.Labels[lab.LabelManagedBy] != "" {
				t.Errorf("someone else's project was labelled: %v", ns.Labels)
			}
		})
	}
}

func TestConnectAccessDenied(t *testing.T) {
	c := newCluster(t)
	c.deny["pods"] = true
	c.deny["buildconfigs/instantiatebinary"] = true
	c.deny["imagestreamimports"] = true
	b := c.backend(Options{})
	err := b.Connect(context.Background())
	var ae *AccessError
	if !errors.As(err, &ae) {
		t.Fatalf("err = %v, want an *AccessError", err)
	}
	msg := err.Error()
	for _, want := range []string{"kube:admin", "create pods in namespace pulllab-debug", "buildconfigs/instantiatebinary", "create imagestreamimports in namespace pulllab", "cluster-admin"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "list nodes") {
		t.Errorf("error names an allowed permission:\n%s", msg)
	}
	if len(c.project.Actions()) != 0 {
		t.Errorf("a project was requested although access is missing: %v", c.project.Actions())
	}
}

func TestConnectNotOpenShift(t *testing.T) {
	c := newCluster(t)
	c.kube.Discovery().(*fakediscovery.FakeDiscovery).Resources = []*metav1.APIResourceList{{GroupVersion: "v1"}, {GroupVersion: "apps/v1"}}
	err := c.backend(Options{}).Connect(context.Background())
	if err == nil || !strings.Contains(err.Error(), "not OpenShift") || !strings.Contains(err.Error(), "lab.registry") {
		t.Fatalf("err = %v, want it to say the cluster is not OpenShift and point at lab.registry", err)
	}
}

func TestConnectWaitsForPullSecrets(t *testing.T) {
	old := pollInterval
	pollInterval = 10 * time.Millisecond
	t.Cleanup(func() { pollInterval = old })
	c := newCluster(t)
	c.saReady = false
	b := c.backend(Options{WaitTimeout: 100 * time.Millisecond})
	err := b.Connect(context.Background())
	if err == nil || !strings.Contains(err.Error(), "image pull secret") || !strings.Contains(err.Error(), "image-registry") {
		t.Fatalf("err = %v, want it to explain the missing pull secrets", err)
	}
}

// The 4.16+ sequence: the service accounts already point at their
// dockercfg Secrets but the Secrets are still empty ("{}"); the wait goes
// on until they hold registry credentials, and says what it waits for
// when they never do (without printing the secret).
func TestConnectWaitsForAUsablePullSecret(t *testing.T) {
	old := pollInterval
	pollInterval = 10 * time.Millisecond
	t.Cleanup(func() { pollInterval = old })
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: testNS, Labels: map[string]string{lab.LabelManagedBy: lab.ManagedBy, lab.LabelLabID: "x"}}}
	tests := []struct {
		name    string
		objs    []runtime.Object
		fill    bool
		wantErr string
	}{
		{name: "empty secrets never filled", objs: []runtime.Object{readySA("builder"), readySA("default"), pullSecret("builder", false), pullSecret("default", false)},
			wantErr: `the image pull secret "builder-dockercfg-abcde" of service account "builder" holds no registry credentials yet`},
		{name: "referenced secret missing", objs: []runtime.Object{readySA("builder"), readySA("default")},
			wantErr: `the image pull secret "builder-dockercfg-abcde" of service account "builder" does not exist yet`},
		{name: "filled while waiting", objs: []runtime.Object{readySA("builder"), readySA("default"), pullSecret("builder", false), pullSecret("default", false)}, fill: true},
		{name: "a dockerconfigjson secret counts too", objs: []runtime.Object{readySA("builder"), readySA("default"), pullSecret("builder", true), &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Name: "default-dockercfg-abcde", Namespace: testNS},
			Type:       corev1.SecretTypeDockerConfigJson,
			Data:       map[string][]byte{corev1.DockerConfigJsonKey: []byte(`{"auths":{"r.example.com":{"auth":"eA=="}}}`)},
		}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCluster(t, append([]runtime.Object{ns}, tt.objs...)...)
			timeout := 200 * time.Millisecond
			if tt.fill {
				timeout = 10 * time.Second
				go func() {
					time.Sleep(50 * time.Millisecond) // the controller fills the secrets a moment later
					for _, sa := range serviceAccounts {
						if _, err := c.kube.CoreV1().Secrets(testNS).Update(context.Background(), pullSecret(sa, true), metav1.UpdateOptions{}); err != nil {
							t.Error(err)
						}
					}
				}()
			}
			b := c.backend(Options{WaitTimeout: timeout})
			err := b.Connect(context.Background())
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), "not-a-real-token") {
				t.Error("the pull secret leaked into the error")
			}
			for _, e := range c.hook.AllEntries() {
				if s, _ := e.String(); strings.Contains(s, "not-a-real-token") || strings.Contains(s, "eA==") {
					t.Errorf("the pull secret leaked into the log: %s", s)
				}
			}
		})
	}
}

func TestNewWithClientsRejectsBadOptions(t *testing.T) {
	tests := []struct {
		name string
		o    Options
		flag string
	}{
		{"bad base image", Options{BaseImage: "Registry/UPPER:tag:tag"}, "lab.baseImage"},
		{"bad debug image", Options{DebugImage: "::"}, "lab.debugImage"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCluster(t)
			_, err := NewWithClients(c.clients(), tt.o)
			var oe *OptionError
			if !errors.As(err, &oe) || oe.Setting != tt.flag {
				t.Fatalf("err = %v, want an *OptionError for %s", err, tt.flag)
			}
		})
	}
	t.Run("bad lab ID", func(t *testing.T) {
		_, err := NewWithClients(newCluster(t).clients(), Options{LabID: "no spaces allowed"})
		if err == nil || !strings.Contains(err.Error(), "lab ID") || errors.Is(err, lab.ErrBadInput) {
			t.Fatalf("err = %v, want a lab ID error that is not the user's input", err)
		}
	})
	t.Run("missing clients", func(t *testing.T) {
		_, err := NewWithClients(Clients{}, Options{})
		if err == nil || !strings.Contains(err.Error(), "BuildREST") {
			t.Fatalf("err = %v, want it to name the missing clients", err)
		}
	})
}

func TestDefaults(t *testing.T) {
	c := newCluster(t)
	b := c.backend(Options{})
	if b.Kind() != "openshift" || b.Namespace() != "pulllab" || b.DebugNamespace() != "pulllab-debug" {
		t.Errorf("kind %q namespace %q debug %q", b.Kind(), b.Namespace(), b.DebugNamespace())
	}
	if b.BaseImage() != DefaultBaseImage || b.BaseImageStreamTag() != "eap74-openjdk11-openshift-rhel8:7.4.21-2.1743444175" {
		t.Errorf("base %q tag %q", b.BaseImage(), b.BaseImageStreamTag())
	}
	if b.o.Profile.Name != lab.ProfileWildFly.Name {
		t.Errorf("profile %q, want wildfly for EAP", b.o.Profile.Name)
	}
	if got := b.AppRef("v1"); got != "image-registry.openshift-image-registry.svc:5000/pulllab/custom-image-java:v1" {
		t.Errorf("AppRef = %q", got)
	}
	if got := b.AppDigestRef(digestOf("a")); got != "image-registry.openshift-image-registry.svc:5000/pulllab/custom-image-java@"+digestOf("a") {
		t.Errorf("AppDigestRef = %q", got)
	}
}
