package rust

import (
	"fmt"
	"path"
	"strings"

	"github.com/org/safe-frontend/lang"
)

// rustScript wraps a cargo command: the CA bundle for cargo's HTTP client
// when the secret is there, a clear message when the toolchain lacks the
// target or the linker, and an explanation when the lock is out of date.
func rustScript(ca, triple, linker, cmd string, after ...string) string {
	var b strings.Builder
	b.WriteString("set -eu\n")
	fmt.Fprintf(&b, "if [ -f %s ]; then export CARGO_HTTP_CAINFO=%s; fi\n", lang.ShellQuote(ca), lang.ShellQuote(ca))
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
  if grep -qE 'needs to be updated but --locked was passed|cannot update the lock file .* because --locked was passed' /tmp/cargo.err; then
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
		"cp " + lang.ShellQuote(path.Join(cargoTargetDir, triple, "release", bin)) + " " + lang.ShellQuote(out),
		// The dependency list goes into the binary, as cargo-auditable
		// puts it, so the image needs no Cargo.lock to be scanned.
		fmt.Sprintf(`command -v %[4]s >/dev/null 2>&1 || { echo "error: the builder has no %[4]s (binutils) to record the dependencies in the binary" >&2; exit 1; }
%[4]s --add-section %[1]s=%[2]s --set-section-flags %[1]s=noload,readonly %[3]s`, cargoAuditSection, lang.ShellQuote(path.Join(rustMeta, cargoAuditSection)), lang.ShellQuote(out), objcopy),
	}
	if static {
		cmds = append(cmds, fmt.Sprintf(`if command -v readelf >/dev/null 2>&1 && readelf -lW %s | grep -q 'program interpreter'; then
  echo "error: the binary is not static (it asks for a dynamic loader): a dependency links a shared C library; set rust.static: false to run it on distroless cc" >&2
  exit 1
fi`, lang.ShellQuote(out)))
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
