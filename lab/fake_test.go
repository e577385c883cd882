package lab

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// fakeLab is an in-memory cluster for runner tests: a registry with tags, a
// node image cache keyed by exact references, and a kubelet that applies
// the pull policies the way pkg/kubelet/images does (Always pulls;
// IfNotPresent and Never look the exact reference up in the cache; an
// omitted policy is Always for :latest and IfNotPresent otherwise).
type fakeLab struct {
	mu   sync.Mutex
	repo string
	// crio makes node image IDs bare hex (CRI-O) instead of "sha256:…"
	// (containerd).
	crio bool

	variants map[Variant]fakeImage // the stash
	built    map[Variant]bool
	tags     map[string]string // app tag → manifest digest
	node     []*fakeNodeImage

	deployed  *Deployment
	failCount int
	clock     time.Time

	calls      []string
	cleanups   int
	cleanupErr error // ctx.Err() seen by the last Cleanup

	// Faults.
	hook      func(ctx context.Context, call string) error // runs first in every method; an error is returned as is
	lie       bool                                         // imageID names the other variant
	noRemove  bool                                         // RemoveNodeImage silently does nothing
	timeOutOn int                                          // Observe times out for this case ID

	// KEP-2535 and registry credentials. gateOn is what the fake kubelet
	// does (it re-checks the credentials of cached images it pulled with a
	// pod's secret, under the default policy NeverVerifyPreloadedImages);
	// kic is what the node reports, which a test may make disagree.
	gateOn    bool
	kic       *KubeletImageCredentials
	anonymous bool // the registry serves pulls without credentials
	noSecret  bool // no credentials were found: the lab namespace has no pull secret
	nocreds   int  // PrepareNoCredentials calls
	noSite    bool // Prepare returns no workload and no node cache
	// deployedNS is "nocreds" when the Deployment is in the second namespace.
	deployedNS string
}

// Namespaces of the fake's pods.
const (
	fakeLabNS     = "lab"
	fakeNoCredsNS = "nocreds"
)

type fakeImage struct {
	variant Variant
	digest  string // manifest digest
	config  string // config digest
}

type fakeNodeImage struct {
	digest      string
	config      string
	variant     Variant // "" for an image pulllab did not build
	tags        []string
	repoDigests []string
	// records are the kubelet's KEP-2535 pull records of the image:
	// "secret" (pulled with the lab's pull secret) or "all" (pulled
	// without credentials); nil for a preloaded image.
	records []string
}

func newFakeLab() *fakeLab {
	return &fakeLab{
		repo:     "registry.test:5000/pulllab/" + AppName,
		variants: map[Variant]fakeImage{},
		built:    map[Variant]bool{},
		tags:     map[string]string{},
		clock:    time.Date(2026, 11, 26, 14, 0, 0, 0, time.UTC),
		kic:      &KubeletImageCredentials{Gate: GateOff, Source: SourceConfigz},
	}
}

// withGate makes the fake kubelet verify (or not) and report it so.
func (f *fakeLab) withGate(on bool) *fakeLab {
	f.gateOn = on
	f.kic = &KubeletImageCredentials{Gate: GateOff, Source: SourceConfigz}
	if on {
		f.kic = &KubeletImageCredentials{Gate: GateOn, Policy: PolicyNeverVerifyPreloadedImages, Source: SourceConfigz}
	}
	return f
}

func (f *fakeLab) AnonymousPull(ctx context.Context) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter(ctx, "AnonymousPull"); err != nil {
		return false, err
	}
	return f.anonymous, nil
}

func (f *fakeLab) HasPullSecret() bool { return !f.noSecret }

func (f *fakeLab) PrepareNoCredentials(ctx context.Context) (Workload, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter(ctx, "PrepareNoCredentials"); err != nil {
		return nil, err
	}
	f.nocreds++
	return fakeNoCreds{f}, nil
}

// fakeNoCreds is the Workload of the second namespace, without a pull secret.
type fakeNoCreds struct{ f *fakeLab }

func (w fakeNoCreds) Warm(context.Context, string) error {
	return errors.New("the lab never warms from the namespace without credentials")
}

func (w fakeNoCreds) Deploy(ctx context.Context, d Deployment) error {
	return w.f.deploy(ctx, fakeNoCredsNS, d)
}

func (w fakeNoCreds) Observe(ctx context.Context, d Deployment, timeout time.Duration) (Observation, error) {
	return w.f.observe(ctx, fakeNoCredsNS, d, timeout)
}

func (w fakeNoCreds) Undeploy(ctx context.Context, name string) error {
	return w.f.undeploy(ctx, fakeNoCredsNS, name)
}

// accessible says whether a pod in ns may use a cached image, as the
// kubelet decides it.
func (f *fakeLab) accessible(img *fakeNodeImage, ns string) bool {
	if !f.gateOn || img.records == nil || slices.Contains(img.records, "all") {
		return true
	}
	return ns == fakeLabNS && slices.Contains(img.records, "secret")
}

func fakeDigest(parts ...string) string {
	return fmt.Sprintf("sha256:%x", sha256.Sum256([]byte(strings.Join(parts, "\x00"))))
}

func (f *fakeLab) enter(ctx context.Context, call string) error {
	f.calls = append(f.calls, call)
	if err := ctx.Err(); err != nil {
		return err
	}
	if f.hook != nil {
		return f.hook(ctx, call)
	}
	return nil
}

func (f *fakeLab) callsWith(prefix string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		if strings.HasPrefix(c, prefix) {
			n++
		}
	}
	return n
}

func (f *fakeLab) Kind() string { return "fake" }

// Prepare hands out the fake itself as the lab's node side (its pods and
// its image cache), unless noSite asks for a backend that returns none.
func (f *fakeLab) Prepare(ctx context.Context) (Site, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter(ctx, "Prepare"); err != nil {
		return Site{}, err
	}
	if f.noSite {
		return Site{}, nil
	}
	return Site{Workload: f, NodeCache: f}, nil
}

func (f *fakeLab) Cleanup(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "Cleanup")
	f.cleanups++
	f.cleanupErr = ctx.Err()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	f.deployed = nil
	return nil
}

func (f *fakeLab) EnsureBase(ctx context.Context) (BaseImage, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter(ctx, "EnsureBase"); err != nil {
		return BaseImage{}, err
	}
	return BaseImage{Ref: "registry.test/jboss-eap-7/eap74-openjdk11-openshift-rhel8:7.4", Digest: fakeDigest("base"), Profile: ProfileWildFly.Name}, nil
}

func (f *fakeLab) Build(ctx context.Context, v Variant, war []byte) (Build, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter(ctx, "Build "+string(v)); err != nil {
		return Build{}, err
	}
	img := fakeImage{variant: v, digest: fakeDigest("manifest", string(war)), config: fakeDigest("config", string(war))}
	built := !f.built[v]
	f.built[v] = true
	f.variants[v] = img
	return Build{Variant: v, Digest: img.digest, ImageID: img.config, WARSHA256: fmt.Sprintf("%x", sha256.Sum256(war)), Built: built}, nil
}

func (f *fakeLab) AppRef(tag string) string          { return f.repo + ":" + tag }
func (f *fakeLab) AppDigestRef(digest string) string { return f.repo + "@" + digest }

func (f *fakeLab) PointApp(ctx context.Context, tag string, v Variant) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter(ctx, fmt.Sprintf("PointApp %s %s", tag, v)); err != nil {
		return err
	}
	img, ok := f.variants[v]
	if !ok {
		return fmt.Errorf("the %s variant is not built", v)
	}
	f.tags[tag] = img.digest
	return nil
}

func (f *fakeLab) RemoveApp(ctx context.Context, tag string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter(ctx, "RemoveApp "+tag); err != nil {
		return err
	}
	delete(f.tags, tag)
	return nil
}

func (f *fakeLab) AppDigest(ctx context.Context, tag string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter(ctx, "AppDigest "+tag); err != nil {
		return "", err
	}
	return f.tags[tag], nil
}

func (f *fakeLab) runtimeID(config string) string {
	if f.crio {
		return strings.TrimPrefix(config, "sha256:")
	}
	return config
}

func (f *fakeLab) NodeImages(ctx context.Context) ([]NodeImage, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter(ctx, "NodeImages"); err != nil {
		return nil, err
	}
	var out []NodeImage
	for _, img := range f.node {
		out = append(out, NodeImage{ID: f.runtimeID(img.config), RepoTags: slices.Clone(img.tags), RepoDigests: slices.Clone(img.repoDigests), Size: 1 << 20})
	}
	return out, nil
}

func (f *fakeLab) RemoveNodeImage(ctx context.Context, ref string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter(ctx, "RemoveNodeImage "+ref); err != nil {
		return err
	}
	if f.noRemove {
		return nil
	}
	for i, img := range f.node {
		if !slices.Contains(img.tags, ref) {
			continue
		}
		for _, t := range append(slices.Clone(img.tags), img.repoDigests...) {
			if !strings.HasPrefix(t, f.repo) {
				return fmt.Errorf("refusing to remove %s: it also carries %s, which is not the lab's", ref, t)
			}
		}
		if f.deployed != nil {
			return fmt.Errorf("the image is in use by a container")
		}
		f.node = slices.Delete(f.node, i, i+1)
		return nil
	}
	return nil
}

// lookup finds the cached image for an exact reference, as CRI ImageStatus
// does.
func (f *fakeLab) lookup(ref string) *fakeNodeImage {
	for _, img := range f.node {
		if strings.Contains(ref, "@") {
			if slices.Contains(img.repoDigests, ref) {
				return img
			}
		} else if slices.Contains(img.tags, ref) {
			return img
		}
	}
	return nil
}

// pull resolves ref in the registry and stores the image in the node's
// cache under ref, moving a tag off the image that held it.
func (f *fakeLab) pull(ref string, withSecret bool) (*fakeNodeImage, error) {
	if !withSecret && !f.anonymous {
		return nil, fmt.Errorf("rpc error: code = Unknown desc = failed to pull and unpack image %q: failed to resolve reference %q: pulling from host registry.test:5000 failed with status code [manifests v1]: 401 Unauthorized", ref, ref)
	}
	var digest string
	if i := strings.LastIndex(ref, "@"); i >= 0 {
		d := ref[i+1:]
		// Like the OpenShift registry: a digest is only served while a tag
		// of the repository points at it.
		for _, td := range f.tags {
			if td == d {
				digest = d
			}
		}
	} else {
		digest = f.tags[ref[strings.LastIndex(ref, ":")+1:]]
	}
	if digest == "" {
		return nil, fmt.Errorf("rpc error: code = NotFound desc = failed to pull and unpack image %q: failed to resolve reference %q: not found", ref, ref)
	}
	var src fakeImage
	for _, img := range f.variants {
		if img.digest == digest {
			src = img
		}
	}
	var target *fakeNodeImage
	for _, img := range f.node {
		if img.digest == digest {
			target = img
		}
	}
	if target == nil {
		target = &fakeNodeImage{digest: digest, config: src.config, variant: src.variant}
		f.node = append(f.node, target)
	}
	if !strings.Contains(ref, "@") {
		for _, img := range f.node {
			img.tags = slices.DeleteFunc(img.tags, func(t string) bool { return t == ref })
		}
		target.tags = append(target.tags, ref)
	}
	if rd := f.repo + "@" + digest; !slices.Contains(target.repoDigests, rd) {
		target.repoDigests = append(target.repoDigests, rd)
	}
	rec := "all"
	if withSecret {
		rec = "secret"
	}
	if !slices.Contains(target.records, rec) {
		target.records = append(target.records, rec)
	}
	return target, nil
}

func (f *fakeLab) Warm(ctx context.Context, ref string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter(ctx, "Warm "+ref); err != nil {
		return err
	}
	if _, err := f.pull(ref, !f.noSecret); err != nil {
		return fmt.Errorf("warm-up pod: %w", err)
	}
	return nil
}

func (f *fakeLab) Deploy(ctx context.Context, d Deployment) error {
	return f.deploy(ctx, fakeLabNS, d)
}

func (f *fakeLab) deploy(ctx context.Context, ns string, d Deployment) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	call := fmt.Sprintf("Deploy %d %s", d.CaseID, d.Image)
	if ns != fakeLabNS {
		call += " in " + ns
	}
	if err := f.enter(ctx, call); err != nil {
		return err
	}
	f.deployed, f.deployedNS = &d, ns
	return nil
}

func defaultPolicy(ref string) Policy {
	if strings.Contains(ref, "@") {
		return PolicyIfNotPresent
	}
	name := ref[strings.LastIndex(ref, "/")+1:]
	i := strings.LastIndex(name, ":")
	if i < 0 || name[i+1:] == LatestTag {
		return PolicyAlways
	}
	return PolicyIfNotPresent
}

func (f *fakeLab) Observe(ctx context.Context, d Deployment, timeout time.Duration) (Observation, error) {
	return f.observe(ctx, fakeLabNS, d, timeout)
}

func (f *fakeLab) observe(ctx context.Context, ns string, d Deployment, timeout time.Duration) (Observation, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter(ctx, fmt.Sprintf("Observe %d", d.CaseID)); err != nil {
		return Observation{}, err
	}
	if f.deployed == nil || f.deployed.Image != d.Image || f.deployedNS != ns {
		return Observation{}, errors.New("no such Deployment")
	}
	withSecret := ns == fakeLabNS && !f.noSecret
	f.clock = f.clock.Add(10 * time.Second)
	o := Observation{Pod: fmt.Sprintf("%s-%d-abcde", AppName, d.CaseID), Created: f.clock, Image: d.Image}
	ev := func(typ, reason, msg string) {
		o.Events = append(o.Events, Event{Type: typ, Reason: reason, Message: msg, Count: 1, First: f.clock, Last: f.clock})
	}
	ev("Normal", "Scheduled", "Successfully assigned pulllab/"+o.Pod+" to crc")
	if f.timeOutOn == d.CaseID {
		o.TimedOut, o.Status = true, "ContainerCreating"
		o.Seen = f.clock.Add(timeout)
		return o, nil
	}

	policy := d.Policy
	if policy == PolicyDefault {
		policy = defaultPolicy(d.Image)
	}
	cached := f.lookup(d.Image)
	if cached != nil && !f.accessible(cached, ns) {
		// KEP-2535: this pod may not use the cached image.
		if policy == PolicyNever {
			cached = nil
		} else {
			policy = PolicyAlways
		}
	}
	var img *fakeNodeImage
	switch {
	case policy == PolicyAlways || (policy == PolicyIfNotPresent && cached == nil):
		ev("Normal", "Pulling", fmt.Sprintf("Pulling image %q", d.Image))
		pulled, err := f.pull(d.Image, withSecret)
		if err != nil {
			ev("Warning", "Failed", fmt.Sprintf("Failed to pull image %q: %v", d.Image, err))
			ev("Warning", "Failed", "Error: ErrImagePull")
			ev("Normal", "BackOff", fmt.Sprintf("Back-off pulling image %q", d.Image))
			ev("Warning", "Failed", "Error: ImagePullBackOff")
			// The kubelet alternates between the two reasons.
			f.failCount++
			o.Reason = ReasonImagePullBackOff
			if f.failCount%2 == 1 {
				o.Reason = ReasonErrImagePull
			}
			o.Status, o.Message = o.Reason, err.Error()
			o.PodLine = fmt.Sprintf("%s   0/1   %s   0     20s", o.Pod, o.Status)
			o.Kubelet = f.clock.Add(2 * time.Second)
			o.Seen = o.Kubelet.Add(300 * time.Millisecond)
			return o, nil
		}
		ev("Normal", "Pulled", fmt.Sprintf("Successfully pulled image %q in 1.2s (1.3s including waiting). Image size: 1048576 bytes.", d.Image))
		img = pulled
	case cached != nil:
		msg := fmt.Sprintf("Container image %q already present on machine", d.Image)
		if f.gateOn {
			msg += " and can be accessed by the pod" // the wording with KEP-2535 on
		}
		ev("Normal", "Pulled", msg)
		img = cached
	default: // Never, not cached
		msg := fmt.Sprintf("Container image %q is not present with pull policy of Never", d.Image)
		ev("Warning", "ErrImageNeverPull", msg)
		ev("Warning", "Failed", "Error: ErrImageNeverPull")
		o.Reason, o.Status, o.Message = ReasonErrImageNeverPull, ReasonErrImageNeverPull, msg
		o.PodLine = fmt.Sprintf("%s   0/1   %s   0     20s", o.Pod, o.Status)
		o.Kubelet = f.clock.Add(time.Second)
		o.Seen = o.Kubelet.Add(200 * time.Millisecond)
		return o, nil
	}
	ev("Normal", "Created", "Created container: "+AppName)
	ev("Normal", "Started", "Started container "+AppName)
	digest := img.digest
	if f.lie {
		for _, other := range f.variants {
			if other.digest != img.digest {
				digest = other.digest
			}
		}
	}
	o.Status, o.Ready = "Running", true
	o.ImageID = f.repo + "@" + digest
	o.PodLine = fmt.Sprintf("%s   1/1   Running   0     20s", o.Pod)
	war := "other.war"
	if img.variant != "" {
		war = img.variant.WAR()
	}
	o.LogLine = fmt.Sprintf(`12:00:01,234 INFO  [org.jboss.as.server.deployment] (MSC service thread 1-2) WFLYSRV0027: Starting deployment of "%s" (runtime-name: "%s")`, war, war)
	o.Kubelet = f.clock.Add(1500 * time.Millisecond)
	o.Seen = o.Kubelet.Add(400 * time.Millisecond)
	return o, nil
}

func (f *fakeLab) Undeploy(ctx context.Context, name string) error {
	return f.undeploy(ctx, fakeLabNS, name)
}

func (f *fakeLab) undeploy(ctx context.Context, ns, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	call := "Undeploy " + name
	if ns != fakeLabNS {
		call += " in " + ns
	}
	if err := f.enter(ctx, call); err != nil {
		return err
	}
	if f.deployedNS == ns {
		f.deployed = nil
	}
	return nil
}

func (f *fakeLab) Environment(ctx context.Context) (Environment, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter(ctx, "Environment"); err != nil {
		return Environment{}, err
	}
	return Environment{Target: "fake", KubernetesVersion: "v1.34.4", ContainerRuntime: "containerd://1.6.20", Node: "crc", Namespace: "pulllab", AppRepository: f.repo,
		KubeletImageCredentials: f.kic, EnsureSecretPulledImages: f.kic.Summary()}, nil
}

// seed puts a variant on the node under tag and points the registry tag, to
// start runs from a lab that is not empty. It needs the variants built.
func (f *fakeLab) seedNode(tag string, v Variant) {
	f.mu.Lock()
	defer f.mu.Unlock()
	saved := f.tags[tag]
	f.tags[tag] = f.variants[v].digest
	img, err := f.pull(f.repo+":"+tag, true)
	if err != nil {
		panic(err)
	}
	img.records = nil // preloaded, as crictl pull or an earlier run leaves it
	f.tags[tag] = saved
	if saved == "" {
		delete(f.tags, tag)
	}
}

func (f *fakeLab) seedForeign(tag string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ref := f.repo + ":" + tag
	for _, img := range f.node {
		img.tags = slices.DeleteFunc(img.tags, func(t string) bool { return t == ref })
	}
	f.node = append(f.node, &fakeNodeImage{digest: fakeDigest("foreign"), config: fakeDigest("foreign-config"), tags: []string{ref, "quay.example/someone/else:1"}})
}

var (
	_ Backend       = (*fakeLab)(nil)
	_ CredentialLab = (*fakeLab)(nil)
	_ Workload      = (*fakeLab)(nil)
	_ NodeCache     = (*fakeLab)(nil)
)

// testWARs are two distinct archives.
var testWARs = map[Variant][]byte{
	VariantNode:     []byte("PK node.war contents"),
	VariantRegistry: []byte("PK registry.war contents"),
}
