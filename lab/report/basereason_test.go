package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/pulllab/pulllab/lab"
)

// TestBaseImageReason: the report says which base image ran and why, in
// the reader's language (issue 8, item 3).
func TestBaseImageReason(t *testing.T) {
	for _, tc := range []struct {
		reason lab.BaseImageReason
		arch   string
		en, ja string
	}{
		{lab.BaseReasonDefault, "amd64", "the default: the article's JBoss EAP 7.4 image", "既定のイメージ（記事と同じ JBoss EAP 7.4）"},
		{lab.BaseReasonUser, "amd64", "chosen by the user", "利用者の指定"},
		{lab.BaseReasonArm64, "arm64", "the node is arm64, and the default JBoss EAP 7.4 image has no build for it", "ノードのアーキテクチャが arm64 で"},
		{lab.BaseReasonOKD, "amd64", "crc's okd preset has no registry.redhat.io credentials", "crc の okd プリセットには registry.redhat.io の認証情報がない"},
		{lab.BaseReasonKubernetes, "arm64", "the cluster is plain Kubernetes, where the default JBoss EAP 7.4 image cannot be used (it needs Red Hat credentials), so pulllab used the public WildFly image", "クラスタが OpenShift ではない Kubernetes で、既定の JBoss EAP 7.4 イメージは使えない（Red Hat の認証情報が必要）ため、公開されている WildFly イメージを使用"},
	} {
		r := fixtureOpenShift()
		r.Environment.BaseImageReason = tc.reason
		r.Environment.NodeArchitecture = tc.arch
		for lang, want := range map[string]string{"en": tc.en, "ja": tc.ja} {
			var b bytes.Buffer
			if err := Markdown(&b, r, lang); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(b.String(), want) {
				t.Errorf("%s/%s: the report lacks %q", tc.reason, lang, want)
			}
		}
	}
}
