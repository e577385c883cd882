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
}

// The known profiles.
var (
	// ProfileWildFly covers JBoss EAP and WildFly (WFLYSRV0027).
	ProfileWildFly = Profile{
		Name:       "wildfly",
		DeployLine: regexp.MustCompile(`WFLYSRV0027: Starting deployment of "([^"]+\.war)"`),
		Example:    `INFO  [org.jboss.as.server.deployment] (MSC service thread 1-2) WFLYSRV0027: Starting deployment of "node.war" (runtime-name: "node.war")`,
	}
	// ProfileAppServer is pulllab's e2e base image (hack/e2e/images/appserver).
	ProfileAppServer = Profile{
		Name:       "appserver",
		DeployLine: regexp.MustCompile(`APPSRV0027: Starting deployment of "([^"]+\.war)"`),
		Example:    `appserver: APPSRV0027: Starting deployment of "node.war" from /deployments`,
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
