package llbgen

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/org/safe-frontend/rules"
	"github.com/org/safe-frontend/spec"
)

func rustSpec() *spec.Spec {
	return &spec.Spec{
		Name:     "rust-hello",
		Version:  "1.0.0",
		Language: "rust",
		Rust:     &spec.Rust{Version: "1.95"},
		Run: spec.Run{
			Args:   []string{"--listen=:8080"},
			Port:   8080,
			Health: &spec.Health{HTTP: "/healthz"},
		},
	}
}

// rustInput is testInput with the rust builder and the example's manifests.
func rustInput(t testing.TB, s *spec.Spec, target ocispecs.Platform) *Input {
	in := testInput(s, target)
	img := &dockerspec.DockerOCIImage{}
	img.Config.Env = []string{"PATH=/usr/local/cargo/bin:/usr/bin:/bin", "CARGO_HOME=/usr/local/cargo"}
	ref := "docker.io/library/rust:1.95-trixie@" + goDigest.String()
	in.Bases[RoleBuilder] = Base{Name: "docker.io/library/rust:1.95-trixie", Digest: goDigest,
		State: llb.Image(ref, llb.Platform(amd64)), Image: img}
	if ref, ok := registered(t, "rust").FinalImage(s, finalName(s)); ok {
		b := in.Bases[RoleFinal]
		b.Name = ref
		b.State = llb.Image(ref+"@"+finalDigest.String(), llb.Platform(target))
		in.Bases[RoleFinal] = b
	}
	in.Files = map[string][]byte{}
	for _, f := range []string{"Cargo.toml", "Cargo.lock"} {
		dt, err := os.ReadFile(filepath.Join("..", "examples", "rust-hello", f))
		if err != nil {
			t.Fatal(err)
		}
		in.Files[f] = dt
	}
	return in
}

func TestRustGolden(t *testing.T) {
	off := false
	for _, tc := range []struct {
		name   string
		edit   func(*spec.Spec)
		target ocispecs.Platform
	}{
		{"rust-hello-static-amd64", func(*spec.Spec) {}, amd64},
		{"rust-hello-cc-arm64", func(s *spec.Spec) { s.Rust.Static = &off; s.Rust.Features = []string{"a", "b"} }, arm64},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := rustSpec()
			tc.edit(s)
			requireGolden(t, tc.name, rustInput(t, s, tc.target))
		})
	}
}

func TestRustDeterministic(t *testing.T) {
	requireDeterministic(t, func() *Input { return rustInput(t, rustSpec(), amd64) })
}

func TestRustFinals(t *testing.T) {
	off := false
	for _, tc := range []struct {
		static *bool
		final  string
		want   string
		err    string
	}{
		{nil, "distroless", "gcr.io/distroless/static-debian13:nonroot", ""},
		{nil, "scratch", "", ""},
		{&off, "distroless", "gcr.io/distroless/cc-debian13:nonroot", ""},
		{&off, "scratch", "", "cannot run a rust app"},
		{&off, "distroless-base", "gcr.io/distroless/cc-debian13:nonroot", ""},
	} {
		s := rustSpec()
		s.Rust.Static = tc.static
		s.Final = tc.final
		reqs, err := Bases(s, amd64, amd64)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("static=%v final=%s: err %v, want %q", tc.static, tc.final, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("static=%v final=%s: %v", tc.static, tc.final, err)
		}
		got := ""
		for _, r := range reqs {
			if r.Role == RoleFinal {
				got = r.Name
			}
			if r.Role == RoleBuilder && r.Name != "docker.io/library/rust:1.95-trixie" {
				t.Errorf("builder %s", r.Name)
			}
		}
		if got != tc.want {
			t.Errorf("static=%v final=%s: final %q, want %q", tc.static, tc.final, got, tc.want)
		}
	}
	s := rustSpec()
	s.Rust.Version = "1.95.0@sha256:" + strings.Repeat("a", 64)
	if got := registered(t, "rust").BuilderImage(s); got != "docker.io/library/rust:1.95.0-trixie@sha256:"+strings.Repeat("a", 64) {
		t.Errorf("pinned builder = %s", got)
	}
}

// The fetch and dependency steps depend on the manifests and the lock
// only: the binary to build and the sources do not change them.
func TestRustDependencyStepsIgnoreTheApp(t *testing.T) {
	s1, s2 := rustSpec(), rustSpec()
	s2.Rust.Bin = "other"
	d1, _ := marshal(t, rustInput(t, s1, amd64))
	d2, _ := marshal(t, rustInput(t, s2, amd64))
	for _, name := range []string{"cargo fetch --locked", "(dependencies of rust-hello)"} {
		if a, b := vertexByName(t, d1, name), vertexByName(t, d2, name); a != b {
			t.Errorf("%s changed with rust.bin: %s vs %s", name, a, b)
		}
	}
	if vertexByName(t, d1, "--bin rust-hello") == vertexByName(t, d2, "--bin other") {
		t.Error("the app build did not change with rust.bin")
	}
	// Every cargo command is --locked and the static flags reach both
	// compile steps alike.
	for _, dt := range d1.Def {
		var op pb.Op
		if err := op.UnmarshalVT(dt); err != nil {
			t.Fatal(err)
		}
		ex := op.GetExec()
		if ex == nil {
			continue
		}
		script := commandText(t, d1, &op)
		if strings.Contains(script, "cargo ") && !strings.Contains(script, "--locked") {
			t.Errorf("cargo without --locked: %s", script)
		}
		if !strings.Contains(strings.Join(ex.Meta.Env, " "), "RUSTFLAGS=-C target-feature=+crt-static -C strip=symbols") {
			t.Errorf("step without the static RUSTFLAGS: %v", ex.Meta.Env)
		}
	}
}

func TestRustRefusals(t *testing.T) {
	in := rustInput(t, rustSpec(), amd64)
	delete(in.Files, "Cargo.lock")
	_, err := Convert(in)
	var re *RuleError
	if !errors.As(err, &re) || re.Rule != rules.CargoLockMissing {
		t.Fatalf("no lock: %v", err)
	}
	in = rustInput(t, rustSpec(), ocispecs.Platform{OS: "windows", Architecture: "amd64"})
	if _, err := Convert(in); err == nil || !strings.Contains(err.Error(), "no Rust target for platform windows/amd64") {
		t.Fatalf("windows: %v", err)
	}
}
