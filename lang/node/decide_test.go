package node

import (
	"slices"
	"strings"
	"testing"

	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/org/safe-frontend/spec"
)

func TestRefusals(t *testing.T) {
	pkgNoMain := `{"name":"x","dependencies":{"express":"^5.3.0"}}`
	for _, tc := range []struct {
		name  string
		edit  func(s *spec.Spec)
		files map[string][]byte
		want  []string
		path  string
	}{
		{"no package.json", nil, map[string][]byte{}, []string{"no package.json"}, "language"},
		{"no lockfile", nil, map[string][]byte{"package.json": []byte(helloPkg)}, []string{"SF110", "no lockfile"}, "language"},
		{"no lockfile for the pinned manager", func(s *spec.Spec) { s.Node.PackageManager = "pnpm" }, helloFiles(), []string{"SF110", "pnpm-lock.yaml"}, "language"},
		{"two lockfiles", nil, map[string][]byte{"package.json": []byte(helloPkg), "package-lock.json": []byte(helloLock), "yarn.lock": []byte("")},
			[]string{"several package managers", "yarn (yarn.lock)"}, "language"},
		{"no main", func(s *spec.Spec) { s.Node.Main = "" }, map[string][]byte{"package.json": []byte(pkgNoMain), "package-lock.json": []byte(helloLock)}, []string{"SF114"}, "language"},
		{"main escapes", func(s *spec.Spec) { s.Node.Main = "../x.js" }, helloFiles(), []string{"SF401"}, "language"},
		{"unknown build script", func(s *spec.Spec) { s.Node.Build = "compile" }, helloFiles(), []string{`"compile"`, "build, start"}, "language"},
		{"lock drift", nil, map[string][]byte{"package.json": []byte(strings.Replace(helloPkg, `"express": "^5.3.0"`, `"express": "^5.3.0", "ms": "2.1.3"`, 1)), "package-lock.json": []byte(helloLock)},
			[]string{"SF111", `"ms" is in package.json but not in the lockfile`, "npm install"}, "language"},
		{"bad package.json", nil, map[string][]byte{"package.json": []byte("{\n  \"main\": 5\n}"), "package-lock.json": []byte(helloLock)}, []string{"package.json:2", "main must be a string"}, "language"},
		{"broken lockfile", nil, map[string][]byte{"package.json": []byte(helloPkg), "package-lock.json": []byte("{\n\n,")}, []string{"SF111", "package-lock.json:3"}, "language"},
		{"bad packageManager", nil, map[string][]byte{"package.json": []byte(`{"main":"a.js","packageManager":"pnpm@latest"}`), "pnpm-lock.yaml": []byte("")}, []string{`"pnpm@latest"`}, "language"},
		{"manager disagrees", func(s *spec.Spec) { s.Node.PackageManager = "yarn" }, map[string][]byte{"package.json": []byte(`{"main":"a.js","packageManager":"pnpm@12.4.2"}`), "yarn.lock": []byte("")}, []string{"make them agree"}, "language"},
		{"yarn berry plug'n'play", nil, map[string][]byte{"package.json": []byte(`{"main":"a.js","packageManager":"yarn@4.5.0"}`), "yarn.lock": []byte("")}, []string{"nodeLinker: node-modules"}, "language"},
		{"workspace without workspaces", func(s *spec.Spec) { s.Node.Workspace = "apps/api" }, map[string][]byte{"package.json": []byte(helloPkg), "package-lock.json": []byte(helloLock), "apps/api/package.json": []byte(`{"main":"a.js"}`)}, []string{"declares no \"workspaces\""}, "language"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := helloSpec()
			if tc.edit != nil {
				tc.edit(s)
			}
			_, err := planFor(s, tc.files, amd64)
			if err == nil {
				t.Fatal("planned")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if p := errorPath(err); p != tc.path {
				t.Errorf("error path %q, want %q", p, tc.path)
			}
		})
	}
}

func TestCrossRefusesNativeAddons(t *testing.T) {
	files := helloFiles()
	files["package-lock.json"] = []byte(strings.Replace(helloLock, `"node_modules/express": {"version": "5.3.0"}`,
		`"node_modules/express": {"version": "5.3.0"}, "node_modules/bcrypt": {"version": "5.1.1", "hasInstallScript": true}`, 1))
	if _, err := planFor(helloSpec(), files, amd64); err != nil {
		t.Fatalf("native build refused: %v", err)
	}
	_, err := planFor(helloSpec(), files, arm64)
	if err == nil || !strings.Contains(err.Error(), "SF113") || !strings.Contains(err.Error(), "bcrypt") {
		t.Fatalf("cross build with a native addon: %v", err)
	}
	if f := (node{}).CheckContext(helloSpec(), files, true); len(f) != 1 || f[0].Rule != "SF113" {
		t.Errorf("context check of a cross build: %+v", f)
	}
}

func TestExplainStepFailure(t *testing.T) {
	s := helloSpec()
	msg := `process "/bin/sh -c ... ` + installMarker + ` npm ci" did not complete successfully: exit code: 111`
	m, p, ok := node{}.ExplainStepFailure(s, helloFiles(), msg, exitLockfileOutOfSync)
	if !ok || !strings.Contains(m, "SF111") || !strings.Contains(m, "package-lock.json does not match package.json") || p != "language" {
		t.Errorf("explained %v %q %q", ok, m, p)
	}
	if _, _, ok := (node{}).ExplainStepFailure(s, helloFiles(), `process "npm run build" did not complete successfully: exit code: 111`, 111); ok {
		t.Error("an app's own exit code 111 was taken for the lockfile check")
	}
}

func TestAppExcludesWorkspace(t *testing.T) {
	d := &decision{workspace: "apps/api"}
	if ex := d.appExcludes("Dockerfile"); !slices.Contains(ex, "apps/api/Dockerfile") || !slices.Contains(ex, "Dockerfile") {
		t.Errorf("workspace excludes %q", ex)
	}
}

// Hostile manifests: never a panic, always an error or a valid plan.
func FuzzNodeManifests(f *testing.F) {
	f.Add([]byte(helloPkg), []byte(helloLock))
	f.Add([]byte(`{"workspaces":{"packages":["a/*"]},"main":"x"}`), []byte(`{"lockfileVersion":1}`))
	f.Add([]byte(`{"packageManager":"yarn@4.5.0+sha512.abc","main":"../../x"}`), []byte(`[]`))
	f.Fuzz(func(t *testing.T, pkg, lock []byte) {
		s := helloSpec()
		s.Node.Main = ""
		for _, target := range []ocispecs.Platform{amd64, arm64} {
			files := map[string][]byte{"package.json": pkg, "package-lock.json": lock}
			p, err := planFor(s, files, target)
			if err != nil {
				continue
			}
			if err := p.Validate(); err != nil {
				t.Fatalf("invalid plan: %v", err)
			}
			_ = p.Text()
		}
	})
}
