package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/pulllab/pulllab/lab"
)

// kepSection renders the report in lang and returns its KEP-2535 section
// and the environment table.
func kepSection(t *testing.T, r *lab.Results, lang string) (section, head string) {
	t.Helper()
	var b bytes.Buffer
	if err := Markdown(&b, r, lang); err != nil {
		t.Fatal(err)
	}
	md := b.String()
	start, end := "## KEP-2535 on this cluster", "## Appendix A"
	if lang == "ja" {
		start, end = "## このクラスターの KEP-2535", "## 付録 A"
	}
	i, j := strings.Index(md, start), strings.Index(md, end)
	if i < 0 || j < i {
		t.Fatalf("no KEP-2535 section in the %s report", lang)
	}
	return md[i:j], md[:strings.Index(md, "## imagePullPolicy")]
}

func TestKEPSection(t *testing.T) {
	inferred := func() *lab.Results {
		r := fixtureKEPOff()
		k := lab.InferKubeletImageCredentials("v1.36.1", "/configz and /metrics: forbidden: reading it needs 'get' on nodes/proxy (cluster-admin has it)")
		r.Environment.KubeletImageCredentials, r.Environment.EnsureSecretPulledImages = k, k.Summary()
		r.Environment.Node = "crc"
		return r
	}
	skipped := func() *lab.Results {
		r := fixtureKEPOn()
		for i := range r.Cases {
			if c := &r.Cases[i]; c.Case.ID >= 11 {
				c.Observation, c.Observed, c.RanVariant, c.LogVariant = nil, nil, "", ""
				c.Verdict = verdictSkipped
				c.Detail = "the registry serves the image without credentials, so a namespace without a pull secret pulls it too"
			}
		}
		finish(r)
		return r
	}
	anonymous := func() *lab.Results {
		r := fixtureKEPOn()
		for i := range r.Cases {
			if c := &r.Cases[i]; c.Case.ID == 11 {
				c.Observed = &lab.Expect{Outcome: lab.OutcomeRuns, Variant: lab.VariantRegistry}
				c.RanVariant, c.LogVariant, c.Verdict = lab.VariantRegistry, lab.VariantRegistry, lab.VerdictFail
			}
		}
		return r
	}
	contradiction := func() *lab.Results {
		r := fixtureKEPOff()
		r.Environment.KubeletImageCredentials = &lab.KubeletImageCredentials{Gate: lab.GateOn, Policy: lab.PolicyAlwaysVerify, Source: lab.SourceConfigz,
			Allowlist: []string{"registry.k8s.io/pause"}}
		for i := range r.Cases {
			if r.Cases[i].Case.ID >= 11 {
				r.Cases[i].Verdict = lab.VerdictFail
			}
		}
		return r
	}
	legacy := func() *lab.Results {
		r := fixtureOpenShift()
		r.Environment.KubeletImageCredentials = nil
		r.Environment.EnsureSecretPulledImages = "on: beta, default on since Kubernetes 1.35"
		return r
	}
	none := func() *lab.Results {
		r := fixtureKubernetes()
		r.Environment.KubeletImageCredentials, r.Environment.EnsureSecretPulledImages = nil, ""
		return r
	}
	for _, tt := range []struct {
		name  string
		r     func() *lab.Results
		lang  string
		want  []string
		avoid []string
	}{
		{"on, both refused", fixtureKEPOn, "en", []string{
			"| Gate `KubeletEnsureSecretPulledImages` | **on** |",
			"| `imagePullCredentialsVerificationPolicy` | `NeverVerifyPreloadedImages` (from the kubelet's `/configz`) |",
			"is not\navailable to a pod that cannot present matching credentials",
			"it pulled again with the pod's own credentials",
			"refused to start the container from its cache although the image is on the node",
		}, []string{"Inferred", "contradicts", "not part of this run", "did not check"}},
		{"off, both borrowed", fixtureKEPOff, "en", []string{
			"| Gate `KubeletEnsureSecretPulledImages` | **off** |",
			"— (with the gate off the kubelet checks nothing)",
			"any pod may run any image in the node's cache",
			"- **Case 11 (IfNotPresent)**: the node variant (`node.war`) ran",
			"- **Case 12 (Never)**: the node variant (`node.war`) ran",
			"ran the private image from the node's cache: the kubelet did not check.",
		}, []string{"contradicts", "Inferred"}},
		{"inferred", inferred, "en", []string{
			"| Where from | inferred from the kubelet version: the node could not be read |",
			"**Inferred, not read.**",
			"`kubectl get --raw /api/v1/nodes/crc/proxy/configz`",
			"(not read: the kubelet's default with the gate on)",
			"is not known for certain",
			"forbidden: reading it needs 'get' on nodes/proxy",
		}, []string{"So on this node"}},
		{"inferred ja", inferred, "ja", []string{
			"**読み取った値ではなく推定値です。**",
			"| 出所 | ノードを読み取れなかったため kubelet のバージョンから推定した値 |",
			"確かではありません",
		}, []string{"つまりこのノードでは"}},
		{"skipped", skipped, "en", []string{
			"- **Case 11 (IfNotPresent)**: skipped: the registry serves the image without credentials, so a namespace without a pull secret pulls it too.",
			"- **Case 12 (Never)**: skipped:",
		}, []string{"pass)", "did not check", "refused"}},
		{"skipped ja", skipped, "ja", []string{
			"- **ケース 11（IfNotPresent）**: スキップしました。理由は「the registry serves",
		}, []string{"判定は"}},
		{"anonymous registry", anonymous, "en", []string{
			"the registry served it anonymously, so this case shows nothing about KEP-2535",
		}, nil},
		{"borrowed although read as verifying", contradiction, "en", []string{
			"That contradicts the state read above; look at the evidence of case 11.",
			"| `preloadedImagesVerificationAllowlist` | `registry.k8s.io/pause` |",
			"| `imagePullCredentialsVerificationPolicy` | `AlwaysVerify` |",
		}, nil},
		{"borrowed although read as verifying ja", contradiction, "ja", []string{
			"これは上で読み取った状態と矛盾します。ケース 11 の証跡を確認してください。",
		}, nil},
		{"legacy record", legacy, "en", []string{
			"| Gate `KubeletEnsureSecretPulledImages` | **on** |",
			"| Where from | recorded by an older pulllab from the kubelet version |",
			"These results come from an older pulllab",
			"Cases 11 and 12, which show this on the live kubelet, were not part of this run.",
		}, []string{"imagePullCredentialsVerificationPolicy` |"}},
		{"nothing recorded", none, "en", []string{
			"pulllab did not record the state of the gate for this run.",
		}, []string{"| Gate `"}},
		{"nothing recorded ja", none, "ja", []string{
			"この実行では、pulllab はゲートの状態を記録していません。",
		}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			sec, _ := kepSection(t, tt.r(), tt.lang)
			for _, w := range tt.want {
				if !strings.Contains(sec, w) {
					t.Errorf("section lacks %q:\n%s", w, sec)
				}
			}
			for _, a := range tt.avoid {
				if strings.Contains(sec, a) {
					t.Errorf("section has %q:\n%s", a, sec)
				}
			}
		})
	}
}

// The environment table shows the gate and the policy, with their source.
func TestKEPEnvironmentRows(t *testing.T) {
	_, head := kepSection(t, fixtureKEPOn(), "en")
	for _, w := range []string{
		"| KEP-2535 (`KubeletEnsureSecretPulledImages`) | on, read from the kubelet's `/metrics` (`kubernetes_feature_enabled`) through the API server's node proxy |",
		"| `imagePullCredentialsVerificationPolicy` | `NeverVerifyPreloadedImages` (from the kubelet's `/configz`) |",
	} {
		if !strings.Contains(head, w) {
			t.Errorf("environment table lacks %q:\n%s", w, head)
		}
	}
	_, head = kepSection(t, fixtureOpenShift(), "ja")
	if w := "| KEP-2535（`KubeletEnsureSecretPulledImages`） | 無効（API サーバーのノードプロキシ経由で kubelet の `/configz` から読み取った値） |"; !strings.Contains(head, w) {
		t.Errorf("environment table lacks %q:\n%s", w, head)
	}
}
