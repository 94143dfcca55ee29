package integration

import (
	"archive/tar"
	"bytes"
	"debug/elf"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/org/safe-frontend/internal/ocitar"
	"github.com/org/safe-frontend/rules"
)

// TestRustHello builds examples/rust-hello (axum on tokio, static) in
// process and through `# syntax=`, checks the image field by field and
// that the app is one static executable, and runs it hardened.
func TestRustHello(t *testing.T) {
	dir := t.TempDir()
	inProc := filepath.Join(dir, "in-process.tar")
	start := time.Now()
	mustBuild(t, buildOpts{dir: example("rust-hello"), inProcess: true, attrs: provenanceAttrs(), out: inProc})
	t.Logf("rust-hello built in %s", time.Since(start).Round(time.Second))
	img := openImage(t, inProc)
	c := img.Config

	t.Run("config", func(t *testing.T) {
		requireExampleConfig(t, img, exampleConfig{name: "rust-hello", entrypoint: []string{"/usr/local/bin/rust-hello"}, cmd: []string{"--listen=:8080"},
			base: "gcr.io/distroless/static-debian13:nonroot"})
		for _, kv := range c.Config.Env {
			if strings.HasPrefix(kv, "CARGO") || strings.HasPrefix(kv, "RUST") {
				t.Errorf("the builder's environment leaked into the image: %s", kv)
			}
		}
		// The runtime (tini, probe) and app layers, every entry at the epoch.
		requireEpochLayers(t, inProc, img, 2, time.Unix(1700000000, 0))
	})

	t.Run("one-static-binary", func(t *testing.T) {
		files := appLayerFiles(t, inProc, "usr/local/bin/rust-hello")
		if len(files) != 1 {
			t.Fatalf("the app layer holds %v; want the binary only (no source, no Cargo files)", files)
		}
		h := files["usr/local/bin/rust-hello"]
		if h.Uid != 0 || h.Gid != 0 || h.Mode&0o777 != 0o755 {
			t.Errorf("binary is %d:%d %o, want 0:0 755", h.Uid, h.Gid, h.Mode&0o777)
		}
		bin := fileInImage(t, inProc, "usr/local/bin/rust-hello")
		assertStaticELF(t, bin, elf.EM_X86_64)
		t.Logf("binary %d bytes, image %d bytes compressed", len(bin), img.CompressedSize())
	})

	t.Run("syntax-image-same-digest", func(t *testing.T) {
		requireSameImageViaSyntax(t, example("rust-hello"), img)
	})

	t.Run("run-hardened-healthz-sigterm", func(t *testing.T) {
		runServeStop(t, inProc, "rust-hello")
	})
}

// runServeStop serves an image hardened: /healthz, / (the uid), then
// SIGTERM: a clean exit 0 and JSON log lines that show the shutdown.
func runServeStop(t *testing.T, ociTar, name string) {
	t.Helper()
	o := listenOpts(name, "127.0.0.1:18081")
	o.healthBody, o.jsonLogs = "ok\n", true
	stdout, _ := serveHardened(t, ociTar, o, nil)
	if !strings.Contains(string(stdout), `"msg":"shutting down","signal":"SIGTERM"`) || !strings.Contains(string(stdout), `"msg":"stopped"`) {
		t.Errorf("the log does not show a SIGTERM shutdown:\n%s", stdout)
	}
}

// assertStaticELF: an executable for machine with no program interpreter
// and no dynamic libraries.
func assertStaticELF(t *testing.T, bin []byte, machine elf.Machine) {
	t.Helper()
	f, err := elf.NewFile(bytes.NewReader(bin))
	if err != nil {
		t.Fatalf("the binary is not ELF: %v", err)
	}
	if f.Machine != machine {
		t.Errorf("binary machine %v, want %v", f.Machine, machine)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("binary has an ELF interpreter: it is not static")
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("binary needs shared libraries %v", libs)
	}
	if f.Section(".symtab") != nil {
		t.Error("binary has a symbol table: -C strip=symbols was not applied")
	}
}

// appLayerFiles lists the regular files of the layer that holds name.
func appLayerFiles(t *testing.T, ociTar, name string) map[string]*tar.Header {
	t.Helper()
	var found map[string]*tar.Header
	err := ocitar.Entries(ociTar, func(_ string, dt []byte) error {
		files := map[string]*tar.Header{}
		_, err := ocitar.LayerFiles(dt, func(h *tar.Header, _ io.Reader) error {
			if h.Typeflag == tar.TypeReg {
				files[strings.TrimPrefix(h.Name, "./")] = h
			}
			return nil
		})
		if _, ok := files[name]; ok {
			found = files
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if found == nil {
		t.Fatalf("no layer of %s holds %s", ociTar, name)
	}
	return found
}

// TestRustSourceEditKeepsDependencyStepsCached: editing a source file
// re-runs the app build only; the fetch and the dependency compile are
// CACHED, and the new binary really is built from the edit.
func TestRustSourceEditKeepsDependencyStepsCached(t *testing.T) {
	dir := copyDir(t, example("rust-hello"))
	os.RemoveAll(filepath.Join(dir, "target"))
	main, marker := editAfterBuild(t, dir, "src/main.rs", "hello from a hardened image")
	// An old file time, as a checkout has: the build must not take the
	// crate for fresh because the cached target/ is newer.
	old := time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := os.Chtimes(main, old, old); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "edited.tar")
	start := time.Now()
	res := mustBuild(t, buildOpts{dir: dir, inProcess: true, out: out})
	t.Logf("rebuild after a source edit: %s", time.Since(start).Round(100*time.Millisecond))
	for _, step := range []string{"[rust 2/5] cargo fetch --locked", "[rust 3/5] cargo build --release (dependencies of rust-hello)"} {
		name, v := vertex(t, res, step)
		if !v.Cached {
			t.Errorf("%q was not CACHED after a source-only edit", name)
		}
	}
	name, v := vertex(t, res, "[rust 5/5] cargo build --release --bin rust-hello")
	if v.Cached {
		t.Errorf("%q was CACHED although a source changed", name)
	}
	if bin := fileInImage(t, out, "usr/local/bin/rust-hello"); !bytes.Contains(bin, []byte(marker)) {
		t.Error("the rebuilt binary does not contain the edit: cargo took the stale crate for fresh")
	}
}

// TestRustLockRequired: no Cargo.lock is refused at the spec's language
// line with SF130; a lock that no longer matches Cargo.toml fails the fetch
// with an explanation instead of being re-resolved.
func TestRustLockRequired(t *testing.T) {
	t.Run("missing", func(t *testing.T) {
		dir := copyDir(t, example("rust-hello"))
		if err := os.Remove(filepath.Join(dir, "Cargo.lock")); err != nil {
			t.Fatal(err)
		}
		_, err := build(t, buildOpts{dir: dir, inProcess: true})
		if err == nil {
			t.Fatal("built without a Cargo.lock")
		}
		for _, want := range []string{"SF130 CargoLockMissing", "cargo generate-lockfile", "SF130.md"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error lacks %q: %v", want, err)
			}
		}
		if lines := sourceLines(err); !slices.Contains(lines, "Dockerfile:4") {
			t.Errorf("error points at %v, want the language line Dockerfile:4", lines)
		}
		requireCheckFinding(t, dir, "Dockerfile", rules.CargoLockMissing, 4, "cargo generate-lockfile")
	})
	t.Run("stale", func(t *testing.T) {
		dir := copyDir(t, example("rust-hello"))
		manifest := filepath.Join(dir, "Cargo.toml")
		dt, err := os.ReadFile(manifest)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(manifest, append(dt, []byte("itoa = \"1\"\n")...), 0o644); err != nil {
			t.Fatal(err)
		}
		res, err := build(t, buildOpts{dir: dir, inProcess: true})
		if err == nil {
			t.Fatal("built with a Cargo.lock that lacks a dependency of Cargo.toml")
		}
		if !strings.Contains(res.Logs, "Cargo.lock is out of date with Cargo.toml") || !strings.Contains(res.Logs, "--locked") {
			t.Errorf("the log does not explain the stale lock:\n%s", tail(res.Logs, 3000))
		}
		if !strings.Contains(err.Error(), "cargo fetch") {
			t.Errorf("the failing step is not the fetch: %v", err)
		}
	})
}

// TestRustWorkspaceVendoredCC builds one member of a cargo workspace whose
// dependencies are vendored (cargo vendor + .cargo/config.toml), with the
// network off, linked against glibc, and runs it on distroless cc.
func TestRustWorkspaceVendoredCC(t *testing.T) {
	dir := copyDir(t, filepath.Join(repoRoot, "testdata", "rust", "workspace"))
	out := filepath.Join(t.TempDir(), "workspace.tar")
	res := mustBuild(t, buildOpts{dir: dir, inProcess: true, out: out, attrs: map[string]string{"force-network-mode": "none"}})
	vertex(t, res, "[rust 3/5] cargo build --release (dependencies of server)")
	vertex(t, res, "[rust 5/5] cargo build --release --bin edge-server")
	img := openImage(t, out)
	if got := img.Config.Config.Labels["org.opencontainers.image.base.name"]; got != "gcr.io/distroless/cc-debian13:nonroot" {
		t.Errorf("base %q, want distroless cc", got)
	}
	files := appLayerFiles(t, out, "usr/local/bin/edge-server")
	if len(files) != 1 {
		t.Errorf("the app layer holds %v; want the binary only", files)
	}
	f, err := elf.NewFile(bytes.NewReader(fileInImage(t, out, "usr/local/bin/edge-server")))
	if err != nil {
		t.Fatal(err)
	}
	if libs, _ := f.ImportedLibraries(); !slices.Contains(libs, "libc.so.6") {
		t.Errorf("static: false gave a binary that does not link glibc (needs %v)", libs)
	}
	// The member installs no SIGTERM handler: tini forwards the signal and
	// the process dies of it (143), at once.
	o := serveOpts{name: "rust-workspace", args: []string{"--listen=127.0.0.1:18082"}, addr: "127.0.0.1:18082", healthBody: "ok\n", exitCodes: []int{0, 143}}
	serveHardened(t, out, o, func(s *served) {
		if body := s.get("/"); !strings.Contains(body, "workspace member") {
			t.Fatalf("/ = %q", body)
		}
	})
}

// TestRustArm64: cross-compiling for linux/arm64 on amd64. The official
// image (and its stand-in) has no aarch64 standard library: the build
// fails with what to do, not with a linker error. A builder with the
// target and Debian's cross gcc (testdata/rust-arm64-builder, given as a
// named context for the rust image) gives a static aarch64 binary on the
// arm64 distroless static image.
func TestRustArm64(t *testing.T) {
	attrs := map[string]string{"platform": "linux/arm64"}
	t.Run("builder-without-target", func(t *testing.T) {
		res, err := build(t, buildOpts{dir: example("rust-hello"), inProcess: true, attrs: attrs})
		if err == nil {
			t.Fatal("the official image's stand-in built for arm64; it has no aarch64 standard library")
		}
		for _, want := range []string{"no standard library for aarch64-unknown-linux-gnu", "rustup target add aarch64-unknown-linux-gnu"} {
			if !strings.Contains(res.Logs+err.Error(), want) {
				t.Errorf("the failure does not say %q: %v\n%s", want, err, tail(res.Logs, 2000))
			}
		}
	})

	t.Run("builder-with-target", func(t *testing.T) {
		builder := registryHost(t) + "/safe-frontend-tests/rust-arm64:1.95.0-trixie"
		mustBuild(t, buildOpts{dir: filepath.Join(repoRoot, "integration", "testdata", "rust-arm64-builder"), push: builder})
		out := filepath.Join(t.TempDir(), "arm64.tar")
		withBuilder := map[string]string{"platform": "linux/arm64", "context:rust:1.95-trixie": "docker-image://" + builder}
		res := mustBuild(t, buildOpts{dir: example("rust-hello"), inProcess: true, out: out, attrs: withBuilder})
		vertex(t, res, "[rust 5/5] cargo build --release --bin rust-hello")
		vertex(t, res, "[context rust:1.95-trixie] load metadata for "+builder)
		img := openImage(t, out)
		eq(t, "platform", img.Config.OS+"/"+img.Config.Architecture, "linux/arm64")
		eq(t, "base", img.Config.Config.Labels["org.opencontainers.image.base.name"], "gcr.io/distroless/static-debian13:nonroot")
		assertStaticELF(t, fileInImage(t, out, "usr/local/bin/rust-hello"), elf.EM_AARCH64)
		if files := appLayerFiles(t, out, "usr/local/bin/rust-hello"); len(files) != 1 {
			t.Errorf("the app layer holds %v; want the binary only", files)
		}
	})
}

// TestRustReproducible: the workspace fixture (small, vendored) built on
// two fresh daemons without cache and on the stack's daemon gives one
// digest: rustc, the link, the .dep-v0 section and the layers are
// deterministic. And the compiled dependencies travel with a registry
// cache: a pruned daemon importing it builds a source edit without
// compiling itoa (the vendored dependency) again.
func TestRustReproducible(t *testing.T) {
	requireReproducible(t, filepath.Join(repoRoot, "testdata", "rust", "workspace"), reproOpts{epoch: testEpoch, travel: &travelCheck{
		edit:     "crates/server/src/main.rs",
		line:     "// edited on a fresh runner",
		depSteps: []string{"] cargo fetch --locked", "] cargo build --release (dependencies of server)"},
		appStep:  "] cargo build --release --bin edge-server",
		inApp:    regexp.MustCompile(`(?m)^\s*Compiling server v`),
		notInApp: regexp.MustCompile(`(?m)^\s*(Compiling itoa\b.*|Download.*|Updating .*index.*)$`),
	}})
}

// TestRustToolchainFile: a rust-toolchain.toml that pins a release picks
// the builder when the spec names none; a floating channel, or a release
// rust.version contradicts, is refused with SF132 at the spec line before
// anything runs.
func TestRustToolchainFile(t *testing.T) {
	src := filepath.Join(repoRoot, "testdata", "rust", "workspace")
	specText, err := os.ReadFile(filepath.Join(src, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	const pinned = "rust:\n  version: \"1.95\"\n"
	if !strings.Contains(string(specText), pinned) {
		t.Fatalf("the fixture's spec no longer pins %q", pinned)
	}
	noVersion := strings.Replace(string(specText), pinned, "rust:\n", 1)

	t.Run("release-picks-builder", func(t *testing.T) {
		dir := copyDir(t, src)
		writeFiles(t, dir, map[string]string{
			"Dockerfile": noVersion,
			// components and targets are the developer's; the build installs
			// nothing (network off) and still builds.
			"rust-toolchain.toml": "[toolchain]\nchannel = \"1.95.0\"\ncomponents = [\"clippy\", \"rustfmt\"]\ntargets = [\"wasm32-unknown-unknown\"]\n",
		})
		res := mustBuild(t, buildOpts{dir: dir, inProcess: true, attrs: map[string]string{"force-network-mode": "none"}})
		if !slices.ContainsFunc(names(res), func(n string) bool { return strings.Contains(n, "docker.io/library/rust:1.95.0-trixie") }) {
			t.Errorf("the builder is not rust:1.95.0-trixie; steps: %v", names(res))
		}
		if slices.ContainsFunc(names(res), func(n string) bool { return strings.Contains(n, "rust:1.95-trixie") }) {
			t.Errorf("the default builder was used as well: %v", names(res))
		}
	})

	for _, tc := range []struct {
		name, spec, file, line, msg string
	}{
		{"floating-channel", noVersion, "[toolchain]\nchannel = \"stable\"\n", "Dockerfile:4", `channel "stable" moves over time`},
		{"contradicts-rust.version", strings.Replace(string(specText), pinned, "rust:\n  version: \"1.94\"\n", 1), "[toolchain]\nchannel = \"1.95.0\"\n", "Dockerfile:6", `rust.version "1.94" and rust-toolchain.toml (channel "1.95.0") name different compilers`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := copyDir(t, src)
			writeFiles(t, dir, map[string]string{"Dockerfile": tc.spec, "rust-toolchain.toml": tc.file})
			res, err := build(t, buildOpts{dir: dir, inProcess: true})
			requireRefusedBeforeSteps(t, res, err, tc.line, "[rust ", "SF132", tc.msg)
		})
	}
}
