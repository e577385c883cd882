package openshift

import (
	"context"
	"errors"
	"fmt"

	imageclient "github.com/openshift/client-go/image/clientset/versioned/typed/image/v1"
	projectclient "github.com/openshift/client-go/project/clientset/versioned/typed/project/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"

	"github.com/pulllab/pulllab/internal/kubeclient"
	"github.com/pulllab/pulllab/internal/version"
	"github.com/pulllab/pulllab/lab"
	"github.com/pulllab/pulllab/lab/node"
	"github.com/pulllab/pulllab/lab/workload"
)

// New returns the backend for the cluster cfg reaches. It builds the
// Kubernetes group clients (internal/kubeclient), the typed image/v1 and
// project/v1 clients, a dynamic client for builds and a ClusterVersion
// reader, sharing one HTTP client, from one copy of
// cfg that identifies itself as pulllab (User-Agent "…/pulllab/<version>"),
// and a build REST client without a client timeout for the long
// instantiatebinary and build log calls. It does not contact the cluster;
// Connect does. Bad options are an *OptionError.
func New(cfg *rest.Config, o Options) (*Backend, error) {
	if cfg == nil {
		return nil, errors.New("openshift backend: no cluster configuration")
	}
	cfg = rest.CopyConfig(cfg)
	rest.AddUserAgent(cfg, version.UserAgent())

	// One HTTP client (one connection pool) for every group client.
	hc, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return nil, fmt.Errorf("making the HTTP client for %s: %w", cfg.Host, err)
	}
	kube, err := kubeclient.NewForConfigAndClient(cfg, hc)
	if err != nil {
		return nil, err
	}
	img, err := imageclient.NewForConfigAndClient(cfg, hc)
	if err != nil {
		return nil, fmt.Errorf("making the image.openshift.io client: %w", err)
	}
	dyn, err := dynamic.NewForConfigAndClient(cfg, hc)
	if err != nil {
		return nil, fmt.Errorf("making the build.openshift.io client: %w", err)
	}
	prj, err := projectclient.NewForConfigAndClient(cfg, hc)
	if err != nil {
		return nil, fmt.Errorf("making the project.openshift.io client: %w", err)
	}
	cvs, err := newClusterVersionClient(cfg, hc)
	if err != nil {
		return nil, err
	}
	// instantiatebinary holds the request open until the build runs (up to
	// five minutes on the server), and a followed log lasts as long as the
	// build: no client timeout for these two.
	long := rest.CopyConfig(cfg)
	long.Timeout = 0
	longHC, err := rest.HTTPClientFor(long)
	if err != nil {
		return nil, fmt.Errorf("making the HTTP client for %s: %w", long.Host, err)
	}
	longBuild, err := newJSONREST(long, longHC, buildGV)
	if err != nil {
		return nil, err
	}
	ex := node.NewExecer(cfg, kube)

	// The factories read the options with their defaults filled in.
	var b *Backend
	c := Clients{
		Kube: kube, Image: img, Project: prj, Dynamic: dyn, ClusterVersions: cvs,
		BuildREST: longBuild,
		Workload: func(namespace, nodeName string) Workload {
			return workload.New(kube, workload.Options{
				Namespace: namespace, Node: nodeName, LabID: b.o.LabID, Profile: b.o.Profile,
				LogWait: b.o.LogWait, Log: b.o.Log, Now: b.o.Now,
			})
		},
		NodeCache: func(namespace, nodeName, image string, repositories []string) NodeOps {
			return node.New(kube, ex, node.Options{
				Namespace: namespace, Node: nodeName, Image: image, LabID: b.o.LabID,
				Repositories: repositories, Log: b.o.Log,
			})
		},
		PickNode: func(ctx context.Context, name string) (*corev1.Node, error) {
			return workload.PickNode(ctx, kube, name)
		},
		Facts: func(ctx context.Context, n *corev1.Node) (lab.Environment, error) {
			return workload.Facts(ctx, kube, n)
		},
	}
	b, err = NewWithClients(c, o)
	if err != nil {
		return nil, err
	}
	return b, nil
}
