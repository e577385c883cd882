package config

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Setting is one key's effective value and where it came from.
type Setting struct {
	Key Key
	// Value is a string, int, bool or time.Duration.
	Value any
	// Text is Value as a user writes it ("45m" for durations).
	Text string
	// Source is where the value came from (see Effective.Sources).
	Source string
}

// Settings lists every key's effective value and source, in file order.
func (e *Effective) Settings() []Setting {
	out := make([]Setting, 0, len(keys))
	for _, k := range keys {
		v := k.Value(&e.Config)
		out = append(out, Setting{Key: k, Value: v, Text: FormatValue(v), Source: e.Sources[k.Path]})
	}
	return out
}

// yamlValue is v as it is written in pulllab.yaml: durations as strings.
func yamlValue(v any) any {
	if d, ok := v.(time.Duration); ok {
		return FormatDuration(d)
	}
	return v
}

// yamlScalar renders v as a YAML scalar (quoted when YAML needs it).
func yamlScalar(v any) string {
	b, err := yaml.Marshal(yamlValue(v))
	if err != nil {
		panic(fmt.Sprintf("config: marshalling %v: %v", v, err))
	}
	return strings.TrimSuffix(string(b), "\n")
}

const templateHeader = `pulllab.yaml: settings for pulllab, written by 'pulllab init'.

Every setting is optional. Each "# key: value" line below shows the
default; remove the "# " in front of a key to change its value. Values in
this file are overridden by PULLLAB_* environment variables, and those by
command-line flags. 'pulllab config view' shows the values in force and
where each came from.

Durations are Go duration strings: 90s, 45m, 1h30m. In a path, ~ is your
home directory, and a relative path is relative to this file's directory.`

// Template returns the commented pulllab.yaml that `pulllab init` writes:
// every key with its explanation, its flag, its environment variable and
// its default, commented out so that the defaults of a newer pulllab apply
// until the user changes a value. It loads back to BuiltIn().
func Template() []byte {
	var b bytes.Buffer
	comment(&b, "", templateHeader)
	for _, s := range sections {
		b.WriteString("\n")
		comment(&b, "", s.doc)
		fmt.Fprintf(&b, "%s:\n", s.name)
		first := true
		def := BuiltIn()
		for _, k := range keys {
			if k.Section() != s.name {
				continue
			}
			if !first {
				b.WriteString("\n")
			}
			first = false
			text := sentence(k.Usage())
			if k.Doc != "" {
				text += " " + k.Doc
			}
			comment(&b, "  ", text)
			comment(&b, "  ", fmt.Sprintf("Flag --%s, environment variable %s.", k.Flag, k.Env))
			fmt.Fprintf(&b, "  # %s: %s\n", k.Name(), yamlScalar(k.Value(&def)))
		}
	}
	return b.Bytes()
}

// sentence capitalises s and ends it with a full stop.
func sentence(s string) string {
	if s == "" {
		return s
	}
	s = strings.ToUpper(s[:1]) + s[1:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

// comment writes text as "# " lines wrapped at 76 columns; blank lines in
// text become "#" lines.
func comment(b *bytes.Buffer, indent, text string) {
	const width = 76
	for _, para := range strings.Split(text, "\n") {
		words := strings.Fields(para)
		if len(words) == 0 {
			b.WriteString(indent + "#\n")
			continue
		}
		line := indent + "#"
		for _, w := range words {
			if len(line)+1+len(w) > width && line != indent+"#" {
				b.WriteString(line + "\n")
				line = indent + "#"
			}
			line += " " + w
		}
		b.WriteString(line + "\n")
	}
}

// YAML renders the effective settings as a pulllab.yaml, each value with
// its source as a line comment. The output loads back to the same values.
func (e *Effective) YAML() ([]byte, error) {
	root := &yaml.Node{Kind: yaml.MappingNode}
	for _, s := range sections {
		sec := &yaml.Node{Kind: yaml.MappingNode}
		for _, k := range keys {
			if k.Section() != s.name {
				continue
			}
			var v yaml.Node
			if err := v.Encode(yamlValue(k.Value(&e.Config))); err != nil {
				return nil, fmt.Errorf("encoding %s: %w", k.Path, err)
			}
			v.LineComment = e.Sources[k.Path]
			sec.Content = append(sec.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: k.Name()}, &v)
		}
		root.Content = append(root.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: s.name}, sec)
	}
	head := "Effective pulllab settings; each comment is where the value came from."
	if e.File != "" {
		head += "\nConfig file: " + e.File
	}
	doc := &yaml.Node{Kind: yaml.DocumentNode, HeadComment: head, Content: []*yaml.Node{root}}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("encoding settings: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encoding settings: %w", err)
	}
	return b.Bytes(), nil
}

// MarkdownTable documents every setting: its key in pulllab.yaml, flag,
// environment variable, default and meaning, as a Markdown section.
func MarkdownTable() string {
	var b strings.Builder
	b.WriteString("# SETTINGS\n\n")
	b.WriteString("Settings come from, lowest precedence first: the defaults, the config file " +
		"(`--config FILE` or `$PULLLAB_CONFIG`, else `./pulllab.yaml` when present), " +
		"`PULLLAB_*` environment variables (an empty variable counts as unset), and the flags " +
		"of the command that uses them. `pulllab init` writes a commented config file; " +
		"`pulllab config view` shows the values in force and where each came from. " +
		"An unknown key or a value of the wrong type in the file is an error that names its line.\n\n")
	b.WriteString("| Key in pulllab.yaml | Flag | Environment variable | Default | Meaning |\n")
	b.WriteString("|---|---|---|---|---|\n")
	def := BuiltIn()
	for _, k := range keys {
		flag := "`--" + k.Flag + "`"
		for _, a := range k.Aliases {
			flag += ", `-" + a + "`"
		}
		d := k.Text(&def)
		if d == "" {
			d = "(none)"
		} else {
			d = "`" + d + "`"
		}
		meaning := sentence(k.Usage())
		if k.Doc != "" {
			meaning += " " + k.Doc
		}
		fmt.Fprintf(&b, "| `%s` | %s | `%s` | %s | %s |\n", k.Path, flag, k.Env, d, strings.ReplaceAll(meaning, "|", `\|`))
	}
	return b.String()
}
