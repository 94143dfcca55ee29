package frontend

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/errdefs"

	"github.com/org/safe-frontend/policy"
)

func sourceMap(t *testing.T, data string) *llb.SourceMap {
	t.Helper()
	st := llb.Local("dockerfile")
	def, err := st.Marshal(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	sm := llb.NewSourceMap(&st, "app.yaml", SourceLanguage, []byte(data))
	sm.Definition = def
	return sm
}

const refused = "# syntax=org/safe-frontend:1\nname: bad\nversion: one\nlanguage: go\nrun:\n  port: 80\n  env:\n    DB_PASSWORD: hunter2\n"

func TestRefuseCarriesEverySpecLine(t *testing.T) {
	sm := sourceMap(t, refused)
	_, report := policy.Lint("app.yaml", []byte(refused))
	err := refuse(sm, report)
	if err == nil {
		t.Fatal("a spec with a privileged port and a literal password was not refused")
	}
	var lines []int32
	for _, s := range errdefs.Sources(err) {
		if s.Info.Filename != "app.yaml" {
			t.Errorf("source file %q", s.Info.Filename)
		}
		lines = append(lines, s.Ranges[0].Start.Line)
	}
	for _, want := range []int32{6, 8} {
		if !slices.Contains(lines, want) {
			t.Errorf("error sources at lines %v, want line %d", lines, want)
		}
	}
	for _, want := range []string{"SF204", "SF301", "docs/rules/SF204.md", "line 6", "line 8"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "SF505") {
		t.Errorf("a warning was reported as a refusal: %v", err)
	}
}

func TestLintStatusFollowsSeverity(t *testing.T) {
	for _, tc := range []struct {
		name, spec, status string
		findings           int
	}{
		{"errors", refused, "1", 5}, // SF204, SF205, SF208, SF301, SF505
		{"warning only", "name: w\nversion: one\nlanguage: go\n", "0", 1},
		{"clean", "name: ok\nversion: 1.0.0\nlanguage: go\n", "0", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sm := sourceMap(t, tc.spec)
			_, report := policy.Lint("app.yaml", []byte(tc.spec))
			res, err := lintResult(sm, report)
			if err != nil {
				t.Fatal(err)
			}
			if got := string(res.Metadata["result.statuscode"]); got != tc.status {
				t.Errorf("status = %s, want %s", got, tc.status)
			}
			var out struct {
				Warnings []struct {
					RuleName string
					URL      string
				}
			}
			if err := json.Unmarshal(res.Metadata["result.json"], &out); err != nil {
				t.Fatal(err)
			}
			if len(out.Warnings) != tc.findings {
				t.Errorf("%d findings, want %d: %s", len(out.Warnings), tc.findings, res.Metadata["result.json"])
			}
			for _, w := range out.Warnings {
				if !strings.HasPrefix(w.RuleName, "SF") || !strings.HasPrefix(w.URL, "https://") {
					t.Errorf("finding %+v lacks a rule ID or URL", w)
				}
			}
		})
	}
}

func TestContextExcludes(t *testing.T) {
	got := contextExcludes([]string{"node_modules"}, []string{"config/.env.example"})
	if got[0] != "node_modules" {
		t.Errorf(".dockerignore patterns must come first: %v", got)
	}
	for _, want := range []string{".git", "!config/.env.example"} {
		if !slices.Contains(got, want) {
			t.Errorf("excludes %v lack %q", got, want)
		}
	}
	if slices.Index(got, "!config/.env.example") < slices.Index(got, ".git") {
		t.Errorf("an include must come after the excludes it overrides: %v", got)
	}
}

// A finding in a project file is refused and linted at its file and line,
// not at a spec line that never mentions it.
func TestProjectFileFindingsNameTheirFile(t *testing.T) {
	const spec = "# syntax=org/safe-frontend:1\nname: app\nlanguage: python\npython:\n  main: app.py\n"
	sm := sourceMap(t, spec)
	sp, report := policy.Lint("app.yaml", []byte(spec))
	found := policy.CheckContext(report, sp, map[string][]byte{"requirements.txt": []byte("--index-url https://ci:s3cret@pypi.example.com/simple\nflask==3.0.3\n")}, false)
	if len(found) != 1 {
		t.Fatalf("findings %+v", found)
	}
	err := refuse(sm, &policy.Report{Filename: "app.yaml", Findings: found})
	if err == nil || !strings.Contains(err.Error(), "the project files were refused (1 error(s)):\n  requirements.txt:1: SF601 CredentialInProjectFile: ") {
		t.Fatalf("refusal: %v", err)
	}
	if len(errdefs.Sources(err)) != 0 {
		t.Errorf("the refusal points at a spec line: %v", errdefs.Sources(err))
	}
	res := lintResults(sm, report)
	if len(res.Warnings) != 1 || !strings.HasPrefix(res.Warnings[0].Detail, "[error] requirements.txt:1: ") {
		t.Errorf("--check: %+v", res.Warnings)
	}
	for _, text := range []string{err.Error(), res.Warnings[0].Detail, res.Error.Message} {
		if strings.Contains(text, "s3cret") {
			t.Errorf("the credential is quoted: %s", text)
		}
	}
}
