package crcctl

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strings"

	"github.com/pulllab/pulllab/internal/textpos"
)

// PullSecret is what crcctl learns from a pull secret: only the registry
// host names. The credentials are checked for presence and then dropped.
type PullSecret struct {
	// Hosts are the registries the secret has an entry for, sorted.
	Hosts []string
}

// Has reports whether the secret has an entry for host.
func (p *PullSecret) Has(host string) bool {
	for _, h := range p.Hosts {
		if h == host {
			return true
		}
	}
	return false
}

// RedHatRegistry is the registry the lab's base image comes from; the pull
// secret must hold an auth for it.
const RedHatRegistry = "registry.redhat.io"

// ParsePullSecret checks data the way crc does: trimmed, it must be
// {"auths":{HOST:{"auth"|"credsStore":...},...}}. Errors never contain any
// part of data except registry host names that look like host names.
func ParsePullSecret(data []byte) (*PullSecret, error) {
	lead := int64(len(data) - len(bytes.TrimLeft(data, " \t\r\n")))
	orig := data
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return nil, pullSecretError("the file is empty")
	}
	var doc struct {
		Auths map[string]json.RawMessage `json:"auths"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			line, col := textpos.LineCol(orig, lead+textpos.SyntaxOffset(syn.Offset))
			return nil, pullSecretError(fmt.Sprintf("it is not valid JSON (line %d, column %d)", line, col))
		}
		return nil, pullSecretError(`it is not a JSON object of the form {"auths":{...}}`)
	}
	if len(doc.Auths) == 0 {
		return nil, pullSecretError("missing 'auths' JSON-object field")
	}
	hosts := make([]string, 0, len(doc.Auths))
	for host, raw := range doc.Auths {
		var entry map[string]json.RawMessage
		if err := json.Unmarshal(raw, &entry); err != nil || entry == nil {
			return nil, pullSecretError(fmt.Sprintf("the entry for %s is not a JSON object", printableHost(host)))
		}
		_, auth := entry["auth"]
		_, store := entry["credsStore"]
		if !auth && !store {
			return nil, pullSecretError(fmt.Sprintf("the entry for %s has neither 'auth' nor 'credsStore'", printableHost(host)))
		}
		hosts = append(hosts, host)
	}
	sort.Strings(hosts)
	return &PullSecret{Hosts: hosts}, nil
}

// printableHost quotes a registry key if it looks like a host[:port] name
// and hides it otherwise, so an error can never echo other content.
func printableHost(h string) string {
	if h == "" || len(h) > 253 {
		return "a registry"
	}
	for _, r := range h {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == ':' || r == '_') {
			return "a registry"
		}
	}
	return fmt.Sprintf("%q", h)
}

func pullSecretError(reason string) *Error {
	return &Error{
		Kind: KindPullSecretInvalid,
		Msg:  "invalid pull secret: " + reason,
		Hint: "download the pull secret again from https://console.redhat.com/openshift/create/local (Download pull secret) and pass that file",
	}
}

// LoadPullSecret reads and checks the pull secret at path with readFile
// (os.ReadFile outside tests). A missing file is KindPullSecretMissing,
// a malformed one KindPullSecretInvalid.
func LoadPullSecret(readFile func(string) ([]byte, error), path string) (*PullSecret, error) {
	data, err := readFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, &Error{Kind: KindPullSecretMissing, Msg: fmt.Sprintf("pull secret file %s does not exist", path), Hint: hintPullSecret, Err: err}
		}
		// The *PathError names the path and the OS reason only.
		return nil, &Error{Kind: KindPullSecretMissing, Msg: fmt.Sprintf("reading pull secret: %v", err), Hint: "make the file readable by your user", Err: err}
	}
	ps, err := ParsePullSecret(data)
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			e.Msg = strings.Replace(e.Msg, "invalid pull secret", "invalid pull secret "+path, 1)
		}
		return nil, err
	}
	return ps, nil
}
