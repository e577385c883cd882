package report

import (
	"bytes"
	"strings"
	"testing"
)

// TestPushRepository: a registry with a push and a pull address shows both
// (the pull repository is what the pods ran); one address shows one.
func TestPushRepository(t *testing.T) {
	const pull, push = "kind-registry:5000/pulllab/custom-image-java", "localhost:5001/pulllab/custom-image-java"
	for _, split := range []bool{true, false} {
		r := fixtureKubernetes()
		r.Environment.AppRepository = pull
		if split {
			r.Environment.AppPushRepository = push
		}
		for lang, row := range map[string]string{"en": "| Pushed to (the same registry as this machine reaches it) | `" + push + "` |", "ja": "| プッシュ先（同じレジストリをこのマシンから見たアドレス） | `" + push + "` |"} {
			var b bytes.Buffer
			if err := Markdown(&b, r, lang); err != nil {
				t.Fatal(err)
			}
			md := b.String()
			if !strings.Contains(md, "`"+pull+"`") {
				t.Errorf("%s: the report does not name the pull repository", lang)
			}
			if strings.Contains(md, row) != split || strings.Contains(md, "for the registry operations in A, C and D use `"+push+"`") != (split && lang == "en") {
				t.Errorf("%s, split %v: the push repository row/note is wrong:\n%s", lang, split, md)
			}
		}
		var j bytes.Buffer
		if err := JUnit(&j, r); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(j.String(), `name="app.pushRepository" value="`+push+`"`) != split {
			t.Errorf("split %v: junit property app.pushRepository wrong", split)
		}
	}
}
