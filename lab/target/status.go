package target

import (
	"context"
	"encoding/json"

	"github.com/pulllab/pulllab/lab/kube"
	"github.com/pulllab/pulllab/lab/openshift"
)

// Status is what `pulllab status` shows of the lab: exactly one of
// OpenShift, Kubernetes or Note is set. It is printed (JSON, YAML) as the
// section that is set, or {note: …}.
type Status struct {
	// Flavor is what the cluster is.
	Flavor Flavor
	// OpenShift is the lab on an OpenShift target.
	OpenShift *openshift.LabStatus
	// Kubernetes is the lab on a plain-Kubernetes or MicroShift target.
	Kubernetes *kube.LabStatus
	// Note says why the lab could not be read, when it could not (e.g. no
	// registry is known).
	Note string
}

// Status reads what the lab holds on the target.
func (t *Target) Status(ctx context.Context) (Status, error) {
	st, err := t.b.status(ctx)
	st.Flavor = t.Flavor()
	return st, err
}

// printed is the one section of s that is printed.
func (s Status) printed() any {
	switch {
	case s.OpenShift != nil:
		return s.OpenShift
	case s.Kubernetes != nil:
		return s.Kubernetes
	}
	return map[string]string{"note": s.Note}
}

// MarshalJSON prints the section that is set.
func (s Status) MarshalJSON() ([]byte, error) { return json.Marshal(s.printed()) }

// MarshalYAML prints the section that is set.
func (s Status) MarshalYAML() (any, error) { return s.printed(), nil }
