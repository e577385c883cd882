package openshift

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
)

// The REST ClusterVersion reader asks for the right path and decodes what
// the API server returns, including its errors.
func TestClusterVersionClient(t *testing.T) {
	var got []string
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.Method+" "+r.URL.RequestURI())
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/apis/config.openshift.io/v1/clusterversions/version":
			_, _ = w.Write([]byte(`{"kind":"ClusterVersion","apiVersion":"config.openshift.io/v1","metadata":{"name":"version"},
				"status":{"desired":{"version":"5.0.0"},"history":[{"version":"5.0.0","state":"Completed"}]}}`))
		case "/apis/config.openshift.io/v1/clusterversions/updating":
			_, _ = w.Write([]byte(`{"kind":"ClusterVersion","apiVersion":"config.openshift.io/v1","metadata":{"name":"updating"},
				"status":{"desired":{"image":"quay.io/x@sha256:00"},"history":[{"version":"4.22.7","state":"Partial"},{"version":"4.21.8","state":"Completed"}]}}`))
		case "/apis/config.openshift.io/v1/clusterversions/forbidden":
			w.WriteHeader(http.StatusForbidden)
			_, _ = w.Write([]byte(`{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"Forbidden","message":"clusterversions.config.openshift.io \"forbidden\" is forbidden","code":403}`))
		default:
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"NotFound","message":"not found","code":404}`))
		}
	}))
	defer ts.Close()
	cfg := &rest.Config{Host: ts.URL}
	hc, err := rest.HTTPClientFor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c, err := newClusterVersionClient(cfg, hc)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	cv, err := c.Get(ctx, "version", metav1.GetOptions{ResourceVersion: "0"})
	if err != nil {
		t.Fatal(err)
	}
	if v := clusterVersion(cv); v != "5.0.0" || cv.Name != "version" {
		t.Errorf("ClusterVersion %q version %q, want version 5.0.0", cv.Name, v)
	}
	cv, err = c.Get(ctx, "updating", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if v := clusterVersion(cv); v != "4.22.7" {
		t.Errorf("version from the history %q, want 4.22.7", v)
	}
	if _, err := c.Get(ctx, "forbidden", metav1.GetOptions{}); !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), `clusterversions.config.openshift.io "forbidden" is forbidden`) {
		t.Errorf("err = %v, want Forbidden in the server's words", err)
	}
	if _, err := c.Get(ctx, "missing", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("err = %v, want NotFound", err)
	}
	want := "GET /apis/config.openshift.io/v1/clusterversions/version?resourceVersion=0"
	if len(got) != 4 || got[0] != want {
		t.Errorf("requests %q, want the first to be %q", got, want)
	}
}
