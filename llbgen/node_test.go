package llbgen

import (
	"slices"
	"strings"
	"testing"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

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
// build script (lang/node tests the workspace's).
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
}

// A failed step's exit code reaches the language that reserved it: the
// marker is the one lang/node's frozen install carries.
func TestNodeExplainStepFailure(t *testing.T) {
	msg := `process "/bin/sh -c ... safe-frontend-frozen-install npm ci" did not complete successfully: exit code: 111`
	if m, p, ok := ExplainStepFailure(nodeSpec(), nodeFiles(), msg); !ok || !strings.Contains(m, "SF111") || p != "language" {
		t.Errorf("explained %v %q %q", ok, m, p)
	}
	if _, _, ok := ExplainStepFailure(nodeSpec(), nodeFiles(), `process "npm run build" did not complete successfully: exit code: 111`); ok {
		t.Error("an app's own exit code 111 was taken for the lockfile check")
	}
}
