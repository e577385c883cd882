// Package admissiontest gives a fake clientset the pod admission of a real
// cluster, for tests: Pod Security admission (the "restricted" and
// "baseline" levels, enforced from the namespace's
// pod-security.kubernetes.io/enforce label) and, optionally, OpenShift's
// SecurityContextConstraints admission (which SCC a pod gets, and how that
// SCC fills in the pod's securityContext).
//
// The models follow the upstream behaviour closely enough that a pod they
// admit is admitted by a real API server for the fields pulllab sets, and
// that a refusal carries the real message shape:
//
//	pods "NAME" is forbidden: violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false (container "c" must set securityContext.allowPrivilegeEscalation=false), …
//
// (kubernetes staging/src/k8s.io/pod-security-admission: admission.go
// formats `violates PodSecurity %q: %s` with the aggregated
// ForbiddenDetail of policy/checks.go, "reason (detail), reason (detail)").
// They are models, not the upstream code: only the checks and SCCs that
// can matter for pulllab's pods are modelled.
package admissiontest

import (
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	k8stesting "k8s.io/client-go/testing"

	"github.com/pulllab/pulllab/manifests"
)

// Fake is the part of a fake clientset (k8s.io/client-go/kubernetes/fake)
// the admission reactors need.
type Fake interface {
	PrependReactor(verb, resource string, reaction k8stesting.ReactionFunc)
	Tracker() k8stesting.ObjectTracker
}

// Options says which admission to model.
type Options struct {
	// OpenShift adds SCC admission in front of Pod Security admission, as
	// on OpenShift (SCC admission mutates, Pod Security validates after).
	OpenShift bool
	// Requester lists the SCCs the user creating pods may use; nil means
	// all of them (a cluster-admin). The pod's service account may always
	// use restricted-v2 (OpenShift grants it to system:authenticated), so
	// a ReplicaSet controller creating a Deployment's pods is Requester
	// []string{} (it may use none itself).
	Requester []string
	// UIDRangeStart is the first UID of the namespace's range
	// (openshift.io/sa.scc.uid-range); 1000650000 when zero.
	UIDRangeStart int64
}

// Install prepends the admission reactors for pod creation to f, so that
// they run before anything else prepended earlier (e.g. a generateName
// reactor) and in the real order: SCC admission, then Pod Security.
func Install(f Fake, o Options) {
	f.PrependReactor("create", "pods", func(action k8stesting.Action) (bool, runtime.Object, error) {
		pod, ok := action.(k8stesting.CreateAction).GetObject().(*corev1.Pod)
		if !ok {
			return false, nil, nil
		}
		if err := podSecurity(f.Tracker(), action.GetNamespace(), pod); err != nil {
			return true, nil, err
		}
		return false, nil, nil
	})
	if !o.OpenShift {
		return
	}
	f.PrependReactor("create", "pods", func(action k8stesting.Action) (bool, runtime.Object, error) {
		pod, ok := action.(k8stesting.CreateAction).GetObject().(*corev1.Pod)
		if !ok {
			return false, nil, nil
		}
		if err := SCCAdmit(pod, o); err != nil {
			return true, nil, err
		}
		return false, nil, nil
	})
}

// podName is the pod's name, or its generateName when the name is not
// generated yet.
func podName(p *corev1.Pod) string {
	if p.Name != "" {
		return p.Name
	}
	return p.GenerateName
}

// Pod Security levels.
const (
	levelPrivileged = "privileged"
	levelBaseline   = "baseline"
	levelRestricted = "restricted"
)

// podSecurity enforces the namespace's pod-security.kubernetes.io/enforce
// level (privileged when the namespace or label is absent).
func podSecurity(tr k8stesting.ObjectTracker, ns string, pod *corev1.Pod) error {
	level, version := levelPrivileged, "latest"
	obj, err := tr.Get(corev1.SchemeGroupVersion.WithResource("namespaces"), "", ns)
	if err == nil {
		if n, ok := obj.(*corev1.Namespace); ok {
			if l := n.Labels[manifests.LabelPodSecurity+"enforce"]; l != "" {
				level = l
			}
			if v := n.Labels[manifests.LabelPodSecurity+"enforce-version"]; v != "" {
				version = v
			}
		}
	}
	detail := Violations(level, &pod.Spec)
	if detail == "" {
		return nil
	}
	return apierrors.NewForbidden(schema.GroupResource{Resource: "pods"}, podName(pod),
		fmt.Errorf("violates PodSecurity %q: %s", level+":"+version, detail))
}

// Violations returns what spec violates at the Pod Security level
// (privileged, baseline or restricted), as the admission's
// ForbiddenDetail: "reason (detail), reason (detail)"; "" when it meets
// the level.
func Violations(level string, spec *corev1.PodSpec) string {
	if level != levelBaseline && level != levelRestricted {
		return ""
	}
	var out []string
	add := func(reason, detail string) { out = append(out, reason+" ("+detail+")") }
	ctrs := allContainers(spec)
	psc := spec.SecurityContext
	if psc == nil {
		psc = &corev1.PodSecurityContext{}
	}

	// baseline
	var hostNS []string
	if spec.HostNetwork {
		hostNS = append(hostNS, "hostNetwork=true")
	}
	if spec.HostPID {
		hostNS = append(hostNS, "hostPID=true")
	}
	if spec.HostIPC {
		hostNS = append(hostNS, "hostIPC=true")
	}
	if len(hostNS) > 0 {
		out = append(out, "host namespaces ("+strings.Join(hostNS, ", ")+")")
	}
	if bad := containersWhere(ctrs, func(c *corev1.Container) bool {
		return c.SecurityContext != nil && c.SecurityContext.Privileged != nil && *c.SecurityContext.Privileged
	}); len(bad) > 0 {
		add("privileged", fmt.Sprintf("%s must not set securityContext.privileged=true", containerWord(bad)))
	}
	var hostPaths []string
	for _, v := range spec.Volumes {
		if v.HostPath != nil {
			hostPaths = append(hostPaths, fmt.Sprintf("%q", v.Name))
		}
	}
	if len(hostPaths) > 0 {
		add("hostPath volumes", pluralize("volume", "volumes", len(hostPaths))+" "+strings.Join(hostPaths, ", "))
	}
	if level == levelBaseline {
		return strings.Join(out, ", ")
	}

	// restricted
	if bad := containersWhere(ctrs, func(c *corev1.Container) bool {
		sc := c.SecurityContext
		return sc == nil || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation
	}); len(bad) > 0 {
		add("allowPrivilegeEscalation != false", fmt.Sprintf("%s must set securityContext.allowPrivilegeEscalation=false", containerWord(bad)))
	}
	if bad := containersWhere(ctrs, func(c *corev1.Container) bool {
		sc := c.SecurityContext
		if sc == nil || sc.Capabilities == nil {
			return true
		}
		for _, d := range sc.Capabilities.Drop {
			if d == "ALL" {
				return false
			}
		}
		return true
	}); len(bad) > 0 {
		add("unrestricted capabilities", fmt.Sprintf(`%s must set securityContext.capabilities.drop=["ALL"]`, containerWord(bad)))
	}
	podNonRoot := psc.RunAsNonRoot != nil && *psc.RunAsNonRoot
	if explicitFalse := containersWhere(ctrs, func(c *corev1.Container) bool {
		return c.SecurityContext != nil && c.SecurityContext.RunAsNonRoot != nil && !*c.SecurityContext.RunAsNonRoot
	}); len(explicitFalse) > 0 || (psc.RunAsNonRoot != nil && !*psc.RunAsNonRoot) {
		var setters []string
		if psc.RunAsNonRoot != nil && !*psc.RunAsNonRoot {
			setters = append(setters, "pod")
		}
		if len(explicitFalse) > 0 {
			setters = append(setters, containerWord(explicitFalse))
		}
		add("runAsNonRoot != true", strings.Join(setters, " and ")+" must not set securityContext.runAsNonRoot=false")
	} else if bad := containersWhere(ctrs, func(c *corev1.Container) bool {
		return !podNonRoot && (c.SecurityContext == nil || c.SecurityContext.RunAsNonRoot == nil)
	}); len(bad) > 0 {
		add("runAsNonRoot != true", fmt.Sprintf("pod or %s must set securityContext.runAsNonRoot=true", containerWord(bad)))
	}
	if psc.RunAsUser != nil && *psc.RunAsUser == 0 {
		add("runAsUser=0", "pod must not set runAsUser=0")
	}
	if bad := containersWhere(ctrs, func(c *corev1.Container) bool {
		return c.SecurityContext != nil && c.SecurityContext.RunAsUser != nil && *c.SecurityContext.RunAsUser == 0
	}); len(bad) > 0 {
		add("runAsUser=0", fmt.Sprintf("%s must not set runAsUser=0", containerWord(bad)))
	}
	podSeccomp := validSeccomp(psc.SeccompProfile)
	if bad := containersWhere(ctrs, func(c *corev1.Container) bool {
		if c.SecurityContext != nil && c.SecurityContext.SeccompProfile != nil {
			return !validSeccomp(c.SecurityContext.SeccompProfile)
		}
		return !podSeccomp
	}); len(bad) > 0 {
		add("seccompProfile", fmt.Sprintf(`pod or %s must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"`, containerWord(bad)))
	}
	return strings.Join(out, ", ")
}

func validSeccomp(p *corev1.SeccompProfile) bool {
	return p != nil && (p.Type == corev1.SeccompProfileTypeRuntimeDefault || p.Type == corev1.SeccompProfileTypeLocalhost)
}

func allContainers(spec *corev1.PodSpec) []*corev1.Container {
	var out []*corev1.Container
	for i := range spec.InitContainers {
		out = append(out, &spec.InitContainers[i])
	}
	for i := range spec.Containers {
		out = append(out, &spec.Containers[i])
	}
	return out
}

func containersWhere(ctrs []*corev1.Container, bad func(*corev1.Container) bool) []string {
	var names []string
	for _, c := range ctrs {
		if bad(c) {
			names = append(names, c.Name)
		}
	}
	return names
}

// containerWord is `container "a"` or `containers "a", "b"`.
func containerWord(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return pluralize("container", "containers", len(names)) + " " + strings.Join(q, ", ")
}

func pluralize(one, many string, n int) string {
	if n == 1 {
		return one
	}
	return many
}

// scc is the part of a SecurityContextConstraints the model needs.
type scc struct {
	name     string
	priority int
	// rank orders SCCs of equal priority: the more restrictive (lower rank)
	// first, as OpenShift's admission sorts them.
	rank int
	// privileged, hostAccess: privileged containers, host namespaces and
	// hostPath volumes allowed.
	privileged, hostAccess bool
	// uid: "RunAsAny", "MustRunAsRange" or "MustRunAsNonRoot".
	uid string
	// seccomp: the allowed profiles ("*" any; none: a pod may not set one).
	seccomp []string
	// dropAll: requires (and defaults) capabilities drop ALL and
	// allowPrivilegeEscalation false.
	dropAll bool
}

// The default SCCs that can matter for pulllab's pods (OpenShift 4.11+).
var sccs = []scc{
	{name: manifests.SCCPrivileged, rank: 9, privileged: true, hostAccess: true, uid: "RunAsAny", seccomp: []string{"*"}},
	{name: "anyuid", priority: 10, rank: 5, uid: "RunAsAny"},
	{name: "nonroot-v2", rank: 2, uid: "MustRunAsNonRoot", seccomp: []string{"runtime/default"}, dropAll: true},
	{name: manifests.SCCRestrictedV2, rank: 1, uid: "MustRunAsRange", seccomp: []string{"runtime/default"}, dropAll: true},
}

// SCCAdmit does to pod what OpenShift's SCC admission does when the
// requester in o creates it: it considers the SCCs the requester or the
// pod's service account may use (only the one named by
// openshift.io/required-scc when the pod has it), by priority and then the
// more restrictive first; the first that validates the pod, after filling
// in its defaults, wins, is recorded in the openshift.io/scc annotation and
// its defaults are applied to the pod. None → a Forbidden error like the
// real one ("unable to validate against any security context constraint").
//
// restricted-v2 is not modelled as setting runAsNonRoot (it assigns a UID,
// which Pod Security's runAsNonRoot check does not count): a pod must set
// runAsNonRoot itself, which is the conservative reading.
func SCCAdmit(pod *corev1.Pod, o Options) error {
	usable := func(name string) bool {
		if name == manifests.SCCRestrictedV2 || o.Requester == nil {
			return true
		}
		for _, n := range o.Requester {
			if n == name {
				return true
			}
		}
		return false
	}
	cands := append([]scc(nil), sccs...)
	sort.SliceStable(cands, func(i, j int) bool {
		if cands[i].priority != cands[j].priority {
			return cands[i].priority > cands[j].priority
		}
		return cands[i].rank < cands[j].rank
	})
	required := pod.Annotations[manifests.AnnotationRequiredSCC]
	gr := schema.GroupResource{Resource: "pods"}
	if required != "" {
		found := false
		for _, s := range cands {
			found = found || s.name == required
		}
		if !found {
			return apierrors.NewForbidden(gr, podName(pod), fmt.Errorf("required scc/%s not found", required))
		}
	}
	var reasons []string
	for _, s := range cands {
		if required != "" && s.name != required {
			continue
		}
		if !usable(s.name) {
			reasons = append(reasons, fmt.Sprintf("provider %q: Forbidden: not usable by user or serviceaccount", s.name))
			continue
		}
		trial := pod.DeepCopy()
		if errs := s.admit(trial, o); len(errs) > 0 {
			reasons = append(reasons, fmt.Sprintf("provider %q: %s", s.name, strings.Join(errs, ", ")))
			continue
		}
		trial.Annotations = mergeAnnotations(trial.Annotations, map[string]string{manifests.AnnotationSCC: s.name})
		*pod = *trial
		return nil
	}
	return apierrors.NewForbidden(gr, podName(pod), fmt.Errorf("unable to validate against any security context constraint: [%s]", strings.Join(reasons, ", ")))
}

func mergeAnnotations(a, b map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

// admit fills in s's defaults on pod and returns what it violates.
func (s scc) admit(pod *corev1.Pod, o Options) []string {
	var errs []string
	spec := &pod.Spec
	if !s.hostAccess {
		if spec.HostNetwork || spec.HostPID || spec.HostIPC {
			errs = append(errs, "Forbidden: host namespaces are not allowed to be used")
		}
		for _, v := range spec.Volumes {
			if v.HostPath != nil {
				errs = append(errs, fmt.Sprintf("spec.volumes[%s]: Invalid value: \"hostPath\": hostPath volumes are not allowed to be used", v.Name))
			}
		}
	}
	if spec.SecurityContext == nil {
		spec.SecurityContext = &corev1.PodSecurityContext{}
	}
	psc := spec.SecurityContext
	start := o.UIDRangeStart
	if start == 0 {
		start = 1000650000
	}
	seccompOK := func(p *corev1.SeccompProfile, field string) {
		if p == nil {
			return
		}
		if len(s.seccomp) == 0 {
			errs = append(errs, field+": Forbidden: seccomp may not be set")
			return
		}
		if s.seccomp[0] == "*" {
			return
		}
		if p.Type != corev1.SeccompProfileTypeRuntimeDefault {
			errs = append(errs, fmt.Sprintf("%s: Forbidden: %s is not an allowed seccomp profile. Valid values are %s", field, p.Type, strings.Join(s.seccomp, ",")))
		}
	}
	seccompOK(psc.SeccompProfile, "pod.spec.securityContext.seccompProfile")
	if s.dropAll && psc.SeccompProfile == nil {
		psc.SeccompProfile = &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}
	}
	uidOK := func(uid *int64, field string) {
		if uid == nil {
			return
		}
		switch s.uid {
		case "MustRunAsRange":
			if *uid < start || *uid >= start+10000 {
				errs = append(errs, fmt.Sprintf("%s: Invalid value: %d: must be in the ranges: [%d, %d]", field, *uid, start, start+9999))
			}
		case "MustRunAsNonRoot":
			if *uid == 0 {
				errs = append(errs, field+": Invalid value: 0: running with the root UID is forbidden")
			}
		}
	}
	uidOK(psc.RunAsUser, "spec.securityContext.runAsUser")
	for _, c := range allContainers(spec) {
		if c.SecurityContext == nil {
			c.SecurityContext = &corev1.SecurityContext{}
		}
		sc := c.SecurityContext
		field := fmt.Sprintf("spec.containers[%s].securityContext", c.Name)
		if sc.Privileged != nil && *sc.Privileged && !s.privileged {
			errs = append(errs, field+".privileged: Invalid value: true: Privileged containers are not allowed")
		}
		seccompOK(sc.SeccompProfile, field+".seccompProfile")
		uidOK(sc.RunAsUser, field+".runAsUser")
		if s.uid == "MustRunAsRange" && sc.RunAsUser == nil && psc.RunAsUser == nil {
			uid := start
			sc.RunAsUser = &uid
		}
		if s.uid == "MustRunAsNonRoot" && sc.RunAsUser == nil && psc.RunAsUser == nil &&
			(sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot) && (psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot) {
			t := true
			sc.RunAsNonRoot = &t
		}
		if s.dropAll {
			if sc.AllowPrivilegeEscalation == nil {
				f := false
				sc.AllowPrivilegeEscalation = &f
			} else if *sc.AllowPrivilegeEscalation {
				errs = append(errs, field+".allowPrivilegeEscalation: Invalid value: true: Allowing privilege escalation for containers is not allowed")
			}
			if sc.Capabilities == nil {
				sc.Capabilities = &corev1.Capabilities{}
			}
			hasAll := false
			for _, d := range sc.Capabilities.Drop {
				hasAll = hasAll || d == "ALL"
			}
			if !hasAll {
				sc.Capabilities.Drop = append(sc.Capabilities.Drop, "ALL")
			}
			for _, a := range sc.Capabilities.Add {
				if a != "NET_BIND_SERVICE" {
					errs = append(errs, fmt.Sprintf("%s.capabilities.add: Invalid value: %q: capability may not be added", field, a))
				}
			}
		}
	}
	return errs
}
