package kube

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/sirupsen/logrus"

	"github.com/pulllab/pulllab/internal/textpos"
	"github.com/pulllab/pulllab/lab"
)

// dockerConfigHint shows the shape --registry-auth expects.
const dockerConfigHint = `a dockerconfigjson looks like {"auths": {"HOST:PORT": {"auth": "<base64 of user:password>"}}} or uses "username" and "password" instead of "auth"`

// AuthFileError is a --registry-auth file pulllab cannot use. It names the
// file and where in it the problem is, never a credential. The command line
// maps it to exit code 2.
type AuthFileError struct {
	// Path is the file.
	Path string
	// Line and Column locate the problem (1-based); 0 when the problem is
	// the file as a whole.
	Line, Column int
	// Field is the JSON path of the offending field, e.g.
	// `auths["127.0.0.1:5001"].auth`; empty for syntax errors.
	Field string
	// Reason says what is wrong and what to write instead.
	Reason string
}

// Error renders "lab.registryAuth FILE: line L, column C: FIELD: REASON".
func (e *AuthFileError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "lab.registryAuth %s: ", e.Path)
	if e.Line > 0 {
		fmt.Fprintf(&b, "line %d, column %d: ", e.Line, e.Column)
	}
	if e.Field != "" {
		fmt.Fprintf(&b, "%s: ", e.Field)
	}
	b.WriteString(e.Reason)
	return b.String()
}

// Is makes an AuthFileError an input error (lab.ErrBadInput).
func (e *AuthFileError) Is(target error) bool { return target == lab.ErrBadInput }

// Credentials are registry credentials by registry host ("host:port"), as
// read from a dockerconfigjson. Its String and GoString never show a
// secret, so a stray %v cannot leak one.
type Credentials struct {
	byHost map[string]authn.AuthConfig
}

// Hosts returns the registry hosts that have credentials, sorted.
func (c *Credentials) Hosts() []string {
	if c == nil {
		return nil
	}
	out := make([]string, 0, len(c.byHost))
	for h := range c.byHost {
		out = append(out, h)
	}
	sort.Strings(out)
	return out
}

// String names the hosts only.
func (c *Credentials) String() string {
	return fmt.Sprintf("credentials for %s", strings.Join(c.Hosts(), ", "))
}

// GoString names the hosts only.
func (c *Credentials) GoString() string { return c.String() }

// Resolve implements authn.Keychain: the credentials for the resource's
// registry, or authn.Anonymous when the file has none for it.
func (c *Credentials) Resolve(r authn.Resource) (authn.Authenticator, error) {
	if c == nil {
		return authn.Anonymous, nil
	}
	if cfg, ok := c.byHost[r.RegistryStr()]; ok {
		return authn.FromConfig(cfg), nil
	}
	return authn.Anonymous, nil
}

// ReadRegistryAuth reads and validates a dockerconfigjson file
// (--registry-auth). Problems are *AuthFileError.
func ReadRegistryAuth(path string) (*Credentials, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		reason := "cannot be read: " + pathErrorReason(err)
		return nil, &AuthFileError{Path: path, Reason: reason}
	}
	return ParseRegistryAuth(path, data)
}

// pathErrorReason describes a file error without repeating the path.
func pathErrorReason(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		if errors.Is(pe.Err, os.ErrNotExist) {
			return "no such file; give the path of a dockerconfigjson (for example ~/.docker/config.json after `docker login`)"
		}
		return pe.Err.Error()
	}
	return err.Error()
}

// authEntry is one entry of "auths". Unknown fields (email) are ignored.
type authEntry struct {
	Auth          *string `json:"auth"`
	Username      *string `json:"username"`
	Password      *string `json:"password"`
	IdentityToken *string `json:"identitytoken"`
	RegistryToken *string `json:"registrytoken"`
}

// ParseRegistryAuth parses a dockerconfigjson: an object with "auths", each
// key a registry host and each value {"auth": base64(user:password)} or
// {"username": …, "password": …}. file names the source in errors.
// Problems are *AuthFileError, located by line and column and never quoting
// a value of the file other than its registry hosts.
func ParseRegistryAuth(file string, data []byte) (*Credentials, error) {
	p := &authParser{file: file, data: data, dec: json.NewDecoder(bytes.NewReader(data))}
	return p.parse()
}

type authParser struct {
	file string
	data []byte
	dec  *json.Decoder
}

// at returns an *AuthFileError at byte offset off.
func (p *authParser) at(off int64, field, reason string) *AuthFileError {
	line, col := textpos.LineCol(p.data, off)
	return &AuthFileError{Path: p.file, Line: line, Column: col, Field: field, Reason: reason}
}

// syntax turns a decoder error into an *AuthFileError that does not quote
// the input (encoding/json's messages include the offending character,
// which may be part of a password).
func (p *authParser) syntax(err error, field string) *AuthFileError {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return p.at(textpos.SyntaxOffset(se.Offset), "", "not valid JSON here; "+dockerConfigHint)
	case errors.As(err, &te):
		f := field
		if te.Field != "" {
			f += "." + te.Field
		}
		return p.at(te.Offset, f, fmt.Sprintf("must be a %s, not a %s; %s", jsonKind(te.Type.Kind().String()), te.Value, dockerConfigHint))
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return p.at(int64(len(p.data)), "", "the file ends too early; "+dockerConfigHint)
	}
	return p.at(p.dec.InputOffset(), field, "not valid JSON here; "+dockerConfigHint)
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string", "ptr":
		return "string"
	case "map", "struct":
		return "object"
	}
	return goKind
}

// expectDelim reads the next token and checks that it is d.
func (p *authParser) expectDelim(d json.Delim, field, want string) error {
	off := p.dec.InputOffset()
	tok, err := p.dec.Token()
	if err != nil {
		return p.syntax(err, field)
	}
	if got, ok := tok.(json.Delim); !ok || got != d {
		return p.at(skipSpace(p.data, off), field, "must be "+want+"; "+dockerConfigHint)
	}
	return nil
}

// skipSpace moves off past JSON white space and a separator, so that an
// error points at the value itself.
func skipSpace(data []byte, off int64) int64 {
	for off < int64(len(data)) {
		switch data[off] {
		case ' ', '\t', '\r', '\n', ':', ',':
			off++
			continue
		}
		break
	}
	return off
}

func (p *authParser) parse() (*Credentials, error) {
	if len(bytes.TrimSpace(p.data)) == 0 {
		return nil, &AuthFileError{Path: p.file, Reason: "is empty; " + dockerConfigHint}
	}
	if err := p.expectDelim('{', "", "a JSON object"); err != nil {
		return nil, err
	}
	creds := &Credentials{byHost: map[string]authn.AuthConfig{}}
	sawAuths := false
	for p.dec.More() {
		key, err := p.key("")
		if err != nil {
			return nil, err
		}
		if key != "auths" {
			// credsStore, credHelpers, proxies…: not used for --registry-auth.
			var skip json.RawMessage
			if err := p.dec.Decode(&skip); err != nil {
				return nil, p.syntax(err, key)
			}
			continue
		}
		sawAuths = true
		if err := p.auths(creds); err != nil {
			return nil, err
		}
	}
	if _, err := p.dec.Token(); err != nil {
		return nil, p.syntax(err, "")
	}
	if off := skipSpace(p.data, p.dec.InputOffset()); off < int64(len(p.data)) {
		return nil, p.at(off, "", "unexpected text after the JSON object")
	}
	if !sawAuths {
		return nil, &AuthFileError{Path: p.file, Field: "auths", Reason: `is missing: the file has no "auths" object (credential helpers are not read from this file; use DOCKER_CONFIG for those); ` + dockerConfigHint}
	}
	if len(creds.byHost) == 0 {
		return nil, &AuthFileError{Path: p.file, Field: "auths", Reason: "names no registry; " + dockerConfigHint}
	}
	return creds, nil
}

// key reads an object key.
func (p *authParser) key(parent string) (string, error) {
	tok, err := p.dec.Token()
	if err != nil {
		return "", p.syntax(err, parent)
	}
	k, ok := tok.(string)
	if !ok {
		return "", p.at(p.dec.InputOffset(), parent, "expected a key; "+dockerConfigHint)
	}
	return k, nil
}

func (p *authParser) auths(creds *Credentials) error {
	if err := p.expectDelim('{', "auths", "an object of registry hosts"); err != nil {
		return err
	}
	for p.dec.More() {
		keyOff := skipSpace(p.data, p.dec.InputOffset())
		host, err := p.key("auths")
		if err != nil {
			return err
		}
		field := fmt.Sprintf("auths[%q]", host)
		norm, ok := registryKey(host)
		if !ok {
			return p.at(keyOff, field, "is not a registry host; write HOST or HOST:PORT, e.g. 127.0.0.1:5001")
		}
		valOff := skipSpace(p.data, p.dec.InputOffset())
		var e authEntry
		if err := p.dec.Decode(&e); err != nil {
			return p.syntax(err, field)
		}
		cfg, ferr := e.config()
		if ferr != nil {
			return p.at(valOff, field+ferr.field, ferr.reason)
		}
		if _, dup := creds.byHost[norm]; dup {
			return p.at(keyOff, field, "names the registry "+norm+" a second time; keep one entry per registry")
		}
		creds.byHost[norm] = cfg
	}
	_, err := p.dec.Token() // '}'
	if err != nil {
		return p.syntax(err, "auths")
	}
	return nil
}

type entryError struct{ field, reason string }

// config checks an entry and returns it as go-containerregistry's
// AuthConfig, with username and password filled in from auth.
func (e authEntry) config() (authn.AuthConfig, *entryError) {
	var cfg authn.AuthConfig
	if e.Auth != nil && strings.TrimSpace(*e.Auth) != "" {
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(*e.Auth))
		if err != nil {
			return cfg, &entryError{".auth", "is not base64; it must be the base64 encoding of user:password (e.g. the output of: printf '%s' 'user:password' | base64)"}
		}
		user, pass, ok := strings.Cut(string(raw), ":")
		if !ok || user == "" {
			return cfg, &entryError{".auth", "does not decode to user:password (no user name before a colon)"}
		}
		if e.Username != nil && *e.Username != "" && *e.Username != user ||
			e.Password != nil && *e.Password != "" && *e.Password != pass {
			return cfg, &entryError{"", `has "auth" and "username"/"password" that disagree; keep one of them`}
		}
		cfg.Username, cfg.Password = user, pass
		return cfg, nil
	}
	user, pass := deref(e.Username), deref(e.Password)
	switch {
	case user != "" && pass != "":
		cfg.Username, cfg.Password = user, pass
		return cfg, nil
	case user != "":
		return cfg, &entryError{".password", `is missing: give "password" beside "username", or "auth"`}
	case pass != "":
		return cfg, &entryError{".username", `is missing: give "username" beside "password", or "auth"`}
	case deref(e.IdentityToken) != "" || deref(e.RegistryToken) != "":
		return cfg, &entryError{"", `holds a token only; pulllab needs a user name and password ("auth" or "username" and "password"), which it can also hand to the kubelet as a pull secret`}
	}
	return cfg, &entryError{"", `has no credentials: give "auth" (base64 of user:password) or "username" and "password"`}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// registryKey normalises an "auths" key the way docker does: a scheme and a
// path (as in the legacy "https://index.docker.io/v1/") are dropped. It
// returns false for something that is not a host.
func registryKey(k string) (string, bool) {
	k = strings.TrimSpace(k)
	k = strings.TrimPrefix(strings.TrimPrefix(k, "https://"), "http://")
	if i := strings.IndexByte(k, '/'); i >= 0 {
		k = k[:i]
	}
	if k == "" || strings.ContainsAny(k, " \t@") {
		return "", false
	}
	if _, err := name.NewRegistry(k, name.Insecure); err != nil {
		return "", false
	}
	return k, true
}

// credentialChain finds the credentials for a registry: the
// --registry-auth file first, then the docker config keychain
// (DOCKER_CONFIG, ~/.docker/config.json and its credential helpers), and
// anonymous access only when neither has any. A loopback registry whose
// credential helper fails is reached anonymously (a laptop's helper has
// nothing for it and may not even run), with a debug message.
//
// A registry with a push and a pull address is one registry: when neither
// source has credentials under the host asked for, the entry of the other
// address is used (alias maps each host to the other), with a debug
// message that names the hosts only.
type credentialChain struct {
	file  *Credentials
	base  authn.Keychain
	log   logrus.FieldLogger
	alias map[string]string
}

// hostAliases maps each of the registry's two hosts to the other; nil when
// they are the same.
func hostAliases(push, pull string) map[string]string {
	if push == pull {
		return nil
	}
	return map[string]string{push: pull, pull: push}
}

// Resolve implements authn.Keychain.
func (k credentialChain) Resolve(r authn.Resource) (authn.Authenticator, error) {
	return k.ResolveContext(context.Background(), r)
}

// ResolveContext implements authn.ContextKeychain.
func (k credentialChain) ResolveContext(ctx context.Context, r authn.Resource) (authn.Authenticator, error) {
	a, err := k.resolve(ctx, r)
	if err != nil || a != authn.Anonymous {
		return a, err
	}
	other, ok := k.alias[r.RegistryStr()]
	if !ok {
		return a, nil
	}
	reg, err := name.NewRegistry(other, name.Insecure)
	if err != nil {
		return authn.Anonymous, nil
	}
	oa, err := k.resolve(ctx, reg)
	if err != nil || oa == authn.Anonymous {
		// The other address's lookup failing is no reason to fail this
		// one, which simply has no credentials.
		return a, nil
	}
	k.log.WithFields(logrus.Fields{"registry": r.RegistryStr(), "from": other}).Debug("no credentials under this registry address: using the ones given for its other address")
	return oa, nil
}

// resolve looks r's host up in the file, then in the base keychain.
func (k credentialChain) resolve(ctx context.Context, r authn.Resource) (authn.Authenticator, error) {
	if k.file != nil {
		if a, _ := k.file.Resolve(r); a != authn.Anonymous {
			return a, nil
		}
	}
	if k.base == nil {
		return authn.Anonymous, nil
	}
	a, err := authn.Resolve(ctx, k.base, r)
	if err != nil {
		if isLoopbackHost(r.RegistryStr()) {
			// Not the error text: a helper's message may quote what it read.
			k.log.WithField("registry", r.RegistryStr()).Debug("the docker credential helper failed for a loopback registry; trying it anonymously")
			return authn.Anonymous, nil
		}
		return nil, fmt.Errorf("finding credentials for %s in the docker config (DOCKER_CONFIG or ~/.docker/config.json): %w", r.RegistryStr(), redactedError(err))
	}
	if a == nil {
		return authn.Anonymous, nil
	}
	return a, nil
}

// redactedError keeps an error's type for errors.Is/As but not its text
// when that text could carry what a credential helper printed.
func redactedError(err error) error {
	return &credHelperError{err: err}
}

type credHelperError struct{ err error }

func (e *credHelperError) Error() string {
	return "the credential lookup failed (its output is not shown because it may hold secrets; run `docker login` for this registry again)"
}

func (e *credHelperError) Unwrap() error { return e.err }

// pullSecretConfig returns the dockerconfigjson of a pull secret holding
// only the credentials for host, as the keychain resolves them, or nil when
// the keychain has none (the registry is then used anonymously).
func pullSecretConfig(ctx context.Context, kc authn.Keychain, host string) ([]byte, error) {
	reg, err := name.NewRegistry(host, name.Insecure)
	if err != nil {
		return nil, fmt.Errorf("registry host %q: %w", host, err)
	}
	a, err := authn.Resolve(ctx, kc, reg)
	if err != nil {
		return nil, err
	}
	if a == nil || a == authn.Anonymous {
		return nil, nil
	}
	cfg, err := authn.Authorization(ctx, a)
	if err != nil {
		return nil, fmt.Errorf("reading the credentials for %s: %w", host, redactedError(err))
	}
	user, pass := cfg.Username, cfg.Password
	if user == "" && cfg.Auth != "" {
		if raw, err := base64.StdEncoding.DecodeString(cfg.Auth); err == nil {
			user, pass, _ = strings.Cut(string(raw), ":")
		}
	}
	if user == "" || pass == "" {
		return nil, fmt.Errorf("the credentials for %s are a token, not a user name and password; the kubelet needs a user name and password in a pull secret: give them with lab.registryAuth FILE", host)
	}
	entry := map[string]string{
		"username": user,
		"password": pass,
		"auth":     base64.StdEncoding.EncodeToString([]byte(user + ":" + pass)),
	}
	return json.Marshal(map[string]any{"auths": map[string]any{host: entry}})
}
