package frontend

import (
	"testing"

	"github.com/pkg/errors"

	"github.com/org/safe-frontend/llbgen"
)

// A language's refusal points at the spec path it names, through any
// wrapping; other conversion errors at the language line.
func TestConvertErrPath(t *testing.T) {
	re := &llbgen.RuleError{Rule: "SF131", Path: "rust/package", Msg: "no such package"}
	if got := llbgen.ErrorPath(errors.Wrap(re, "building rust app"), "language"); got != "rust/package" {
		t.Errorf("wrapped RuleError: %q", got)
	}
	if got := llbgen.ErrorPath(errors.New("boom"), "language"); got != "language" {
		t.Errorf("plain error: %q", got)
	}
	if got := llbgen.ErrorPath(&llbgen.RuleError{Rule: "SF130"}, "language"); got != "language" {
		t.Errorf("RuleError without a path: %q", got)
	}
}
