package workload

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/sirupsen/logrus"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/pulllab/pulllab/internal/kubeclient"
	"github.com/pulllab/pulllab/lab"
)

// Control-plane taint keys, tolerated on a single-node cluster.
var controlPlaneTaints = map[string]bool{
	"node-role.kubernetes.io/control-plane": true,
	"node-role.kubernetes.io/master":        true,
}

// PickNode returns the node the lab runs on. A named node must exist and be
// Ready (the lab's pods name it in spec.nodeName, so cordons and NoSchedule
// taints do not keep them off it). With name "" it picks, by name, the first
// Ready node that is schedulable and has no NoSchedule or NoExecute taint; a
// control-plane taint is ignored when the cluster has a single node.
func PickNode(ctx context.Context, cs kubeclient.Interface, name string) (*corev1.Node, error) {
	if name != "" {
		n, err := cs.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return nil, fmt.Errorf("node %q does not exist: list the nodes with 'kubectl get nodes' and pick one", name)
		}
		if err != nil {
			return nil, fmt.Errorf("reading node %q: %w", name, err)
		}
		if !nodeReady(n) {
			return nil, fmt.Errorf("node %q is not Ready: %s", name, readyMessage(n))
		}
		return n, nil
	}
	list, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("listing nodes: %w", err)
	}
	if len(list.Items) == 0 {
		return nil, fmt.Errorf("the cluster has no nodes")
	}
	nodes := list.Items
	sort.Slice(nodes, func(i, j int) bool { return nodes[i].Name < nodes[j].Name })
	single := len(nodes) == 1
	var why []string
	for i := range nodes {
		n := &nodes[i]
		if reason := unsuitable(n, single); reason != "" {
			why = append(why, fmt.Sprintf("%s (%s)", n.Name, reason))
			continue
		}
		return n, nil
	}
	return nil, fmt.Errorf("no node is Ready and schedulable: %s; pin the lab to a node with lab.node", strings.Join(why, ", "))
}

// unsuitable says why the picker skips a node, or "".
func unsuitable(n *corev1.Node, single bool) string {
	if !nodeReady(n) {
		return "not Ready"
	}
	if n.Spec.Unschedulable {
		return "cordoned"
	}
	for _, t := range n.Spec.Taints {
		if t.Effect != corev1.TaintEffectNoSchedule && t.Effect != corev1.TaintEffectNoExecute {
			continue
		}
		if single && controlPlaneTaints[t.Key] {
			continue
		}
		return "taint " + t.ToString()
	}
	return ""
}

func nodeReady(n *corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func readyMessage(n *corev1.Node) string {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			if c.Message != "" {
				return c.Message
			}
			return "Ready is " + string(c.Status)
		}
	}
	return "it reports no Ready condition"
}

// Facts gathers what the report says about the cluster and the node: the
// API server's Kubernetes version, and the node's name, kubelet version,
// container runtime ("cri-o 1.34.1", "containerd 1.6.20") and OS image,
// and the kubelet's KEP-2535 state (ReadKubeletImageCredentials).
func Facts(ctx context.Context, cs kubeclient.Interface, node *corev1.Node) (lab.Environment, error) {
	var env lab.Environment
	v, err := cs.Discovery().ServerVersion()
	if err != nil {
		return env, fmt.Errorf("reading the cluster's Kubernetes version: %w", err)
	}
	env.KubernetesVersion = v.GitVersion
	if node != nil {
		info := node.Status.NodeInfo
		env.Node = node.Name
		env.KubeletVersion = info.KubeletVersion
		env.ContainerRuntime = RuntimeName(info.ContainerRuntimeVersion)
		env.OSImage = info.OSImage
		env.NodeArchitecture = info.Architecture
		k, err := ReadKubeletImageCredentials(ctx, cs.CoreV1().RESTClient(), node)
		if err != nil {
			return env, fmt.Errorf("reading the kubelet's KEP-2535 state: %w", err)
		}
		env.KubeletImageCredentials = k
	}
	return env, nil
}

// RuntimeName turns a node's containerRuntimeVersion ("cri-o://1.34.1",
// "containerd://1.6.20") into "cri-o 1.34.1".
func RuntimeName(v string) string {
	return strings.Replace(v, "://", " ", 1)
}

// NodeChoice is the lab's node, chosen once: the backends pin every pod to
// it, so "the node's cache" means one node for the whole run. It is safe
// for concurrent use.
type NodeChoice struct {
	name string
	pick func(ctx context.Context, name string) (*corev1.Node, error)

	mu   sync.Mutex
	node *corev1.Node
}

// NewNodeChoice returns a NodeChoice that asks pick (PickNode, or a fake)
// for the node named name ("" lets pick choose) when first needed.
func NewNodeChoice(name string, pick func(ctx context.Context, name string) (*corev1.Node, error)) *NodeChoice {
	return &NodeChoice{name: name, pick: pick}
}

// Node returns the lab's node, asking the cluster the first time only. A
// failed choice is not remembered: the next call asks again.
func (n *NodeChoice) Node(ctx context.Context) (*corev1.Node, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.node != nil {
		return n.node, nil
	}
	node, err := n.pick(ctx, n.name)
	if err != nil {
		return nil, fmt.Errorf("choosing the lab's node: %w", err)
	}
	n.node = node
	return node, nil
}

// Chosen returns the name of the node once Node has chosen it, else "".
func (n *NodeChoice) Chosen() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.node == nil {
		return ""
	}
	return n.node.Name
}

// KubeletNotRead is the reason CompleteEnvironment gives when the facts
// carry no KEP-2535 state read from the kubelet.
const KubeletNotRead = "the backend did not read the kubelet's configuration"

// RuntimeVersioner reports the container runtime's name and version as the
// node's crictl sees it (lab/node's Cache).
type RuntimeVersioner interface {
	RuntimeVersion(ctx context.Context) (string, error)
}

// CompleteEnvironment adds what the node tells about itself to env (as
// Facts read it): the container runtime as rv reports it (nil when no debug
// pod runs; then, or when rv cannot tell, the kubelet's view), the kubelet
// version, the node's name, the namespace, and the KEP-2535 state, inferred
// from the kubelet's version only when Facts did not read it;
// EnsureSecretPulledImages is its one-line summary. Only a cancelled ctx is
// an error: a runtime version that cannot be read is logged at debug level.
func CompleteEnvironment(ctx context.Context, log logrus.FieldLogger, env lab.Environment, node *corev1.Node, namespace string, rv RuntimeVersioner) (lab.Environment, error) {
	if rv != nil {
		v, err := rv.RuntimeVersion(ctx)
		switch {
		case err != nil && ctx.Err() != nil:
			return lab.Environment{}, ctx.Err()
		case err != nil:
			log.WithError(err).Debug("could not read the container runtime version on the node; the report shows the kubelet's")
		case v != "":
			env.ContainerRuntime = v
		}
	}
	if env.ContainerRuntime == "" {
		env.ContainerRuntime = RuntimeName(node.Status.NodeInfo.ContainerRuntimeVersion)
	}
	if env.KubeletVersion == "" {
		env.KubeletVersion = node.Status.NodeInfo.KubeletVersion
	}
	if env.Node == "" {
		env.Node = node.Name
	}
	env.Namespace = namespace
	if env.KubeletImageCredentials == nil {
		env.KubeletImageCredentials = lab.InferKubeletImageCredentials(env.KubeletVersion, KubeletNotRead)
	}
	env.EnsureSecretPulledImages = env.KubeletImageCredentials.Summary()
	return env, nil
}
