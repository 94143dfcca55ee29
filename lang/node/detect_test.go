package node

import (
	"os"
	"testing"
	"testing/fstest"

	"github.com/org/safe-frontend/lang"
	"github.com/org/safe-frontend/lang/langtest"
)

// An Express app as its authors have it: the start script's file, the
// PORT default and /health from the sources, engines and the labels from
// package.json.
func TestDetectExpress(t *testing.T) {
	langtest.RequireGoldenSpec(t, node{}, "testdata/init/express", "testdata/init/express.yaml", *update)
}

// A Vite app is a front-end build: refused with what it is, not given a
// spec that would run vite's sources under node.
func TestDetectFrontEnd(t *testing.T) {
	apps, err := langtest.Detect(t, node{}, os.DirFS("testdata/init/vite"), "vite")
	if len(apps) != 0 || !lang.IsNotSupported(err) {
		t.Fatalf("detect a Vite app: %d apps, %v; want a front-end refusal", len(apps), err)
	}
}

// The node version: .nvmrc first, then engines.node, then the default; a
// lower bound the default meets gives the default.
func TestDetectNodeVersion(t *testing.T) {
	for _, tc := range []struct {
		files map[string]string
		want  string
	}{
		{map[string]string{".nvmrc": "v20.11.1\n"}, "20"},
		{map[string]string{".node-version": "24\n"}, "24"},
		{map[string]string{".nvmrc": "lts/*\n"}, DefaultVersion},
		{map[string]string{"package.json": `{"main":"a.js","engines":{"node":"^20.10.0"}}`}, "20"},
		{map[string]string{"package.json": `{"main":"a.js","engines":{"node":">=18"}}`}, DefaultVersion},
		{map[string]string{}, DefaultVersion},
	} {
		fsys := fstest.MapFS{"package.json": {Data: []byte(`{"main":"a.js"}`)}, "a.js": {Data: []byte("")}}
		for k, v := range tc.files {
			fsys[k] = &fstest.MapFile{Data: []byte(v)}
		}
		apps, err := langtest.Detect(t, node{}, fsys, "app")
		if err != nil || len(apps) != 1 || apps[0].Spec.Node.Version != tc.want {
			t.Errorf("%v: %v, %v; want node %s", tc.files, apps, err, tc.want)
		}
	}
}

// The entry: package.json main, else the start script's file; a file the
// build script makes sets node.build; a PORT with no default gets a port
// and run.env sets it.
func TestDetectNodeEntry(t *testing.T) {
	for _, tc := range []struct {
		pkg, file, src, main, build string
		port                        int
		env                         bool
	}{
		{`{"main":"srv.js"}`, "srv.js", "", "srv.js", "", 0, false},
		{`{"scripts":{"start":"node --enable-source-maps ./bin/www.js"}}`, "bin/www.js", "", "bin/www.js", "", 0, false},
		{`{"scripts":{"start":"node dist/main.js","build":"tsc"},"dependencies":{"fastify":"5"}}`, "src/main.ts", "", "dist/main.js", "build", 3000, false},
		{`{"main":"a.js"}`, "a.js", "server.listen(process.env.PORT)\n", "a.js", "", lang.DefaultPort, true},
		{`{"main":"a.js","dependencies":{"fastify":"5"}}`, "a.js", "await app.listen({ port: process.env.PORT })\n", "a.js", "", 3000, true},
		{`{"main":"a.js","dependencies":{"express":"5","koa":"3"}}`, "a.js", "app.listen(port)\n", "a.js", "", 3000, false},
	} {
		fsys := fstest.MapFS{"package.json": {Data: []byte(tc.pkg)}, tc.file: {Data: []byte(tc.src)}}
		apps, err := langtest.Detect(t, node{}, fsys, "app")
		if err != nil || len(apps) != 1 {
			t.Fatalf("%s: %v, %v", tc.pkg, apps, err)
		}
		s := apps[0].Spec
		if s.Node.Main != tc.main || s.Node.Build != tc.build || s.Run.Port != tc.port || (s.Run.Env["PORT"] != "") != tc.env {
			t.Errorf("%s: main %q build %q port %d env %v; want %q %q %d %v", tc.pkg, s.Node.Main, s.Node.Build, s.Run.Port, s.Run.Env, tc.main, tc.build, tc.port, tc.env)
		}
	}
}

// A workspace (package.json "workspaces" or pnpm-workspace.yaml): one app
// for each package that runs, with node.workspace; libraries, which other
// packages of the workspace depend on, are left out.
func TestDetectNodeWorkspace(t *testing.T) {
	packages := fstest.MapFS{
		"apps/api/package.json":      {Data: []byte(`{"name":"api","main":"index.js","dependencies":{"express":"5","@acme/util":"1.0.0"}}`)},
		"apps/api/index.js":          {Data: []byte("app.listen(8081)\n")},
		"apps/jobs/package.json":     {Data: []byte(`{"name":"jobs","scripts":{"start":"node worker.js"}}`)},
		"apps/jobs/worker.js":        {Data: []byte("")},
		"packages/util/package.json": {Data: []byte(`{"name":"@acme/util","main":"index.js"}`)},
		"packages/util/index.js":     {Data: []byte("")},
	}
	for name, root := range map[string]fstest.MapFS{
		"npm":  {"package.json": {Data: []byte(`{"private":true,"workspaces":["apps/*","packages/*"],"engines":{"node":"24"}}`)}},
		"pnpm": {"package.json": {Data: []byte(`{"private":true,"engines":{"node":"24"}}`)}, "pnpm-workspace.yaml": {Data: []byte("packages:\n  - apps/*\n  - packages/*\n  - '!**/test/**'\n")}},
	} {
		fsys := fstest.MapFS{}
		for k, v := range packages {
			fsys[k] = v
		}
		for k, v := range root {
			fsys[k] = v
		}
		apps, err := langtest.Detect(t, node{}, fsys, "mono")
		if err != nil || len(apps) != 2 {
			t.Fatalf("%s: %v, %v; want api and jobs", name, apps, err)
		}
		if a := apps[0]; a.ID != "apps/api" || a.Spec.Node.Workspace != "apps/api" || a.Spec.Run.Port != 8081 || a.Spec.Node.Version != "24" {
			t.Errorf("%s: api: %+v %+v", name, a, a.Spec.Node)
		}
		if a := apps[1]; a.ID != "apps/jobs" || a.Spec.Node.Main != "worker.js" {
			t.Errorf("%s: jobs: %+v %+v", name, a, a.Spec.Node)
		}
	}
}
