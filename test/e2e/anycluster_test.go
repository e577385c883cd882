//go:build e2e

package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/pulllab/pulllab/lab"
)

// splitNamespace is the lab namespace of the announced-registry run: a
// namespace of its own, so that TestE2E's clean run still finds no stash.
const splitNamespace = "pulllab-e2e-split"

// TestAnyClusterAnnouncedRegistry runs verify with no --registry: the
// registry is announced only by the KEP-1755 ConfigMap
// kube-public/local-registry-hosting, which the test writes the way kind's
// registry script does, with a push address (host: the lab registry on
// 127.0.0.1) and a different pull address (hostFromContainerRuntime: the
// same registry on 127.0.0.2, which only the node's runtime uses). Every
// case must pass; the pods, the node's cache and the pull secret must name
// the pull address, and the registry must have seen every write under the
// push address and none under the pull address.
func TestAnyClusterAnnouncedRegistry(t *testing.T) {
	cfg := loadConfig(t)
	push, pull := cfg.labRegistryHost(), cfg.labRegistryPull()
	if pull == "" {
		t.Fatal("PULLLAB_E2E_LAB_REGISTRY_PULL / PULLLAB_E2E_REGISTRY_PULL are not set: this harness serves no second registry address (hack/e2e/cluster.sh up and env do)")
	}
	h := &harness{cfg: cfg, work: t.TempDir()}
	h.authFlag = true
	h.buildPulllab(t)
	rc, err := clientcmd.BuildConfigFromFlags("", cfg.kubeconfig)
	if err != nil {
		t.Fatalf("reading %s: %v", cfg.kubeconfig, err)
	}
	rc.UserAgent = "pulllab-e2e"
	if h.cs, err = kubernetes.NewForConfig(rc); err != nil {
		t.Fatal(err)
	}
	if h.crictl, err = exec.LookPath("crictl"); err != nil {
		t.Fatalf("crictl is not on PATH: hack/e2e/cluster.sh up links it to /usr/local/bin: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cms := h.cs.CoreV1().ConfigMaps("kube-public")
	cm := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "local-registry-hosting", Namespace: "kube-public"},
		Data:       map[string]string{"localRegistryHosting.v1": fmt.Sprintf("host: %q\nhostFromContainerRuntime: %q\nhelp: \"docs/user-guide.md\"\n", push, pull)},
	}
	if _, err := cms.Create(ctx, cm, metav1.CreateOptions{}); apierrors.IsAlreadyExists(err) {
		t.Fatalf("kube-public/local-registry-hosting already exists on the e2e cluster; this test writes its own")
	} else if err != nil {
		t.Fatalf("creating kube-public/local-registry-hosting: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := cms.Delete(ctx, cm.Name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			t.Errorf("deleting kube-public/local-registry-hosting: %v", err)
		}
	})
	// Cleanups run last-in first-out: the namespaces (and their pods) go
	// first, then the node's images of this run, which no container uses
	// any more.
	pullRepoPrefix := pull + "/" + splitNamespace + "/"
	t.Cleanup(func() { h.removeNodeImages(t, pullRepoPrefix) })
	t.Cleanup(func() { h.deleteNamespaces(t, splitNamespace, splitNamespace+"-debug", splitNamespace+"-nocreds") })

	pushLog, pullLog := h.registryLog(t, false), h.registryLog(t, true)
	pushFrom, pullFrom := logSize(t, pushLog), logSize(t, pullLog)

	out := filepath.Join(h.work, "announced")
	// withoutRegistry is full without --registry (the ConfigMap says it),
	// in the test's own namespace, with "up" for "verify" and no --out
	// when up is set.
	withoutRegistry := func(full []string, up bool) []string {
		var args []string
		for i := 0; i < len(full); i++ {
			switch full[i] {
			case "--registry":
				i++ // and its value
				continue
			case "--namespace":
				args = append(args, full[i], splitNamespace)
				i++
				continue
			case "--out":
				if up {
					i++
					continue
				}
			case "verify":
				if up {
					args = append(args, "up")
					continue
				}
			}
			args = append(args, full[i])
		}
		if contains(args, "--registry") || contains(args, "--registry-pull") {
			t.Fatalf("args still name a registry: %v", args)
		}
		return args
	}
	announced := fmt.Sprintf("registry: pushing to %s, the node pulls it as %s, as the cluster announces it", push, pull)
	// The README's two commands, `pulllab up && pulllab verify`, with no
	// registry flag: up prepares the lab on the announced registry...
	u := h.run(t, "up (push and pull addresses from the ConfigMap)", withoutRegistry(h.verifyArgs(""), true), nil)
	if u.Code != 0 {
		t.Fatalf("pulllab up: exit %d\nstderr:\n%s", u.Code, tail(u.Stderr, 30))
	}
	for _, want := range []string{"skipping the crc step", announced} {
		if !strings.Contains(u.Stderr, want) {
			t.Errorf("up's stderr lacks %q:\n%s", want, tail(u.Stderr, 30))
		}
	}
	// ... and verify runs every case on it.
	r := h.run(t, "verify (push and pull addresses from the ConfigMap)", withoutRegistry(h.verifyArgs(out, "--extended"), false), nil)
	if !strings.Contains(r.Stderr, announced) {
		t.Errorf("stderr lacks %q:\n%s", announced, tail(r.Stderr, 30))
	}
	h.requireAllPass(t, r)
	h.requireReports(t, out)
	if r.Results == nil {
		t.FailNow()
	}

	pullRepo := pull + "/" + splitNamespace + "/" + lab.AppName
	pushRepo := push + "/" + splitNamespace + "/" + lab.AppName
	env := r.Results.Environment
	if env.AppRepository != pullRepo || env.AppPushRepository != pushRepo {
		t.Errorf("results.json environment: appRepository %q, appPushRepository %q; want %q (what the pods ran) and %q (where pulllab pushed)", env.AppRepository, env.AppPushRepository, pullRepo, pushRepo)
	}
	deployed, withID := 0, 0
	for _, c := range r.Results.Cases {
		if c.Image == "" {
			continue
		}
		deployed++
		if !strings.HasPrefix(c.Image, pullRepo+":") && !strings.HasPrefix(c.Image, pullRepo+"@") {
			t.Errorf("case %d deployed %q, want an image of %s", c.Case.ID, c.Image, pullRepo)
		}
		if o := c.Observation; o != nil && strings.Contains(o.ImageID, "@") {
			withID++
			if !strings.HasPrefix(o.ImageID, pullRepo+"@") {
				t.Errorf("case %d: the container's imageID %q does not name %s", c.Case.ID, o.ImageID, pullRepo)
			}
		}
	}
	t.Logf("%d cases deployed %s; %d containers' imageIDs named it", deployed, pullRepo, withID)
	if deployed == 0 {
		t.Error("no case deployed an image: the checks above prove nothing")
	}
	if md, err := os.ReadFile(filepath.Join(out, "report.md")); err == nil && !strings.Contains(string(md), "`"+pushRepo+"`") {
		t.Errorf("report.md does not name the repository pulllab pushed to, %s", pushRepo)
	}

	h.requireNodeNames(t, pullRepo, pushRepo)
	h.requirePullSecretHost(t, splitNamespace, pull)

	// The registry's own logs: every write of the run went to the push
	// address; the pull address served reads only, among them the node's
	// pulls of the app.
	ns := "/v2/" + splitNamespace + "/"
	pushM, pullM := requestMethods(t, pushLog, pushFrom, ns), requestMethods(t, pullLog, pullFrom, ns)
	t.Logf("requests under %s: push address %v, pull address %v", ns, pushM, pullM)
	for _, m := range []string{"PUT", "POST", "PATCH", "DELETE"} {
		if pullM[m] > 0 {
			t.Errorf("the pull address %s got %d %s requests for the lab: pulllab must write only under the push address", pull, pullM[m], m)
		}
	}
	if pushM["PUT"] == 0 || pushM["DELETE"] == 0 {
		t.Errorf("the push address %s saw no PUT or DELETE of the lab (%v): did pulllab push elsewhere?", push, pushM)
	}
	if pullM["GET"] == 0 {
		t.Errorf("the pull address %s served no GET of the lab (%v): did the node pull elsewhere?", pull, pullM)
	}
}

// labRegistryPull is the lab's registry under its second address.
func (c config) labRegistryPull() string {
	if c.auth {
		return os.Getenv("PULLLAB_E2E_LAB_REGISTRY_PULL")
	}
	return os.Getenv("PULLLAB_E2E_REGISTRY_PULL")
}

// registryLog is the log file of the lab registry's process at the push or
// the pull address (hack/e2e/cluster.sh: registry[-lab][-pull].log).
func (h *harness) registryLog(t *testing.T, pull bool) string {
	t.Helper()
	n := "registry"
	if h.cfg.auth {
		n += "-lab"
	}
	if pull {
		n += "-pull"
	}
	p := filepath.Join(h.cfg.dir, "logs", n+".log")
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("the registry's log: %v (hack/e2e/cluster.sh up writes it)", err)
	}
	return p
}

func logSize(t *testing.T, p string) int64 {
	t.Helper()
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}

// accessLine is a request line of the distribution registry's access log
// ("GET /v2/… HTTP/1.1") or of its request log (http.request.method=GET
// … http.request.uri="/v2/…").
var (
	accessLine = regexp.MustCompile(`"([A-Z]+) (/v2/[^ "]*) HTTP/`)
	methodKV   = regexp.MustCompile(`http\.request\.method=([A-Z]+)`)
	uriKV      = regexp.MustCompile(`http\.request\.uri="(/v2/[^"]*)"`)
)

// requestMethods counts the requests under the path prefix that the log
// records after offset from, by method; each request is counted once (the
// access log line when there is one).
func requestMethods(t *testing.T, p string, from int64, prefix string) map[string]int {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Seek(from, 0); err != nil {
		t.Fatal(err)
	}
	access, kv := map[string]int{}, map[string]int{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if m := accessLine.FindStringSubmatch(line); m != nil && strings.HasPrefix(m[2], prefix) {
			access[m[1]]++
			continue
		}
		if u := uriKV.FindStringSubmatch(line); u != nil && strings.HasPrefix(u[1], prefix) && strings.Contains(line, "response completed") {
			if m := methodKV.FindStringSubmatch(line); m != nil {
				kv[m[1]]++
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("reading %s: %v", p, err)
	}
	if len(access) > 0 {
		return access
	}
	return kv
}

// requireNodeNames checks the node's image cache: the lab's images carry
// the pull repository's name and never the push repository's.
func (h *harness) requireNodeNames(t *testing.T, pullRepo, pushRepo string) {
	t.Helper()
	b, err := exec.Command(h.crictl, "images", "-o", "json").Output()
	if err != nil {
		t.Fatalf("crictl images: %v", err)
	}
	var l struct {
		Images []struct {
			RepoTags    []string `json:"repoTags"`
			RepoDigests []string `json:"repoDigests"`
		} `json:"images"`
	}
	if err := json.Unmarshal(b, &l); err != nil {
		t.Fatalf("crictl images: %v", err)
	}
	var names []string
	for _, img := range l.Images {
		for _, n := range append(img.RepoTags, img.RepoDigests...) {
			if strings.HasPrefix(n, pushRepo) {
				t.Errorf("the node holds %s: the node must pull only under the pull address", n)
			}
			if strings.HasPrefix(n, pullRepo) {
				names = append(names, n)
			}
		}
	}
	sort.Strings(names)
	if len(names) == 0 {
		t.Errorf("the node holds no image of %s after the run", pullRepo)
	}
	t.Logf("the node's images of %s: %v", pullRepo, names)
}

// requirePullSecretHost checks that the lab's pull secret carries
// credentials under the pull host only (what the kubelet matches the image
// name against). Only the keys are read; no credential is printed.
func (h *harness) requirePullSecretHost(t *testing.T, ns, pullHost string) {
	t.Helper()
	if !h.cfg.auth {
		return // an anonymous registry: no pull secret
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := h.cs.CoreV1().Secrets(ns).Get(ctx, "pulllab-registry", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("reading the lab's pull secret in %s: %v", ns, err)
	}
	var cfg struct {
		Auths map[string]json.RawMessage `json:"auths"`
	}
	if err := json.Unmarshal(s.Data[corev1.DockerConfigJsonKey], &cfg); err != nil {
		t.Fatalf("the pull secret in %s is not a dockerconfigjson (%v)", ns, err)
	}
	var hosts []string
	for k := range cfg.Auths {
		hosts = append(hosts, k)
	}
	if len(hosts) != 1 || hosts[0] != pullHost {
		t.Errorf("the pull secret in %s has credentials for %v, want %s only", ns, hosts, pullHost)
	}
}

// removeNodeImages removes from the node's cache every image all of whose
// names start with prefix: the variants carry the same image IDs under the
// names TestE2E's lab uses later, and pulllab refuses to remove an image
// that is also known under names outside its own repositories.
func (h *harness) removeNodeImages(t *testing.T, prefix string) {
	t.Helper()
	b, err := exec.Command(h.crictl, "images", "-o", "json").Output()
	if err != nil {
		t.Errorf("crictl images: %v", err)
		return
	}
	var l struct {
		Images []struct {
			ID          string   `json:"id"`
			RepoTags    []string `json:"repoTags"`
			RepoDigests []string `json:"repoDigests"`
		} `json:"images"`
	}
	if err := json.Unmarshal(b, &l); err != nil {
		t.Errorf("crictl images: %v", err)
		return
	}
	for _, img := range l.Images {
		names := append(img.RepoTags, img.RepoDigests...)
		ours, others := 0, 0
		for _, n := range names {
			if strings.HasPrefix(n, prefix) {
				ours++
			} else {
				others++
			}
		}
		switch {
		case ours == 0:
			continue
		case others > 0:
			t.Errorf("the node's image %s is known as %v: names outside %s, so it is left in place", img.ID, names, prefix)
			continue
		}
		if out, err := exec.Command(h.crictl, "rmi", img.ID).CombinedOutput(); err != nil {
			t.Errorf("crictl rmi %s (%v): %v\n%s", img.ID, names, err, out)
			continue
		}
		t.Logf("removed the node's image %s (%v)", img.ID, names)
	}
}

// deleteNamespaces deletes the namespaces and waits (at most two minutes)
// until they are gone.
func (h *harness) deleteNamespaces(t *testing.T, names ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for _, n := range names {
		if err := h.cs.CoreV1().Namespaces().Delete(ctx, n, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			t.Errorf("deleting namespace %s: %v", n, err)
		}
	}
	for _, n := range names {
		for {
			_, err := h.cs.CoreV1().Namespaces().Get(ctx, n, metav1.GetOptions{})
			if apierrors.IsNotFound(err) {
				break
			}
			if ctx.Err() != nil {
				t.Errorf("namespace %s still exists after 2 minutes", n)
				return
			}
			time.Sleep(500 * time.Millisecond)
		}
	}
}
