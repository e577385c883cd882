package openshift

import (
	"context"
	"strings"
	"testing"

	imagev1 "github.com/openshift/api/image/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	k8stesting "k8s.io/client-go/testing"

	"github.com/pulllab/pulllab/lab"
)

func TestParseBaseRef(t *testing.T) {
	tests := []struct {
		ref, stream, tag string
		wantErr          bool
	}{
		{ref: DefaultBaseImage, stream: "eap74-openjdk11-openshift-rhel8", tag: "7.4.21-2.1743444175"},
		{ref: "registry.example.com/wildfly/wildfly:26.1.3.Final-jdk11", stream: "wildfly", tag: "26.1.3.Final-jdk11"},
		{ref: "localhost:5000/appserver", stream: "appserver", tag: "latest"},
		{ref: "registry.example.com/a/b/c@" + digestOf("x"), stream: "c", tag: "latest"},
		{ref: "  registry.example.com/x/y:1  ", stream: "y", tag: "1"},
		{ref: "", wantErr: true},
		{ref: "UPPER/case:1", wantErr: true},
		{ref: "a:b:c", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			got, err := parseBaseRef(tt.ref)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if err == nil && (got.Stream != tt.stream || got.Tag != tt.tag) {
				t.Errorf("got stream %q tag %q, want %q %q", got.Stream, got.Tag, tt.stream, tt.tag)
			}
		})
	}
}

// FuzzParseBaseRef checks that whatever parses names a stream and a tag that
// are single path segments.
func FuzzParseBaseRef(f *testing.F) {
	for _, s := range []string{DefaultBaseImage, "a", "a/b:c", "x@" + digestOf("y"), "host:1/p/q", "/", ":", "a//b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, ref string) {
		r, err := parseBaseRef(ref)
		if err != nil {
			return
		}
		if r.Stream == "" || r.Tag == "" || strings.ContainsAny(r.Stream, "/:@") || strings.ContainsAny(r.Tag, "/:@") {
			t.Fatalf("parseBaseRef(%q) = %+v", ref, r)
		}
	})
}

func TestEnsureBaseImports(t *testing.T) {
	c := newCluster(t, ourProject(nil)...)
	c.imports[DefaultBaseImage] = importOutcome{digest: digestOf("eap")}
	b := c.backend(Options{})
	bi, err := b.ImportBase(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if bi.Digest != digestOf("eap") || bi.Ref != DefaultBaseImage || bi.Profile != "wildfly" {
		t.Errorf("base = %+v", bi)
	}
	is := c.stream(testNS, "eap74-openjdk11-openshift-rhel8")
	if is == nil || is.Labels[lab.LabelManagedBy] != lab.ManagedBy {
		t.Fatalf("the base ImageStream is missing or not labelled: %+v", is)
	}
	var isi *imagev1.ImageStreamImport
	for _, a := range c.image.Actions() {
		if a.GetVerb() == "create" && a.GetResource().Resource == "imagestreamimports" {
			isi = a.(k8stesting.CreateAction).GetObject().(*imagev1.ImageStreamImport)
		}
	}
	if isi == nil {
		t.Fatal("no ImageStreamImport was sent")
	}
	img := isi.Spec.Images[0]
	if isi.Name != "eap74-openjdk11-openshift-rhel8" || !isi.Spec.Import || img.From.Kind != "DockerImage" || img.From.Name != DefaultBaseImage ||
		img.To.Name != "7.4.21-2.1743444175" || img.ReferencePolicy.Type != imagev1.SourceTagReferencePolicy {
		t.Errorf("ImageStreamImport = %+v", isi)
	}
	if !strings.Contains(c.status.text(), "info: eap74-openjdk11-openshift-rhel8:7.4.21-2.1743444175 is "+digestOf("eap")) {
		t.Errorf("status:\n%s", c.status.text())
	}

	// A second run finds the import and sends none.
	c.image.ClearActions()
	bi2, err := b.EnsureBase(context.Background())
	if err != nil || bi2.Digest != bi.Digest {
		t.Fatalf("second EnsureBase = %+v, %v", bi2, err)
	}
	for _, a := range c.image.Actions() {
		if a.GetVerb() == "create" {
			t.Errorf("second EnsureBase created %s", a.GetResource().Resource)
		}
	}
}

func TestEnsureBaseFailures(t *testing.T) {
	tests := []struct {
		name  string
		outc  importOutcome
		wants []string
	}{
		{
			name:  "unauthorized",
			outc:  importOutcome{reason: metav1.StatusReasonUnauthorized, message: `you may not have access to the container image "registry.redhat.io/jboss-eap-7/eap74-openjdk11-openshift-rhel8:7.4.21-2.1743444175"`},
			wants: []string{"refused", "pull secret", "doctor command", "Unauthorized", DefaultBaseImage},
		},
		{
			name:  "not found",
			outc:  importOutcome{reason: metav1.StatusReasonNotFound, message: "manifest unknown"},
			wants: []string{"does not exist", DefaultBaseImage, "lab.baseImage"},
		},
		{
			name:  "other",
			outc:  importOutcome{reason: metav1.StatusReasonInternalError, message: "i/o timeout"},
			wants: []string{"InternalError", "i/o timeout", DefaultBaseImage},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCluster(t, ourProject(nil)...)
			c.imports[DefaultBaseImage] = tt.outc
			_, err := c.backend(Options{}).ImportBase(context.Background())
			if err == nil {
				t.Fatal("ImportBase succeeded")
			}
			for _, w := range tt.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q: %v", w, err)
				}
			}
			// The server keeps the failed tag in the stream, with no image.
			is := c.stream(testNS, "eap74-openjdk11-openshift-rhel8")
			if is == nil || statusImage(is, "7.4.21-2.1743444175") != "" {
				t.Errorf("stream after a failed import: %+v", is)
			}
		})
	}
}

func TestEnsureBaseRetriesAfterFailedImport(t *testing.T) {
	c := newCluster(t, ourProject(nil)...)
	c.imports[DefaultBaseImage] = importOutcome{reason: metav1.StatusReasonUnauthorized, message: "no"}
	b := c.backend(Options{})
	if _, err := b.EnsureBase(context.Background()); err == nil {
		t.Fatal("first import succeeded")
	}
	c.imports[DefaultBaseImage] = importOutcome{digest: digestOf("eap")}
	bi, err := b.EnsureBase(context.Background())
	if err != nil || bi.Digest != digestOf("eap") {
		t.Fatalf("after fixing the pull secret: %+v, %v", bi, err)
	}
}

func TestEnsureBaseOtherImage(t *testing.T) {
	c := newCluster(t, ourProject(nil)...)
	ref := "registry.example.com/wildfly/wildfly:26.1.3.Final-jdk11"
	c.imports[ref] = importOutcome{digest: digestOf("wildfly")}
	bi, err := c.backend(Options{BaseImage: ref}).EnsureBase(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if bi.Digest != digestOf("wildfly") || c.stream(testNS, "wildfly") == nil {
		t.Errorf("base %+v; stream wildfly %v", bi, c.stream(testNS, "wildfly"))
	}
}

// systemPod is a running system pod on a node, as a DaemonSet makes it.
func systemPod(ns, name, node, container, image string, running bool) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec:       corev1.PodSpec{NodeName: node, Containers: []corev1.Container{{Name: container, Image: image}}},
		Status:     corev1.PodStatus{Phase: corev1.PodPending},
	}
	if running {
		p.Status.Phase = corev1.PodRunning
		p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: container, State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}}
	}
	return p
}

// The debug pod prefers an image the node already holds (a system
// container known to have sh and chroot); openshift/tools, which CRC's
// bundle does not hold, is the fallback, and the user is told that a large
// pull is under way.
func TestDebugImage(t *testing.T) {
	cli := "quay.example.com/openshift-release-dev/ocp-v4.0-art-dev@" + digestOf("cli")
	mcd := "quay.example.com/openshift-release-dev/ocp-v4.0-art-dev@" + digestOf("mco")
	tools := "registry.example.com/openshift-release-dev/ocp-v4.0-art-dev@" + digestOf("tools")
	tests := []struct {
		name     string
		o        Options
		objs     []runtime.Object
		noTools  bool
		want     string
		wantWarn bool
	}{
		{name: "override", o: Options{DebugImage: "registry.example.com/me/tools:1"}, objs: []runtime.Object{systemPod("openshift-dns", "node-resolver-x", "crc", "dns-node-resolver", cli, true)},
			want: "registry.example.com/me/tools:1"},
		{name: "the node-resolver's cli image", objs: []runtime.Object{
			systemPod("openshift-machine-config-operator", "machine-config-daemon-x", "crc", "machine-config-daemon", mcd, true),
			systemPod("openshift-dns", "node-resolver-x", "crc", "dns-node-resolver", cli, true)}, want: cli},
		{name: "the machine-config-daemon's image when no node-resolver runs here", objs: []runtime.Object{
			systemPod("openshift-dns", "node-resolver-y", "other-node", "dns-node-resolver", cli, true),
			systemPod("openshift-machine-config-operator", "machine-config-daemon-x", "crc", "machine-config-daemon", mcd, true)}, want: mcd},
		{name: "not a running pod: the image may not be on the node", objs: []runtime.Object{
			systemPod("openshift-dns", "node-resolver-x", "crc", "dns-node-resolver", cli, false)}, want: tools, wantWarn: true},
		{name: "openshift/tools, with a warning", want: tools, wantWarn: true},
		{name: "no tools stream", noTools: true, want: FallbackDebugImage, wantWarn: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCluster(t, tt.objs...)
			if tt.noTools {
				if err := c.image.Tracker().Delete(gvrImageStreams, "openshift", "tools"); err != nil {
					t.Fatal(err)
				}
			}
			got, err := c.backend(tt.o).debugImage(context.Background(), "crc")
			if err != nil || got != tt.want {
				t.Fatalf("debugImage = %q, %v; want %q", got, err, tt.want)
			}
			warned := strings.Contains(c.status.text(), "first pull is large")
			if warned != tt.wantWarn {
				t.Errorf("large-pull warning = %v, want %v; status:\n%s", warned, tt.wantWarn, c.status.text())
			}
			if tt.wantWarn && !strings.Contains(c.status.text(), "waiting up to 5m0s") {
				t.Errorf("the warning does not say how long it waits:\n%s", c.status.text())
			}
		})
	}
}
