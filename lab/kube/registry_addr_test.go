package kube

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/pulllab/pulllab/lab"
)

func TestParseRegistry(t *testing.T) {
	good := []struct {
		in           string
		host, prefix string
		loopback     bool
	}{
		{"127.0.0.1:5000", "127.0.0.1:5000", "", true},
		{" 127.0.0.1:5000/ ", "127.0.0.1:5000", "", true},
		{"localhost:5000/lab", "localhost:5000", "lab", true},
		{"localhost", "localhost", "", true},
		{"[::1]:5000", "[::1]:5000", "", true},
		{"127.1.2.3:80/a/b", "127.1.2.3:80", "a/b", true},
		{"registry.example.com", "registry.example.com", "", false},
		{"registry.example.com/team/sub-team", "registry.example.com", "team/sub-team", false},
		{"reg.local:443/a_b.c", "reg.local:443", "a_b.c", false},
		{"registry:5000", "registry:5000", "", false},
		{"192.0.2.2:5000/x__y", "192.0.2.2:5000", "x__y", false},
	}
	for _, tc := range good {
		t.Run("ok "+tc.in, func(t *testing.T) {
			a, err := ParseRegistry(tc.in)
			if err != nil {
				t.Fatalf("ParseRegistry(%q): %v", tc.in, err)
			}
			if a.Host != tc.host || a.Prefix != tc.prefix || a.Loopback() != tc.loopback {
				t.Errorf("ParseRegistry(%q) = %+v loopback=%v, want host %q prefix %q loopback=%v", tc.in, a, a.Loopback(), tc.host, tc.prefix, tc.loopback)
			}
		})
	}
	bad := []struct {
		in, want string
	}{
		{"", "is required"},
		{"   ", "is required"},
		{"http://127.0.0.1:5000", "drop the scheme http://"},
		{"https://registry.example.com/team", "drop the scheme https://"},
		{"myregistry", "Docker Hub namespace"},
		{"myregistry/team", "Docker Hub namespace"},
		{"127.0.0.1:0", "not a number from 1 to 65535"},
		{"127.0.0.1:99999", "not a number from 1 to 65535"},
		{"127.0.0.1:http", "not a number from 1 to 65535"},
		{"127.0.0.1:", "not a number from 1 to 65535"},
		{":5000", "host is missing"},
		{"/team", "host is missing"},
		{"127.0.0.1:5000/Team", `use "team"`},
		{"127.0.0.1:5000/a//b", "empty path component"},
		{"127.0.0.1:5000/app:v1", "must not carry a tag"},
		{"127.0.0.1:5000/app@sha256:abc", "no digest"},
		{"127.0.0.1:5000/-team", "not a valid repository path component"},
		{"127.0.0.1:5000/team-", "not a valid repository path component"},
		{"::1:5000", "IPv6 address in brackets"},
		{"[::1:5000", "unbalanced"},
		{"[::1]x", "after the IPv6 address"},
		{"[127.0.0.1]:5000", "not an IPv6 address"},
		{"bad_host.example.com:5000", "not a valid host name"},
		{"-bad.example.com", "not a valid host name"},
		{"registry.example.com /team", "no digest or spaces"},
	}
	for _, tc := range bad {
		t.Run("bad "+tc.in, func(t *testing.T) {
			_, err := ParseRegistry(tc.in)
			if err == nil {
				t.Fatalf("ParseRegistry(%q) succeeded, want an error containing %q", tc.in, tc.want)
			}
			var oe *OptionError
			if !errors.As(err, &oe) || oe.Setting != "lab.registry" || !errors.Is(err, lab.ErrBadInput) {
				t.Fatalf("ParseRegistry(%q) error %T %v, want *OptionError for lab.registry (lab.ErrBadInput)", tc.in, err, err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("ParseRegistry(%q) = %q, want it to contain %q", tc.in, err, tc.want)
			}
		})
	}
}

func FuzzParseRegistry(f *testing.F) {
	for _, s := range []string{"127.0.0.1:5000", "localhost:5000/lab", "registry.example.com/a/b", "[::1]:5000", "http://x", "a/b/c", "", "r.io:65535/x.y_z", "[", "a:b:c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseRegistry(s)
		if err != nil {
			var oe *OptionError
			if !errors.As(err, &oe) {
				t.Fatalf("ParseRegistry(%q) returned %T, want *OptionError", s, err)
			}
			return
		}
		again, err := ParseRegistry(a.String())
		if err != nil || again != a {
			t.Fatalf("ParseRegistry(%q) = %+v, but its String %q parses to %+v, %v", s, a, a.String(), again, err)
		}
		for _, repo := range []string{lab.AppName, lab.StashName} {
			if _, err := name.NewTag(a.String()+"/pulllab/"+repo+":v1", name.StrictValidation); err != nil {
				t.Fatalf("ParseRegistry(%q) accepted %+v, but its app reference does not parse: %v", s, a, err)
			}
		}
	})
}

func TestIsLoopbackHost(t *testing.T) {
	for in, want := range map[string]bool{
		"localhost": true, "LOCALHOST:5000": true, "127.0.0.1": true, "127.9.9.9:1": true, "[::1]:5000": true, "::1": true,
		"192.0.2.2:5000": false, "registry.example.com": false, "localhost.example.com": false, "[::2]:5000": false,
	} {
		if got := isLoopbackHost(in); got != want {
			t.Errorf("isLoopbackHost(%q) = %v, want %v", in, got, want)
		}
	}
}
