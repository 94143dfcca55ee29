package java

import (
	"flag"
	"path/filepath"
	"testing"

	"github.com/org/safe-frontend/lang"
	"github.com/org/safe-frontend/lang/langtest"
)

var update = flag.Bool("update", false, "rewrite the golden plan files")

// TestPlanGolden: the plan of examples/java-hello, in words.
func TestPlanGolden(t *testing.T) {
	p, err := java{}.Plan(langtest.ExampleInput(t, java{}, filepath.Join("..", "..", "examples", "java-hello")))
	if err != nil {
		t.Fatal(err)
	}
	langtest.RequireGoldenPlan(t, p, filepath.Join("testdata", "java-hello.plan"), *update)
}

// TestPlanSteps: every step has its number and reason, for jlink and for
// the JRE.
func TestPlanSteps(t *testing.T) {
	for _, runtime := range []string{"jlink", "jre"} {
		t.Run(runtime, func(t *testing.T) {
			s := javaSpec()
			s.Java.Runtime = runtime
			p, err := java{}.Plan(&lang.Input{Spec: s, Files: javaFiles(t, "multi"), Target: langtest.AMD64, Build: langtest.AMD64})
			if err != nil {
				t.Fatal(err)
			}
			langtest.RequirePlanSteps(t, p)
		})
	}
}
