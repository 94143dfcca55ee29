package lock

import (
	"errors"
	"strings"
	"testing"

	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

const (
	dA = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	dB = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
)

func sample() *File {
	return &File{Bases: []Entry{
		{Name: "gcr.io/distroless/static-debian13:nonroot", Platform: "linux/arm64", Digest: dB},
		{Name: "docker.io/library/golang:1.26", Platform: "linux/amd64", Digest: dA},
		{Name: "gcr.io/distroless/static-debian13:nonroot", Platform: "linux/amd64", Digest: dB},
	}}
}

func TestMarshalIsStableAndRoundTrips(t *testing.T) {
	a, err := sample().Marshal("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	// The written order does not depend on the order entries were found in.
	f := sample()
	f.Bases[0], f.Bases[2] = f.Bases[2], f.Bases[0]
	b, err := f.Marshal("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	if string(a) != string(b) {
		t.Fatalf("two orders of the same entries gave different locks:\n%s\n---\n%s", a, b)
	}
	want := `version: 1
bases:
  - name: docker.io/library/golang:1.26
    platform: linux/amd64
    digest: ` + dA + `
  - name: gcr.io/distroless/static-debian13:nonroot
    platform: linux/amd64
    digest: ` + dB + `
  - name: gcr.io/distroless/static-debian13:nonroot
    platform: linux/arm64
    digest: ` + dB + `
`
	if !strings.HasPrefix(string(a), "# Base images of Dockerfile") || !strings.HasSuffix(string(a), want) {
		t.Fatalf("lock:\n%s\nwant it to end with:\n%s", a, want)
	}
	p, err := Parse("Dockerfile.lock", "Dockerfile", a)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Bases) != 3 || p.Bases[1].Line() != 9 {
		t.Fatalf("parsed %+v", p.Bases)
	}
	e, ok := p.Lookup("gcr.io/distroless/static-debian13:nonroot", ocispecs.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"})
	if !ok || e.Digest != dB {
		t.Fatalf("lookup of linux/arm64/v8 = %+v, %v", e, ok)
	}
	if _, ok := p.Lookup("docker.io/library/golang:1.26", ocispecs.Platform{OS: "linux", Architecture: "arm64"}); ok {
		t.Fatal("lookup found a platform the lock does not pin")
	}
	if got := p.Unused([]string{"docker.io/library/golang:1.26"}); len(got) != 2 {
		t.Fatalf("unused = %v", got)
	}
	if got := p.Names(); len(got) != 2 {
		t.Fatalf("names = %v", got)
	}
}

func TestMarshalRefusesBadEntries(t *testing.T) {
	f := &File{Bases: []Entry{{Name: "golang:1.26", Platform: "linux/amd64", Digest: dA}}}
	if _, err := f.Marshal("Dockerfile"); err == nil || !strings.Contains(err.Error(), "fully qualified") {
		t.Fatalf("err = %v", err)
	}
}

func TestParseRefuses(t *testing.T) {
	entry := func(name, platform, dgst string) string {
		return "  - name: " + name + "\n    platform: " + platform + "\n    digest: " + dgst + "\n"
	}
	good := entry("docker.io/library/golang:1.26", "linux/amd64", dA)
	for _, tc := range []struct {
		name, data, want string
		line             int
	}{
		{"empty", "", "empty", 0},
		{"not yaml", "version: [1\n", "not valid YAML", 0},
		{"a list", "- 1\n", "cannot unmarshal", 0},
		{"unknown key", "version: 1\nbases: []\nextra: 1\n", "field extra not found", 0},
		{"unknown entry key", "version: 1\nbases:\n" + good + "    tag: x\n", "field tag not found", 0},
		{"duplicate key", "version: 1\nversion: 1\n", "already defined", 0},
		{"no version", "bases:\n" + good, "version 0 is not supported", 0},
		{"future version", "version: 2\nbases:\n" + good, "version 2 is not supported", 1},
		{"short name", "version: 1\nbases:\n" + entry("golang:1.26", "linux/amd64", dA), `write "docker.io/library/golang:1.26"`, 3},
		{"bad name", "version: 1\nbases:\n" + entry("Not A Name", "linux/amd64", dA), "not an image reference", 3},
		{"no platform", "version: 1\nbases:\n  - name: docker.io/library/golang:1.26\n    digest: " + dA + "\n", "platform is missing", 3},
		{"odd platform", "version: 1\nbases:\n" + entry("docker.io/library/golang:1.26", "linux/aarch64", dA), `write "linux/arm64"`, 3},
		{"bad platform", "version: 1\nbases:\n" + entry("docker.io/library/golang:1.26", "plan9//", dA), "platform", 3},
		{"no digest", "version: 1\nbases:\n  - name: docker.io/library/golang:1.26\n    platform: linux/amd64\n", "digest is missing", 3},
		{"short digest", "version: 1\nbases:\n" + entry("docker.io/library/golang:1.26", "linux/amd64", "sha256:abc"), "not a sha256 digest", 3},
		{"other algorithm", "version: 1\nbases:\n" + entry("docker.io/library/golang:1.26", "linux/amd64", "sha512:"+strings.Repeat("a", 128)), "not a sha256 digest", 3},
		{"twice", "version: 1\nbases:\n" + good + good, "listed twice (also at line 3)", 6},
		{"alias", "version: 1\nbases:\n  - &e\n    name: docker.io/library/golang:1.26\n    platform: linux/amd64\n    digest: " + dA + "\n  - *e\n", "aliases are not allowed", 3},
		{"huge", "version: 1\n#" + strings.Repeat("x", MaxSize), "larger than", 0},
		{"binary", "\x00\x01\x02", "not valid YAML", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("app.yaml.lock", "app.yaml", []byte(tc.data))
			if err == nil {
				t.Fatalf("accepted:\n%s", tc.data)
			}
			var le *Error
			if !errors.As(err, &le) {
				t.Fatalf("error %T is not a lock.Error: %v", err, err)
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.want) {
				t.Errorf("error %q does not say %q", msg, tc.want)
			}
			if !strings.HasPrefix(msg, "app.yaml.lock") || !strings.Contains(msg, "safe lock --update app.yaml") {
				t.Errorf("error %q does not name the lock and the fix", msg)
			}
			if le.Line != tc.line {
				t.Errorf("line = %d, want %d (%s)", le.Line, tc.line, msg)
			}
		})
	}
}

func TestParseAcceptsAnEmptyList(t *testing.T) {
	f, err := Parse("l", "s", []byte("version: 1\nbases: []\n"))
	if err != nil || len(f.Bases) != 0 {
		t.Fatalf("%v %v", f, err)
	}
}

func FuzzParse(f *testing.F) {
	b, _ := sample().Marshal("Dockerfile")
	f.Add(b)
	f.Add([]byte("version: 1\nbases:\n  - name: x\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		lf, err := Parse("f.lock", "f", data)
		if err != nil {
			return
		}
		// Whatever parses writes back and parses to the same entries.
		out, err := lf.Marshal("f")
		if err != nil {
			t.Fatalf("a parsed lock does not marshal: %v", err)
		}
		again, err := Parse("f.lock", "f", out)
		if err != nil {
			t.Fatalf("a written lock does not parse: %v\n%s", err, out)
		}
		if len(again.Bases) != len(lf.Bases) {
			t.Fatalf("%d entries became %d", len(lf.Bases), len(again.Bases))
		}
	})
}
