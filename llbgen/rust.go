package llbgen

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/moby/buildkit/client/llb"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/org/safe-frontend/spec"
)

// DefaultRustVersion is the toolchain used when a spec names none; it
// moves with frontend releases, never with "latest".
const DefaultRustVersion = "1.95"

// rustDebian is the Debian release of the builder: the one distroless cc
// is made from, so a glibc-linked binary finds the glibc it was linked
// against.
const rustDebian = "trixie"

type rust struct{}

func init() { register(rust{}) }

func (rust) Name() string { return "rust" }

func (rust) BuilderImage(s *spec.Spec) string {
	v := DefaultRustVersion
	if s.Rust != nil && s.Rust.Version != "" {
		v = s.Rust.Version
	}
	tag, dgst, pinned := strings.Cut(v, "@")
	ref := "docker.io/library/rust:" + tag + "-" + rustDebian
	if pinned {
		ref += "@" + dgst
	}
	return ref
}

// rustStatic: static unless the spec says static: false.
func rustStatic(s *spec.Spec) bool {
	return s.Rust == nil || s.Rust.Static == nil || *s.Rust.Static
}

func (rust) Runtime(s *spec.Spec) Runtime {
	if rustStatic(s) {
		return RuntimeStatic
	}
	// A default Rust binary links libc, libgcc_s and libm.
	return RuntimeCC
}

func (r rust) FinalImage(s *spec.Spec, final string) (string, bool) {
	return commonFinal(r.Runtime(s), final)
}

func (rust) ContextFiles(*spec.Spec) []string { return cargoContextFiles() }

const (
	rustSrc   = "/src"
	rustOut   = "/out"
	cargoHome = "/usr/local/cargo"
	// rustMeta is where the app build finds the dependency list it
	// embeds in the binary.
	rustMeta = "/run/cargo-audit"
	// The target directory is outside the sources, so a target/ in the
	// context is never mixed in. Like $CARGO_HOME/registry and git, it is
	// in the builder's filesystem, not a cache mount: the fetched crates
	// and the compiled dependencies are layers, which a registry cache
	// (--cache-to type=registry,mode=max) carries to a fresh CI runner.
	cargoTargetDir = "/cargo/target"
)

// rustTriples maps target platforms to the Rust target triple (glibc).
var rustTriples = map[string]string{
	"amd64":   "x86_64-unknown-linux-gnu",
	"arm64":   "aarch64-unknown-linux-gnu",
	"arm/v7":  "armv7-unknown-linux-gnueabihf",
	"386":     "i686-unknown-linux-gnu",
	"ppc64le": "powerpc64le-unknown-linux-gnu",
	"s390x":   "s390x-unknown-linux-gnu",
	"riscv64": "riscv64gc-unknown-linux-gnu",
}

// rustLinkers is the Debian cross gcc for a triple, used as the linker when
// the build platform differs.
var rustLinkers = map[string]string{
	"x86_64-unknown-linux-gnu":      "x86_64-linux-gnu-gcc",
	"aarch64-unknown-linux-gnu":     "aarch64-linux-gnu-gcc",
	"armv7-unknown-linux-gnueabihf": "arm-linux-gnueabihf-gcc",
	"i686-unknown-linux-gnu":        "i686-linux-gnu-gcc",
	"powerpc64le-unknown-linux-gnu": "powerpc64le-linux-gnu-gcc",
	"s390x-unknown-linux-gnu":       "s390x-linux-gnu-gcc",
	"riscv64gc-unknown-linux-gnu":   "riscv64-linux-gnu-gcc",
}

func rustTriple(p ocispecs.Platform) (string, error) {
	key := p.Architecture
	if p.Architecture == "arm" {
		v := p.Variant
		if v == "" {
			v = "v7"
		}
		key = "arm/" + v
	}
	t, ok := rustTriples[key]
	if !ok || p.OS != "linux" {
		return "", fmt.Errorf("no Rust target for platform %s (supported: linux/amd64, linux/arm64, linux/arm/v7, linux/386, linux/ppc64le, linux/s390x, linux/riscv64)", platformString(p))
	}
	return t, nil
}

// CheckContext plans the build from Cargo.toml and Cargo.lock (a missing
// lock, manifests that cannot be read or do not say what to build) and
// checks the toolchain file against the spec.
func (rust) CheckContext(s *spec.Spec, files map[string][]byte, _ bool) []ContextFinding {
	var cfg spec.Rust
	if s.Rust != nil {
		cfg = *s.Rust
	}
	plan, err := planCargo(files, cfg.Package, cfg.Bin, "language")
	if err == nil {
		dev, bdeps := plan.dependencyKinds()
		_, err = cargoAudit(files[cargoLock], plan.Package, dev, bdeps)
	}
	return append(findingsOf(err), rustToolchainFindings(s, files)...)
}

func (rust) Build(in *BuildInput) (*BuildOutput, error) {
	s := in.Spec
	var cfg spec.Rust
	if s.Rust != nil {
		cfg = *s.Rust
	}
	lang := "language"
	if s.Source.Has("rust") {
		lang = "rust"
	}
	// Refusals about the context's manifests point at the language line.
	plan, err := planCargo(in.Files, cfg.Package, cfg.Bin, "language")
	if err != nil {
		return nil, err
	}
	// What the binary is built from, for scanners and the SBOM.
	dev, bdeps := plan.dependencyKinds()
	audit, err := cargoAudit(in.Files[cargoLock], plan.Package, dev, bdeps)
	if err != nil {
		return nil, err
	}
	triple, err := rustTriple(in.Target)
	if err != nil {
		return nil, err
	}
	static := rustStatic(s)

	// Everything the cargo steps share: same flags in the dependency and
	// the app build, or the dependencies would compile twice.
	rustflags := "-C strip=symbols"
	if static {
		// A static-pie glibc binary; --target keeps the flag off build
		// scripts and proc-macros, which must stay dynamic.
		rustflags = "-C target-feature=+crt-static " + rustflags
	}
	var env []llb.RunOption
	// Cargo sends a token to a registry that requires one only through a
	// configured credential provider; cargo:token reads it from
	// CARGO_REGISTRIES_<NAME>_TOKEN, which a build secret sets. A
	// provider in the project's .cargo/config.toml or a build arg wins.
	providers := true
	for _, kv := range in.Env {
		k, v, _ := strings.Cut(kv, "=")
		if k == "RUSTFLAGS" {
			rustflags = v + " " + rustflags
			continue
		}
		if k == "CARGO_REGISTRY_GLOBAL_CREDENTIAL_PROVIDERS" {
			providers = false
		}
		env = append(env, llb.AddEnv(k, v))
	}
	if providers {
		env = append(env, llb.AddEnv("CARGO_REGISTRY_GLOBAL_CREDENTIAL_PROVIDERS", "cargo:token"))
	}
	env = append(env,
		llb.AddEnv("CARGO_HOME", cargoHome),
		llb.AddEnv("CARGO_TARGET_DIR", cargoTargetDir),
		llb.AddEnv("CARGO_TERM_COLOR", "never"),
		llb.AddEnv("RUSTFLAGS", rustflags),
	)
	crossLinker := ""
	if in.Target.Architecture != in.Build.Architecture || in.Target.Variant != in.Build.Variant {
		crossLinker = rustLinkers[triple]
		env = append(env, llb.AddEnv("CARGO_TARGET_"+strings.ToUpper(strings.ReplaceAll(triple, "-", "_"))+"_LINKER", crossLinker))
	}
	var selection []string
	selection = append(selection, "--package", plan.Package)
	if len(cfg.Features) > 0 {
		selection = append(selection, "--features", strings.Join(cfg.Features, ","))
	}
	const total = 5

	// 1: the manifests, the lock, the cargo configuration and vendored
	// sources, and a stub for every target: the dependency steps see
	// nothing else, so a source edit leaves them cached.
	fa := llb.Mkdir(rustSrc, 0o755, llb.WithParents(true))
	for _, m := range plan.Manifests {
		fa = fa.Copy(in.Context, "/"+m, path.Join(rustSrc, m), &llb.CopyInfo{CreateDestPath: true})
	}
	fa = fa.Copy(in.Context, "/"+cargoLock, rustSrc+"/"+cargoLock)
	for _, c := range plan.Configs {
		fa = fa.Copy(in.Context, "/"+c, path.Join(rustSrc, c), &llb.CopyInfo{CreateDestPath: true})
	}
	for _, d := range plan.SourceDirs {
		fa = fa.Copy(in.Context, "/"+d, path.Join(rustSrc, d), &llb.CopyInfo{CreateDestPath: true, CopyDirContentsOnly: true})
	}
	for _, st := range plan.Stubs {
		p := path.Join(rustSrc, st.Path)
		fa = fa.Mkdir(path.Dir(p), 0o755, llb.WithParents(true)).Mkfile(p, 0o644, []byte(st.Data))
	}
	manifests := in.Builder.File(fa, in.Step(1, total, "copy Cargo.toml, Cargo.lock and stub targets", lang))

	// 2: fetch what the lock names, for the target platform, into
	// $CARGO_HOME in this step's layer.
	fetch := shJoin([]string{"cargo", "fetch", "--locked", "--target", triple})
	fetched := manifests.Run(append([]llb.RunOption{
		llb.Args([]string{"/bin/sh", "-c", rustScript(in.CA, "", "", fetch)}),
		llb.Dir(rustSrc),
		in.Step(2, total, "cargo fetch --locked", lang),
	}, append(env, in.RunOpts...)...)...).Root()

	// 3: compile the dependencies against the stubs, into the target
	// directory in this step's layer.
	build := append([]string{"cargo", "build", "--release", "--locked", "--target", triple}, selection...)
	depsBuilt := fetched.Run(append([]llb.RunOption{
		llb.Args([]string{"/bin/sh", "-c", rustScript(in.CA, triple, crossLinker, shJoin(build))}),
		llb.Dir(rustSrc),
		in.Step(3, total, "cargo build --release (dependencies of "+plan.Package+")", lang),
	}, append(env, in.RunOpts...)...)...).Root()

	// 4: the sources replace the stubs.
	var rm *llb.FileAction
	for _, st := range plan.Stubs {
		p := path.Join(rustSrc, st.Path)
		if rm == nil {
			rm = llb.Rm(p, llb.WithAllowNotFound(true))
		} else {
			rm = rm.Rm(p, llb.WithAllowNotFound(true))
		}
	}
	// The toolchain file was read at conversion (it chose the builder):
	// left in /src, rustup in the official image would switch toolchains
	// or download the components and targets it lists.
	copySrc := &llb.CopyInfo{CopyDirContentsOnly: true, ExcludePatterns: []string{"target", rustToolchainToml, rustToolchainLegacy}}
	if rm == nil {
		rm = llb.Copy(in.Context, "/", rustSrc+"/", copySrc)
	} else {
		rm = rm.Copy(in.Context, "/", rustSrc+"/", copySrc)
	}
	sources := depsBuilt.File(rm, in.Step(4, total, "copy sources", lang))

	// 5: build the app on top of the compiled dependencies (cargo
	// compiles the workspace's own crates only) and copy the binary out.
	binPath := "language"
	switch {
	case s.Source.Has("rust/bin"):
		binPath = "rust/bin"
	case s.Source.Has("rust"):
		binPath = "rust"
	}
	appBuild := slices.Concat(build, []string{"--bin", plan.Bin})
	out := path.Join(rustOut, s.Name)
	built := sources.Run(append([]llb.RunOption{
		llb.Args([]string{"/bin/sh", "-c", rustScript(in.CA, triple, crossLinker, rustTouch+" && "+shJoin(appBuild), rustCopyOut(triple, crossLinker, plan.Bin, out, static)...)}),
		llb.Dir(rustSrc),
		llb.AddMount(rustMeta, llb.Scratch().File(llb.Mkfile("/"+cargoAuditSection, 0o644, audit),
			in.Step(5, total, "dependency list for the binary ("+cargoAuditSection+")", lang)), llb.Readonly),
		in.Step(5, total, strings.Join(appBuild[:3], " ")+" --bin "+plan.Bin, binPath),
	}, append(env, in.RunOpts...)...)...).Root()

	dest := "/usr/local/bin/" + s.Name
	return &BuildOutput{
		Layers:     []Layer{{Name: "app", State: built, Files: []Artifact{{Src: out, Dest: dest, Mode: 0o755}}}},
		Entrypoint: []string{dest},
		SBOM:       []SBOMSource{{Kind: "rust-binary", Path: dest}},
	}, nil
}

// rustScript wraps a cargo command: the CA bundle for cargo's HTTP client
// when the secret is there, a clear message when the toolchain lacks the
// target or the linker, and an explanation when the lock is out of date.
func rustScript(ca, triple, linker, cmd string, after ...string) string {
	var b strings.Builder
	b.WriteString("set -eu\n")
	fmt.Fprintf(&b, "if [ -f %s ]; then export CARGO_HTTP_CAINFO=%s; fi\n", shQuote(ca), shQuote(ca))
	if triple != "" {
		fmt.Fprintf(&b, `if [ ! -d "$(rustc --print sysroot)/lib/rustlib/%[1]s/lib" ]; then
  echo "error: the Rust toolchain in the builder has no standard library for %[1]s; build on a builder of that platform, or use a builder with the target installed (rustup target add %[1]s)" >&2
  exit 1
fi
`, triple)
	}
	if linker != "" {
		fmt.Fprintf(&b, `if ! command -v %[1]s >/dev/null 2>&1; then
  echo "error: cross-compiling for %[2]s needs the linker %[1]s, which the builder does not have (Debian: apt-get install gcc-%[3]s libc6-dev-%[4]s-cross)" >&2
  exit 1
fi
`, linker, triple, strings.TrimSuffix(linker, "-gcc"), debianCrossArch(triple))
	}
	fmt.Fprintf(&b, `rc=0
%s 2>/tmp/cargo.err || rc=$?
cat /tmp/cargo.err >&2
if [ "$rc" -ne 0 ]; then
  if grep -q 'needs to be updated but --locked was passed' /tmp/cargo.err; then
    echo "error: Cargo.lock is out of date with Cargo.toml, and the build never re-resolves dependencies. Run cargo update --workspace (or cargo build) where you develop, review the change to Cargo.lock, and commit it." >&2
  fi
  exit "$rc"
fi
`, cmd)
	for _, a := range after {
		b.WriteString(a + "\n")
	}
	return b.String()
}

// rustTouch makes the sources newer than anything in the target directory:
// cargo decides by file times whether a local crate is fresh, and the
// dependency layer holds builds of the stubs, possibly newer than the
// context's files (a layer imported from a registry cache keeps the times
// of the daemon that made it).
const rustTouch = "find " + rustSrc + " -type f -exec touch -c {} +"

// rustCopyOut copies the binary out of the target directory, checking
// that a static build really has no interpreter.
func rustCopyOut(triple, linker, bin, out string, static bool) []string {
	// The build machine's objcopy knows its own architecture only; a cross
	// build uses the binutils that come with the cross gcc.
	objcopy := "objcopy"
	if linker != "" {
		objcopy = strings.TrimSuffix(linker, "gcc") + "objcopy"
	}
	cmds := []string{
		"mkdir -p " + rustOut,
		"cp " + shQuote(path.Join(cargoTargetDir, triple, "release", bin)) + " " + shQuote(out),
		// The dependency list goes into the binary, as cargo-auditable
		// puts it, so the image needs no Cargo.lock to be scanned.
		fmt.Sprintf(`command -v %[4]s >/dev/null 2>&1 || { echo "error: the builder has no %[4]s (binutils) to record the dependencies in the binary" >&2; exit 1; }
%[4]s --add-section %[1]s=%[2]s --set-section-flags %[1]s=noload,readonly %[3]s`, cargoAuditSection, shQuote(path.Join(rustMeta, cargoAuditSection)), shQuote(out), objcopy),
	}
	if static {
		cmds = append(cmds, fmt.Sprintf(`if command -v readelf >/dev/null 2>&1 && readelf -lW %s | grep -q 'program interpreter'; then
  echo "error: the binary is not static (it asks for a dynamic loader): a dependency links a shared C library; set rust.static: false to run it on distroless cc" >&2
  exit 1
fi`, shQuote(out)))
	}
	return cmds
}

func debianCrossArch(triple string) string {
	switch {
	case strings.HasPrefix(triple, "x86_64"):
		return "amd64"
	case strings.HasPrefix(triple, "aarch64"):
		return "arm64"
	case strings.HasPrefix(triple, "armv7"):
		return "armhf"
	case strings.HasPrefix(triple, "i686"):
		return "i386"
	case strings.HasPrefix(triple, "powerpc64le"):
		return "ppc64el"
	case strings.HasPrefix(triple, "s390x"):
		return "s390x"
	}
	return "riscv64"
}

// shJoin quotes every word that is not plainly safe.
func shJoin(words []string) string {
	out := make([]string, len(words))
	for i, w := range words {
		if w != "" && strings.Trim(w, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.,/=:") == "" {
			out[i] = w
		} else {
			out[i] = shQuote(w)
		}
	}
	return strings.Join(out, " ")
}

// shQuote quotes a word for sh.
func shQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
