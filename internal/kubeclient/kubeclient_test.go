package kubeclient_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/rest"

	"github.com/pulllab/pulllab/internal/kubeclient"
)

// client-go's clientset and its fake keep satisfying the narrow interface.
var (
	_ kubeclient.Interface = (kubernetes.Interface)(nil)
	_ kubeclient.Interface = (*fake.Clientset)(nil)
)

// apiServer answers the few requests the test makes and records the paths
// and user agents it saw.
type apiServer struct {
	mu     sync.Mutex
	paths  []string
	agents []string
}

func (s *apiServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.paths = append(s.paths, r.Method+" "+r.URL.Path)
	s.agents = append(s.agents, r.UserAgent())
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	switch r.URL.Path {
	case "/version":
		_, _ = w.Write([]byte(`{"major":"1","minor":"36","gitVersion":"v1.36.1"}`))
	case "/api/v1/namespaces/lab":
		_, _ = w.Write([]byte(`{"kind":"Namespace","apiVersion":"v1","metadata":{"name":"lab"}}`))
	case "/apis/apps/v1/namespaces/lab/deployments/app":
		_, _ = w.Write([]byte(`{"kind":"Deployment","apiVersion":"apps/v1","metadata":{"name":"app","namespace":"lab"}}`))
	case "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews":
		_, _ = w.Write([]byte(`{"kind":"SelfSubjectAccessReview","apiVersion":"authorization.k8s.io/v1","status":{"allowed":true}}`))
	case "/apis/authentication.k8s.io/v1/selfsubjectreviews":
		_, _ = w.Write([]byte(`{"kind":"SelfSubjectReview","apiVersion":"authentication.k8s.io/v1","status":{"userInfo":{"username":"kubeadmin"}}}`))
	default:
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"NotFound","message":"not found","code":404}`))
	}
}

func TestClientsetReachesEachGroup(t *testing.T) {
	srv := &apiServer{}
	ts := httptest.NewServer(srv)
	defer ts.Close()

	cs, err := kubeclient.NewForConfig(&rest.Config{Host: ts.URL, UserAgent: "pulllab-test"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	v, err := cs.Discovery().ServerVersion()
	if err != nil || v.GitVersion != "v1.36.1" {
		t.Fatalf("ServerVersion = %v, %v; want v1.36.1", v, err)
	}
	if ns, err := cs.CoreV1().Namespaces().Get(ctx, "lab", metav1.GetOptions{}); err != nil || ns.Name != "lab" {
		t.Fatalf("core/v1 namespace = %v, %v", ns, err)
	}
	if d, err := cs.AppsV1().Deployments("lab").Get(ctx, "app", metav1.GetOptions{}); err != nil || d.Name != "app" {
		t.Fatalf("apps/v1 deployment = %v, %v", d, err)
	}
	if _, err := cs.CoreV1().Pods("lab").Get(ctx, "missing", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("missing pod: err = %v, want a not-found error", err)
	}

	srv.mu.Lock()
	defer srv.mu.Unlock()
	want := []string{"GET /version", "GET /api/v1/namespaces/lab", "GET /apis/apps/v1/namespaces/lab/deployments/app", "GET /api/v1/namespaces/lab/pods/missing"}
	if strings.Join(srv.paths, "\n") != strings.Join(want, "\n") {
		t.Errorf("requests:\n%s\nwant:\n%s", strings.Join(srv.paths, "\n"), strings.Join(want, "\n"))
	}
	for _, a := range srv.agents {
		if a != "pulllab-test" {
			t.Errorf("user agent %q, want the config's pulllab-test", a)
		}
	}
}

func TestClientsetReviews(t *testing.T) {
	ts := httptest.NewServer(&apiServer{})
	defer ts.Close()
	cs, err := kubeclient.NewForConfig(&rest.Config{Host: ts.URL})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	review := &authorizationv1.SelfSubjectAccessReview{Spec: authorizationv1.SelfSubjectAccessReviewSpec{
		ResourceAttributes: &authorizationv1.ResourceAttributes{Verb: "create", Resource: "pods", Namespace: "lab"},
	}}
	ar, err := cs.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, review, metav1.CreateOptions{})
	if err != nil || !ar.Status.Allowed {
		t.Fatalf("SelfSubjectAccessReview = %v, %v; want allowed", ar, err)
	}
	sr, err := cs.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil || sr.Status.UserInfo.Username != "kubeadmin" {
		t.Fatalf("SelfSubjectReview = %v, %v; want kubeadmin", sr, err)
	}
}

func TestNewForConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  *rest.Config
		want string
	}{
		{"nil config", nil, "no cluster configuration"},
		{"QPS without burst", &rest.Config{Host: "https://127.0.0.1:6443", QPS: 5}, "burst must be greater than 0"},
		{"unreadable CA file", &rest.Config{Host: "https://127.0.0.1:6443", TLSClientConfig: rest.TLSClientConfig{CAFile: "/nonexistent/ca.crt"}}, "making the HTTP client"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := kubeclient.NewForConfig(tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one containing %q", err, tc.want)
			}
		})
	}
}
