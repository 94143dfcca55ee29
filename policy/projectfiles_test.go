package policy

import (
	"bufio"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/org/safe-frontend/lang/langtest"
	"github.com/org/safe-frontend/rules"
)

// projectsDir holds one build context per hostile or broken project file:
// the spec (Dockerfile) and the files, listed with the finding each must
// produce in cases.tsv.
const projectsDir = "../testdata/projects/bad"

// plantedToken is the credential the cases plant; no message may quote it.
const plantedToken = "PLANTEDs3cr3tTOKEN42"

type projectCase struct {
	where           string // cases.tsv:line
	dir, rule, file string
	line            int
}

func readProjectCases(t *testing.T) []projectCase {
	t.Helper()
	f, err := os.Open(filepath.Join(projectsDir, "cases.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []projectCase
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		cols := strings.Split(sc.Text(), "\t")
		if n == 1 || len(cols) == 1 && cols[0] == "" {
			continue
		}
		line, err := strconv.Atoi(cols[len(cols)-1])
		if len(cols) != 4 || err != nil {
			t.Fatalf("cases.tsv:%d: want case, rule, file, line: %q", n, sc.Text())
		}
		out = append(out, projectCase{where: "cases.tsv:" + strconv.Itoa(n), dir: cols[0], rule: cols[1], file: cols[2], line: line})
	}
	if len(out) == 0 {
		t.Fatal("cases.tsv lists no case")
	}
	return out
}

// readProject is a case's spec and the other files of its context.
func readProject(t *testing.T, dir string) ([]byte, map[string][]byte) {
	t.Helper()
	root := filepath.Join(projectsDir, dir)
	files := langtest.TreeFiles(t, root)
	specData, ok := files["Dockerfile"]
	if !ok {
		t.Fatalf("%s has no Dockerfile", root)
	}
	delete(files, "Dockerfile")
	return specData, files
}

// Each case's finding names its rule, file and line; an error refuses
// the build; no message quotes the planted credential.
func TestProjectFileCases(t *testing.T) {
	for _, c := range readProjectCases(t) {
		t.Run(c.dir+"/"+c.rule, func(t *testing.T) {
			specData, files := readProject(t, c.dir)
			s, r := Lint("Dockerfile", specData)
			if s == nil {
				t.Fatalf("%s: the spec does not parse: %v", c.where, r.Err())
			}
			found := CheckContext(r, s, files, false)
			var got []string
			hit := false
			for _, f := range found {
				text := f.Format("Dockerfile")
				got = append(got, "  "+text)
				if strings.Contains(text, plantedToken) {
					t.Errorf("%s: a message quotes the credential: %s", c.where, text)
				}
				if len(text) > 600 {
					t.Errorf("%s: message of %d bytes: %s", c.where, len(text), text)
				}
				hit = hit || f.Rule.ID == c.rule && f.File == c.file && f.Line == c.line
			}
			if !hit {
				t.Fatalf("%s: want %s at %s:%d; got:\n%s", c.where, c.rule, c.file, c.line, strings.Join(got, "\n"))
			}
			err := r.Err()
			if rules.MustLookup(c.rule).Severity == rules.Error && err == nil {
				t.Fatalf("%s: %s does not refuse the build", c.where, c.rule)
			}
			if err != nil && strings.Contains(err.Error(), plantedToken) {
				t.Errorf("%s: the refusal quotes the credential: %v", c.where, err)
			}
		})
	}
}

// Every case directory is listed, and each class of project-file rule has
// a case in every language that reads such files.
func TestProjectFileCasesComplete(t *testing.T) {
	listed := map[string]bool{}
	byLang := map[string]map[string]bool{}
	for _, c := range readProjectCases(t) {
		listed[c.dir] = true
		specData, _ := readProject(t, c.dir)
		s, _ := Lint("Dockerfile", specData)
		if s == nil {
			continue
		}
		if byLang[s.Language] == nil {
			byLang[s.Language] = map[string]bool{}
		}
		byLang[s.Language][c.rule] = true
	}
	dirs, _ := os.ReadDir(projectsDir)
	for _, d := range dirs {
		if d.IsDir() && !listed[d.Name()] {
			t.Errorf("%s/%s is in no row of cases.tsv", projectsDir, d.Name())
		}
	}
	for _, l := range []string{"node", "python", "rust", "java"} {
		for _, id := range []string{rules.CredentialInProjectFile, rules.DependencyOutsideContext, rules.ProjectFileTooLarge} {
			if !byLang[l][id] {
				t.Errorf("no %s case shows %s", l, id)
			}
		}
	}
	for _, l := range []string{"node", "rust", "java"} {
		if !byLang[l][rules.BuildToolOverride] {
			t.Errorf("no %s case shows %s", l, rules.BuildToolOverride)
		}
	}
}

// The examples and the integration tests' projects are real projects:
// none of them holds anything the project-file rules refuse or warn about.
func TestProjectFileRulesSilentOnRealProjects(t *testing.T) {
	dirs, _ := filepath.Glob("../examples/*/Dockerfile")
	more, _ := filepath.Glob("../integration/testdata/*/Dockerfile")
	dirs = append(dirs, more...)
	if len(dirs) < 10 {
		t.Fatalf("want the examples and the integration projects, found %d", len(dirs))
	}
	projectRules := map[string]bool{rules.CredentialInProjectFile: true, rules.DependencyOutsideContext: true,
		rules.ProjectFileTooLarge: true, rules.BuildToolOverride: true}
	for _, spec := range dirs {
		root := filepath.Dir(spec)
		specData, err := os.ReadFile(spec)
		if err != nil {
			t.Fatal(err)
		}
		files := map[string][]byte{}
		_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() && (d.Name() == "node_modules" || d.Name() == "target") {
				return fs.SkipDir
			}
			if !d.IsDir() && p != spec {
				rel, _ := filepath.Rel(root, p)
				files[filepath.ToSlash(rel)], _ = os.ReadFile(p)
			}
			return nil
		})
		if !strings.HasPrefix(string(specData), "# syntax=org/safe-frontend") {
			continue // a Dockerfile the tests build a stand-in with
		}
		s, r := Lint(spec, specData)
		if s == nil {
			t.Fatalf("%s does not parse: %v", spec, r.Err())
		}
		for _, f := range CheckContext(r, s, files, false) {
			if projectRules[f.Rule.ID] {
				t.Errorf("%s: %s", root, f.Format(spec))
			}
		}
	}
}
