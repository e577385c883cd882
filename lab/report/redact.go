package report

import (
	"reflect"
	"regexp"
	"strings"

	"github.com/pulllab/pulllab/lab"
)

// redacted replaces secret text in rendered output.
const redacted = "[REDACTED]"

// secretRules are the shapes of secrets that could reach free text through
// an event message, a log line, a step or an error detail. They are applied
// in order, and repeated until the text no longer changes. A rule runs only
// when the lower-cased text contains one of its hints, which keeps ordinary
// text cheap to check.
var secretRules = []struct {
	hints []string
	re    *regexp.Regexp
	repl  string
}{
	// OpenShift OAuth access tokens: "sha256~" and 43 base64url characters.
	{[]string{"sha256~"}, regexp.MustCompile(`sha256~[A-Za-z0-9_-]{8,}`), "sha256~" + redacted},
	// JWTs (service-account tokens) and base64 of JSON objects, which is
	// how a pull secret looks once encoded ("eyJhdXRocyI6…").
	{[]string{"eyj"}, regexp.MustCompile(`eyJ[A-Za-z0-9_+/=-]{8,}(?:\.[A-Za-z0-9_+/=-]+){0,2}`), redacted},
	// Credentials in a URL: scheme://user:password@host.
	{[]string{"://"}, regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.-]*://)[^/\s@:]+:[^/\s@]+@`), "${1}" + redacted + "@"},
	// JSON values of credential keys: "auth":"…", "password":"…".
	{[]string{"auth", "pass", "token", "secret"}, regexp.MustCompile(`(?i)(\\?"(?:auth|password|passwd|token|identitytoken|registrytoken|access_token|refresh_token|client_secret|secret)\\?"\s*:\s*)\\?"(?:[^"\\]|\\.)*"`), `${1}"` + redacted + `"`},
	// HTTP authorization headers: a quoted value, a scheme and its
	// credentials, or a bare value that looks like a credential (it holds a
	// non-letter, or is long). A plain word stays: runtimes write "may
	// require authorization: authorization failed" when a pull is refused.
	{[]string{"authorization"}, regexp.MustCompile(`(?i)(authorization\s*[:=]\s*)("[^"]*"|(?:bearer|basic)\s+[^\s,;"]+|[^\s,;"]*[^A-Za-z\s,;"][^\s,;"]*|[A-Za-z]{16,})`), "${1}" + redacted},
	{[]string{"bearer"}, regexp.MustCompile(`(?i)(bearer\s+)[A-Za-z0-9._~+/=-]{16,}`), "${1}" + redacted},
	// Command-line flags: --password X, --token=X, oc login … -p X.
	{[]string{"--password", "--token", "--pull-secret"}, regexp.MustCompile(`(?i)(--(?:password|token|pull-secret)(?:\s+|=))("[^"]*"|'[^']*'|\S+)`), "${1}" + redacted},
	{[]string{"login"}, regexp.MustCompile(`(?i)(\blogin\b[^\n]*?\s-p\s*)(\S+)`), "${1}" + redacted},
	// key=value and key: value pairs.
	{[]string{"pass", "token", "secret", "api"}, regexp.MustCompile(`(?i)(password|passwd|token|secret|api[_-]?key)(\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s,;&"'<>]+)`), "${1}${2}" + redacted},
	// The kubeadmin password CRC generates: four dash-separated groups of
	// five letters and digits.
	{[]string{"-"}, regexp.MustCompile(`\b[A-Za-z0-9]{5}(?:-[A-Za-z0-9]{5}){3}\b`), redacted},
}

// authsKey finds the "auths" key of a container-registry credentials file
// (a pull secret), also when it sits JSON-escaped inside another string.
var authsKey = regexp.MustCompile(`\\?"auths\\?"\s*:\s*\{`)

// redact removes secrets from one string of free text: pull secrets (the
// whole JSON object that holds "auths"), OpenShift and service-account
// tokens, passwords in key=value form, flags and URLs, and the shape of the
// kubeadmin password. What it cannot recognise it leaves alone, so callers
// should not put secrets into results in the first place; this is the last
// line of defence before text is written to a report.
func redact(s string) string {
	// One rule's replacement can complete another rule's match, so apply
	// the rules until nothing changes (in practice one or two passes).
	for range 8 {
		next := s
		if strings.Contains(strings.ToLower(next), "auths") {
			next = redactAuths(next)
		}
		for _, r := range secretRules {
			lower := strings.ToLower(next)
			for _, h := range r.hints {
				if strings.Contains(lower, h) {
					next = r.re.ReplaceAllString(next, r.repl)
					break
				}
			}
		}
		if next == s {
			break
		}
		s = next
	}
	return s
}

// redactAuths replaces every JSON object that contains an "auths" key, from
// its opening brace to the matching closing brace (or to the end of the
// text when the object is cut off). It works left to right in one pass, so
// its cost stays linear in the length of s.
func redactAuths(s string) string {
	var b strings.Builder
	pos := 0 // s[:pos] is done
	for {
		loc := authsKey.FindStringIndex(s[pos:])
		if loc == nil {
			break
		}
		keyStart, keyEnd := pos+loc[0], pos+loc[1]
		// The enclosing object starts at the nearest unmatched '{' to the
		// left of the key (not before what is already done); without one,
		// the key itself starts the range.
		start, depth := keyStart, 0
		for i := keyStart - 1; i >= pos; i-- {
			if s[i] == '}' {
				depth++
			} else if s[i] == '{' {
				if depth == 0 {
					start = i
					break
				}
				depth--
			}
		}
		// It ends where the braces opened from start balance again, which is
		// never before the "auths" object itself has closed.
		end, opened := len(s), false
		depth = 0
		for i := start; i < len(s); i++ {
			switch s[i] {
			case '{':
				depth++
				opened = true
			case '}':
				depth--
			}
			if opened && depth <= 0 && i >= keyEnd-1 {
				end = i + 1
				break
			}
		}
		b.WriteString(s[pos:start])
		b.WriteString(redacted)
		pos = end
	}
	if pos == 0 {
		return s
	}
	b.WriteString(s[pos:])
	return b.String()
}

// ansiEscape matches terminal colour and cursor sequences, which container
// logs often carry.
var ansiEscape = regexp.MustCompile(`\x1b\[[0-9;?]*[ -/]*[@-~]`)

// clean makes free text printable in every format: it redacts secrets,
// drops terminal escape sequences and replaces other control characters
// (which XML cannot carry) with spaces. Newlines and tabs stay.
func clean(s string) string {
	s = redact(s)
	s = ansiEscape.ReplaceAllString(s, "")
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\t':
			return r
		case r == '\r':
			return -1
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == 0xfffe || r == 0xffff:
			return ' '
		}
		return r
	}, s)
}

// Redact returns a deep copy of r in which every string has passed through
// the secret filter that the renderers use. r itself is not changed. Use it
// before writing results.json with (*lab.Results).WriteJSON.
func Redact(r *lab.Results) *lab.Results {
	return transform(r, redact)
}

// transform returns a deep copy of r with fn applied to every string field,
// at any depth (slices, pointers, maps and nested structs). Unexported
// fields, such as those of time.Time, are copied as they are.
func transform(r *lab.Results, fn func(string) string) *lab.Results {
	if r == nil {
		return nil
	}
	c := *r
	mapStrings(reflect.ValueOf(&c).Elem(), fn)
	return &c
}

// mapStrings applies fn to the strings reachable from v, which must be
// settable. Pointers, slices and maps are replaced by fresh copies, so
// nothing shared with the original is modified.
func mapStrings(v reflect.Value, fn func(string) string) {
	switch v.Kind() {
	case reflect.String:
		v.SetString(fn(v.String()))
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if f := v.Field(i); f.CanSet() {
				mapStrings(f, fn)
			}
		}
	case reflect.Pointer:
		if v.IsNil() {
			return
		}
		n := reflect.New(v.Type().Elem())
		n.Elem().Set(v.Elem())
		mapStrings(n.Elem(), fn)
		v.Set(n)
	case reflect.Slice:
		if v.IsNil() {
			return
		}
		n := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		reflect.Copy(n, v)
		for i := 0; i < n.Len(); i++ {
			mapStrings(n.Index(i), fn)
		}
		v.Set(n)
	case reflect.Array:
		for i := 0; i < v.Len(); i++ {
			mapStrings(v.Index(i), fn)
		}
	case reflect.Map:
		if v.IsNil() {
			return
		}
		n := reflect.MakeMapWithSize(v.Type(), v.Len())
		it := v.MapRange()
		for it.Next() {
			k := reflect.New(v.Type().Key()).Elem()
			k.Set(it.Key())
			mapStrings(k, fn)
			e := reflect.New(v.Type().Elem()).Elem()
			e.Set(it.Value())
			mapStrings(e, fn)
			n.SetMapIndex(k, e)
		}
		v.Set(n)
	case reflect.Interface:
		if v.IsNil() {
			return
		}
		e := reflect.New(v.Elem().Type()).Elem()
		e.Set(v.Elem())
		mapStrings(e, fn)
		v.Set(e)
	}
}
