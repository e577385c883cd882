package kube

import (
	"context"
	"errors"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/pulllab/pulllab/lab"
)

func TestParseLocalRegistryHosting(t *testing.T) {
	tests := []struct {
		name, doc          string
		wantPush, wantPull string
		wantErr            string // substring; empty for success
	}{
		{name: "kind script (host and help only)", doc: "host: \"localhost:5001\"\nhelp: \"https://kind.sigs.k8s.io/docs/user/local-registry/\"\n", wantPush: "localhost:5001", wantPull: "localhost:5001"},
		{name: "split push and pull", doc: "host: localhost:5001\nhostFromContainerRuntime: kind-registry:5000\nhostFromClusterNetwork: kind-registry:5000\n", wantPush: "localhost:5001", wantPull: "kind-registry:5000"},
		{name: "unknown fields are tolerated", doc: "host: 127.0.0.1:5000\nfuture: yes\n", wantPush: "127.0.0.1:5000", wantPull: "127.0.0.1:5000"},
		{name: "empty", doc: "  \n", wantErr: "the key is empty"},
		{name: "no host", doc: "help: https://example.com/setup\n", wantErr: "names no host"},
		{name: "no host carries help", doc: "help: https://example.com/setup\n", wantErr: "https://example.com/setup"},
		{name: "not a mapping", doc: "- a\n- b\n", wantErr: "not a YAML mapping"},
		{name: "bad YAML", doc: "host: [\n", wantErr: "not a YAML mapping"},
		{name: "host with a scheme", doc: "host: http://localhost:5000\n", wantErr: "its host \"http://localhost:5000\" is not a registry address"},
		{name: "bad pull address", doc: "host: localhost:5000\nhostFromContainerRuntime: reg:99999\n", wantErr: "hostFromContainerRuntime"},
		{name: "different paths under push and pull", doc: "host: localhost:5001/a\nhostFromContainerRuntime: kind-registry:5000/b\n", wantErr: `different repository paths ("a", "b")`},
		{name: "a path on host only", doc: "host: localhost:5001/a\nhostFromContainerRuntime: kind-registry:5000\n", wantPush: "localhost:5001/a", wantPull: "kind-registry:5000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := ParseLocalRegistryHosting(tt.doc)
			if tt.wantErr != "" {
				var he *HostingError
				if !errors.As(err, &he) || !errors.Is(err, lab.ErrBadInput) {
					t.Fatalf("error = %v, want a *HostingError (lab.ErrBadInput)", err)
				}
				if !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "lab.registry") {
					t.Fatalf("error %q does not contain %q and the lab.registry advice", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			push, err := h.PushAddress()
			if err != nil || push.String() != tt.wantPush {
				t.Errorf("push = %q, %v; want %q", push, err, tt.wantPush)
			}
			pull, err := h.PullAddress()
			if err != nil || pull.String() != tt.wantPull {
				t.Errorf("pull = %q, %v; want %q", pull, err, tt.wantPull)
			}
		})
	}
}

func hostingCM(data map[string]string) *corev1.ConfigMap {
	return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: HostingNamespace, Name: HostingConfigMap}, Data: data}
}

func TestDiscoverRegistry(t *testing.T) {
	gr := schema.GroupResource{Resource: "configmaps"}
	tests := []struct {
		name     string
		objs     []runtime.Object
		reactErr error
		wantHost string // "" means no announcement
		wantErr  string
	}{
		{name: "no ConfigMap", wantHost: ""},
		{name: "ConfigMap without the key", objs: []runtime.Object{hostingCM(map[string]string{"other": "x"})}},
		{name: "announced", objs: []runtime.Object{hostingCM(map[string]string{HostingKey: "host: localhost:5001\n"})}, wantHost: "localhost:5001"},
		{name: "malformed", objs: []runtime.Object{hostingCM(map[string]string{HostingKey: "host: [\n"})}, wantErr: "not a YAML mapping"},
		{name: "forbidden", reactErr: apierrors.NewForbidden(gr, HostingConfigMap, errors.New("no RBAC")), wantErr: "ask for get on configmaps in kube-public"},
		{name: "server error", reactErr: apierrors.NewInternalError(errors.New("etcd down")), wantErr: "reading the ConfigMap kube-public/local-registry-hosting"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cs := fake.NewSimpleClientset(tt.objs...)
			if tt.reactErr != nil {
				cs.PrependReactor("get", "configmaps", func(k8stesting.Action) (bool, runtime.Object, error) { return true, nil, tt.reactErr })
			}
			h, err := DiscoverRegistry(context.Background(), cs)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if h != nil {
				got = h.Host
			}
			if got != tt.wantHost {
				t.Fatalf("host = %q, want %q", got, tt.wantHost)
			}
		})
	}
}

// FuzzParseLocalRegistryHosting: the document is written by other tools;
// the parser must never panic, and whatever it accepts must give a push
// and a pull address that parse as --registry values.
func FuzzParseLocalRegistryHosting(f *testing.F) {
	for _, s := range []string{
		"host: \"localhost:5001\"\nhelp: \"https://kind.sigs.k8s.io/docs/user/local-registry/\"\n",
		"host: localhost:5001\nhostFromContainerRuntime: kind-registry:5000\n",
		"host: [\n", "- a", "", "host: 1", "{host: \"[::1]:5000/p\"}",
		"host: localhost:5001/a\nhostFromContainerRuntime: kind-registry:5000/b\n",
		"host: localhost:5001/a\nhostFromContainerRuntime: kind-registry:5000\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		h, err := ParseLocalRegistryHosting(doc)
		if err != nil {
			var he *HostingError
			if !errors.As(err, &he) {
				t.Fatalf("error %v is not a *HostingError", err)
			}
			return
		}
		for _, a := range []func() (RegistryAddress, error){h.PushAddress, h.PullAddress} {
			ra, err := a()
			if err != nil {
				t.Fatalf("accepted %q but an address fails: %v", doc, err)
			}
			if _, err := ParseRegistry(ra.String()); err != nil {
				t.Fatalf("address %q does not round-trip: %v", ra, err)
			}
		}
		// What the parser accepts, the split uses: one path under both.
		c, ok, err := SplitRegistry("", "", &h)
		if err != nil || !ok || !c.Announced || c.Push.Prefix != c.Pull.Prefix || c.Status == "" {
			t.Fatalf("accepted %q but SplitRegistry = %+v, %v, %v", doc, c, ok, err)
		}
	})
}
