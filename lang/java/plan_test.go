package java

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/org/safe-frontend/lang"
	"github.com/org/safe-frontend/spec"
)

var update = flag.Bool("update", false, "rewrite the golden plan files")

// TestPlanGolden: the plan of examples/java-hello, in words.
func TestPlanGolden(t *testing.T) {
	dir := filepath.Join("..", "..", "examples", "java-hello")
	dt, err := os.ReadFile(filepath.Join(dir, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := spec.Parse("Dockerfile", dt)
	if err != nil {
		t.Fatal(err)
	}
	pom, err := os.ReadFile(filepath.Join(dir, "pom.xml"))
	if err != nil {
		t.Fatal(err)
	}
	amd64 := ocispecs.Platform{OS: "linux", Architecture: "amd64"}
	p, err := java{}.Plan(&lang.Input{Spec: s, Files: map[string][]byte{"pom.xml": pom}, Target: amd64, Build: amd64,
		CA: "/run/secrets/ca.pem", Epoch: time.Unix(1700000000, 0), SpecFile: "Dockerfile"})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	got := p.Text()
	golden := filepath.Join("testdata", "java-hello.plan")
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("the plan differs from %s (go test -update rewrites it):\n%s", golden, got)
	}
}

// TestPlanSteps: every step has its reason, and the numbers cover
// 1..Steps, for jlink and for the JRE.
func TestPlanSteps(t *testing.T) {
	amd64 := ocispecs.Platform{OS: "linux", Architecture: "amd64"}
	for _, runtime := range []string{"jlink", "jre"} {
		s := javaSpec()
		s.Java.Runtime = runtime
		p, err := java{}.Plan(&lang.Input{Spec: s, Files: javaFiles(t, "multi"), Target: amd64, Build: amd64})
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("%s: %v", runtime, err)
		}
		seen := map[int]bool{}
		for _, st := range p.Stages {
			for _, step := range st.Steps {
				seen[step.N] = true
				if step.Why == "" || step.Name == "" {
					t.Errorf("%s: stage %s, step %d has no name or reason", runtime, st.Name, step.N)
				}
			}
		}
		if len(seen) != p.Steps {
			t.Errorf("%s: step numbers %v, want 1..%d", runtime, seen, p.Steps)
		}
	}
}
