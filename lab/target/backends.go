package target

import (
	"context"
	"fmt"

	"github.com/pulllab/pulllab/lab"
	"github.com/pulllab/pulllab/lab/kube"
	"github.com/pulllab/pulllab/lab/openshift"
)

// openshiftBackend is the OpenShift backend as a target drives it; its
// methods print their own step lines.
type openshiftBackend struct{ b *openshift.Backend }

func (o openshiftBackend) lab() lab.Backend                  { return o.b }
func (o openshiftBackend) prepare(ctx context.Context) error { return o.b.Connect(ctx) }
func (o openshiftBackend) base(ctx context.Context) (lab.BaseImage, error) {
	return o.b.ImportBase(ctx)
}
func (o openshiftBackend) build(ctx context.Context) ([]lab.Build, error) {
	return o.b.BuildVariants(ctx)
}
func (o openshiftBackend) checkAccess(ctx context.Context) error { return o.b.CheckAccess(ctx) }
func (o openshiftBackend) teardown(ctx context.Context) error    { return o.b.Teardown(ctx) }

func (o openshiftBackend) status(ctx context.Context) (Status, error) {
	st, err := o.b.Status(ctx)
	if err != nil {
		return Status{}, err
	}
	return Status{OpenShift: &st}, nil
}

// kubeBackend is the plain-Kubernetes backend as a target drives it; the
// up steps print their step lines here (the backend prints none).
type kubeBackend struct {
	b   *kube.Backend
	say lab.StatusPrinter
}

func (k kubeBackend) lab() lab.Backend { return k.b }

func (k kubeBackend) prepare(ctx context.Context) error {
	k.say.Start("Preparing the lab namespace %s", k.b.Namespace())
	defer k.say.End(false)
	if err := k.b.PrepareNamespaces(ctx); err != nil {
		return err
	}
	k.say.End(true)
	return nil
}

func (k kubeBackend) base(ctx context.Context) (lab.BaseImage, error) {
	k.say.Start("Reading the base image")
	defer k.say.End(false)
	bi, err := k.b.EnsureBase(ctx)
	if err != nil {
		return bi, err
	}
	k.say.Infof("base image %s (%s)", bi.Ref, bi.Digest)
	k.say.End(true)
	return bi, nil
}

func (k kubeBackend) build(ctx context.Context) ([]lab.Build, error) {
	archives, err := VariantWARs()
	if err != nil {
		return nil, err
	}
	var out []lab.Build
	for _, v := range lab.Variants {
		bd, err := k.buildOne(ctx, v, archives[v])
		if err != nil {
			return out, err
		}
		out = append(out, bd)
	}
	return out, nil
}

func (k kubeBackend) buildOne(ctx context.Context, v lab.Variant, war []byte) (lab.Build, error) {
	k.say.Start("Building the %s variant into %s", v, k.b.StashRepository())
	defer k.say.End(false)
	bd, err := k.b.Build(ctx, v, war)
	if err != nil {
		return bd, fmt.Errorf("building the %s variant: %w", v, err)
	}
	k.say.End(true)
	return bd, nil
}

// checkAccess: the plain-Kubernetes backend finds missing rights as it
// goes; its first Forbidden error names them.
func (k kubeBackend) checkAccess(context.Context) error { return nil }

func (k kubeBackend) teardown(ctx context.Context) error { return k.b.Teardown(ctx) }

func (k kubeBackend) status(ctx context.Context) (Status, error) {
	st, err := k.b.Status(ctx)
	if err != nil {
		return Status{}, err
	}
	return Status{Kubernetes: &st}, nil
}
