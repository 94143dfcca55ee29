package llbgen

import "github.com/org/safe-frontend/lang"

// RuleError is a refusal found while planning the build (see lang).
type RuleError = lang.RuleError

// SpecError is a conversion error about one spec key (see lang).
type SpecError = lang.SpecError

// ContextFinding is a rule broken by a context file (see lang).
type ContextFinding = lang.ContextFinding

// ruleError is lang.RuleErrorf, for the languages still in this package.
func ruleError(id, path, format string, args ...any) error {
	return lang.RuleErrorf(id, path, format, args...)
}

// findingsOf is lang.FindingsOf.
func findingsOf(err error) []ContextFinding { return lang.FindingsOf(err) }
