package golang

import (
	"testing"
	"testing/fstest"

	"github.com/org/safe-frontend/lang"
	"github.com/org/safe-frontend/lang/langtest"
)

// A service as its authors have it: the release of go.mod's toolchain
// line, the one main package, the PORT default and the health route from
// the sources (not from the tests).
func TestDetectService(t *testing.T) {
	langtest.RequireGoldenSpec(t, golang{}, "testdata/init/service", "testdata/init/service.yaml", *update)
}

// Several main packages: one app each, named by its directory; no main
// package is refused with what to do; no go.mod is no Go project.
func TestDetectMains(t *testing.T) {
	fsys := fstest.MapFS{
		"go.mod":                {Data: []byte("module example.com/shop\n\ngo 1.26\n")},
		"cmd/api/main.go":       {Data: []byte("package main\n\nfunc main() {}\n")},
		"cmd/worker/main.go":    {Data: []byte("// Command worker.\npackage main // the worker\n")},
		"internal/db/db.go":     {Data: []byte("package db\n")},
		"tools/gen/gen_test.go": {Data: []byte("package main\n")},
	}
	apps, err := langtest.Detect(t, golang{}, fsys, "shop")
	if err != nil || len(apps) != 2 {
		t.Fatalf("%v, %v; want api and worker", apps, err)
	}
	for i, want := range []string{"api", "worker"} {
		if a := apps[i]; a.ID != "cmd/"+want || a.Spec.Name != want || a.Spec.Go.Main != "./cmd/"+want || a.Spec.Go.Version != "1.26" {
			t.Errorf("app %d: %s %s %+v", i, a.ID, a.Spec.Name, a.Spec.Go)
		}
	}
	delete(fsys, "cmd/api/main.go")
	delete(fsys, "cmd/worker/main.go")
	if apps, err := langtest.Detect(t, golang{}, fsys, "shop"); len(apps) != 0 || !lang.IsNotSupported(err) {
		t.Errorf("a module without a main package: %v, %v", apps, err)
	}
	if apps, err := langtest.Detect(t, golang{}, fstest.MapFS{"main.go": {Data: []byte("package main\n")}}, "x"); len(apps) != 0 || err != nil {
		t.Errorf("no go.mod: %v, %v", apps, err)
	}
}
