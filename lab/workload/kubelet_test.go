package workload

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/rest"

	"github.com/pulllab/pulllab/internal/kubeclient"
	"github.com/pulllab/pulllab/lab"
)

func kubeletFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "kubelet", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// proxyAnswer is what the fake API server answers for one kubelet path:
// a body with a status code, or a hang until the client gives up.
type proxyAnswer struct {
	code int
	body []byte
	hang bool
}

// statusBody is the API server's JSON Status for a failed request.
func statusBody(code int, reason metav1.StatusReason, msg string) []byte {
	b, _ := json.Marshal(metav1.Status{
		TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"},
		Status:   metav1.StatusFailure, Message: msg, Reason: reason, Code: int32(code),
		Details: &metav1.StatusDetails{Name: "node-1", Kind: "nodes"},
	})
	return b
}

var forbidden = proxyAnswer{code: http.StatusForbidden, body: statusBody(http.StatusForbidden, metav1.StatusReasonForbidden,
	`nodes "node-1" is forbidden: User "developer" cannot get resource "nodes/proxy" in API group "" at the cluster scope`)}

// nodeProxy is a fake API server that serves /api/v1/nodes/node-1/proxy/…
// like a real one: the kubelet's answer, or a Status on failure.
func nodeProxy(t *testing.T, answers map[string]proxyAnswer) (rest.Interface, *[]string) {
	t.Helper()
	var mu sync.Mutex
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Method+" "+r.URL.Path)
		mu.Unlock()
		path, ok := strings.CutPrefix(r.URL.Path, "/api/v1/nodes/node-1/proxy/")
		a, known := answers[path]
		if !ok || !known {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write(statusBody(http.StatusNotFound, metav1.StatusReasonNotFound, "the server could not find the requested resource"))
			return
		}
		if a.hang {
			<-r.Context().Done()
			return
		}
		if a.code >= 400 {
			w.Header().Set("Content-Type", "application/json")
		}
		w.WriteHeader(a.code)
		_, _ = w.Write(a.body)
	}))
	t.Cleanup(srv.Close)
	cs, err := kubeclient.NewForConfig(&rest.Config{Host: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	return cs.CoreV1().RESTClient(), &seen
}

func kubeletNode(version string) *corev1.Node {
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: "node-1"},
		Status:     corev1.NodeStatus{NodeInfo: corev1.NodeSystemInfo{KubeletVersion: version}},
	}
}

func TestReadKubeletImageCredentials(t *testing.T) {
	old := kubeletReadTimeout
	kubeletReadTimeout = 300 * time.Millisecond
	t.Cleanup(func() { kubeletReadTimeout = old })
	ok := func(name string) proxyAnswer { return proxyAnswer{code: 200, body: kubeletFixture(t, name)} }
	garbage := proxyAnswer{code: 200, body: []byte("<html><body>login</body></html>")}
	unreachable := proxyAnswer{code: http.StatusServiceUnavailable, body: statusBody(http.StatusServiceUnavailable, metav1.StatusReasonServiceUnavailable,
		"error trying to reach service: dial tcp 192.168.126.11:10250: connect: connection refused")}

	for _, tt := range []struct {
		name    string
		version string
		answers map[string]proxyAnswer
		want    lab.KubeletImageCredentials
		// reads are the paths the reader asked for, in order.
		reads []string
	}{{
		name: "1.34, gate at its default: configz does not name it, metrics say off", version: "v1.34.4",
		answers: map[string]proxyAnswer{"configz": ok("configz-1.34.json"), "metrics": ok("metrics-1.34.txt")},
		want: lab.KubeletImageCredentials{Gate: "off", Source: "metrics",
			Detail: `kubernetes_feature_enabled{name="KubeletEnsureSecretPulledImages",stage="ALPHA"}; configz leaves the gate at its default`},
		reads: []string{"configz", "metrics"},
	}, {
		name: "1.34 with the gate set on and a policy", version: "v1.34.4",
		answers: map[string]proxyAnswer{"configz": ok("configz-1.34-gate-on.json"), "metrics": ok("metrics-1.34.txt")},
		want: lab.KubeletImageCredentials{Gate: "on", Policy: "AlwaysVerify", Source: "configz",
			Detail: "featureGates sets KubeletEnsureSecretPulledImages explicitly"},
		reads: []string{"configz"},
	}, {
		name: "1.37, gate on by default, default policy as configz shows it", version: "v1.37.2",
		answers: map[string]proxyAnswer{"configz": ok("configz-1.37.json"), "metrics": ok("metrics-1.37.txt")},
		want: lab.KubeletImageCredentials{Gate: "on", Policy: "NeverVerifyPreloadedImages", Source: "metrics",
			Detail: `kubernetes_feature_enabled{name="KubeletEnsureSecretPulledImages",stage="BETA"}; configz leaves the gate at its default`},
		reads: []string{"configz", "metrics"},
	}, {
		name: "1.37 with an allowlist", version: "v1.37.2",
		answers: map[string]proxyAnswer{"configz": ok("configz-1.37-allowlist.json"), "metrics": ok("metrics-1.37.txt")},
		want: lab.KubeletImageCredentials{Gate: "on", Policy: "NeverVerifyAllowlistedImages",
			Allowlist: []string{"registry.k8s.io/pause", "quay.io/openshift-release-dev/*"}, Source: "metrics",
			Detail: `kubernetes_feature_enabled{name="KubeletEnsureSecretPulledImages",stage="BETA"}; configz leaves the gate at its default`},
		reads: []string{"configz", "metrics"},
	}, {
		name: "OpenShift 5.0: a 1.36 kubelet with the gate set off", version: "v1.36.1",
		answers: map[string]proxyAnswer{"configz": ok("configz-openshift-5.0.json"), "metrics": forbidden},
		want: lab.KubeletImageCredentials{Gate: "off", Source: "configz",
			Detail: "featureGates sets KubeletEnsureSecretPulledImages explicitly"},
		reads: []string{"configz"},
	}, {
		name: "a kubelet older than the feature", version: "v1.32.9",
		answers: map[string]proxyAnswer{"configz": ok("configz-1.34.json"), "metrics": ok("metrics-1.32.txt")},
		want: lab.KubeletImageCredentials{Gate: "off", Source: "metrics",
			Detail: "the kubelet's kubernetes_feature_enabled does not list the gate: this kubelet does not have the feature; configz leaves the gate at its default"},
		reads: []string{"configz", "metrics"},
	}, {
		name: "metrics unreadable: configz's policy settles it (on)", version: "v1.37.2",
		answers: map[string]proxyAnswer{"configz": ok("configz-1.37.json"), "metrics": garbage},
		want: lab.KubeletImageCredentials{Gate: "on", Policy: "NeverVerifyPreloadedImages", Source: "configz",
			Detail: "featureGates leaves the gate at its default and imagePullCredentialsVerificationPolicy is set, which the kubelet allows only with the gate on; /metrics could not be read (unexpected answer: no kubernetes_feature_enabled samples)"},
		reads: []string{"configz", "metrics"},
	}, {
		name: "metrics time out: configz's missing policy settles it (off)", version: "v1.35.0",
		answers: map[string]proxyAnswer{"configz": ok("configz-1.34.json"), "metrics": {hang: true}},
		want: lab.KubeletImageCredentials{Gate: "off", Source: "configz",
			Detail: "featureGates leaves the gate at its default and imagePullCredentialsVerificationPolicy is unset, which the kubelet's defaults leave so only with the gate off; /metrics could not be read (no answer within 300ms)"},
		reads: []string{"configz", "metrics"},
	}, {
		name: "configz garbage, metrics readable: gate from metrics, policy the default", version: "v1.37.2",
		answers: map[string]proxyAnswer{"configz": garbage, "metrics": ok("metrics-1.37.txt")},
		want: lab.KubeletImageCredentials{Gate: "on", Policy: "NeverVerifyPreloadedImages", PolicyDefaulted: true, Source: "metrics",
			Detail: `kubernetes_feature_enabled{name="KubeletEnsureSecretPulledImages",stage="BETA"}; /configz could not be read (unexpected answer: the answer is not JSON: invalid character '<' looking for beginning of value)`},
		reads: []string{"configz", "metrics"},
	}, {
		name: "configz JSON without kubeletconfig", version: "v1.34.4",
		answers: map[string]proxyAnswer{"configz": {code: 200, body: []byte(`{"componentconfig":{}}`)}, "metrics": ok("metrics-1.34.txt")},
		want: lab.KubeletImageCredentials{Gate: "off", Source: "metrics",
			Detail: `kubernetes_feature_enabled{name="KubeletEnsureSecretPulledImages",stage="ALPHA"}; /configz could not be read (unexpected answer: the answer has no "kubeletconfig" object)`},
		reads: []string{"configz", "metrics"},
	}, {
		name: "forbidden (not cluster-admin): inferred from the version, and says so", version: "v1.36.1",
		answers: map[string]proxyAnswer{"configz": forbidden, "metrics": forbidden},
		want: lab.KubeletImageCredentials{Gate: "on", Policy: "NeverVerifyPreloadedImages", PolicyDefaulted: true, Source: "kubelet version",
			Detail: "the node could not be read (/configz and /metrics: forbidden: reading it needs 'get' on nodes/proxy (cluster-admin has it)); beta, default on since Kubernetes 1.35 (upstream default; a distribution may set it otherwise)"},
		reads: []string{"configz", "metrics"},
	}, {
		name: "both time out", version: "v1.34.4",
		answers: map[string]proxyAnswer{"configz": {hang: true}, "metrics": {hang: true}},
		want: lab.KubeletImageCredentials{Gate: "off", Source: "kubelet version",
			Detail: "the node could not be read (/configz and /metrics: no answer within 300ms); alpha, default off in Kubernetes 1.33 and 1.34 (upstream default; a distribution may set it otherwise)"},
		reads: []string{"configz", "metrics"},
	}, {
		name: "kubelet unreachable behind the proxy, garbage version", version: "",
		answers: map[string]proxyAnswer{"configz": unreachable, "metrics": {code: 404}},
		want: lab.KubeletImageCredentials{Gate: "unknown", Source: "kubelet version",
			Detail: `the node could not be read (/configz: HTTP 503 (ServiceUnavailable); /metrics: not found (HTTP 404)); kubelet version "" (upstream default; a distribution may set it otherwise)`},
		reads: []string{"configz", "metrics"},
	}, {
		name: "metrics with a malformed sample of the gate metric", version: "v1.37.2",
		answers: map[string]proxyAnswer{"configz": forbidden, "metrics": {code: 200, body: []byte("kubernetes_feature_enabled{name=\"KubeletEnsureSecretPulledImages\",stage=\"BETA\"} yes\n")}},
		want: lab.KubeletImageCredentials{Gate: "on", Policy: "NeverVerifyPreloadedImages", PolicyDefaulted: true, Source: "kubelet version",
			Detail: `the node could not be read (/configz: forbidden: reading it needs 'get' on nodes/proxy (cluster-admin has it); /metrics: unexpected answer: line 1: value "yes" is not a number); beta, default on since Kubernetes 1.35 (upstream default; a distribution may set it otherwise)`},
		reads: []string{"configz", "metrics"},
	}} {
		t.Run(tt.name, func(t *testing.T) {
			rc, seen := nodeProxy(t, tt.answers)
			start := time.Now()
			got, err := ReadKubeletImageCredentials(context.Background(), rc, kubeletNode(tt.version))
			if err != nil {
				t.Fatal(err)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %s; each read is bounded by %s", d, kubeletReadTimeout)
			}
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", *got, tt.want)
			}
			var want []string
			for _, p := range tt.reads {
				want = append(want, "GET /api/v1/nodes/node-1/proxy/"+p)
			}
			if !reflect.DeepEqual(*seen, want) {
				t.Errorf("requests %q, want %q", *seen, want)
			}
			// What reaches the report never carries the kubelet's answer.
			if s := got.Summary(); strings.Contains(s, "containerRuntimeEndpoint") || strings.Contains(s, "<html>") {
				t.Errorf("summary carries the answer's body: %s", s)
			}
		})
	}
}

func TestReadKubeletImageCredentialsCancelled(t *testing.T) {
	rc, _ := nodeProxy(t, map[string]proxyAnswer{"configz": {hang: true}, "metrics": {hang: true}})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	_, err := ReadKubeletImageCredentials(ctx, rc, kubeletNode("v1.36.1"))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("took %s after Ctrl-C", d)
	}
}

// A fake clientset has no REST client: the reader infers and says why.
func TestReadKubeletImageCredentialsFakeClientset(t *testing.T) {
	cs := fake.NewClientset()
	got, err := ReadKubeletImageCredentials(context.Background(), cs.CoreV1().RESTClient(), kubeletNode("v1.34.4"))
	if err != nil {
		t.Fatal(err)
	}
	if got.Source != lab.SourceKubeletVersion || got.Gate != lab.GateOff || !strings.Contains(got.Detail, "no REST client") {
		t.Errorf("got %+v", got)
	}
}

func TestParseFeatureMetrics(t *testing.T) {
	for _, tt := range []struct {
		name, text string
		want       map[string]FeatureState
		found      bool
		err        string
	}{
		{"empty", "", map[string]FeatureState{}, false, ""},
		{"other metrics only", "# HELP x y\nkubelet_running_pods 3\nkubernetes_feature_enabled_total 4\n", map[string]FeatureState{}, false, ""},
		{"one", `kubernetes_feature_enabled{name="A",stage="BETA"} 1`, map[string]FeatureState{"A": {true, "BETA"}}, true, ""},
		{"spaces, CRLF, timestamp, label order",
			"kubernetes_feature_enabled { stage = \"\" , name = \"A\" , } 0 1700000000000\r\n\tkubernetes_feature_enabled{name=\"B\"} 1e0\n",
			map[string]FeatureState{"A": {false, ""}, "B": {true, ""}}, true, ""},
		{"escapes", `kubernetes_feature_enabled{name="A\"\\\n",stage="x"} 1`, map[string]FeatureState{"A\"\\\n": {true, "x"}}, true, ""},
		{"no labels", "kubernetes_feature_enabled 1", nil, true, "has no name label"},
		{"value 2", `kubernetes_feature_enabled{name="A"} 2`, nil, true, "neither 0 nor 1"},
		{"NaN", `kubernetes_feature_enabled{name="A"} NaN`, nil, true, "neither 0 nor 1"},
		{"no value", `kubernetes_feature_enabled{name="A"}`, nil, true, "want a value"},
		{"bad timestamp", `kubernetes_feature_enabled{name="A"} 1 soon`, nil, true, "timestamp"},
		{"unclosed value", `kubernetes_feature_enabled{name="A} 1`, nil, true, "not closed"},
		{"unclosed brace", `kubernetes_feature_enabled{name="A" 1`, nil, true, "want ',' or '}'"},
		{"bad escape", `kubernetes_feature_enabled{name="\t"} 1`, nil, true, "unknown escape"},
		{"duplicate label", `kubernetes_feature_enabled{name="A",name="B"} 1`, nil, true, "twice"},
		{"label without =", `kubernetes_feature_enabled{name} 1`, nil, true, "no '='"},
		{"unquoted", `kubernetes_feature_enabled{name=A} 1`, nil, true, "no quoted value"},
		{"digit first", `kubernetes_feature_enabled{1a="x"} 1`, nil, true, "label name"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, found, err := ParseFeatureMetrics([]byte(tt.text))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want one containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if found != tt.found || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, %v; want %v, %v", got, found, tt.want, tt.found)
			}
		})
	}
}

func TestParseKubeletConfigz(t *testing.T) {
	for _, tt := range []struct {
		name, file string
		want       KubeletConfigz
	}{
		{"1.34", "configz-1.34.json", KubeletConfigz{FeatureGates: map[string]bool{"KubeletInUserNamespace": false}}},
		{"1.37", "configz-1.37.json", KubeletConfigz{Policy: "NeverVerifyPreloadedImages"}},
		{"allowlist", "configz-1.37-allowlist.json", KubeletConfigz{Policy: "NeverVerifyAllowlistedImages", Allowlist: []string{"registry.k8s.io/pause", "quay.io/openshift-release-dev/*"}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseKubeletConfigz(kubeletFixture(t, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("got %+v, want %+v", *got, tt.want)
			}
		})
	}
	for _, bad := range []string{"", "null", "[]", `{"kubeletconfig":null}`, `{"kubeletconfig":{"featureGates":{"A":"yes"}}}`, `{"kubeletconfig":{}} trailing`} {
		if _, err := ParseKubeletConfigz([]byte(bad)); err == nil {
			t.Errorf("ParseKubeletConfigz(%q) accepted it", bad)
		}
	}
}

// The parsers read what another program wrote: they must not panic, and
// what they accept must be consistent.
func FuzzParseFeatureMetrics(f *testing.F) {
	for _, name := range []string{"metrics-1.32.txt", "metrics-1.34.txt", "metrics-1.37.txt"} {
		f.Add(kubeletFixture(f, name))
	}
	f.Add([]byte(`kubernetes_feature_enabled{name="A\"\\\n",stage="x"} 1 17`))
	f.Fuzz(func(t *testing.T, b []byte) {
		gates, found, err := ParseFeatureMetrics(b)
		if err != nil {
			if !found || gates != nil {
				t.Fatalf("error %v with found %v, gates %v", err, found, gates)
			}
			return
		}
		if !found && len(gates) > 0 {
			t.Fatalf("gates %v without found", gates)
		}
		for name := range gates {
			if name == "" {
				t.Fatal("a gate without a name")
			}
		}
	})
}

func FuzzParseKubeletConfigz(f *testing.F) {
	for _, name := range []string{"configz-1.34.json", "configz-1.34-gate-on.json", "configz-1.37.json", "configz-1.37-allowlist.json", "configz-openshift-5.0.json"} {
		f.Add(kubeletFixture(f, name))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		cz, err := ParseKubeletConfigz(b)
		if (cz == nil) == (err == nil) {
			t.Fatalf("config %v and error %v", cz, err)
		}
	})
}
