package llbgen

import (
	"github.com/pkg/errors"

	"github.com/org/safe-frontend/spec"
)

// planChecker is implemented by languages that plan the build from the
// context files (package manifests, lockfiles) and refuse while planning:
// --check runs the plan alone to report those refusals without building.
type planChecker interface {
	checkPlan(s *spec.Spec, files map[string][]byte) error
}

// PlanFindings is what planning the spec's build from the context files
// refuses with a rule (a missing lockfile, a stale one), as findings.
func PlanFindings(s *spec.Spec, files map[string][]byte) []ContextFinding {
	l, ok := Lookup(s.Language)
	if !ok {
		return nil
	}
	pc, ok := l.(planChecker)
	if !ok {
		return nil
	}
	var re *RuleError
	if err := pc.checkPlan(s, files); errors.As(err, &re) {
		return []ContextFinding{{Rule: re.Rule, Path: re.Path, Message: re.Msg}}
	}
	return nil
}

func (node) checkPlan(s *spec.Spec, files map[string][]byte) error {
	_, err := planNode(s, files, false)
	return err
}

func (rust) checkPlan(s *spec.Spec, files map[string][]byte) error {
	var cfg spec.Rust
	if s.Rust != nil {
		cfg = *s.Rust
	}
	_, err := planCargo(files, cfg.Package, cfg.Bin, "language")
	return err
}
