package lang

import (
	"errors"
	"fmt"

	"github.com/org/safe-frontend/rules"
	"github.com/org/safe-frontend/spec"
)

// RuleError is a refusal found while planning the build from the build
// context (a missing lockfile, a manifest that cannot be read): the rule,
// the spec path the refusal is shown at, and a message that names the file
// and the fix.
type RuleError struct {
	Rule string
	Path string // spec path, e.g. "language" or "rust/package"
	Msg  string
	// File and Line, when set, are the project file and line at fault.
	File string
	Line int
}

func (e *RuleError) Error() string {
	r, ok := rules.Lookup(e.Rule)
	if !ok {
		return e.Msg
	}
	where := ""
	if w := (ContextFinding{File: e.File, Line: e.Line}).Where(); w != "" {
		where = w + ": "
	}
	return fmt.Sprintf("%s%s %s: %s (%s)", where, r.ID, r.Name, e.Msg, r.URL())
}

// RuleErrorf is a finding the planning itself makes (it needs the
// context's files, which the policy does not see).
func RuleErrorf(id, path, format string, args ...any) error {
	return &RuleError{Rule: rules.MustLookup(id).ID, Path: path, Msg: fmt.Sprintf(format, args...)}
}

// SpecError is a planning error about one spec key: the frontend points
// the user at that key's line.
type SpecError struct {
	Path string // spec path, e.g. "node/packageManager"
	Err  error
}

func (e *SpecError) Error() string { return e.Err.Error() }
func (e *SpecError) Unwrap() error { return e.Err }

// ContextFinding is a rule broken by a context file a language read: an
// unpinned requirement, a missing lock. It points at a spec path, so the
// refusal shows the spec line that chose the file; when the fault is in a
// project file, File and Line say where (and Key, the key path in it), and
// the finding is shown there instead.
type ContextFinding struct {
	Rule    string // rule ID (package rules)
	Path    string // spec path, e.g. "python/requirements"
	Message string // says what is wrong and what to do
	File    string // the project file at fault, relative to the context
	Line    int    // its line, 1-based; 0 when not known
	Key     string // the key path in the file, e.g. "registries.corp.token"
}

// Where is "file:line (key)" for a finding in a project file, "" for one
// about the spec.
func (f ContextFinding) Where() string {
	if f.File == "" {
		return ""
	}
	w := f.File
	if f.Line > 0 {
		w += fmt.Sprintf(":%d", f.Line)
	}
	if f.Key != "" {
		w += " (" + f.Key + ")"
	}
	return w
}

// FindingsOf is the finding a planning refusal makes. Errors without a
// rule (a SpecError) are not findings: the conversion reports them at
// their spec line.
func FindingsOf(err error) []ContextFinding {
	var re *RuleError
	if errors.As(err, &re) {
		return []ContextFinding{{Rule: re.Rule, Path: re.Path, Message: re.Msg, File: re.File, Line: re.Line}}
	}
	return nil
}

// SpecPath is the first of paths the spec wrote, else "language": the
// line a message about a setting points at, the most specific first.
func SpecPath(s *spec.Spec, paths ...string) string {
	for _, p := range paths {
		if s.Source.Has(p) {
			return p
		}
	}
	return "language"
}
