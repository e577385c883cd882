package openshift

import (
	"context"
	"fmt"
	"net/http"

	configv1 "github.com/openshift/api/config/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/client-go/rest"
)

// ClusterVersions reads config.openshift.io/v1 ClusterVersions. The typed
// client of openshift/client-go (ConfigV1().ClusterVersions()) satisfies
// it, and tests pass its fake; New uses clusterVersionClient, which reads
// the one resource without linking the typed config.openshift.io client,
// its scheme (every config API version) and its apply configurations.
type ClusterVersions interface {
	Get(ctx context.Context, name string, opts metav1.GetOptions) (*configv1.ClusterVersion, error)
}

// clusterVersionClient is a REST client for config.openshift.io/v1 that
// knows only ClusterVersion.
type clusterVersionClient struct {
	rc    rest.Interface
	param runtime.ParameterCodec
}

// newClusterVersionClient returns a ClusterVersions reader for cfg that
// uses hc.
func newClusterVersionClient(cfg *rest.Config, hc *http.Client) (*clusterVersionClient, error) {
	s := runtime.NewScheme()
	s.AddKnownTypes(configv1.GroupVersion, &configv1.ClusterVersion{})
	metav1.AddToGroupVersion(s, configv1.GroupVersion)
	c := *cfg
	gv := configv1.GroupVersion
	c.GroupVersion = &gv
	c.APIPath = "/apis"
	c.NegotiatedSerializer = serializer.NewCodecFactory(s).WithoutConversion()
	rc, err := rest.RESTClientForConfigAndClient(&c, hc)
	if err != nil {
		return nil, fmt.Errorf("making the config.openshift.io client: %w", err)
	}
	return &clusterVersionClient{rc: rc, param: runtime.NewParameterCodec(s)}, nil
}

// Get reads the ClusterVersion called name.
func (c *clusterVersionClient) Get(ctx context.Context, name string, opts metav1.GetOptions) (*configv1.ClusterVersion, error) {
	cv := &configv1.ClusterVersion{}
	err := c.rc.Get().Resource("clusterversions").Name(name).VersionedParams(&opts, c.param).Do(ctx).Into(cv)
	if err != nil {
		return nil, err
	}
	return cv, nil
}
