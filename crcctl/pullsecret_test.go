package crcctl

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func TestParsePullSecret(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		hosts   []string
		wantErr string
	}{
		{"good", goodSecret, []string{"registry.example.com", "registry.redhat.io"}, ""},
		{"credsStore", `{"auths":{"registry.redhat.io":{"credsStore":"desktop"}}}`, []string{"registry.redhat.io"}, ""},
		{"surrounding whitespace", "\n\t " + goodSecret + "\n\n", []string{"registry.example.com", "registry.redhat.io"}, ""},
		{"empty", "  \n", nil, "the file is empty"},
		{"not JSON", "Bearer TOPSECRET", nil, "not valid JSON (line 1, column 1)"},
		{"trailing comma on line 4", "\n{\n \"auths\": {\n  \"registry.redhat.io\": {\"auth\": \"abc\"},\n }\n}\n", nil, "not valid JSON (line 5, column 2)"},
		{"truncated", `{"auths":{"registry.redhat.io":{"auth":"TOPSECRET`, nil, "not valid JSON"},
		{"array", `["TOPSECRET"]`, nil, `not a JSON object of the form {"auths":{...}}`},
		{"no auths", `{"registry.redhat.io":{"auth":"TOPSECRET"}}`, nil, "missing 'auths' JSON-object field"},
		{"empty auths", `{"auths":{}}`, nil, "missing 'auths'"},
		{"auths not an object", `{"auths":"TOPSECRET"}`, nil, `not a JSON object`},
		{"entry without auth", `{"auths":{"registry.redhat.io":{"email":"TOPSECRET@example.com"}}}`, nil, `the entry for "registry.redhat.io" has neither 'auth' nor 'credsStore'`},
		{"entry not an object", `{"auths":{"registry.example.com":"TOPSECRET"}}`, nil, `the entry for "registry.example.com" is not a JSON object`},
		{"odd host key hidden", `{"auths":{"TOPSECRET value=":{}}}`, nil, "the entry for a registry has neither"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps, err := ParsePullSecret([]byte(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParsePullSecret = %v, want error with %q", err, tt.wantErr)
				}
				if KindOf(err) != KindPullSecretInvalid || HintOf(err) == "" {
					t.Errorf("error kind %v hint %q", KindOf(err), HintOf(err))
				}
				if strings.Contains(err.Error(), "TOPSECRET") {
					t.Errorf("error shows secret content: %q", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(ps.Hosts, tt.hosts) {
				t.Errorf("Hosts = %q, want %q", ps.Hosts, tt.hosts)
			}
		})
	}
}

func TestLoadPullSecret(t *testing.T) {
	files := map[string][]byte{"/ps/good.json": []byte(goodSecret), "/ps/bad.json": []byte(`{"auths":{}}`)}
	read := func(p string) ([]byte, error) {
		if b, ok := files[p]; ok {
			return b, nil
		}
		if p == "/ps/locked.json" {
			return nil, &fs.PathError{Op: "open", Path: p, Err: fs.ErrPermission}
		}
		return nil, &fs.PathError{Op: "open", Path: p, Err: fs.ErrNotExist}
	}
	if ps, err := LoadPullSecret(read, "/ps/good.json"); err != nil || !ps.Has(RedHatRegistry) {
		t.Errorf("good = %+v, %v", ps, err)
	}
	if _, err := LoadPullSecret(read, "/ps/bad.json"); KindOf(err) != KindPullSecretInvalid || !strings.Contains(err.Error(), "/ps/bad.json") {
		t.Errorf("bad = %v", err)
	}
	if _, err := LoadPullSecret(read, "/ps/none.json"); KindOf(err) != KindPullSecretMissing || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing = %v", err)
	}
	if _, err := LoadPullSecret(read, "/ps/locked.json"); KindOf(err) != KindPullSecretMissing || !errors.Is(err, fs.ErrPermission) {
		t.Errorf("locked = %v", err)
	}
}

// pullSecretErrorForm is every message ParsePullSecret can return, once
// the quoted registry names are replaced by "a registry".
var pullSecretErrorForm = regexp.MustCompile(`^invalid pull secret: (the file is empty|it is not valid JSON \(line \d+, column \d+\)|it is not a JSON object of the form \{"auths":\{\.\.\.\}\}|missing 'auths' JSON-object field|the entry for a registry is not a JSON object|the entry for a registry has neither 'auth' nor 'credsStore')\nFix: [^\n]+$`)

// FuzzParsePullSecret feeds raw bytes: no panic, and a failure is one of
// the fixed messages, quoting at most a registry name.
func FuzzParsePullSecret(f *testing.F) {
	for _, s := range []string{goodSecret, `{"auths":{}}`, `{"auths":{"a":{}}}`, `{"auths":{"a":1}}`, `{"auths":null}`, `null`, ``, `{"auths":{"x":{"auth":null}}}`, "\xff\xfe"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ps, err := ParsePullSecret(data)
		if err == nil {
			if ps == nil || len(ps.Hosts) == 0 {
				t.Fatalf("accepted %q without hosts", data)
			}
			return
		}
		if KindOf(err) != KindPullSecretInvalid {
			t.Fatalf("error %v has kind %v", err, KindOf(err))
		}
		msg := err.Error()
		var doc struct {
			Auths map[string]json.RawMessage `json:"auths"`
		}
		if json.Unmarshal(bytes.TrimSpace(data), &doc) == nil {
			for host := range doc.Auths {
				msg = strings.ReplaceAll(msg, strconv.Quote(host), "a registry")
			}
		}
		if !pullSecretErrorForm.MatchString(msg) {
			t.Fatalf("error %q is not one of the fixed messages", err)
		}
	})
}

// FuzzPullSecretNoLeak builds a secret with a fuzzed credential in each
// position crc reads and checks it never reaches the error.
func FuzzPullSecretNoLeak(f *testing.F) {
	f.Add("registry.redhat.io", "auth", "dXNlcjpwYXNz")
	f.Add("registry.example.com", "email", "me@example.com")
	f.Add("", "password", "hunter2hunter2")
	f.Add("bad host!", "identitytoken", "tok=")
	f.Fuzz(func(t *testing.T, host, field, cred string) {
		secret := "=" + cred // '=' never appears in a printed host name
		doc, err := json.Marshal(map[string]any{"auths": map[string]any{host: map[string]string{field: secret}}})
		if err != nil {
			return
		}
		_, perr := ParsePullSecret(doc)
		if perr != nil && strings.Contains(perr.Error(), secret) {
			t.Fatalf("error %q contains the credential", perr)
		}
	})
}
