package openshift

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/rest"
)

// ClusterVersion is the part of a config.openshift.io/v1 ClusterVersion
// that pulllab reads: its name, the desired release and the update
// history, newest first. The JSON names are those of ClusterVersion,
// ClusterVersionStatus, Release and UpdateHistory in openshift/api
// (config/v1/types_cluster_version.go); declaring the few fields here
// keeps that package, whose generated field documentation alone weighs
// 0.3 MB, out of the binary.
type ClusterVersion struct {
	// ObjectMeta is the object's metadata (pulllab reads its name).
	metav1.ObjectMeta `json:"metadata,omitempty"`
	// Status is the cluster's version state.
	Status ClusterVersionStatus `json:"status"`
}

// ClusterVersionStatus is the status of a ClusterVersion.
type ClusterVersionStatus struct {
	// Desired is the release the cluster is at or is updating to.
	Desired Release `json:"desired"`
	// History lists the updates, newest first.
	History []UpdateHistory `json:"history,omitempty"`
}

// Release is an OpenShift release.
type Release struct {
	// Version is the release's version, e.g. "5.0.0".
	Version string `json:"version"`
}

// UpdateHistory is one entry of a ClusterVersion's update history.
type UpdateHistory struct {
	// Version is the release the update went to.
	Version string `json:"version"`
}

// clusterVersionGV is the group and version of ClusterVersion.
var clusterVersionGV = schema.GroupVersion{Group: "config.openshift.io", Version: "v1"}

// ClusterVersions reads config.openshift.io/v1 ClusterVersions. New uses
// clusterVersionClient, which reads the one resource without linking the
// typed config.openshift.io client, its scheme (every config API version),
// its apply configurations or its API types; tests adapt the typed fake of
// openshift/client-go.
type ClusterVersions interface {
	Get(ctx context.Context, name string, opts metav1.GetOptions) (*ClusterVersion, error)
}

// clusterVersionClient is a REST client for config.openshift.io/v1 that
// knows only ClusterVersion.
type clusterVersionClient struct {
	rc rest.Interface
}

// newClusterVersionClient returns a ClusterVersions reader for cfg that
// uses hc.
func newClusterVersionClient(cfg *rest.Config, hc *http.Client) (*clusterVersionClient, error) {
	rc, err := newJSONREST(cfg, hc, clusterVersionGV)
	if err != nil {
		return nil, err
	}
	return &clusterVersionClient{rc: rc}, nil
}

// Get reads the ClusterVersion called name.
func (c *clusterVersionClient) Get(ctx context.Context, name string, opts metav1.GetOptions) (*ClusterVersion, error) {
	req := c.rc.Get().Resource("clusterversions").Name(name)
	if opts.ResourceVersion != "" {
		req = req.Param("resourceVersion", opts.ResourceVersion)
	}
	raw, err := body(req.Do(ctx))
	if err != nil {
		return nil, err
	}
	cv := &ClusterVersion{}
	if err := json.Unmarshal(raw, cv); err != nil {
		return nil, fmt.Errorf("decoding ClusterVersion %q: %w", name, err)
	}
	return cv, nil
}
