package llbgen

import (
	"fmt"

	"github.com/org/safe-frontend/rules"
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
