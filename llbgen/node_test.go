package llbgen

import (
	"slices"
	"strings"
	"testing"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/org/safe-frontend/sbom"
	"github.com/org/safe-frontend/spec"
)

const nodeHelloPkg = `{
  "name": "node-hello",
  "version": "1.0.0",
  "main": "server.js",
  "scripts": {"build": "tsc", "start": "node server.js"},
  "dependencies": {"express": "^5.3.0"},
  "devDependencies": {"prettier": "^3.10.1"}
}`

const nodeHelloLock = `{
  "name": "node-hello",
  "lockfileVersion": 3,
  "packages": {
    "": {"name": "node-hello", "dependencies": {"express": "^5.3.0"}, "devDependencies": {"prettier": "^3.10.1"}},
    "node_modules/express": {"version": "5.3.0"},
    "node_modules/prettier": {"version": "3.10.1", "dev": true}
  }
}`

func nodeSpec() *spec.Spec {
	return &spec.Spec{
		Name:     "node-hello",
		Version:  "1.0.0",
		Language: "node",
		Node:     &spec.Node{Version: "22", Main: "server.js"},
		Run: spec.Run{
			Args:   []string{"--listen=:8080"},
			Port:   8080,
			Health: &spec.Health{HTTP: "/healthz"},
		},
	}
}

func nodeFiles() map[string][]byte {
	return map[string][]byte{"package.json": []byte(nodeHelloPkg), "package-lock.json": []byte(nodeHelloLock)}
}

func nodeInput(s *spec.Spec, files map[string][]byte, target ocispecs.Platform) *Input {
	in := testInput(s, target)
	in.Files = files
	nodeImg := &dockerspec.DockerOCIImage{}
	nodeImg.Config.Env = []string{"PATH=/usr/local/bin:/usr/bin:/bin", "NODE_VERSION=22.23.3"}
	in.Bases[RoleBuilder] = Base{Name: "docker.io/library/node:22-trixie", Digest: goDigest,
		State: llb.Image("docker.io/library/node:22-trixie@"+goDigest.String(), llb.Platform(amd64)), Image: nodeImg}
	fin := in.Bases[RoleFinal]
	fin.Name = "gcr.io/distroless/nodejs22-debian13:nonroot"
	fin.State = llb.Image("gcr.io/distroless/nodejs22-debian13:nonroot@"+finalDigest.String(), llb.Platform(target))
	in.Bases[RoleFinal] = fin
	return in
}

func TestNodeImages(t *testing.T) {
	s := nodeSpec()
	l, _ := Lookup("node")
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

func TestNodeConvertDeterministic(t *testing.T) {
	for _, build := range []string{"", "build"} {
		s := nodeSpec()
		s.Node.Build = build
		requireDeterministic(t, func() *Input { return nodeInput(s, nodeFiles(), amd64) })
	}
}

func TestNodeConvertGolden(t *testing.T) {
	for _, tc := range []struct {
		name   string
		build  string
		target ocispecs.Platform
	}{
		{"node-hello-npm-amd64", "", amd64},
		{"node-hello-npm-build-arm64", "build", arm64},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := nodeSpec()
			s.Node.Build = tc.build
			requireGolden(t, tc.name, nodeInput(s, nodeFiles(), tc.target))
		})
	}
}

func TestNodeImageConfig(t *testing.T) {
	_, res := marshal(t, nodeInput(nodeSpec(), nodeFiles(), amd64))
	c := res.Image.Config
	if want := []string{InitPath, "--", "/nodejs/bin/node", "/app/server.js"}; !slices.Equal(c.Entrypoint, want) {
		t.Errorf("Entrypoint %v, want %v", c.Entrypoint, want)
	}
	if c.WorkingDir != "/app" || !slices.Contains(c.Env, "NODE_ENV=production") || c.User != DefaultUser {
		t.Errorf("WorkingDir %q Env %v User %q", c.WorkingDir, c.Env, c.User)
	}
	if len(res.SBOM) == 0 || res.SBOM[0].Kind != "npm-lock" || res.SBOM[0].Path != "/app/node_modules/.package-lock.json" {
		t.Errorf("SBOM %+v", res.SBOM)
	}
}

// A source edit must not touch the installs: they only see the manifests.
func TestNodeInstallIgnoresSources(t *testing.T) {
	def, _ := marshal(t, nodeInput(nodeSpec(), nodeFiles(), amd64))
	install := vertexByName(t, def, "--omit=dev")
	manifests := vertexByName(t, def, "copy package.json package-lock.json")
	md := def.Metadata[manifests]
	if md.Description == nil || install == "" {
		t.Fatal("missing vertices")
	}
	// The manifest copy includes only the manifests.
	d := dump(t, def)
	if !strings.Contains(d, "[node 1/2] copy package.json package-lock.json") || !strings.Contains(d, `"--omit=dev"`) {
		t.Errorf("plan:\n%s", d)
	}
}

func TestNodePlanRefusals(t *testing.T) {
	pkgNoMain := `{"name":"x","dependencies":{"express":"^5.3.0"}}`
	for _, tc := range []struct {
		name  string
		edit  func(s *spec.Spec)
		files map[string][]byte
		want  []string
		path  string
	}{
		{"no package.json", nil, map[string][]byte{}, []string{"no package.json"}, "language"},
		{"no lockfile", nil, map[string][]byte{"package.json": []byte(nodeHelloPkg)}, []string{"SF110", "no lockfile"}, "language"},
		{"no lockfile for the pinned manager", func(s *spec.Spec) { s.Node.PackageManager = "pnpm" }, nodeFiles(), []string{"SF110", "pnpm-lock.yaml"}, "language"},
		{"two lockfiles", nil, map[string][]byte{"package.json": []byte(nodeHelloPkg), "package-lock.json": []byte(nodeHelloLock), "yarn.lock": []byte("")},
			[]string{"several package managers", "yarn (yarn.lock)"}, "language"},
		{"no main", func(s *spec.Spec) { s.Node.Main = "" }, map[string][]byte{"package.json": []byte(pkgNoMain), "package-lock.json": []byte(nodeHelloLock)}, []string{"SF114"}, "language"},
		{"main escapes", func(s *spec.Spec) { s.Node.Main = "../x.js" }, nodeFiles(), []string{"SF401"}, "language"},
		{"unknown build script", func(s *spec.Spec) { s.Node.Build = "compile" }, nodeFiles(), []string{`"compile"`, "build, start"}, "language"},
		{"lock drift", nil, map[string][]byte{"package.json": []byte(strings.Replace(nodeHelloPkg, `"express": "^5.3.0"`, `"express": "^5.3.0", "ms": "2.1.3"`, 1)), "package-lock.json": []byte(nodeHelloLock)},
			[]string{"SF111", `"ms" is in package.json but not in the lockfile`, "npm install"}, "language"},
		{"bad package.json", nil, map[string][]byte{"package.json": []byte("{\n  \"main\": 5\n}"), "package-lock.json": []byte(nodeHelloLock)}, []string{"package.json:2", "main must be a string"}, "language"},
		{"broken lockfile", nil, map[string][]byte{"package.json": []byte(nodeHelloPkg), "package-lock.json": []byte("{\n\n,")}, []string{"SF111", "package-lock.json:3"}, "language"},
		{"bad packageManager", nil, map[string][]byte{"package.json": []byte(`{"main":"a.js","packageManager":"pnpm@latest"}`), "pnpm-lock.yaml": []byte("")}, []string{`"pnpm@latest"`}, "language"},
		{"manager disagrees", func(s *spec.Spec) { s.Node.PackageManager = "yarn" }, map[string][]byte{"package.json": []byte(`{"main":"a.js","packageManager":"pnpm@12.4.2"}`), "yarn.lock": []byte("")}, []string{"make them agree"}, "language"},
		{"yarn berry plug'n'play", nil, map[string][]byte{"package.json": []byte(`{"main":"a.js","packageManager":"yarn@4.5.0"}`), "yarn.lock": []byte("")}, []string{"nodeLinker: node-modules"}, "language"},
		{"workspace without workspaces", func(s *spec.Spec) { s.Node.Workspace = "apps/api" }, map[string][]byte{"package.json": []byte(nodeHelloPkg), "package-lock.json": []byte(nodeHelloLock), "apps/api/package.json": []byte(`{"main":"a.js"}`)}, []string{"declares no \"workspaces\""}, "language"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := nodeSpec()
			if tc.edit != nil {
				tc.edit(s)
			}
			_, err := Convert(nodeInput(s, tc.files, amd64))
			if err == nil {
				t.Fatal("converted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if p := ErrorPath(err, "?"); p != tc.path {
				t.Errorf("error path %q, want %q", p, tc.path)
			}
		})
	}
}

func TestNodeCrossRefusesNativeAddons(t *testing.T) {
	files := nodeFiles()
	files["package-lock.json"] = []byte(strings.Replace(nodeHelloLock, `"node_modules/express": {"version": "5.3.0"}`,
		`"node_modules/express": {"version": "5.3.0"}, "node_modules/bcrypt": {"version": "5.1.1", "hasInstallScript": true}`, 1))
	if _, err := Convert(nodeInput(nodeSpec(), files, amd64)); err != nil {
		t.Fatalf("native build refused: %v", err)
	}
	_, err := Convert(nodeInput(nodeSpec(), files, arm64))
	if err == nil || !strings.Contains(err.Error(), "SF113") || !strings.Contains(err.Error(), "bcrypt") {
		t.Fatalf("cross build with a native addon: %v", err)
	}
}

func TestNodeYarnBerry(t *testing.T) {
	s := nodeSpec()
	files := map[string][]byte{"package.json": []byte(`{"main":"a.js","packageManager":"yarn@4.5.0"}`), "yarn.lock": []byte(""),
		".yarnrc.yml": []byte("enableTelemetry: false\nnodeLinker: node-modules # no PnP\n")}
	def, _ := marshal(t, nodeInput(s, files, amd64))
	d := dump(t, def)
	for _, want := range []string{`"\"$0\" \"$1\" install --immutable --mode=skip-build && exec \"$0\" \"$1\" workspaces focus --all --production" "corepack" "yarn@4.5.0"]`, "production install: corepack yarn@4.5.0 install --immutable --mode=skip-build && corepack yarn@4.5.0 workspaces focus --all --production", "YARN_ENABLE_IMMUTABLE_INSTALLS=true"} {
		if !strings.Contains(d, want) {
			t.Errorf("plan lacks %s:\n%s", want, d)
		}
	}
}

func TestNodeExplainStepFailure(t *testing.T) {
	s := nodeSpec()
	msg := `process "/bin/sh -c ... ` + installMarker + ` npm ci" did not complete successfully: exit code: 111`
	m, p, ok := ExplainStepFailure(s, nodeFiles(), msg)
	if !ok || !strings.Contains(m, "SF111") || !strings.Contains(m, "package-lock.json does not match package.json") || p != "language" {
		t.Errorf("explained %v %q %q", ok, m, p)
	}
	if _, _, ok := ExplainStepFailure(s, nodeFiles(), `process "npm run build" did not complete successfully: exit code: 111`); ok {
		t.Error("an app's own exit code 111 was taken for the lockfile check")
	}
}

// Hostile manifests: never a panic, always an error or a plan.
func FuzzNodeManifests(f *testing.F) {
	f.Add([]byte(nodeHelloPkg), []byte(nodeHelloLock))
	f.Add([]byte(`{"workspaces":{"packages":["a/*"]},"main":"x"}`), []byte(`{"lockfileVersion":1}`))
	f.Add([]byte(`{"packageManager":"yarn@4.5.0+sha512.abc","main":"../../x"}`), []byte(`[]`))
	f.Fuzz(func(t *testing.T, pkg, lock []byte) {
		s := nodeSpec()
		s.Node.Main = ""
		for _, target := range []ocispecs.Platform{amd64, arm64} {
			files := map[string][]byte{"package.json": pkg, "package-lock.json": lock}
			res, err := Convert(nodeInput(s, files, target))
			if err != nil {
				continue
			}
			if _, err := res.State.Marshal(t.Context(), llb.Platform(target)); err != nil {
				t.Fatalf("marshal: %v", err)
			}
		}
	})
}

// appCopyExcludes returns the exclude patterns of every copy into /app
// from the root of its source: the app layer's.
func appCopyExcludes(t *testing.T, def *llb.Definition) [][]string {
	t.Helper()
	var out [][]string
	for _, dt := range def.Def {
		var op pb.Op
		if err := op.UnmarshalVT(dt); err != nil {
			t.Fatal(err)
		}
		for _, a := range op.GetFile().GetActions() {
			if c := a.GetCopy(); c != nil && c.Dest == "/app" && (c.Src == "/" || c.Src == "/app") {
				out = append(out, c.ExcludePatterns)
			}
		}
	}
	return out
}

// The app layer leaves out the spec (under the name the build gave it),
// .dockerignore and the package managers' state, with and without a
// build script, at the root and in the workspace.
func TestNodeAppLeavesOutBuildFiles(t *testing.T) {
	for _, build := range []string{"", "build"} {
		s := nodeSpec()
		s.Node.Build = build
		in := nodeInput(s, nodeFiles(), amd64)
		in.SourceMap = llb.NewSourceMap(nil, "app.spec.yaml", "", nil)
		def, _ := marshal(t, in)
		copies := appCopyExcludes(t, def)
		if len(copies) != 1 {
			t.Fatalf("build %q: %d copies into /app, want the app layer's one", build, len(copies))
		}
		for _, want := range []string{"**/node_modules", "app.spec.yaml", "app.spec.yaml.dockerignore", ".dockerignore", ".yarn", ".yarnrc.yml"} {
			if !slices.Contains(copies[0], want) {
				t.Errorf("build %q: app layer excludes %q, want %q among them", build, copies[0], want)
			}
		}
	}
	p := &nodePlan{workspace: "apps/api"}
	if ex := p.appExcludes("Dockerfile"); !slices.Contains(ex, "apps/api/Dockerfile") || !slices.Contains(ex, "Dockerfile") {
		t.Errorf("workspace excludes %q", ex)
	}
}

// Corepack's signature check stays on: no node plan sets
// COREPACK_INTEGRITY_KEYS; Berry comes from the npm registry.
func TestNodeCorepackChecksStayOn(t *testing.T) {
	for name, files := range map[string]map[string][]byte{
		"npm":   nodeFiles(),
		"pnpm":  {"package.json": []byte(`{"main":"a.js","packageManager":"pnpm@12.4.2"}`), "pnpm-lock.yaml": []byte("")},
		"yarn":  {"package.json": []byte(`{"main":"a.js","packageManager":"yarn@1.22.22"}`), "yarn.lock": []byte("")},
		"berry": {"package.json": []byte(`{"main":"a.js","packageManager":"yarn@4.18.1"}`), "yarn.lock": []byte(""), ".yarnrc.yml": []byte("nodeLinker: node-modules\n")},
	} {
		def, res := marshal(t, nodeInput(nodeSpec(), files, amd64))
		d := dump(t, def)
		if strings.Contains(d, "COREPACK_INTEGRITY_KEYS") {
			t.Errorf("%s: a step sets COREPACK_INTEGRITY_KEYS", name)
		}
		if berry := strings.Contains(d, "COREPACK_NPM_REGISTRY=https://registry.npmjs.org"); berry != (name == "berry") {
			t.Errorf("%s: COREPACK_NPM_REGISTRY set = %v", name, berry)
		}
		for _, src := range res.SBOM {
			if !slices.Contains(sbom.Kinds(), src.Kind) {
				t.Errorf("%s: no SBOM reader for kind %q", name, src.Kind)
			}
		}
	}
}

// A cross build installs pnpm's production tree for the target where the
// pinned pnpm can (10.14 and later), and runs no install scripts.
func TestNodePnpmCross(t *testing.T) {
	for _, c := range []struct {
		version string
		want    string
	}{
		{"12.4.2+sha512.08adc661", `"--ignore-scripts" "--os=linux" "--cpu=arm64" "--libc=glibc"`},
		{"10.14.0", `"--cpu=arm64"`},
		{"10.13.1", `"--ignore-scripts"]`},
	} {
		files := map[string][]byte{"package.json": []byte(`{"main":"a.js","packageManager":"pnpm@` + c.version + `"}`), "pnpm-lock.yaml": []byte("")}
		def, _ := marshal(t, nodeInput(nodeSpec(), files, arm64))
		d := dump(t, def)
		if !strings.Contains(d, c.want) {
			t.Errorf("pnpm %s: plan lacks %s:\n%s", c.version, c.want, d)
		}
		if strings.Contains(c.version, "10.13") && strings.Contains(d, "--cpu=") {
			t.Errorf("pnpm %s does not know --cpu", c.version)
		}
	}
	for v, want := range map[string]bool{"10.14.0": true, "12.4.2+sha512.ab": true, "9.15.0": false, "10.2": false, "x.y": false, "11.0.0-rc.1": true} {
		if got := versionAtLeast(v, 10, 14); got != want {
			t.Errorf("versionAtLeast(%q, 10, 14) = %v", v, got)
		}
	}
}
