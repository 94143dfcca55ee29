package all_test

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/org/safe-frontend/lang"
	_ "github.com/org/safe-frontend/lang/all"
	"github.com/org/safe-frontend/spec"
)

// A monorepo of services: no project at its root, one in each service's
// directory; each is a candidate, named by its directory, and Find takes
// that name; a front-end build is a static site. A project that cannot be
// set up (the root's package.json of tools) is reported beside them.
func TestCandidatesMonorepo(t *testing.T) {
	fsys := fstest.MapFS{
		"README.md":                                    {Data: []byte("# shop\n")},
		"package.json":                                 {Data: []byte(`{"private":true,"devDependencies":{"prettier":"3"}}`)},
		"services/orders/go.mod":                       {Data: []byte("module example.com/orders\n\ngo 1.26\n")},
		"services/orders/main.go":                      {Data: []byte("package main\n")},
		"services/catalog/package.json":                {Data: []byte(`{"name":"catalog","main":"index.js"}`)},
		"services/catalog/index.js":                    {Data: []byte("")},
		"web/package.json":                             {Data: []byte(`{"scripts":{"build":"vite build"},"devDependencies":{"vite":"7"}}`)},
		"services/catalog/node_modules/x/package.json": {Data: []byte(`{"main":"x.js"}`)},
	}
	cs, errs := lang.Candidates(fsys, "shop")
	var ids []string
	for _, c := range cs {
		ids = append(ids, c.ID+"="+c.App.Spec.Language+"@"+c.Dir)
	}
	if got := strings.Join(ids, " "); got != "services/catalog=node@services/catalog services/orders=go@services/orders web=static@web" {
		t.Errorf("candidates: %s", got)
	}
	if len(errs) != 1 || !strings.HasPrefix(errs[0].Error(), "package.json: no file to run") {
		t.Errorf("errors: %v; want the root's tools-only package.json", errs)
	}
	if c, ok := lang.Find(cs, "services/orders/"); !ok || c.App.Spec.Name != "orders" {
		t.Errorf("Find(services/orders/) = %+v, %v", c, ok)
	}
}

// Two languages at one root: the IDs say which is which.
func TestCandidatesTwoLanguages(t *testing.T) {
	fsys := fstest.MapFS{
		"go.mod":       {Data: []byte("module example.com/tool\n")},
		"main.go":      {Data: []byte("package main\n")},
		"package.json": {Data: []byte(`{"main":"server.js"}`)},
	}
	cs, _ := lang.Candidates(fsys, "tool")
	if len(cs) != 2 || cs[0].ID != "go:." || cs[1].ID != "node:." {
		t.Fatalf("candidates %+v; want go:. and node:.", cs)
	}
	if c, ok := lang.Find(cs, "node:."); !ok || c.App.Spec.Language != "node" {
		t.Errorf("Find(node:.) = %+v, %v", c, ok)
	}
}

// FuzzDetect: no project file, however hostile, makes detection panic or
// propose a spec that does not read back.
func FuzzDetect(f *testing.F) {
	f.Add("package.json", []byte(`{"main":"a.js","engines":{"node":">=20"},"workspaces":["*"]}`))
	f.Add("Cargo.toml", []byte("[package]\nname = \"a\"\nrust-version = 1\n[[bin]]\nname = \"b\"\n"))
	f.Add("pyproject.toml", []byte("[project]\nname = \"a\"\nrequires-python = \">=3.9\"\n[project.scripts]\na = \"a:main\"\n"))
	f.Add("pom.xml", []byte("<project><artifactId>a</artifactId><packaging>pom</packaging><modules><module>b</module></modules></project>"))
	f.Add("go.mod", []byte("module a\ngo 1.26\n"))
	f.Add("uv.lock", []byte("[[package]]\nname = 1\n"))
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		fsys := fstest.MapFS{"main.go": {Data: []byte("package main\n")}, "a/Cargo.toml": {Data: data}, "b/pom.xml": {Data: data}}
		if _, ok := lang.CleanRel(name); ok && !strings.HasSuffix(name, "/") {
			fsys[name] = &fstest.MapFile{Data: data}
		}
		cs, _ := lang.Candidates(fsys, "fuzz")
		for _, c := range cs {
			out, err := spec.Write(c.App.Spec, c.App.Notes)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := spec.Parse("Dockerfile", out); err != nil {
				t.Fatalf("the spec for %s does not read back: %v\n%s", c.ID, err, out)
			}
		}
	})
}
