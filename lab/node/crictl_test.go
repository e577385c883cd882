package node

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/pulllab/pulllab/lab"
)

// Samples in testdata/:
//   - containerd-*.{json,txt}: real output of crictl v1.34.0 against
//     containerd 1.6.20 (Debian 12), images pulled from a local registry and
//     tagged with ctr; note that protojson leaves out the unset "uid" and
//     "spec" messages.
//   - crio-*.{json,txt}: real output of crictl v1.34.0 against CRI-O 1.34.0
//     (built from its module, hack/e2e/crio.sh) on the e2e node after a
//     clean `verify --extended`: IDs without the sha256: prefix, "size" as a
//     string, no "uid" or "spec" in the list, the pause image pinned, and an
//     image whose last tag moved away listed with no tags and a repo digest
//     whose repository CRI-O cut at the registry's port colon
//     ("127.0.0.1@sha256:…": it keeps the part of its first former name before
//     the first ':'). crio-rmi-in-use.txt is crictl's stderr when CRI-O
//     refuses to remove an image that a stopped container still uses.

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

const (
	labRepo     = "127.0.0.1:5123/pulllab/custom-image-java"
	stashRepo   = "127.0.0.1:5123/pulllab/pulllab-variants"
	ocpRepo     = "image-registry.openshift-image-registry.svc:5000/pulllab/custom-image-java"
	ocpStash    = "image-registry.openshift-image-registry.svc:5000/pulllab/pulllab-variants"
	digestA     = "sha256:07e027be83d259c84cb024292052a7fc1c8d3138823089b82e5e92bbc0c0516b"
	containerdA = "sha256:aa22dda4119a52844fbcc3411ab849853af7b9fc8d30f6f501aee37d8e111ed0"
)

func TestParseImages(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []lab.NodeImage
		wantErr string
	}{
		{
			name: "containerd (real)",
			in:   string(readTestdata(t, "containerd-images.json")),
			want: []lab.NodeImage{
				{ID: "sha256:03adaec2a2cd7196531eeb3c0ad3a7608e805f48a7095972cec7768e36bbb0df",
					RepoTags:    []string{"127.0.0.1:5123/bystander/app:1", "127.0.0.1:5123/pulllab/custom-image-java-old:v1"},
					RepoDigests: []string{"127.0.0.1:5123/bystander/app@sha256:9b54cd9228e1a6dea74afdafa4b3d9e66df708464f6f6945e9e6ec9b1d23378c"},
					Size:        805989},
				{ID: "sha256:971f1edba6ef30792da1c945827f3e57111d20a3772ae2a7a2606203c3cad651",
					RepoTags:    []string{},
					RepoDigests: []string{"127.0.0.1:5123/pulllab-e2e/debug@sha256:f1f8711d633f07392653d3f9dbe1b70b5f68b2f3d4dc4dc89ef1287239fb6201"},
					Size:        1146830},
				{ID: containerdA,
					RepoTags:    []string{"127.0.0.1:5123/pulllab-e2e/appserver:1", "127.0.0.1:5123/pulllab/custom-image-java:v1"},
					RepoDigests: []string{"127.0.0.1:5123/pulllab-e2e/appserver@sha256:be6d22204e9409cdf380147fdc71d157437f6063cf5c4af79326c24c01149e0d"},
					Size:        2844160},
			},
		},
		{
			name: "nulls and missing fields",
			in:   `{"images":[{"id":"b","repoTags":null,"repoDigests":null,"size":null,"uid":null,"spec":null},{"id":"a"}]}`,
			want: []lab.NodeImage{{ID: "a", RepoTags: []string{}, RepoDigests: []string{}}, {ID: "b", RepoTags: []string{}, RepoDigests: []string{}}},
		},
		{name: "no images", in: `{"images":null}`, want: []lab.NodeImage{}},
		{name: "empty list", in: `{"images":[]}`, want: []lab.NodeImage{}},
		{name: "size as a number (older encoders)", in: `{"images":[{"id":"a","size":42}]}`, want: []lab.NodeImage{{ID: "a", RepoTags: []string{}, RepoDigests: []string{}, Size: 42}}},
		{name: "unknown fields are ignored", in: `{"images":[{"id":"a","size":"1","newField":{"x":1}}],"other":true}`, want: []lab.NodeImage{{ID: "a", RepoTags: []string{}, RepoDigests: []string{}, Size: 1}}},
		{name: "empty output", in: "  \n", wantErr: "empty output"},
		{name: "not JSON", in: "time=... level=fatal msg=\"connect: no such file\"", wantErr: "parsing crictl images"},
		{name: "negative size", in: `{"images":[{"id":"a","size":"-1"}]}`, wantErr: "not an unsigned integer"},
		{name: "size beyond int64", in: `{"images":[{"id":"a","size":"18446744073709551615"}]}`, wantErr: "too large"},
		{name: "image without id", in: `{"images":[{"repoTags":["x:1"]}]}`, wantErr: "has no id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseImages([]byte(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestParseImagesCRIO(t *testing.T) {
	got, err := ParseImages(readTestdata(t, "crio-images.json"))
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]lab.NodeImage{}
	for _, img := range got {
		byID[img.ID] = img
	}
	if len(got) != 5 || len(byID) != 5 {
		t.Fatalf("got %d images (%d IDs), want 5", len(got), len(byID))
	}
	app := byID["ec198534afe3c8c7d628834844278e2b526d583334e5b45ac04f6364b4de43c7"]
	wantApp := lab.NodeImage{
		ID:          "ec198534afe3c8c7d628834844278e2b526d583334e5b45ac04f6364b4de43c7",
		RepoTags:    []string{"127.0.0.1:5000/pulllab-e2e/custom-image-java:latest", "127.0.0.1:5000/pulllab-e2e/custom-image-java:v1"},
		RepoDigests: []string{"127.0.0.1:5000/pulllab-e2e/custom-image-java@sha256:208eb134168434a8d457282a9718ca395e72c66d7337ce38a3da02508c97f907"},
		Size:        6005269,
	}
	if !reflect.DeepEqual(app, wantApp) {
		t.Errorf("lab image = %+v\nwant        %+v", app, wantApp)
	}
	// the image whose tag v1 moved to the other variant: no tags, and a
	// digest under a "repository" that is only the registry host
	old := byID["fbb1daf42dca89dd2458982e2805edb759931b711ce0329859fae8c92d72e2c2"]
	if old.RepoTags == nil || len(old.RepoTags) != 0 ||
		!reflect.DeepEqual(old.RepoDigests, []string{"127.0.0.1@sha256:f4249afb4e141ee9f7f0ab6489af195c73c4178621ff7903552e3e45caf32f64"}) {
		t.Errorf("untagged image = %+v", old)
	}
}

func FuzzParseImages(f *testing.F) {
	f.Add(readTestdata(f, "containerd-images.json"))
	f.Add(readTestdata(f, "crio-images.json"))
	f.Add([]byte(`{"images":[{"id":"a","repoTags":null,"repoDigests":null,"size":null}]}`))
	f.Add([]byte(`{"images":[{"id":"a","size":"18446744073709551615"}]}`))
	f.Add([]byte(`{"images":[{"id":"a","size":12}]}`))
	f.Add([]byte(`{"images":null}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		imgs, err := ParseImages(data)
		if err != nil {
			return
		}
		if !sort.SliceIsSorted(imgs, func(i, j int) bool { return imgs[i].ID < imgs[j].ID }) {
			t.Errorf("not sorted by ID: %+v", imgs)
		}
		for _, img := range imgs {
			if img.ID == "" || img.RepoTags == nil || img.RepoDigests == nil || img.Size < 0 {
				t.Errorf("bad image %+v", img)
			}
		}
		// Encoding the result the way crictl does and parsing it again gives
		// the same images.
		type enc struct {
			ID          string   `json:"id"`
			RepoTags    []string `json:"repoTags"`
			RepoDigests []string `json:"repoDigests"`
			Size        string   `json:"size"`
		}
		var doc struct {
			Images []enc `json:"images"`
		}
		for _, img := range imgs {
			doc.Images = append(doc.Images, enc{img.ID, img.RepoTags, img.RepoDigests, jsonUint(img.Size)})
		}
		b, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		again, err := ParseImages(b)
		if err != nil {
			t.Fatalf("re-parsing %s: %v", b, err)
		}
		if len(again) != len(imgs) || (len(imgs) > 0 && !reflect.DeepEqual(again, imgs)) {
			t.Errorf("round trip changed the images:\n%+v\n%+v", imgs, again)
		}
	})
}

func jsonUint(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func TestSplitRef(t *testing.T) {
	tests := []struct {
		ref               string
		repo, tag, digest string
		ok                bool
	}{
		{ocpRepo + ":v1", ocpRepo, "v1", "", true},
		{ocpRepo + "@" + digestA, ocpRepo, "", digestA, true},
		{ocpRepo + ":v1@" + digestA, ocpRepo, "v1", digestA, true},
		{"127.0.0.1:5000/lab/app:latest", "127.0.0.1:5000/lab/app", "latest", "", true},
		{"registry.example.com/library/busybox:1.36", "registry.example.com/library/busybox", "1.36", "", true},
		{"127.0.0.1:5000/lab/app", "", "", "", false},  // no tag: the ':' is the port
		{"app", "", "", "", false},                     // neither tag nor digest
		{ocpRepo + "@sha256:short", "", "", "", false}, // not a digest
		{ocpRepo + ":bad tag", "", "", "", false},      // not a tag
		{":v1", "", "", "", false},                     // no repository
		{ocpRepo + ":", "", "", "", false},             // empty tag
		{ocpRepo + "@" + digestA + "@" + digestA, "", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			repo, tag, digest, ok := SplitRef(tt.ref)
			if repo != tt.repo || tag != tt.tag || digest != tt.digest || ok != tt.ok {
				t.Errorf("SplitRef = (%q, %q, %q, %v), want (%q, %q, %q, %v)", repo, tag, digest, ok, tt.repo, tt.tag, tt.digest, tt.ok)
			}
		})
	}
}

func TestInRepositories(t *testing.T) {
	repos := []string{ocpRepo, ocpStash}
	tests := []struct {
		ref  string
		want bool
	}{
		{ocpRepo + ":v1", true},
		{ocpRepo + ":latest", true},
		{ocpRepo + "@" + digestA, true},
		{ocpStash + ":node", true},
		{ocpRepo + "-old:v1", false}, // shares a prefix, is another repository
		{ocpRepo + "/sub:v1", false}, // a sub-repository is another repository
		{"image-registry.openshift-image-registry.svc:5000/other/custom-image-java:v1", false},
		{"registry.redhat.io/jboss-eap-7/eap74-openjdk11-openshift-rhel8:7.4.21-2.1743444175", false},
		{ocpRepo, false}, // no tag or digest
		{"", false},
	}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			if got := InRepositories(tt.ref, repos); got != tt.want {
				t.Errorf("InRepositories(%q) = %v, want %v", tt.ref, got, tt.want)
			}
		})
	}
	if InRepositories(ocpRepo+":v1", []string{""}) {
		t.Error("an empty repository matched")
	}
}

func TestCheckRemovable(t *testing.T) {
	repos := []string{ocpRepo, ocpStash}
	tests := []struct {
		name    string
		img     lab.NodeImage
		wantErr string
	}{
		{"lab tag and digest", lab.NodeImage{ID: "x", RepoTags: []string{ocpRepo + ":v1"}, RepoDigests: []string{ocpRepo + "@" + digestA, ocpStash + "@" + digestA}}, ""},
		{"only a lab digest", lab.NodeImage{ID: "x", RepoTags: []string{}, RepoDigests: []string{ocpRepo + "@" + digestA}}, ""},
		{"also a bystander's tag", lab.NodeImage{ID: "x", RepoTags: []string{ocpRepo + ":v1", "registry.example.com/someone/app:1"}}, `"registry.example.com/someone/app:1"`},
		{"also a bystander's digest", lab.NodeImage{ID: "x", RepoTags: []string{ocpRepo + ":v1"}, RepoDigests: []string{"registry.example.com/someone/app@" + digestA}}, "registry.example.com/someone/app@"},
		{"a repository that only shares the prefix", lab.NodeImage{ID: "x", RepoTags: []string{ocpRepo + ":v1", ocpRepo + "-old:v1"}}, "custom-image-java-old:v1"},
		{"no references at all", lab.NodeImage{ID: "x"}, "no tag or digest"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckRemovable(tt.img, repos)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "refusing") {
				t.Errorf("err = %v, want a refusal naming %q", err, tt.wantErr)
			}
		})
	}
}

func TestParseInspect(t *testing.T) {
	t.Run("containerd (real)", func(t *testing.T) {
		info, err := ParseInspect(readTestdata(t, "containerd-inspecti.json"))
		if err != nil {
			t.Fatal(err)
		}
		if info.Image.ID != containerdA || info.Image.Size != 2844160 || info.Labels["io.pulllab.e2e.image"] != "appserver" {
			t.Errorf("info = %+v", info)
		}
	})
	t.Run("cri-o (real)", func(t *testing.T) {
		info, err := ParseInspect(readTestdata(t, "crio-inspecti.json"))
		if err != nil {
			t.Fatal(err)
		}
		if info.Image.ID != "ec198534afe3c8c7d628834844278e2b526d583334e5b45ac04f6364b4de43c7" || info.Image.Size != 6005269 ||
			len(info.Image.RepoTags) != 2 || info.Labels["io.pulllab.variant"] != "registry" || info.User != "" {
			t.Errorf("info = %+v", info)
		}
	})
	t.Run("array of one", func(t *testing.T) {
		b := append(append([]byte("["), readTestdata(t, "containerd-inspecti.json")...), ']')
		if _, err := ParseInspect(b); err != nil {
			t.Fatal(err)
		}
	})
	for _, bad := range []string{"", "{}", `{"status":null}`, "[]", "not json"} {
		t.Run("bad "+bad, func(t *testing.T) {
			if _, err := ParseInspect([]byte(bad)); err == nil {
				t.Error("accepted")
			}
		})
	}
}

func TestParseVersion(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{string(readTestdata(t, "containerd-version.txt")), "containerd 1.6.20~ds1"},
		{string(readTestdata(t, "crio-version.txt")), "cri-o 1.34.0"},
		// the form of an OpenShift node's CRI-O build (hand-written)
		{"Version:  0.1.0\nRuntimeName:  cri-o\nRuntimeVersion:  1.34.1-2.rhaos4.21.git1a2b3c4.el9\nRuntimeApiVersion:  v1\n", "cri-o 1.34.1-2.rhaos4.21.git1a2b3c4.el9"},
		{"Version: 0.1.0\n", ""},
	}
	for _, tt := range tests {
		got, err := ParseVersion([]byte(tt.in))
		if tt.want == "" {
			if err == nil {
				t.Errorf("ParseVersion(%q) accepted", tt.in)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseVersion = %q, %v; want %q", got, err, tt.want)
		}
	}
}

func TestParseContainers(t *testing.T) {
	data := []byte(`{"containers":[
	 {"id":"c1","podSandboxId":"p1","metadata":{"name":"custom-image-java","attempt":0},
	  "image":{"image":"sha256:aaaa","annotations":{}},"imageRef":"sha256:aaaa","state":"CONTAINER_EXITED","createdAt":"1764756000000000000",
	  "labels":{"io.kubernetes.pod.name":"custom-image-java-1","io.kubernetes.pod.namespace":"pulllab"}},
	 {"id":"c2","image":{"image":"registry.example.com/app:1"},"imageRef":"","state":"CONTAINER_RUNNING"},
	 null]}`)
	got, err := ParseContainers(data)
	if err != nil {
		t.Fatal(err)
	}
	want := []Container{
		{ID: "c1", Name: "custom-image-java", Image: "sha256:aaaa", ImageRef: "sha256:aaaa", State: "CONTAINER_EXITED", Pod: "pulllab/custom-image-java-1"},
		{ID: "c2", Image: "registry.example.com/app:1", State: "CONTAINER_RUNNING"},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	img := lab.NodeImage{ID: "aaaa", RepoTags: []string{"r/x:1"}}
	if !got[0].Uses(img) || got[1].Uses(img) {
		t.Errorf("Uses by ID with sha256: prefix: %v %v", got[0].Uses(img), got[1].Uses(img))
	}
	if !got[1].Uses(lab.NodeImage{ID: "zz", RepoTags: []string{"registry.example.com/app:1"}}) {
		t.Error("Uses by tag")
	}
	for _, bad := range []string{"", "{", `{"containers":[{"state":"CONTAINER_RUNNING"}]}`} {
		if _, err := ParseContainers([]byte(bad)); err == nil {
			t.Errorf("ParseContainers(%q) succeeded", bad)
		}
	}
}

func FuzzParseContainers(f *testing.F) {
	f.Add([]byte(`{"containers":[{"id":"c1","metadata":{"name":"n"},"image":{"image":"i"},"imageRef":"r","state":"CONTAINER_EXITED","labels":{"io.kubernetes.pod.name":"p"}}]}`))
	f.Add([]byte(`{"containers":null}`))
	f.Add([]byte(`{"containers":[{"id":"c","metadata":null,"image":null,"labels":null}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		cs, err := ParseContainers(data)
		if err != nil {
			return
		}
		for _, c := range cs {
			if c.ID == "" {
				t.Errorf("container without id: %+v", c)
			}
			_ = c.Uses(lab.NodeImage{ID: c.ImageRef})
		}
	})
}

// The in-use refusal is recognised in every wording crictl has used for
// CRI-O's error, and nothing else is mistaken for it.
func TestInUseRefusal(t *testing.T) {
	tests := []struct {
		stderr string
		want   bool
	}{
		{`time="…" level=fatal msg="error of removing image \"aaaa\": rpc error: code = Unknown desc = delete image: image used by c0ffee: image is in use by a container"`, true},
		{"E1203 10:01:02.123456 4242 remote_image.go:270] \"RemoveImage from image service failed\" err=\"rpc error: code = Unknown desc = delete image: image used by c0ffee: image is in use by a container\" image=\"aaaa\"\nlevel=fatal msg=\"unable to remove the image(s)\"", true},
		{`rpc error: code = Unknown desc = Image Is In Use By A Container`, true},
		{`rpc error: code = Unknown desc = image "x" is mounted as volume to container with ID: c1`, true},
		{`rpc error: code = Unknown desc = no such image aaaa`, false},
		{`rpc error: code = Unavailable desc = connection error: dial unix /var/run/crio/crio.sock: connect: permission denied`, false},
		{`context deadline exceeded`, false},
		{``, false},
	}
	// the refusal captured from crictl v1.34.0 against CRI-O 1.34.0 on the
	// e2e node (hack/e2e, RUNTIME=cri-o)
	tests = append(tests, struct {
		stderr string
		want   bool
	}{string(readTestdataBytes("crio-rmi-in-use.txt")), true})
	for _, tt := range tests {
		if got := InUseRefusal([]byte(tt.stderr)); got != tt.want {
			t.Errorf("InUseRefusal(%q) = %v, want %v", tt.stderr, got, tt.want)
		}
	}
}
