package lab

import (
	"regexp"
	"strings"
)

// Profile describes how a base image announces the WAR it deploys. The
// pattern's first submatch is the WAR's file name.
type Profile struct {
	Name string
	// DeployLine matches the container log line naming the deployed WAR.
	DeployLine *regexp.Regexp
	// Example is a sample of that line, for documentation and tests.
	Example string
	// StartedLine, when set, matches the line with which the server says
	// it has finished starting: everything it deploys at start-up it has
	// named by then.
	StartedLine *regexp.Regexp
}

// The known profiles.
var (
	// ProfileWildFly covers JBoss EAP and WildFly: message 27 of
	// wildfly-core's server logger, WFLYSRV0027, logged at INFO for every
	// deployment. EAP 7.4's S2I puts the WAR in /deployments (linked from
	// $JBOSS_HOME/standalone/deployments), the WildFly S2I builder in
	// WildFlyS2IDeploymentsDir; both servers log the same line.
	ProfileWildFly = Profile{
		Name:       "wildfly",
		DeployLine: regexp.MustCompile(`WFLYSRV0027: Starting deployment of "([^"]+\.war)"`),
		Example:    `INFO  [org.jboss.as.server.deployment] (MSC service thread 1-2) WFLYSRV0027: Starting deployment of "node.war" (runtime-name: "node.war")`,
		// WFLYSRV0025 "… started in 9512ms …", WFLYSRV0026 "… started (with errors) in …".
		StartedLine: regexp.MustCompile(`WFLYSRV002[56]: .* started (\(with errors\) )?in \d+ms`),
	}
	// ProfileAppServer is pulllab's e2e base image (hack/e2e/images/appserver).
	ProfileAppServer = Profile{
		Name:       "appserver",
		DeployLine: regexp.MustCompile(`APPSRV0027: Starting deployment of "([^"]+\.war)"`),
		Example:    `appserver: APPSRV0027: Starting deployment of "node.war" from /deployments`,
		// It logs this once every WAR is deployed, before it serves.
		StartedLine: regexp.MustCompile(`APPSRV0025: Listening on `),
	}
	// ProfileGeneric takes the first quoted or bare *.war name in a line
	// that mentions deploying.
	ProfileGeneric = Profile{
		Name:       "generic",
		DeployLine: regexp.MustCompile(`(?i)deploy\w*\b.*?"?([A-Za-z0-9_.-]+\.war)"?`),
		Example:    `Deploying node.war`,
	}
)

// Profiles lists the known profiles by name.
var Profiles = map[string]Profile{
	ProfileWildFly.Name:   ProfileWildFly,
	ProfileAppServer.Name: ProfileAppServer,
	ProfileGeneric.Name:   ProfileGeneric,
}

// ProfileFor picks the profile of a base image reference: EAP and WildFly
// images get the WildFly profile, pulllab's appserver image its own, and
// anything else the generic one. The profile only names what the report
// tells a reader to look for (and which format is tried first): the log line
// itself is recognised in every known format whatever the image is called
// (see FindDeployedWAR), because an image's name says nothing certain about
// the server inside it.
func ProfileFor(image string) Profile {
	s := strings.ToLower(image)
	switch {
	case strings.Contains(s, "eap") || strings.Contains(s, "wildfly") || strings.Contains(s, "jboss"):
		return ProfileWildFly
	case strings.Contains(s, "appserver"):
		return ProfileAppServer
	}
	return ProfileGeneric
}

// DeployedWAR returns the WAR named by a log line under the profile, or "".
func (p Profile) DeployedWAR(line string) string {
	if p.DeployLine == nil {
		return ""
	}
	m := p.DeployLine.FindStringSubmatch(line)
	if m == nil {
		return ""
	}
	return m[1]
}

// knownProfiles is the order in which FindDeployedWAR tries the known
// formats: the precise server message IDs before the generic pattern, so
// that a WildFly line is reported as WildFly's.
var knownProfiles = []Profile{ProfileWildFly, ProfileAppServer, ProfileGeneric}

// FindDeployedWAR recognises a log line that names a deployed WAR in any
// known format, the preferred profile's first (when it has a pattern) and
// then every known one, and returns the WAR and the name of the
// format that matched; ("", "") when the line names none.
func FindDeployedWAR(preferred Profile, line string) (war, format string) {
	if w := preferred.DeployedWAR(line); w != "" {
		return w, preferred.Name
	}
	for _, p := range knownProfiles {
		if p.Name == preferred.Name {
			continue
		}
		if w := p.DeployedWAR(line); w != "" {
			return w, p.Name
		}
	}
	return "", ""
}

// ServerStarted reports whether a log line is a known server's "finished
// starting" line (WildFly/EAP WFLYSRV0025/0026, the e2e appserver's
// APPSRV0025), whatever profile the base image's name suggested.
func ServerStarted(line string) bool {
	for _, p := range knownProfiles {
		if p.StartedLine != nil && p.StartedLine.MatchString(line) {
			return true
		}
	}
	return false
}

// BuildEnvVar is one environment variable of a base image's S2I build.
type BuildEnvVar struct {
	Name, Value string
}

// The Galleon provisioning a build on the WildFly S2I builder gets (see
// S2IBuildEnv): the feature packs and layer that the builder's own tests
// provision for a binary build of a lone WAR (wildfly/wildfly-s2i,
// wildfly-builder-image/tests/features/legacy-s2i.feature, "Test legacy
// binary build"). jaxrs-server includes web-server (Servlet and JSP, and
// the deployment scanner), which is all the lab's WARs need.
const (
	// WildFlyS2IFeaturePacks are WildFly 41.0.0.Final and the WildFly cloud
	// feature pack built for it, as Maven coordinates.
	WildFlyS2IFeaturePacks = "org.wildfly:wildfly-galleon-pack:41.0.0.Final,org.wildfly.cloud:wildfly-cloud-galleon-pack:9.2.3.Final"
	// WildFlyS2ILayers are the Galleon layers of the provisioned server.
	WildFlyS2ILayers = "jaxrs-server"
	// WildFlyS2IDeploymentsDir is where the builder's assemble puts the
	// WAR of a binary build ($JBOSS_HOME is /opt/server), and where the
	// server's deployment scanner finds it.
	WildFlyS2IDeploymentsDir = "/opt/server/standalone/deployments"
)

// S2IBuildEnv returns the environment that a binary S2I build of a WAR alone
// (no pom.xml) needs on the base image ref, in a fixed order; nil when the
// base image needs none.
//
// The JBoss EAP 7.4 image holds a server, and its assemble copies a root
// *.war to /deployments: it needs nothing. The WildFly S2I builder
// (quay.io/wildfly/wildfly-s2i) holds no server; for a binary build without
// one it stops with "Not a server home directory". Given
// GALLEON_PROVISION_FEATURE_PACKS and GALLEON_PROVISION_LAYERS, its
// assemble (the "legacy" workflow the image still ships) first provisions
// WildFly into /opt/server with Galleon, fetching the feature packs from
// Maven repositories, then copies the root *.war to
// WildFlyS2IDeploymentsDir; the image's run script starts that server,
// which logs WFLYSRV0027 for the WAR like EAP. S2I_ENABLE_INCREMENTAL_BUILDS
// false makes the assemble remove its Maven repository afterwards.
func S2IBuildEnv(ref string) []BuildEnvVar {
	if !IsWildFlyS2IBuilder(ref) {
		return nil
	}
	return []BuildEnvVar{
		{Name: "GALLEON_PROVISION_FEATURE_PACKS", Value: WildFlyS2IFeaturePacks},
		{Name: "GALLEON_PROVISION_LAYERS", Value: WildFlyS2ILayers},
		// Without incremental builds the assemble deletes its Maven
		// repository (the provisioning's downloads) when it is done, so
		// the variant images do not carry a second copy of the server.
		{Name: "S2I_ENABLE_INCREMENTAL_BUILDS", Value: "false"},
	}
}

// IsWildFlyS2IBuilder reports whether an image reference names the WildFly
// S2I builder: its repository's last path element is wildfly-s2i, or
// wildfly-s2i-<suffix> as in the older wildfly-s2i-jdk17, on any registry
// (a mirror keeps the name) and with any tag or digest.
func IsWildFlyS2IBuilder(ref string) bool {
	repo := ref
	if i := strings.Index(repo, "@"); i >= 0 {
		repo = repo[:i]
	}
	if i := strings.LastIndex(repo, ":"); i > strings.LastIndex(repo, "/") {
		repo = repo[:i]
	}
	name := strings.ToLower(repo[strings.LastIndex(repo, "/")+1:])
	return name == "wildfly-s2i" || strings.HasPrefix(name, "wildfly-s2i-")
}
