package crcctl

import (
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/crc-org/crc/v2/pkg/crc/machine/state"
)

// Outputs as crc v2.59/v2.60 prints them (cmd/crc/cmd/*.go, status_test.go).
const (
	versionJSON = `{
  "version": "2.59.0",
  "commit": "e90757",
  "openshiftVersion": "4.21.4",
  "microshiftVersion": "4.21.0"
}
`
	statusRunningJSON = `{
  "success": true,
  "crcStatus": "Running",
  "openshiftStatus": "Running",
  "openshiftVersion": "4.21.4",
  "diskUsage": 18000000000,
  "diskSize": 32000000000,
  "cacheUsage": 24000000000,
  "cacheDir": "/home/u/.crc/cache",
  "ramSize": 11000000000,
  "ramUsage": 7000000000,
  "preset": "openshift"
}
`
	// crc 2.65.0: same keys (cmd/crc/cmd/version.go, status.go, start.go
	// are unchanged in shape), OpenShift 5.0.0, and the okd and microshift
	// presets' answers.
	version265JSON = `{
  "version": "2.65.0",
  "commit": "c65a0e",
  "openshiftVersion": "5.0.0",
  "microshiftVersion": "5.0.0"
}
`
	statusOKD265JSON = `{
  "success": true,
  "crcStatus": "Running",
  "openshiftStatus": "Running",
  "openshiftVersion": "5.0.0-okd-scos.4",
  "diskUsage": 18000000000,
  "diskSize": 32000000000,
  "cacheUsage": 24000000000,
  "cacheDir": "/home/u/.crc/cache",
  "ramSize": 11000000000,
  "ramUsage": 7000000000,
  "preset": "okd"
}
`
	statusMicroShift265JSON = `{
  "success": true,
  "crcStatus": "Running",
  "openshiftStatus": "Running",
  "openshiftVersion": "5.0.0",
  "diskUsage": 9000000000,
  "diskSize": 32000000000,
  "cacheUsage": 6000000000,
  "cacheDir": "/home/u/.crc/cache",
  "ramSize": 4000000000,
  "ramUsage": 2000000000,
  "persistentVolumeUsage": 1000000000,
  "persistentVolumeSize": 16000000000,
  "preset": "microshift"
}
`
	startMicroShiftJSON = `{
  "success": true,
  "clusterConfig": {
    "clusterType": "microshift",
    "cacert": "",
    "webConsoleUrl": "",
    "url": "",
    "adminCredentials": {
      "username": "kubeadmin",
      "password": ""
    },
    "developerCredentials": {
      "username": "developer",
      "password": ""
    }
  }
}
`
	startDaemon265JSON = `{"success":false,"error":"Is 'crc daemon' running? Cannot reach daemon API: Get \"http://unix/api/version\": dial unix /home/u/.crc/sockets/crc-http.sock: connect: no such file or directory"}`
	statusNoVMJSON     = "{\n  \"success\": false,\n  \"error\": \"Machine does not exist. Use 'crc start' to create it\\n\",\n  \"preset\": \"\"\n}\n"
	statusNoDaemonJSON = `{"success":false,"error":"crc does not seem to be setup correctly, have you run 'crc setup'?","preset":""}`
	startOKJSON        = `{
  "success": true,
  "clusterConfig": {
    "clusterType": "openshift",
    "cacert": "LS0tLS1CRUdJTg==",
    "webConsoleUrl": "https://console-openshift-console.apps-crc.testing",
    "url": "https://api.crc.testing:6443",
    "adminCredentials": {
      "username": "kubeadmin",
      "password": "SeKrEt-KubeAdmin-Pw"
    },
    "developerCredentials": {
      "username": "developer",
      "password": "developer"
    }
  }
}
`
)

func TestParseVersion(t *testing.T) {
	for in, want := range map[string]Version{
		versionJSON:    {Version: "2.59.0", Commit: "e90757", OpenShiftVersion: "4.21.4", MicroShiftVersion: "4.21.0"},
		version265JSON: {Version: "2.65.0", Commit: "c65a0e", OpenShiftVersion: "5.0.0", MicroShiftVersion: "5.0.0"},
	} {
		v, err := ParseVersion([]byte(in))
		if err != nil || *v != want {
			t.Fatalf("ParseVersion = %+v, %v; want %+v", v, err, want)
		}
	}
	if _, err := ParseVersion([]byte("CRC version: 2.59.0+e90757\n")); err == nil {
		t.Error("plain text parsed as JSON")
	}
}

func TestParseStatus(t *testing.T) {
	st, err := ParseStatus([]byte(statusRunningJSON))
	if err != nil || !st.Ready() || st.DiskUsage != 18000000000 || st.CacheDir != "/home/u/.crc/cache" {
		t.Fatalf("ParseStatus = %+v, %v", st, err)
	}
	for in, want := range map[string]Kind{statusNoVMJSON: KindVMMissing, statusNoDaemonJSON: KindDaemonUnreachable} {
		if _, err := ParseStatus([]byte(in)); KindOf(err) != want {
			t.Errorf("ParseStatus(%s) = %v, want kind %v", in, err, want)
		}
	}
	for in, want := range map[string]struct {
		preset, version string
	}{statusOKD265JSON: {"okd", "5.0.0-okd-scos.4"}, statusMicroShift265JSON: {"microshift", "5.0.0"}} {
		st, err := ParseStatus([]byte(in))
		if err != nil || !st.Ready() || string(st.Preset) != want.preset || st.OpenShiftVersion != want.version {
			t.Errorf("ParseStatus = %+v, %v; want %+v", st, err, want)
		}
	}
	st, err = ParseStatus([]byte(`{"success":true,"crcStatus":"Stopped","openshiftStatus":"Stopped","preset":"openshift"}`))
	if err != nil || st.Ready() || st.CRCStatus != state.Stopped {
		t.Errorf("stopped = %+v, %v", st, err)
	}
}

func TestParseStartResult(t *testing.T) {
	r, err := ParseStartResult([]byte(startOKJSON))
	if err != nil || r.URL != "https://api.crc.testing:6443" || r.WebConsoleURL == "" {
		t.Fatalf("ParseStartResult = %+v, %v", r, err)
	}
	if r, err := ParseStartResult([]byte(startMicroShiftJSON)); err != nil || r.ClusterType != "microshift" || r.URL != "" {
		t.Errorf("microshift start = %+v, %v", r, err)
	}
	if _, err := ParseStartResult([]byte(startDaemon265JSON)); KindOf(err) != KindDaemonUnreachable || !strings.Contains(err.Error(), "/.crc/sockets/crc-http.sock") {
		t.Errorf("2.65 daemon failure = %v", err)
	}
	_, err = ParseStartResult([]byte(`{"success":false,"error":"invalid pull secret: invalid character 'k' looking for beginning of value"}`))
	if KindOf(err) != KindPullSecretInvalid || strings.Contains(err.Error(), "'k'") {
		t.Errorf("start failure = %v", err)
	}
}

func TestParseLogLine(t *testing.T) {
	tests := []struct {
		in   string
		want LogLine
		ok   bool
	}{
		{`level=info msg="Checking if running as non-root"`, LogLine{"info", "Checking if running as non-root"}, true},
		{`level=warning msg="A new version (2.62.0) has been published on https://x"`, LogLine{"warning", "A new version (2.62.0) has been published on https://x"}, true},
		{`level=info msg=done`, LogLine{"info", "done"}, true},
		{`level=error msg="quoted \"inner\" text"`, LogLine{"error", `quoted "inner" text`}, true},
		{`level=info msg="unterminated`, LogLine{"info", "unterminated"}, true},
		{`INFO Checking if running as non-root`, LogLine{"", "INFO Checking if running as non-root"}, true},
		{"   ", LogLine{}, false},
	}
	for _, tt := range tests {
		got, ok := ParseLogLine(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseLogLine(%q) = %+v, %v; want %+v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestLastErrorLine(t *testing.T) {
	stderr := "level=info msg=\"Checking\"\nlevel=error msg=\"Value '8192' for configuration property 'memory' is invalid, reason: requires memory in MiB >= 10752\"\n"
	if got := lastErrorLine([]byte(stderr)); !strings.HasPrefix(got, "Value '8192'") {
		t.Errorf("lastErrorLine = %q", got)
	}
	if got := lastErrorLine([]byte("plain failure\n")); got != "plain failure" {
		t.Errorf("lastErrorLine(plain) = %q", got)
	}
}

func TestParseConfigView(t *testing.T) {
	got := ParseConfigView([]byte("consent-telemetry=no\nmemory=12288\n- weird line : x\npull-secret-file=/a=b\n"))
	if len(got) != 3 || got["memory"] != "12288" || got["pull-secret-file"] != "/a=b" {
		t.Errorf("ParseConfigView = %v", got)
	}
}

// The fuzz targets check that no input panics a parser and that an error
// never quotes the input, which can hold the kubeadmin password: a parse
// error only has one of a few fixed forms.
var parseErrorForm = regexp.MustCompile(`^(crc [a-z]+: )?crc printed output pulllab cannot read: (no JSON object in \d+ bytes of output|invalid JSON at byte \d+|field "[A-Za-z.]*" has the wrong type|incomplete JSON|no version field)$`)

func checkParseError(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var e *Error
	if errors.As(err, &e) {
		return // crc's own message from the "error" field
	}
	if !parseErrorForm.MatchString(err.Error()) {
		t.Fatalf("parse error %q is not one of the fixed forms", err)
	}
}

func FuzzParseStartResult(f *testing.F) {
	f.Add([]byte(startOKJSON))
	f.Add([]byte(startMicroShiftJSON))
	f.Add([]byte(startDaemon265JSON))
	f.Add([]byte(`{"success":false,"error":"x"}`))
	f.Add([]byte(`{"success":true,"clusterConfig":{"url":12345678}}`))
	f.Add([]byte(`{"clusterConfig":{"adminCredentials":{"password":"PW-PW-PW-PW"}`))
	f.Add([]byte("text before\n{\"success\":true}"))
	f.Fuzz(func(t *testing.T, out []byte) {
		r, err := ParseStartResult(out)
		if err == nil && r == nil {
			t.Fatal("nil result without error")
		}
		checkParseError(t, err)
	})
}

// FuzzStartCredentialsDropped builds crc's answer around a fuzzed password
// and checks the password reaches neither the result nor an error.
func FuzzStartCredentialsDropped(f *testing.F) {
	f.Add(true, "", "https://api.crc.testing:6443", "SeKrEt-KubeAdmin-Pw")
	f.Add(false, "Failed to renew TLS certificates", "", "another-password")
	f.Add(true, "", "", `pw"with\quotes`)
	f.Fuzz(func(t *testing.T, success bool, msg, url, pw string) {
		if len(pw) < 6 || strings.Contains(msg, pw) || strings.Contains(url, pw) {
			return
		}
		doc, err := json.Marshal(map[string]any{
			"success": success,
			"error":   msg,
			"clusterConfig": map[string]any{
				"url":              url,
				"adminCredentials": map[string]string{"username": "kubeadmin", "password": pw},
			},
		})
		if err != nil {
			return
		}
		r, err := ParseStartResult(doc)
		if err != nil && strings.Contains(err.Error(), pw) {
			t.Fatalf("error %q contains the password", err)
		}
		if r != nil && (strings.Contains(r.URL, pw) || strings.Contains(r.WebConsoleURL, pw) || strings.Contains(string(r.ClusterType), pw)) {
			t.Fatalf("result %+v contains the password", r)
		}
	})
}

func FuzzParseStatus(f *testing.F) {
	for _, s := range []string{statusRunningJSON, statusOKD265JSON, statusMicroShift265JSON, statusNoVMJSON, statusNoDaemonJSON, `{"success":true,"diskUsage":"x"}`, `{`, ``, `[1,2]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, out []byte) {
		st, err := ParseStatus(out)
		if err == nil && st == nil {
			t.Fatal("nil status without error")
		}
		checkParseError(t, err)
	})
}

func FuzzParseVersion(f *testing.F) {
	for _, s := range []string{versionJSON, version265JSON, `{"version":""}`, "CRC version: 2.65.0+c65a0e", `{"version":1}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, out []byte) {
		v, err := ParseVersion(out)
		if err == nil && (v == nil || v.Version == "") {
			t.Fatalf("ParseVersion(%q) = %+v without error", out, v)
		}
		checkParseError(t, err)
	})
}

func FuzzParseLogLine(f *testing.F) {
	for _, s := range []string{`level=info msg="a b"`, `level=`, `level=info msg="\x"`, `level=info msg=`, "level=info  msg=\"x\""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		l, ok := ParseLogLine(line)
		if !ok && strings.TrimSpace(line) != "" {
			t.Fatalf("non-blank line %q rejected", line)
		}
		if trimmed := strings.TrimSpace(line); !strings.HasPrefix(trimmed, "level=") && (l.Level != "" || l.Msg != trimmed) {
			t.Fatalf("non-logfmt line %q parsed as %+v", line, l)
		}
		if strings.ContainsAny(l.Level, " \n") {
			t.Fatalf("level %q from %q", l.Level, line)
		}
	})
}
