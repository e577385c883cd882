package main

import (
	"context"

	"github.com/pulllab/pulllab/lab"
)

// newBackend returns the lab backend for the cluster that the global
// --kubeconfig and --context reach (g.kubeconfig, g.context), set up with
// the verify options: namespace, node, registry, base image and debug
// image. An OpenShift cluster (one that serves image.openshift.io) gets the
// OpenShift backend; a plain Kubernetes cluster gets the Kubernetes backend,
// which needs o.registry.
//
// No backend is wired in yet, so every call returns a usage error (exit
// code 2) that says so.
func newBackend(ctx context.Context, g *globals, o *verifyOptions) (lab.Backend, error) {
	return nil, usagef("no lab backend is available for this cluster yet; 'pulllab verify --dry-run' shows the plan without a cluster")
}
