package golang

import (
	"flag"
	"path/filepath"
	"testing"

	"github.com/org/safe-frontend/lang/langtest"
)

var update = flag.Bool("update", false, "rewrite the golden plan files")

// TestPlanGolden: the plan of examples/go-hello, in words.
func TestPlanGolden(t *testing.T) {
	p, err := golang{}.Plan(langtest.ExampleInput(t, golang{}, filepath.Join("..", "..", "examples", "go-hello")))
	if err != nil {
		t.Fatal(err)
	}
	langtest.RequireGoldenPlan(t, p, filepath.Join("testdata", "go-hello.plan"), *update)
	if n := langtest.RequirePlanSteps(t, p); n != p.Steps {
		t.Errorf("%d steps numbered, the plan says %d", n, p.Steps)
	}
}
