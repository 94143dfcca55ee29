package python

import (
	"flag"
	"path/filepath"
	"testing"

	"github.com/org/safe-frontend/lang"
	"github.com/org/safe-frontend/lang/langtest"
	"github.com/org/safe-frontend/spec"
)

var update = flag.Bool("update", false, "rewrite the golden files")

var amd64 = langtest.AMD64

// The plan of examples/python-hello in words: what `safe plan` prints.
func TestPlanGolden(t *testing.T) {
	p, err := (python{}).Plan(langtest.ExampleInput(t, python{}, filepath.Join("..", "..", "examples", "python-hello")))
	if err != nil {
		t.Fatal(err)
	}
	langtest.RequireGoldenPlan(t, p, filepath.Join("testdata", "python-hello.plan"), *update)
}

// Every lock kind plans to valid stages, numbered 1..Steps, each step
// with a reason; a packaged uv project takes /venv after its own install.
func TestPlanShapes(t *testing.T) {
	uvApp := map[string][]byte{"uv.lock": []byte("version = 1\n"), "pyproject.toml": []byte("[project]\nname = 'a'\n")}
	uvPkg := map[string][]byte{"uv.lock": []byte("version = 1\n"), "pyproject.toml": []byte("[project]\nname = 'a'\n[build-system]\nrequires = ['hatchling']\n")}
	for _, tc := range []struct {
		name  string
		files map[string][]byte
		steps int
		venv  string
	}{
		{"requirements", map[string][]byte{"requirements.txt": []byte(pyLock)}, 5, depsStage},
		{"none", map[string][]byte{}, 5, depsStage},
		{"uv app", uvApp, 5, depsStage},
		{"uv package", uvPkg, 6, projectStage},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &spec.Spec{Name: "a", Language: "python", Python: &spec.Python{Module: "a"}}
			p, err := (python{}).Plan(&lang.Input{Spec: s, Files: tc.files, Target: amd64, Build: amd64})
			if err != nil {
				t.Fatal(err)
			}
			if n := langtest.RequirePlanSteps(t, p); n != tc.steps || p.Steps != tc.steps {
				t.Errorf("%d steps, Steps %d, want %d", n, p.Steps, tc.steps)
			}
			if got := p.Final.Layers[0].From.Stage; got != tc.venv {
				t.Errorf("venv layer from %q, want %q", got, tc.venv)
			}
		})
	}
}
