// Package e2e holds pulllab's end-to-end tests (build tag e2e). They run the
// pulllab binary against the single-node Kubernetes of hack/e2e/cluster.sh;
// see docs/e2e.md.
package e2e
