package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	authorizationv1 "k8s.io/api/authorization/v1"
	"k8s.io/client-go/kubernetes/scheme"
)

// accessAPIServer is an OpenShift API server for a user who may not use
// the privileged SCC nor create namespaces: it answers discovery and the
// SelfSubjectAccessReviews/SelfSubjectReview, and records every other
// request so the test can prove that verify touched nothing.
func accessAPIServer(t *testing.T) (*httptest.Server, func() []string) {
	t.Helper()
	var (
		mu    sync.Mutex
		other []string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.URL.Path == "/version":
			fmt.Fprint(w, `{"major":"1","minor":"36","gitVersion":"v1.36.1"}`)
		case r.URL.Path == "/api":
			fmt.Fprint(w, `{"kind":"APIVersions","versions":["v1"]}`)
		case r.URL.Path == "/apis":
			gv := func(g string) string {
				return fmt.Sprintf(`{"name":%q,"versions":[{"groupVersion":"%s/v1","version":"v1"}],"preferredVersion":{"groupVersion":"%s/v1","version":"v1"}}`, g, g, g)
			}
			fmt.Fprintf(w, `{"kind":"APIGroupList","apiVersion":"v1","groups":[%s,%s,%s]}`, gv("apps"), gv("image.openshift.io"), gv("build.openshift.io"))
		case r.Method == http.MethodPost && r.URL.Path == "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews":
			b, _ := io.ReadAll(r.Body)
			obj, _, err := scheme.Codecs.UniversalDeserializer().Decode(b, nil, nil)
			review, ok := obj.(*authorizationv1.SelfSubjectAccessReview)
			if err != nil || !ok {
				t.Errorf("review %s (%s): %v", r.URL, r.Header.Get("Content-Type"), err)
				http.Error(w, "bad review", http.StatusBadRequest)
				return
			}
			res := review.Spec.ResourceAttributes.Resource
			review.Status.Allowed = res != "securitycontextconstraints" && res != "namespaces"
			review.APIVersion, review.Kind = "authorization.k8s.io/v1", "SelfSubjectAccessReview"
			w.WriteHeader(http.StatusCreated)
			_ = json.NewEncoder(w).Encode(review)
		case r.Method == http.MethodPost && r.URL.Path == "/apis/authentication.k8s.io/v1/selfsubjectreviews":
			w.WriteHeader(http.StatusCreated)
			fmt.Fprint(w, `{"kind":"SelfSubjectReview","apiVersion":"authentication.k8s.io/v1","status":{"userInfo":{"username":"developer"}}}`)
		default:
			mu.Lock()
			other = append(other, r.Method+" "+r.URL.Path)
			mu.Unlock()
			http.Error(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"Forbidden","code":403}`, http.StatusForbidden)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), other...)
	}
}

// verify alone runs the permission check up front: exit 2 with the list of
// what is missing, and no request that changes anything (no project, no
// namespace, no pod) is ever sent.
func TestVerifyChecksPermissionsFirst(t *testing.T) {
	srv, others := accessAPIServer(t)
	code, _, stderr := runCmdForTest(t, "verify", "--kubeconfig", writeKubeconfig(t, srv.URL))
	if code != 2 {
		t.Errorf("exit %d, want 2; stderr:\n%s", code, stderr)
	}
	for _, w := range []string{"you (developer) may not do everything the lab needs", "use the privileged SecurityContextConstraints", "create namespaces", "kubeadmin"} {
		if !strings.Contains(stderr, w) {
			t.Errorf("stderr lacks %q:\n%s", w, stderr)
		}
	}
	for _, w := range []string{"create imagestreamtags", "create deployments"} {
		if strings.Contains(stderr, w) {
			t.Errorf("stderr lists %q, which the user may do:\n%s", w, stderr)
		}
	}
	for _, req := range others() {
		if !strings.HasPrefix(req, "GET ") {
			t.Errorf("verify sent %s before the permission check failed", req)
		}
	}
}

// The dry run plans for the backend it will meet: OpenShift (no
// --registry) deletes the app ImageStream for "registry has none".
func TestVerifyDryRunModelsTheRegistry(t *testing.T) {
	code, out, stderr := runCmdForTest(t, "verify", "--dry-run", "--extended")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(out, "delete the app's ImageStream custom-image-java") {
		t.Errorf("OpenShift dry run does not say it deletes the ImageStream:\n%s", out)
	}
	code, out, stderr = runCmdForTest(t, "verify", "--dry-run", "--extended", "--registry", "127.0.0.1:5000")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if strings.Contains(out, "ImageStream custom-image-java") || !strings.Contains(out, "remove the tag v1 from the registry") {
		t.Errorf("Kubernetes dry run:\n%s", out)
	}
}
