package openshift

import (
	"fmt"
	"net/http"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
)

// newJSONREST returns a REST client for the API group version gv that uses
// hc and speaks JSON, for the OpenShift calls made without a typed client
// (ClusterVersion, instantiatebinary, the build log). client-go's scheme
// knows metav1.Status, so the server's errors become the usual API errors
// (NotFound, Forbidden, …); callers decode objects from body's JSON.
func newJSONREST(cfg *rest.Config, hc *http.Client, gv schema.GroupVersion) (rest.Interface, error) {
	c := rest.CopyConfig(cfg)
	c.GroupVersion = &gv
	c.APIPath = "/apis"
	c.NegotiatedSerializer = scheme.Codecs.WithoutConversion()
	c.AcceptContentTypes = "application/json"
	c.ContentType = "application/json"
	rc, err := rest.RESTClientForConfigAndClient(c, hc)
	if err != nil {
		return nil, fmt.Errorf("making the %s client: %w", gv.Group, err)
	}
	return rc, nil
}

// body returns a response's body, or the server's Status as an API error:
// Result.Raw alone would give client-go's generic "the server could not
// find the requested resource" instead.
func body(res rest.Result) ([]byte, error) {
	if err := res.Error(); err != nil {
		return nil, err
	}
	return res.Raw()
}
