package static

import (
	"errors"
	"flag"
	"path/filepath"
	"strings"
	"testing"

	"github.com/org/safe-frontend/lang"
	"github.com/org/safe-frontend/lang/langtest"
	"github.com/org/safe-frontend/rules"
	"github.com/org/safe-frontend/spec"
)

var update = flag.Bool("update", false, "rewrite the golden plan files")

// TestPlanGolden: the plans of the two static fixtures, a directory of the
// context and a Vite build, in words.
func TestPlanGolden(t *testing.T) {
	for _, name := range []string{"static-public", "static-vite"} {
		t.Run(name, func(t *testing.T) {
			in := langtest.ExampleInput(t, static{}, filepath.Join("..", "..", "integration", "testdata", name))
			p, err := static{}.Plan(in)
			if err != nil {
				t.Fatal(err)
			}
			langtest.RequireGoldenPlan(t, p, filepath.Join("testdata", name+".plan"), *update)
			if n := langtest.RequirePlanSteps(t, p); n != p.Steps {
				t.Errorf("%d steps numbered, the plan says %d", n, p.Steps)
			}
		})
	}
}

func parse(t *testing.T, doc string) *spec.Spec {
	t.Helper()
	s, err := spec.Parse("Dockerfile", []byte("# syntax=org/safe-frontend:1\nname: site\nlanguage: static\n"+doc))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// The settings reach the server's command line; the whole context as the
// site leaves the build's own files out.
func TestServerArgs(t *testing.T) {
	s := parse(t, "static:\n  root: .\n  spa: true\n  notFound: /errors/404.html\n  csp: \"default-src 'none'\"\nrun:\n  port: 9090\n  health: {http: /ready}\n")
	p, err := static{}.Plan(&lang.Input{Spec: s, Target: langtest.AMD64, Build: langtest.AMD64, SpecFile: "site.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(p.Final.Entrypoint, " ")
	want := "/usr/sbin/safe-static -root=/srv/www -listen=:9090 -health=/ready -spa -not-found=errors/404.html -csp=default-src 'none'"
	if got != want {
		t.Errorf("entrypoint\n got %s\nwant %s", got, want)
	}
	if text := p.Text(); !strings.Contains(text, `"-exclude" ".dockerignore,site.yaml,site.yaml.dockerignore"`) {
		t.Errorf("the spec file is not left out of a site at the context's root:\n%s", text)
	}
}

// Settings the plan cannot build from are refused at their key.
func TestPlanRefuses(t *testing.T) {
	for _, tc := range []struct{ doc, path, msg string }{
		{"static:\n  spa: true\n", "static", "needs static.root"},
		{"", "language", "needs static.root"},
		{"static:\n  root: ../x\n", "static/root", "inside the build context"},
		{"static:\n  root: public\n  build: {script: build, output: dist}\n", "static/root", "keep exactly one"},
		{"static:\n  build: {script: build, output: ../dist}\n", "static/build/output", "inside the package"},
	} {
		s := parse(t, tc.doc)
		files := map[string][]byte{"package.json": []byte(`{"scripts":{"build":"vite build"}}`), "package-lock.json": []byte(`{"lockfileVersion":3,"packages":{"":{}}}`)}
		_, err := static{}.Plan(&lang.Input{Spec: s, Files: files, Target: langtest.AMD64, Build: langtest.AMD64, SpecFile: "Dockerfile"})
		var se *lang.SpecError
		if err == nil || !strings.Contains(err.Error(), tc.msg) || !asSpecError(err, &se) || se.Path != tc.path {
			t.Errorf("%q: %v (path %v), want %q at %s", tc.doc, err, se, tc.msg, tc.path)
		}
	}
}

// A front-end build has the Node app's lockfile rules and script check.
func TestFrontEndChecks(t *testing.T) {
	s := parse(t, "static:\n  build:\n    script: bundle\n    output: dist\n")
	findings := static{}.CheckContext(s, map[string][]byte{"package.json": []byte(`{"scripts":{"build":"vite build"}}`)}, false)
	if len(findings) != 1 || findings[0].Rule != rules.MustLookup(rules.NoLockfile).ID {
		t.Errorf("no lockfile: %+v", findings)
	}
	files := map[string][]byte{"package.json": []byte(`{"scripts":{"build":"vite build"}}`), "package-lock.json": []byte(`{"lockfileVersion":3,"packages":{"":{}}}`)}
	_, err := static{}.Plan(&lang.Input{Spec: s, Files: files, Target: langtest.AMD64, Build: langtest.AMD64})
	var se *lang.SpecError
	if err == nil || !strings.Contains(err.Error(), `static.build.script names the script "bundle"`) || !asSpecError(err, &se) || se.Path != "static/build/script" {
		t.Errorf("unknown script: %v", err)
	}
}

func asSpecError(err error, target **lang.SpecError) bool { return errors.As(err, target) }
