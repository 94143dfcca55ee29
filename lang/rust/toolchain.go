package rust

import (
	"fmt"
	"regexp"
	"strings"

	toml "github.com/pelletier/go-toml/v2"
	"github.com/pkg/errors"

	"github.com/org/safe-frontend/lang"
	"github.com/org/safe-frontend/rules"
	"github.com/org/safe-frontend/spec"
)

// The toolchain files rustup reads in the project's root: the TOML one,
// and the older one, which holds either TOML or just a channel name.
const (
	rustToolchainToml   = "rust-toolchain.toml"
	rustToolchainLegacy = "rust-toolchain"
)

// rustReleaseRe is a channel that names one release ("1.95", "1.95.0"):
// what a rust image tag is made of.
var rustReleaseRe = regexp.MustCompile(`^[0-9]{1,3}\.[0-9]{1,4}(\.[0-9]{1,4})?$`)

// rustToolchainFile is the part of rust-toolchain.toml the build uses.
// components, targets and profile say what rustup installs next to the
// compiler; the build does not install anything, so they are not read.
type rustToolchainFile struct {
	Toolchain struct {
		Channel string `toml:"channel"`
		Path    string `toml:"path"`
	} `toml:"toolchain"`
}

// rustToolchain is what the project's toolchain file pins.
type rustToolchain struct {
	File    string // context path of the file read
	Channel string // as written
	// Release is Channel when it names one release, else "".
	Release string
}

// readRustToolchain reads the toolchain file in the context's root: nil
// when there is none; an error (under SF132) when it cannot be read or
// does not pin a release the build can use.
func readRustToolchain(files map[string][]byte) (*rustToolchain, error) {
	dt, hasToml := files[rustToolchainToml]
	legacy, hasLegacy := files[rustToolchainLegacy]
	switch {
	case hasToml && hasLegacy:
		return nil, errors.Errorf("both %s and %s are in the context; rustup refuses that too: keep %s", rustToolchainToml, rustToolchainLegacy, rustToolchainToml)
	case !hasToml && !hasLegacy:
		return nil, nil
	}
	name := rustToolchainToml
	if hasLegacy {
		name, dt = rustToolchainLegacy, legacy
		// The old format may be a bare channel on one line.
		if line := strings.TrimSpace(string(dt)); !strings.ContainsAny(line, "[=\n") {
			return checkRustChannel(&rustToolchain{File: name, Channel: line})
		}
	}
	var f rustToolchainFile
	if err := toml.Unmarshal(dt, &f); err != nil {
		line := 1
		var de *toml.DecodeError
		if errors.As(err, &de) {
			line, _ = de.Position()
		}
		return nil, errors.Errorf("%s:%d: not valid TOML: %s", name, line, lang.Truncate(strings.ReplaceAll(err.Error(), "\n", " "), 200))
	}
	if f.Toolchain.Path != "" {
		return nil, errors.Errorf("%s: [toolchain] path = %q names a toolchain on the developer's machine, which a build cannot use; pin a release instead (channel = \"%s\")", name, lang.Truncate(f.Toolchain.Path, 80), DefaultVersion)
	}
	if f.Toolchain.Channel == "" {
		return nil, errors.Errorf("%s: [toolchain] has no channel; pin a release (channel = \"%s\")", name, DefaultVersion)
	}
	return checkRustChannel(&rustToolchain{File: name, Channel: f.Toolchain.Channel})
}

func checkRustChannel(tc *rustToolchain) (*rustToolchain, error) {
	if rustReleaseRe.MatchString(tc.Channel) {
		tc.Release = tc.Channel
		return tc, nil
	}
	ch := lang.Truncate(tc.Channel, 80)
	switch {
	case ch == "stable" || ch == "beta" || strings.HasPrefix(ch, "stable-") || strings.HasPrefix(ch, "beta-"):
		return nil, errors.Errorf("%s: channel %q moves over time, so the compiler would change under the same sources; pin the release you test with (channel = \"%s\")", tc.File, ch, DefaultVersion)
	case strings.HasPrefix(ch, "nightly"):
		return nil, errors.Errorf("%s: channel %q is a nightly toolchain; the builder is the official rust image, which carries stable releases only: pin a release (channel = \"%s\")", tc.File, ch, DefaultVersion)
	}
	return nil, errors.Errorf("%s: channel %q is not a Rust release the builder image is tagged with; write one such as \"%s\" or \"%s.0\"", tc.File, ch, DefaultVersion, DefaultVersion)
}

// sameRustRelease: "1.95" and "1.95.0" name the same release line; two
// full versions must be equal.
func sameRustRelease(a, b string) bool {
	a, _, _ = strings.Cut(a, "@")
	if a == b {
		return true
	}
	short, long := a, b
	if strings.Count(short, ".") > strings.Count(long, ".") {
		short, long = long, short
	}
	return strings.Count(short, ".") == 1 && strings.HasPrefix(long, short+".")
}

// rustToolchainFindings checks the toolchain file against the spec: a
// release the spec's rust.version contradicts, a floating channel, a file
// that cannot be read. Exempting SF132 builds with rust.version (or the
// frontend's default) and ignores the file.
func rustToolchainFindings(s *spec.Spec, files map[string][]byte) []lang.ContextFinding {
	where := lang.SpecPath(s, "rust/version")
	tc, err := readRustToolchain(files)
	if err != nil {
		return []lang.ContextFinding{{Rule: rules.RustToolchain, Path: where, Message: err.Error()}}
	}
	if tc == nil || s.Rust == nil || s.Rust.Version == "" {
		return nil
	}
	if !sameRustRelease(s.Rust.Version, tc.Release) {
		return []lang.ContextFinding{{Rule: rules.RustToolchain, Path: where, Message: fmt.Sprintf(
			"rust.version %q and %s (channel %q) name different compilers; the image would not be built with the one the project is tested with: make them agree, or remove rust.version to build with %s's", s.Rust.Version, tc.File, tc.Channel, tc.File)}}
	}
	return nil
}

// ApplyContext takes the release a toolchain file pins as rust.version
// when the spec names none, so the builder image is that release's; a
// file the policy refused (and the spec exempted) is ignored.
func (rust) ApplyContext(s *spec.Spec, files map[string][]byte) {
	if s.Rust != nil && s.Rust.Version != "" {
		return
	}
	tc, err := readRustToolchain(files)
	if err != nil || tc == nil {
		return
	}
	if s.Rust == nil {
		s.Rust = &spec.Rust{}
	}
	s.Rust.Version = tc.Release
}
