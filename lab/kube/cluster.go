package kube

import (
	"context"
	"errors"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"

	"github.com/pulllab/pulllab/internal/kubeclient"
	"github.com/pulllab/pulllab/lab"
	"github.com/pulllab/pulllab/lab/node"
	"github.com/pulllab/pulllab/lab/workload"
)

// New returns the backend for the cluster that cfg and cs reach (cs made
// from cfg; cfg is needed to exec into the node debug pod). Bad options are
// an *OptionError.
func New(cfg *rest.Config, cs kubeclient.Interface, o Options) (*Backend, error) {
	if cfg == nil || cs == nil {
		return nil, errors.New("kube backend: no Kubernetes client")
	}
	c := &cluster{cs: cs, exec: node.NewExecer(cfg, cs)}
	b, err := NewWithCluster(c, o)
	if err != nil {
		return nil, err
	}
	c.o = b.o // with defaults filled in
	return b, nil
}

// RemoveLab is Teardown for a lab whose registry is not known (removing
// namespaces needs none): it deletes the same namespaces of the lab named
// by o.Namespace (default DefaultNamespace), with the same check that
// pulllab made each one.
func RemoveLab(ctx context.Context, cs kubeclient.Interface, o Options) error {
	if cs == nil {
		return errors.New("kube backend: no Kubernetes client")
	}
	if o.Namespace == "" {
		o.Namespace = DefaultNamespace
	}
	if o.LabID == "" {
		o.LabID = o.Namespace
	}
	return teardown(ctx, &cluster{cs: cs, o: o}, o.Namespace)
}

// cluster is Cluster on lab/workload and lab/node.
type cluster struct {
	cs   kubeclient.Interface
	exec node.Execer
	o    Options
}

func (c *cluster) PickNode(ctx context.Context, name string) (*corev1.Node, error) {
	return workload.PickNode(ctx, c.cs, name)
}

func (c *cluster) Facts(ctx context.Context, n *corev1.Node) (lab.Environment, error) {
	return workload.Facts(ctx, c.cs, n)
}

func (c *cluster) NamespaceExists(ctx context.Context, ns string) (bool, error) {
	_, err := c.cs.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return false, nil
	}
	return err == nil, err
}

func (c *cluster) Workload(ns, nodeName string) Workload {
	return workload.New(c.cs, workload.Options{
		Namespace: ns,
		Node:      nodeName,
		LabID:     c.o.LabID,
		Profile:   c.o.Profile,
		LogWait:   c.o.CaseLogWait,
		Log:       c.o.Log,
		Now:       c.o.Now,
	})
}

func (c *cluster) EnsurePullSecret(ctx context.Context, ns string, dockerconfig []byte) error {
	return workload.New(c.cs, workload.Options{Namespace: ns, LabID: c.o.LabID, Log: c.o.Log, Now: c.o.Now}).EnsurePullSecret(ctx, dockerconfig)
}

func (c *cluster) NodeCache(ns, nodeName string, repos []string) NodeOps {
	return node.New(c.cs, c.exec, node.Options{
		Namespace:    ns,
		Node:         nodeName,
		Image:        c.o.DebugImage,
		LabID:        c.o.LabID,
		Repositories: repos,
		Log:          c.o.Log,
	})
}
