package workload

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	k8stesting "k8s.io/client-go/testing"

	"github.com/pulllab/pulllab/lab"
)

var saResource = schema.GroupVersionResource{Version: "v1", Resource: "serviceaccounts"}

// withServiceAccountAdmission makes the fake clientset behave like the API
// server's ServiceAccount admission: a pod gets its ServiceAccount's
// imagePullSecrets, and a pod whose ServiceAccount does not exist is
// refused.
func withServiceAccountAdmission(h *harness) {
	h.cs.PrependReactor("create", "pods", func(action k8stesting.Action) (bool, runtime.Object, error) {
		pod := action.(k8stesting.CreateAction).GetObject().(*corev1.Pod)
		name := pod.Spec.ServiceAccountName
		if name == "" {
			name = DefaultServiceAccount
		}
		obj, err := h.cs.Tracker().Get(saResource, action.GetNamespace(), name)
		if err != nil {
			return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "pods"}, pod.Name,
				fmt.Errorf("error looking up service account %s/%s: %w", action.GetNamespace(), name, err))
		}
		pod.Spec.ServiceAccountName = name
		if len(pod.Spec.ImagePullSecrets) == 0 {
			pod.Spec.ImagePullSecrets = slices.Clone(obj.(*corev1.ServiceAccount).ImagePullSecrets)
		}
		return false, nil, nil
	})
}

// addServiceAccount plays the ServiceAccount controller for ns.
func addServiceAccount(t *testing.T, h *harness, ns string, pullSecrets ...string) {
	t.Helper()
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: DefaultServiceAccount, Namespace: ns}}
	for _, s := range pullSecrets {
		sa.ImagePullSecrets = append(sa.ImagePullSecrets, corev1.LocalObjectReference{Name: s})
	}
	if _, err := h.cs.CoreV1().ServiceAccounts(ns).Create(context.Background(), sa, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func secretClient(h *harness, ns string) *Client {
	return New(h.cs, Options{Namespace: ns, Node: "node-1", LabID: "pulllab"})
}

func labSecret(ns string, typ corev1.SecretType, data string, labels map[string]string) *corev1.Secret {
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: PullSecretName, Namespace: ns, Labels: labels},
		Type:       typ,
		Data:       map[string][]byte{corev1.DockerConfigJsonKey: []byte(data)},
	}
}

var labLabels = map[string]string{lab.LabelManagedBy: lab.ManagedBy, lab.LabelLabID: "pulllab"}

func TestEnsurePullSecret(t *testing.T) {
	const ns = "pulllab"
	const cfg = `{"auths":{"127.0.0.1:5001":{"auth":"dTpw"}}}`
	tests := []struct {
		name string
		// objs exist before; saLate creates the ServiceAccount only once
		// EnsurePullSecret watches for it.
		objs        []runtime.Object
		saLate      bool
		saSecrets   []string
		config      []byte
		wantErr     string
		wantSecret  string // "" = no lab secret afterwards
		wantOnSA    []string
		wantUpdates int
	}{
		{name: "fresh namespace: the ServiceAccount appears later", saLate: true, config: []byte(cfg),
			wantSecret: cfg, wantOnSA: []string{PullSecretName}},
		{name: "keeps the ServiceAccount's other pull secrets", saSecrets: []string{"team-registry"}, config: []byte(cfg),
			wantSecret: cfg, wantOnSA: []string{"team-registry", PullSecretName}},
		{name: "updates old credentials", objs: []runtime.Object{labSecret(ns, corev1.SecretTypeDockerConfigJson, `{"auths":{}}`, labLabels)},
			saSecrets: []string{PullSecretName}, config: []byte(cfg), wantSecret: cfg, wantOnSA: []string{PullSecretName}, wantUpdates: 1},
		{name: "replaces a lab secret of another type", objs: []runtime.Object{labSecret(ns, corev1.SecretTypeOpaque, cfg, labLabels)},
			config: []byte(cfg), wantSecret: cfg, wantOnSA: []string{PullSecretName}},
		{name: "refuses a secret that is not the lab's", objs: []runtime.Object{labSecret(ns, corev1.SecretTypeDockerConfigJson, "x", nil)},
			config: []byte(cfg), wantErr: "is not the lab's", wantOnSA: nil, wantSecret: "x"},
		{name: "no credentials: removes the lab's secret and reference", objs: []runtime.Object{labSecret(ns, corev1.SecretTypeDockerConfigJson, cfg, labLabels)},
			saSecrets: []string{"team-registry", PullSecretName}, config: nil, wantOnSA: []string{"team-registry"}},
		{name: "no credentials and nothing there", config: nil, wantOnSA: nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, tc.objs...)
			updates := 0
			h.cs.PrependReactor("update", "secrets", func(k8stesting.Action) (bool, runtime.Object, error) {
				updates++
				return false, nil, nil
			})
			if !tc.saLate {
				addServiceAccount(t, h, ns, tc.saSecrets...)
			}
			c := secretClient(h, ns)
			done := make(chan error, 1)
			go func() { done <- c.EnsurePullSecret(context.Background(), tc.config) }()
			if tc.saLate {
				h.waitWatch("serviceaccounts")
				addServiceAccount(t, h, ns, tc.saSecrets...)
			}
			err := <-done
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tc.wantErr)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			s, err := h.cs.CoreV1().Secrets(ns).Get(context.Background(), PullSecretName, metav1.GetOptions{})
			switch {
			case tc.wantSecret == "" && !apierrors.IsNotFound(err):
				t.Errorf("secret left behind: %v %v", s, err)
			case tc.wantSecret != "" && err != nil:
				t.Fatalf("secret: %v", err)
			case tc.wantSecret != "":
				if got := string(s.Data[corev1.DockerConfigJsonKey]); got != tc.wantSecret {
					t.Errorf("secret data = %q, want %q", got, tc.wantSecret)
				}
				if tc.wantErr == "" && (s.Type != corev1.SecretTypeDockerConfigJson || s.Labels[lab.LabelLabID] != "pulllab") {
					t.Errorf("secret type %q labels %v", s.Type, s.Labels)
				}
			}
			if tc.wantErr == "" || tc.saLate {
				sa, err := h.cs.CoreV1().ServiceAccounts(ns).Get(context.Background(), DefaultServiceAccount, metav1.GetOptions{})
				if err != nil && !apierrors.IsNotFound(err) {
					t.Fatal(err)
				}
				var got []string
				if sa != nil {
					for _, r := range sa.ImagePullSecrets {
						got = append(got, r.Name)
					}
				}
				if !slices.Equal(got, tc.wantOnSA) {
					t.Errorf("ServiceAccount imagePullSecrets = %v, want %v", got, tc.wantOnSA)
				}
			}
			if updates != tc.wantUpdates {
				t.Errorf("%d secret updates, want %d", updates, tc.wantUpdates)
			}
		})
	}
}

// TestPullSecretReachesPods runs EnsurePullSecret twice (a re-run) and then
// creates pods the way the lab does: in the lab namespace they get the
// secret by ServiceAccount admission, once; in a namespace without it they
// get none.
func TestPullSecretReachesPods(t *testing.T) {
	h := newHarness(t)
	withServiceAccountAdmission(h)
	addServiceAccount(t, h, "pulllab")
	addServiceAccount(t, h, "pulllab-nocreds")
	c := secretClient(h, "pulllab")
	for i := 0; i < 2; i++ {
		if err := c.EnsurePullSecret(context.Background(), []byte(`{"auths":{"r:5000":{"auth":"dTpw"}}}`)); err != nil {
			t.Fatalf("run %d: %v", i+1, err)
		}
	}
	secrets, err := h.cs.CoreV1().Secrets("pulllab").List(context.Background(), metav1.ListOptions{})
	if err != nil || len(secrets.Items) != 1 {
		t.Fatalf("secrets after two runs: %v %v", secrets, err)
	}
	for ns, want := range map[string][]corev1.LocalObjectReference{
		"pulllab":         {{Name: PullSecretName}},
		"pulllab-nocreds": nil,
	} {
		p, err := New(h.cs, Options{Namespace: ns, Node: "node-1", LabID: "pulllab"}).WarmupPodFor("r:5000/app:v1")
		if err != nil {
			t.Fatal(err)
		}
		created, err := h.cs.CoreV1().Pods(ns).Create(context.Background(), p, metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("%s: %v", ns, err)
		}
		if !slices.Equal(created.Spec.ImagePullSecrets, want) {
			t.Errorf("%s: pod imagePullSecrets = %v, want %v", ns, created.Spec.ImagePullSecrets, want)
		}
	}
	// Without a ServiceAccount the API server refuses pods, as the real one does.
	p, _ := New(h.cs, Options{Namespace: "elsewhere", Node: "node-1", LabID: "pulllab"}).WarmupPodFor("r:5000/app:v1")
	if _, err := h.cs.CoreV1().Pods("elsewhere").Create(context.Background(), p, metav1.CreateOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("pod without a ServiceAccount: err = %v, want Forbidden", err)
	}
}
