// Package rust plans Rust builds: cargo fetches and compiles the
// dependencies from the manifests and the lock alone (stub targets stand
// in for the sources), then the app on top of them; the binary carries
// its dependency list, as cargo-auditable writes it, for scanners.
package rust

import (
	"fmt"
	"strings"

	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/org/safe-frontend/lang"
	"github.com/org/safe-frontend/spec"
)

// DefaultVersion is the toolchain used when a spec names none; it moves
// with frontend releases, never with "latest".
const DefaultVersion = "1.95"

// debianRelease is the Debian release of the builder: the one distroless
// cc is made from, so a glibc-linked binary finds the glibc it was linked
// against.
const debianRelease = "trixie"

type rust struct{}

func init() { lang.Register(rust{}) }

// What the frontend relies on: a method that drifts from an interface
// would silently do nothing.
var (
	_ lang.Planner        = rust{}
	_ lang.ContextChecker = rust{}
	_ lang.ContextApplier = rust{}
)

func (rust) Name() string { return "rust" }

func (rust) BuilderImage(s *spec.Spec) string {
	v := DefaultVersion
	if s.Rust != nil && s.Rust.Version != "" {
		v = s.Rust.Version
	}
	tag, dgst, pinned := strings.Cut(v, "@")
	ref := "docker.io/library/rust:" + tag + "-" + debianRelease
	if pinned {
		ref += "@" + dgst
	}
	return ref
}

// rustStatic: static unless the spec says static: false.
func rustStatic(s *spec.Spec) bool {
	return s.Rust == nil || s.Rust.Static == nil || *s.Rust.Static
}

func (rust) Runtime(s *spec.Spec) lang.Runtime {
	if rustStatic(s) {
		return lang.RuntimeStatic
	}
	// A default Rust binary links libc, libgcc_s and libm.
	return lang.RuntimeCC
}

func (r rust) FinalImage(s *spec.Spec, final string) (string, bool) {
	return lang.CommonFinal(r.Runtime(s), final)
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
		return "", fmt.Errorf("no Rust target for platform %s (supported: linux/amd64, linux/arm64, linux/arm/v7, linux/386, linux/ppc64le, linux/s390x, linux/riscv64)", lang.PlatformString(p))
	}
	return t, nil
}

// CheckContext plans the build from Cargo.toml and Cargo.lock (a missing
// lock, manifests that cannot be read or do not say what to build) and
// checks the toolchain file against the spec.
func (rust) CheckContext(s *spec.Spec, files map[string][]byte, _ bool) []lang.ContextFinding {
	cfg := rustConfig(s)
	cp, err := planCargo(files, cfg.Package, cfg.Bin, "language")
	if err == nil {
		dev, bdeps := cp.dependencyKinds()
		_, err = cargoAudit(files[cargoLock], cp.Package, dev, bdeps)
	}
	return append(lang.FindingsOf(err), rustToolchainFindings(s, files)...)
}

// rustConfig is the spec's rust section, empty when it has none.
func rustConfig(s *spec.Spec) spec.Rust {
	if s.Rust != nil {
		return *s.Rust
	}
	return spec.Rust{}
}
