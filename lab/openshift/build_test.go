package openshift

import (
	"bytes"
	"context"
	"errors"
	"github.com/pulllab/pulllab/internal/golden"
	"path/filepath"
	"strings"
	"testing"
	"time"

	buildv1 "github.com/openshift/api/build/v1"
	imagev1 "github.com/openshift/api/image/v1"
	"github.com/sirupsen/logrus"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/pulllab/pulllab/lab"
	"github.com/pulllab/pulllab/wars"
)

// goldenYAML compares v, as YAML, with testdata/name.
func goldenYAML(t *testing.T, name string, v any) {
	t.Helper()
	got, err := yaml.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", name), got)
}

// sumOf is a fixed "WAR SHA-256" for golden files.
var sumOf = strings.Repeat("0123456789abcdef", 4)

func TestBuildConfigGolden(t *testing.T) {
	for _, v := range lab.Variants {
		t.Run(string(v), func(t *testing.T) {
			c := newCluster(t)
			bc, err := c.backend(Options{}).BuildConfigFor(v, sumOf)
			if err != nil {
				t.Fatal(err)
			}
			goldenYAML(t, "buildconfig-"+string(v)+".yaml", bc)
		})
	}
}

func TestImageStreamTagGolden(t *testing.T) {
	c := newCluster(t)
	ist, err := c.backend(Options{}).ImageStreamTagFor("v1", lab.VariantRegistry, digestOf("registry"))
	if err != nil {
		t.Fatal(err)
	}
	goldenYAML(t, "imagestreamtag.yaml", ist)
	if _, err := c.backend(Options{}).ImageStreamTagFor("v1", lab.VariantNode, ""); err == nil {
		t.Error("a tag without a digest was accepted")
	}
}

func TestImageStreamImportGolden(t *testing.T) {
	c := newCluster(t)
	isi, err := c.backend(Options{}).ImageStreamImportFor()
	if err != nil {
		t.Fatal(err)
	}
	goldenYAML(t, "imagestreamimport.yaml", isi)
}

func TestImageStreamGolden(t *testing.T) {
	c := newCluster(t)
	is, err := c.backend(Options{}).ImageStreamFor(lab.AppName)
	if err != nil {
		t.Fatal(err)
	}
	goldenYAML(t, "imagestream.yaml", is)
}

// withBase adds an imported base image to the fake cluster.
func withBase(t *testing.T, c *cluster) {
	t.Helper()
	c.imports[DefaultBaseImage] = importOutcome{digest: digestOf("eap")}
	if _, err := c.backend(Options{}).EnsureBase(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestInstantiateBinaryRequest(t *testing.T) {
	c := newCluster(t, ourProject(nil)...)
	b := c.backend(Options{})
	u, err := b.BuildConfigFor(lab.VariantNode, sumOf)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.build.BuildV1().BuildConfigs(testNS).Create(context.Background(), buildConfigOf(t, u), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	body := []byte("PK\x03\x04 not really a zip \x00\xff")
	got, err := b.instantiateBinary(context.Background(), "pulllab-node", "node.war", body)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "pulllab-node-1" {
		t.Errorf("build name %q", got.Name)
	}
	if len(c.requests) != 1 {
		t.Fatalf("%d requests", len(c.requests))
	}
	r := c.requests[0]
	if r.method != "POST" || r.path != "/apis/build.openshift.io/v1/namespaces/pulllab/buildconfigs/pulllab-node/instantiatebinary" {
		t.Errorf("request %s %s", r.method, r.path)
	}
	if q := r.query; len(q["asFile"]) != 1 || q["asFile"][0] != "node.war" || q.Get("name") != "pulllab-node" || q.Get("namespace") != "pulllab" {
		t.Errorf("query %v", q)
	}
	if !bytes.Equal(r.body, body) {
		t.Errorf("body %q, want %q", r.body, body)
	}

	_, err = b.instantiateBinary(context.Background(), "missing", "node.war", body)
	if err == nil || !strings.Contains(err.Error(), "not found") {
		t.Errorf("instantiating a missing BuildConfig: %v", err)
	}
}

func TestFollowBuildLog(t *testing.T) {
	c := newCluster(t, ourProject(nil)...)
	c.logLines = []string{"Receiving source from STDIN as file node.war", "Copying deployments from . to /deployments...", "Push successful"}
	b := c.backend(Options{})
	tail := newLineTail(2)
	b.followBuildLog(context.Background(), "pulllab-node-1", c.logger.WithField("build", "pulllab-node-1"), tail)
	if len(c.logRequests) != 1 || c.logRequests[0] != "GET /apis/build.openshift.io/v1/namespaces/pulllab/builds/pulllab-node-1/log?follow=true" {
		t.Errorf("log requests %v", c.logRequests)
	}
	var got []string
	for _, e := range c.hook.AllEntries() {
		if e.Level == logrus.DebugLevel && e.Data["build"] == "pulllab-node-1" {
			got = append(got, e.Message)
		}
	}
	if strings.Join(got, "|") != strings.Join(c.logLines, "|") {
		t.Errorf("debug log %q, want %q", got, c.logLines)
	}
	if tail.String() != "Copying deployments from . to /deployments...\nPush successful" {
		t.Errorf("tail %q", tail.String())
	}
}

func TestBuildBuildsAndReuses(t *testing.T) {
	c := newCluster(t, ourProject(nil)...)
	withBase(t, c)
	c.outcomes["pulllab-node"] = buildOutcome{digest: digestOf("node")}
	c.outcomes["pulllab-registry"] = buildOutcome{digest: digestOf("registry")}
	c.logLines = []string{"Receiving source from STDIN as file node.war", "Push successful"}
	b := c.backend(Options{})
	war, err := wars.WAR("node")
	if err != nil {
		t.Fatal(err)
	}
	sum := wars.SHA256(war)
	bd, err := b.Build(context.Background(), lab.VariantNode, war)
	if err != nil {
		t.Fatal(err)
	}
	want := lab.Build{Variant: lab.VariantNode, Digest: digestOf("node"), ImageID: digestOf("config-node"), WARSHA256: sum, Built: true, Name: "pulllab-node-1"}
	if bd != want {
		t.Errorf("build\n got %+v\nwant %+v", bd, want)
	}
	if len(c.requests) != 1 || !bytes.Equal(c.requests[0].body, war) || c.requests[0].query.Get("asFile") != "node.war" {
		t.Fatalf("instantiatebinary requests: %d", len(c.requests))
	}

	// The BuildConfig, and the build labelled with the WAR's hash.
	bc, err := c.build.BuildV1().BuildConfigs(testNS).Get(context.Background(), "pulllab-node", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if bc.Spec.Output.To.Name != "pulllab-variants:node" || bc.Spec.Strategy.SourceStrategy.From.Name != "eap74-openjdk11-openshift-rhel8:7.4.21-2.1743444175" {
		t.Errorf("BuildConfig spec %+v", bc.Spec)
	}
	got, err := c.build.BuildV1().Builds(testNS).Get(context.Background(), "pulllab-node-1", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Labels[LabelWARSHA256] != sum[:63] || got.Annotations[AnnotationWARSHA256] != sum || got.Labels[LabelVariant] != "node" || got.Annotations[AnnotationBaseDigest] != digestOf("eap") {
		t.Errorf("build labels %v annotations %v", got.Labels, got.Annotations)
	}

	// Every phase is a status line; the log went to the debug log.
	status := c.status.text()
	for _, w := range []string{"uploading node.war", "node: build pulllab-node-1 is New", "node: build pulllab-node-1 is Running", "node: build pulllab-node-1 is Complete"} {
		if !strings.Contains(status, w) {
			t.Errorf("status lacks %q:\n%s", w, status)
		}
	}
	logged := false
	for _, e := range c.hook.AllEntries() {
		logged = logged || (e.Message == "Push successful" && e.Level == logrus.DebugLevel)
	}
	if !logged {
		t.Error("the build log did not reach the debug log")
	}

	// The same WAR again: reused, nothing posted.
	again, err := b.Build(context.Background(), lab.VariantNode, war)
	if err != nil {
		t.Fatal(err)
	}
	want.Built = false
	if again != want {
		t.Errorf("second build\n got %+v\nwant %+v", again, want)
	}
	if len(c.requests) != 1 {
		t.Errorf("the unchanged WAR was built again (%d requests)", len(c.requests))
	}

	// A changed WAR: built again.
	changed := append(append([]byte(nil), war...), 0)
	third, err := b.Build(context.Background(), lab.VariantNode, changed)
	if err != nil {
		t.Fatal(err)
	}
	if !third.Built || third.Name != "pulllab-node-2" || len(c.requests) != 2 {
		t.Errorf("changed WAR: %+v after %d requests", third, len(c.requests))
	}
}

func TestBuildNoReuseWithoutMatchingBuild(t *testing.T) {
	tests := []struct {
		name  string
		build *buildv1.Build
	}{
		{"no build", nil},
		{"build of another WAR", &buildv1.Build{ObjectMeta: metav1.ObjectMeta{Name: "pulllab-node-7", Namespace: testNS,
			Labels:      map[string]string{LabelVariant: "node", LabelWARSHA256: strings.Repeat("f", 63)},
			Annotations: map[string]string{AnnotationWARSHA256: strings.Repeat("f", 64)}},
			Status: buildv1.BuildStatus{Phase: buildv1.BuildPhaseComplete, Output: buildv1.BuildStatusOutput{To: &buildv1.BuildStatusOutputTo{ImageDigest: digestOf("old")}}}}},
		{"failed build of the same WAR", nil},
		{"build of the same WAR on another base image", nil},
	}
	war, _ := wars.WAR("node")
	sum := wars.SHA256(war)
	tests[2].build = &buildv1.Build{ObjectMeta: metav1.ObjectMeta{Name: "pulllab-node-7", Namespace: testNS,
		Labels:      map[string]string{LabelVariant: "node", LabelWARSHA256: sum[:63]},
		Annotations: map[string]string{AnnotationWARSHA256: sum, AnnotationBaseDigest: digestOf("eap")}},
		Status: buildv1.BuildStatus{Phase: buildv1.BuildPhaseFailed, Output: buildv1.BuildStatusOutput{To: &buildv1.BuildStatusOutputTo{ImageDigest: digestOf("old")}}}}
	tests[3].build = tests[2].build.DeepCopy()
	tests[3].build.Status.Phase = buildv1.BuildPhaseComplete
	tests[3].build.Annotations[AnnotationBaseDigest] = digestOf("older-eap")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCluster(t, ourProject(nil)...)
			withBase(t, c)
			c.push(testNS, lab.StashName, "node", digestOf("old"), map[string]any{"Id": digestOf("cfg")})
			if tt.build != nil {
				if err := c.build.Tracker().Create(gvrBuilds, tt.build, testNS); err != nil {
					t.Fatal(err)
				}
			}
			c.outcomes["pulllab-node"] = buildOutcome{digest: digestOf("new")}
			bd, err := c.backend(Options{}).Build(context.Background(), lab.VariantNode, war)
			if err != nil {
				t.Fatal(err)
			}
			if !bd.Built || bd.Digest != digestOf("new") || len(c.requests) != 1 {
				t.Errorf("build %+v after %d requests; want a new build", bd, len(c.requests))
			}
		})
	}
}

func TestBuildFails(t *testing.T) {
	c := newCluster(t, ourProject(nil)...)
	withBase(t, c)
	c.outcomes["pulllab-registry"] = buildOutcome{fail: true, reason: "AssembleFailed", message: "Assemble script failed.", snippet: "ERROR: no deployments found"}
	war, _ := wars.WAR("registry")
	_, err := c.backend(Options{}).Build(context.Background(), lab.VariantRegistry, war)
	var bf *BuildFailedError
	if !errors.As(err, &bf) {
		t.Fatalf("err = %v, want a *BuildFailedError", err)
	}
	msg := err.Error()
	for _, w := range []string{"build pulllab-registry-1 ended Failed", "Assemble script failed.", "AssembleFailed", "ERROR: no deployments found", "oc logs build/pulllab-registry-1 -n pulllab"} {
		if !strings.Contains(msg, w) {
			t.Errorf("error lacks %q:\n%s", w, msg)
		}
	}
	if strings.Contains(msg, "Galleon") {
		t.Errorf("an EAP 7.4 build's error speaks of Galleon:\n%s", msg)
	}
}

func TestBuildNeedsBase(t *testing.T) {
	c := newCluster(t, ourProject(nil)...)
	war, _ := wars.WAR("node")
	_, err := c.backend(Options{}).Build(context.Background(), lab.VariantNode, war)
	if err == nil || !strings.Contains(err.Error(), "base image is not imported") || !errors.Is(err, lab.ErrNotPrepared) {
		t.Fatalf("err = %v", err)
	}
	if len(c.requests) != 0 {
		t.Errorf("a build was started without a base image")
	}
}

func TestBuildCancelledOnInterrupt(t *testing.T) {
	c := newCluster(t, ourProject(nil)...)
	withBase(t, c)
	c.outcomes["pulllab-node"] = buildOutcome{hang: true}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c.status.onInfo = func(l string) {
		if strings.Contains(l, "is Running") {
			cancel()
		}
	}
	war, _ := wars.WAR("node")
	_, err := c.backend(Options{}).Build(ctx, lab.VariantNode, war)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	got, gerr := c.build.BuildV1().Builds(testNS).Get(context.Background(), "pulllab-node-1", metav1.GetOptions{})
	if gerr != nil {
		t.Fatal(gerr)
	}
	if !got.Status.Cancelled {
		t.Error("the running build was not cancelled")
	}
}

func TestBuildTimesOut(t *testing.T) {
	c := newCluster(t, ourProject(nil)...)
	withBase(t, c)
	c.outcomes["pulllab-node"] = buildOutcome{hang: true}
	war, _ := wars.WAR("node")
	_, err := c.backend(Options{BuildTimeout: 200 * time.Millisecond}).Build(context.Background(), lab.VariantNode, war)
	if err == nil || !strings.Contains(err.Error(), "did not finish within") {
		t.Fatalf("err = %v", err)
	}
	got, _ := c.build.BuildV1().Builds(testNS).Get(context.Background(), "pulllab-node-1", metav1.GetOptions{})
	if got == nil || !got.Status.Cancelled {
		t.Error("the build that timed out was not cancelled")
	}
}

func TestBuildVariants(t *testing.T) {
	c := newCluster(t, ourProject(nil)...)
	withBase(t, c)
	c.outcomes["pulllab-node"] = buildOutcome{digest: digestOf("node")}
	c.outcomes["pulllab-registry"] = buildOutcome{digest: digestOf("registry")}
	b := c.backend(Options{})
	builds, err := b.BuildVariants(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(builds) != 2 || builds[0].Variant != lab.VariantNode || builds[1].Variant != lab.VariantRegistry ||
		builds[0].Digest != digestOf("node") || builds[1].Digest != digestOf("registry") {
		t.Fatalf("builds %+v", builds)
	}
	if len(c.requests) != 2 || c.requests[1].query.Get("asFile") != "registry.war" {
		t.Fatalf("requests %+v", c.requests)
	}
	reg, _ := wars.WAR("registry")
	if !bytes.Equal(c.requests[1].body, reg) {
		t.Error("registry.war was not uploaded as packed by package wars")
	}
	status := c.status.text()
	for _, w := range []string{"start: Building the node variant (node.war)", "start: Building the registry variant (registry.war)", "info: built pulllab-registry-1 as " + digestOf("registry")} {
		if !strings.Contains(status, w) {
			t.Errorf("status lacks %q:\n%s", w, status)
		}
	}
}

func TestImageMetadata(t *testing.T) {
	img := &imagev1.Image{}
	img.DockerImageMetadata.Raw = []byte(`{"kind":"DockerImage","apiVersion":"image.openshift.io/1.0","Id":"` + digestOf("cfg") + `","Config":{"Labels":{"io.openshift.build.name":"pulllab-node-3"}}}`)
	if got := imageConfigDigest(img); got != digestOf("cfg") {
		t.Errorf("config digest %q", got)
	}
	if got := imageLabels(img)[imageLabelBuildName]; got != "pulllab-node-3" {
		t.Errorf("build label %q", got)
	}
	if imageConfigDigest(&imagev1.Image{}) != "" || imageLabels(&imagev1.Image{}) != nil {
		t.Error("an image without metadata has a digest or labels")
	}
}

// An existing BuildConfig that pulllab made gets the new labels and spec on
// the server's own object: what the server keeps there (the build counter
// in status.lastVersion, annotations) stays, and one that pulllab did not
// make is refused.
func TestApplyBuildConfigKeepsTheServersFields(t *testing.T) {
	c := newCluster(t, ourProject(nil)...)
	b := c.backend(Options{})
	want, err := b.BuildConfigFor(lab.VariantNode, sumOf)
	if err != nil {
		t.Fatal(err)
	}
	old := buildConfigOf(t, want)
	old.Labels = map[string]string{lab.LabelManagedBy: lab.ManagedBy}
	old.Annotations = map[string]string{"kept": "yes"}
	old.Spec.Output.ImageLabels = nil
	old.Spec.NodeSelector = buildv1.OptionalNodeSelector{"stale": "yes"}
	old.Status.LastVersion = 7
	ctx := context.Background()
	if _, err := c.build.BuildV1().BuildConfigs(testNS).Create(ctx, old, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := b.applyBuildConfig(ctx, want); err != nil {
		t.Fatal(err)
	}
	got, err := c.build.BuildV1().BuildConfigs(testNS).Get(ctx, "pulllab-node", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Status.LastVersion != 7 || got.Annotations["kept"] != "yes" {
		t.Errorf("lastVersion %d, annotations %v: the server's fields were lost", got.Status.LastVersion, got.Annotations)
	}
	if len(got.Spec.Output.ImageLabels) != 2 || got.Spec.NodeSelector != nil || got.Labels[LabelVariant] != "node" {
		t.Errorf("spec %+v, labels %v: not the new spec and labels", got.Spec, got.Labels)
	}

	other := buildConfigOf(t, want)
	other.Name, other.Labels = "pulllab-registry", nil
	if _, err := c.build.BuildV1().BuildConfigs(testNS).Create(ctx, other, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	reg, _ := b.BuildConfigFor(lab.VariantRegistry, sumOf)
	if err := b.applyBuildConfig(ctx, reg); err == nil || !strings.Contains(err.Error(), "pulllab did not create it") {
		t.Errorf("a BuildConfig pulllab did not make: err = %v", err)
	}
}
