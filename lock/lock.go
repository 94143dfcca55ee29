// Package lock reads and writes base-image lock files: the digest of every
// base image a spec needs, per platform, written by `safe lock` next to the
// spec (`<spec>.lock`). The frontend builds from the locked digests when the
// lock is there, so a rebuild months later uses the same bases.
//
// The format is YAML, one entry per base name and platform, sorted by name
// then platform so a change reads as a small diff in review:
//
//	version: 1
//	bases:
//	  - name: docker.io/library/golang:1.26
//	    platform: linux/amd64
//	    digest: sha256:...
package lock

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"github.com/containerd/platforms"
	"github.com/distribution/reference"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	"go.yaml.in/yaml/v3"
)

// Version is the lock format this package reads and writes.
const Version = 1

// Suffix names the lock of a spec: app.yaml -> app.yaml.lock. A lock per
// spec file, not per directory, so two specs side by side each have theirs.
const Suffix = ".lock"

// MaxSize bounds what is read of a lock: a spec needs a handful of bases.
const MaxSize = 64 << 10

// Name is the lock file name for a spec file name.
func Name(specFile string) string { return specFile + Suffix }

// Entry pins one base image for one platform.
type Entry struct {
	Name     string        `yaml:"name"`     // fully qualified, as the spec resolves it
	Platform string        `yaml:"platform"` // normalized os/arch[/variant]
	Digest   digest.Digest `yaml:"digest"`   // what the registry returned for Name on Platform
	line     int
}

// File is a parsed lock.
type File struct {
	Version int     `yaml:"version"`
	Bases   []Entry `yaml:"bases"`
	// Filename is the lock's name, for errors.
	Filename string `yaml:"-"`
}

// Error is a lock that cannot be used; it names the lock, the entry (by
// line when known) and says how to fix it.
type Error struct {
	File  string
	Line  int
	Entry string // "name (platform)", empty for the whole file
	Msg   string
	Fix   string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.Entry != "" {
		b.WriteString(e.Entry + ": ")
	}
	b.WriteString(e.Msg)
	if e.Fix != "" {
		b.WriteString("; " + e.Fix)
	}
	return b.String()
}

// FixFor is the command that rewrites the lock of spec.
func FixFor(spec string) string {
	return fmt.Sprintf("run `safe lock %s` to pin what is missing (other pins stay) or `safe lock --update %s` to move every base forward", spec, spec)
}

// Parse reads a lock strictly: unknown keys, duplicate keys or entries,
// aliases, names that are not fully qualified, malformed platforms and
// digests are errors. filename is used in errors; spec in the fix.
func Parse(filename, spec string, data []byte) (*File, error) {
	fail := func(line int, entry, format string, args ...any) error {
		return &Error{File: filename, Line: line, Entry: entry, Msg: fmt.Sprintf(format, args...), Fix: "regenerate it: " + FixFor(spec)}
	}
	if len(data) > MaxSize {
		return nil, fail(0, "", "the lock is larger than %d bytes", MaxSize)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fail(0, "", "not valid YAML: %v", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if root.Kind == 0 {
		return nil, fail(0, "", "the lock is empty")
	}
	if n := findAlias(&root); n != nil {
		return nil, fail(n.Line, "", "anchors and aliases are not allowed in a lock")
	}
	f := &File{Filename: filename}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(f); err != nil {
		return nil, fail(0, "", "%v", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if f.Version != Version {
		return nil, fail(keyLine(&root, "version"), "", "version %d is not supported (this frontend reads version %d)", f.Version, Version)
	}
	lines := entryLines(&root)
	seen := map[[2]string]int{}
	for i := range f.Bases {
		e := &f.Bases[i]
		if i < len(lines) {
			e.line = lines[i]
		}
		id := e.String()
		if err := e.validate(); err != nil {
			return nil, fail(e.line, id, "%v", err)
		}
		k := [2]string{e.Name, e.Platform}
		if prev, dup := seen[k]; dup {
			return nil, fail(e.line, id, "listed twice (also at line %d)", prev)
		}
		seen[k] = e.line
	}
	return f, nil
}

func (e *Entry) String() string {
	if e.Platform == "" {
		return e.Name
	}
	return e.Name + " (" + e.Platform + ")"
}

// Line is where the entry starts in the lock (0 when not parsed).
func (e *Entry) Line() int { return e.line }

func (e *Entry) validate() error {
	if e.Name == "" {
		return fmt.Errorf("name is missing")
	}
	named, err := reference.ParseNormalizedNamed(e.Name)
	if err != nil {
		return fmt.Errorf("name %q is not an image reference: %v", e.Name, err)
	}
	if named.String() != e.Name {
		return fmt.Errorf("name %q is not fully qualified; write %q", e.Name, named.String())
	}
	if e.Platform == "" {
		return fmt.Errorf("platform is missing")
	}
	p, err := platforms.Parse(e.Platform)
	if err != nil {
		return fmt.Errorf("platform %q: %v", e.Platform, err)
	}
	if want := FormatPlatform(p); want != e.Platform {
		return fmt.Errorf("platform %q is not in normal form; write %q", e.Platform, want)
	}
	if e.Digest == "" {
		return fmt.Errorf("digest is missing")
	}
	if err := e.Digest.Validate(); err != nil || e.Digest.Algorithm() != digest.SHA256 {
		return fmt.Errorf("digest %q is not a sha256 digest (sha256:<64 hex digits>)", e.Digest)
	}
	return nil
}

// FormatPlatform is the lock's spelling of a platform: normalized
// os/arch[/variant] (linux/arm64, not linux/arm64/v8).
func FormatPlatform(p ocispecs.Platform) string {
	return platforms.Format(platforms.Normalize(p))
}

// Lookup finds the entry for a base name on a platform.
func (f *File) Lookup(name string, p ocispecs.Platform) (Entry, bool) {
	want := FormatPlatform(p)
	for _, e := range f.Bases {
		if e.Name == name && e.Platform == want {
			return e, true
		}
	}
	return Entry{}, false
}

// Names lists the distinct base names the lock pins, sorted.
func (f *File) Names() []string {
	var out []string
	for _, e := range f.Bases {
		out = append(out, e.Name)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Sort puts the entries in the written order: by name, then platform.
func (f *File) Sort() {
	slices.SortFunc(f.Bases, func(a, b Entry) int {
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		return strings.Compare(a.Platform, b.Platform)
	})
}

// Marshal writes the lock in its stable form, with a header saying what it
// is and how to update it. The output depends only on the entries.
func (f *File) Marshal(spec string) ([]byte, error) {
	out := File{Version: Version, Bases: slices.Clone(f.Bases)}
	out.Sort()
	for _, e := range out.Bases {
		if err := e.validate(); err != nil {
			return nil, fmt.Errorf("%s: %w", e.String(), err)
		}
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "# Base images of %s, pinned by digest. Written by `safe lock %s`;\n", spec, spec)
	fmt.Fprintf(&b, "# the build uses these digests while this file sits next to the spec.\n")
	fmt.Fprintf(&b, "# Move them forward with `safe lock --update %s` and review the diff.\n", spec)
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(out); err != nil {
		return nil, fmt.Errorf("encoding the lock: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encoding the lock: %w", err)
	}
	return b.Bytes(), nil
}

func findAlias(n *yaml.Node) *yaml.Node {
	if n.Kind == yaml.AliasNode || n.Anchor != "" {
		return n
	}
	for _, c := range n.Content {
		if a := findAlias(c); a != nil {
			return a
		}
	}
	return nil
}

func topMapping(root *yaml.Node) *yaml.Node {
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 && root.Content[0].Kind == yaml.MappingNode {
		return root.Content[0]
	}
	return nil
}

func keyLine(root *yaml.Node, key string) int {
	m := topMapping(root)
	if m == nil {
		return 0
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i].Line
		}
	}
	return 0
}

// entryLines is the line of every item of `bases:`, in order.
func entryLines(root *yaml.Node) []int {
	m := topMapping(root)
	if m == nil {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == "bases" && m.Content[i+1].Kind == yaml.SequenceNode {
			var out []int
			for _, item := range m.Content[i+1].Content {
				out = append(out, item.Line)
			}
			return out
		}
	}
	return nil
}

// Unused lists the entries whose base the spec no longer names (needed
// holds every base name the spec needs, on any platform).
func (f *File) Unused(needed []string) []Entry {
	var out []Entry
	for _, e := range f.Bases {
		if !slices.Contains(needed, e.Name) {
			out = append(out, e)
		}
	}
	return out
}
