// Package kubeclient is the narrow Kubernetes client pulllab uses: the few
// typed API group clients the lab calls and API discovery, instead of
// client-go's full clientset (k8s.io/client-go/kubernetes), which links a
// client and the apply configurations of every API group and version into
// the binary.
//
// client-go's *kubernetes.Clientset and its fake clientset
// (k8s.io/client-go/kubernetes/fake) both satisfy Interface, so tests keep
// using the fake; production code builds a *Clientset with NewForConfig.
// Adding a group means one method on Interface, one field on Clientset and
// one line in NewForConfigAndClient.
package kubeclient

import (
	"fmt"
	"net/http"

	"k8s.io/client-go/discovery"
	appsv1 "k8s.io/client-go/kubernetes/typed/apps/v1"
	authenticationv1 "k8s.io/client-go/kubernetes/typed/authentication/v1"
	authorizationv1 "k8s.io/client-go/kubernetes/typed/authorization/v1"
	corev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/flowcontrol"
)

// Interface is the part of client-go's kubernetes.Interface that pulllab
// calls.
type Interface interface {
	Discovery() discovery.DiscoveryInterface
	CoreV1() corev1.CoreV1Interface
	AppsV1() appsv1.AppsV1Interface
	AuthenticationV1() authenticationv1.AuthenticationV1Interface
	AuthorizationV1() authorizationv1.AuthorizationV1Interface
}

// Clientset implements Interface with one REST client per API group, all
// sharing one HTTP client (one connection pool) and one rate limiter.
type Clientset struct {
	discovery        *discovery.DiscoveryClient
	coreV1           *corev1.CoreV1Client
	appsV1           *appsv1.AppsV1Client
	authenticationV1 *authenticationv1.AuthenticationV1Client
	authorizationV1  *authorizationv1.AuthorizationV1Client
}

var _ Interface = (*Clientset)(nil)

// Discovery returns the API discovery client.
func (c *Clientset) Discovery() discovery.DiscoveryInterface { return c.discovery }

// CoreV1 returns the core/v1 client (pods, namespaces, nodes, events, …).
func (c *Clientset) CoreV1() corev1.CoreV1Interface { return c.coreV1 }

// AppsV1 returns the apps/v1 client (Deployments, ReplicaSets).
func (c *Clientset) AppsV1() appsv1.AppsV1Interface { return c.appsV1 }

// AuthenticationV1 returns the authentication.k8s.io/v1 client
// (SelfSubjectReviews).
func (c *Clientset) AuthenticationV1() authenticationv1.AuthenticationV1Interface {
	return c.authenticationV1
}

// AuthorizationV1 returns the authorization.k8s.io/v1 client
// (SelfSubjectAccessReviews).
func (c *Clientset) AuthorizationV1() authorizationv1.AuthorizationV1Interface {
	return c.authorizationV1
}

// NewForConfig builds a Clientset for cfg the way client-go's
// kubernetes.NewForConfig does: the default user agent when cfg has none,
// and one HTTP client for every group. It does not contact the cluster.
func NewForConfig(cfg *rest.Config) (*Clientset, error) {
	if cfg == nil {
		return nil, fmt.Errorf("making the Kubernetes client: no cluster configuration")
	}
	c := *cfg
	if c.UserAgent == "" {
		c.UserAgent = rest.DefaultKubernetesUserAgent()
	}
	hc, err := rest.HTTPClientFor(&c)
	if err != nil {
		return nil, fmt.Errorf("making the HTTP client for %s: %w", c.Host, err)
	}
	return NewForConfigAndClient(&c, hc)
}

// NewForConfigAndClient builds a Clientset whose group clients all use hc.
// When cfg sets QPS but no RateLimiter, the groups share one token bucket,
// as with client-go's clientset.
func NewForConfigAndClient(cfg *rest.Config, hc *http.Client) (*Clientset, error) {
	if cfg == nil || hc == nil {
		return nil, fmt.Errorf("making the Kubernetes client: no cluster configuration or HTTP client")
	}
	c := *cfg
	if c.RateLimiter == nil && c.QPS > 0 {
		if c.Burst <= 0 {
			return nil, fmt.Errorf("making the Kubernetes client: the client QPS is %v but its burst is %d; the burst must be greater than 0", c.QPS, c.Burst)
		}
		c.RateLimiter = flowcontrol.NewTokenBucketRateLimiter(c.QPS, c.Burst)
	}
	var cs Clientset
	var err error
	if cs.discovery, err = discovery.NewDiscoveryClientForConfigAndClient(&c, hc); err != nil {
		return nil, fmt.Errorf("making the discovery client: %w", err)
	}
	if cs.coreV1, err = corev1.NewForConfigAndClient(&c, hc); err != nil {
		return nil, fmt.Errorf("making the core/v1 client: %w", err)
	}
	if cs.appsV1, err = appsv1.NewForConfigAndClient(&c, hc); err != nil {
		return nil, fmt.Errorf("making the apps/v1 client: %w", err)
	}
	if cs.authenticationV1, err = authenticationv1.NewForConfigAndClient(&c, hc); err != nil {
		return nil, fmt.Errorf("making the authentication.k8s.io/v1 client: %w", err)
	}
	if cs.authorizationV1, err = authorizationv1.NewForConfigAndClient(&c, hc); err != nil {
		return nil, fmt.Errorf("making the authorization.k8s.io/v1 client: %w", err)
	}
	return &cs, nil
}
