package kube

import (
	"path"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Image config labels that name the directory an app server deploys from.
const (
	// LabelDeploymentsDir is pulllab's own: an image built for the lab
	// (the e2e harness's appserver) says where its server looks.
	LabelDeploymentsDir = "io.pulllab.deployments-dir"
	// LabelJBossDeploymentsDir is what the JBoss EAP and WildFly S2I
	// images declare (org.jboss.deployments-dir, e.g.
	// /opt/eap/standalone/deployments).
	LabelJBossDeploymentsDir = "org.jboss.deployments-dir"
)

// S2IDeploymentsDir is where S2I images (EAP, WildFly S2I) take WARs from.
const S2IDeploymentsDir = "/deployments"

// DeploymentsDirChoice is the directory the WAR goes to and the evidence
// for it.
type DeploymentsDirChoice struct {
	// Dir is an absolute, clean path in the image; empty when the config
	// gives no clear evidence.
	Dir string
	// From says which part of the image's config decided, for messages.
	From string
}

// ChooseDeploymentsDir decides from a base image's config where its server
// looks for WARs, strongest evidence first: a label that names the
// directory (pulllab's, then JBoss's), the DEPLOYMENTS_DIR variable, an S2I
// image (io.openshift.s2i.* or io.s2i.* labels, S2I_* variables) →
// /deployments, JBOSS_HOME (the plain WildFly image) →
// $JBOSS_HOME/standalone/deployments, and a WORKDIR that is itself a
// deployments directory. Anything else is not guessed: Dir is empty.
func ChooseDeploymentsDir(c v1.Config) DeploymentsDirChoice {
	for _, l := range []string{LabelDeploymentsDir, LabelJBossDeploymentsDir} {
		if d := absDir(c.Labels[l]); d != "" {
			return DeploymentsDirChoice{Dir: d, From: "the image's label " + l}
		}
	}
	env := map[string]string{}
	s2i := false
	for _, kv := range c.Env {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
		if strings.HasPrefix(k, "S2I_") {
			s2i = true
		}
	}
	if d := absDir(env["DEPLOYMENTS_DIR"]); d != "" {
		return DeploymentsDirChoice{Dir: d, From: "the image's variable DEPLOYMENTS_DIR"}
	}
	for l := range c.Labels {
		if strings.HasPrefix(l, "io.openshift.s2i.") || strings.HasPrefix(l, "io.s2i.") {
			s2i = true
		}
	}
	if s2i {
		return DeploymentsDirChoice{Dir: S2IDeploymentsDir, From: "an S2I image (its S2I labels or variables)"}
	}
	if h := absDir(env["JBOSS_HOME"]); h != "" {
		return DeploymentsDirChoice{Dir: path.Join(h, "standalone", "deployments"), From: "the image's variable JBOSS_HOME (WildFly's standalone deployment scanner)"}
	}
	if w := absDir(c.WorkingDir); w != "" && path.Base(w) == "deployments" {
		return DeploymentsDirChoice{Dir: w, From: "the image's WORKDIR"}
	}
	return DeploymentsDirChoice{}
}

// absDir returns p cleaned when it is an absolute directory other than
// the root, else "".
func absDir(p string) string {
	p = strings.TrimSpace(p)
	if !path.IsAbs(p) {
		return ""
	}
	if p = path.Clean(p); p == "/" {
		return ""
	}
	return p
}
