// Package langtest holds what the languages' tests share: the input of an
// example app, a project's files, the golden comparison of a plan's text,
// and the checks every plan's steps must pass. Only tests import it.
package langtest

import (
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/org/safe-frontend/lang"
	"github.com/org/safe-frontend/plan"
	"github.com/org/safe-frontend/spec"
)

// AMD64 is the platform the example plans build on and for.
var AMD64 = ocispecs.Platform{OS: "linux", Architecture: "amd64"}

// ExampleInput is the input of the example app in dir, as the frontend
// would pass it: its spec, the context files l asks for that exist, an
// amd64 build for amd64, a CA secret and a fixed epoch, so the plan's
// text is stable.
func ExampleInput(t *testing.T, l lang.Language, dir string) *lang.Input {
	t.Helper()
	dt, err := os.ReadFile(filepath.Join(dir, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := spec.Parse("Dockerfile", dt)
	if err != nil {
		t.Fatal(err)
	}
	return &lang.Input{Spec: s, Files: ContextFiles(t, dir, l.ContextFiles(s)), Target: AMD64, Build: AMD64,
		CA: "/run/secrets/ca.pem", Epoch: time.Unix(1700000000, 0), SpecFile: "Dockerfile"}
}

// ContextFiles reads the files below dir that the patterns (a language's
// ContextFiles) match, by their slash-separated path relative to dir.
func ContextFiles(t *testing.T, dir string, patterns []string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	for _, pattern := range patterns {
		matches, err := filepath.Glob(filepath.Join(dir, filepath.FromSlash(pattern)))
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range matches {
			dt, err := os.ReadFile(m)
			if err != nil {
				t.Fatal(err)
			}
			rel, _ := filepath.Rel(dir, m)
			files[filepath.ToSlash(rel)] = dt
		}
	}
	return files
}

// TreeFiles reads every file below root, by its slash-separated path
// relative to root: a whole project as a build's context files.
func TreeFiles(t testing.TB, root string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		dt, err := os.ReadFile(p)
		files[filepath.ToSlash(rel)] = dt
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// RequireGoldenPlan checks that p is valid and that its text is the
// golden file's; update rewrites the file instead (go test -update).
func RequireGoldenPlan(t *testing.T, p *plan.Plan, golden string, update bool) {
	t.Helper()
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	got := p.Text()
	if update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (go test -run TestPlanGolden -update creates it)", err)
	}
	if got != string(want) {
		t.Errorf("the plan differs from %s (go test -run TestPlanGolden -update rewrites it):\n%s", golden, got)
	}
}

// RequirePlanSteps checks what the ejected Dockerfile and `safe plan`
// rely on: p is valid, each step has a name and says why it is there, and
// the step numbers cover 1..p.Steps (steps may share one). It returns how
// many steps there are: p.Steps for a plan that shares no numbers.
func RequirePlanSteps(t *testing.T, p *plan.Plan) int {
	t.Helper()
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	n, seen := 0, map[int]bool{}
	for _, st := range p.Stages {
		for _, step := range st.Steps {
			n++
			seen[step.N] = true
			if step.Name == "" || strings.TrimSpace(step.Why) == "" {
				t.Errorf("stage %s: step %d %q has no name or reason", st.Name, step.N, step.Name)
			}
		}
	}
	for i := 1; i <= p.Steps; i++ {
		if !seen[i] {
			t.Errorf("no step has the number %d of 1..%d", i, p.Steps)
		}
	}
	if len(seen) != p.Steps {
		t.Errorf("step numbers %v, want 1..%d", seen, p.Steps)
	}
	return n
}

// Detect runs a language's detection on the project in dir (a directory
// or an fs.FS) and returns the apps it finds.
func Detect(t *testing.T, l lang.Language, fsys fs.FS, name string) ([]*lang.App, error) {
	t.Helper()
	d, ok := l.(lang.Detector)
	if !ok {
		t.Fatalf("%s does not detect projects", l.Name())
	}
	return d.Detect(&lang.Project{FS: fsys, Name: name})
}

// RequireGoldenSpec checks that the spec safe init writes for the one app
// detected in dir is the golden file's (with its comments), and that it
// reads back into the same spec; update rewrites the file instead.
func RequireGoldenSpec(t *testing.T, l lang.Language, dir, golden string, update bool) *lang.App {
	t.Helper()
	apps, err := Detect(t, l, os.DirFS(dir), filepath.Base(dir))
	if err != nil || len(apps) != 1 {
		t.Fatalf("%s: detect: %d apps, %v; want one", dir, len(apps), err)
	}
	got, err := spec.Write(apps[0].Spec, apps[0].Notes)
	if err != nil {
		t.Fatal(err)
	}
	back, err := spec.Parse("Dockerfile", got)
	if err != nil {
		t.Fatalf("the written spec does not parse: %v\n%s", err, got)
	}
	back.Source = nil
	if !reflect.DeepEqual(back, apps[0].Spec) {
		t.Errorf("the written spec reads back as\n%+v\nnot\n%+v", back, apps[0].Spec)
	}
	if update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return apps[0]
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (go test -run TestDetect -update creates it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s: the written spec differs from %s:\n--- got\n%s--- want\n%s", dir, golden, got, want)
	}
	return apps[0]
}
