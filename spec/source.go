package spec

import "fmt"

// Pos is a 1-based line and column in the spec file.
type Pos struct {
	Line int
	Col  int
}

// Range is a span of the spec file; End.Col is one past the last character.
type Range struct {
	Start Pos
	End   Pos
}

// Source is where a spec came from: its file, its bytes and the position of
// every field that was present, keyed by path (see Path).
type Source struct {
	Filename string
	Data     []byte
	// Fields maps a path such as "run/env/LOG_FORMAT" or "allow/0/rule" to
	// the range from the key's start to the value's end. The document root
	// is "".
	Fields map[string]Range
	// Keys maps a path to the range of its key alone (mapping entries only).
	Keys map[string]Range
}

// Range returns the range of path, falling back to its closest present
// ancestor and finally to line 1, so every finding can point somewhere.
func (s *Source) Range(path string) Range {
	if s != nil {
		for p := path; ; p = parent(p) {
			if r, ok := s.Fields[p]; ok {
				return r
			}
			if p == "" {
				break
			}
		}
	}
	return Range{Start: Pos{Line: 1, Col: 1}, End: Pos{Line: 1, Col: 1}}
}

// Has reports whether path was written in the spec.
func (s *Source) Has(path string) bool {
	if s == nil {
		return false
	}
	_, ok := s.Fields[path]
	return ok
}

// Path joins path segments with "/". Map keys may contain dots; a key that
// contains "/" itself (a label such as "a/b") makes its path ambiguous, which
// only matters for the position of a finding, never for its meaning.
func Path(parts ...any) string {
	out := ""
	for i, p := range parts {
		if i > 0 {
			out += "/"
		}
		out += fmt.Sprint(p)
	}
	return out
}

func parent(p string) string {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] == '/' {
			return p[:i]
		}
	}
	return ""
}
