package target

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/rest"
)

// apiServer answers /version and the API group list with groups; with
// hang, /apis never answers until the client gives up.
func apiServer(t *testing.T, hang bool, groups ...string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/version":
			fmt.Fprint(w, `{"major":"1","minor":"37","gitVersion":"v1.37.2"}`)
		case "/api":
			fmt.Fprint(w, `{"kind":"APIVersions","versions":["v1"]}`)
		case "/apis":
			if hang {
				<-r.Context().Done()
				return
			}
			var list []string
			for _, g := range groups {
				list = append(list, fmt.Sprintf(`{"name":%q,"versions":[{"groupVersion":"%s/v1","version":"v1"}],"preferredVersion":{"groupVersion":"%s/v1","version":"v1"}}`, g, g, g))
			}
			fmt.Fprintf(w, `{"kind":"APIGroupList","apiVersion":"v1","groups":[%s]}`, strings.Join(list, ","))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestConnect(t *testing.T) {
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	tests := []struct {
		name            string
		host            string
		want            Flavor
		wantUnreachable bool
		wantErr         string
	}{
		{name: "OpenShift", host: apiServer(t, false, "apps", "image.openshift.io", "build.openshift.io", "route.openshift.io").URL, want: OpenShift},
		{name: "MicroShift", host: apiServer(t, false, "apps", "route.openshift.io", "security.openshift.io").URL, want: MicroShift},
		{name: "Kubernetes", host: apiServer(t, false, "apps", "networking.k8s.io").URL, want: Kubernetes},
		{name: "nothing answers", host: closed.URL, wantUnreachable: true, wantErr: "cannot reach the cluster at " + closed.URL},
		{name: "discovery hangs", host: apiServer(t, true).URL, wantErr: "which APIs it serves"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Connect(t.Context(), &rest.Config{Host: tt.host}, ConnectOptions{ProbeTimeout: 2 * time.Second})
			if tt.wantErr != "" {
				var ue *UnreachableError
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || errors.As(err, &ue) != tt.wantUnreachable {
					t.Fatalf("Connect: %v, want %q (unreachable %v)", err, tt.wantErr, tt.wantUnreachable)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Flavor != tt.want || c.Host() != tt.host || !strings.Contains(c.Config.UserAgent, "pulllab/") {
				t.Errorf("cluster %s %s (agent %q), want %s at %s", c.Flavor, c.Host(), c.Config.UserAgent, tt.want, tt.host)
			}
		})
	}
}

// TestConnectCancelled: Ctrl-C ends Connect's wait at once, as the
// context's error.
func TestConnectCancelled(t *testing.T) {
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	t.Cleanup(hang.Close)
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	_, err := Connect(ctx, &rest.Config{Host: hang.URL}, ConnectOptions{ProbeTimeout: time.Minute})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Connect: %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("Connect took %s after the cancel", d)
	}
}
