package integration

import (
	"archive/tar"
	"bytes"
	"crypto/rand"
	"debug/elf"
	"encoding/hex"
	"io"
	"maps"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/org/safe-frontend/internal/ocitar"
	"github.com/org/safe-frontend/internal/spdxcheck"
	"github.com/org/safe-frontend/rules"
)

// TestNodeHello builds node-hello in process and through `# syntax=`,
// checks the image config field by field and what the final holds (no
// devDependency, no npm, no shell), and runs it hardened.
func TestNodeHello(t *testing.T) {
	dir := t.TempDir()
	inProc := filepath.Join(dir, "in-process.tar")
	start := time.Now()
	mustBuild(t, buildOpts{dir: example("node-hello"), inProcess: true, attrs: provenanceAttrs(), out: inProc})
	t.Logf("node-hello built in %s", time.Since(start).Round(time.Millisecond))
	img := openImage(t, inProc)
	c := img.Config

	t.Run("config", func(t *testing.T) {
		requireExampleConfig(t, img, exampleConfig{name: "node-hello", entrypoint: []string{"/nodejs/bin/node", "/app/server.js"}, cmd: []string{"--listen=:8080"},
			workingDir: "/app", base: "gcr.io/distroless/nodejs22-debian13:nonroot"})
		if !slices.Contains(c.Config.Env, "NODE_ENV=production") {
			t.Errorf("Env = %v, want NODE_ENV=production", c.Config.Env)
		}
		for _, kv := range c.Config.Env {
			if strings.HasPrefix(kv, "NODE_EXTRA_CA_CERTS=") || strings.HasPrefix(kv, "npm_config") || strings.HasPrefix(kv, "COREPACK") {
				t.Errorf("build-step env %q leaked into the image config", kv)
			}
		}
		// The base's layers, then runtime (tini, probe), node_modules, app.
		var ours []string
		for _, l := range ourLayers(img) {
			ours = append(ours, strings.SplitN(l, ":", 2)[0])
		}
		eq(t, "our layers", ours, []string{"runtime", "node_modules", "app"})
	})

	// runtime (tini, probe), node_modules and app: every entry at the epoch.
	t.Run("layers-carry-the-epoch", func(t *testing.T) {
		requireEpochLayers(t, inProc, img, 3, time.Unix(1700000000, 0))
	})

	t.Run("final-holds-production-dependencies-only", func(t *testing.T) {
		files := imageFiles(t, inProc)
		for _, want := range []string{"app/server.js", "app/package.json", "app/package-lock.json",
			"app/node_modules/express/package.json", "app/node_modules/.package-lock.json", "nodejs/bin/node"} {
			if !files[want] {
				t.Errorf("the image lacks /%s", want)
			}
		}
		for name := range files {
			switch {
			case strings.HasPrefix(name, "app/node_modules/prettier/"):
				t.Errorf("devDependency in the final image: /%s", name)
			case strings.Contains(name, "node_modules/npm/") || strings.HasSuffix(name, "bin/npm") || strings.Contains(name, "corepack"):
				t.Errorf("package manager in the final image: /%s", name)
			case name == "bin/sh" || name == "usr/bin/sh" || name == "bin/bash" || name == "usr/bin/bash":
				t.Errorf("shell in the final image: /%s", name)
			case strings.HasSuffix(name, ".npmrc") || strings.HasPrefix(name, "root/.npm/"):
				t.Errorf("npm config or cache in the final image: /%s", name)
			}
		}
		requireNoBuildFiles(t, files)
		// The hidden lockfile the SBOM reads lists express, not prettier.
		lock := fileInImage(t, inProc, "app/node_modules/.package-lock.json")
		if !bytes.Contains(lock, []byte(`"node_modules/express"`)) || bytes.Contains(lock, []byte(`"node_modules/prettier"`)) {
			t.Errorf("node_modules/.package-lock.json does not describe the production tree")
		}
	})

	t.Run("syntax-image-same-digest", func(t *testing.T) {
		requireSameImageViaSyntax(t, example("node-hello"), img)
	})

	t.Run("run-hardened", func(t *testing.T) {
		runNodeHardened(t, inProc)
	})
}

// runNodeHardened serves node-hello hardened: /healthz, the uid, then
// SIGTERM, which tini forwards: the app stops gracefully, exit 0, with JSON
// logs on stdout.
func runNodeHardened(t *testing.T, ociTar string) {
	t.Helper()
	o := listenOpts("node-hello", "127.0.0.1:18081")
	o.jsonLogs = true
	_, lines := serveHardened(t, ociTar, o, nil)
	for _, l := range lines {
		if l.Msg == "listening" && l.Env != "production" {
			t.Errorf("the app sees NODE_ENV=%q, want production", l.Env)
		}
	}
	if m := msgs(lines); !slices.Contains(m, "shutting down") || !slices.Contains(m, "stopped") {
		t.Errorf("log messages %v: want a graceful shutdown after SIGTERM", m)
	}
}

// imageFiles lists every path in the image's layers.
func imageFiles(t *testing.T, ociTar string) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	err := ocitar.Entries(ociTar, func(_ string, blob []byte) error {
		_, err := ocitar.LayerFiles(blob, func(h *tar.Header, _ io.Reader) error {
			out[strings.TrimPrefix(strings.TrimPrefix(h.Name, "./"), "/")] = true
			return nil
		})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestNodeSourceEditKeepsInstallCached: a source edit re-copies the app
// but leaves both frozen installs CACHED.
func TestNodeSourceEditKeepsInstallCached(t *testing.T) {
	dir := copyDir(t, example("node-hello"))
	editAfterBuild(t, dir, "server.js", "hello from")
	start := time.Now()
	res := mustBuild(t, buildOpts{dir: dir, inProcess: true})
	t.Logf("rebuild after a source edit: %s", time.Since(start).Round(time.Millisecond))
	name, install := vertex(t, res, "npm ci")
	if !install.Cached {
		t.Errorf("%q was not CACHED after a source-only edit", name)
	}
	if !regexp.MustCompile(`^\[node 2/2\] production install: npm ci --no-audit --no-fund --omit=dev$`).MatchString(name) {
		t.Errorf("progress name %q, want [node 2/2] production install: npm ci ... --omit=dev", name)
	}
	appName, app := vertex(t, res, "app: copy /app")
	if app.Cached {
		t.Errorf("%q was CACHED although server.js changed", appName)
	}
}

// nodeSpecDir writes a node app into a scratch directory: the files given
// (name -> content) and a spec.
func nodeSpecDir(t *testing.T, spec string, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	files["Dockerfile"] = spec
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestNodeLockfileRefusals: no lockfile, and a lockfile out of sync with
// package.json, are refused with their rules at the spec line, in process
// and through # syntax=.
func TestNodeLockfileRefusals(t *testing.T) {
	pkgJSON, err := os.ReadFile(filepath.Join(example("node-hello"), "package.json"))
	if err != nil {
		t.Fatal(err)
	}
	lock, err := os.ReadFile(filepath.Join(example("node-hello"), "package-lock.json"))
	if err != nil {
		t.Fatal(err)
	}
	server := "require('express')().listen(8080)\n"
	spec := "# syntax=org/safe-frontend:1\nname: api\nlanguage: node\nnode:\n  packageManager: npm\n  main: server.js\n"

	t.Run("no-lockfile", func(t *testing.T) {
		dir := nodeSpecDir(t, spec, map[string]string{"package.json": string(pkgJSON), "server.js": server})
		for _, inProcess := range []bool{true, false} {
			_, err := build(t, buildOpts{dir: dir, inProcess: inProcess})
			if err == nil {
				t.Fatalf("inProcess=%v: an app without a lockfile was built", inProcess)
			}
			if !strings.Contains(err.Error(), "SF110") || !strings.Contains(err.Error(), "package-lock.json") {
				t.Errorf("inProcess=%v: error does not name SF110 and the lockfile: %v", inProcess, err)
			}
			if lines := sourceLines(err); !slices.Contains(lines, "Dockerfile:5") {
				t.Errorf("inProcess=%v: error sources %v, want Dockerfile:5 (node.packageManager)", inProcess, lines)
			}
		}
		// --check reads the context's manifests too: the same refusal.
		requireCheckFinding(t, dir, "Dockerfile", rules.NoLockfile, 5, "package-lock.json")
	})

	t.Run("dependency-added-without-lock", func(t *testing.T) {
		added := strings.Replace(string(pkgJSON), `"express": "^5.3.0"`, `"express": "^5.3.0",
    "ms": "^2.1.3"`, 1)
		dir := nodeSpecDir(t, spec, map[string]string{"package.json": added, "package-lock.json": string(lock), "server.js": server})
		_, err := build(t, buildOpts{dir: dir, inProcess: true})
		if err == nil || !strings.Contains(err.Error(), "SF111") || !strings.Contains(err.Error(), `"ms" is in package.json but not in the lockfile`) {
			t.Fatalf("out-of-sync lockfile: err = %v, want SF111 naming ms", err)
		}
		if lines := sourceLines(err); !slices.Contains(lines, "Dockerfile:5") {
			t.Errorf("error sources %v, want Dockerfile:5", lines)
		}
		requireCheckFinding(t, dir, "Dockerfile", rules.LockfileOutOfSync, 5, `"ms" is in package.json but not in the lockfile`)
	})

	// A range the locked version no longer satisfies passes the name
	// check; npm ci refuses it, and the frontend explains that refusal.
	t.Run("range-changed-frozen-install-refuses", func(t *testing.T) {
		changed := strings.Replace(string(pkgJSON), `"express": "^5.3.0"`, `"express": "^4.21.0"`, 1)
		dir := nodeSpecDir(t, spec, map[string]string{"package.json": changed, "package-lock.json": string(lock), "server.js": server})
		for _, inProcess := range []bool{true, false} {
			res, err := build(t, buildOpts{dir: dir, inProcess: inProcess})
			if err == nil {
				t.Fatalf("inProcess=%v: npm ci accepted a lockfile out of sync", inProcess)
			}
			if !strings.Contains(err.Error(), "SF111") || !strings.Contains(err.Error(), "package-lock.json does not match package.json") || !strings.Contains(err.Error(), "npm install") {
				t.Errorf("inProcess=%v: error does not explain the lockfile: %v\n%s", inProcess, err, tail(res.Logs, 2000))
			}
			if lines := sourceLines(err); !slices.Contains(lines, "Dockerfile:5") {
				t.Errorf("inProcess=%v: error sources %v, want Dockerfile:5", inProcess, lines)
			}
		}
	})
}

// TestNodePnpmAndYarnLockfileOutOfSync: pnpm's and yarn's (classic and
// Berry) frozen installs refuse a stale lockfile, and the frontend explains
// it with the rule, the lockfile and the fix.
func TestNodePnpmAndYarnLockfileOutOfSync(t *testing.T) {
	for _, tc := range []struct{ fixture, lockfile, fix string }{
		{"node-pnpm", "pnpm-lock.yaml", "pnpm install"},
		{"node-yarn", "yarn.lock", "yarn install"},
		{"node-yarn-berry", "yarn.lock", "yarn install"},
	} {
		t.Run(tc.fixture, func(t *testing.T) {
			dir := copyDir(t, filepath.Join(repoRoot, "integration", "testdata", tc.fixture))
			pkgPath := filepath.Join(dir, "package.json")
			pkg, err := os.ReadFile(pkgPath)
			if err != nil {
				t.Fatal(err)
			}
			stale := strings.Replace(string(pkg), `"ms": "^2.1.3"`, `"ms": "^2.1.2"`, 1)
			if stale == string(pkg) {
				t.Fatal("edit did not apply")
			}
			if err := os.WriteFile(pkgPath, []byte(stale), 0o644); err != nil {
				t.Fatal(err)
			}
			res, err := build(t, buildOpts{dir: dir, inProcess: true})
			if err == nil {
				t.Fatalf("%s installed from a lockfile out of sync with package.json", tc.fixture)
			}
			if !strings.Contains(err.Error(), "SF111") || !strings.Contains(err.Error(), tc.lockfile+" does not match package.json") || !strings.Contains(err.Error(), tc.fix) {
				t.Errorf("error does not explain the lockfile: %v\n%s", err, tail(res.Logs, 2000))
			}
		})
	}
}

// TestNodeNpmrcSecret: a registry token in an .npmrc given as a build
// secret reaches npm and is found in no layer, config or history; an
// .npmrc in the context is not copied either.
func TestNodeNpmrcSecret(t *testing.T) {
	dir := copyDir(t, example("node-hello"))
	raw := make([]byte, 24)
	if _, err := rand.Read(raw); err != nil {
		t.Fatal(err)
	}
	token := hex.EncodeToString(raw)
	npmrc := "//registry.npmjs.org/:_authToken=" + token + "\n"
	if err := os.WriteFile(filepath.Join(dir, ".npmrc"), []byte(npmrc), 0o600); err != nil {
		t.Fatal(err)
	}
	spec, err := os.ReadFile(filepath.Join(dir, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	withSecret := string(spec) + "secrets:\n  - id: npmrc\n    target: /root/.npmrc\n    required: true\n"
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(withSecret), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "img.tar")
	mustBuild(t, buildOpts{dir: dir, inProcess: true, out: out, noCache: true,
		secrets: map[string][]byte{"npmrc": []byte(npmrc)}})
	if hits := blobsContain(t, out, []byte(token)); len(hits) > 0 {
		t.Fatalf("the registry token is in the image: %v", hits)
	}
	if files := imageFiles(t, out); files["app/.npmrc"] {
		t.Error("the context's .npmrc was copied into the image")
	}
}

// TestNodePnpmAndYarn: a pnpm, a yarn classic and a yarn Berry (4, with
// nodeLinker: node-modules) app, each pinned with package.json
// "packageManager" and its hash, build through corepack, hold only their
// production dependencies and none of the build's own files, list their
// packages in the SBOM and run hardened.
func TestNodePnpmAndYarn(t *testing.T) {
	for _, tc := range []struct {
		fixture, lockfile, dev string
		install, dep           string
	}{
		// pnpm links node_modules/ms to its content-addressed copy.
		{"node-pnpm", "pnpm-lock.yaml", "app/node_modules/.pnpm/prettier@", "corepack pnpm@12.4.2+sha512.08adc661", "app/node_modules/.pnpm/ms@2.1.3/node_modules/ms/package.json"},
		{"node-yarn", "yarn.lock", "app/node_modules/prettier/", "corepack yarn@1.22.22+sha512.a6b2f790", "app/node_modules/ms/package.json"},
		{"node-yarn-berry", "yarn.lock", "app/node_modules/prettier/", "corepack yarn@4.18.1+sha512.b2e1e752", "app/node_modules/ms/package.json"},
	} {
		t.Run(tc.fixture, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), tc.fixture+".tar")
			start := time.Now()
			res := mustBuild(t, buildOpts{dir: filepath.Join(repoRoot, "integration", "testdata", tc.fixture), inProcess: true, out: out, attrs: sbomAttrs()})
			t.Logf("built in %s", time.Since(start).Round(time.Millisecond))
			name, _ := vertex(t, res, "production install")
			if !strings.Contains(name, tc.install) {
				t.Errorf("install step %q, want %q", name, tc.install)
			}
			want := map[string]string{
				"node-pnpm":       "install --frozen-lockfile --prod",
				"node-yarn":       "install --frozen-lockfile --non-interactive --production=true",
				"node-yarn-berry": "workspaces focus --all --production",
			}[tc.fixture]
			if !strings.HasSuffix(name, want) {
				t.Errorf("install step %q, want it to end in %q", name, want)
			}
			files := imageFiles(t, out)
			for _, want := range []string{"app/server.js", "app/" + tc.lockfile, "app/node_modules/ms", tc.dep} {
				if !files[want] && !files[want+"/"] {
					t.Errorf("the image lacks /%s", want)
				}
			}
			for name := range files {
				if strings.HasPrefix(name, tc.dev) || strings.Contains(name, "corepack") || strings.Contains(name, "/.pnpm-store/") || strings.Contains(name, ".cache/yarn") {
					t.Errorf("the final image holds /%s", name)
				}
			}
			requireNoBuildFiles(t, files)
			requireSBOMLists(t, out, map[string]bool{"pkg:npm/ms@2.1.3": true, "pkg:npm/prettier@3.10.1": false})
			serveHardened(t, out, listenOpts(tc.fixture, "127.0.0.1:18080"), nil)
		})
	}
}

// requireNoBuildFiles: the app layer carries none of the build's own files
// (the spec, .dockerignore) nor the package managers' state and config.
func requireNoBuildFiles(t *testing.T, files map[string]bool) {
	t.Helper()
	for name := range files {
		base := strings.TrimSuffix(name, "/")
		switch {
		case strings.HasPrefix(base, "app/") && (path.Base(base) == "Dockerfile" || strings.HasSuffix(base, ".dockerignore")):
			t.Errorf("build file in the image: /%s", name)
		case strings.HasPrefix(base, "app/.yarn/") || base == "app/.yarn" || base == "app/.yarnrc.yml" || strings.HasPrefix(base, "app/.pnpm-store"):
			t.Errorf("package manager state in the image: /%s", name)
		}
	}
}

// requireSBOMLists checks the amd64 SBOM of an image: an application the
// image contains DEPENDS_ON each purl marked true and on none marked false.
func requireSBOMLists(t *testing.T, ociTar string, want map[string]bool) {
	t.Helper()
	d := sbomsOf(t, ociTar)["amd64"]
	if d == nil {
		t.Fatal("no amd64 SBOM")
	}
	if cm := d.doc.CreationInfo.CreatorComment; strings.Contains(cm, "Not described") {
		t.Errorf("sources left unread: %s", cm)
	}
	byID := map[string]string{}
	for _, p := range d.doc.Packages {
		byID[string(p.PackageSPDXIdentifier)] = spdxcheck.PURL(p)
	}
	deps := map[string]bool{}
	for _, id := range spdxcheck.Related(d.doc, "Image", "CONTAINS") {
		for _, dep := range spdxcheck.Related(d.doc, id, "DEPENDS_ON") {
			deps[byID[dep]] = true
		}
	}
	for purl, listed := range want {
		if deps[purl] != listed {
			t.Errorf("SBOM: an application DEPENDS_ON %s = %v, want %v; dependencies: %v", purl, deps[purl], listed, slices.Sorted(maps.Keys(deps)))
		}
	}
}

// TestNodeArm64: a pure-JavaScript app builds for linux/arm64 without
// emulation (the production tree installed for the target), on the arm64
// distroless nodejs; a tree with a native addon is refused.
func TestNodeArm64(t *testing.T) {
	out := filepath.Join(t.TempDir(), "arm64.tar")
	res := mustBuild(t, buildOpts{dir: example("node-hello"), inProcess: true, out: out, attrs: map[string]string{"platform": "linux/arm64"}})
	img := openImage(t, out)
	if got := img.Config.OS + "/" + img.Config.Architecture; got != "linux/arm64" {
		t.Fatalf("image platform %s, want linux/arm64", got)
	}
	if name, _ := vertex(t, res, "production install"); !strings.Contains(name, "--cpu=arm64") {
		t.Errorf("production install %q does not install for arm64", name)
	}
	node := fileInImage(t, out, "nodejs/bin/node")
	f, err := elf.NewFile(bytes.NewReader(node))
	if err != nil {
		t.Fatalf("/nodejs/bin/node is not ELF: %v", err)
	}
	if f.Machine != elf.EM_AARCH64 {
		t.Errorf("node is %v, want EM_AARCH64", f.Machine)
	}
	if !imageFiles(t, out)["app/node_modules/express/package.json"] {
		t.Error("the arm64 image lacks express")
	}

	// pnpm installs its production tree for the target too.
	t.Run("pnpm", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "pnpm-arm64.tar")
		res := mustBuild(t, buildOpts{dir: filepath.Join(repoRoot, "integration", "testdata", "node-pnpm"), inProcess: true, out: out, attrs: map[string]string{"platform": "linux/arm64"}})
		if name, _ := vertex(t, res, "production install"); !strings.Contains(name, "--os=linux --cpu=arm64 --libc=glibc") {
			t.Errorf("production install %q does not install for arm64", name)
		}
		if got := openImage(t, out).Config.Architecture; got != "arm64" {
			t.Errorf("image architecture %s, want arm64", got)
		}
		if !imageFiles(t, out)["app/node_modules/.pnpm/ms@2.1.3/node_modules/ms/package.json"] {
			t.Error("the arm64 image lacks ms")
		}
	})

	t.Run("native-addon-refused", func(t *testing.T) {
		dir := copyDir(t, example("node-hello"))
		lockPath := filepath.Join(dir, "package-lock.json")
		lock, err := os.ReadFile(lockPath)
		if err != nil {
			t.Fatal(err)
		}
		withAddon := strings.Replace(string(lock), `"node_modules/accepts": {`,
			`"node_modules/bcrypt": {"version": "5.1.1", "hasInstallScript": true},
    "node_modules/accepts": {`, 1)
		if withAddon == string(lock) {
			t.Fatal("edit did not apply")
		}
		if err := os.WriteFile(lockPath, []byte(withAddon), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err = build(t, buildOpts{dir: dir, inProcess: true, attrs: map[string]string{"platform": "linux/arm64"}})
		if err == nil || !strings.Contains(err.Error(), "SF113") || !strings.Contains(err.Error(), "bcrypt") {
			t.Fatalf("cross build with a native addon: err = %v, want SF113 naming bcrypt", err)
		}
	})
}

// TestNodeMultiPlatform: two platforms give one index, each platform with
// its own production install.
func TestNodeMultiPlatform(t *testing.T) {
	out := filepath.Join(t.TempDir(), "multi.tar")
	res := mustBuild(t, buildOpts{dir: example("node-hello"), inProcess: true, out: out, attrs: map[string]string{"platform": "linux/amd64,linux/arm64"}})
	if idx := string(fileInOCI(t, out, "index.json")); !strings.Contains(idx, "image.index") {
		t.Fatalf("index.json does not point at an image index: %s", idx)
	}
	var arm, amd bool
	for name := range res.Vertices {
		arm = arm || strings.HasPrefix(name, "[linux/arm64 node 2/3] production install") && strings.Contains(name, "--cpu=arm64")
		amd = amd || strings.HasPrefix(name, "[linux/amd64 node 2/2] production install")
	}
	if !arm || !amd {
		t.Errorf("progress names lack a per-platform production install: %v", names(res))
	}
}

// TestNodeWorkspace: one package of an npm, a pnpm and a yarn workspace
// runs, with its sibling package linked in; no devDependency ships. The
// pnpm one pins a pnpm without a native binary by its hash, so corepack
// checks it with nothing turned off.
func TestNodeWorkspace(t *testing.T) {
	for _, tc := range []struct {
		fixture string
		want    []string
	}{
		{"node-workspace", []string{"app/node_modules/@demo/greet", "app/packages/greet/index.js", "app/node_modules/ms/package.json"}},
		{"node-pnpm-workspace", []string{"app/apps/api/node_modules/@demo/greet", "app/packages/greet/node_modules/ms", "app/packages/greet/index.js", "app/node_modules/.pnpm/ms@2.1.3/node_modules/ms/package.json"}},
		{"node-yarn-workspace", []string{"app/node_modules/@demo/greet", "app/packages/greet/index.js", "app/node_modules/ms/package.json"}},
	} {
		t.Run(tc.fixture, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "ws.tar")
			mustBuild(t, buildOpts{dir: filepath.Join(repoRoot, "integration", "testdata", tc.fixture), inProcess: true, out: out, attrs: sbomAttrs()})
			img := openImage(t, out)
			if want := []string{"/usr/sbin/tini", "--", "/nodejs/bin/node", "/app/apps/api/server.js"}; !slices.Equal(img.Config.Config.Entrypoint, want) {
				t.Errorf("Entrypoint %v, want %v", img.Config.Config.Entrypoint, want)
			}
			files := imageFiles(t, out)
			for _, want := range tc.want {
				if !files[want] && !files[want+"/"] {
					t.Errorf("the image lacks /%s", want)
				}
			}
			for name := range files {
				if strings.Contains(name, "prettier") {
					t.Errorf("the workspace root's devDependency is in the image: /%s", name)
				}
			}
			requireNoBuildFiles(t, files)
			requireSBOMLists(t, out, map[string]bool{"pkg:npm/ms@2.1.3": true, "pkg:npm/prettier@3.10.1": false})
			serveHardened(t, out, listenOpts(tc.fixture, "127.0.0.1:18080"), nil)
		})
	}
}

// TestReproducibleNodeHello: npm's frozen install and the layers made from
// it give one image digest on two fresh daemons without cache and on the
// stack's daemon with it.
func TestReproducibleNodeHello(t *testing.T) {
	requireReproducible(t, example("node-hello"), reproOpts{epoch: testEpoch})
}
