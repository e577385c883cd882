package workload

import (
	"context"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/sirupsen/logrus"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/pulllab/pulllab/lab"
)

func choiceTestNode() *corev1.Node {
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "vm"}}
	n.Status.NodeInfo = corev1.NodeSystemInfo{KubeletVersion: "v1.34.4", ContainerRuntimeVersion: "containerd://1.6.20"}
	return n
}

func TestNodeChoiceAsksOnce(t *testing.T) {
	ctx := context.Background()
	picks, fail := 0, true
	var asked string
	c := NewNodeChoice("vm", func(_ context.Context, name string) (*corev1.Node, error) {
		picks++
		asked = name
		if fail {
			return nil, errors.New("no Ready node")
		}
		return choiceTestNode(), nil
	})
	if _, err := c.Node(ctx); err == nil || err.Error() != "choosing the lab's node: no Ready node" {
		t.Fatalf("Node = %v, want the pick's error with context", err)
	}
	if c.Chosen() != "" {
		t.Errorf("Chosen = %q after a failed pick, want empty", c.Chosen())
	}
	fail = false
	for range 3 {
		if n, err := c.Node(ctx); err != nil || n.Name != "vm" {
			t.Fatalf("Node = %v, %v", n, err)
		}
	}
	if picks != 2 || asked != "vm" || c.Chosen() != "vm" {
		t.Errorf("picked %d times for %q, Chosen %q; want 2 (the failure is not remembered), vm, vm", picks, asked, c.Chosen())
	}
}

type fakeRuntime struct {
	v   string
	err error
}

func (r fakeRuntime) RuntimeVersion(context.Context) (string, error) { return r.v, r.err }

func discardLog() logrus.FieldLogger {
	l := logrus.New()
	l.SetOutput(io.Discard)
	return l
}

func TestCompleteEnvironment(t *testing.T) {
	for _, tc := range []struct {
		name        string
		rv          RuntimeVersioner
		wantRuntime string
	}{
		{"crictl's version wins", fakeRuntime{v: "containerd 1.6.20~ds1"}, "containerd 1.6.20~ds1"},
		{"the kubelet's view when crictl fails", fakeRuntime{err: errors.New("exec failed")}, "containerd 1.6.20"},
		{"the kubelet's view when crictl says nothing", fakeRuntime{}, "containerd 1.6.20"},
		{"the kubelet's view without a debug pod", nil, "containerd 1.6.20"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env, err := CompleteEnvironment(context.Background(), discardLog(), lab.Environment{KubernetesVersion: "v1.34.4"}, choiceTestNode(), "pulllab", tc.rv)
			if err != nil {
				t.Fatal(err)
			}
			want := lab.Environment{
				KubernetesVersion: "v1.34.4", KubeletVersion: "v1.34.4", ContainerRuntime: tc.wantRuntime, Node: "vm",
				Namespace: "pulllab",
				EnsureSecretPulledImages: "off: inferred from the kubelet version; the node could not be read (the backend did not read the kubelet's configuration); " +
					"alpha, default off in Kubernetes 1.33 and 1.34 (upstream default; a distribution may set it otherwise)",
				KubeletImageCredentials: lab.InferKubeletImageCredentials("v1.34.4", KubeletNotRead),
			}
			if !reflect.DeepEqual(env, want) {
				t.Errorf("env = %+v\nwant  %+v", env, want)
			}
		})
	}
}

func TestCompleteEnvironmentCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := CompleteEnvironment(ctx, discardLog(), lab.Environment{}, choiceTestNode(), "pulllab", fakeRuntime{err: errors.New("exec: " + ctx.Err().Error())})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

// The KEP-2535 state read from the kubelet is kept, and the one-line
// summary follows it rather than the version.
func TestCompleteEnvironmentKeepsTheStateRead(t *testing.T) {
	read := &lab.KubeletImageCredentials{Gate: lab.GateOff, Source: lab.SourceConfigz, Detail: "featureGates sets KubeletEnsureSecretPulledImages explicitly"}
	n := choiceTestNode()
	n.Status.NodeInfo.KubeletVersion = "v1.36.1" // upstream default would be on
	env, err := CompleteEnvironment(context.Background(), discardLog(), lab.Environment{KubeletImageCredentials: read}, n, "pulllab", nil)
	if err != nil {
		t.Fatal(err)
	}
	if env.KubeletImageCredentials != read {
		t.Errorf("KubeletImageCredentials = %+v, want the one read", env.KubeletImageCredentials)
	}
	if want := "off: read from the kubelet's configz; featureGates sets KubeletEnsureSecretPulledImages explicitly"; env.EnsureSecretPulledImages != want {
		t.Errorf("EnsureSecretPulledImages = %q, want %q", env.EnsureSecretPulledImages, want)
	}
	if !strings.HasPrefix(env.ContainerRuntime, "containerd") {
		t.Errorf("ContainerRuntime = %q", env.ContainerRuntime)
	}
}
