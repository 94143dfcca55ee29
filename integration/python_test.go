package integration

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	toml "github.com/pelletier/go-toml/v2"

	"github.com/org/safe-frontend/lang/python"
)

const pythonAddr = "127.0.0.1:18431"

// TestPythonHello builds examples/python-hello in process and through
// `# syntax=`, checks the image config field by field and the files of the
// final image, and runs it hardened: /healthz answers, the compiled wheel
// loads, SIGTERM ends it.
func TestPythonHello(t *testing.T) {
	dir := t.TempDir()
	inProc := filepath.Join(dir, "in-process.tar")
	mustBuild(t, buildOpts{dir: example("python-hello"), inProcess: true, attrs: provenanceAttrs(), out: inProc})
	img := openImage(t, inProc)
	c := img.Config
	t.Logf("python-hello: %s", sizeFigure(img))

	t.Run("config", func(t *testing.T) {
		requireExampleConfig(t, img, exampleConfig{name: "python-hello", entrypoint: []string{"/venv/bin/gunicorn"}, cmd: []string{"--bind=0.0.0.0:8080", "hello:app"},
			workingDir: "/app", base: "gcr.io/distroless/python3-debian13:nonroot"})
		for _, kv := range []string{"PYTHONUNBUFFERED=1", "PYTHONDONTWRITEBYTECODE=1", "PATH=/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"} {
			if !slices.Contains(c.Config.Env, kv) {
				t.Errorf("Env = %v, want %s", c.Config.Env, kv)
			}
		}
		eq(t, "our layers", ourLayers(img), []string{"runtime: copy /usr/sbin/tini /var/lib/dpkg/status.d/tini /usr/sbin/safe-probe", "venv: copy /venv", "app: copy /app"})
	})

	root := t.TempDir()
	if err := img.Unpack(root); err != nil {
		t.Fatal(err)
	}

	t.Run("final-files", func(t *testing.T) {
		// runtime, /venv and /app: every entry at SOURCE_DATE_EPOCH, root-owned.
		requireEpochLayers(t, inProc, img, 3, time.Unix(1700000000, 0))
		site := filepath.Join(root, "venv/lib/python3.13/site-packages")
		for _, p := range []string{"venv/bin/pip", "venv/bin/pip3", "venv/bin/uv", "bin/sh", "usr/bin/sh", "bin/bash", "usr/bin/dash", "root/.cache"} {
			if _, err := os.Lstat(filepath.Join(root, p)); err == nil {
				t.Errorf("/%s is in the final image", p)
			}
		}
		for _, pattern := range []string{"pip", "pip-*", "setuptools", "setuptools-*", "_distutils_hack", "wheel-*"} {
			if m, _ := filepath.Glob(filepath.Join(site, pattern)); len(m) > 0 {
				t.Errorf("site-packages holds %v", m)
			}
		}
		// The venv's interpreter is the final's own.
		link, err := os.Readlink(filepath.Join(root, "venv/bin/python3.13"))
		if err != nil || link != "/usr/bin/python3.13" {
			t.Errorf("/venv/bin/python3.13 -> %q (%v), want /usr/bin/python3.13", link, err)
		}
		if fi, err := os.Stat(filepath.Join(root, "usr/bin/python3.13")); err != nil || fi.Mode()&0o111 == 0 {
			t.Errorf("/usr/bin/python3.13 in the final: %v", err)
		}
		// Root-owned, not writable by the app's user.
		for _, p := range []string{"venv", "venv/lib/python3.13/site-packages/flask/__init__.py", "app", "app/hello.py"} {
			fi, err := os.Stat(filepath.Join(root, p))
			if err != nil {
				t.Errorf("%s: %v", p, err)
				continue
			}
			if fi.Mode().Perm()&0o022 != 0 {
				t.Errorf("/%s is writable by others: %v", p, fi.Mode())
			}
		}
		// Bytecode compiled at build time, hash-based and unchecked (PEP 552
		// flags = 0b01), for the app and its dependencies.
		for _, p := range []string{"app/__pycache__/hello.cpython-313.pyc", "venv/lib/python3.13/site-packages/flask/__pycache__/app.cpython-313.pyc"} {
			dt, err := os.ReadFile(filepath.Join(root, p))
			if err != nil || len(dt) < 16 {
				t.Errorf("%s: %v", p, err)
				continue
			}
			if flags := binary.LittleEndian.Uint32(dt[4:8]); flags != 1 {
				t.Errorf("%s: pyc flags %#b, want 0b01 (unchecked hash)", p, flags)
			}
		}
		// The installed versions are exactly the locked ones.
		locked := lockedVersions(t, filepath.Join(example("python-hello"), "requirements.txt"))
		installed := installedVersions(t, site)
		if len(locked) < 5 || fmt.Sprint(installed) != fmt.Sprint(locked) {
			t.Errorf("installed %v\nlocked    %v", installed, locked)
		}
	})

	t.Run("syntax-image-same-digest", func(t *testing.T) {
		requireSameImageViaSyntax(t, example("python-hello"), img)
	})

	t.Run("run-hardened", func(t *testing.T) {
		runPythonHello(t, inProc)
	})
}

// runPythonHello serves the example hardened, checks what it answers, then
// stops it with SIGTERM and expects a clean exit and JSON logs.
func runPythonHello(t *testing.T, ociTar string) {
	t.Helper()
	o := serveOpts{name: "python-hello", args: []string{"--bind=" + pythonAddr, "hello:app"}, addr: pythonAddr, uid: "65532", jsonLogs: true}
	_, lines := serveHardened(t, ociTar, o, func(s *served) {
		var hello struct {
			Python, Executable string
			Speedups           string `json:"markupsafe_speedups"`
		}
		if err := json.Unmarshal([]byte(s.get("/")), &hello); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(hello.Python, "3.13.") || hello.Executable != "/venv/bin/python" {
			t.Errorf("app reports python %q, executable %q; want 3.13.x, /venv/bin/python", hello.Python, hello.Executable)
		}
		if !strings.HasPrefix(hello.Speedups, "/venv/lib/python3.13/site-packages/markupsafe/_speedups.cpython-313-") || !strings.HasSuffix(hello.Speedups, ".so") {
			t.Errorf("markupsafe's compiled _speedups did not load in the final image: %q", hello.Speedups)
		}
	})
	if !slices.ContainsFunc(lines, func(l logLine) bool { return strings.Contains(l.Msg, "stopped after SIGTERM") }) {
		t.Errorf("no JSON log line says the app stopped after SIGTERM: %v", msgs(lines))
	}
}

var lockLineRe = regexp.MustCompile(`(?m)^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)`)

// lockedVersions reads name==version from a requirements lock.
func lockedVersions(t *testing.T, file string) map[string]string {
	t.Helper()
	dt, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, m := range lockLineRe.FindAllStringSubmatch(string(dt), -1) {
		out[normalizeDist(m[1])] = m[2]
	}
	return out
}

// installedVersions reads Name and Version of every dist-info in a
// site-packages directory.
func installedVersions(t *testing.T, site string) map[string]string {
	t.Helper()
	metas, err := filepath.Glob(filepath.Join(site, "*.dist-info", "METADATA"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, m := range metas {
		dt, err := os.ReadFile(m)
		if err != nil {
			t.Fatal(err)
		}
		var name, version string
		for _, line := range strings.Split(string(dt), "\n") {
			if v, ok := strings.CutPrefix(line, "Name: "); ok && name == "" {
				name = strings.TrimSpace(v)
			}
			if v, ok := strings.CutPrefix(line, "Version: "); ok && version == "" {
				version = strings.TrimSpace(v)
			}
			if line == "" {
				break
			}
		}
		out[normalizeDist(name)] = version
	}
	return out
}

var distSep = regexp.MustCompile(`[-_.]+`)

func normalizeDist(n string) string { return distSep.ReplaceAllString(strings.ToLower(n), "-") }

// TestPythonSourceEditKeepsInstallCached: editing the app re-runs the
// bytecode step but not the install.
func TestPythonSourceEditKeepsInstallCached(t *testing.T) {
	dir := copyDir(t, example("python-hello"))
	editAfterBuild(t, dir, "hello.py", "hello from a hardened image")
	res := mustBuild(t, buildOpts{dir: dir, inProcess: true})
	name, install := vertex(t, res, "] pip install")
	if !install.Cached {
		t.Errorf("%q was not CACHED after a source-only edit", name)
	}
	if name != "[python 3/5] pip install --require-hashes -r requirements.txt into /venv" {
		t.Errorf("progress name %q", name)
	}
	name, compile := vertex(t, res, "compile bytecode")
	if compile.Cached {
		t.Errorf("%q was CACHED although a source changed", name)
	}
}

// TestPythonRefusals: an unpinned requirement and a lock-less pyproject are
// refused before anything runs, at the spec line that chose the file, in
// process and through `# syntax=`; a wrong hash fails in pip with its
// message.
func TestPythonRefusals(t *testing.T) {
	const specText = "# syntax=org/safe-frontend:1\nname: shop\nlanguage: python\npython:\n  version: \"3.13\"\n  requirements: requirements.txt\n  module: shop\nrun:\n  port: 8080\n  health: {http: /healthz}\n"
	unpinned := t.TempDir()
	writeFiles(t, unpinned, map[string]string{"app.yaml": specText, "requirements.txt": "# deps\nflask>=3\n", "shop.py": "print('hi')\n"})
	lockless := t.TempDir()
	writeFiles(t, lockless, map[string]string{"app.yaml": strings.Replace(specText, "  requirements: requirements.txt\n", "", 1),
		"pyproject.toml": "[project]\nname = \"shop\"\nversion = \"1.0.0\"\ndependencies = [\"flask>=3\"]\n", "shop.py": "print('hi')\n"})
	for _, tc := range []struct {
		name, dir, rule, line string
		msg                   []string
		specLine              int
	}{
		{"unpinned", unpinned, "SF120", "app.yaml:6", []string{"requirements.txt:2: flask>=3 is not pinned"}, 6},
		{"lockless-pyproject", lockless, "SF121", "app.yaml:4", []string{"pyproject.toml has no lock"}, 4},
	} {
		t.Run(tc.name+"/check", func(t *testing.T) {
			requireCheckFinding(t, tc.dir, "app.yaml", tc.rule, tc.specLine, tc.msg...)
		})
		for _, inProcess := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/inProcess=%v", tc.name, inProcess), func(t *testing.T) {
				res, err := build(t, buildOpts{dir: tc.dir, filename: "app.yaml", inProcess: inProcess})
				requireRefusedBeforeSteps(t, res, err, tc.line, "[python ", append([]string{tc.rule}, tc.msg...)...)
			})
		}
	}

	t.Run("wrong-hash", func(t *testing.T) {
		dir := copyDir(t, example("python-hello"))
		req := filepath.Join(dir, "requirements.txt")
		dt, err := os.ReadFile(req)
		if err != nil {
			t.Fatal(err)
		}
		// Every hash of itsdangerous replaced: no file on the index matches.
		if !strings.Contains(string(dt), "\nitsdangerous==") {
			t.Fatal("itsdangerous is not in the lock")
		}
		lines := strings.Split(string(dt), "\n")
		in := false
		for i, l := range lines {
			switch {
			case strings.HasPrefix(l, "itsdangerous=="):
				in = true
			case in && strings.Contains(l, "--hash=sha256:"):
				lines[i] = regexp.MustCompile(`sha256:[0-9a-f]{64}`).ReplaceAllString(l, "sha256:"+strings.Repeat("0", 64))
			case in:
				in = false
			}
		}
		if err := os.WriteFile(req, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
			t.Fatal(err)
		}
		res, err := build(t, buildOpts{dir: dir, inProcess: true})
		if err == nil {
			t.Fatal("a lock with a wrong hash was built")
		}
		all := err.Error() + res.Logs
		for _, want := range []string{"DO NOT MATCH THE HASHES", "itsdangerous", strings.Repeat("0", 64)} {
			if !strings.Contains(all, want) {
				t.Errorf("the failure does not say %q:\n%v\n%s", want, err, tail(res.Logs, 3000))
			}
		}
		if name, v := vertex(t, res, "] pip install"); v.Error == "" || !strings.HasPrefix(name, "[python 3/5] pip install --require-hashes") {
			t.Errorf("the failing step is not the install: %q error %q", name, v.Error)
		}
	})
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestPythonReproducible: the same spec, lock and sources give the same
// image digest on two fresh daemons with --no-cache (apt, pip and the
// bytecode all run again) and on the stack's daemon with its cache.
func TestPythonReproducible(t *testing.T) {
	requireReproducible(t, example("python-hello"), reproOpts{epoch: testEpoch})
}

// TestPythonLocks builds the uv.lock and poetry.lock fixtures (real PyPI
// packages), checks that the final venv holds exactly the locked versions
// of the runtime dependencies (no dev group, no pip), and runs each app:
// a compiled extension of each loads from the final image.
func TestPythonLocks(t *testing.T) {
	for _, tc := range []struct {
		dir, lock string
		want      map[string]string // runtime packages and versions the lock pins
		output    []string          // substrings of the app's JSON output
	}{
		{"python-uv", "uv.lock", nil, []string{`"speedups": "/venv/lib/python3.13/site-packages/markupsafe/_speedups.cpython-313-`, `"encoded": "xn--bcher-kva.example"`}},
		{"python-poetry", "poetry.lock", nil, []string{`"libyaml": true`, `"certifi": "2025.8.3"`}},
	} {
		t.Run(tc.dir, func(t *testing.T) {
			src := filepath.Join(repoRoot, "integration", "testdata", tc.dir)
			want := lockRuntimeVersions(t, filepath.Join(src, tc.lock))
			out := filepath.Join(t.TempDir(), "img.tar")
			res := mustBuild(t, buildOpts{dir: src, inProcess: true, out: out})
			if _, v := vertex(t, res, "] compile bytecode"); v.Error != "" {
				t.Fatalf("compile step: %s", v.Error)
			}
			img := openImage(t, out)
			root := t.TempDir()
			if err := img.Unpack(root); err != nil {
				t.Fatal(err)
			}
			got := installedVersions(t, filepath.Join(root, "venv/lib/python3.13/site-packages"))
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("installed %v\nlocked    %v", got, want)
			}
			for _, p := range []string{"venv/bin/pip", "venv/bin/uv", "venv/bin/poetry"} {
				if _, err := os.Lstat(filepath.Join(root, p)); err == nil {
					t.Errorf("/%s is in the final image", p)
				}
			}
			code, stdout, stderr, err := runToExit(t, out, "it-py-lock")
			if err != nil || code != 0 {
				t.Fatalf("exit %d, %v\n%s%s", code, err, stdout, stderr)
			}
			for _, w := range tc.output {
				if !strings.Contains(string(stdout), w) {
					t.Errorf("output lacks %s: %s%s", w, stdout, stderr)
				}
			}
		})
	}
}

// lockRuntimeVersions reads the packages a lock installs at run time:
// uv.lock's registry packages that the dev group alone does not need,
// poetry.lock's main group.
func lockRuntimeVersions(t *testing.T, file string) map[string]string {
	t.Helper()
	dt, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var lock struct {
		Package []struct {
			Name, Version string
			Groups        []string
			Source        map[string]any
		}
	}
	if err := toml.Unmarshal(dt, &lock); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, p := range lock.Package {
		if _, registry := p.Source["registry"]; strings.HasSuffix(file, "uv.lock") && !registry {
			continue // the project itself
		}
		if strings.HasSuffix(file, "poetry.lock") && !slices.Contains(p.Groups, "main") {
			continue
		}
		if p.Name == "iniconfig" { // the fixtures' dev-only package
			continue
		}
		out[normalizeDist(p.Name)] = p.Version
	}
	if len(out) < 2 {
		t.Fatalf("%s: read only %v", file, out)
	}
	return out
}

// TestPythonArm64: a linux/arm64 image built on amd64 without emulation:
// pip installs the aarch64 wheels of the lock, the compiled extension is
// an aarch64 ELF, the console script points at the venv's interpreter.
func TestPythonArm64(t *testing.T) {
	out := filepath.Join(t.TempDir(), "arm64.tar")
	mustBuild(t, buildOpts{dir: example("python-hello"), inProcess: true, out: out, attrs: map[string]string{"platform": "linux/arm64"}})
	img := openImage(t, out)
	if got := img.Config.OS + "/" + img.Config.Architecture; got != "linux/arm64" {
		t.Fatalf("image platform %s", got)
	}
	root := t.TempDir()
	if err := img.Unpack(root); err != nil {
		t.Fatal(err)
	}
	site := filepath.Join(root, "venv/lib/python3.13/site-packages")
	sos, _ := filepath.Glob(filepath.Join(site, "markupsafe", "_speedups.cpython-313-*.so"))
	if len(sos) != 1 || !strings.Contains(sos[0], "aarch64") {
		t.Fatalf("markupsafe extension: %v", sos)
	}
	dt, err := os.ReadFile(sos[0])
	if err != nil || len(dt) < 20 || string(dt[:4]) != "\x7fELF" || binary.LittleEndian.Uint16(dt[18:20]) != 183 {
		t.Errorf("%s is not an aarch64 ELF (%v)", sos[0], err)
	}
	script, err := os.ReadFile(filepath.Join(root, "venv/bin/gunicorn"))
	if err != nil || !strings.HasPrefix(string(script), "#!/venv/bin/python") {
		t.Errorf("/venv/bin/gunicorn: %v %q", err, tail(string(script), 60))
	}
	if _, err := os.Stat(filepath.Join(site, "bin")); err == nil {
		t.Errorf("site-packages/bin was left behind")
	}
	if _, err := os.Stat(filepath.Join(root, "usr/lib/aarch64-linux-gnu")); err != nil {
		t.Errorf("the final base is not the arm64 one: %v", err)
	}
	locked := lockedVersions(t, filepath.Join(example("python-hello"), "requirements.txt"))
	if got := installedVersions(t, site); fmt.Sprint(got) != fmt.Sprint(locked) {
		t.Errorf("installed %v\nlocked    %v", got, locked)
	}
}

// TestPythonUVPackage: a uv project with a build system is installed into
// /venv itself, after its dependencies and its sources, as a regular (not
// editable) install: the console script it declares runs from the final
// image, the package imports from the venv, the dev group is left out, and
// a source edit rebuilds the project but leaves the dependency sync CACHED.
func TestPythonUVPackage(t *testing.T) {
	dir := copyDir(t, filepath.Join(repoRoot, "integration", "testdata", "python-uv-package"))
	out := filepath.Join(t.TempDir(), "img.tar")
	res := mustBuild(t, buildOpts{dir: dir, inProcess: true, out: out})
	deps, _ := vertex(t, res, "--no-install-project")
	project, _ := vertex(t, res, "(the project)")
	eq(t, "dependency step", deps, "[python 3/6] uv "+python.UVVersion+" sync --locked --no-dev --no-install-project into /venv")
	eq(t, "project step", project, "[python 5/6] uv sync --locked --no-dev --no-editable (the project)")

	img := openImage(t, out)
	eq(t, "Entrypoint", img.Config.Config.Entrypoint, []string{"/usr/sbin/tini", "--", "/venv/bin/uvpkg"})
	root := t.TempDir()
	if err := img.Unpack(root); err != nil {
		t.Fatal(err)
	}
	site := filepath.Join(root, "venv/lib/python3.13/site-packages")
	want := lockRuntimeVersions(t, filepath.Join(dir, "uv.lock"))
	want["uvpkg"] = "2.1.0"
	if got := installedVersions(t, site); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("installed %v\nwant      %v", got, want)
	}
	// A regular install: the package's files in site-packages, no path
	// hook pointing back at the sources.
	if _, err := os.Stat(filepath.Join(site, "uvpkg", "cli.py")); err != nil {
		t.Errorf("the project is not installed into site-packages: %v", err)
	}
	pths, _ := filepath.Glob(filepath.Join(site, "*.pth"))
	for _, p := range pths {
		if dt, _ := os.ReadFile(p); strings.Contains(string(dt), "/app") || strings.Contains(filepath.Base(p), "editable") {
			t.Errorf("%s makes an editable install: %q", filepath.Base(p), dt)
		}
	}
	script, err := os.ReadFile(filepath.Join(root, "venv/bin/uvpkg"))
	if err != nil || !strings.HasPrefix(string(script), "#!/venv/bin/python") {
		t.Errorf("/venv/bin/uvpkg: %v %q", err, tail(string(script), 80))
	}
	for _, p := range []string{"venv/bin/pip", "venv/bin/uv", "bin/sh"} {
		if _, err := os.Lstat(filepath.Join(root, p)); err == nil {
			t.Errorf("/%s is in the final image", p)
		}
	}

	code, stdout, stderr, err := runToExit(t, out, "it-py-uvpkg")
	if err != nil || code != 0 {
		t.Fatalf("exit %d, %v\n%s%s", code, err, stdout, stderr)
	}
	for _, w := range []string{`"uvpkg": "2.1.0"`, `"idna": "3.10"`, `"six": "1.17.0"`, `"module": "/venv/lib/python3.13/site-packages/uvpkg/__init__.py"`, `"encoded": "xn--bcher-kva.example"`} {
		if !strings.Contains(string(stdout), w) {
			t.Errorf("output lacks %s: %s%s", w, stdout, stderr)
		}
	}

	t.Run("source-edit", func(t *testing.T) {
		init := filepath.Join(dir, "src", "uvpkg", "__init__.py")
		src, err := os.ReadFile(init)
		if err != nil {
			t.Fatal(err)
		}
		greeting := fmt.Sprintf("edited %d", time.Now().UnixNano())
		edited := strings.Replace(string(src), "hello from an installed package", greeting, 1)
		if edited == string(src) {
			t.Fatal("edit did not apply")
		}
		if err := os.WriteFile(init, []byte(edited), 0o644); err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(t.TempDir(), "edited.tar")
		res := mustBuild(t, buildOpts{dir: dir, inProcess: true, out: out})
		if name, v := vertex(t, res, "--no-install-project"); !v.Cached {
			t.Errorf("%q was not CACHED after a source-only edit", name)
		}
		if name, v := vertex(t, res, "(the project)"); v.Cached {
			t.Errorf("%q was CACHED although the project's source changed", name)
		}
		if hits := blobsContain(t, out, []byte(greeting)); !slices.ContainsFunc(hits, func(h string) bool {
			return strings.HasSuffix(h, "venv/lib/python3.13/site-packages/uvpkg/__init__.py")
		}) {
			t.Errorf("the edited package is not what /venv holds: %v", hits)
		}
	})
}
