package llbgen

import "github.com/org/safe-frontend/lang"

// RuleError is a refusal found while planning the build (see lang).
type RuleError = lang.RuleError

// SpecError is a conversion error about one spec key (see lang).
type SpecError = lang.SpecError

// ContextFinding is a rule broken by a context file (see lang).
type ContextFinding = lang.ContextFinding

// FindingsOf is the finding a refusal makes, nil for other errors (see
// lang).
func FindingsOf(err error) []ContextFinding { return lang.FindingsOf(err) }
