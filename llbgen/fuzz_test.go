package llbgen

import (
	"context"
	"os"
	"testing"

	"github.com/moby/buildkit/client/llb"

	"github.com/org/safe-frontend/spec"
)

// FuzzConvert: any spec the parser accepts, even one the policy would
// refuse, converts (or is refused with an error) without panicking, and
// deterministically.
func FuzzConvert(f *testing.F) {
	if dt, err := os.ReadFile("../examples/go-hello/Dockerfile"); err == nil {
		f.Add(dt)
	}
	if dt, err := os.ReadFile("../examples/python-hello/Dockerfile"); err == nil {
		f.Add(dt)
	}
	f.Add([]byte("name: a\nlanguage: go\nfinal: scratch\n"))
	f.Add([]byte("name: a\nlanguage: python\npython:\n  module: a.b\n  requirements: ../x\n"))
	if dt, err := os.ReadFile("../examples/rust-hello/Dockerfile"); err == nil {
		f.Add(dt)
	}
	f.Add([]byte("name: a\nlanguage: rust\nrust:\n  static: false\n  features: [\"x y\"]\n  bin: \"$(id)\"\n"))
	f.Add([]byte("name: a\nlanguage: go\ncopy:\n  - from: conf/\n    to: /etc/app/\n"))
	f.Add([]byte("name: a\nlanguage: go\nsecrets:\n  - id: t\n    env: T\n    required: true\nbuild:\n  args:\n    GOFLAGS: -mod=vendor\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := spec.Parse("Dockerfile", data)
		if err != nil {
			return
		}
		for _, target := range []bool{false, true} {
			if target {
				s.Final = "scratch"
			}
			in := fuzzInput(t, s)
			res, err := Convert(in)
			if err != nil {
				return
			}
			a, err := res.State.Marshal(context.Background(), llb.Platform(amd64))
			if err != nil {
				t.Fatalf("marshal: %v", err)
			}
			res2, err := Convert(fuzzInput(t, s))
			if err != nil {
				t.Fatalf("second conversion failed: %v", err)
			}
			b, err := res2.State.Marshal(context.Background(), llb.Platform(amd64))
			if err != nil {
				t.Fatalf("marshal: %v", err)
			}
			if len(a.Def) != len(b.Def) {
				t.Fatalf("conversion is not deterministic")
			}
			for i := range a.Def {
				if string(a.Def[i]) != string(b.Def[i]) {
					t.Fatalf("conversion is not deterministic at op %d", i)
				}
			}
		}
	})
}

// fuzzInput is testInput with the example's manifests for a rust spec, so
// the rust conversion runs past the manifest plan.
func fuzzInput(t *testing.T, s *spec.Spec) *Input {
	in := testInput(s, amd64)
	if s.Language == "rust" {
		in.Files = map[string][]byte{}
		for _, f := range []string{"Cargo.toml", "Cargo.lock"} {
			dt, err := os.ReadFile("../examples/rust-hello/" + f)
			if err != nil {
				t.Fatal(err)
			}
			in.Files[f] = dt
		}
	}
	return in
}
