package lang

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"maps"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/org/safe-frontend/rules"
	"github.com/org/safe-frontend/spec"
)

// ProjectFileChecker is implemented by languages that check the project
// files they read for what no build should take from a context, whatever
// the build: credentials, dependencies outside the context, files too
// large or deep to parse safely, and tool settings that replace the
// compiler or runner. It runs before the language's own checks, which are
// skipped when it refuses a file (a parser is never handed a bomb).
type ProjectFileChecker interface {
	CheckProjectFiles(s *spec.Spec, files map[string][]byte) []ContextFinding
}

// Bounds on a project file's shape: far beyond any real manifest or
// lockfile, well within what a parser handles without blowing up.
const (
	MaxProjectFile    = 16 << 20
	MaxNesting        = 64
	MaxYAMLAliases    = 16
	maxQuotedURLBytes = 64
)

// LineAt is the 1-based line of byte offset off in data.
func LineAt(data []byte, off int) int {
	if off > len(data) {
		off = len(data)
	}
	if off < 0 {
		off = 0
	}
	return bytes.Count(data[:off], []byte("\n")) + 1
}

// LineOf is the line of the first occurrence of needle in data, 0 when it
// does not occur.
func LineOf(data []byte, needle string) int {
	if needle == "" {
		return 0
	}
	i := bytes.Index(data, []byte(needle))
	if i < 0 {
		return 0
	}
	return LineAt(data, i)
}

// LineOfKey is the line of the first line of data that, trimmed, starts
// with one of the prefixes; 0 when none does.
func LineOfKey(data []byte, prefixes ...string) int {
	for n, line := range bytes.Split(data, []byte("\n")) {
		t := bytes.TrimSpace(line)
		for _, p := range prefixes {
			if bytes.HasPrefix(t, []byte(p)) {
				return n + 1
			}
		}
	}
	return 0
}

// secretParamRe names URL query parameters that carry a credential.
var secretParamRe = regexp.MustCompile(`(?i)^(.*[_-])?(token|password|passwd|pwd|secret|auth|apikey|api[_-]key|key|access[_-]token|sig|signature)$`)

// URLHasCredential reports whether a URL written in a project file carries
// a credential: a user:password@ part, a lone user part (a token: pip and
// cargo send it as the user), or a secret-named query parameter. A URL
// that does not parse is judged by its text: "scheme://x@host".
func URLHasCredential(raw string) bool {
	raw = strings.TrimSpace(raw)
	u, err := url.Parse(raw)
	if err != nil {
		m := userinfoRe.FindStringSubmatch(raw)
		return m != nil && (strings.Contains(m[1], ":") || strings.Contains(m[0], "http")) && !placeholderRe.MatchString(m[1])
	}
	if u.User != nil && u.Host != "" {
		// A lone user is a token over http(s) (pip and cargo send it so),
		// but an account name over ssh (git@github.com).
		_, hasPassword := u.User.Password()
		httpToken := u.User.Username() != "" && strings.Contains(u.Scheme, "http")
		if hasPassword || httpToken {
			// A ${VAR} placeholder is filled from the environment, not
			// written down: pip, uv and npm expand those, Maven its
			// ${env.VAR} properties.
			return !placeholderRe.MatchString(u.User.String())
		}
	}
	for k, vs := range u.Query() {
		if secretParamRe.MatchString(k) {
			for _, v := range vs {
				if v != "" && !placeholderRe.MatchString(v) {
					return true
				}
			}
		}
	}
	return false
}

var (
	userinfoRe    = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*://([^/@\s]+)@`)
	placeholderRe = regexp.MustCompile(`^(\$\{[A-Za-z_][A-Za-z0-9_.]*\}|%24%7B[A-Za-z_][A-Za-z0-9_.]*%7D)(:(\$\{[A-Za-z_][A-Za-z0-9_.]*\}|%24%7B[A-Za-z_][A-Za-z0-9_.]*%7D))?$`)
	urlRe         = regexp.MustCompile(`[A-Za-z][A-Za-z0-9+.-]*://[^\s"'<>\]\[]+`)
)

// URLHost is what a message may say about a URL with a credential: its
// host alone, never the credential.
func URLHost(raw string) string {
	if u, err := url.Parse(strings.TrimSpace(raw)); err == nil && u.Host != "" {
		return Truncate(u.Host, maxQuotedURLBytes)
	}
	return "a URL"
}

// URLCredentials finds every URL in a text project file that carries a
// credential and reports each at its line.
func URLCredentials(file string, data []byte, fix string) []ContextFinding {
	var out []ContextFinding
	for _, loc := range urlRe.FindAllIndex(data, -1) {
		u := string(data[loc[0]:loc[1]])
		if URLHasCredential(u) {
			out = append(out, CredentialFinding(file, LineAt(data, loc[0]), "", fmt.Sprintf("the URL of %s carries a credential", URLHost(u)), fix))
		}
	}
	return out
}

// CredentialFinding is a credential in a project file: the value is never
// quoted, only where it is and how to pass it instead.
func CredentialFinding(file string, line int, key, what, fix string) ContextFinding {
	return ContextFinding{Rule: rules.CredentialInProjectFile, Path: "language", File: file, Line: line, Key: key,
		Message: fmt.Sprintf("%s, and the build context is copied into cached layers; remove it from the file and %s", what, fix)}
}

// OutsideContext reports whether a path a project file names, relative to
// the directory dir (context-relative) of that file, resolves outside the
// build context.
func OutsideContext(dir, p string) bool {
	p = strings.ReplaceAll(p, `\`, "/")
	if path.IsAbs(p) || (len(p) >= 2 && p[1] == ':') || strings.HasPrefix(p, "~") {
		return true
	}
	c := path.Clean(path.Join(dir, p))
	return c == ".." || strings.HasPrefix(c, "../")
}

// OutsideFinding is a dependency that resolves outside the context.
func OutsideFinding(file string, line int, key, dep, target string) ContextFinding {
	return ContextFinding{Rule: rules.DependencyOutsideContext, Path: "language", File: file, Line: line, Key: key,
		Message: fmt.Sprintf("dependency %s resolves to %s, outside the build context, which the build cannot see; move it into the context (a workspace member) or depend on a published version",
			Truncate(dep, 80), Truncate(target, 80))}
}

// OverrideFinding is tool configuration that replaces the compiler,
// linker or runner: allowed, but shown so a reviewer sees it.
func OverrideFinding(file string, line int, key, what string) ContextFinding {
	return ContextFinding{Rule: rules.BuildToolOverride, Path: "language", File: file, Line: line, Key: key,
		Message: fmt.Sprintf("%s runs in the build instead of the tool's own; make sure it is meant, or exempt SF604 with a reason", what)}
}

// Format is how a project file is written, for the shape checks.
type Format int

const (
	// FormatText is line-oriented: only the size is bounded.
	FormatText Format = iota
	// FormatJSON and FormatTOML nest with brackets and braces.
	FormatJSON
	FormatTOML
	// FormatYAML nests with brackets, braces and indentation, and may use
	// aliases.
	FormatYAML
	// FormatXML nests elements.
	FormatXML
)

// CheckShape refuses a project file larger or deeper than MaxProjectFile
// and MaxNesting allow, or a YAML file with more than MaxYAMLAliases
// aliases (an alias bomb expands to gigabytes from a few lines).
func CheckShape(file string, data []byte, f Format) *ContextFinding {
	refuse := func(line int, what string) *ContextFinding {
		return &ContextFinding{Rule: rules.ProjectFileTooLarge, Path: "language", File: file, Line: line,
			Message: fmt.Sprintf("%s %s, more than any real manifest or lockfile; regenerate it with its tool", path.Base(file), what)}
	}
	if len(data) > MaxProjectFile {
		return refuse(0, fmt.Sprintf("is %d bytes, over the %d MiB limit", len(data), MaxProjectFile>>20))
	}
	switch f {
	case FormatJSON, FormatTOML, FormatYAML:
		if off, ok := bracketDepth(data, f); !ok {
			return refuse(LineAt(data, off), fmt.Sprintf("nests deeper than %d levels", MaxNesting))
		}
	case FormatXML:
		if off, ok := xmlDepth(data); !ok {
			return refuse(LineAt(data, off), fmt.Sprintf("nests elements deeper than %d levels", MaxNesting))
		}
	}
	if f == FormatYAML {
		if off, n := yamlAliases(data); n > MaxYAMLAliases {
			return refuse(LineAt(data, off), fmt.Sprintf("uses more than %d YAML aliases", MaxYAMLAliases))
		}
	}
	return nil
}

// bracketDepth checks that brackets, braces (and for YAML, indentation
// levels) nest at most MaxNesting deep; off is where they go deeper.
// Quoted strings and (YAML, TOML) comments do not count.
func bracketDepth(data []byte, f Format) (off int, ok bool) {
	yaml, comments := f == FormatYAML, f != FormatJSON
	depth := 0
	var quote byte
	lineStart := true
	for i := 0; i < len(data); i++ {
		c := data[i]
		if quote != 0 {
			switch {
			case c == '\\' && quote == '"':
				i++
			case c == quote || c == '\n':
				quote = 0
			}
			continue
		}
		if yaml && lineStart && c == ' ' {
			n := 0
			for i+n < len(data) && data[i+n] == ' ' {
				n++
			}
			if n > 2*MaxNesting {
				return i, false
			}
			i += n - 1
			lineStart = false
			continue
		}
		lineStart = c == '\n'
		switch c {
		case '"', '\'':
			quote = c
		case '#':
			if !comments {
				continue
			}
			for i < len(data) && data[i] != '\n' {
				i++
			}
			lineStart = true
		case '[', '{':
			if depth++; depth > MaxNesting {
				return i, false
			}
		case ']', '}':
			if depth > 0 {
				depth--
			}
		}
	}
	return 0, true
}

// xmlDepth checks element nesting with the streaming tokenizer, which
// holds only the open elements.
func xmlDepth(data []byte) (off int, ok bool) {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = false
	depth := 0
	for {
		tok, err := d.RawToken()
		if err == io.EOF || err != nil {
			return 0, true // a syntax error is the parser's to report
		}
		switch tok.(type) {
		case xml.StartElement:
			if depth++; depth > MaxNesting {
				return int(d.InputOffset()), false
			}
		case xml.EndElement:
			depth--
		}
	}
}

// yamlAliasRe is an alias where a YAML value or flow item starts.
var yamlAliasRe = regexp.MustCompile(`(^|[\s,\[{:-])\*[^\s,\[\]{}]+`)

// yamlAliases counts aliases outside quotes and comments; off is where
// the limit is passed.
func yamlAliases(data []byte) (off, n int) {
	pos := 0
	for _, line := range bytes.SplitAfter(data, []byte("\n")) {
		for _, loc := range yamlAliasRe.FindAllIndex(stripYAMLQuoted(line), -1) {
			if n++; n == MaxYAMLAliases+1 {
				off = pos + loc[0]
			}
		}
		pos += len(line)
	}
	return off, n
}

// stripYAMLQuoted blanks quoted scalars and comments of one line, so an
// asterisk inside them is not taken for an alias.
func stripYAMLQuoted(line []byte) []byte {
	out := append([]byte(nil), line...)
	var quote byte
	for i, c := range out {
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
			out[i] = ' '
		case c == '"' || c == '\'':
			quote = c
		case c == '#' && (i == 0 || out[i-1] == ' '):
			for j := i; j < len(out); j++ {
				out[j] = ' '
			}
			return out
		}
	}
	return out
}

// Refusal is the first finding that refuses the build outright (an error
// no allow: entry waives), as the error a language's Plan returns for
// callers that skip the checks; nil when there is none.
func Refusal(found []ContextFinding) error {
	for _, f := range found {
		if r, ok := rules.Lookup(f.Rule); ok && r.Severity == rules.Error && !r.Exemptible {
			return &RuleError{Rule: f.Rule, Path: f.Path, Msg: f.Message, File: f.File, Line: f.Line}
		}
	}
	return nil
}

// KeyLine is one `key = value` line of a TOML or INI-like file, with the
// table it is in.
type KeyLine struct {
	Table, Key, Value string
	Line              int
}

// Path is the key's full path: "registries.corp.token".
func (k KeyLine) Path() string {
	if k.Table == "" {
		return k.Key
	}
	return k.Table + "." + k.Key
}

// ScanKeys reads the `key = value` lines of a TOML file (or an .npmrc,
// whose keys have no tables) without a parser: a hostile file cannot make
// it do more than one pass. Quotes around key parts are dropped; values
// are left as written, one line.
func ScanKeys(data []byte) []KeyLine {
	var out []KeyLine
	table := ""
	for n, raw := range bytes.Split(data, []byte("\n")) {
		line := strings.TrimSpace(string(raw))
		switch {
		case line == "" || line[0] == '#' || line[0] == ';':
			continue
		case line[0] == '[':
			end := strings.LastIndex(line, "]")
			if end < 0 {
				continue
			}
			table = unquoteKey(strings.Trim(line[:end+1], "[]"))
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		out = append(out, KeyLine{Table: table, Key: unquoteKey(k), Value: strings.TrimSpace(v), Line: n + 1})
	}
	return out
}

func unquoteKey(k string) string {
	parts := strings.Split(strings.TrimSpace(k), ".")
	for i, p := range parts {
		parts[i] = strings.Trim(strings.TrimSpace(p), `"'`)
	}
	return strings.Join(parts, ".")
}

// Unquote is a one-line TOML or INI value without its quotes.
func Unquote(v string) string {
	v = strings.TrimSpace(v)
	if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') {
		if end := strings.IndexByte(v[1:], v[0]); end >= 0 {
			return v[1 : end+1]
		}
	}
	if i := strings.Index(v, " #"); i >= 0 {
		v = v[:i]
	}
	return strings.TrimSpace(v)
}

// pathKeyRe is a TOML key whose string value is a filesystem path (a
// path dependency, a source directory), also inside inline tables.
var pathKeyRe = regexp.MustCompile(`(?:^|[{,\s])(path|directory|editable|local-registry)\s*=\s*"([^"]*)"`)

// TOMLPathsOutside reports every path a TOML project file names that
// resolves outside the context, relative to dir (context-relative: the
// file's directory for a manifest).
func TOMLPathsOutside(file, dir string, data []byte) []ContextFinding {
	var out []ContextFinding
	for _, kl := range ScanKeys(data) {
		line := kl.Key + " = " + kl.Value
		for _, m := range pathKeyRe.FindAllStringSubmatch(line, -1) {
			if p := m[2]; !strings.Contains(p, "://") && OutsideContext(dir, p) {
				dep := kl.Key
				if dep == m[1] {
					dep = kl.Table
				}
				out = append(out, OutsideFinding(file, kl.Line, kl.Path(), dep, p))
			}
		}
	}
	return out
}

// CheckFiles is the walk every language's CheckProjectFiles makes, in file
// order: first each file's size and nesting (format names its syntax), and
// only when all pass, each file's own checks with the credentials in its
// URLs (fix says where a credential goes instead). A file too large or
// too deep never reaches a parser.
func CheckFiles(files map[string][]byte, format func(name string) Format, fix string, each func(name string, data []byte) []ContextFinding) []ContextFinding {
	names := slices.Sorted(maps.Keys(files))
	var out []ContextFinding
	for _, name := range names {
		if f := CheckShape(name, files[name], format(name)); f != nil {
			out = append(out, *f)
		}
	}
	if len(out) > 0 {
		return out
	}
	for _, name := range names {
		out = append(out, URLCredentials(name, files[name], fix)...)
		out = append(out, each(name, files[name])...)
	}
	return out
}
