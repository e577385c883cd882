package openshift

// This file is the test double of an OpenShift cluster: the fake clientsets
// of client-go and openshift/client-go, with reactors that do what the
// OpenShift API server does for the calls the backend makes (as the
// reference notes describe it), and an httptest server for the two raw REST
// calls (instantiatebinary and the build log).

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	buildv1 "github.com/openshift/api/build/v1"
	configv1 "github.com/openshift/api/config/v1"
	imagev1 "github.com/openshift/api/image/v1"
	projectv1 "github.com/openshift/api/project/v1"
	buildfake "github.com/openshift/client-go/build/clientset/versioned/fake"
	configfake "github.com/openshift/client-go/config/clientset/versioned/fake"
	imagefake "github.com/openshift/client-go/image/clientset/versioned/fake"
	projectfake "github.com/openshift/client-go/project/clientset/versioned/fake"
	"github.com/sirupsen/logrus"
	logtest "github.com/sirupsen/logrus/hooks/test"
	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/version"
	"k8s.io/apimachinery/pkg/watch"
	fakediscovery "k8s.io/client-go/discovery/fake"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	kubefake "k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/rest"
	k8stesting "k8s.io/client-go/testing"

	"github.com/pulllab/pulllab/lab"
)

const testNS = "pulllab"

var (
	gvrImageStreams = imagev1.SchemeGroupVersion.WithResource("imagestreams")
	gvrBuilds       = buildv1.SchemeGroupVersion.WithResource("builds")
	gvrBuildConfigs = buildv1.SchemeGroupVersion.WithResource("buildconfigs")
	gvrNamespaces   = corev1.SchemeGroupVersion.WithResource("namespaces")
	gvrSAs          = corev1.SchemeGroupVersion.WithResource("serviceaccounts")
)

// digestOf makes a fake sha256 digest from a word.
func digestOf(word string) string {
	h := fmt.Sprintf("%x", word)
	for len(h) < 64 {
		h += "0"
	}
	return "sha256:" + h[:64]
}

// recordStatus records the status printer's lines.
type recordStatus struct {
	mu    sync.Mutex
	lines []string
	// onInfo, when set, is called with each Infof line.
	onInfo func(string)
}

func (s *recordStatus) add(l string) {
	s.mu.Lock()
	s.lines = append(s.lines, l)
	f := s.onInfo
	s.mu.Unlock()
	if f != nil {
		f(l)
	}
}
func (s *recordStatus) Start(f string, a ...any) { s.add("start: " + fmt.Sprintf(f, a...)) }
func (s *recordStatus) End(ok bool)              { s.add(fmt.Sprintf("end: %v", ok)) }
func (s *recordStatus) Infof(f string, a ...any) { s.add("info: " + fmt.Sprintf(f, a...)) }
func (s *recordStatus) Warnf(f string, a ...any) { s.add("warn: " + fmt.Sprintf(f, a...)) }
func (s *recordStatus) text() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.lines, "\n")
}

// fakeWorkload records what the backend asks of lab/workload.
type fakeWorkload struct {
	mu                  sync.Mutex
	kube                *kubefake.Clientset
	ns, node            string
	ensured             []bool
	cleanups, deletions int
	deleteErr           error
	calls               []string
}

func (w *fakeWorkload) record(c string) {
	w.mu.Lock()
	w.calls = append(w.calls, c)
	w.mu.Unlock()
}
func (w *fakeWorkload) Warm(_ context.Context, ref string) error { w.record("warm " + ref); return nil }
func (w *fakeWorkload) Deploy(_ context.Context, d lab.Deployment) error {
	w.record("deploy " + d.Image)
	return nil
}
func (w *fakeWorkload) Observe(_ context.Context, d lab.Deployment, _ time.Duration) (lab.Observation, error) {
	w.record("observe " + d.Name)
	return lab.Observation{Pod: d.Name + "-1"}, nil
}
func (w *fakeWorkload) Undeploy(_ context.Context, name string) error {
	w.record("undeploy " + name)
	return nil
}
func (w *fakeWorkload) EnsureNamespace(_ context.Context, privileged bool) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.ensured = append(w.ensured, privileged)
	if _, err := w.kube.Tracker().Get(gvrNamespaces, "", w.ns); err == nil {
		return nil
	}
	return w.kube.Tracker().Create(gvrNamespaces, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: w.ns,
		Labels: map[string]string{lab.LabelManagedBy: lab.ManagedBy, "pod-security.kubernetes.io/enforce": "privileged"}}}, "")
}
func (w *fakeWorkload) Cleanup(context.Context) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.cleanups++
	return nil
}
func (w *fakeWorkload) DeleteNamespace(context.Context) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.deletions++
	return w.deleteErr
}

// fakeNode records what the backend asks of lab/node.
type fakeNode struct {
	mu              sync.Mutex
	ns, node, image string
	repos           []string
	starts, stops   int
	images          []lab.NodeImage
	removed         []string
	runtime         string
}

func (n *fakeNode) Start(context.Context) error { n.mu.Lock(); n.starts++; n.mu.Unlock(); return nil }

func (n *fakeNode) StartShared(ctx context.Context) (bool, error) { return true, n.Start(ctx) }
func (n *fakeNode) Stop(context.Context) error                    { n.mu.Lock(); n.stops++; n.mu.Unlock(); return nil }
func (n *fakeNode) NodeImages(context.Context) ([]lab.NodeImage, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]lab.NodeImage(nil), n.images...), nil
}
func (n *fakeNode) RemoveNodeImage(_ context.Context, ref string) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.removed = append(n.removed, ref)
	return nil
}
func (n *fakeNode) RuntimeVersion(context.Context) (string, error) { return n.runtime, nil }

// importOutcome is what the fake registry answers to an import of a ref.
type importOutcome struct {
	digest  string
	reason  metav1.StatusReason
	message string
	// arch is the imported image's architecture (its config); archs, when
	// set, the architectures of the manifest list the import kept.
	arch  string
	archs []string
}

// buildOutcome is how a fake build of a BuildConfig ends.
type buildOutcome struct {
	digest                   string
	fail                     bool
	reason, message, snippet string
	hang                     bool // stays Running
}

// instantiateRequest is one recorded instantiatebinary call.
type instantiateRequest struct {
	method, path string
	query        url.Values
	body         []byte
}

// cluster is the fake OpenShift cluster.
type cluster struct {
	t       *testing.T
	kube    *kubefake.Clientset
	image   *imagefake.Clientset
	build   *buildfake.Clientset
	project *projectfake.Clientset
	config  *configfake.Clientset
	srv     *httptest.Server
	status  *recordStatus
	logger  *logrus.Logger
	hook    *logtest.Hook

	mu          sync.Mutex
	deny        map[string]bool // resource[/subresource] the user may not touch
	imports     map[string]importOutcome
	meta        map[string]json.RawMessage // image digest → dockerImageMetadata
	outcomes    map[string]buildOutcome    // BuildConfig name → outcome
	progressed  map[string]bool
	counter     map[string]int
	requests    []instantiateRequest
	logRequests []string
	logLines    []string
	saReady     bool
	workloads   map[string]*fakeWorkload
	nodes       []*fakeNode
	nodeImages  []lab.NodeImage
}

// newCluster returns a fake OpenShift 4.21 cluster with one node, the
// openshift/tools stream, and a user allowed to do everything.
func newCluster(t *testing.T, objs ...runtime.Object) *cluster {
	t.Helper()
	node := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: "crc"},
		Status: corev1.NodeStatus{NodeInfo: corev1.NodeSystemInfo{
			KubeletVersion: "v1.34.2", ContainerRuntimeVersion: "cri-o://1.34.1", OSImage: "Red Hat Enterprise Linux CoreOS",
		}},
	}
	c := &cluster{
		t:          t,
		kube:       kubefake.NewClientset(append([]runtime.Object{node}, objs...)...),
		image:      imagefake.NewClientset(),
		build:      buildfake.NewClientset(),
		project:    projectfake.NewClientset(),
		status:     &recordStatus{},
		deny:       map[string]bool{},
		imports:    map[string]importOutcome{},
		meta:       map[string]json.RawMessage{},
		outcomes:   map[string]buildOutcome{},
		progressed: map[string]bool{},
		counter:    map[string]int{},
		saReady:    true,
		workloads:  map[string]*fakeWorkload{},
	}
	c.config = configfake.NewClientset(&configv1.ClusterVersion{
		ObjectMeta: metav1.ObjectMeta{Name: "version"},
		Status:     configv1.ClusterVersionStatus{Desired: configv1.Release{Version: "4.21.8"}},
	})
	c.logger, c.hook = logtest.NewNullLogger()
	c.logger.SetLevel(logrus.DebugLevel)

	disc := c.kube.Discovery().(*fakediscovery.FakeDiscovery)
	disc.Resources = []*metav1.APIResourceList{
		{GroupVersion: "v1"},
		{GroupVersion: "image.openshift.io/v1"},
		{GroupVersion: "build.openshift.io/v1"},
		{GroupVersion: "project.openshift.io/v1"},
	}
	disc.FakedServerVersion = &version.Info{GitVersion: "v1.34.2"}

	c.kube.PrependReactor("create", "selfsubjectaccessreviews", c.reactAccessReview)
	c.kube.PrependReactor("create", "selfsubjectreviews", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, &authenticationv1.SelfSubjectReview{Status: authenticationv1.SelfSubjectReviewStatus{UserInfo: authenticationv1.UserInfo{Username: "kube:admin"}}}, nil
	})
	c.project.PrependReactor("create", "projectrequests", c.reactProjectRequest)
	c.image.PrependReactor("create", "imagestreamimports", c.reactImport)
	c.image.PrependReactor("get", "imagestreamtags", c.reactGetTag)
	c.image.PrependReactor("create", "imagestreamtags", c.reactSetTag(true))
	c.image.PrependReactor("update", "imagestreamtags", c.reactSetTag(false))
	c.build.PrependWatchReactor("builds", c.reactWatchBuilds)

	// openshift/tools, as the release payload ships it.
	c.must(c.image.Tracker().Create(gvrImageStreams, &imagev1.ImageStream{
		ObjectMeta: metav1.ObjectMeta{Name: "tools", Namespace: "openshift"},
		Status: imagev1.ImageStreamStatus{Tags: []imagev1.NamedTagEventList{{
			Tag:   "latest",
			Items: []imagev1.TagEvent{{DockerImageReference: "registry.example.com/openshift-release-dev/ocp-v4.0-art-dev@" + digestOf("tools"), Image: digestOf("tools")}},
		}}},
	}, "openshift"))

	c.srv = httptest.NewServer(http.HandlerFunc(c.serveBuildREST))
	t.Cleanup(c.srv.Close)
	return c
}

func (c *cluster) must(err error) {
	c.t.Helper()
	if err != nil {
		c.t.Fatal(err)
	}
}

// buildREST returns the build.openshift.io REST client of the fake server,
// made the way New makes it.
func (c *cluster) buildREST() rest.Interface {
	cfg := &rest.Config{Host: c.srv.URL}
	hc, err := rest.HTTPClientFor(cfg)
	c.must(err)
	rc, err := newJSONREST(cfg, hc, buildGV)
	c.must(err)
	return rc
}

// clients returns the backend's clients on the fake cluster.
func (c *cluster) clients() Clients {
	return Clients{
		Kube: c.kube, Image: c.image.ImageV1(), Dynamic: c.dynamicBuilds(), Project: c.project.ProjectV1(), ClusterVersions: fakeClusterVersions{c.config},
		BuildREST: c.buildREST(),
		Workload: func(ns, node string) Workload {
			c.mu.Lock()
			defer c.mu.Unlock()
			w, ok := c.workloads[ns]
			if !ok {
				w = &fakeWorkload{ns: ns, kube: c.kube}
				c.workloads[ns] = w
			}
			w.node = node
			return w
		},
		NodeCache: func(ns, node, image string, repos []string) NodeOps {
			c.mu.Lock()
			defer c.mu.Unlock()
			n := &fakeNode{ns: ns, node: node, image: image, repos: repos, images: c.nodeImages, runtime: "cri-o 1.34.1"}
			c.nodes = append(c.nodes, n)
			return n
		},
		PickNode: func(ctx context.Context, name string) (*corev1.Node, error) {
			if name == "" {
				name = "crc"
			}
			return c.kube.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
		},
		Facts: func(ctx context.Context, node *corev1.Node) (lab.Environment, error) {
			return lab.Environment{KubernetesVersion: "v1.34.2", Node: node.Name, KubeletVersion: node.Status.NodeInfo.KubeletVersion, OSImage: node.Status.NodeInfo.OSImage}, nil
		},
	}
}

// backend returns a backend on the fake cluster with short waits.
func (c *cluster) backend(o Options) *Backend {
	c.t.Helper()
	o.Log = c.logger
	o.Status = c.status
	if o.WaitTimeout == 0 {
		o.WaitTimeout = 2 * time.Second
	}
	b, err := NewWithClients(c.clients(), o)
	c.must(err)
	return b
}

// ourProject adds the lab project as pulllab made it, with ready service
// accounts.
func ourProject(labels map[string]string) []runtime.Object {
	if labels == nil {
		labels = map[string]string{lab.LabelManagedBy: lab.ManagedBy, lab.LabelLabID: testNS}
	}
	return []runtime.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: testNS, Labels: labels}},
		readySA("builder"), readySA("default"), pullSecret("builder", true), pullSecret("default", true),
	}
}

// pullSecret is the internal-registry pull secret of service account sa
// as openshift-controller-manager makes it: first with an empty
// ".dockercfg" ("{}"), then filled with the registry's entries.
func pullSecret(sa string, filled bool) *corev1.Secret {
	cfg := "{}"
	if filled {
		cfg = `{"image-registry.openshift-image-registry.svc:5000":{"username":"<token>","password":"not-a-real-token","email":"serviceaccount@example.org","auth":"bm90LWEtcmVhbC10b2tlbg=="}}`
	}
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: sa + "-dockercfg-abcde", Namespace: testNS,
			Annotations: map[string]string{"openshift.io/internal-registry-auth-token.service-account": sa}},
		Type: corev1.SecretTypeDockercfg,
		Data: map[string][]byte{corev1.DockerConfigKey: []byte(cfg)},
	}
}

func readySA(name string) *corev1.ServiceAccount {
	return &corev1.ServiceAccount{
		ObjectMeta:       metav1.ObjectMeta{Name: name, Namespace: testNS},
		ImagePullSecrets: []corev1.LocalObjectReference{{Name: name + "-dockercfg-abcde"}},
	}
}

// reactAccessReview allows everything but the denied resources.
func (c *cluster) reactAccessReview(a k8stesting.Action) (bool, runtime.Object, error) {
	r := a.(k8stesting.CreateAction).GetObject().(*authorizationv1.SelfSubjectAccessReview).DeepCopy()
	attrs := r.Spec.ResourceAttributes
	key := attrs.Resource
	if attrs.Subresource != "" {
		key += "/" + attrs.Subresource
	}
	c.mu.Lock()
	denied := c.deny[key]
	c.mu.Unlock()
	r.Status.Allowed = !denied
	if denied {
		r.Status.Reason = "RBAC: not allowed"
	}
	return true, r, nil
}

// reactProjectRequest does what the default project template does: a
// namespace with the display name, description and requester annotations;
// the controllers then add the service accounts and their pull secrets.
func (c *cluster) reactProjectRequest(a k8stesting.Action) (bool, runtime.Object, error) {
	pr := a.(k8stesting.CreateAction).GetObject().(*projectv1.ProjectRequest)
	if _, err := c.kube.Tracker().Get(gvrNamespaces, "", pr.Name); err == nil {
		return true, nil, apierrors.NewAlreadyExists(projectv1.Resource("projects"), pr.Name)
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: pr.Name, Annotations: map[string]string{
		"openshift.io/description":  pr.Description,
		"openshift.io/display-name": pr.DisplayName,
		"openshift.io/requester":    "kube:admin",
	}}}
	if err := c.kube.Tracker().Create(gvrNamespaces, ns, ""); err != nil {
		return true, nil, err
	}
	c.mu.Lock()
	ready := c.saReady
	c.mu.Unlock()
	for _, sa := range []string{"builder", "default", "deployer"} {
		o := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: sa, Namespace: pr.Name}}
		if ready {
			sec := pullSecret(sa, true)
			sec.Namespace = pr.Name
			o.ImagePullSecrets = []corev1.LocalObjectReference{{Name: sec.Name}}
			if err := c.kube.Tracker().Create(corev1.SchemeGroupVersion.WithResource("secrets"), sec, pr.Name); err != nil {
				return true, nil, err
			}
		}
		if err := c.kube.Tracker().Create(gvrSAs, o, pr.Name); err != nil {
			return true, nil, err
		}
	}
	return true, &projectv1.Project{ObjectMeta: metav1.ObjectMeta{Name: pr.Name, Annotations: ns.Annotations}}, nil
}

// stream returns an ImageStream from the tracker, or nil.
func (c *cluster) stream(ns, name string) *imagev1.ImageStream {
	o, err := c.image.Tracker().Get(gvrImageStreams, ns, name)
	if err != nil {
		return nil
	}
	return o.(*imagev1.ImageStream).DeepCopy()
}

// saveStream creates or updates a stream in the tracker.
func (c *cluster) saveStream(is *imagev1.ImageStream) error {
	if _, err := c.image.Tracker().Get(gvrImageStreams, is.Namespace, is.Name); err != nil {
		return c.image.Tracker().Create(gvrImageStreams, is, is.Namespace)
	}
	return c.image.Tracker().Update(gvrImageStreams, is, is.Namespace)
}

// setStatusTag makes image the newest item of a stream's status tag, and
// spec the tag's spec (nil keeps it), creating the stream if needed.
func (c *cluster) setStatusTag(ns, name, tag string, spec *imagev1.TagReference, image, pullSpec string) error {
	is := c.stream(ns, name)
	if is == nil {
		is = &imagev1.ImageStream{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}}
	}
	if spec != nil {
		replaced := false
		for i := range is.Spec.Tags {
			if is.Spec.Tags[i].Name == tag {
				is.Spec.Tags[i] = *spec
				replaced = true
			}
		}
		if !replaced {
			is.Spec.Tags = append(is.Spec.Tags, *spec)
		}
	}
	found := false
	for i := range is.Status.Tags {
		if is.Status.Tags[i].Tag == tag {
			found = true
			if image != "" {
				is.Status.Tags[i].Items = append([]imagev1.TagEvent{{Image: image, DockerImageReference: pullSpec}}, is.Status.Tags[i].Items...)
			}
		}
	}
	if !found {
		l := imagev1.NamedTagEventList{Tag: tag}
		if image != "" {
			l.Items = []imagev1.TagEvent{{Image: image, DockerImageReference: pullSpec}}
		}
		is.Status.Tags = append(is.Status.Tags, l)
	}
	return c.saveStream(is)
}

// reactImport is the ImageStreamImport endpoint: it imports from the fake
// registry (c.imports) and writes the tag into the stream, also when the
// import fails (with no status items), as the server does.
func (c *cluster) reactImport(a k8stesting.Action) (bool, runtime.Object, error) {
	isi := a.(k8stesting.CreateAction).GetObject().(*imagev1.ImageStreamImport).DeepCopy()
	if len(isi.Spec.Images) != 1 || isi.Spec.Images[0].To == nil {
		return true, nil, apierrors.NewBadRequest("the fake imports exactly one image into a tag")
	}
	spec := isi.Spec.Images[0]
	ref, tag := spec.From.Name, spec.To.Name
	c.mu.Lock()
	outc, ok := c.imports[ref]
	c.mu.Unlock()
	if !ok {
		outc = importOutcome{reason: metav1.StatusReasonNotFound, message: fmt.Sprintf("dockerimage.image.openshift.io %q not found", ref)}
	}
	st := imagev1.ImageImportStatus{Tag: tag}
	image, pullSpec := "", ""
	if outc.digest != "" {
		image = outc.digest
		repo := ref
		if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
			repo = ref[:i]
		}
		pullSpec = repo + "@" + outc.digest
		st.Status = metav1.Status{Status: metav1.StatusSuccess}
		st.Image = &imagev1.Image{ObjectMeta: metav1.ObjectMeta{Name: outc.digest}, DockerImageReference: pullSpec}
		arch := outc.arch
		if arch == "" {
			arch = "amd64"
		}
		st.Image.DockerImageMetadata = runtime.RawExtension{Raw: []byte(`{"kind":"DockerImage","apiVersion":"1.0","Architecture":"` + arch + `","Os":"linux"}`)}
		for _, a := range outc.archs {
			st.Image.DockerImageManifests = append(st.Image.DockerImageManifests, imagev1.ImageManifest{Digest: digestOf(a), Architecture: a, OS: "linux"})
		}
		if _, err := c.image.Tracker().Get(imagev1.SchemeGroupVersion.WithResource("images"), "", outc.digest); err != nil {
			if err := c.image.Tracker().Create(imagev1.SchemeGroupVersion.WithResource("images"), st.Image.DeepCopy(), ""); err != nil {
				return true, nil, err
			}
		}
	} else {
		st.Status = metav1.Status{Status: metav1.StatusFailure, Reason: outc.reason, Message: outc.message}
	}
	if isi.Spec.Import {
		tr := &imagev1.TagReference{Name: tag, From: &corev1.ObjectReference{Kind: "DockerImage", Name: ref}, ReferencePolicy: spec.ReferencePolicy}
		if err := c.setStatusTag(isi.Namespace, isi.Name, tag, tr, image, pullSpec); err != nil {
			return true, nil, err
		}
	}
	isi.Status.Images = []imagev1.ImageImportStatus{st}
	return true, isi, nil
}

// splitTagName splits "stream:tag".
func splitTagName(name string) (string, string, bool) {
	i := strings.LastIndex(name, ":")
	if i <= 0 || i == len(name)-1 {
		return "", "", false
	}
	return name[:i], name[i+1:], true
}

// istOf builds the ImageStreamTag the server would show, or nil.
func (c *cluster) istOf(ns, name string) *imagev1.ImageStreamTag {
	stream, tag, ok := splitTagName(name)
	if !ok {
		return nil
	}
	is := c.stream(ns, stream)
	if is == nil {
		return nil
	}
	var items []imagev1.TagEvent
	for _, t := range is.Status.Tags {
		if t.Tag == tag {
			items = t.Items
		}
	}
	if len(items) == 0 {
		return nil
	}
	ist := &imagev1.ImageStreamTag{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, ResourceVersion: is.ResourceVersion},
		Image:      imagev1.Image{ObjectMeta: metav1.ObjectMeta{Name: items[0].Image}, DockerImageReference: items[0].DockerImageReference},
	}
	c.mu.Lock()
	if m, ok := c.meta[items[0].Image]; ok {
		ist.Image.DockerImageMetadata = runtime.RawExtension{Raw: m}
	}
	c.mu.Unlock()
	for i := range is.Spec.Tags {
		if is.Spec.Tags[i].Name == tag {
			ist.Tag = is.Spec.Tags[i].DeepCopy()
		}
	}
	return ist
}

func (c *cluster) reactGetTag(a k8stesting.Action) (bool, runtime.Object, error) {
	ga := a.(k8stesting.GetAction)
	if ist := c.istOf(ga.GetNamespace(), ga.GetName()); ist != nil {
		return true, ist, nil
	}
	return true, nil, apierrors.NewNotFound(imagev1.Resource("imagestreamtags"), ga.GetName())
}

// reactSetTag is `oc tag` on the server: tag.from names an
// ImageStreamImage of the same project, which is resolved at once into the
// target stream's status.
func (c *cluster) reactSetTag(create bool) k8stesting.ReactionFunc {
	return func(a k8stesting.Action) (bool, runtime.Object, error) {
		var ist *imagev1.ImageStreamTag
		if create {
			ist = a.(k8stesting.CreateAction).GetObject().(*imagev1.ImageStreamTag)
		} else {
			ist = a.(k8stesting.UpdateAction).GetObject().(*imagev1.ImageStreamTag)
		}
		ns := a.GetNamespace()
		stream, tag, ok := splitTagName(ist.Name)
		if !ok || ist.Tag == nil || ist.Tag.From == nil || ist.Tag.Name != tag {
			return true, nil, apierrors.NewBadRequest("the fake needs tag.name and tag.from")
		}
		if ist.Tag.From.Kind != "ImageStreamImage" {
			return true, nil, apierrors.NewBadRequest("the fake resolves only ImageStreamImage")
		}
		src, digest, found := strings.Cut(ist.Tag.From.Name, "@")
		if !found {
			return true, nil, apierrors.NewBadRequest("ImageStreamImage name must be stream@digest")
		}
		srcIS := c.stream(ns, src)
		pullSpec := ""
		if srcIS != nil {
			for _, t := range srcIS.Status.Tags {
				for _, it := range t.Items {
					if it.Image == digest {
						pullSpec = it.DockerImageReference
					}
				}
			}
		}
		if pullSpec == "" {
			return true, nil, apierrors.NewNotFound(imagev1.Resource("imagestreamimages"), ist.Tag.From.Name)
		}
		is := c.stream(ns, stream)
		exists := false
		if is != nil {
			for _, t := range is.Spec.Tags {
				exists = exists || t.Name == tag
			}
		}
		if create && exists {
			return true, nil, apierrors.NewAlreadyExists(imagev1.Resource("imagestreamtags"), ist.Name)
		}
		if !create && !exists {
			return true, nil, apierrors.NewNotFound(imagev1.Resource("imagestreamtags"), ist.Name)
		}
		if err := c.setStatusTag(ns, stream, tag, ist.Tag.DeepCopy(), digest, pullSpec); err != nil {
			return true, nil, err
		}
		return true, c.istOf(ns, ist.Name), nil
	}
}

// push is what the integrated registry does when a build pushes: the image
// becomes the newest item of the output tag.
func (c *cluster) push(ns, stream, tag, digest string, meta map[string]any) {
	raw, err := json.Marshal(meta)
	c.must(err)
	c.mu.Lock()
	c.meta[digest] = raw
	c.mu.Unlock()
	pullSpec := InternalRegistry + "/" + ns + "/" + stream + "@" + digest
	c.must(c.setStatusTag(ns, stream, tag, nil, digest, pullSpec))
}

// serveBuildREST is the API server's side of the two raw REST calls.
func (c *cluster) serveBuildREST(w http.ResponseWriter, r *http.Request) {
	const prefix = "/apis/build.openshift.io/v1/namespaces/"
	rest, ok := strings.CutPrefix(r.URL.Path, prefix)
	if !ok {
		http.Error(w, "unexpected path "+r.URL.Path, http.StatusNotFound)
		return
	}
	parts := strings.Split(rest, "/")
	switch {
	case len(parts) == 4 && parts[1] == "buildconfigs" && parts[3] == "instantiatebinary":
		c.serveInstantiate(w, r, parts[0], parts[2])
	case len(parts) == 4 && parts[1] == "builds" && parts[3] == "log":
		c.mu.Lock()
		c.logRequests = append(c.logRequests, r.Method+" "+r.URL.RequestURI())
		lines := append([]string(nil), c.logLines...)
		c.mu.Unlock()
		w.Header().Set("Content-Type", "text/plain")
		fl, _ := w.(http.Flusher)
		for _, l := range lines {
			fmt.Fprintln(w, l)
			if fl != nil {
				fl.Flush()
			}
		}
	default:
		http.Error(w, "unexpected path "+r.URL.Path, http.StatusNotFound)
	}
}

// serveInstantiate records the request, creates the build (phase New) and
// answers with it, as instantiatebinary does once the build runs.
func (c *cluster) serveInstantiate(w http.ResponseWriter, r *http.Request, ns, bcName string) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	c.mu.Lock()
	c.requests = append(c.requests, instantiateRequest{method: r.Method, path: r.URL.Path, query: r.URL.Query(), body: body})
	c.counter[bcName]++
	n := c.counter[bcName]
	c.mu.Unlock()
	if r.Method != http.MethodPost {
		http.Error(w, "method", http.StatusMethodNotAllowed)
		return
	}
	obj, err := c.build.Tracker().Get(gvrBuildConfigs, ns, bcName)
	if err != nil {
		writeStatus(w, apierrors.NewNotFound(buildv1.Resource("buildconfigs"), bcName))
		return
	}
	bd := &buildv1.Build{
		TypeMeta: metav1.TypeMeta{APIVersion: "build.openshift.io/v1", Kind: "Build"},
		ObjectMeta: metav1.ObjectMeta{
			Name: fmt.Sprintf("%s-%d", bcName, n), Namespace: ns,
			Labels: map[string]string{"buildconfig": bcName, buildv1.BuildConfigLabel: bcName},
		},
		// Like the server's build generator, the build takes the
		// BuildConfig's strategy, source and output.
		Spec:   buildv1.BuildSpec{CommonSpec: *obj.(*buildv1.BuildConfig).Spec.CommonSpec.DeepCopy()},
		Status: buildv1.BuildStatus{Phase: buildv1.BuildPhaseNew},
	}
	if err := c.build.Tracker().Create(gvrBuilds, bd, ns); err != nil {
		writeStatus(w, apierrors.NewInternalError(err))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(bd)
}

func writeStatus(w http.ResponseWriter, err *apierrors.StatusError) {
	st := err.Status()
	st.APIVersion, st.Kind = "v1", "Status"
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(int(st.Code))
	_ = json.NewEncoder(w).Encode(st)
}

// reactWatchBuilds opens a watch and then lets the build controller move
// the new builds on: New → Running → Complete (pushing the image) or
// Failed, so the watcher sees every phase.
func (c *cluster) reactWatchBuilds(a k8stesting.Action) (bool, watch.Interface, error) {
	w, err := c.build.Tracker().Watch(gvrBuilds, a.GetNamespace())
	if err != nil {
		return true, nil, err
	}
	objs, err := c.build.Tracker().List(gvrBuilds, buildv1.SchemeGroupVersion.WithKind("Build"), a.GetNamespace())
	if err != nil {
		return true, nil, err
	}
	var todo []buildv1.Build
	c.mu.Lock()
	for _, bd := range objs.(*buildv1.BuildList).Items {
		if bd.Status.Phase == buildv1.BuildPhaseNew && !c.progressed[bd.Name] {
			c.progressed[bd.Name] = true
			todo = append(todo, bd)
		}
	}
	c.mu.Unlock()
	for _, bd := range todo {
		go c.progress(bd)
	}
	return true, w, nil
}

func (c *cluster) progress(bd buildv1.Build) {
	bcName := bd.Labels[buildv1.BuildConfigLabel]
	c.mu.Lock()
	outc := c.outcomes[bcName]
	c.mu.Unlock()
	update := func(mut func(*buildv1.Build)) {
		o, err := c.build.Tracker().Get(gvrBuilds, bd.Namespace, bd.Name)
		if err != nil {
			return
		}
		cur := o.(*buildv1.Build).DeepCopy()
		mut(cur)
		_ = c.build.Tracker().Update(gvrBuilds, cur, bd.Namespace)
	}
	update(func(b *buildv1.Build) { b.Status.Phase = buildv1.BuildPhaseRunning })
	if failed, snippet := wildflyS2IAssemble(&bd); failed {
		outc = buildOutcome{fail: true, reason: string(buildv1.StatusReasonGenericBuildFailed), message: "Generic Build failure - check logs for details.", snippet: snippet}
	}
	switch {
	case outc.hang:
		return
	case outc.fail:
		update(func(b *buildv1.Build) {
			b.Status.Phase = buildv1.BuildPhaseFailed
			b.Status.Reason = buildv1.StatusReason(outc.reason)
			b.Status.Message = outc.message
			b.Status.LogSnippet = outc.snippet
		})
	default:
		variant := strings.TrimPrefix(bcName, "pulllab-")
		c.push(bd.Namespace, lab.StashName, variant, outc.digest, map[string]any{
			"Id":     digestOf("config-" + variant),
			"Config": map[string]any{"Labels": map[string]string{imageLabelBuildName: bd.Name, ImageLabelVariant: variant}},
		})
		update(func(b *buildv1.Build) {
			b.Status.Phase = buildv1.BuildPhaseComplete
			b.Status.Output.To = &buildv1.BuildStatusOutputTo{ImageDigest: outc.digest}
		})
	}
}

// fakeClusterVersions reads ClusterVersions from the typed fake of
// openshift/client-go and hands them on the way the API server's JSON
// reaches clusterVersionClient: encoded from openshift/api's types and
// decoded into pulllab's ClusterVersion, so a JSON name that differs from
// upstream's shows as a lost version.
type fakeClusterVersions struct{ cs *configfake.Clientset }

// Get reads the ClusterVersion called name.
func (f fakeClusterVersions) Get(ctx context.Context, name string, opts metav1.GetOptions) (*ClusterVersion, error) {
	cv, err := f.cs.ConfigV1().ClusterVersions().Get(ctx, name, opts)
	if err != nil {
		return nil, err
	}
	raw, err := json.Marshal(cv)
	if err != nil {
		return nil, err
	}
	out := &ClusterVersion{}
	if err := json.Unmarshal(raw, out); err != nil {
		return nil, err
	}
	return out, nil
}

// dynamicBuilds returns the dynamic client the backend reaches builds and
// buildconfigs with, over the typed fake of openshift/client-go: each
// action goes to c.build (so its tracker and reactors answer, as for the
// typed client), objects are converted between the server's JSON shape
// (unstructured) and openshift/api's types on the way, the way the API
// server would decode and encode them. A field pulllab writes under a name
// openshift/api does not know is lost here, and the tests that read it
// back fail.
func (c *cluster) dynamicBuilds() *dynamicfake.FakeDynamicClient {
	s := runtime.NewScheme()
	c.must(buildv1.Install(s))
	dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(s, map[schema.GroupVersionResource]string{
		gvrBuilds: "BuildList", gvrBuildConfigs: "BuildConfigList",
	})
	typed := func(obj runtime.Object) (runtime.Object, error) {
		u, ok := obj.(*unstructured.Unstructured)
		if !ok {
			return obj, nil
		}
		out, err := s.New(u.GroupVersionKind())
		if err != nil {
			return nil, err
		}
		if err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(u.Object, out, true); err != nil {
			return nil, apierrors.NewBadRequest(fmt.Sprintf("the server would refuse %s %q: %v", u.GetKind(), u.GetName(), err))
		}
		return out, nil
	}
	dyn.PrependReactor("*", "*", func(a k8stesting.Action) (bool, runtime.Object, error) {
		var err error
		switch act := a.(type) {
		case k8stesting.CreateActionImpl:
			act.Object, err = typed(act.Object)
			a = act
		case k8stesting.UpdateActionImpl:
			act.Object, err = typed(act.Object)
			a = act
		}
		if err != nil {
			return true, nil, err
		}
		obj, err := c.build.Invokes(a, nil)
		if err != nil || obj == nil {
			return true, nil, err
		}
		// The typed fake leaves out the kind, which the API server sets.
		gvks, _, err := s.ObjectKinds(obj)
		if err != nil {
			return true, nil, err
		}
		obj = obj.DeepCopyObject()
		obj.GetObjectKind().SetGroupVersionKind(gvks[0])
		return true, obj, nil
	})
	dyn.PrependWatchReactor("*", func(a k8stesting.Action) (bool, watch.Interface, error) {
		w, err := c.build.InvokesWatch(a)
		if err != nil {
			return true, nil, err
		}
		return true, watch.Filter(w, func(ev watch.Event) (watch.Event, bool) {
			m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(ev.Object)
			if err != nil {
				c.t.Errorf("converting a watched %T: %v", ev.Object, err)
				return ev, false
			}
			ev.Object = &unstructured.Unstructured{Object: m}
			return ev, true
		}), nil
	})
	return dyn
}

// buildConfigOf reads the BuildConfig the backend made as openshift/api's
// type.
func buildConfigOf(t *testing.T, u *unstructured.Unstructured) *buildv1.BuildConfig {
	t.Helper()
	bc := &buildv1.BuildConfig{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(u.Object, bc, true); err != nil {
		t.Fatalf("the BuildConfig has fields openshift/api does not know: %v", err)
	}
	return bc
}
