package kube

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"path"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/pulllab/pulllab/lab"
)

// tarEntry is one entry of a test layer.
type tarEntry struct {
	Name     string
	Dir      bool
	Link     string // a symbolic link to Link
	Data     string
	Mode     int64
	UID, GID int
}

// layerOf builds an uncompressed layer from entries, in order.
func layerOf(t *testing.T, entries ...tarEntry) v1.Layer {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.Name, Mode: e.Mode, Uid: e.UID, Gid: e.GID, ModTime: BuildTime}
		switch {
		case e.Dir:
			h.Typeflag = tar.TypeDir
		case e.Link != "":
			h.Typeflag, h.Linkname = tar.TypeSymlink, e.Link
		default:
			h.Typeflag, h.Size = tar.TypeReg, int64(len(e.Data))
		}
		if h.Mode == 0 {
			h.Mode = 0o644
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			if _, err := io.WriteString(tw, e.Data); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	l, err := tarballLayer(b, "application/vnd.docker.image.rootfs.diff.tar.gzip")
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// appendLayer returns img plus one layer of entries.
func appendLayer(t *testing.T, img v1.Image, entries ...tarEntry) v1.Image {
	t.Helper()
	img, err := mutate.AppendLayers(img, layerOf(t, entries...))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// withConfig returns img with its config changed by edit.
func withConfig(t *testing.T, img v1.Image, edit func(*v1.Config)) v1.Image {
	t.Helper()
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	edit(&cf.Config)
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// imageOf is an image of the given layers (bottom first) and config.
func imageOf(t *testing.T, cfg v1.Config, layers ...[]tarEntry) v1.Image {
	t.Helper()
	img := empty.Image
	for _, l := range layers {
		img = appendLayer(t, img, l...)
	}
	return withConfig(t, img, func(c *v1.Config) { *c = cfg })
}

// roundTripperFunc adapts a function to http.RoundTripper.
type roundTripperFunc func(*http.Request) (*http.Response, error)

func (f roundTripperFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// inProcessRegistry is a transport to go-containerregistry's registry,
// served in this process without a socket whatever the host, holding
// images (by "repo:tag").
func inProcessRegistry(t *testing.T, images map[string]v1.Image) http.RoundTripper {
	t.Helper()
	h := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	rt := roundTripperFunc(func(r *http.Request) (*http.Response, error) {
		rec := httptest.NewRecorder()
		if r.Body == nil {
			r.Body = http.NoBody
		}
		h.ServeHTTP(rec, r)
		resp := rec.Result()
		resp.Request = r
		return resp, nil
	})
	for ref, img := range images {
		tag, err := name.NewTag("127.0.0.1:5000/"+ref, name.Insecure)
		if err != nil {
			t.Fatal(err)
		}
		if err := remote.Write(tag, img, remote.WithTransport(rt)); err != nil {
			t.Fatal(err)
		}
	}
	return rt
}

// Image configs as the upstream build files set them.
var (
	// quay.io/wildfly/wildfly (wildfly/wildfly-container Dockerfile):
	// WORKDIR /opt/jboss, ENV JBOSS_HOME=/opt/jboss/wildfly, USER jboss
	// (useradd -u 1000, group jboss -g 1000), JDK from eclipse-temurin.
	wildflyConfig = v1.Config{
		User:       "jboss",
		WorkingDir: "/opt/jboss",
		Env: []string{
			"PATH=/opt/java/openjdk/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
			"JAVA_HOME=/opt/java/openjdk",
			"WILDFLY_VERSION=41.0.0.Final",
			"WILDFLY_DIST=wildfly-41.0.0.Final",
			"JBOSS_HOME=/opt/jboss/wildfly",
			"LAUNCH_JBOSS_IN_BACKGROUND=true",
		},
		Cmd:    []string{"/opt/jboss/wildfly/bin/standalone.sh", "-b", "0.0.0.0"},
		Labels: map[string]string{"org.opencontainers.image.title": "wildfly", "org.opencontainers.image.source": "https://github.com/wildfly/wildfly-container"},
	}
	// quay.io/wildfly/wildfly-s2i (wildfly/wildfly-s2i
	// wildfly-builder-image/image.yaml): user 185, S2I labels and
	// org.jboss.deployments-dir.
	wildflyS2IConfig = v1.Config{
		User: "185",
		Env:  []string{"IMAGE_NAME=wildfly/wildfly-s2i", "JBOSS_HOME=/opt/server"},
		Labels: map[string]string{
			"io.openshift.s2i.scripts-url": "image:///usr/local/s2i",
			"io.s2i.scripts-url":           "image:///usr/local/s2i",
			"org.jboss.deployments-dir":    "/opt/server/standalone/deployments",
		},
	}
	// The e2e harness's appserver (hack/e2e/cmd/e2eimage).
	appserverConfig = v1.Config{
		User:       "65532:65532",
		WorkingDir: "/deployments",
		Entrypoint: []string{"/appserver"},
		Env:        []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "DEPLOYMENTS_DIR=/deployments"},
		Labels:     map[string]string{"io.pulllab.deployments-dir": "/deployments", "io.pulllab.e2e.image": "appserver"},
	}
)

func TestChooseDeploymentsDir(t *testing.T) {
	tests := []struct {
		name     string
		cfg      v1.Config
		dir      string
		fromPart string
	}{
		{"WildFly", wildflyConfig, "/opt/jboss/wildfly/standalone/deployments", "JBOSS_HOME"},
		{"WildFly S2I", wildflyS2IConfig, "/opt/server/standalone/deployments", "org.jboss.deployments-dir"},
		{"EAP 7 S2I", v1.Config{User: "185", Env: []string{"JBOSS_HOME=/opt/eap"}, Labels: map[string]string{
			"io.openshift.s2i.scripts-url": "image:///usr/local/s2i", "org.jboss.deployments-dir": "/opt/eap/standalone/deployments"}},
			"/opt/eap/standalone/deployments", "org.jboss.deployments-dir"},
		{"S2I labels only", v1.Config{User: "1001", Labels: map[string]string{"io.openshift.s2i.scripts-url": "image:///usr/libexec/s2i"}}, "/deployments", "S2I"},
		{"S2I variables only", v1.Config{User: "185", Env: []string{"S2I_SOURCE_DEPLOYMENTS_FILTER=*.war *.ear"}}, "/deployments", "S2I"},
		{"S2I beats JBOSS_HOME", v1.Config{Env: []string{"JBOSS_HOME=/opt/eap", "S2I_DELETE_SOURCE=false"}}, "/deployments", "S2I"},
		{"e2e appserver", appserverConfig, "/deployments", "io.pulllab.deployments-dir"},
		{"DEPLOYMENTS_DIR", v1.Config{Env: []string{"DEPLOYMENTS_DIR=/srv/apps/"}}, "/srv/apps", "DEPLOYMENTS_DIR"},
		{"WORKDIR named deployments", v1.Config{WorkingDir: "/srv/deployments"}, "/srv/deployments", "WORKDIR"},
		{"WORKDIR alone is no evidence", v1.Config{WorkingDir: "/opt/jboss"}, "", ""},
		{"busybox", v1.Config{Cmd: []string{"sh"}, Env: []string{"PATH=/bin"}}, "", ""},
		{"relative or root values are ignored", v1.Config{Env: []string{"DEPLOYMENTS_DIR=deploy", "JBOSS_HOME=/"}, Labels: map[string]string{"org.jboss.deployments-dir": "/"}}, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := ChooseDeploymentsDir(tc.cfg)
			if got.Dir != tc.dir || !strings.Contains(got.From, tc.fromPart) {
				t.Errorf("ChooseDeploymentsDir = %+v, want %s (from %s)", got, tc.dir, tc.fromPart)
			}
		})
	}
}

// TestBaseFS: the merged view honours whiteouts, opaque directories,
// entries replaced by other types, and symbolic links.
func TestBaseFS(t *testing.T) {
	bottom := []tarEntry{
		{Name: "etc/", Dir: true, Mode: 0o755},
		{Name: "etc/passwd", Data: "root:x:0:0::/root:/bin/sh\n"},
		{Name: "opt/", Dir: true, Mode: 0o755},
		{Name: "opt/gone/", Dir: true},
		{Name: "opt/gone/x", Data: "x"},
		{Name: "opt/hidden/", Dir: true},
		{Name: "opt/hidden/old", Data: "old"},
		{Name: "opt/file", Data: "f"},
		{Name: "deployments/", Dir: true, Mode: 0o775, UID: 185},
		{Name: "opt/eap/", Dir: true},
		{Name: "opt/eap/standalone/", Dir: true},
	}
	top := []tarEntry{
		{Name: "etc/passwd", Data: "root:x:0:0::/root:/bin/sh\njboss:x:1000:1000::/opt/jboss:/sbin/nologin\n"},
		{Name: "opt/.wh.gone"},
		{Name: "opt/hidden/.wh..wh..opq"},
		{Name: "opt/hidden/new", Data: "new"},
		{Name: "opt/file/", Dir: true},
		{Name: "opt/eap/standalone/deployments", Link: "/deployments"},
		{Name: "opt/rel", Link: "eap/standalone/../standalone/deployments"},
		{Name: "loop", Link: "/loop"},
	}
	img := imageOf(t, v1.Config{}, bottom, top)
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	fs := newBaseFS(layers, "/etc/passwd")
	for _, tc := range []struct {
		path, resolved string
		dir, ok        bool
	}{
		{"/deployments", "/deployments", true, true},
		{"/opt/gone", "", false, false},
		{"/opt/gone/x", "", false, false},
		{"/opt/hidden/old", "", false, false},
		{"/opt/hidden/new", "/opt/hidden/new", false, true},
		{"/opt/hidden", "/opt/hidden", true, true},
		{"/opt/file", "/opt/file", true, true},
		{"/opt/eap/standalone/deployments", "/deployments", true, true},
		{"/opt/rel", "/deployments", true, true},
		{"/opt/jboss", "", false, false},
		{"/etc/passwd/x", "", false, false},
	} {
		got, e, ok, err := fs.resolve(tc.path)
		if err != nil {
			t.Errorf("resolve(%s): %v", tc.path, err)
			continue
		}
		if ok != tc.ok || got != tc.resolved || (ok && e.IsDir() != tc.dir) {
			t.Errorf("resolve(%s) = %q dir=%v ok=%v, want %q dir=%v ok=%v", tc.path, got, e.IsDir(), ok, tc.resolved, tc.dir, tc.ok)
		}
	}
	if _, _, _, err := fs.resolve("/loop/x"); err == nil || !strings.Contains(err.Error(), "symbolic links") {
		t.Errorf("resolve of a link loop = %v, want an error", err)
	}
	data, ok, err := fs.readFile("/etc/passwd")
	if err != nil || !ok || !strings.Contains(string(data), "jboss:x:1000") {
		t.Errorf("readFile(/etc/passwd) = %q, %v, %v; want the top layer's", data, ok, err)
	}
	t.Run("the top layer answers alone", func(t *testing.T) {
		fs := newBaseFS(layers, "/etc/passwd")
		if _, ok, err := fs.readFile("/etc/passwd"); err != nil || !ok {
			t.Fatal(ok, err)
		}
		if len(fs.scanned) != 1 {
			t.Errorf("read %d layers, want only the top one", len(fs.scanned))
		}
	})
}

func TestResolveUser(t *testing.T) {
	const passwd = "# comment\nroot:x:0:0:root:/root:/bin/bash\njboss:x:1000:1000:JBoss user:/opt/jboss:/sbin/nologin\nadmin:x:0:10::/:/bin/sh\nbroken:x:abc:0::/:\n"
	tests := []struct {
		user     string
		passwd   string // "-" = no /etc/passwd
		want     imageUser
		why      string
		readsPwd bool
	}{
		{user: "185", want: imageUser{Config: "185", UID: 185}},
		{user: "1001:0", want: imageUser{Config: "1001:0", UID: 1001}},
		{user: "65532:65532", want: imageUser{Config: "65532:65532", UID: 65532, GID: 65532}},
		{user: "jboss", passwd: passwd, want: imageUser{Config: "1000:1000", UID: 1000, GID: 1000}, readsPwd: true},
		{user: "jboss:0", passwd: passwd, want: imageUser{Config: "1000:0", UID: 1000}, readsPwd: true},
		{user: "jboss:jboss", passwd: passwd, want: imageUser{Config: "1000:jboss", UID: 1000}, readsPwd: true},
		{user: "", why: "declares no USER, so it runs as root"},
		{user: "0", why: `USER "0", which is root`},
		{user: "0:0", why: `USER "0:0", which is root`},
		{user: "root", passwd: passwd, why: `USER "root", which is UID 0 (root)`, readsPwd: true},
		{user: "admin", passwd: passwd, why: `USER "admin", which is UID 0 (root)`, readsPwd: true},
		{user: "broken", passwd: passwd, why: `its /etc/passwd does not list`, readsPwd: true},
		{user: "nobody", passwd: passwd, why: `its /etc/passwd does not list`, readsPwd: true},
		{user: "jboss", passwd: "-", why: "has no /etc/passwd", readsPwd: true},
	}
	for _, tc := range tests {
		t.Run("USER "+tc.user, func(t *testing.T) {
			read := false
			got, err := resolveUser(tc.user, func() ([]byte, bool, error) {
				read = true
				return []byte(tc.passwd), tc.passwd != "-", nil
			})
			if read != tc.readsPwd {
				t.Errorf("read /etc/passwd = %v, want %v", read, tc.readsPwd)
			}
			if tc.why == "" {
				if err != nil || got != tc.want {
					t.Errorf("resolveUser = %+v, %v; want %+v", got, err, tc.want)
				}
				return
			}
			var ue *userError
			if !errors.As(err, &ue) || !strings.Contains(err.Error(), tc.why) {
				t.Errorf("resolveUser = %+v, %v; want a userError with %q", got, err, tc.why)
			}
		})
	}
	t.Run("a read error is not a verdict", func(t *testing.T) {
		_, err := resolveUser("jboss", func() ([]byte, bool, error) { return nil, false, errors.New("layer unreadable") })
		var ue *userError
		if err == nil || errors.As(err, &ue) || !strings.Contains(err.Error(), "layer unreadable") {
			t.Errorf("resolveUser = %v, want the read error", err)
		}
	})
}

func TestWritableBy(t *testing.T) {
	jboss := imageUser{UID: 1000, GID: 1000}
	s2i := imageUser{UID: 185}
	for _, tc := range []struct {
		e    fsEntry
		u    imageUser
		want bool
	}{
		{fsEntry{UID: 1000, GID: 0, Mode: 0o775}, jboss, true}, // WildFly: jboss:0, g+rw
		{fsEntry{UID: 0, GID: 0, Mode: 0o775}, s2i, true},      // S2I: group root writable
		{fsEntry{UID: 0, GID: 0, Mode: 0o755}, jboss, false},
		{fsEntry{UID: 0, GID: 0, Mode: 0o777}, jboss, true},
		{fsEntry{UID: 1000, Mode: 0o555}, jboss, false},
	} {
		if got := writableBy(tc.e, tc.u); got != tc.want {
			t.Errorf("writableBy(%+v, %+v) = %v, want %v", tc.e, tc.u, got, tc.want)
		}
	}
}

func TestParsePasswd(t *testing.T) {
	got := parsePasswd([]byte("root:x:0:0:root:/root:/bin/bash\r\n\n#x:x:1:1\nbin:x:1:1\nbin:x:2:2\n:x:3:3\nshort:x:4\nneg:x:-1:0\nbig:x:4294967296:0\njboss:x:1000:1000::/opt/jboss:/sbin/nologin"))
	want := []passwdEntry{{"root", 0, 0}, {"bin", 1, 1}, {"jboss", 1000, 1000}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("parsePasswd = %+v, want %+v", got, want)
	}
}

// FuzzParsePasswd: /etc/passwd is another tool's file; any bytes parse
// without a panic into accounts with a name and no ':' or newline in it,
// and each name once.
func FuzzParsePasswd(f *testing.F) {
	f.Add([]byte("root:x:0:0:root:/root:/bin/bash\njboss:x:1000:1000::/opt/jboss:/sbin/nologin\n"))
	f.Add([]byte("a:b:c:d\n::::\n\r\n#:x:0:0\nx:x:00001:2:"))
	f.Fuzz(func(t *testing.T, data []byte) {
		seen := map[string]bool{}
		for _, e := range parsePasswd(data) {
			if e.Name == "" || strings.ContainsAny(e.Name, ":\n") || seen[e.Name] {
				t.Fatalf("bad account %+v", e)
			}
			seen[e.Name] = true
		}
	})
}

// wildflyLike is a small image laid out like quay.io/wildfly/wildfly:
// jboss (1000:1000) in /etc/passwd from useradd's layer, the server in
// the top layer owned by jboss:0.
func wildflyLike(t *testing.T) v1.Image {
	return imageOf(t, wildflyConfig,
		[]tarEntry{{Name: "etc/", Dir: true, Mode: 0o755}, {Name: "etc/passwd", Data: "root:x:0:0:root:/root:/bin/bash\n"}},
		[]tarEntry{{Name: "etc/passwd", Data: "root:x:0:0:root:/root:/bin/bash\njboss:x:1000:1000:JBoss user:/opt/jboss:/sbin/nologin\n"}, {Name: "opt/jboss/", Dir: true, Mode: 0o755, UID: 1000, GID: 1000}},
		[]tarEntry{
			{Name: "opt/jboss/wildfly/", Dir: true, Mode: 0o775, UID: 1000},
			{Name: "opt/jboss/wildfly/standalone/", Dir: true, Mode: 0o775, UID: 1000},
			{Name: "opt/jboss/wildfly/standalone/deployments/", Dir: true, Mode: 0o775, UID: 1000},
			{Name: "opt/jboss/wildfly/standalone/deployments/README.txt", Mode: 0o664, UID: 1000, Data: "deployment scanner"},
		},
	)
}

// eapLike is laid out like the EAP S2I image: USER 185, the label
// org.jboss.deployments-dir, whose directory links to /deployments.
func eapLike(t *testing.T) v1.Image {
	return imageOf(t, v1.Config{User: "185", Env: []string{"JBOSS_HOME=/opt/eap"}, Labels: map[string]string{
		"io.openshift.s2i.scripts-url": "image:///usr/local/s2i", "org.jboss.deployments-dir": "/opt/eap/standalone/deployments"}},
		[]tarEntry{
			{Name: "deployments/", Dir: true, Mode: 0o775, UID: 185},
			{Name: "opt/eap/standalone/", Dir: true, Mode: 0o775, UID: 185},
			{Name: "opt/eap/standalone/deployments", Link: "/deployments"},
		},
	)
}

// TestEnsureBaseLayouts: where the WAR goes and whom the variant runs as,
// for bases laid out like the real ones, built and pushed through an
// in-process registry.
func TestEnsureBaseLayouts(t *testing.T) {
	tests := []struct {
		name, dirFlag string
		base          func(*testing.T) v1.Image
		want          WARLayout
		entries       string
	}{
		{"WildFly: JBOSS_HOME, USER jboss resolved", "", wildflyLike,
			WARLayout{Dir: "/opt/jboss/wildfly/standalone/deployments", User: "1000:1000", UID: 1000, GID: 1000},
			"opt/jboss/wildfly/standalone/deployments/node.war"},
		{"EAP: the label's directory is a link to /deployments", "", eapLike,
			WARLayout{Dir: "/deployments", User: "185", UID: 185}, "deployments/node.war"},
		{"the e2e harness's appserver", "", func(t *testing.T) v1.Image {
			return imageOf(t, appserverConfig, []tarEntry{{Name: "appserver", Mode: 0o755, Data: "#!"}, {Name: "deployments/", Dir: true, Mode: 0o777}, {Name: "tmp/", Dir: true, Mode: 0o1777}})
		}, WARLayout{Dir: "/deployments", User: "65532:65532", UID: 65532, GID: 65532}, "deployments/node.war"},
		{"--deployments-dir the base lacks is created for the user", "/opt/apps/", wildflyLike,
			WARLayout{Dir: "/opt/apps", CreateDir: true, User: "1000:1000", UID: 1000, GID: 1000},
			"opt/apps/ 1000:1000 775, opt/apps/node.war"},
		{"--deployments-dir that exists", "/opt/jboss/wildfly/standalone/deployments", wildflyLike,
			WARLayout{Dir: "/opt/jboss/wildfly/standalone/deployments", User: "1000:1000", UID: 1000, GID: 1000},
			"opt/jboss/wildfly/standalone/deployments/node.war"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rt := inProcessRegistry(t, map[string]v1.Image{"base/server:1": tc.base(t)})
			b := newTestBackend(t, newFakeCluster("amd64"), Options{Registry: "127.0.0.1:5000", Transport: rt, BaseImage: "127.0.0.1:5000/base/server:1", DeploymentsDir: tc.dirFlag})
			if _, err := b.EnsureBase(context.Background()); err != nil {
				t.Fatal(err)
			}
			if b.layout != tc.want {
				t.Errorf("layout = %+v, want %+v", b.layout, tc.want)
			}
			got, err := b.Build(context.Background(), lab.VariantNode, nodeWAR)
			if err != nil {
				t.Fatal(err)
			}
			ref, _ := name.ParseReference(b.StashRepository()+"@"+got.Digest, name.Insecure)
			img, err := remote.Image(ref, remote.WithTransport(rt))
			if err != nil {
				t.Fatal(err)
			}
			cf, _ := img.ConfigFile()
			if cf.Config.User != tc.want.User || cf.Config.Labels[LabelWARDir] != tc.want.Dir {
				t.Errorf("variant USER %q, war-dir %q; want %q, %q", cf.Config.User, cf.Config.Labels[LabelWARDir], tc.want.User, tc.want.Dir)
			}
			layers, _ := img.Layers()
			if e := layerEntries(t, layers[len(layers)-1]); e != tc.entries {
				t.Errorf("WAR layer = %q, want %q", e, tc.entries)
			}
			// The variant's own view: the WAR is where the server looks,
			// under a directory its user owns.
			fs := newBaseFS(layers)
			dir, e, ok, err := fs.resolve(tc.want.Dir)
			if err != nil || !ok || !e.IsDir() || !writableBy(e, imageUser{UID: tc.want.UID, GID: tc.want.GID}) {
				t.Errorf("variant's %s = %s %+v ok=%v err=%v, want a directory its user %d may write", tc.want.Dir, dir, e, ok, err, tc.want.UID)
			}
			if _, _, ok, _ := fs.resolve(tc.want.Dir + "/node.war"); !ok {
				t.Errorf("the variant has no %s/node.war", tc.want.Dir)
			}
		})
	}
}

// layerEntries lists a layer: "name" for files, "name uid:gid mode" for
// directories, joined by ", ".
func layerEntries(t *testing.T, l v1.Layer) string {
	t.Helper()
	rc, err := l.Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	var out []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return strings.Join(out, ", ")
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeDir {
			out = append(out, fmt.Sprintf("%s %d:%d %o", h.Name, h.Uid, h.Gid, h.Mode))
			continue
		}
		out = append(out, h.Name)
	}
}

// TestPreflight: each pre-run check fails with exit 2 and what to do, and
// Prepare changes nothing in the cluster when one fails.
func TestPreflight(t *testing.T) {
	good := randomImage(t)
	armOnly := randomImage(t)
	cf, err := armOnly.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", "arm64"
	if armOnly, err = mutate.ConfigFile(armOnly, cf); err != nil {
		t.Fatal(err)
	}
	noDir := imageOf(t, v1.Config{User: "185", Labels: map[string]string{"org.jboss.deployments-dir": "/opt/eap/standalone/deployments"}},
		[]tarEntry{{Name: "opt/eap/standalone/", Dir: true}})
	// a later layer removes the directory an earlier one made
	whitedOut := imageOf(t, v1.Config{User: "185", Env: []string{"JBOSS_HOME=/opt/wf"}},
		[]tarEntry{{Name: "opt/wf/standalone/deployments/", Dir: true}},
		[]tarEntry{{Name: "opt/wf/standalone/.wh.deployments"}})
	unknown := imageOf(t, v1.Config{User: "185", Cmd: []string{"/server"}}, []tarEntry{{Name: "server", Data: "#!"}})

	down := httptest.NewServer(http.NotFoundHandler())
	downHost := strings.TrimPrefix(down.URL, "http://")
	down.Close()
	notRegistry := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(notRegistry.Close)
	authOnly := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("WWW-Authenticate", `Basic realm="lab"`)
		w.WriteHeader(http.StatusUnauthorized)
	}))
	t.Cleanup(authOnly.Close)

	tests := []struct {
		name     string
		base     v1.Image
		registry string // "" = the in-process one
		flag     string
		want     []string
	}{
		{"ready", good, "", "", nil},
		{"a registry asking for credentials is reachable", good, strings.TrimPrefix(authOnly.URL, "http://"), "", nil},
		{"wrong architecture", armOnly, "", "lab.baseImage", []string{"built for linux/arm64, but the lab's node is linux/amd64", "exec format error"}},
		{"missing deployments directory", noDir, "", "lab.baseImage", []string{"/opt/eap/standalone/deployments (from the image's label org.jboss.deployments-dir) does not exist in the image", "lab.deploymentsDir"}},
		{"whited-out deployments directory", whitedOut, "", "lab.baseImage", []string{"/opt/wf/standalone/deployments (from the image's variable JBOSS_HOME", "does not exist in the image"}},
		{"no evidence where WARs go", unknown, "", "lab.baseImage", []string{"does not say where its server looks for WARs", "lab.deploymentsDir"}},
		{"unreachable registry", good, downHost, "lab.registry", []string{"cannot reach the lab registry", "GET https://" + downHost + "/v2/", "GET http://" + downHost + "/v2/", "start the registry"}},
		{"not a registry", good, strings.TrimPrefix(notRegistry.URL, "http://"), "lab.registry", []string{"answered 404 Not Found, which is not a registry's API"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rt := inProcessRegistry(t, map[string]v1.Image{"base/server:1": tc.base})
			o := Options{Registry: "127.0.0.1:5000", Transport: rt, BaseImage: "127.0.0.1:5000/base/server:1", Namespace: "lab"}
			if tc.registry != "" {
				// the base stays in the in-process registry; the lab
				// registry is a real loopback server, reached directly
				o.Registry = tc.registry
				o.Transport = splitTransport{base: rt, lab: http.DefaultTransport, labHost: tc.registry}
			}
			f := newFakeCluster("amd64")
			b := newTestBackend(t, f, o)
			_, err := b.Prepare(context.Background())
			if tc.want == nil {
				if err != nil {
					t.Fatalf("Prepare = %v", err)
				}
				return
			}
			var oe *OptionError
			if !errors.As(err, &oe) || oe.Setting != tc.flag || !errors.Is(err, lab.ErrBadInput) {
				t.Fatalf("Prepare = %v, want an *OptionError for %s", err, tc.flag)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			for _, c := range f.journal() {
				if c != "pick " {
					t.Errorf("Prepare changed the cluster before its checks passed: %q", f.journal())
					break
				}
			}
		})
	}
	t.Run("each attempt of the ping is bounded", func(t *testing.T) {
		hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
		t.Cleanup(hang.Close)
		host := strings.TrimPrefix(hang.URL, "http://")
		defer func(d time.Duration) { pingTimeout = d }(pingTimeout)
		pingTimeout = 200 * time.Millisecond
		b := newTestBackend(t, newFakeCluster("amd64"), Options{Registry: host, Transport: http.DefaultTransport, BaseImage: "127.0.0.1:5000/x:1"})
		err := b.pingRegistry(context.Background())
		var oe *OptionError
		if !errors.As(err, &oe) || !strings.Contains(err.Error(), "GET http://"+host+"/v2/: no answer within 200ms") || strings.Contains(err.Error(), "\n") {
			t.Errorf("pingRegistry = %v, want the plain-http attempt timed out, on one line", err)
		}
	})
	t.Run("the ping is bounded and cancellable", func(t *testing.T) {
		hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
		t.Cleanup(hang.Close)
		host := strings.TrimPrefix(hang.URL, "http://")
		b := newTestBackend(t, newFakeCluster("amd64"), Options{Registry: host, Transport: http.DefaultTransport, BaseImage: "127.0.0.1:5000/x:1"})
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		start := time.Now()
		err := b.pingRegistry(ctx)
		if err == nil || time.Since(start) > 5*time.Second {
			t.Errorf("pingRegistry = %v after %s, want an error within the context's bound", err, time.Since(start))
		}
	})
}

// splitTransport sends the lab registry's requests to lab and the rest
// (the base image's registry) to base.
type splitTransport struct {
	base, lab http.RoundTripper
	labHost   string
}

func (s splitTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Host == s.labHost {
		return s.lab.RoundTrip(r)
	}
	return s.base.RoundTrip(r)
}

// FuzzBaseFS: a layer is another tool's tar; whatever its bytes, reading
// it and resolving paths through it end without a panic, and a path that
// resolves is absolute and clean.
func FuzzBaseFS(f *testing.F) {
	seed := func(entries ...tarEntry) []byte {
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		for _, e := range entries {
			h := &tar.Header{Name: e.Name, Mode: 0o755, Typeflag: tar.TypeReg, Size: int64(len(e.Data))}
			switch {
			case e.Dir:
				h.Typeflag, h.Size = tar.TypeDir, 0
			case e.Link != "":
				h.Typeflag, h.Linkname, h.Size = tar.TypeSymlink, e.Link, 0
			}
			_ = tw.WriteHeader(h)
			_, _ = io.WriteString(tw, e.Data)
		}
		_ = tw.Close()
		return buf.Bytes()
	}
	f.Add(seed(tarEntry{Name: "etc/passwd", Data: "jboss:x:1000:1000::/:/bin/sh\n"}, tarEntry{Name: "opt/d", Link: "../opt/d"}))
	f.Add(seed(tarEntry{Name: "a/", Dir: true}, tarEntry{Name: "a/.wh..wh..opq"}, tarEntry{Name: "b", Link: "/a/../a/./"}, tarEntry{Name: "deployments", Link: "b/c"}))
	f.Add([]byte("not a tar"))
	f.Fuzz(func(t *testing.T, layer []byte) {
		fs := newBaseFS([]v1.Layer{rawLayer(layer)}, "/etc/passwd")
		if _, _, err := fs.readFile("/etc/passwd"); err != nil {
			return
		}
		for _, p := range []string{"/deployments", "/opt/d/x", "/b/c/../d", "/a"} {
			got, _, ok, err := fs.resolve(p)
			if err == nil && ok && (!strings.HasPrefix(got, "/") || path.Clean(got) != got) {
				t.Fatalf("resolve(%q) = %q: not absolute and clean", p, got)
			}
		}
	})
}

// rawLayer is an uncompressed layer of exactly these bytes, with nothing of
// go-containerregistry's in between (for fuzzing baseFS alone).
type rawLayer []byte

func (l rawLayer) hash() v1.Hash {
	sum := sha256.Sum256(l)
	return v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(sum[:])}
}

func (l rawLayer) Digest() (v1.Hash, error) { return l.hash(), nil }
func (l rawLayer) DiffID() (v1.Hash, error) { return l.hash(), nil }
func (l rawLayer) Compressed() (io.ReadCloser, error) {
	return io.NopCloser(bytes.NewReader(l)), nil
}
func (l rawLayer) Uncompressed() (io.ReadCloser, error) {
	return io.NopCloser(bytes.NewReader(l)), nil
}
func (l rawLayer) Size() (int64, error) { return int64(len(l)), nil }
func (l rawLayer) MediaType() (types.MediaType, error) {
	return types.OCIUncompressedLayer, nil
}
