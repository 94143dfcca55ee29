// Package ci holds CI configurations for building a spec; this test checks
// the GitLab file's structure (actionlint checks the GitHub workflow in
// make lint) and that both do every supply-chain step.
package ci

import (
	"os"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// gitlabKeywords are top-level keys that are not jobs.
var gitlabKeywords = []string{"stages", "variables", "default", "include", "workflow", "image", "services", "cache", "before_script", "after_script"}

type gitlabJob struct {
	Stage   string   `yaml:"stage"`
	Extends string   `yaml:"extends"`
	Needs   []string `yaml:"needs"`
	Script  []string `yaml:"script"`
}

func TestGitLabCI(t *testing.T) {
	dt, err := os.ReadFile("gitlab-ci.yml")
	if err != nil {
		t.Fatal(err)
	}
	var top map[string]yaml.Node
	if err := yaml.Unmarshal(dt, &top); err != nil {
		t.Fatalf("gitlab-ci.yml: %v", err)
	}
	var stages []string
	if n, ok := top["stages"]; !ok {
		t.Fatal("gitlab-ci.yml declares no stages")
	} else if err := n.Decode(&stages); err != nil {
		t.Fatal(err)
	}
	jobs := map[string]gitlabJob{}
	for name, n := range top {
		if slices.Contains(gitlabKeywords, name) {
			continue
		}
		var j gitlabJob
		if err := n.Decode(&j); err != nil {
			t.Fatalf("job %s: %v", name, err)
		}
		jobs[name] = j
	}
	for name, j := range jobs {
		if strings.HasPrefix(name, ".") {
			continue
		}
		if !slices.Contains(stages, j.Stage) {
			t.Errorf("job %s: stage %q is not one of %v", name, j.Stage, stages)
		}
		if len(j.Script) == 0 && (j.Extends == "" || len(jobs[j.Extends].Script) == 0) {
			t.Errorf("job %s has no script", name)
		}
		if j.Extends != "" {
			if _, ok := jobs[j.Extends]; !ok {
				t.Errorf("job %s extends %q, which is not defined", name, j.Extends)
			}
		}
		for _, n := range j.Needs {
			if _, ok := jobs[n]; !ok {
				t.Errorf("job %s needs %q, which is not defined", name, n)
			}
		}
	}
	if len(jobs) < 4 {
		t.Errorf("jobs = %v", jobs)
	}
}

// TestBothDoEveryStep: lint, build with SBOM and provenance, the registry
// cache, signing by digest, verification and the SBOM scan, in both files.
func TestBothDoEveryStep(t *testing.T) {
	for file, wants := range map[string][]string{
		"github-actions.yml": {"buildx build --check", "sbom: true", "provenance: mode=max", "mode=max", "SOURCE_DATE_EPOCH=$(git log -1 --format=%ct)", `cosign sign --yes "$IMAGE@$DIGEST"`, "cosign verify", "scan-type: sbom"},
		"gitlab-ci.yml":      {"buildx build --check", "--sbom=true --provenance=mode=max", "mode=max", "SOURCE_DATE_EPOCH=$(git log -1 --format=%ct)", `cosign sign --yes "$CI_REGISTRY_IMAGE@$DIGEST"`, "cosign verify", "trivy", "sbom --severity"},
	} {
		dt, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range wants {
			if !strings.Contains(string(dt), w) {
				t.Errorf("%s does not contain %q", file, w)
			}
		}
		if strings.Contains(string(dt), ":latest") {
			t.Errorf("%s uses a :latest image", file)
		}
	}
}
