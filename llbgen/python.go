package llbgen

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/moby/buildkit/client/llb"
	"github.com/pkg/errors"

	"github.com/org/safe-frontend/rules"
	"github.com/org/safe-frontend/spec"
)

// DefaultPythonVersion is the CPython used when a spec names none; it moves
// with frontend releases, never with "latest".
const DefaultPythonVersion = "3.13"

// pythonRuntime is one CPython minor the frontend builds for. The venv's
// interpreter is a symlink to the builder's /usr/bin/pythonX.Y, so the build
// runs on the Debian release the distroless image is made from: the same
// interpreter at the same path, the same glibc for compiled wheels. The
// builder is the plain Debian image plus Debian's own python packages
// (installed in the first build step, on an apt cache mount), not the
// official python image, whose CPython lives in /usr/local and is absent
// from the final. Adding a version is one entry here.
type pythonRuntime struct {
	Builder  string   // Debian image the build steps run on
	Final    string   // distroless python3 image the app runs on
	Packages []string // Debian packages that give the builder python, venv and the CA store
}

var pythonRuntimes = map[string]pythonRuntime{
	"3.13": {
		Builder:  "docker.io/library/debian:trixie-slim",
		Final:    "gcr.io/distroless/python3-debian13:nonroot",
		Packages: []string{"python3.13-venv", "ca-certificates"},
	},
}

// PythonVersions lists the CPython versions the frontend builds, sorted.
func PythonVersions() []string {
	out := make([]string, 0, len(pythonRuntimes))
	for v := range pythonRuntimes {
		out = append(out, v)
	}
	slices.Sort(out)
	return out
}

// Paths in the builder and the final image.
const (
	pyVenv    = "/venv"
	pyApp     = "/app"
	pyTools   = "/opt/pip" // a venv of its own holds pip; /venv never gets it
	pySrc     = "/src"     // lock and manifests, for the install step
	pyCache   = "/root/.cache/pip"
	pyAptList = "/var/lib/apt/lists"
	pyAptDebs = "/var/cache/apt"
)

type python struct{}

func init() { register(python{}) }

func (python) Name() string { return "python" }

func pythonVersion(s *spec.Spec) string {
	if s.Python != nil && s.Python.Version != "" {
		return s.Python.Version
	}
	return DefaultPythonVersion
}

// pythonRuntimeOf is the table entry of the spec's version; an unknown one
// (refused by the policy) falls back to the default so conversion of an
// unchecked spec still yields something well-formed.
func pythonRuntimeOf(s *spec.Spec) (pythonRuntime, string) {
	v := pythonVersion(s)
	if rt, ok := pythonRuntimes[v]; ok {
		return rt, v
	}
	return pythonRuntimes[DefaultPythonVersion], DefaultPythonVersion
}

func (python) BuilderImage(s *spec.Spec) string {
	rt, _ := pythonRuntimeOf(s)
	return rt.Builder
}

func (python) Runtime(*spec.Spec) Runtime { return RuntimeOwn }

func (python) FinalImage(s *spec.Spec, final string) (string, bool) {
	if final != "distroless" {
		return "", false
	}
	rt, _ := pythonRuntimeOf(s)
	return rt.Final, true
}

// Lock files the build detects, in order of preference.
const (
	uvLock           = "uv.lock"
	poetryLock       = "poetry.lock"
	requirementsTxt  = "requirements.txt"
	pyprojectToml    = "pyproject.toml"
	lockRequirements = "requirements"
	lockUV           = "uv"
	lockPoetry       = "poetry"
	lockNone         = ""
)

func (python) ContextFiles(s *spec.Spec) []string {
	files := []string{uvLock, poetryLock, requirementsTxt, pyprojectToml}
	if s.Python != nil && s.Python.Requirements != "" {
		if p := cleanContextPath(s.Python.Requirements); p != "" && !slices.Contains(files, p) {
			files = append(files, p)
		}
	}
	return files
}

// cleanContextPath is a spec path relative to the context, or "" when it
// leaves the context (the policy refuses those).
func cleanContextPath(p string) string {
	c := path.Clean("/" + p)
	if c == "/" || strings.Contains(p, `\`) {
		return ""
	}
	if rel := strings.TrimPrefix(c, "/"); path.Clean(p) == rel {
		return rel
	}
	return ""
}

// pythonLock is what the build installs from.
type pythonLock struct {
	Kind string // lockRequirements, lockUV, lockPoetry or lockNone
	File string // context path of the lock
	Reqs *requirementsFile
}

// pythonLockPath is the spec path findings about the lock point at.
func pythonLockPath(s *spec.Spec) string {
	switch {
	case s.Source.Has("python/requirements"):
		return "python/requirements"
	case s.Source.Has("python"):
		return "python"
	}
	return "language"
}

// findPythonLock decides which lock to install from and checks it; the
// problems are findings under their rules (nil lock when it cannot be used).
func findPythonLock(s *spec.Spec, files map[string][]byte) (*pythonLock, []ContextFinding) {
	where := pythonLockPath(s)
	finding := func(rule, format string, args ...any) []ContextFinding {
		return []ContextFinding{{Rule: rule, Path: where, Message: fmt.Sprintf(format, args...)}}
	}
	lk := &pythonLock{}
	if s.Python != nil && s.Python.Requirements != "" {
		lk.File = cleanContextPath(s.Python.Requirements)
		if lk.File == "" {
			return nil, finding(rules.InvalidLockfile, "python.requirements %q is not a path inside the build context", s.Python.Requirements)
		}
		if _, ok := files[lk.File]; !ok {
			return nil, finding(rules.MissingLockfile, "python.requirements names %s, which is not in the build context (or is excluded by .dockerignore)", lk.File)
		}
	} else {
		for _, f := range []string{uvLock, poetryLock, requirementsTxt} {
			if _, ok := files[f]; ok {
				lk.File = f
				break
			}
		}
	}
	base := ""
	if lk.File != "" {
		base = path.Base(lk.File)
	}
	switch base {
	case "":
		if _, ok := files[pyprojectToml]; ok {
			return nil, finding(rules.MissingLockfile, "pyproject.toml has no lock next to it, so dependency versions would float; commit uv.lock (uv lock), poetry.lock (poetry lock) or a hashed requirements.txt (uv pip compile --generate-hashes pyproject.toml -o requirements.txt)")
		}
		lk.Kind = lockNone
		return lk, nil
	case uvLock:
		lk.Kind = lockUV
		if _, ok := files[pyprojectToml]; !ok {
			return nil, finding(rules.MissingLockfile, "%s needs the pyproject.toml it locks, next to it in the build context", lk.File)
		}
		return nil, finding(rules.InvalidLockfile, "%s: uv.lock installs are not supported by this frontend version yet; export a hashed requirements.txt with uv export --frozen --no-dev -o requirements.txt", lk.File)
	case poetryLock:
		lk.Kind = lockPoetry
		return nil, finding(rules.InvalidLockfile, "%s: poetry.lock installs are not supported by this frontend version yet; export a hashed requirements.txt with poetry export -o requirements.txt", lk.File)
	}
	lk.Kind = lockRequirements
	reqs, problems := parseRequirements(lk.File, files[lk.File])
	var out []ContextFinding
	for _, p := range problems {
		out = append(out, ContextFinding{Rule: p.Rule, Path: where, Message: p.Msg})
	}
	lk.Reqs = reqs
	return lk, out
}

// CheckContext reports what is wrong with the lock the build would use.
func (python) CheckContext(s *spec.Spec, files map[string][]byte) []ContextFinding {
	_, findings := findPythonLock(s, files)
	return findings
}

// exempted reports whether the spec waives a rule (with a reason); the
// policy has the final word, this keeps an unchecked spec from building
// what a checked one could not.
func exempted(s *spec.Spec, rule string) bool {
	for _, a := range s.Allow {
		if strings.TrimSpace(a.Rule) == rule && strings.TrimSpace(a.Reason) != "" {
			return true
		}
	}
	return false
}

func (py python) Build(in *BuildInput) (*BuildOutput, error) {
	s := in.Spec
	if in.Target.OS != in.Build.OS || in.Target.Architecture != in.Build.Architecture || in.Target.Variant != in.Build.Variant {
		return nil, errors.Errorf("python: building for %s on %s is not supported yet (compiled wheels are per platform); build on a %s machine",
			platformString(in.Target), platformString(in.Build), platformString(in.Target))
	}
	rt, version := pythonRuntimeOf(s)
	lk, findings := findPythonLock(s, in.Files)
	for _, f := range findings {
		if r, ok := rules.Lookup(f.Rule); ok && r.Exemptible && exempted(s, f.Rule) {
			continue
		}
		return nil, errors.Errorf("%s %s", f.Rule, f.Message)
	}
	interp := "/usr/bin/python" + version
	const total = 5

	// Step 1: Debian's CPython, the same build as the final's, plus a venv
	// for pip and an empty one for the app.
	aptCache := in.LockedCache
	setup := in.Builder.Run(append([]llb.RunOption{
		shell(
			"rm -f /etc/apt/apt.conf.d/docker-clean",
			`echo 'Binary::apt::APT::Keep-Downloaded-Packages "true";' > /etc/apt/apt.conf.d/keep-cache`,
			"apt-get update -qq",
			"DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "+strings.Join(rt.Packages, " ")+" >/dev/null",
			interp+" -m venv "+pyTools,
			interp+" -m venv --without-pip "+pyVenv,
		),
		aptCache(pyAptList, "apt-lists-"+version),
		aptCache(pyAptDebs, "apt-cache-"+version),
		in.Step(1, total, "apt-get install "+strings.Join(rt.Packages, " ")+"; python"+version+" -m venv "+pyVenv, "language"),
	}, in.RunOpts...)...).Root()

	// Step 2-3: the lock alone, then the install: a source edit leaves both cached.
	deps := setup.File(llb.Mkdir(pySrc, 0o755, llb.WithParents(true)), in.Step(2, total, "copy "+lockName(lk), pythonLockPath(s)))
	if lk.File != "" {
		deps = setup.File(
			llb.Mkdir(pySrc, 0o755, llb.WithParents(true)).
				Copy(in.Context, "/"+lk.File, pySrc+"/"+path.Base(lk.File)),
			in.Step(2, total, "copy "+lk.File, pythonLockPath(s)))
	}
	installCmd, installName := pipInstall(lk)
	compileVenv := interp + " -m compileall -q -j0 --invalidation-mode unchecked-hash " + pyVenv + "/lib"
	installed := deps.Run(append(append([]llb.RunOption{
		shell(append([]string{caPrelude(in.CA), installCmd}, compileVenv)...),
		llb.Dir(pySrc),
		llb.AddEnv("PIP_DISABLE_PIP_VERSION_CHECK", "1"),
		llb.AddEnv("PIP_ROOT_USER_ACTION", "ignore"),
		llb.AddEnv("PIP_NO_INPUT", "1"),
		in.Cache(pyCache, "pip"),
		in.Step(3, total, installName, pythonLockPath(s)),
	}, buildArgEnv(in)...), in.RunOpts...)...).Root()

	// Step 4-5: the sources, compiled once here because the root file
	// system is read-only at run time.
	sources := installed.File(
		llb.Mkdir(pyApp, 0o755, llb.WithParents(true)).
			Copy(in.Context, "/", pyApp+"/", &llb.CopyInfo{CopyDirContentsOnly: true}),
		in.Step(4, total, "copy sources", "language"),
	)
	entry, check := pythonEntrypoint(s)
	compiled := sources.Run(append([]llb.RunOption{
		shell(check, interp+" -m compileall -q -j0 --invalidation-mode unchecked-hash "+pyApp),
		llb.Dir(pyApp),
		in.Step(5, total, "compile bytecode of "+pyApp+" (unchecked-hash)", entryPath(s)),
	}, in.RunOpts...)...).Root()

	return &BuildOutput{
		Layers: []Layer{
			{Name: "venv", State: installed, Files: []Artifact{{Src: pyVenv, Dest: pyVenv, Dir: true}}},
			{Name: "app", State: compiled, Files: []Artifact{{Src: pyApp, Dest: pyApp, Dir: true}}},
		},
		Entrypoint: entry,
		WorkingDir: pyApp,
		Env: []string{
			"PATH=" + pyVenv + "/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
			"PYTHONDONTWRITEBYTECODE=1",
			"PYTHONUNBUFFERED=1",
		},
		SBOM: []SBOMSource{{Kind: "python-dist-info", Path: pyVenv + "/lib/python" + version + "/site-packages"}},
	}, nil
}

func lockName(lk *pythonLock) string {
	if lk.File == "" {
		return "(no dependencies)"
	}
	return lk.File
}

// pipInstall is the install command for the lock and its progress name.
// pip runs from its own venv and installs into /venv (--python), so pip
// never lands in the image.
func pipInstall(lk *pythonLock) (cmd, name string) {
	if lk.Kind == lockNone {
		return "echo 'no requirements.txt, uv.lock or poetry.lock: nothing to install'", "no dependencies to install"
	}
	args := []string{"install", "--no-compile", "--no-warn-script-location"}
	if lk.Reqs != nil && lk.Reqs.Hashed {
		args = append(args, "--require-hashes")
	}
	args = append(args, "-r", path.Base(lk.File))
	return pyTools + "/bin/pip --python " + pyVenv + "/bin/python " + strings.Join(args, " "),
		"pip " + strings.Join(args[:1], " ") + " " + strings.Join(args[3:], " ") + " into " + pyVenv
}

// caPrelude points pip and Python's ssl at the optional CA secret when it
// was passed; when absent, SSL_CERT_FILE would name a missing file and
// Python would trust nothing, so it is unset and Debian's store is used.
func caPrelude(ca string) string {
	q := shellQuote(ca)
	return "if [ -s " + q + " ]; then export PIP_CERT=" + q + " SSL_CERT_FILE=" + q + "; else unset SSL_CERT_FILE; fi"
}

// pythonEntrypoint is the exec-form entrypoint and the build-time check
// that what it names exists.
func pythonEntrypoint(s *spec.Spec) ([]string, string) {
	p := s.Python
	if p == nil {
		p = &spec.Python{}
	}
	py := pyVenv + "/bin/python"
	switch {
	case p.Script != "":
		bin := pyVenv + "/bin/" + p.Script
		return []string{bin}, "[ -x " + shellQuote(bin) + " ] || { echo " + shellQuote("python.script: "+p.Script+" is not a console script of the installed packages; "+pyVenv+"/bin has:") + " >&2; ls " + pyVenv + "/bin >&2; exit 1; }"
	case p.Module != "":
		return []string{py, "-m", p.Module}, "true"
	default:
		main := p.Main
		if main == "" {
			main = "app.py"
		}
		file := path.Join(pyApp, path.Clean("/"+main))
		return []string{py, file}, "[ -f " + shellQuote(file) + " ] || { echo " + shellQuote("python.main: "+main+" is not a file in the build context") + " >&2; exit 1; }"
	}
}

func entryPath(s *spec.Spec) string {
	for _, k := range []string{"python/main", "python/module", "python/script", "python"} {
		if s.Source.Has(k) {
			return k
		}
	}
	return "language"
}

// shell runs a script of lines under sh -e; the builder has a shell, the
// final image never does.
func shell(lines ...string) llb.RunOption {
	return llb.Args([]string{"/bin/sh", "-ec", strings.Join(lines, "\n")})
}

// shellQuote quotes a string for sh.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// buildArgEnv passes build args (PIP_INDEX_URL, UV_INDEX_URL...) to the
// install steps as environment.
func buildArgEnv(in *BuildInput) []llb.RunOption {
	out := make([]llb.RunOption, 0, len(in.Env))
	for _, kv := range in.Env {
		k, v, _ := strings.Cut(kv, "=")
		out = append(out, llb.AddEnv(k, v))
	}
	return out
}
