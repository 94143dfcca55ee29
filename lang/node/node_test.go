package node

import (
	"errors"
	"flag"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/org/safe-frontend/lang"
	"github.com/org/safe-frontend/lang/langtest"
	"github.com/org/safe-frontend/plan"
	"github.com/org/safe-frontend/spec"
)

var update = flag.Bool("update", false, "rewrite golden files")

// The optional interfaces: a method that drifts from one would silently
// never be called.
var (
	_ lang.Planner        = node{}
	_ lang.ContextChecker = node{}
	_ lang.StepExplainer  = node{}
)

var (
	amd64 = langtest.AMD64
	arm64 = ocispecs.Platform{OS: "linux", Architecture: "arm64"}
)

const helloPkg = `{
  "name": "node-hello",
  "version": "1.0.0",
  "main": "server.js",
  "scripts": {"build": "tsc", "start": "node server.js"},
  "dependencies": {"express": "^5.3.0"},
  "devDependencies": {"prettier": "^3.10.1"}
}`

const helloLock = `{
  "name": "node-hello",
  "lockfileVersion": 3,
  "packages": {
    "": {"name": "node-hello", "dependencies": {"express": "^5.3.0"}, "devDependencies": {"prettier": "^3.10.1"}},
    "node_modules/express": {"version": "5.3.0"},
    "node_modules/prettier": {"version": "3.10.1", "dev": true}
  }
}`

func helloSpec() *spec.Spec {
	return &spec.Spec{Name: "node-hello", Version: "1.0.0", Language: "node",
		Node: &spec.Node{Version: "22", Main: "server.js"}}
}

func helloFiles() map[string][]byte {
	return map[string][]byte{"package.json": []byte(helloPkg), "package-lock.json": []byte(helloLock)}
}

// planFor plans a build on amd64 for target.
func planFor(s *spec.Spec, files map[string][]byte, target ocispecs.Platform) (*plan.Plan, error) {
	return node{}.Plan(&lang.Input{Spec: s, Files: files, Target: target, Build: amd64,
		CA: "/run/secrets/ca.pem", Epoch: time.Unix(1700000000, 0), SpecFile: "Dockerfile"})
}

func mustPlan(t *testing.T, s *spec.Spec, files map[string][]byte, target ocispecs.Platform) *plan.Plan {
	t.Helper()
	p, err := planFor(s, files, target)
	if err != nil {
		t.Fatalf("Plan: %v", err)
	}
	if err := p.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	return p
}

// The plan of examples/node-hello, in words (-update rewrites it).
func TestPlanGolden(t *testing.T) {
	p, err := node{}.Plan(langtest.ExampleInput(t, node{}, filepath.Join("..", "..", "examples", "node-hello")))
	if err != nil {
		t.Fatal(err)
	}
	langtest.RequireGoldenPlan(t, p, filepath.Join("testdata", "node-hello.plan"), *update)
}

// Every step says why it is there, for the ejected Dockerfile.
func TestPlanStepsSayWhy(t *testing.T) {
	s := helloSpec()
	s.Node.Build = "build"
	p := mustPlan(t, s, helloFiles(), arm64)
	if n := langtest.RequirePlanSteps(t, p); n != p.Steps || n != 6 {
		t.Errorf("%d steps, plan says %d, want 6", n, p.Steps)
	}
}

func TestImages(t *testing.T) {
	s := helloSpec()
	l := node{}
	if got := l.BuilderImage(s); got != "docker.io/library/node:22-trixie" {
		t.Errorf("builder %s", got)
	}
	if got, ok := l.FinalImage(s, "distroless"); !ok || got != "gcr.io/distroless/nodejs22-debian13:nonroot" {
		t.Errorf("final %s %v", got, ok)
	}
	s.Node.Version = "24.1.0"
	if got, _ := l.FinalImage(s, "distroless"); got != "gcr.io/distroless/nodejs24-debian13:nonroot" {
		t.Errorf("final for 24.1.0: %s", got)
	}
	for _, f := range []string{"scratch", "distroless-base"} {
		if _, ok := l.FinalImage(s, f); ok {
			t.Errorf("final %s accepted for node", f)
		}
	}
	s.Node.Workspace = "apps/api"
	if files := l.ContextFiles(s); !slices.Contains(files, "apps/api/package.json") || !slices.Contains(files, "pnpm-lock.yaml") {
		t.Errorf("context files %v", files)
	}
	s.Node.Workspace = "../../etc"
	if files := l.ContextFiles(s); slices.ContainsFunc(files, func(f string) bool { return strings.Contains(f, "..") }) {
		t.Errorf("context files climb out: %v", files)
	}
}

// errorPath is the spec path a planning error points at.
func errorPath(err error) string {
	var se *lang.SpecError
	if errors.As(err, &se) {
		return se.Path
	}
	var re *lang.RuleError
	if errors.As(err, &re) {
		return re.Path
	}
	return "?"
}
