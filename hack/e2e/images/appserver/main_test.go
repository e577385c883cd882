package main

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pulllab/pulllab/lab"
)

// writeWAR writes a zip with the given entries to dir/name.
func writeWAR(t *testing.T, dir, name string, entries map[string]string) {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for n, body := range entries {
		w, err := zw.Create(n)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(w, body); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// labDir holds the two variants' WARs (written in reverse order to show the
// scan sorts), a file that is not a WAR and a broken WAR.
func labDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	writeWAR(t, dir, "registry.war", map[string]string{
		"index.jsp":            "<html><body>registry variant</body></html>",
		"WEB-INF/web.xml":      "<web-app/>",
		"css/site.css":         "body{}",
		"docs/index.html":      "<p>docs</p>",
		"META-INF/MANIFEST.MF": "Manifest-Version: 1.0\n",
	})
	writeWAR(t, dir, "node.war", map[string]string{
		"index.html":      "<html><body>node variant</body></html>",
		"WEB-INF/web.xml": "<web-app/>",
	})
	if err := os.WriteFile(filepath.Join(dir, "README.txt"), []byte("not a war"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestDeployAllLogs(t *testing.T) {
	dir := labDir(t)
	if err := os.WriteFile(filepath.Join(dir, "broken.war"), []byte("not a zip"), 0o644); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	s, err := deployAll(dir, &log)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	want := []string{
		`appserver: APPSRV0027: Starting deployment of "broken.war" from ` + dir,
		`appserver: APPSRV0011: Deployment of "broken.war" failed: zip: not a valid zip file`,
		`appserver: APPSRV0027: Starting deployment of "node.war" from ` + dir,
		`appserver: APPSRV0010: Deployed "node.war" (context /node)`,
		`appserver: APPSRV0027: Starting deployment of "registry.war" from ` + dir,
		`appserver: APPSRV0010: Deployed "registry.war" (context /registry)`,
	}
	got := strings.Split(strings.TrimRight(log.String(), "\n"), "\n")
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("log:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if strings.Join(s.names, ",") != "node,registry" {
		t.Errorf("deployed %v, want [node registry]", s.names)
	}

	// pulllab finds exactly the WARs named by "Starting deployment" lines.
	var named []string
	for _, l := range got {
		if w := lab.ProfileAppServer.DeployedWAR(l); w != "" {
			named = append(named, w)
		}
	}
	if strings.Join(named, ",") != "broken.war,node.war,registry.war" {
		t.Errorf("lab.ProfileAppServer found %v", named)
	}
}

func TestProfileExampleMatchesLog(t *testing.T) {
	var log bytes.Buffer
	dir := t.TempDir()
	writeWAR(t, dir, "node.war", map[string]string{"index.html": "x"})
	s, err := deployAll(dir, &log)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	first := strings.SplitN(log.String(), "\n", 2)[0]
	want := strings.Replace(lab.ProfileAppServer.Example, "/deployments", dir, 1)
	if first != want {
		t.Errorf("first log line %q, want lab.ProfileAppServer.Example %q", first, want)
	}
}

func TestDeployAllMissingDir(t *testing.T) {
	var log bytes.Buffer
	s, err := deployAll(filepath.Join(t.TempDir(), "nope"), &log)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.names) != 0 || !strings.Contains(log.String(), "APPSRV0012") {
		t.Errorf("names %v, log %q", s.names, log.String())
	}
}

func TestServe(t *testing.T) {
	s, err := deployAll(labDir(t), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ts := httptest.NewServer(s)
	defer ts.Close()
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	tests := []struct {
		name, method, path string
		code               int
		ctype, body        string
		location           string
	}{
		{name: "root lists contexts", path: "/", code: 200, ctype: "text/plain; charset=utf-8", body: "/node node.war\n/registry registry.war\n"},
		{name: "node welcome file", path: "/node/", code: 200, ctype: "text/html; charset=utf-8", body: "<html><body>node variant</body></html>"},
		{name: "registry jsp welcome file", path: "/registry/", code: 200, ctype: "text/html; charset=utf-8", body: "<html><body>registry variant</body></html>"},
		{name: "jsp by name", path: "/registry/index.jsp", code: 200, ctype: "text/html; charset=utf-8", body: "<html><body>registry variant</body></html>"},
		{name: "stylesheet", path: "/registry/css/site.css", code: 200, ctype: "text/css; charset=utf-8", body: "body{}"},
		{name: "welcome file in a subdirectory", path: "/registry/docs/", code: 200, ctype: "text/html; charset=utf-8", body: "<p>docs</p>"},
		{name: "context without slash redirects", path: "/node", code: 302, location: "/node/"},
		{name: "WEB-INF hidden", path: "/node/WEB-INF/web.xml", code: 404},
		{name: "META-INF hidden", path: "/registry/META-INF/MANIFEST.MF", code: 404},
		{name: "dot-dot cannot escape", path: "/node/../registry/WEB-INF/web.xml", code: 404},
		{name: "unknown context", path: "/other/", code: 404},
		{name: "unknown entry", path: "/node/missing.html", code: 404},
		{name: "no welcome file", path: "/node/WEB-INF/", code: 404},
		{name: "HEAD", method: http.MethodHead, path: "/node/", code: 200, ctype: "text/html; charset=utf-8"},
		{name: "POST refused", method: http.MethodPost, path: "/node/", code: 405},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := tc.method
			if m == "" {
				m = http.MethodGet
			}
			req, err := http.NewRequest(m, ts.URL+tc.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := noRedirect.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.code {
				t.Fatalf("status %d, want %d (body %q)", resp.StatusCode, tc.code, b)
			}
			if tc.ctype != "" && resp.Header.Get("Content-Type") != tc.ctype {
				t.Errorf("Content-Type %q, want %q", resp.Header.Get("Content-Type"), tc.ctype)
			}
			if tc.body != "" && string(b) != tc.body {
				t.Errorf("body %q, want %q", b, tc.body)
			}
			if tc.location != "" && resp.Header.Get("Location") != tc.location {
				t.Errorf("Location %q, want %q", resp.Header.Get("Location"), tc.location)
			}
		})
	}
}

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestRunServesAndStopsCleanly(t *testing.T) {
	dir := labDir(t)
	// pick a free loopback port
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	env := func(k string) string {
		if k == "DEPLOYMENTS_DIR" {
			return dir
		}
		return ""
	}
	go func() { done <- run(ctx, []string{"-addr", addr}, env, &stdout, &stderr) }()

	var body string
	for i := 0; i < 100; i++ {
		resp, err := http.Get("http://" + addr + "/node/")
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			body = string(b)
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if body != "<html><body>node variant</body></html>" {
		t.Errorf("GET /node/ = %q", body)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit code %d, want 0; stderr %q", code, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not stop after cancel")
	}
	if !strings.Contains(stdout.String(), `APPSRV0027: Starting deployment of "node.war" from `+dir) ||
		!strings.Contains(stdout.String(), "APPSRV0050: Stopped") {
		t.Errorf("stdout:\n%s", stdout.String())
	}
}

func TestRunBadFlag(t *testing.T) {
	if code := run(context.Background(), []string{"-nope"}, func(string) string { return "" }, io.Discard, io.Discard); code != 2 {
		t.Errorf("exit code %d, want 2", code)
	}
}
