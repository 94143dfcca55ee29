package rust

import (
	"flag"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/org/safe-frontend/lang"
	"github.com/org/safe-frontend/lang/langtest"
	"github.com/org/safe-frontend/spec"
)

var update = flag.Bool("update", false, "rewrite the golden files")

var (
	amd64 = langtest.AMD64
	arm64 = ocispecs.Platform{OS: "linux", Architecture: "arm64"}
)

func rustSpec() *spec.Spec {
	return &spec.Spec{Name: "rust-hello", Version: "1.0.0", Language: "rust", Rust: &spec.Rust{Version: "1.95"}}
}

// exampleInput is the input of examples/rust-hello.
func exampleInput(t *testing.T) *lang.Input {
	t.Helper()
	return langtest.ExampleInput(t, rust{}, filepath.Join("..", "..", "examples", "rust-hello"))
}

// The plan of examples/rust-hello in words: what `safe plan` prints.
func TestPlanGolden(t *testing.T) {
	p, err := rust{}.Plan(exampleInput(t))
	if err != nil {
		t.Fatal(err)
	}
	langtest.RequireGoldenPlan(t, p, filepath.Join("testdata", "rust-hello.plan"), *update)
}

// The cargo steps' own variables follow the build args and win over
// them; a RUSTFLAGS arg is kept in front of the frontend's flags, and a
// credential provider the args name replaces cargo:token.
func TestCargoEnv(t *testing.T) {
	for _, tc := range []struct {
		name         string
		args         []string
		target       ocispecs.Platform
		static       bool
		want, absent string
	}{
		{"static", nil, amd64, true, "RUSTFLAGS=-C target-feature=+crt-static -C strip=symbols", "_LINKER="},
		{"dynamic", nil, amd64, false, "RUSTFLAGS=-C strip=symbols", "crt-static"},
		{"rustflags arg", []string{"RUSTFLAGS=-C opt-level=s"}, amd64, false, "RUSTFLAGS=-C opt-level=s -C strip=symbols", ""},
		{"provider arg", []string{"CARGO_REGISTRY_GLOBAL_CREDENTIAL_PROVIDERS=cargo:libsecret"}, amd64, true, "CARGO_HOME=", "cargo:token"},
		{"cross", nil, arm64, true, "CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := exampleInput(t)
			in.BuildArgs, in.Target = tc.args, tc.target
			in.Spec.Rust.Static = &tc.static
			p, err := rust{}.Plan(in)
			if err != nil {
				t.Fatal(err)
			}
			for _, st := range p.Stages {
				for _, s := range st.Steps {
					if s.Run == nil {
						continue
					}
					if !s.Run.BuildArgs || !s.Run.ArgsFirst {
						t.Errorf("%s: the build args are not passed before the step's env", s.Name)
					}
					env := strings.Join(s.Run.Env, "\n")
					if !slices.ContainsFunc(s.Run.Env, func(kv string) bool { return strings.HasPrefix(kv, tc.want) }) {
						t.Errorf("%s: env %q has no %s", s.Name, s.Run.Env, tc.want)
					}
					if tc.absent != "" && strings.Contains(env, tc.absent) {
						t.Errorf("%s: env %q has %s", s.Name, s.Run.Env, tc.absent)
					}
				}
			}
		})
	}
}
