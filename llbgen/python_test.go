package llbgen

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/moby/buildkit/client/llb"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/org/safe-frontend/lang/python"
	"github.com/org/safe-frontend/rules"
	"github.com/org/safe-frontend/spec"
)

const pyLock = `# locked
flask==3.1.3 \
    --hash=sha256:0ef0e52b8a9cd932855379197dd8f94047b359ca0a78695144304cb45f87c9eb
gunicorn==23.0.0 \
    --hash=sha256:ec400d38950de4dfd418cff8328b2c8faed0edb0d517d3394e457c317908ca4d
`

func pythonHelloSpec() *spec.Spec {
	return &spec.Spec{
		Name:     "python-hello",
		Version:  "1.0.0",
		Language: "python",
		Python:   &spec.Python{Version: "3.13", Requirements: "requirements.txt", Script: "gunicorn"},
		Run: spec.Run{
			Args:   []string{"--bind=0.0.0.0:8080", "hello:app"},
			Port:   8080,
			Health: &spec.Health{HTTP: "/healthz"},
		},
	}
}

func pythonInput(s *spec.Spec, files map[string][]byte) *Input {
	in := testInput(s, amd64)
	builder := &dockerspec.DockerOCIImage{}
	builder.Config.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
	in.Bases[RoleBuilder] = Base{Name: "docker.io/library/debian:trixie-slim", Digest: goDigest,
		State: llb.Image("docker.io/library/debian:trixie-slim@"+goDigest.String(), llb.Platform(amd64)), Image: builder}
	final := &dockerspec.DockerOCIImage{}
	final.Config.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"}
	final.Config.Entrypoint = []string{"/usr/bin/python3.13"}
	in.Bases[RoleFinal] = Base{Name: "gcr.io/distroless/python3-debian13:nonroot", Digest: finalDigest,
		State: llb.Image("gcr.io/distroless/python3-debian13:nonroot@"+finalDigest.String(), llb.Platform(amd64)), Image: final}
	in.Files = files
	return in
}

func TestPythonGoldenAndDeterministic(t *testing.T) {
	files := map[string][]byte{"requirements.txt": []byte(pyLock)}
	requireDeterministic(t, func() *Input { return pythonInput(pythonHelloSpec(), files) })
	got := requireGolden(t, "python-hello-requirements", pythonInput(pythonHelloSpec(), files))
	for _, want := range []string{"--require-hashes", "--invalidation-mode unchecked-hash", "/opt/pip/bin/pip --python /venv/bin/python install"} {
		if !strings.Contains(got, want) {
			t.Errorf("plan lacks %q", want)
		}
	}
}

func TestPythonImageConfig(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(*spec.Python)
		entry  []string
	}{
		{"script", nil, []string{InitPath, "--", "/venv/bin/gunicorn"}},
		{"module", func(p *spec.Python) { p.Script, p.Module = "", "shop.server" }, []string{InitPath, "--", "/venv/bin/python", "-m", "shop.server"}},
		{"main", func(p *spec.Python) { p.Script, p.Main = "", "src/app.py" }, []string{InitPath, "--", "/venv/bin/python", "/app/src/app.py"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := pythonHelloSpec()
			if tc.mutate != nil {
				tc.mutate(s.Python)
			}
			_, res := marshal(t, pythonInput(s, map[string][]byte{"requirements.txt": []byte(pyLock)}))
			c := res.Image.Config
			if !slices.Equal(c.Entrypoint, tc.entry) {
				t.Errorf("Entrypoint = %q, want %q", c.Entrypoint, tc.entry)
			}
			if !slices.Equal(c.Cmd, s.Run.Args) || c.WorkingDir != "/app" || c.User != "65532:65532" {
				t.Errorf("Cmd %q WorkingDir %q User %q", c.Cmd, c.WorkingDir, c.User)
			}
			for _, kv := range []string{"PYTHONUNBUFFERED=1", "PYTHONDONTWRITEBYTECODE=1", "PATH=/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"} {
				if !slices.Contains(c.Env, kv) {
					t.Errorf("Env %q lacks %s", c.Env, kv)
				}
			}
			if len(res.SBOM) == 0 || res.SBOM[0] != (SBOMSource{Kind: "python-dist-info", Path: "/venv/lib/python3.13/site-packages"}) {
				t.Errorf("SBOM = %+v", res.SBOM)
			}
			var layers []string
			for _, h := range res.Image.History {
				layers = append(layers, h.CreatedBy)
			}
			if n := len(layers); n < 3 || !strings.Contains(layers[n-2], "venv: copy /venv") || !strings.Contains(layers[n-1], "app: copy /app") {
				t.Errorf("layers = %q, want ... venv, app", layers)
			}
		})
	}
}

// The install step depends on the lock only: what runs the app does not
// reach it, so an entry point change keeps it cached.
func TestPythonInstallStepIndependentOfEntry(t *testing.T) {
	files := map[string][]byte{"requirements.txt": []byte(pyLock)}
	s1 := pythonHelloSpec()
	s2 := pythonHelloSpec()
	s2.Python.Script, s2.Python.Module = "", "hello"
	d1, _ := marshal(t, pythonInput(s1, files))
	d2, _ := marshal(t, pythonInput(s2, files))
	if a, b := vertexByName(t, d1, "into /venv"), vertexByName(t, d2, "into /venv"); a != b {
		t.Fatalf("install vertex changed with the entry point: %s vs %s", a, b)
	}
}

func TestPythonBuildRefusals(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files map[string][]byte
		want  string
	}{
		{"unpinned", map[string][]byte{"requirements.txt": []byte("flask\n")}, "SF120"},
		{"pyproject without lock", map[string][]byte{"pyproject.toml": []byte("[project]\n")}, "SF121"},
		{"include", map[string][]byte{"requirements.txt": []byte("-r other.txt\n")}, "SF122"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Convert(pythonInput(pythonHelloSpec(), tc.files))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %s", err, tc.want)
			}
		})
	}
	// An exemption (the policy records it) lets the unpinned file build.
	s := pythonHelloSpec()
	s.Allow = []spec.Exemption{{Rule: rules.UnpinnedRequirement, Reason: "internal index pins it"}}
	if _, err := Convert(pythonInput(s, map[string][]byte{"requirements.txt": []byte("flask\n")})); err != nil {
		t.Fatalf("exempted: %v", err)
	}
	// Cross builds of a uv.lock, or for a platform without wheels, are
	// refused, not built wrong.
	s = pythonHelloSpec()
	s.Python.Requirements = ""
	in := pythonInput(s, map[string][]byte{"uv.lock": []byte("version = 1\n"), "pyproject.toml": []byte("[project]\n")})
	in.TargetPlatform = arm64
	if _, err := Convert(in); err == nil || !strings.Contains(err.Error(), "uv export") {
		t.Fatalf("cross uv build: err = %v", err)
	}
	in = pythonInput(pythonHelloSpec(), map[string][]byte{"requirements.txt": []byte(pyLock)})
	in.TargetPlatform = ocispecs.Platform{OS: "linux", Architecture: "s390x"}
	if _, err := Convert(in); err == nil || !strings.Contains(err.Error(), "linux/s390x") {
		t.Fatalf("s390x build: err = %v", err)
	}
}

// A cross build runs pip on the build platform with the target's wheel tags.
func TestPythonCrossPlan(t *testing.T) {
	in := pythonInput(pythonHelloSpec(), map[string][]byte{"requirements.txt": []byte(pyLock)})
	in.TargetPlatform = arm64
	def, res := marshal(t, in)
	plan := dump(t, def)
	for _, want := range []string{
		"--only-binary=:all: --implementation cp --python-version 3.13 --abi cp313 --abi abi3 --abi none --platform manylinux_2_41_aarch64",
		"--platform manylinux_2_17_aarch64 --platform manylinux2014_aarch64 --target /venv/lib/python3.13/site-packages",
		"mv /venv/lib/python3.13/site-packages/bin/* /venv/bin/",
		"(wheels for the target platform) | exec", "platform=linux/amd64",
	} {
		if !strings.Contains(plan, want) {
			t.Errorf("plan lacks %q", want)
		}
	}
	if res.Image.Architecture != "arm64" {
		t.Errorf("image architecture %s", res.Image.Architecture)
	}
}

func TestPythonUVAndPoetryPlans(t *testing.T) {
	uv := map[string][]byte{"uv.lock": []byte("version = 1\n"), "pyproject.toml": []byte("[project]\nname = 'a'\n[build-system]\nrequires = ['hatchling']\n")}
	s := pythonHelloSpec()
	s.Python.Requirements = ""
	def, _ := marshal(t, pythonInput(s, uv))
	plan := dump(t, def)
	for _, want := range []string{"uv " + python.UVVersion + " sync", "uv sync --locked --no-dev --no-install-project", "uv sync --locked --no-dev --no-editable", "UV_PROJECT_ENVIRONMENT=/venv", "UV_PYTHON_DOWNLOADS=never", "[python 6/6] compile bytecode"} {
		if !strings.Contains(plan, want) {
			t.Errorf("uv plan lacks %q", want)
		}
	}
	poetry := map[string][]byte{"poetry.lock": []byte("[[package]]\nname = \"idna\"\nversion = \"3.10\"\ngroups = [\"main\"]\nfiles = [{file = \"idna-3.10-py3-none-any.whl\", hash = \"sha256:946d195a0d259cbba61165e88e65941f16e9b36ea6ddb97f00452bae8b1287d3\"}]\n")}
	def, _ = marshal(t, pythonInput(s, poetry))
	plan = dump(t, def)
	if !bytes.Contains(bytes.Join(def.Def, nil), []byte("idna==3.10 \\\n    --hash=sha256:946d195a")) {
		t.Error("the poetry plan does not carry the generated requirements")
	}
	for _, want := range []string{"--require-hashes --no-deps -r requirements.txt", "[python 5/5] compile bytecode"} {
		if !strings.Contains(plan, want) {
			t.Errorf("poetry plan lacks %q", want)
		}
	}
	if strings.Contains(plan, "poetry install") {
		t.Error("the poetry plan runs poetry")
	}
}
