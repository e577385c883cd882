package node

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/pulllab/pulllab/lab"
)

// criImage is one image of `crictl images -o json`, the CRI ListImages
// response in proto3 JSON: lowerCamelCase names, 64-bit integers as strings.
type criImage struct {
	ID          string   `json:"id"`
	RepoTags    []string `json:"repoTags"`
	RepoDigests []string `json:"repoDigests"`
	Size        size     `json:"size"`
	Pinned      bool     `json:"pinned"`
}

// size is a proto3 uint64: a JSON string of digits, also accepted as a
// number or null.
type size int64

func (s *size) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		*s = 0
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var str string
		if err := json.Unmarshal(b, &str); err != nil {
			return err
		}
		b = []byte(str)
	}
	n, err := strconv.ParseUint(string(b), 10, 64)
	if err != nil {
		return fmt.Errorf("image size %q is not an unsigned integer", b)
	}
	if n > math.MaxInt64 {
		return fmt.Errorf("image size %d is too large", n)
	}
	*s = size(n)
	return nil
}

// ParseImages parses the output of `crictl images -o json` (containerd or
// CRI-O, crictl before and after its move to protojson). Null or missing
// arrays become empty ones; unknown fields are ignored. Images come back
// sorted by ID.
func ParseImages(data []byte) ([]lab.NodeImage, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fmt.Errorf("parsing crictl images: empty output")
	}
	var resp struct {
		Images []*criImage `json:"images"`
	}
	if err := json.Unmarshal(data, &resp); err != nil {
		return nil, fmt.Errorf("parsing crictl images: %w", err)
	}
	out := make([]lab.NodeImage, 0, len(resp.Images))
	for i, img := range resp.Images {
		if img == nil {
			continue
		}
		if img.ID == "" {
			return nil, fmt.Errorf("parsing crictl images: image %d has no id", i)
		}
		out = append(out, lab.NodeImage{
			ID:          img.ID,
			RepoTags:    nonNil(img.RepoTags),
			RepoDigests: nonNil(img.RepoDigests),
			Size:        int64(img.Size),
		})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

var (
	tagRE    = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
	digestRE = regexp.MustCompile(`^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$`)
)

// SplitRef splits an image reference into its repository and its tag
// and/or digest: "host:5000/ns/app:v1" → ("host:5000/ns/app", "v1", "");
// "host/ns/app@sha256:…" → ("host/ns/app", "", "sha256:…"). A reference
// with neither a tag nor a digest, or a malformed one, is not ok.
func SplitRef(ref string) (repo, tag, digest string, ok bool) {
	rest := ref
	if i := strings.LastIndex(rest, "@"); i >= 0 {
		rest, digest = rest[:i], rest[i+1:]
		if !digestRE.MatchString(digest) {
			return "", "", "", false
		}
	}
	// A tag follows the last ':' after the last '/' (a ':' before it is a port).
	if i := strings.LastIndex(rest, ":"); i > strings.LastIndex(rest, "/") {
		rest, tag = rest[:i], rest[i+1:]
		if !tagRE.MatchString(tag) {
			return "", "", "", false
		}
	}
	if rest == "" || (tag == "" && digest == "") || strings.ContainsAny(rest, " \t\n@") {
		return "", "", "", false
	}
	return rest, tag, digest, true
}

// InRepositories reports whether ref ("repo:tag" or "repo@sha256:…") names
// an image in one of repos: its repository must equal one of them exactly,
// so ".../custom-image-java-old:v1" is not in ".../custom-image-java".
func InRepositories(ref string, repos []string) bool {
	repo, _, _, ok := SplitRef(ref)
	if !ok {
		return false
	}
	for _, r := range repos {
		if r != "" && repo == r {
			return true
		}
	}
	return false
}

// CheckRemovable returns nil when pulllab may remove the image from the
// node: every tag and digest it carries is in one of the lab's repositories,
// so the lab put it there. An image with any other reference, or with none,
// is refused: removing it would touch something that is not the lab's.
func CheckRemovable(img lab.NodeImage, repos []string) error {
	refs := append(append([]string{}, img.RepoTags...), img.RepoDigests...)
	if len(refs) == 0 {
		return fmt.Errorf("refusing to remove image %s from the node: it has no tag or digest, so pulllab cannot tell that it is the lab's", img.ID)
	}
	var foreign []string
	for _, r := range refs {
		if !InRepositories(r, repos) {
			foreign = append(foreign, r)
		}
	}
	if len(foreign) > 0 {
		return fmt.Errorf("refusing to remove image %s from the node: it is also known as %s, outside the lab's repositories (%s); remove it by hand if you are sure",
			img.ID, quoteAll(foreign), strings.Join(repos, ", "))
	}
	return nil
}

func quoteAll(s []string) string {
	q := make([]string, len(s))
	for i, v := range s {
		q[i] = strconv.Quote(v)
	}
	return strings.Join(q, ", ")
}

// ImageInfo is what `crictl inspecti -o json` says about one image.
type ImageInfo struct {
	Image lab.NodeImage
	// Labels are the image configuration's labels (e.g. the OpenShift build
	// labels io.openshift.build.name and io.openshift.build.namespace).
	Labels map[string]string
	// User is the image's user, if the runtime reports it.
	User string
}

// ParseInspect parses `crictl inspecti -o json` for one image: an object
// {"status": <image>, "info": <the runtime's verbose info>}. The info holds
// the OCI image as "imageSpec" (containerd and CRI-O) and, from CRI-O, the
// image labels as "labels". An array of one such object is accepted too.
func ParseInspect(data []byte) (ImageInfo, error) {
	var out ImageInfo
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) > 0 && trimmed[0] == '[' {
		var many []json.RawMessage
		if err := json.Unmarshal(trimmed, &many); err != nil {
			return out, fmt.Errorf("parsing crictl inspecti: %w", err)
		}
		if len(many) != 1 {
			return out, fmt.Errorf("parsing crictl inspecti: %d images, want 1", len(many))
		}
		trimmed = many[0]
	}
	var resp struct {
		Status *criImage `json:"status"`
		Info   struct {
			Labels    map[string]string `json:"labels"`
			ImageSpec *struct {
				Config struct {
					User   string            `json:"User"`
					Labels map[string]string `json:"Labels"`
				} `json:"config"`
			} `json:"imageSpec"`
		} `json:"info"`
	}
	if err := json.Unmarshal(trimmed, &resp); err != nil {
		return out, fmt.Errorf("parsing crictl inspecti: %w", err)
	}
	if resp.Status == nil || resp.Status.ID == "" {
		return out, fmt.Errorf("parsing crictl inspecti: no image status")
	}
	s := resp.Status
	out.Image = lab.NodeImage{ID: s.ID, RepoTags: nonNil(s.RepoTags), RepoDigests: nonNil(s.RepoDigests), Size: int64(s.Size)}
	out.Labels = map[string]string{}
	if spec := resp.Info.ImageSpec; spec != nil {
		for k, v := range spec.Config.Labels {
			out.Labels[k] = v
		}
		out.User = spec.Config.User
	}
	for k, v := range resp.Info.Labels {
		out.Labels[k] = v
	}
	return out, nil
}

// ParseVersion parses `crictl version` ("RuntimeName:  containerd",
// "RuntimeVersion:  1.6.20~ds1", …) into "containerd 1.6.20~ds1".
func ParseVersion(data []byte) (string, error) {
	fields := map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if ok {
			fields[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	name, version := fields["RuntimeName"], fields["RuntimeVersion"]
	if name == "" || version == "" {
		return "", fmt.Errorf("parsing crictl version: no RuntimeName or RuntimeVersion in %q", strings.TrimSpace(string(data)))
	}
	return name + " " + version, nil
}

// Container is one container of `crictl ps -a -o json`: what pulllab needs
// to tell whether it still uses an image.
type Container struct {
	// ID is the runtime's container ID.
	ID string
	// Name is the container's name (metadata.name).
	Name string
	// Image is the image the container was created from as the runtime
	// reports it (a name or an image ID, depending on the runtime).
	Image string
	// ImageRef is the runtime's reference to that image (usually its ID).
	ImageRef string
	// State is e.g. CONTAINER_RUNNING or CONTAINER_EXITED.
	State string
	// Pod is "namespace/name" of the container's pod, from the kubelet's
	// labels, when present.
	Pod string
}

// ParseContainers parses the output of `crictl ps -a -o json` (the CRI
// ListContainers response in proto3 JSON). Unknown fields are ignored; a
// container without an id is an error.
func ParseContainers(data []byte) ([]Container, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fmt.Errorf("parsing crictl ps: empty output")
	}
	var resp struct {
		Containers []*struct {
			ID       string `json:"id"`
			Metadata *struct {
				Name string `json:"name"`
			} `json:"metadata"`
			Image *struct {
				Image string `json:"image"`
			} `json:"image"`
			ImageRef string            `json:"imageRef"`
			State    string            `json:"state"`
			Labels   map[string]string `json:"labels"`
		} `json:"containers"`
	}
	if err := json.Unmarshal(data, &resp); err != nil {
		return nil, fmt.Errorf("parsing crictl ps: %w", err)
	}
	out := make([]Container, 0, len(resp.Containers))
	for i, c := range resp.Containers {
		if c == nil {
			continue
		}
		if c.ID == "" {
			return nil, fmt.Errorf("parsing crictl ps: container %d has no id", i)
		}
		ctr := Container{ID: c.ID, ImageRef: c.ImageRef, State: c.State}
		if c.Metadata != nil {
			ctr.Name = c.Metadata.Name
		}
		if c.Image != nil {
			ctr.Image = c.Image.Image
		}
		if n := c.Labels["io.kubernetes.pod.name"]; n != "" {
			ctr.Pod = c.Labels["io.kubernetes.pod.namespace"] + "/" + n
		}
		out = append(out, ctr)
	}
	return out, nil
}

// Uses reports whether the container was created from img: its image or
// image reference is img's ID (with or without the "sha256:" prefix) or
// one of img's tags or digests.
func (c Container) Uses(img lab.NodeImage) bool {
	bare := func(s string) string { return strings.TrimPrefix(s, "sha256:") }
	for _, r := range []string{c.ImageRef, c.Image} {
		if r == "" {
			continue
		}
		if bare(r) == bare(img.ID) {
			return true
		}
		for _, ref := range append(append([]string{}, img.RepoTags...), img.RepoDigests...) {
			if r == ref {
				return true
			}
		}
	}
	return false
}

// InUseRefusal reports whether crictl's error output says that the runtime
// refused to remove an image because a container uses it. CRI-O (through
// containers/storage) says "image used by <container>: image is in use by a
// container", wrapped by crictl in its own words, which differ between
// crictl versions; the match is on the runtime's part only and ignores case.
func InUseRefusal(stderr []byte) bool {
	s := strings.ToLower(string(stderr))
	for _, m := range []string{"in use by a container", "image used by", "is in use", "mounted as volume to container"} {
		if strings.Contains(s, m) {
			return true
		}
	}
	return false
}
