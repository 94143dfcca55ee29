package llbgen

import (
	"bytes"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/moby/buildkit/client/llb"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

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

func TestParseRequirements(t *testing.T) {
	rf, problems := parseRequirements("requirements.txt", []byte(strings.Join([]string{
		"# comment",
		"Flask_Login==0.6.3 ; python_version >= '3.8'  # trailing comment",
		"--index-url https://pypi.org/simple",
		"pkg @ https://example.com/pkg-1.0.tar.gz#sha256=" + strings.Repeat("a", 64),
		"exact===1.0+local",
		"",
		"ranged>=1,<2",
		"wild==1.*",
		"bare",
		"-c constraints.txt",
		"--no-deps",
		"x==1 --install-option=--prefix",
		"./local/path",
	}, "\n")))
	if rf.Hashed {
		t.Error("Hashed without any --hash")
	}
	var names []string
	for _, r := range rf.Requirements {
		names = append(names, r.Name)
	}
	if !slices.Equal(names[:3], []string{"flask-login", "pkg", "exact"}) {
		t.Errorf("names = %q", names)
	}
	var got []string
	for _, p := range problems {
		got = append(got, p.Rule+" "+strings.SplitN(p.Msg, " ", 2)[0])
	}
	want := []string{
		"SF120 requirements.txt:7:", "SF120 requirements.txt:8:", "SF120 requirements.txt:9:",
		"SF122 requirements.txt:10:", "SF122 requirements.txt:11:", "SF122 requirements.txt:12:", "SF120 requirements.txt:13:",
	}
	if !slices.Equal(got, want) {
		t.Errorf("problems:\n%q\nwant\n%q", got, want)
	}
}

// FuzzRequirements: any bytes parse without panicking, and every problem
// names the file and a line that exists.
func FuzzRequirements(f *testing.F) {
	f.Add([]byte(pyLock))
	f.Add([]byte("flask>=1\n-r x\n-e .\nx==1 \\\n --hash=sha256:aa\n"))
	f.Add([]byte("\\\n\\\n\\"))
	if dt, err := os.ReadFile("../examples/python-hello/requirements.txt"); err == nil {
		f.Add(dt)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_, problems := parseRequirements("r.txt", data)
		lines := bytes.Count(data, []byte("\n")) + 1
		for _, p := range problems {
			if p.Line < 1 || p.Line > lines || !strings.HasPrefix(p.Msg, "r.txt:") {
				t.Fatalf("problem %+v for %d lines", p, lines)
			}
		}
	})
}

func TestPoetryRequirements(t *testing.T) {
	lock := `
[[package]]
name = "certifi"
version = "2025.8.3"
optional = false
groups = ["main"]
files = [
    {file = "certifi-2025.8.3-py3-none-any.whl", hash = "sha256:f6c12493cfb1b06ba2ff328595af9350c65d6644968e5d3a2ffd78699af217a5"},
    {file = "certifi-2025.8.3.tar.gz", hash = "sha256:e564105f78ded564e3ae7c923924435e1daa7463faeab5bb932bc53ffae63407"},
]

[package.source]
type = "legacy"
url = "https://pypi.org/simple"
reference = "mirror"

[[package]]
name = "colorama"
version = "0.4.6"
groups = ["main", "dev"]
markers = {main = "sys_platform == \"win32\"", dev = "os_name == \"nt\""}
files = [{file = "colorama-0.4.6-py2.py3-none-any.whl", hash = "sha256:4f1d9991f5acc0ca119f9d443620b77f9d6b33703e51011c16baf57afb36f9a2"}]

[[package]]
name = "iniconfig"
version = "2.1.0"
groups = ["dev"]
files = [{file = "iniconfig-2.1.0-py3-none-any.whl", hash = "sha256:9deba5723312380e77435581c6bf4935c94cbfab9b1ed33ef8d238ea168eb760"}]

[[package]]
name = "old-style"
version = "1.0"
category = "dev"
files = []
`
	got, problems := poetryRequirements("poetry.lock", []byte(lock))
	if len(problems) != 0 {
		t.Fatalf("problems: %+v", problems)
	}
	want := `# generated from poetry.lock by safe-frontend: the main group, exact versions, file hashes
certifi==2025.8.3 \
    --hash=sha256:e564105f78ded564e3ae7c923924435e1daa7463faeab5bb932bc53ffae63407 \
    --hash=sha256:f6c12493cfb1b06ba2ff328595af9350c65d6644968e5d3a2ffd78699af217a5
colorama==0.4.6 ; sys_platform == "win32" \
    --hash=sha256:4f1d9991f5acc0ca119f9d443620b77f9d6b33703e51011c16baf57afb36f9a2
`
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	// The generated file is itself a valid, fully hashed lock.
	rf, problems2 := parseRequirements("generated", []byte(got))
	if len(problems2) != 0 || !rf.Hashed || len(rf.Requirements) != 2 {
		t.Errorf("generated file: %+v %+v", rf, problems2)
	}

	for name, bad := range map[string]string{
		"toml":     "[[package]\nname=",
		"git":      "[[package]]\nname = \"x\"\nversion = \"1\"\nfiles = [{file = \"x\", hash = \"sha256:" + strings.Repeat("a", 64) + "\"}]\n[package.source]\ntype = \"git\"\nurl = \"https://example.com/x.git\"\n",
		"no files": "[[package]]\nname = \"x\"\nversion = \"1\"\n",
		"marker":   "[[package]]\nname = \"x\"\nversion = \"1\"\nmarkers = \"x\\n--index-url=evil\"\nfiles = [{file = \"x\", hash = \"sha256:" + strings.Repeat("a", 64) + "\"}]\n",
		"hash":     "[[package]]\nname = \"x\"\nversion = \"1\"\nfiles = [{file = \"x\", hash = \"md5:abc\"}]\n",
		"name":     "[[package]]\nname = \"x y\\n-r a\"\nversion = \"1\"\nfiles = [{file = \"x\", hash = \"sha256:" + strings.Repeat("a", 64) + "\"}]\n",
	} {
		if _, problems := poetryRequirements("poetry.lock", []byte(bad)); len(problems) == 0 || problems[0].Rule != rules.InvalidLockfile || !strings.HasPrefix(problems[0].Msg, "poetry.lock") {
			t.Errorf("%s: problems = %+v", name, problems)
		}
	}
	if _, problems := poetryRequirements("poetry.lock", []byte("a = 1\nb = [\n")); len(problems) != 1 || !strings.HasPrefix(problems[0].Msg, "poetry.lock:") {
		t.Errorf("toml error without a line: %+v", problems)
	}
}

func TestUVLockChecks(t *testing.T) {
	good := "version = 1\nrevision = 5\n[[package]]\nname = \"idna\"\nversion = \"3.10\"\nsource = { registry = \"https://pypi.org/simple\" }\n"
	if p := checkUVLock("uv.lock", []byte(good)); len(p) != 0 {
		t.Errorf("good lock: %+v", p)
	}
	for name, bad := range map[string]string{
		"toml":    "version = \n",
		"version": "version = 2\n",
		"git":     "version = 1\n[[package]]\nname = \"x\"\nversion = \"1\"\nsource = { git = \"https://example.com/x.git\" }\n",
	} {
		if p := checkUVLock("uv.lock", []byte(bad)); len(p) == 0 || p[0].Rule != rules.InvalidLockfile {
			t.Errorf("%s: %+v", name, p)
		}
	}
	for doc, want := range map[string]bool{
		"[project]\nname='a'\n": false,
		"[project]\nname='a'\n[build-system]\nrequires=['hatchling']\n":                           true,
		"[project]\nname='a'\n[build-system]\nrequires=['hatchling']\n[tool.uv]\npackage=false\n": false,
	} {
		if got, err := pyprojectPackaged([]byte(doc)); err != nil || got != want {
			t.Errorf("pyprojectPackaged(%q) = %v, %v", doc, got, err)
		}
	}
}

func TestPythonUVAndPoetryPlans(t *testing.T) {
	uv := map[string][]byte{"uv.lock": []byte("version = 1\n"), "pyproject.toml": []byte("[project]\nname = 'a'\n[build-system]\nrequires = ['hatchling']\n")}
	s := pythonHelloSpec()
	s.Python.Requirements = ""
	def, _ := marshal(t, pythonInput(s, uv))
	plan := dump(t, def)
	for _, want := range []string{"uv " + UVVersion + " sync", "uv sync --locked --no-dev --no-install-project", "uv sync --locked --no-dev --no-editable", "UV_PROJECT_ENVIRONMENT=/venv", "UV_PYTHON_DOWNLOADS=never", "[python 6/6] compile bytecode"} {
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

// Hostile sizes stay linear: a lock's worth of continuation lines and one
// huge line parse quickly and are refused, not stuck on.
func TestParseRequirementsHostileSizes(t *testing.T) {
	for name, doc := range map[string]string{
		"continuations": strings.Repeat("a\\\n", 4<<20),
		"long line":     "flask==" + strings.Repeat("1", 8<<20),
		"many lines":    strings.Repeat("\n", maxRequirementLines+1),
	} {
		start := time.Now()
		_, problems := parseRequirements("requirements.txt", []byte(doc))
		if len(problems) == 0 {
			t.Errorf("%s: no problem reported", name)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%s: took %s", name, d)
		}
	}
}
