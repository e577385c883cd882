package workload

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"k8s.io/client-go/tools/clientcmd"

	"github.com/pulllab/pulllab/internal/kubeclient"
	"github.com/pulllab/pulllab/lab"
)

// TestIntegrationCluster runs the workload code against a real cluster, in a
// namespace of its own that it deletes at the end. It needs
// PULLLAB_IT_KUBECONFIG and PULLLAB_IT_IMAGE (a pullable image by tag that
// keeps running, e.g. the e2e harness's appserver image). It does not touch
// the node's image cache beyond pulling that image.
func TestIntegrationCluster(t *testing.T) {
	kubeconfig, image := os.Getenv("PULLLAB_IT_KUBECONFIG"), os.Getenv("PULLLAB_IT_IMAGE")
	if testing.Short() || kubeconfig == "" || image == "" {
		t.Skip("set PULLLAB_IT_KUBECONFIG and PULLLAB_IT_IMAGE to run against a real cluster")
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := kubeclient.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	n, err := PickNode(ctx, cs, "")
	if err != nil {
		t.Fatal(err)
	}
	env, err := Facts(ctx, cs, n)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("environment: %+v", env)
	// With the e2e's admin kubeconfig the kubelet is readable through the
	// node proxy: the KEP-2535 state must be read, not inferred.
	if k := env.KubeletImageCredentials; k == nil || k.Inferred() {
		t.Errorf("KEP-2535 state not read from the kubelet: %+v", k)
	} else {
		t.Logf("KEP-2535: %s", k.Summary())
	}

	id := fmt.Sprintf("it%d", time.Now().Unix()%100000)
	c := New(cs, Options{Namespace: "pulllab-" + id, Node: n.Name, LabID: id, Profile: lab.ProfileAppServer, LogWait: 10 * time.Second})
	if err := c.EnsureNamespace(ctx, false); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := c.Cleanup(context.Background()); err != nil {
			t.Error(err)
		}
		if err := c.DeleteNamespace(context.Background()); err != nil {
			t.Error(err)
		}
	}()
	if err := c.Warm(ctx, image); err != nil {
		t.Fatal(err)
	}
	var pe *PullError
	if err := c.Warm(ctx, image+"-does-not-exist"); !errors.As(err, &pe) {
		t.Errorf("warming a missing image: %v, want a PullError", err)
	} else {
		t.Logf("warm of a missing image: %v", pe)
	}

	cases := []struct {
		d    lab.Deployment
		want string
	}{
		{lab.Deployment{Name: "app", Image: image, Policy: lab.PolicyIfNotPresent, CaseID: 5}, "Running"},
		{lab.Deployment{Name: "app", Image: image + "-does-not-exist", Policy: lab.PolicyAlways, CaseID: 1}, lab.ReasonImagePullBackOff},
		{lab.Deployment{Name: "app", Image: image + "-does-not-exist", Policy: lab.PolicyNever, CaseID: 8}, lab.ReasonErrImageNeverPull},
	}
	for _, tc := range cases {
		if err := c.Deploy(ctx, tc.d); err != nil {
			t.Fatal(err)
		}
		obs, err := c.Observe(ctx, tc.d, 2*time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("case %d: %s\n  imageID %s\n  log %q\n  created %s kubelet %s seen %s", tc.d.CaseID, obs.PodLine, obs.ImageID, obs.LogLine,
			obs.Created.Format(time.RFC3339), obs.Kubelet.Format(time.RFC3339Nano), obs.Seen.Format(time.RFC3339Nano))
		for _, e := range obs.Events {
			t.Logf("  %s..%s %s %s x%d %s", e.First.Format("15:04:05.000"), e.Last.Format("15:04:05.000"), e.Type, e.Reason, e.Count, e.Message)
		}
		if obs.Status != tc.want || obs.TimedOut {
			t.Errorf("case %d: status %s (timed out %v), want %s", tc.d.CaseID, obs.Status, obs.TimedOut, tc.want)
		}
		if obs.Kubelet.IsZero() || len(obs.Events) == 0 {
			t.Errorf("case %d: no kubelet time or events", tc.d.CaseID)
		}
		if tc.want == "Running" && obs.ImageID == "" {
			t.Errorf("case %d: no image ID", tc.d.CaseID)
		}
		if err := c.Undeploy(ctx, tc.d.Name); err != nil {
			t.Fatal(err)
		}
	}
}
