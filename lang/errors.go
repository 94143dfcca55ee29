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
}

func (e *RuleError) Error() string {
	r, ok := rules.Lookup(e.Rule)
	if !ok {
		return e.Msg
	}
	return fmt.Sprintf("%s %s: %s (%s)", r.ID, r.Name, e.Msg, r.URL())
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
// refusal shows the spec line that chose the file.
type ContextFinding struct {
	Rule    string // rule ID (package rules)
	Path    string // spec path, e.g. "python/requirements"
	Message string // names the file and line and says what to do
}

// FindingsOf is the finding a planning refusal makes. Errors without a
// rule (a SpecError) are not findings: the conversion reports them at
// their spec line.
func FindingsOf(err error) []ContextFinding {
	var re *RuleError
	if errors.As(err, &re) {
		return []ContextFinding{{Rule: re.Rule, Path: re.Path, Message: re.Msg}}
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
