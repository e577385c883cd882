//go:build e2e

package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/pulllab/pulllab/lab"
)

// ---------------------------------------------------------------- Pod Security

// restrictedPodSecurity and restrictedContainerSecurity make a pod admissible
// under Pod Security "restricted" (the images run as USER 65532).
func restrictedPodSecurity() *corev1.PodSecurityContext {
	yes := true
	return &corev1.PodSecurityContext{
		RunAsNonRoot:   &yes,
		SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
	}
}

func restrictedContainerSecurity() *corev1.SecurityContext {
	no := false
	return &corev1.SecurityContext{
		AllowPrivilegeEscalation: &no,
		Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
	}
}

// podSecurity proves that the lab namespace really enforces "restricted"
// (when the harness runs with PULLLAB_E2E_PSA=restricted): a pod without a
// restricted security context is refused by the API server, the same pod
// made compliant is admitted. Both are dry runs, so nothing is left behind.
// Every pod pulllab created in the verify run before was admitted under the
// same enforcement, or that run would have failed.
func (h *harness) podSecurity(t *testing.T) {
	ctx := context.Background()
	ns, err := h.cs.CoreV1().Namespaces().Get(ctx, labNamespace, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("the lab namespace %s (verify-clean makes it): %v", labNamespace, err)
	}
	if v, ok := ns.Labels["pod-security.kubernetes.io/enforce"]; ok && v != "restricted" {
		t.Errorf("the lab namespace is labelled pod-security.kubernetes.io/enforce=%s: pulllab must not weaken Pod Security there", v)
	}
	grace := int64(1)
	pod := func(name string, compliant bool) *corev1.Pod {
		p := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: labNamespace},
			Spec: corev1.PodSpec{
				TerminationGracePeriodSeconds: &grace,
				Containers:                    []corev1.Container{{Name: "app", Image: h.cfg.baseImage}},
			},
		}
		if compliant {
			p.Spec.SecurityContext = restrictedPodSecurity()
			p.Spec.Containers[0].SecurityContext = restrictedContainerSecurity()
		}
		return p
	}
	dry := metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}}
	_, errBad := h.cs.CoreV1().Pods(labNamespace).Create(ctx, pod("psa-noncompliant", false), dry)
	_, errGood := h.cs.CoreV1().Pods(labNamespace).Create(ctx, pod("psa-compliant", true), dry)
	if errGood != nil {
		t.Errorf("a pod that meets \"restricted\" was refused in %s: %v", labNamespace, errGood)
	}
	switch h.cfg.psa {
	case "restricted":
		if errBad == nil {
			t.Fatalf("a pod without runAsNonRoot, seccompProfile, allowPrivilegeEscalation=false and dropped capabilities was admitted to %s: Pod Security \"restricted\" is not enforced", labNamespace)
		}
		if !apierrors.IsForbidden(errBad) || !strings.Contains(errBad.Error(), `violates PodSecurity "restricted`) {
			t.Errorf("the non-compliant pod was refused, but not by Pod Security: %v", errBad)
		}
		t.Logf("refused as it should be: %v", errBad)
	default:
		if errBad != nil {
			t.Errorf("PULLLAB_E2E_PSA=%s, yet a non-compliant pod was refused: %v", h.cfg.psa, errBad)
		}
		t.Skipf("PULLLAB_E2E_PSA=%s: Pod Security is not enforced in this run", h.cfg.psa)
	}
}

// ---------------------------------------------------------------- registry credentials

// registryCredentials reads the lab registry's user and password from the
// dockerconfigjson cluster.sh wrote.
func (h *harness) registryCredentials(t *testing.T) (user, pass string) {
	t.Helper()
	b, err := os.ReadFile(h.cfg.registryAuth)
	if err != nil {
		t.Fatalf("the lab registry's credentials: %v", err)
	}
	var cfg struct {
		Auths map[string]struct {
			Auth string `json:"auth"`
		} `json:"auths"`
	}
	if err := json.Unmarshal(b, &cfg); err != nil {
		t.Fatalf("%s is not a dockerconfigjson: %v", h.cfg.registryAuth, err)
	}
	raw, err := base64.StdEncoding.DecodeString(cfg.Auths[h.cfg.labRegistry].Auth)
	if err != nil {
		t.Fatalf("%s: the auth for %s is not base64", h.cfg.registryAuth, h.cfg.labRegistry)
	}
	user, pass, ok := strings.Cut(string(raw), ":")
	if !ok || user == "" || pass == "" {
		t.Fatalf("%s holds no user:password for %s", h.cfg.registryAuth, h.cfg.labRegistry)
	}
	return user, pass
}

// secrets are the strings that must never appear in pulllab's output, its
// reports or its log: the password and the encoded user:password.
func (h *harness) secrets(t *testing.T) []string {
	t.Helper()
	if !h.cfg.auth {
		return nil
	}
	user, pass := h.registryCredentials(t)
	return []string{pass, base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))}
}

// requireNoSecrets checks a run's stdout, stderr, every file in its output
// directory and pulllab's debug log for the registry's credentials.
func (h *harness) requireNoSecrets(t *testing.T, r runRecord) {
	t.Helper()
	secrets := h.secrets(t)
	if len(secrets) == 0 {
		return
	}
	texts := map[string]string{"stdout": r.Stdout, "stderr": r.Stderr}
	if b, err := os.ReadFile(filepath.Join(h.work, "cache", "pulllab", "pulllab.log")); err == nil {
		texts["pulllab.log"] = string(b)
	}
	if r.OutDir != "" {
		_ = filepath.WalkDir(r.OutDir, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				if b, err := os.ReadFile(p); err == nil {
					texts[p] = string(b)
				}
			}
			return nil
		})
	}
	for where, text := range texts {
		for i, s := range secrets {
			if strings.Contains(text, s) {
				t.Errorf("%s: the lab registry's %s appears in %s", r.Name, []string{"password", "encoded user:password"}[i], where)
			}
		}
	}
}

// ---------------------------------------------------------------- KEP-2535

// kubeletImageCredentials is environment.kubeletImageCredentials in
// results.json: the KEP-2535 state pulllab read from the node.
type kubeletImageCredentials struct {
	Gate   string `json:"gate"`
	Policy string `json:"policy"`
	Source string `json:"source"`
	Detail string `json:"detail"`
}

// kepOutcome is what one kubelet did in cases 11 and 12, written to
// <run>/kep2535.json for the runs on the other kubelets.
type kepOutcome struct {
	Run            string                  `json:"run"`
	KubeletVersion string                  `json:"kubeletVersion"`
	Runtime        string                  `json:"containerRuntime"`
	State          kubeletImageCredentials `json:"kubeletImageCredentials"`
	// Observed is each case's observation, e.g. "runs(node)" or
	// "fails(ErrImageNeverPull)", by case ID.
	Observed map[int]string `json:"observed"`
}

// gateDefaultOn is the KEP-2535 gate's upstream default for a kubelet
// version: beta and on from 1.35. The harness sets no feature gates, so this
// is what the node must report.
func gateDefaultOn(version string) (bool, error) {
	var major, minor int
	if _, err := fmt.Sscanf(strings.TrimPrefix(version, "v"), "%d.%d", &major, &minor); err != nil {
		return false, fmt.Errorf("kubelet version %q: %w", version, err)
	}
	return major > 1 || minor >= 35, nil
}

// readKEPState reads environment.kubeletImageCredentials from results.json.
func readKEPState(path string) (*kubeletImageCredentials, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var res struct {
		Environment struct {
			KIC *kubeletImageCredentials `json:"kubeletImageCredentials"`
		} `json:"environment"`
	}
	if err := json.Unmarshal(b, &res); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if res.Environment.KIC == nil {
		return nil, fmt.Errorf("%s has no environment.kubeletImageCredentials", path)
	}
	return res.Environment.KIC, nil
}

// kep2535 checks cases 11 and 12 of the clean run against the gate state
// pulllab read from the node: gate off → the image the kubelet pulled with
// the lab's pull secret runs in a namespace without credentials (both
// cases); gate on → case 11 (IfNotPresent) fails to pull (ErrImagePull /
// ImagePullBackOff) and case 12 (Never) fails with ErrImageNeverPull. It
// writes the outcome to <run>/kep2535.json for the other kubelet's run.
func (h *harness) kep2535(t *testing.T) {
	h.mu.Lock()
	clean, dir := h.clean, h.cleanDir
	h.mu.Unlock()
	if clean == nil {
		t.Fatal("no clean run")
	}
	byID := map[int]lab.CaseResult{}
	for _, c := range clean.Cases {
		byID[c.Case.ID] = c
	}
	if _, ok := lab.CaseByID(11); !ok {
		if h.cfg.auth {
			t.Fatal("PULLLAB_E2E_AUTH=1 but this pulllab has no case 11: build it with the KEP-2535 cases (branch auth)")
		}
		t.Skip("this pulllab has no cases 11 and 12")
	}
	if !h.cfg.auth {
		// requireAllPass has checked they are skipped, not passed
		t.Skip("the lab registry serves anonymously (PULLLAB_E2E_AUTH=0): cases 11 and 12 cannot show anything")
	}

	st, err := readKEPState(filepath.Join(dir, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("KEP-2535 on %s: gate %s, policy %q, read from %s (%s)", clean.Environment.KubeletVersion, st.Gate, st.Policy, st.Source, st.Detail)
	if st.Source != "configz" && st.Source != "metrics" {
		t.Errorf("the gate state comes from %q, want it read from the node (configz or metrics): an admin can read both here", st.Source)
	}
	wantOn, err := gateDefaultOn(clean.Environment.KubeletVersion)
	if err != nil {
		t.Fatal(err)
	}
	if on := st.Gate == "on"; on != wantOn || (st.Gate != "on" && st.Gate != "off") {
		t.Errorf("gate %q read from the node; the harness sets no feature gates, so kubelet %s must have it %s",
			st.Gate, clean.Environment.KubeletVersion, map[bool]string{true: "on", false: "off"}[wantOn])
	}
	if wantOn && st.Policy != "NeverVerifyPreloadedImages" {
		t.Errorf("policy %q, want the default NeverVerifyPreloadedImages (the harness sets none)", st.Policy)
	}

	out := kepOutcome{
		Run: h.cfg.k8sVersion + "-" + h.cfg.runtime, KubeletVersion: clean.Environment.KubeletVersion,
		Runtime: clean.Environment.ContainerRuntime, State: *st, Observed: map[int]string{},
	}
	for _, id := range []int{11, 12} {
		c, ok := byID[id]
		if !ok {
			t.Errorf("case %d is not in the clean run's results", id)
			continue
		}
		if c.Observed == nil {
			t.Errorf("case %d has no observation: %s: %s", id, c.Verdict, c.Detail)
			continue
		}
		out.Observed[id] = c.Observed.String()
		t.Logf("case %d (%s): %s, observed %s", id, c.Case.Policy, c.Verdict, c.Observed)
		var okReasons []string
		switch {
		case st.Gate == "off":
			if c.Observed.Outcome != lab.OutcomeRuns || c.Observed.Variant != lab.VariantNode {
				t.Errorf("case %d with the gate off: observed %s, want runs(node) (the image the kubelet pulled with the secret serves a namespace without one)", id, c.Observed)
			}
		case id == 11:
			okReasons = []string{"ErrImagePull", "ImagePullBackOff"}
		default:
			okReasons = []string{"ErrImageNeverPull"}
		}
		if okReasons != nil && (c.Observed.Outcome != lab.OutcomeFails || !contains(okReasons, c.Observed.Reason)) {
			t.Errorf("case %d with the gate on: observed %s, want fails(%s)", id, c.Observed, strings.Join(okReasons, " or "))
		}
	}
	h.requireEventWording(t, clean, st.Gate == "on")

	b, _ := json.MarshalIndent(out, "", "  ")
	if err := os.MkdirAll(h.cfg.out, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(h.cfg.out, "kep2535.json"), append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}

// requireEventWording: a case whose image was on the node has the kubelet's
// Pulled event in the gate's wording ("… already present on machine", with
// the gate on "… and can be accessed by the pod"), and pulllab passed it, so
// pulllab matched that wording.
func (h *harness) requireEventWording(t *testing.T, res *lab.Results, gateOn bool) {
	t.Helper()
	present, accessible := 0, 0
	for _, c := range res.Cases {
		if c.Observation == nil || c.Verdict != lab.VerdictPass {
			continue
		}
		for _, e := range c.Observation.Events {
			if strings.Contains(e.Message, "already present on machine") {
				present++
				if strings.Contains(e.Message, "already present on machine and can be accessed by the pod") {
					accessible++
				}
			}
		}
	}
	switch {
	case present == 0:
		t.Errorf("no passed case recorded an \"already present on machine\" event")
	case gateOn && accessible == 0:
		t.Errorf("gate on, but no \"… and can be accessed by the pod\" event among %d \"already present\" events", present)
	case !gateOn && accessible > 0:
		t.Errorf("gate off, but %d events say \"… and can be accessed by the pod\"", accessible)
	default:
		t.Logf("%d passed-case events say \"already present on machine\", %d of them \"… and can be accessed by the pod\"", present, accessible)
	}
}

// kep2535AcrossKubelets compares this kubelet's cases 11 and 12 with the
// earlier runs' (e2e.sh passes their directories): kubelets whose gates
// differ must show different outcomes for both cases, kubelets whose gates
// agree the same ones.
func (h *harness) kep2535AcrossKubelets(t *testing.T) {
	if len(h.cfg.peers) == 0 {
		t.Skip("no earlier run on another kubelet to compare with (e2e.sh runs the pairs in order; this is the first)")
	}
	mine, err := readKEPOutcome(filepath.Join(h.cfg.out, "kep2535.json"))
	if err != nil {
		t.Fatalf("this run's KEP-2535 outcome (subtest kep2535): %v", err)
	}
	differ := 0
	for _, d := range h.cfg.peers {
		peer, err := readKEPOutcome(filepath.Join(d, "kep2535.json"))
		if err != nil {
			t.Errorf("run %s: %v", d, err)
			continue
		}
		same := peer.State.Gate == mine.State.Gate
		for _, id := range []int{11, 12} {
			a, b := peer.Observed[id], mine.Observed[id]
			t.Logf("case %d: %s (gate %s) %s, %s (gate %s) %s", id, peer.KubeletVersion, peer.State.Gate, a, mine.KubeletVersion, mine.State.Gate, b)
			if a == "" || b == "" {
				t.Errorf("case %d: no observation on %s or %s", id, peer.Run, mine.Run)
			} else if same && a != b {
				t.Errorf("case %d: same gate (%s) on %s and %s, yet %s vs %s", id, mine.State.Gate, peer.KubeletVersion, mine.KubeletVersion, a, b)
			} else if !same && a == b {
				t.Errorf("case %d: gate %s on %s and %s on %s, yet both %s: the kubelets must disagree", id, peer.State.Gate, peer.KubeletVersion, mine.State.Gate, mine.KubeletVersion, a)
			}
		}
		if !same {
			differ++
		}
	}
	if differ == 0 {
		t.Logf("no earlier run had the other gate state: nothing to contrast (runs %v)", h.cfg.peers)
	}
}

func readKEPOutcome(path string) (*kepOutcome, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var o kepOutcome
	if err := json.Unmarshal(b, &o); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &o, nil
}
