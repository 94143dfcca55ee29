package llbgen

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/moby/buildkit/client/llb"
	toml "github.com/pelletier/go-toml/v2"
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
	Glibc    int      // glibc 2.x of that release: the newest manylinux tag its wheels may carry
	Builder  string   // Debian image the build steps run on
	Final    string   // distroless python3 image the app runs on
	Packages []string // Debian packages that give the builder python, venv and the CA store
}

var pythonRuntimes = map[string]pythonRuntime{
	"3.13": {
		Glibc:    41,
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
	pyUVCache = "/root/.cache/uv"
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
		if p := cleanContextPath(s.Python.Requirements); p != "" {
			for _, f := range []string{p, path.Join(path.Dir(p), pyprojectToml)} {
				if !slices.Contains(files, f) {
					files = append(files, f)
				}
			}
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
	Kind    string // lockRequirements, lockUV, lockPoetry or lockNone
	File    string // context path of the lock
	Reqs    *requirementsFile
	version string // CPython minor the lock is installed for
	// Generated is the hashed requirements file made from poetry.lock.
	Generated string
	// Project is the pyproject.toml next to uv.lock.
	Project string
	// Packaged: the uv project declares a build system, so it is installed
	// into /venv itself after its sources.
	Packaged bool
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
		lk.Project = path.Join(path.Dir(lk.File), pyprojectToml)
		project, ok := files[lk.Project]
		if !ok {
			return nil, finding(rules.MissingLockfile, "%s needs the pyproject.toml it locks (%s) in the build context", lk.File, lk.Project)
		}
		packaged, err := pyprojectPackaged(project)
		if err != nil {
			return nil, []ContextFinding{{Rule: rules.InvalidLockfile, Path: where, Message: tomlProblem(lk.Project, err).Msg}}
		}
		lk.Packaged = packaged
		return lk, problemFindings(where, checkUVLock(lk.File, files[lk.File]))
	case poetryLock:
		lk.Kind = lockPoetry
		gen, problems := poetryRequirements(lk.File, files[lk.File])
		lk.Generated = gen
		return lk, problemFindings(where, problems)
	}
	lk.Kind = lockRequirements
	reqs, problems := parseRequirements(lk.File, files[lk.File])
	lk.Reqs = reqs
	return lk, problemFindings(where, problems)
}

func problemFindings(where string, problems []reqProblem) []ContextFinding {
	var out []ContextFinding
	for _, p := range problems {
		out = append(out, ContextFinding{Rule: p.Rule, Path: where, Message: p.Msg})
	}
	return out
}

// pyprojectPackaged reports whether a uv project is a package uv installs
// into the venv (a [build-system], and tool.uv.package not false), rather
// than an app whose sources run from /app.
func pyprojectPackaged(data []byte) (bool, error) {
	var p struct {
		BuildSystem map[string]any `toml:"build-system"`
		Tool        struct {
			UV struct {
				Package *bool `toml:"package"`
			} `toml:"uv"`
		} `toml:"tool"`
	}
	if err := toml.Unmarshal(data, &p); err != nil {
		return false, err
	}
	if p.Tool.UV.Package != nil {
		return *p.Tool.UV.Package, nil
	}
	return p.BuildSystem != nil, nil
}

// CheckContext reports what is wrong with the lock the build would use.
func (python) CheckContext(s *spec.Spec, files map[string][]byte, _ bool) []ContextFinding {
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

func (python) Build(in *BuildInput) (*BuildOutput, error) {
	s := in.Spec
	rt, version := pythonRuntimeOf(s)
	lk, findings := findPythonLock(s, in.Files)
	for _, f := range findings {
		if r, ok := rules.Lookup(f.Rule); ok && r.Exemptible && exempted(s, f.Rule) {
			continue
		}
		return nil, errors.Errorf("%s %s", f.Rule, f.Message)
	}
	if lk == nil {
		return nil, errors.New("python: no usable lock")
	}
	lk.version = version
	// A cross build installs the target's wheels with pip's platform
	// options; it never runs target code, so no emulation is needed.
	var cross []string
	if in.Target.OS != in.Build.OS || in.Target.Architecture != in.Build.Architecture || in.Target.Variant != in.Build.Variant {
		var err error
		if cross, err = crossWheelOptions(rt, version, lk, in); err != nil {
			return nil, err
		}
	}
	interp := "/usr/bin/python" + version
	total := 5
	if lk.Kind == lockUV && lk.Packaged {
		total = 6
	}

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
		// Build args reach apt as they reach pip: a proxy or mirror
		// declared there must serve every download.
	}, append(buildArgEnv(in), in.RunOpts...)...)...).Root()

	// Step 2-3: the lock alone, then the install: a source edit leaves both cached.
	deps := setup.File(llb.Mkdir(pySrc, 0o755, llb.WithParents(true)), in.Step(2, total, "copy "+lockName(lk), pythonLockPath(s)))
	switch lk.Kind {
	case lockRequirements:
		deps = setup.File(llb.Mkdir(pySrc, 0o755, llb.WithParents(true)).
			Copy(in.Context, "/"+lk.File, pySrc+"/"+path.Base(lk.File)),
			in.Step(2, total, "copy "+lk.File, pythonLockPath(s)))
	case lockPoetry:
		// The lock's main group as a hashed requirements file: the LLB
		// carries it, so the install is cached by the lock's content.
		deps = setup.File(llb.Mkdir(pySrc, 0o755, llb.WithParents(true)).
			Mkfile(pySrc+"/requirements.txt", 0o644, []byte(lk.Generated)),
			in.Step(2, total, "write the hashed requirements of "+lk.File+" (main group)", pythonLockPath(s)))
	case lockUV:
		deps = setup.File(llb.Mkdir(pySrc, 0o755, llb.WithParents(true)).
			Copy(in.Context, "/"+lk.File, pySrc+"/uv.lock").
			Copy(in.Context, "/"+lk.Project, pySrc+"/pyproject.toml").
			Mkfile(pySrc+"/uv-requirements.txt", 0o644, []byte(uvRequirement())),
			in.Step(2, total, "copy "+lk.File+" "+lk.Project, pythonLockPath(s)))
	}
	installCmd, installName := pythonInstall(lk, cross)
	compileVenv := interp + " -m compileall -q -j0 --invalidation-mode unchecked-hash " + pyVenv + "/lib"
	installOpts := []llb.RunOption{
		llb.Dir(pySrc),
		llb.AddEnv("PIP_DISABLE_PIP_VERSION_CHECK", "1"),
		llb.AddEnv("PIP_ROOT_USER_ACTION", "ignore"),
		llb.AddEnv("PIP_NO_INPUT", "1"),
		in.Cache(pyCache, "pip"),
	}
	if lk.Kind == lockUV {
		installOpts = append(installOpts, uvEnv(interp, in)...)
	}
	installed := deps.Run(append(append(append(installOpts,
		shell(caPrelude(in.CA), installCmd, compileVenv),
		in.Step(3, total, installName, pythonLockPath(s)),
	), buildArgEnv(in)...), in.RunOpts...)...).Root()

	// Step 4-5: the sources, compiled once here because the root file
	// system is read-only at run time.
	sources := installed.File(
		llb.Mkdir(pyApp, 0o755, llb.WithParents(true)).
			Copy(in.Context, "/", pyApp+"/", &llb.CopyInfo{CopyDirContentsOnly: true}),
		in.Step(4, total, "copy sources", "language"),
	)
	venv := installed
	if lk.Kind == lockUV && lk.Packaged {
		// A packaged uv project goes into /venv too, as a regular (not
		// editable) install: its dependencies are already there.
		sources = sources.Run(append(append(append(uvEnv(interp, in),
			llb.Dir(pyApp),
			in.Cache(pyCache, "pip"),
			shell(caPrelude(in.CA), pyTools+"/bin/uv sync --locked --no-dev --no-editable", compileVenv),
			in.Step(5, total, "uv sync --locked --no-dev --no-editable (the project)", pythonLockPath(s)),
		), buildArgEnv(in)...), in.RunOpts...)...).Root()
		venv = sources
	}
	entry, check := pythonEntrypoint(s)
	// No -j0 here: this step reruns on every source edit, and for an app's
	// handful of modules starting a process pool costs more than it saves.
	compiled := sources.Run(append([]llb.RunOption{
		shell(check, interp+" -m compileall -q --invalidation-mode unchecked-hash "+pyApp),
		llb.Dir(pyApp),
		in.Step(total, total, "compile bytecode of "+pyApp+" (unchecked-hash)", entryPath(s)),
	}, in.RunOpts...)...).Root()

	return &BuildOutput{
		Layers: []Layer{
			{Name: "venv", State: venv, Files: []Artifact{{Src: pyVenv, Dest: pyVenv, Dir: true}}},
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

// UVVersion is the uv the frontend installs for uv.lock builds: the
// wheel from PyPI, checked against these hashes (manylinux x86_64 and
// aarch64), into the tools venv; it never reaches the image.
const UVVersion = "0.13.9"

var uvWheelHashes = []string{
	"sha256:d7f459fe4fd247d830351c75686d3996ace3c6f3f728eb0e85a30b7ada0cef19", // manylinux_2_17_x86_64
	"sha256:5435c5ce14a56431208ca0996416d310f1598e8c2c8ba707688985a16bb82dbe", // manylinux_2_17_aarch64
	"sha256:ecb6028d79dc96fbeafffe5c8af62a7099487ebc05a701e76714eebcffd06375", // manylinux_2_28_aarch64
}

func uvRequirement() string {
	return "uv==" + UVVersion + " --hash=" + strings.Join(uvWheelHashes, " --hash=") + "\n"
}

// uvEnv makes uv use the venv, the interpreter and the cache the build
// sets up, and never download a Python of its own.
func uvEnv(interp string, in *BuildInput) []llb.RunOption {
	return []llb.RunOption{
		llb.AddEnv("UV_PROJECT_ENVIRONMENT", pyVenv),
		llb.AddEnv("UV_PYTHON", interp),
		llb.AddEnv("UV_PYTHON_DOWNLOADS", "never"),
		llb.AddEnv("UV_LINK_MODE", "copy"),
		llb.AddEnv("UV_CACHE_DIR", pyUVCache),
		llb.AddEnv("UV_NO_PROGRESS", "1"),
		in.Cache(pyUVCache, "uv"),
	}
}

// pythonInstall is the install command for the lock and its progress
// name. pip runs from its own venv and installs into /venv (--python), so
// pip never lands in the image; uv likewise lives in the tools venv.
func pythonInstall(lk *pythonLock, cross []string) (cmd, name string) {
	pip := pyTools + "/bin/pip --python " + pyVenv + "/bin/python install --no-compile --no-warn-script-location"
	if len(cross) == 0 {
		return nativeInstall(lk, pip)
	}
	// pip installs for another platform only into a directory; the console
	// scripts land in <dir>/bin and move to the venv's bin.
	site := pyVenvSite(lk.version)
	cmd, name = nativeInstall(lk, pip+" "+strings.Join(cross, " ")+" --target "+site)
	return cmd + "\nif [ -d " + site + "/bin ]; then mv " + site + "/bin/* " + pyVenv + "/bin/ && rmdir " + site + "/bin; fi",
		name + " (wheels for the target platform)"
}

func nativeInstall(lk *pythonLock, pip string) (cmd, name string) {
	switch lk.Kind {
	case lockNone:
		return "echo 'no requirements.txt, uv.lock or poetry.lock: nothing to install'", "no dependencies to install"
	case lockPoetry:
		return pip + " --require-hashes --no-deps -r requirements.txt",
			"pip install --require-hashes --no-deps (" + lk.File + ", main group) into " + pyVenv
	case lockUV:
		return pyTools + "/bin/pip install --no-compile --require-hashes --only-binary=:all: -r uv-requirements.txt >/dev/null\n" +
				pyTools + "/bin/uv sync --locked --no-dev --no-install-project",
			"uv " + UVVersion + " sync --locked --no-dev --no-install-project into " + pyVenv
	}
	flags := ""
	if lk.Reqs != nil && lk.Reqs.Hashed {
		flags = " --require-hashes"
	}
	return pip + flags + " -r " + path.Base(lk.File),
		"pip install" + flags + " -r " + path.Base(lk.File) + " into " + pyVenv
}

func pyVenvSite(version string) string {
	return pyVenv + "/lib/python" + version + "/site-packages"
}

// wheelArch is the wheel platform tag's machine for an OCI architecture.
var wheelArch = map[string]string{"amd64": "x86_64", "arm64": "aarch64"}

// crossWheelOptions are pip's options to install the wheels of the target
// platform: manylinux tags up to the glibc of the final's Debian release,
// the CPython version and ABI. uv.lock cross builds are refused for now.
func crossWheelOptions(rt pythonRuntime, version string, lk *pythonLock, in *BuildInput) ([]string, error) {
	arch, ok := wheelArch[in.Target.Architecture]
	if in.Target.OS != "linux" || !ok || in.Target.Variant != "" && in.Target.Variant != "v8" {
		return nil, errors.Errorf("python: no wheels for %s; build for linux/amd64 or linux/arm64", platformString(in.Target))
	}
	if lk.Kind == lockUV {
		return nil, errors.Errorf("python: a uv.lock build for %s on %s is not supported yet; build on a %s machine, or export a hashed requirements.txt (uv export --frozen --no-dev -o requirements.txt)",
			platformString(in.Target), platformString(in.Build), platformString(in.Target))
	}
	cp := "cp" + strings.ReplaceAll(version, ".", "")
	opts := []string{"--only-binary=:all:", "--implementation", "cp", "--python-version", version, "--abi", cp, "--abi", "abi3", "--abi", "none"}
	for minor := rt.Glibc; minor >= 17; minor-- {
		opts = append(opts, "--platform", fmt.Sprintf("manylinux_2_%d_%s", minor, arch))
	}
	return append(opts, "--platform", "manylinux2014_"+arch), nil
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

// buildArgEnv passes build args (PIP_INDEX_URL, UV_INDEX_URL, a proxy...)
// to the download steps as environment.
func buildArgEnv(in *BuildInput) []llb.RunOption {
	out := make([]llb.RunOption, 0, len(in.Env))
	for _, kv := range in.Env {
		k, v, _ := strings.Cut(kv, "=")
		out = append(out, llb.AddEnv(k, v))
	}
	return out
}
