package rust

import (
	"strings"
	"testing"

	"github.com/org/safe-frontend/rules"
	"github.com/org/safe-frontend/spec"
)

func TestRustToolchainFile(t *testing.T) {
	for _, tc := range []struct {
		name    string
		files   map[string]string
		release string // "" with err "" means no file
		err     string
	}{
		{"none", nil, "", ""},
		{"toml release", map[string]string{rustToolchainToml: "[toolchain]\nchannel = \"1.95.0\"\ncomponents = [\"clippy\"]\ntargets = [\"aarch64-unknown-linux-gnu\"]\nprofile = \"minimal\"\n"}, "1.95.0", ""},
		{"toml minor", map[string]string{rustToolchainToml: "[toolchain]\nchannel = \"1.95\"\n"}, "1.95", ""},
		{"legacy bare", map[string]string{rustToolchainLegacy: "1.95.0\n"}, "1.95.0", ""},
		{"legacy toml", map[string]string{rustToolchainLegacy: "[toolchain]\nchannel = \"1.94\"\n"}, "1.94", ""},
		{"stable", map[string]string{rustToolchainToml: "[toolchain]\nchannel = \"stable\"\n"}, "", `channel "stable" moves over time`},
		{"legacy stable", map[string]string{rustToolchainLegacy: "stable"}, "", `rust-toolchain: channel "stable" moves`},
		{"nightly", map[string]string{rustToolchainToml: "[toolchain]\nchannel = \"nightly-2026-05-19\"\n"}, "", "nightly toolchain"},
		{"host suffix", map[string]string{rustToolchainToml: "[toolchain]\nchannel = \"1.95.0-x86_64-unknown-linux-gnu\"\n"}, "", "is not a Rust release"},
		{"injection", map[string]string{rustToolchainToml: "[toolchain]\nchannel = \"1.95@sha256:x\\n\"\n"}, "", "is not a Rust release"},
		{"path", map[string]string{rustToolchainToml: "[toolchain]\npath = \"/home/me/rust\"\n"}, "", "a build cannot use"},
		{"no channel", map[string]string{rustToolchainToml: "[toolchain]\nprofile = \"minimal\"\n"}, "", "has no channel"},
		{"bad toml", map[string]string{rustToolchainToml: "[toolchain]\nchannel = \"1.95\"\nchannel = \"1.94\"\n"}, "", "rust-toolchain.toml:3: not valid TOML"},
		{"wrong type", map[string]string{rustToolchainToml: "[toolchain]\nchannel = 1.95\n"}, "", "rust-toolchain.toml:2: not valid TOML"},
		{"both", map[string]string{rustToolchainToml: "[toolchain]\nchannel = \"1.95\"\n", rustToolchainLegacy: "1.95"}, "", "both rust-toolchain.toml and rust-toolchain"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files := map[string][]byte{}
			for k, v := range tc.files {
				files[k] = []byte(v)
			}
			got, err := readRustToolchain(files)
			switch {
			case tc.err != "":
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
			case err != nil:
				t.Fatal(err)
			case tc.release == "" && got != nil:
				t.Fatalf("got %+v, want no file", got)
			case tc.release != "" && (got == nil || got.Release != tc.release):
				t.Fatalf("got %+v, want release %s", got, tc.release)
			}
		})
	}
}

func TestRustToolchainAgainstSpec(t *testing.T) {
	file := map[string][]byte{rustToolchainToml: []byte("[toolchain]\nchannel = \"1.95.0\"\n")}
	for _, tc := range []struct {
		version string
		ok      bool
	}{{"", true}, {"1.95", true}, {"1.95.0", true}, {"1.95.0@sha256:" + strings.Repeat("a", 64), true}, {"1.94", false}, {"1.95.1", false}, {"1.9", false}} {
		s := rustSpec()
		s.Rust.Version = tc.version
		found := rustToolchainFindings(s, file)
		if tc.ok != (len(found) == 0) {
			t.Errorf("rust.version %q: findings %v", tc.version, found)
		}
		for _, f := range found {
			if f.Rule != rules.RustToolchain || !strings.Contains(f.Message, "name different compilers") {
				t.Errorf("rust.version %q: %+v", tc.version, f)
			}
		}
	}

	// No rust.version: the file's release picks the builder.
	s := rustSpec()
	s.Rust.Version = ""
	rust{}.ApplyContext(s, file)
	if got := (rust{}).BuilderImage(s); got != "docker.io/library/rust:1.95.0-trixie" {
		t.Errorf("builder %s, want the toolchain file's release", got)
	}
	s = &spec.Spec{Name: "x", Language: "rust"}
	rust{}.ApplyContext(s, file)
	if got := (rust{}).BuilderImage(s); got != "docker.io/library/rust:1.95.0-trixie" {
		t.Errorf("builder %s without a rust: section", got)
	}
	// rust.version wins (the check makes sure they agree); a refused file
	// that was exempted is ignored.
	s = rustSpec()
	rust{}.ApplyContext(s, file)
	if got := (rust{}).BuilderImage(s); got != "docker.io/library/rust:1.95-trixie" {
		t.Errorf("builder %s, want rust.version's", got)
	}
	s = &spec.Spec{Name: "x", Language: "rust"}
	rust{}.ApplyContext(s, map[string][]byte{rustToolchainToml: []byte("[toolchain]\nchannel = \"stable\"\n")})
	if got := (rust{}).BuilderImage(s); got != "docker.io/library/rust:"+DefaultVersion+"-trixie" {
		t.Errorf("builder %s for an exempted floating channel, want the default", got)
	}
}

func FuzzRustToolchain(f *testing.F) {
	f.Add([]byte("[toolchain]\nchannel = \"1.95.0\"\n"), false)
	f.Add([]byte("1.95"), true)
	f.Add([]byte("[toolchain]\npath = \"/x\"\n"), false)
	f.Fuzz(func(t *testing.T, dt []byte, legacy bool) {
		name := rustToolchainToml
		if legacy {
			name = rustToolchainLegacy
		}
		tc, err := readRustToolchain(map[string][]byte{name: dt})
		if err == nil && tc != nil && !rustReleaseRe.MatchString(tc.Release) {
			t.Fatalf("accepted %q as a release", tc.Release)
		}
	})
}
