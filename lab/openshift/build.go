package openshift

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	imagev1 "github.com/openshift/api/image/v1"
	"github.com/sirupsen/logrus"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/util/retry"

	"github.com/pulllab/pulllab/lab"
	"github.com/pulllab/pulllab/manifests"
	"github.com/pulllab/pulllab/wars"
)

// AnnotationBuildEnvSHA256 holds, on a Build whose BuildConfig set an S2I
// environment (lab.S2IBuildEnv), the SHA-256 of that environment: a stashed
// variant is reused only when it was built with the environment in force.
const AnnotationBuildEnvSHA256 = "pulllab.io/build-env-sha256"

// BuildConfigName returns the BuildConfig of a variant, e.g. "pulllab-node".
// Its builds are named pulllab-node-1, pulllab-node-2, …
func BuildConfigName(v lab.Variant) string { return "pulllab-" + string(v) }

// labelValue63 shortens a hex digest to what fits in a label value.
func labelValue63(sum string) string {
	if len(sum) > 63 {
		return sum[:63]
	}
	return sum
}

// BuildVariants is the `up` step "build": it packs node.war and
// registry.war and builds (or reuses) both variants, with a step line each.
// lab/target checks that their digests differ (lab.DistinctVariants).
func (b *Backend) BuildVariants(ctx context.Context) ([]lab.Build, error) {
	var out []lab.Build
	for _, v := range lab.Variants {
		bd, err := b.buildStep(ctx, v)
		if err != nil {
			return out, err
		}
		out = append(out, bd)
	}
	return out, nil
}

func (b *Backend) buildStep(ctx context.Context, v lab.Variant) (lab.Build, error) {
	b.status.Start("Building the %s variant (%s)", v, v.WAR())
	defer b.status.End(false)
	war, err := wars.WAR(string(v))
	if err != nil {
		return lab.Build{}, err
	}
	bd, err := b.Build(ctx, v, war)
	if err != nil {
		return bd, err
	}
	if bd.Built {
		b.status.Infof("built %s as %s", bd.Name, bd.Digest)
	} else {
		b.status.Infof("reused %s (%s): %s is unchanged", bd.Digest, bd.Name, v.WAR())
	}
	b.status.End(true)
	return bd, nil
}

// BuildConfigFor returns the BuildConfig of variant v (buildconfig.yaml):
// binary source, Source strategy on the base ImageStreamTag with the
// environment the base image needs (lab.S2IBuildEnv: the Galleon
// provisioning of the WildFly S2I builder, nothing for EAP 7.4), output to
// the stash tag pulllab-variants:<v>, the variant and the WAR's SHA-256 as
// image labels. It is the object sent to the server, as the manifest
// gives it with those fields set: fields pulllab does not set stay as
// buildconfig.yaml writes them.
func (b *Backend) BuildConfigFor(v lab.Variant, warSHA256 string) (*unstructured.Unstructured, error) {
	bc := &unstructured.Unstructured{}
	err := manifests.Decode(buildConfigFile, bc)
	if err != nil {
		return nil, err
	}
	srcType, _, _ := unstructured.NestedString(bc.Object, "spec", "source", "type")
	stratType, _, _ := unstructured.NestedString(bc.Object, "spec", "strategy", "type")
	_, hasOut, _ := unstructured.NestedMap(bc.Object, "spec", "output", "to")
	if bc.GetKind() != "BuildConfig" || bc.GetAPIVersion() != buildGV.String() || srcType != "Binary" || stratType != "Source" || !hasOut {
		return nil, fmt.Errorf("embedded manifest %q must be a build.openshift.io/v1 BuildConfig, a binary Source build with an output", buildConfigFile)
	}
	bc.SetName(BuildConfigName(v))
	bc.SetNamespace(b.o.Namespace)
	lbl := b.labels()
	lbl[LabelVariant] = string(v)
	bc.SetLabels(lbl)
	set := func(value any, path ...string) {
		if err == nil {
			err = unstructured.SetNestedField(bc.Object, value, path...)
		}
	}
	set(map[string]any{"kind": "ImageStreamTag", "namespace": b.o.Namespace, "name": b.base.IST()}, "spec", "strategy", "sourceStrategy", "from")
	if env := b.buildEnv(); len(env) > 0 {
		list := make([]any, len(env))
		for i, e := range env {
			list[i] = map[string]any{"name": e.Name, "value": e.Value}
		}
		set(list, "spec", "strategy", "sourceStrategy", "env")
	} else {
		unstructured.RemoveNestedField(bc.Object, "spec", "strategy", "sourceStrategy", "env")
	}
	set(map[string]any{"kind": "ImageStreamTag", "name": stashTag(v)}, "spec", "output", "to")
	set([]any{
		map[string]any{"name": ImageLabelVariant, "value": string(v)},
		map[string]any{"name": ImageLabelWARSHA256, "value": warSHA256},
	}, "spec", "output", "imageLabels")
	if err != nil {
		return nil, fmt.Errorf("embedded manifest %q: %w", buildConfigFile, err)
	}
	return bc, nil
}

// buildEnv is the Source strategy's environment for the base image in force
// (lab.S2IBuildEnv), nil when it needs none.
func (b *Backend) buildEnv() []corev1.EnvVar {
	var env []corev1.EnvVar
	for _, e := range lab.S2IBuildEnv(b.base.Ref) {
		env = append(env, corev1.EnvVar{Name: e.Name, Value: e.Value})
	}
	return env
}

// buildEnvSHA256 is the hex SHA-256 of the build environment (one NAME=VALUE
// line each, in order), "" when there is none, so that builds made before
// pulllab set an environment still match an image that needs none.
func buildEnvSHA256(env []corev1.EnvVar) string {
	if len(env) == 0 {
		return ""
	}
	h := sha256.New()
	for _, e := range env {
		fmt.Fprintf(h, "%s=%s\n", e.Name, e.Value)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Build builds variant v from the WAR bytes into the stash tag
// pulllab-variants:<v> and returns its digest. When the stash tag holds the
// image of a Complete build of the same WAR (same SHA-256) on the same base
// image (same digest) with the same build environment, that is returned with
// Built false and nothing is built.
//
// A build is started by posting the WAR to instantiatebinary; the server
// answers once the build runs. The build's log goes to the debug log, each
// phase to the status printer. When ctx is cancelled the build is cancelled
// too.
func (b *Backend) Build(ctx context.Context, v lab.Variant, war []byte) (lab.Build, error) {
	sum := wars.SHA256(war)
	out := lab.Build{Variant: v, WARSHA256: sum}
	log := b.log.WithFields(logrus.Fields{"variant": v, "warSHA256": sum})
	if len(war) == 0 {
		return out, fmt.Errorf("the %s variant has an empty WAR", v)
	}
	baseIST, err := b.c.Image.ImageStreamTags(b.o.Namespace).Get(ctx, b.base.IST(), metav1.GetOptions{})
	if err != nil {
		if apierrors.IsNotFound(err) {
			return out, fmt.Errorf("the base image is not imported (no ImageStreamTag %s in project %s): %w", b.base.IST(), b.o.Namespace, lab.ErrNotPrepared)
		}
		return out, fmt.Errorf("reading the base ImageStreamTag %s: %w", b.base.IST(), err)
	}
	baseDigest := baseIST.Image.Name
	if _, err := b.c.Image.ImageStreams(b.o.Namespace).Get(ctx, lab.StashName, metav1.GetOptions{}); apierrors.IsNotFound(err) {
		if _, err := b.createImageStream(ctx, lab.StashName); err != nil {
			return out, err
		}
	} else if err != nil {
		return out, fmt.Errorf("reading ImageStream %q: %w", lab.StashName, err)
	}

	envSum := buildEnvSHA256(b.buildEnv())
	reused, err := b.reusable(ctx, v, sum, baseDigest, envSum)
	if err != nil {
		return out, err
	}
	if reused != nil {
		log.WithField("build", reused.Name).Info("reusing the stashed variant")
		b.remember(*reused)
		return *reused, nil
	}

	bc, err := b.BuildConfigFor(v, sum)
	if err != nil {
		return out, err
	}
	if err := b.applyBuildConfig(ctx, bc); err != nil {
		return out, err
	}
	env := b.buildEnv()
	if len(env) > 0 {
		b.status.Infof("%s holds no server: the build provisions WildFly with Galleon (%s), fetching it from Maven repositories, which takes a few minutes",
			b.base.Ref, envSummary(env))
	}
	b.status.Infof("uploading %s (%d bytes) to BuildConfig %s", v.WAR(), len(war), bc.GetName())
	started, err := b.instantiateBinary(ctx, bc.GetName(), v.WAR(), war)
	if err != nil {
		if ctx.Err() != nil {
			b.cancelUnfinished(ctx, bc.GetName())
			return out, ctx.Err()
		}
		return out, fmt.Errorf("starting a build of %s: %w", bc.GetName(), err)
	}
	out.Name = started.Name
	log = log.WithField("build", started.Name)
	log.Info("build started")
	if err := b.labelBuild(ctx, started.Name, v, sum, baseDigest, envSum); err != nil {
		log.WithError(err).Warn("could not label the build; a later run will build again")
	}

	logCtx, stopLog := context.WithCancel(ctx)
	tail := newLineTail(20)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		b.followBuildLog(logCtx, started.Name, log, tail)
	}()
	done, err := b.waitForBuild(ctx, v, started.Name)
	if err != nil {
		stopLog()
		wg.Wait()
		if ctx.Err() != nil {
			b.cancelBuild(ctx, started.Name)
			return out, ctx.Err()
		}
		if bf := (*BuildFailedError)(nil); errors.As(err, &bf) {
			if bf.LogSnippet == "" {
				bf.LogSnippet = tail.String()
			}
			if len(env) > 0 {
				bf.Hint = fmt.Sprintf("the build provisioned WildFly with Galleon on %s (%s): it needs Maven repositories reachable from the build pod; if its log says \"Not a server home directory\", the image no longer provisions from these variables: give lab.baseImage an S2I image that holds a server",
					b.base.Ref, envSummary(env))
			}
		}
		return out, err
	}
	// The log ends with the build pod; let it drain, but not forever.
	logDone := make(chan struct{})
	go func() { wg.Wait(); close(logDone) }()
	select {
	case <-logDone:
	case <-time.After(5 * time.Second):
		stopLog()
		<-logDone
	}
	stopLog()

	out.Built = true
	if d := buildDigest(done); d != "" {
		out.Digest = d
	}
	ist, err := b.c.Image.ImageStreamTags(b.o.Namespace).Get(ctx, stashTag(v), metav1.GetOptions{})
	switch {
	case err == nil:
		if out.Digest == "" {
			out.Digest = ist.Image.Name
		}
		if ist.Image.Name == out.Digest {
			out.ImageID = imageConfigDigest(&ist.Image)
		} else {
			log.WithField("stashed", ist.Image.Name).Warn("the stash tag does not hold the image the build reported")
		}
	case out.Digest == "":
		return out, fmt.Errorf("build %s completed but neither it nor %s names an image: %w", started.Name, stashTag(v), err)
	default:
		log.WithError(err).Debug("could not read the stash tag; the image ID stays unknown")
	}
	log.WithField("digest", out.Digest).Info("build complete")
	b.remember(out)
	return out, nil
}

// envSummary lists an environment as NAME=VALUE, separated by "; ".
func envSummary(env []corev1.EnvVar) string {
	parts := make([]string, len(env))
	for i, e := range env {
		parts[i] = e.Name + "=" + e.Value
	}
	return strings.Join(parts, "; ")
}

// remember keeps a variant's build for PointApp.
func (b *Backend) remember(bd lab.Build) {
	b.mu.Lock()
	b.builds[bd.Variant] = bd
	b.mu.Unlock()
}

// buildDigest returns the digest a build pushed, or "".
func buildDigest(bd *Build) string {
	if bd.Status.Output.To != nil {
		return bd.Status.Output.To.ImageDigest
	}
	return ""
}

// reusable returns the stashed variant when its image came from a Complete
// build of the WAR with SHA-256 sum on the base image baseDigest with the
// build environment envSum (buildEnvSHA256), else nil.
func (b *Backend) reusable(ctx context.Context, v lab.Variant, sum, baseDigest, envSum string) (*lab.Build, error) {
	ist, err := b.c.Image.ImageStreamTags(b.o.Namespace).Get(ctx, stashTag(v), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading ImageStreamTag %s: %w", stashTag(v), err)
	}
	digest := ist.Image.Name
	if digest == "" {
		return nil, nil
	}
	sel := labels.SelectorFromSet(labels.Set{LabelVariant: string(v), LabelWARSHA256: labelValue63(sum)})
	list, err := b.buildClient().List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
	if err != nil {
		return nil, fmt.Errorf("listing the builds of the %s variant: %w", v, err)
	}
	items, err := buildsFrom(list)
	if err != nil {
		return nil, err
	}
	builtBy := imageLabels(&ist.Image)[imageLabelBuildName]
	for i := range items {
		bd := &items[i]
		if !sel.Matches(labels.Set(bd.Labels)) || bd.Annotations[AnnotationWARSHA256] != sum || bd.Status.Phase != BuildPhaseComplete {
			continue
		}
		if baseDigest != "" && bd.Annotations[AnnotationBaseDigest] != baseDigest {
			continue
		}
		if bd.Annotations[AnnotationBuildEnvSHA256] != envSum {
			continue
		}
		if buildDigest(bd) == digest || (builtBy != "" && builtBy == bd.Name) {
			return &lab.Build{
				Variant:   v,
				Digest:    digest,
				ImageID:   imageConfigDigest(&ist.Image),
				WARSHA256: sum,
				Name:      bd.Name,
			}, nil
		}
	}
	return nil, nil
}

// dockerImageMetadata is the part of an Image's dockerImageMetadata the
// backend reads.
type dockerImageMetadata struct {
	// ID is the config digest for schema 2 and OCI images.
	ID     string `json:"Id"`
	Config *struct {
		Labels map[string]string `json:"Labels"`
	} `json:"Config"`
}

func imageMetadata(img *imagev1.Image) dockerImageMetadata {
	var m dockerImageMetadata
	if len(img.DockerImageMetadata.Raw) > 0 {
		_ = json.Unmarshal(img.DockerImageMetadata.Raw, &m)
	}
	return m
}

// imageConfigDigest returns an image's config digest ("sha256:…"), the ID
// container runtimes show, or "".
func imageConfigDigest(img *imagev1.Image) string {
	if id := imageMetadata(img).ID; strings.HasPrefix(id, "sha256:") {
		return id
	}
	return ""
}

// imageLabels returns an image's config labels.
func imageLabels(img *imagev1.Image) map[string]string {
	if m := imageMetadata(img); m.Config != nil {
		return m.Config.Labels
	}
	return nil
}

// buildClient is the client of the lab namespace's Builds.
func (b *Backend) buildClient() dynamic.ResourceInterface {
	return b.c.Dynamic.Resource(buildsResource).Namespace(b.o.Namespace)
}

// applyBuildConfig creates the BuildConfig or, when pulllab made it before,
// gives it want's labels and spec (on the server's object, so fields the
// server added stay).
func (b *Backend) applyBuildConfig(ctx context.Context, want *unstructured.Unstructured) error {
	bcc := b.c.Dynamic.Resource(buildConfigsResource).Namespace(b.o.Namespace)
	_, err := bcc.Create(ctx, want, metav1.CreateOptions{})
	if err == nil || !apierrors.IsAlreadyExists(err) {
		if err != nil {
			return fmt.Errorf("creating BuildConfig %q: %w", want.GetName(), err)
		}
		return nil
	}
	err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
		got, err := bcc.Get(ctx, want.GetName(), metav1.GetOptions{})
		if err != nil {
			return err
		}
		if got.GetLabels()[lab.LabelManagedBy] != lab.ManagedBy {
			return fmt.Errorf("BuildConfig %q exists but pulllab did not create it", want.GetName())
		}
		got.SetLabels(want.GetLabels())
		got.Object["spec"] = want.Object["spec"]
		_, err = bcc.Update(ctx, got, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		return fmt.Errorf("updating BuildConfig %q: %w", want.GetName(), err)
	}
	return nil
}

// instantiateBinary starts a build of the BuildConfig with content as its
// binary input, stored as the file asFile (`oc start-build --from-file`):
// POST .../buildconfigs/<name>/instantiatebinary?asFile=<asFile>. The server
// answers once the build is running and has received the content. The
// query is what openshift/api's BinaryBuildRequestOptions encode to (name,
// namespace, asFile).
func (b *Backend) instantiateBinary(ctx context.Context, bcName, asFile string, content []byte) (*Build, error) {
	raw, err := body(b.c.BuildREST.Post().
		Namespace(b.o.Namespace).
		Resource("buildconfigs").
		Name(bcName).
		SubResource("instantiatebinary").
		Param("name", bcName).
		Param("namespace", b.o.Namespace).
		Param("asFile", asFile).
		Body(content).
		Do(ctx))
	if err != nil {
		return nil, err
	}
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(raw); err != nil {
		return nil, fmt.Errorf("reading the build the server started: %w", err)
	}
	out, err := buildFrom(u)
	if err != nil {
		return nil, err
	}
	if out.Name == "" {
		return nil, fmt.Errorf("the server did not name the build it started")
	}
	return out, nil
}

// labelBuild records the variant, the WAR's SHA-256 (the full hex in an
// annotation, the first 63 digits in a label), the base image's digest and,
// when there is one, the build environment's SHA-256 on a build.
func (b *Backend) labelBuild(ctx context.Context, name string, v lab.Variant, sum, baseDigest, envSum string) error {
	lbl := b.labels()
	lbl[LabelVariant] = string(v)
	lbl[LabelWARSHA256] = labelValue63(sum)
	ann := map[string]string{AnnotationWARSHA256: sum, AnnotationBaseDigest: baseDigest}
	if envSum != "" {
		ann[AnnotationBuildEnvSHA256] = envSum
	}
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{
		"labels":      lbl,
		"annotations": ann,
	}})
	if err != nil {
		return err
	}
	_, err = b.buildClient().Patch(ctx, name, types.MergePatchType, patch, metav1.PatchOptions{})
	return err
}

// followBuildLog copies the build's log (GET builds/<name>/log?follow=true)
// to the debug log line by line and keeps the last lines in tail. It returns
// when the log ends or ctx is cancelled; errors only go to the debug log.
func (b *Backend) followBuildLog(ctx context.Context, name string, log logrus.FieldLogger, tail *lineTail) {
	rc, err := b.c.BuildREST.Get().
		Namespace(b.o.Namespace).
		Resource("builds").
		Name(name).
		SubResource("log").
		Param("follow", "true").
		Stream(ctx)
	if err != nil {
		if ctx.Err() == nil {
			log.WithError(err).Debug("could not follow the build log")
		}
		return
	}
	defer rc.Close()
	sc := bufio.NewScanner(rc)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Text()
		tail.Add(line)
		log.Debug(line)
	}
	if err := sc.Err(); err != nil && ctx.Err() == nil && err != io.EOF {
		log.WithError(err).Debug("reading the build log")
	}
}

// BuildFailedError is a build that ended Failed, Error or Cancelled.
type BuildFailedError struct {
	Name, Namespace string
	Phase           BuildPhase
	Reason, Message string
	// LogSnippet is the end of the build's log.
	LogSnippet string
	// Hint, when set, says what the build needed that may have failed.
	Hint string
}

// Error names the build, how it ended and why, the end of its log, what the
// build needed when that may be why (Hint), and how to see the rest.
func (e *BuildFailedError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "build %s ended %s", e.Name, e.Phase)
	switch {
	case e.Message != "" && e.Reason != "":
		fmt.Fprintf(&b, ": %s (%s)", e.Message, e.Reason)
	case e.Message != "" || e.Reason != "":
		fmt.Fprintf(&b, ": %s%s", e.Message, e.Reason)
	}
	if s := strings.TrimSpace(e.LogSnippet); s != "" {
		fmt.Fprintf(&b, "\nthe end of its log:\n%s", s)
	}
	if e.Hint != "" {
		fmt.Fprintf(&b, "\n%s", e.Hint)
	}
	fmt.Fprintf(&b, "\nsee the whole log with: oc logs build/%s -n %s", e.Name, e.Namespace)
	return b.String()
}

// terminal reports whether a build phase is final.
func terminal(p BuildPhase) bool {
	switch p {
	case BuildPhaseComplete, BuildPhaseFailed, BuildPhaseError, BuildPhaseCancelled:
		return true
	}
	return false
}

// waitForBuild watches the build (list, then watch from the list's resource
// version, like `oc start-build --wait`) until it is Complete, and returns
// it; Failed, Error and Cancelled are a *BuildFailedError. Each new phase is
// printed as a status line. It gives up after Options.BuildTimeout.
func (b *Backend) waitForBuild(ctx context.Context, v lab.Variant, name string) (*Build, error) {
	wctx, cancel := context.WithTimeout(ctx, b.o.BuildTimeout)
	defer cancel()
	bc := b.buildClient()
	sel := fields.OneTermEqualSelector("metadata.name", name).String()
	var phase BuildPhase
	seen := func(bd *Build) (*Build, bool, error) {
		if bd.Status.Phase != phase {
			phase = bd.Status.Phase
			b.status.Infof("%s: build %s is %s", v, name, phase)
			b.log.WithFields(logrus.Fields{"build": name, "phase": phase}).Debug("build phase")
		}
		if !terminal(phase) {
			return nil, false, nil
		}
		if phase == BuildPhaseComplete {
			return bd, true, nil
		}
		return nil, true, &BuildFailedError{Name: name, Namespace: b.o.Namespace, Phase: phase,
			Reason: string(bd.Status.Reason), Message: bd.Status.Message, LogSnippet: bd.Status.LogSnippet}
	}
	for {
		list, err := bc.List(wctx, metav1.ListOptions{FieldSelector: sel})
		if err != nil {
			return nil, b.buildWaitError(ctx, wctx, name, err)
		}
		items, err := buildsFrom(list)
		if err != nil {
			return nil, err
		}
		found := false
		for i := range items {
			if items[i].Name != name {
				continue
			}
			found = true
			if bd, done, err := seen(&items[i]); done {
				return bd, err
			}
		}
		if !found {
			return nil, fmt.Errorf("build %s disappeared (was it deleted?)", name)
		}
		w, err := bc.Watch(wctx, metav1.ListOptions{FieldSelector: sel, ResourceVersion: list.GetResourceVersion()})
		if err != nil {
			return nil, b.buildWaitError(ctx, wctx, name, err)
		}
		bd, done, err := b.consumeBuildWatch(wctx, w, name, seen)
		w.Stop()
		if done {
			return bd, err
		}
		if wctx.Err() != nil {
			return nil, b.buildWaitError(ctx, wctx, name, wctx.Err())
		}
		// The watch ended (it expires on the server): list and watch again.
	}
}

// consumeBuildWatch reads watch events until the build is final, it is
// deleted, the watch ends or ctx is done.
func (b *Backend) consumeBuildWatch(ctx context.Context, w watch.Interface, name string,
	seen func(*Build) (*Build, bool, error)) (*Build, bool, error) {
	for {
		select {
		case <-ctx.Done():
			return nil, false, nil
		case ev, ok := <-w.ResultChan():
			if !ok {
				return nil, false, nil
			}
			switch ev.Type {
			case watch.Error:
				b.log.WithField("event", apierrors.FromObject(ev.Object)).Debug("build watch error; watching again")
				return nil, false, nil
			case watch.Deleted:
				if u, ok := ev.Object.(*unstructured.Unstructured); ok && u.GetName() == name {
					return nil, true, fmt.Errorf("build %s was deleted while pulllab waited for it", name)
				}
			case watch.Added, watch.Modified:
				u, ok := ev.Object.(*unstructured.Unstructured)
				if !ok || u.GetName() != name {
					continue
				}
				bd, err := buildFrom(u)
				if err != nil {
					return nil, true, err
				}
				if out, done, err := seen(bd); done {
					return out, true, err
				}
			}
		}
	}
}

// buildWaitError explains why waiting for a build stopped.
func (b *Backend) buildWaitError(ctx, wctx context.Context, name string, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if wctx.Err() != nil {
		b.cancelBuild(ctx, name)
		return fmt.Errorf("build %s did not finish within %s, so pulllab cancelled it; see its log with: oc logs build/%s -n %s",
			name, b.o.BuildTimeout, name, b.o.Namespace)
	}
	return fmt.Errorf("watching build %s: %w", name, err)
}

// cancelBuild cancels a build that is not finished (`oc cancel-build`), with
// a fresh context so it works after ctx was cancelled.
func (b *Backend) cancelBuild(ctx context.Context, name string) {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	bc := b.buildClient()
	// Like `oc cancel-build`: set status.cancelled on the whole object and
	// update it; the build controller stops the build.
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		u, err := bc.Get(cctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		bd, err := buildFrom(u)
		if err != nil {
			return err
		}
		if terminal(bd.Status.Phase) || bd.Status.Cancelled {
			return nil
		}
		if err := unstructured.SetNestedField(u.Object, true, "status", "cancelled"); err != nil {
			return err
		}
		_, err = bc.Update(cctx, u, metav1.UpdateOptions{})
		return err
	})
	if err != nil && !apierrors.IsNotFound(err) {
		b.log.WithError(err).WithField("build", name).Warn("could not cancel the build")
		return
	}
	b.log.WithField("build", name).Info("cancelled the build")
}

// cancelUnfinished cancels the builds of a BuildConfig that have not
// finished: after an interrupted instantiatebinary the build's name is not
// known.
func (b *Backend) cancelUnfinished(ctx context.Context, bcName string) {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	sel := labels.SelectorFromSet(labels.Set{buildConfigLabel: bcName}).String()
	list, err := b.buildClient().List(cctx, metav1.ListOptions{LabelSelector: sel})
	if err != nil {
		b.log.WithError(err).Warn("could not list the builds to cancel")
		return
	}
	items, err := buildsFrom(list)
	if err != nil {
		b.log.WithError(err).Warn("could not read the builds to cancel")
		return
	}
	var names []string
	for _, bd := range items {
		if !terminal(bd.Status.Phase) {
			names = append(names, bd.Name)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		b.cancelBuild(ctx, n)
	}
}

// lineTail keeps the last lines of a stream; safe for concurrent use.
type lineTail struct {
	mu    sync.Mutex
	max   int
	lines []string
}

func newLineTail(max int) *lineTail { return &lineTail{max: max} }

// Add appends a line, dropping the oldest beyond max.
func (t *lineTail) Add(line string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.lines = append(t.lines, line)
	if len(t.lines) > t.max {
		t.lines = t.lines[len(t.lines)-t.max:]
	}
}

// String returns the kept lines, newline-separated.
func (t *lineTail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.Join(t.lines, "\n")
}
