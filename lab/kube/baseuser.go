package kube

import (
	"fmt"
	"strconv"
	"strings"
)

// passwdEntry is one account of an /etc/passwd file.
type passwdEntry struct {
	Name     string
	UID, GID uint32
}

// parsePasswd reads the accounts of an /etc/passwd file (passwd(5):
// name:password:UID:GID:GECOS:home:shell). Blank lines, comments and lines
// that do not have a name and numeric UID and GID are skipped, as the C
// library's reader skips them; the first account of a name wins.
func parsePasswd(data []byte) []passwdEntry {
	var out []passwdEntry
	seen := map[string]bool{}
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimRight(line, "\r")
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, ":")
		if len(f) < 4 || f[0] == "" || seen[f[0]] {
			continue
		}
		uid, err1 := strconv.ParseUint(f[2], 10, 32)
		gid, err2 := strconv.ParseUint(f[3], 10, 32)
		if err1 != nil || err2 != nil {
			continue
		}
		seen[f[0]] = true
		out = append(out, passwdEntry{Name: f[0], UID: uint32(uid), GID: uint32(gid)})
	}
	return out
}

// imageUser is the user an image's processes run as, resolved to numbers.
type imageUser struct {
	// Config is the USER to write into the variant's config: the base's
	// when it is already numeric, else "UID:GID" (or "UID:GROUP" when the
	// base named a group) from the base's /etc/passwd.
	Config string
	// UID and GID own what the WAR layer creates.
	UID, GID int
}

// userError says why an image's USER cannot run under runAsNonRoot.
type userError struct{ why string }

func (e *userError) Error() string { return e.why }

// resolveUser resolves an image config's USER for the kubelet's
// runAsNonRoot check, which accepts only a numeric UID other than 0
// (kubelet kuberuntime verifyRunAsNonRoot: a user name "cannot verify user
// is non-root"). A numeric USER is kept; a name is looked up in passwd (the
// image's /etc/passwd, read only when needed: nil when the image has
// none) and replaced by its UID, so the variant runs as the same account
// and the kubelet can check it. No USER, UID 0 and an unknown name are a
// *userError.
func resolveUser(user string, passwd func() ([]byte, bool, error)) (imageUser, error) {
	u := strings.TrimSpace(user)
	if u == "" {
		return imageUser{}, &userError{"the image declares no USER, so it runs as root"}
	}
	name, group, hasGroup := strings.Cut(u, ":")
	gid := 0
	if hasGroup {
		if n, err := strconv.ParseUint(group, 10, 32); err == nil {
			gid = int(n)
		}
	}
	if n, err := strconv.ParseUint(name, 10, 32); err == nil {
		if n == 0 {
			return imageUser{}, &userError{fmt.Sprintf("the image declares USER %q, which is root", u)}
		}
		return imageUser{Config: u, UID: int(n), GID: gid}, nil
	}
	data, ok, err := passwd()
	if err != nil {
		return imageUser{}, fmt.Errorf("reading /etc/passwd to resolve USER %q: %w", u, err)
	}
	if !ok {
		return imageUser{}, &userError{fmt.Sprintf("the image declares USER %q by name and has no /etc/passwd to find its UID in", u)}
	}
	for _, e := range parsePasswd(data) {
		if e.Name != name {
			continue
		}
		if e.UID == 0 {
			return imageUser{}, &userError{fmt.Sprintf("the image declares USER %q, which is UID 0 (root) in its /etc/passwd", u)}
		}
		if !hasGroup {
			return imageUser{Config: fmt.Sprintf("%d:%d", e.UID, e.GID), UID: int(e.UID), GID: int(e.GID)}, nil
		}
		return imageUser{Config: fmt.Sprintf("%d:%s", e.UID, group), UID: int(e.UID), GID: gid}, nil
	}
	return imageUser{}, &userError{fmt.Sprintf("the image declares USER %q, which its /etc/passwd does not list", u)}
}
