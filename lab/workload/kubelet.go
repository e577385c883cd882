package workload

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/rest"

	"github.com/pulllab/pulllab/lab"
)

// The KEP-2535 feature gate, as the kubelet names it in its configuration
// (featureGates) and in the metric kubernetes_feature_enabled.
const ensureSecretPulledImagesGate = "KubeletEnsureSecretPulledImages"

// featureEnabledMetric is the gauge component-base registers for every
// feature gate (labels name and stage; 1 enabled, 0 disabled).
const featureEnabledMetric = "kubernetes_feature_enabled"

// KubeletReadTimeout bounds each read of the kubelet's /configz and /metrics
// through the API server's node proxy.
const KubeletReadTimeout = 10 * time.Second

// kubeletReadTimeout is KubeletReadTimeout; tests shorten it.
var kubeletReadTimeout = KubeletReadTimeout

// maxKubeletBody is the most pulllab reads of one kubelet answer; a
// kubelet's /metrics is a few MiB at most.
const maxKubeletBody = 32 << 20

// KubeletConfigz is what pulllab reads of the kubelet's /configz: the
// KubeletConfiguration (kubelet.config.k8s.io/v1beta1) under the key
// "kubeletconfig", after the kubelet's defaults and flags were applied.
type KubeletConfigz struct {
	// FeatureGates lists only the gates set explicitly (config file or
	// --feature-gates); a gate at its default is absent.
	FeatureGates map[string]bool `json:"featureGates,omitempty"`
	// Policy is imagePullCredentialsVerificationPolicy. The kubelet's
	// defaulting fills it (NeverVerifyPreloadedImages) when the gate is on,
	// and its validation refuses it when the gate is off.
	Policy string `json:"imagePullCredentialsVerificationPolicy,omitempty"`
	// Allowlist is preloadedImagesVerificationAllowlist.
	Allowlist []string `json:"preloadedImagesVerificationAllowlist,omitempty"`
}

// ParseKubeletConfigz reads the kubelet's /configz answer.
func ParseKubeletConfigz(b []byte) (*KubeletConfigz, error) {
	var doc struct {
		KubeletConfig *KubeletConfigz `json:"kubeletconfig"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("the answer is not JSON: %w", err)
	}
	if doc.KubeletConfig == nil {
		return nil, errors.New(`the answer has no "kubeletconfig" object`)
	}
	return doc.KubeletConfig, nil
}

// FeatureState is one sample of kubernetes_feature_enabled.
type FeatureState struct {
	// Enabled is the sample's value (1 on, 0 off).
	Enabled bool
	// Stage is the stage label: ALPHA, BETA, or empty for GA.
	Stage string
}

// ParseFeatureMetrics reads the kubernetes_feature_enabled samples from a
// Prometheus text exposition (what the kubelet's /metrics serves), by gate
// name. found is false when the text has no sample of that metric at all.
// A sample of the metric that cannot be parsed is an error: pulllab would
// rather say it could not read the gate than guess.
func ParseFeatureMetrics(text []byte) (gates map[string]FeatureState, found bool, err error) {
	gates = map[string]FeatureState{}
	for n, line := range bytes.Split(text, []byte("\n")) {
		s := strings.TrimSpace(string(line))
		if s == "" || s[0] == '#' {
			continue
		}
		rest, ok := strings.CutPrefix(s, featureEnabledMetric)
		if !ok || rest == "" || !(rest[0] == '{' || rest[0] == ' ' || rest[0] == '\t') {
			continue // another metric, maybe one whose name starts alike
		}
		found = true
		labels, value, err := splitSample(strings.TrimLeft(rest, " \t"))
		if err != nil {
			return nil, true, fmt.Errorf("line %d: %w", n+1, err)
		}
		name, ok := labels["name"]
		if !ok || name == "" {
			return nil, true, fmt.Errorf("line %d: %s has no name label", n+1, featureEnabledMetric)
		}
		var st FeatureState
		switch value {
		case 1:
			st.Enabled = true
		case 0:
		default:
			return nil, true, fmt.Errorf("line %d: %s{name=%q} is %v, neither 0 nor 1", n+1, featureEnabledMetric, name, value)
		}
		st.Stage = labels["stage"]
		gates[name] = st
	}
	return gates, found, nil
}

// splitSample parses `{k="v",…} VALUE [TIMESTAMP]` (the braces optional).
func splitSample(s string) (map[string]string, float64, error) {
	labels := map[string]string{}
	if strings.HasPrefix(s, "{") {
		var err error
		labels, s, err = parseLabels(s[1:])
		if err != nil {
			return nil, 0, err
		}
	}
	fields := strings.Fields(s)
	if len(fields) == 0 || len(fields) > 2 {
		return nil, 0, fmt.Errorf("want a value (and at most a timestamp) after the labels, got %q", clip(s))
	}
	v, err := strconv.ParseFloat(fields[0], 64)
	if err != nil {
		return nil, 0, fmt.Errorf("value %q is not a number", clip(fields[0]))
	}
	if len(fields) == 2 {
		if _, err := strconv.ParseInt(fields[1], 10, 64); err != nil {
			return nil, 0, fmt.Errorf("timestamp %q is not an integer", clip(fields[1]))
		}
	}
	return labels, v, nil
}

// parseLabels parses `k="v",k2="v2"}` (after the opening brace) and returns
// the labels and what follows the closing brace. Values may hold the
// escapes \\, \" and \n.
func parseLabels(s string) (map[string]string, string, error) {
	labels := map[string]string{}
	for {
		s = strings.TrimLeft(s, " \t")
		if strings.HasPrefix(s, "}") {
			return labels, s[1:], nil
		}
		i := 0
		for i < len(s) && isLabelChar(s[i], i == 0) {
			i++
		}
		if i == 0 {
			return nil, "", fmt.Errorf("a label name is missing or malformed at %q", clip(s))
		}
		key := s[:i]
		s = strings.TrimLeft(s[i:], " \t")
		if !strings.HasPrefix(s, "=") {
			return nil, "", fmt.Errorf("label %q has no '='", key)
		}
		s = strings.TrimLeft(s[1:], " \t")
		if !strings.HasPrefix(s, `"`) {
			return nil, "", fmt.Errorf("label %q has no quoted value", key)
		}
		var val strings.Builder
		j, closed := 1, false
		for ; j < len(s); j++ {
			c := s[j]
			if c == '"' {
				closed = true
				break
			}
			if c != '\\' {
				val.WriteByte(c)
				continue
			}
			if j+1 == len(s) {
				break
			}
			j++
			switch s[j] {
			case '\\', '"':
				val.WriteByte(s[j])
			case 'n':
				val.WriteByte('\n')
			default:
				return nil, "", fmt.Errorf("label %q has an unknown escape \\%c", key, s[j])
			}
		}
		if !closed {
			return nil, "", fmt.Errorf("label %q's value is not closed", key)
		}
		if _, dup := labels[key]; dup {
			return nil, "", fmt.Errorf("label %q appears twice", key)
		}
		labels[key] = val.String()
		s = strings.TrimLeft(s[j+1:], " \t")
		switch {
		case strings.HasPrefix(s, ","):
			s = s[1:]
		case strings.HasPrefix(s, "}"):
		default:
			return nil, "", fmt.Errorf("want ',' or '}' after label %q", key)
		}
	}
}

// isLabelChar reports whether c may be in a label name ([a-zA-Z_][a-zA-Z0-9_]*).
func isLabelChar(c byte, first bool) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (!first && c >= '0' && c <= '9')
}

// clip shortens s for an error message.
func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// ReadKubeletImageCredentials reads the KEP-2535 state from the node's
// kubelet through the API server's node proxy (rc is the core/v1 REST
// client, cs.CoreV1().RESTClient()): /configz for the gate when
// set explicitly, the policy and the allowlist, and /metrics
// (kubernetes_feature_enabled) for the gate when configz does not name it.
// Each read is bounded by KubeletReadTimeout (an API server's own proxy
// time-out, shorter, answers first). When neither can be read it
// infers the state from the kubelet's version and says why in Detail; it
// returns an error only when ctx ends.
func ReadKubeletImageCredentials(ctx context.Context, rc rest.Interface, node *corev1.Node) (*lab.KubeletImageCredentials, error) {
	version := node.Status.NodeInfo.KubeletVersion
	if r, ok := rc.(*rest.RESTClient); rc == nil || (ok && r == nil) {
		// A fake clientset has no REST client.
		return lab.InferKubeletImageCredentials(version, "no REST client reaches the node proxy"), nil
	}
	cz, czErr := readConfigz(ctx, rc, node.Name)
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	k := &lab.KubeletImageCredentials{Gate: lab.GateUnknown}
	if czErr == nil {
		k.Policy, k.Allowlist = cz.Policy, cz.Allowlist
		if on, ok := cz.FeatureGates[ensureSecretPulledImagesGate]; ok {
			k.Gate, k.Source = gateWord(on), lab.SourceConfigz
			k.Detail = "featureGates sets " + ensureSecretPulledImagesGate + " explicitly"
			return defaultPolicy(k), nil
		}
	}
	gates, mErr := readFeatureMetrics(ctx, rc, node.Name)
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if mErr == nil {
		st, ok := gates[ensureSecretPulledImagesGate]
		k.Source = lab.SourceMetrics
		switch {
		case ok:
			k.Gate = gateWord(st.Enabled)
			k.Detail = fmt.Sprintf("%s{name=%q,stage=%q}", featureEnabledMetric, ensureSecretPulledImagesGate, st.Stage)
		default:
			k.Gate = lab.GateOff
			k.Detail = "the kubelet's " + featureEnabledMetric + " does not list the gate: this kubelet does not have the feature"
		}
		if czErr != nil {
			k.Detail += "; /configz could not be read (" + czErr.Error() + ")"
		} else {
			k.Detail += "; configz leaves the gate at its default"
		}
		return defaultPolicy(k), nil
	}
	if czErr == nil {
		// The kubelet fills the policy when, and only when, the gate is on
		// (its defaulting), and refuses a policy with the gate off (its
		// validation): configz alone settles it.
		k.Source = lab.SourceConfigz
		if cz.Policy != "" {
			k.Gate = lab.GateOn
			k.Detail = "featureGates leaves the gate at its default and imagePullCredentialsVerificationPolicy is set, which the kubelet allows only with the gate on"
		} else {
			k.Gate = lab.GateOff
			k.Detail = "featureGates leaves the gate at its default and imagePullCredentialsVerificationPolicy is unset, which the kubelet's defaults leave so only with the gate off"
		}
		k.Detail += "; /metrics could not be read (" + mErr.Error() + ")"
		return k, nil
	}
	why := "/configz and /metrics: " + czErr.Error()
	if mErr.Error() != czErr.Error() {
		why = "/configz: " + czErr.Error() + "; /metrics: " + mErr.Error()
	}
	return lab.InferKubeletImageCredentials(version, why), nil
}

// defaultPolicy fills the kubelet's default policy when the gate is on and
// no policy was read.
func defaultPolicy(k *lab.KubeletImageCredentials) *lab.KubeletImageCredentials {
	if k.Gate == lab.GateOn && k.Policy == "" {
		k.Policy, k.PolicyDefaulted = lab.PolicyNeverVerifyPreloadedImages, true
	}
	return k
}

func gateWord(on bool) string {
	if on {
		return lab.GateOn
	}
	return lab.GateOff
}

// readConfigz GETs /api/v1/nodes/<node>/proxy/configz and parses it.
func readConfigz(ctx context.Context, rc rest.Interface, node string) (*KubeletConfigz, error) {
	b, err := proxyGet(ctx, rc, node, "configz")
	if err != nil {
		return nil, err
	}
	cz, err := ParseKubeletConfigz(b)
	if err != nil {
		return nil, fmt.Errorf("unexpected answer: %w", err)
	}
	return cz, nil
}

// readFeatureMetrics GETs /api/v1/nodes/<node>/proxy/metrics and parses its
// kubernetes_feature_enabled samples.
func readFeatureMetrics(ctx context.Context, rc rest.Interface, node string) (map[string]FeatureState, error) {
	b, err := proxyGet(ctx, rc, node, "metrics")
	if err != nil {
		return nil, err
	}
	gates, found, err := ParseFeatureMetrics(b)
	if err != nil {
		return nil, fmt.Errorf("unexpected answer: %w", err)
	}
	if !found {
		return nil, fmt.Errorf("unexpected answer: no %s samples", featureEnabledMetric)
	}
	return gates, nil
}

// proxyGet reads one kubelet path through the API server's node proxy,
// bounded by KubeletReadTimeout. Its errors are short and never carry the
// answer's body.
func proxyGet(ctx context.Context, rc rest.Interface, node, path string) ([]byte, error) {
	rctx, cancel := context.WithTimeout(ctx, kubeletReadTimeout)
	defer cancel()
	b, err := rc.Get().AbsPath("/api/v1/nodes", node, "proxy", path).DoRaw(rctx)
	switch {
	case err == nil && len(b) > maxKubeletBody:
		return nil, fmt.Errorf("the answer is larger than %d MiB", maxKubeletBody>>20)
	case err == nil:
		return b, nil
	case ctx.Err() != nil:
		return nil, ctx.Err()
	case rctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) || apierrors.IsTimeout(err) || apierrors.IsServerTimeout(err):
		return nil, fmt.Errorf("no answer within %s", kubeletReadTimeout)
	case apierrors.IsForbidden(err):
		return nil, fmt.Errorf("forbidden: reading it needs 'get' on nodes/proxy (cluster-admin has it)")
	case apierrors.IsNotFound(err):
		return nil, fmt.Errorf("not found (HTTP 404)")
	}
	var st apierrors.APIStatus
	if errors.As(err, &st) && st.Status().Code != 0 {
		return nil, fmt.Errorf("HTTP %d (%s)", st.Status().Code, apierrors.ReasonForError(err))
	}
	return nil, fmt.Errorf("the request failed: %w", err)
}
