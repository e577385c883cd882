package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	didyoumean "github.com/pulllab/pulllab/internal/suggest"
)

// The sources a value can come from, as Effective.Sources records them:
// "default", "file pulllab.yaml:12", "env PULLLAB_NAMESPACE", "flag --namespace".
const (
	SourceDefault = "default"
	sourceFile    = "file "
	sourceEnv     = "env "
	sourceFlag    = "flag "
)

// FlagSource is the source recorded for a value given with --name.
func FlagSource(name string) string { return sourceFlag + "--" + name }

// Effective is the merged configuration and where each value came from.
type Effective struct {
	// Config is the merged settings.
	Config Config
	// Sources maps each key path ("lab.namespace") to where its value came
	// from: "default", "file pulllab.yaml:12", "env PULLLAB_NAMESPACE" or
	// "flag --namespace". Every key in Keys has an entry.
	Sources map[string]string
	// File is the configuration file that was read, as given; empty when
	// none was.
	File string
	// homeDir expands "~" in path settings set after loading.
	homeDir func() (string, error)
}

// NewEffective returns the settings in effect before pulllab.yaml, PULLLAB_*
// and flags are applied: the built-in ones (BuiltIn), every source
// "default".
func NewEffective() *Effective {
	e := &Effective{Config: BuiltIn(), Sources: make(map[string]string, len(keys))}
	for _, k := range keys {
		e.Sources[k.Path] = SourceDefault
	}
	return e
}

// Source returns where the value of the key path came from.
func (e *Effective) Source(path string) string { return e.Sources[path] }

// Override sets the key path from text, as a flag or a variable gives it,
// and records source (use FlagSource for flags). The text is parsed by the
// key's kind: whole numbers, true/false (also 1/0), Go durations ("45m").
// It does not validate the value: call Validate after the last Override.
func (e *Effective) Override(path, value, source string) error {
	k, ok := LookupKey(path)
	if !ok {
		return fmt.Errorf("unknown setting %q", path)
	}
	v, err := parseText(k, value)
	if err != nil {
		return fmt.Errorf("%s: %w", describeSetting(source, value), err)
	}
	e.set(k, v, source, "")
	return nil
}

// describeSetting names a value by where the user gave it, so an error
// says what to fix: `--cpus "four"`, `PULLLAB_CPUS="four"`.
func describeSetting(source, value string) string {
	switch {
	case strings.HasPrefix(source, sourceFlag):
		return fmt.Sprintf("%s %q", strings.TrimPrefix(source, sourceFlag), value)
	case strings.HasPrefix(source, sourceEnv):
		return fmt.Sprintf("%s=%q", strings.TrimPrefix(source, sourceEnv), value)
	default:
		return fmt.Sprintf("%q (%s)", value, source)
	}
}

// set stores v (already parsed) for k. base is the directory relative path
// settings are resolved against ("" for the working directory).
func (e *Effective) set(k Key, v any, source, base string) {
	if s, ok := v.(string); ok && k.IsPath {
		v = e.resolvePath(s, base)
	}
	switch p := k.field(&e.Config).(type) {
	case *string:
		*p = v.(string)
	case *int:
		*p = v.(int)
	case *bool:
		*p = v.(bool)
	case *time.Duration:
		*p = v.(time.Duration)
	}
	e.Sources[k.Path] = source
}

// resolvePath expands a leading "~" and joins a relative path to base.
func (e *Effective) resolvePath(p, base string) string {
	if p == "" {
		return p
	}
	if p == "~" || strings.HasPrefix(p, "~/") || strings.HasPrefix(p, `~\`) {
		if e.homeDir != nil {
			if home, err := e.homeDir(); err == nil && home != "" {
				return filepath.Join(home, p[1:])
			}
		}
		return p
	}
	if base != "" && base != "." && !filepath.IsAbs(p) {
		return filepath.Join(base, p)
	}
	return p
}

// parseText parses a flag's or variable's text for k.
func parseText(k Key, s string) (any, error) {
	switch k.Kind() {
	case Int:
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			return nil, errors.New("want a whole number")
		}
		return n, nil
	case Bool:
		b, err := strconv.ParseBool(strings.TrimSpace(s))
		if err != nil {
			return nil, errors.New("want true or false")
		}
		return b, nil
	case Duration:
		return parseDuration(strings.TrimSpace(s))
	default:
		return s, nil
	}
}

func parseDuration(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		if _, nerr := strconv.ParseFloat(s, 64); nerr == nil {
			return 0, fmt.Errorf("want a duration with a unit, such as %sm or %ss", s, s)
		}
		return 0, errors.New("want a duration such as 90s, 45m or 1h30m")
	}
	return d, nil
}

// Loader reads the configuration: BuiltIn() ← file ← environment. Flags are
// applied afterwards with Effective.Override.
type Loader struct {
	// LookupEnv reads an environment variable (os.LookupEnv outside tests).
	// Nil means no environment.
	LookupEnv func(string) (string, bool)
	// HomeDir expands "~" in path settings (os.UserHomeDir outside tests).
	// Nil leaves "~" as written.
	HomeDir func() (string, error)
	// ReadFile reads the file; nil means os.ReadFile.
	ReadFile func(string) ([]byte, error)
}

// Load is Loader{LookupEnv: lookupEnv}.Load(path, explicit).
func Load(path string, explicit bool, lookupEnv func(string) (string, bool)) (*Effective, error) {
	return Loader{LookupEnv: lookupEnv}.Load(path, explicit)
}

// Env returns the defaults with the PULLLAB_* variables applied and no
// file read, for commands that must run even when the file is broken.
func (l Loader) Env() (*Effective, error) {
	e := NewEffective()
	e.homeDir = l.HomeDir
	return e, e.applyEnv(l.LookupEnv)
}

// Load merges the defaults, the file at path and the PULLLAB_* environment
// variables, then validates the result. An empty path means DefaultFile.
// When explicit is false a missing file is fine (nothing is read); when it
// is true (the user named the file) a missing file is an error. Errors in
// the file name it and the line: "pulllab.yaml:12: ...".
func (l Loader) Load(path string, explicit bool) (*Effective, error) {
	e := NewEffective()
	e.homeDir = l.HomeDir
	if path == "" {
		path, explicit = DefaultFile, false
	}
	read := l.ReadFile
	if read == nil {
		read = os.ReadFile
	}
	data, err := read(path)
	switch {
	case err == nil:
		e.File = path
		if err := e.applyFile(path, data); err != nil {
			return nil, err
		}
	case errors.Is(err, fs.ErrNotExist) && !explicit:
		// No ./pulllab.yaml: defaults and environment only.
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("config file %s does not exist; create it with 'pulllab init --path %s' or name another file", path, path)
	default:
		return nil, fmt.Errorf("reading config file: %w", err)
	}
	if err := e.applyEnv(l.LookupEnv); err != nil {
		return nil, err
	}
	if err := e.Validate(); err != nil {
		return nil, err
	}
	return e, nil
}

func (e *Effective) applyEnv(lookupEnv func(string) (string, bool)) error {
	if lookupEnv == nil {
		return nil
	}
	var errs []error
	for _, k := range keys {
		v, ok := lookupEnv(k.Env)
		if !ok || v == "" {
			// An empty variable counts as unset.
			continue
		}
		if err := e.Override(k.Path, v, sourceEnv+k.Env); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// yamlLine matches the position yaml.v3 puts in its syntax errors.
var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// applyFile parses data strictly: only the keys in the table, each with a
// value of its kind. The file is walked as a yaml.Node tree instead of being
// decoded into Config with Decoder.KnownFields(true): the walk is as strict,
// and it can also name the line and the key in users' words (with a
// suggestion), reject duplicate keys, and record the line each value came
// from.
func (e *Effective) applyFile(path string, data []byte) error {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil // empty file
		}
		if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
			return fmt.Errorf("%s:%s: %s", path, m[1], m[2])
		}
		return fmt.Errorf("%s: %s", path, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		line := extra.Line
		if line == 0 {
			line = 1
		}
		return fmt.Errorf("%s:%d: more than one YAML document; keep a single one", path, line)
	}
	root := &doc
	if root.Kind == yaml.DocumentNode {
		if len(root.Content) == 0 {
			return nil
		}
		root = root.Content[0]
	}
	root = deref(root)
	if isNull(root) {
		return nil
	}
	at := func(n *yaml.Node, format string, args ...any) error {
		return fmt.Errorf("%s:%d: %s", path, n.Line, fmt.Sprintf(format, args...))
	}
	if root.Kind != yaml.MappingNode {
		return at(root, "want sections such as \"crc:\" and \"lab:\", got %s", describeNode(root))
	}
	base := filepath.Dir(path)
	var errs []error
	seenSection := map[string]int{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		kn, vn := root.Content[i], deref(root.Content[i+1])
		section := kn.Value
		if !isSection(section) {
			errs = append(errs, at(kn, "unknown key %q%s", section, suggest(section, "")))
			continue
		}
		if line, dup := seenSection[section]; dup {
			errs = append(errs, at(kn, "%q is already given on line %d", section, line))
			continue
		}
		seenSection[section] = kn.Line
		if isNull(vn) {
			continue
		}
		if vn.Kind != yaml.MappingNode {
			errs = append(errs, at(vn, "%s: want keys such as %q, got %s", section, exampleKey(section), describeNode(vn)))
			continue
		}
		seen := map[string]int{}
		for j := 0; j+1 < len(vn.Content); j += 2 {
			kk, kv := vn.Content[j], deref(vn.Content[j+1])
			full := section + "." + kk.Value
			k, ok := LookupKey(full)
			if !ok {
				errs = append(errs, at(kk, "unknown key %q%s", full, suggest(kk.Value, section)))
				continue
			}
			if line, dup := seen[full]; dup {
				errs = append(errs, at(kk, "%s is already given on line %d", full, line))
				continue
			}
			seen[full] = kk.Line
			v, err := decodeValue(k, kv)
			if err != nil {
				errs = append(errs, at(kv, "%s: %v", full, err))
				continue
			}
			e.set(k, v, fmt.Sprintf("%s%s:%d", sourceFile, path, kk.Line), base)
		}
	}
	return errors.Join(errs...)
}

// deref follows a YAML alias (*name) to the node it names.
func deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n == nil || n.Kind == 0 || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null")
}

func describeNode(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return "nothing"
		case "!!str":
			return strconv.Quote(n.Value)
		}
		return n.Value
	}
	return "something else"
}

// decodeValue reads a scalar node as k's kind, with yaml semantics for
// numbers and booleans and Go duration strings for durations.
func decodeValue(k Key, n *yaml.Node) (any, error) {
	kind := k.Kind()
	if n.Kind != yaml.ScalarNode {
		return nil, fmt.Errorf("want %s, got %s", article(kind), describeNode(n))
	}
	tag := n.ShortTag()
	if tag == "!!null" {
		if kind == String {
			return "", nil
		}
		return nil, fmt.Errorf("want %s, got nothing; delete the line to use the default", article(kind))
	}
	switch kind {
	case Int:
		var v int
		if tag != "!!int" || n.Decode(&v) != nil {
			return nil, fmt.Errorf("want a whole number, got %s", describeNode(n))
		}
		return v, nil
	case Bool:
		var v bool
		if tag != "!!bool" || n.Decode(&v) != nil {
			return nil, fmt.Errorf("want true or false, got %s", describeNode(n))
		}
		return v, nil
	case Duration:
		if tag != "!!str" {
			if tag == "!!int" || tag == "!!float" {
				return nil, fmt.Errorf("want a duration with a unit, such as %sm or %ss", n.Value, n.Value)
			}
			return nil, fmt.Errorf("want a duration such as 90s, 45m or 1h30m, got %s", describeNode(n))
		}
		d, err := parseDuration(n.Value)
		if err != nil {
			return nil, fmt.Errorf("%w, got %q", err, n.Value)
		}
		return d, nil
	default:
		if tag == "!!bool" {
			return nil, fmt.Errorf("want text, got %s; quote it (%q) if you mean the word", n.Value, n.Value)
		}
		// Numbers, dates and the like are text as written: version: 2.60.
		return n.Value, nil
	}
}

func article(k Kind) string {
	switch k {
	case Int:
		return "a whole number"
	case Bool:
		return "true or false"
	case Duration:
		return "a duration such as 45m"
	default:
		return "text"
	}
}

func isSection(name string) bool {
	for _, s := range sections {
		if s.name == name {
			return true
		}
	}
	return false
}

func exampleKey(section string) string {
	for _, k := range keys {
		if k.Section() == section {
			return k.Name() + ":"
		}
	}
	return "key:"
}

// suggest returns a "; did you mean ..." hint for an unknown key: a key in
// the same section whose name is the same but for case, dashes or
// underscores, or a few typed letters; or, at the top level, a key that
// belongs under a section.
func suggest(name, section string) string {
	norm := func(s string) string {
		return strings.ToLower(strings.NewReplacer("-", "", "_", "").Replace(s))
	}
	type cand struct {
		path string
		dist int
	}
	var cands []cand
	if section == "" {
		for _, s := range sections {
			if didyoumean.Distance(norm(name), s.name) <= 1 {
				return fmt.Sprintf("; did you mean %q?", s.name)
			}
		}
	}
	for _, k := range keys {
		if section != "" && k.Section() != section {
			continue
		}
		d := didyoumean.Distance(norm(name), norm(k.Name()))
		if norm(name) == norm(k.Flag) || norm(name) == norm(strings.TrimPrefix(k.Env, "PULLLAB_")) {
			d = 0
		}
		if d <= 2 || (d <= 3 && len(name) > 8) {
			cands = append(cands, cand{k.Path, d})
		}
	}
	if len(cands) == 0 {
		if section == "" {
			return "; the file has two sections, crc: and lab:"
		}
		return ""
	}
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].dist < cands[j].dist })
	if section == "" {
		k, _ := LookupKey(cands[0].path)
		return fmt.Sprintf("; did you mean %q under %s:?", k.Name(), k.Section())
	}
	return fmt.Sprintf("; did you mean %q?", cands[0].path)
}
