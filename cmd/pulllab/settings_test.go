package main

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/pulllab/pulllab/crcctl"
	"github.com/pulllab/pulllab/internal/config"
	"github.com/pulllab/pulllab/lab"
	"github.com/pulllab/pulllab/lab/kube"
	"github.com/pulllab/pulllab/lab/openshift"
)

// TestRenderSettings: the settings the libraries name by key path are
// rendered as the flag, the variable or the file line the value came from;
// anything that is not a setting is left alone (issue 11, item 3).
func TestRenderSettings(t *testing.T) {
	eff := config.NewEffective()
	eff.Sources["lab.registry"] = "env PULLLAB_REGISTRY"
	eff.Sources["crc.memory"] = "file pulllab.yaml:4"
	eff.Sources["lab.namespace"] = config.FlagSource("namespace")
	for _, tc := range []struct{ in, want string }{
		{`invalid lab.registry "x": drop the scheme`, `invalid PULLLAB_REGISTRY "x": drop the scheme`},
		{"lab.baseImage is required on a Kubernetes cluster", "--base-image is required on a Kubernetes cluster"},
		{"set crc.memory to 10752 or more", "set crc.memory (pulllab.yaml:4) to 10752 or more"},
		{"choose another project with lab.namespace", "choose another project with --namespace"},
		{"(lab.registryAuth FILE or the docker config)", "(--registry-auth FILE or the docker config)"},
		{"check crc.version and crc.mirror: the folder", "check --crc-version and --crc-mirror: the folder"},
		{"read pulllab.yaml and lab.yaml", "read pulllab.yaml and lab.yaml"},
		{"the label pulllab.io/lab.node is no setting", "the label pulllab.io/lab.node is no setting"},
		{"lab.nothing stays", "lab.nothing stays"},
		{"lab.registryx stays", "lab.registryx stays"},
		{"", ""},
	} {
		if got := renderSettings(tc.in, eff); got != tc.want {
			t.Errorf("renderSettings(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestExplain: errors from the libraries are printed with the settings
// rendered and, for the kinds that need it, what to run.
func TestExplain(t *testing.T) {
	g := newGlobals(streams{in: strings.NewReader(""), out: io.Discard, err: io.Discard})
	g.cfg.Sources["lab.registry"] = "env PULLLAB_REGISTRY"
	_, regErr := kube.ParseRegistry("http://127.0.0.1:5000")
	for _, tc := range []struct {
		name string
		err  error
		want []string
		not  []string
	}{
		{"a setting error, wrapped", fmt.Errorf("connecting: %w", regErr), []string{`connecting: invalid PULLLAB_REGISTRY "http://127.0.0.1:5000": drop the scheme`}, []string{"lab.registry"}},
		{"an openshift setting error", &openshift.OptionError{Setting: "lab.baseImage", Value: "::", Reason: "bad"}, []string{`invalid --base-image "::": bad`}, nil},
		{"not set up", fmt.Errorf("building: the node variant is not built: %w", lab.ErrNotPrepared), []string{"run 'pulllab up' to set it up"}, nil},
		{"a crc error with a setting in its hint", &crcctl.Error{Kind: crcctl.KindMemory, Msg: "too little", Hint: "set crc.memory to 10752 or more"}, []string{"too little", "set --memory to 10752 or more"}, nil},
		{"a usage error is left as worded", usagef("pulllab.yaml:2: lab.lang: want en or ja"), []string{"pulllab.yaml:2: lab.lang: want en or ja"}, []string{"--lang"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := g.explain(tc.err)
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("explain = %q, want %q in it", got, w)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(got, n) {
					t.Errorf("explain = %q, want no %q in it", got, n)
				}
			}
		})
	}
}

// TestInputErrorsAreBadInput: every library error about the user's input
// is errors.Is lab.ErrBadInput, and exits 2, from one mapping.
func TestInputErrorsAreBadInput(t *testing.T) {
	_, regErr := kube.ParseRegistry("")
	_, hostErr := kube.ParseLocalRegistryHosting("")
	for _, err := range []error{regErr, hostErr, &kube.AuthFileError{Path: "a.json", Reason: "bad"}, &openshift.OptionError{Setting: "lab.baseImage"}, usagef("bad")} {
		if !errors.Is(err, lab.ErrBadInput) {
			t.Errorf("%T %v is not lab.ErrBadInput", err, err)
		}
		if code := exitCode(t.Context(), err); code != 2 {
			t.Errorf("%T: exit code %d, want 2", err, code)
		}
	}
}

// TestNamespaceRoomForSuffixes: the longest lab namespace internal/config
// accepts still makes valid namespaces with every suffix the backends add.
func TestNamespaceRoomForSuffixes(t *testing.T) {
	for _, suffix := range []string{kube.DebugSuffix, kube.NoCredentialsSuffix, openshift.DebugSuffix} {
		if len(suffix) > len(config.LongestNamespaceSuffix) {
			t.Errorf("suffix %q is longer than config.LongestNamespaceSuffix %q", suffix, config.LongestNamespaceSuffix)
		}
		if n := config.MaxNamespaceLen + len(suffix); n > 63 {
			t.Errorf("namespace + %q can be %d characters, more than 63", suffix, n)
		}
	}
}

// TestStatusLinesRenderSettings: a library's step, detail and warning
// lines and its log lines name settings as the command line does.
func TestStatusLinesRenderSettings(t *testing.T) {
	var errb strings.Builder
	g := newGlobals(streams{in: strings.NewReader(""), out: io.Discard, err: &errb})
	g.lookupEnv = func(string) (string, bool) { return "", false }
	g.logLevel = "info"
	g.noColor = true
	if err := g.configureLogging(); err != nil {
		t.Fatal(err)
	}
	g.cfg.Sources["lab.debugImage"] = "env PULLLAB_DEBUG_IMAGE"
	g.status.Warnf("or set %s to an image the node holds", "lab.debugImage")
	g.status.Start("pulling with lab.registryAuth")
	g.status.End(true)
	g.log.Info("pin the lab to a node with lab.node")
	got := errb.String()
	for _, w := range []string{"or set PULLLAB_DEBUG_IMAGE to an image", "pulling with --registry-auth", "with --node"} {
		if !strings.Contains(got, w) {
			t.Errorf("stderr lacks %q:\n%s", w, got)
		}
	}
	if strings.Contains(got, "lab.") {
		t.Errorf("stderr still names a setting by path:\n%s", got)
	}
}

// TestFullLogHintOnlyForFailures: bad input is said whole; only other
// failures point to the debug log.
func TestFullLogHintOnlyForFailures(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{&kube.AuthFileError{Path: "a.json", Reason: "bad"}, false},
		{usagef("bad flag"), false},
		{fmt.Errorf("connecting: %w", &openshift.OptionError{Setting: "lab.baseImage", Value: "::", Reason: "bad"}), false},
		{errors.New("the cluster did not answer"), true},
	} {
		var errb strings.Builder
		g := newGlobals(streams{in: strings.NewReader(""), out: io.Discard, err: &errb})
		g.logFilePath = "/tmp/pulllab.log"
		printError(g, tc.err, exitCode(t.Context(), tc.err))
		if got := strings.Contains(errb.String(), "The full log is in"); got != tc.want {
			t.Errorf("%v: log hint %v, want %v:\n%s", tc.err, got, tc.want, errb.String())
		}
	}
}
