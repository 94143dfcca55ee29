package python

import (
	"errors"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/org/safe-frontend/lang"
	"github.com/org/safe-frontend/spec"
)

var update = flag.Bool("update", false, "rewrite the golden files")

var amd64 = ocispecs.Platform{OS: "linux", Architecture: "amd64"}

// exampleInput is an example's spec with the context files it asks for.
func exampleInput(t *testing.T, dir string) *lang.Input {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := spec.Parse("Dockerfile", data)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, f := range (python{}).ContextFiles(s) {
		dt, err := os.ReadFile(filepath.Join(dir, f))
		switch {
		case err == nil:
			files[f] = dt
		case !errors.Is(err, fs.ErrNotExist):
			t.Fatal(err)
		}
	}
	return &lang.Input{Spec: s, Files: files, Target: amd64, Build: amd64, CA: "/run/secrets/ca.pem", SpecFile: "Dockerfile"}
}

// The plan of examples/python-hello in words: what `safe plan` prints.
func TestPlanGolden(t *testing.T) {
	p, err := (python{}).Plan(exampleInput(t, "../../examples/python-hello"))
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	got := p.Text()
	golden := filepath.Join("testdata", "python-hello.plan")
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run: go test ./lang/python -run TestPlanGolden -update)", err)
	}
	if got != string(want) {
		t.Errorf("plan differs from %s (run: go test ./lang/python -run TestPlanGolden -update)\n--- got\n%s", golden, got)
	}
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
			if err := p.Validate(); err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, st := range p.Stages {
				for _, step := range st.Steps {
					n++
					if step.N != n || strings.TrimSpace(step.Why) == "" {
						t.Errorf("step %q: N %d (want %d), why %q", step.Name, step.N, n, step.Why)
					}
				}
			}
			if n != tc.steps || p.Steps != tc.steps {
				t.Errorf("%d steps, Steps %d, want %d", n, p.Steps, tc.steps)
			}
			if got := p.Final.Layers[0].From.Stage; got != tc.venv {
				t.Errorf("venv layer from %q, want %q", got, tc.venv)
			}
		})
	}
}
