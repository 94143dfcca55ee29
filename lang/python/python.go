// Package python plans Python builds: Debian's CPython (the interpreter
// the distroless python3 image runs) in the builder, the locked
// dependencies installed into /venv by a pip or uv that never reaches the
// image, the sources in /app compiled to bytecode at build time.
package python

import (
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/org/safe-frontend/lang"
	"github.com/org/safe-frontend/spec"
)

// DefaultVersion is the CPython used when a spec names none; it moves
// with frontend releases, never with "latest".
const DefaultVersion = "3.13"

// runtime is one CPython minor the frontend builds for. The venv's
// interpreter is a symlink to the builder's /usr/bin/pythonX.Y, so the build
// runs on the Debian release the distroless image is made from: the same
// interpreter at the same path, the same glibc for compiled wheels. The
// builder is the plain Debian image plus Debian's own python packages
// (installed in the first build step, on an apt cache mount), not the
// official python image, whose CPython lives in /usr/local and is absent
// from the final. Adding a version is one entry here.
type runtime struct {
	Glibc    int      // glibc 2.x of that release: the newest manylinux tag its wheels may carry
	Builder  string   // Debian image the build steps run on
	Final    string   // distroless python3 image the app runs on
	Packages []string // Debian packages that give the builder python, venv and the CA store
}

var runtimes = map[string]runtime{
	"3.13": {
		Glibc:    41,
		Builder:  "docker.io/library/debian:trixie-slim",
		Final:    "gcr.io/distroless/python3-debian13:nonroot",
		Packages: []string{"python3.13-venv", "ca-certificates"},
	},
}

// Versions lists the CPython versions the frontend builds, sorted.
func Versions() []string {
	return slices.Sorted(maps.Keys(runtimes))
}

// Paths in the builder and the final image.
const (
	venvDir   = "/venv"
	appDir    = "/app"
	toolsDir  = "/opt/pip" // a venv of its own holds pip; /venv never gets it
	srcDir    = "/src"     // lock and manifests, for the install step
	pipCache  = "/root/.cache/pip"
	uvCache   = "/root/.cache/uv"
	aptLists  = "/var/lib/apt/lists"
	aptCaches = "/var/cache/apt"
)

type python struct{}

func init() { lang.Register(python{}) }

// The build reads the lock before anything runs, and plans from it.
var (
	_ lang.Planner        = python{}
	_ lang.ContextChecker = python{}
)

func (python) Name() string { return "python" }

func version(s *spec.Spec) string {
	if s.Python != nil && s.Python.Version != "" {
		return s.Python.Version
	}
	return DefaultVersion
}

// runtimeOf is the table entry of the spec's version; an unknown one
// (refused by the policy) falls back to the default so planning of an
// unchecked spec still yields something well-formed.
func runtimeOf(s *spec.Spec) (runtime, string) {
	v := version(s)
	if rt, ok := runtimes[v]; ok {
		return rt, v
	}
	return runtimes[DefaultVersion], DefaultVersion
}

func (python) BuilderImage(s *spec.Spec) string {
	rt, _ := runtimeOf(s)
	return rt.Builder
}

func (python) Runtime(*spec.Spec) lang.Runtime { return lang.RuntimeOwn }

func (python) FinalImage(s *spec.Spec, final string) (string, bool) {
	if final != "distroless" {
		return "", false
	}
	rt, _ := runtimeOf(s)
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

// CheckContext reports what is wrong with the lock the build would use.
func (python) CheckContext(s *spec.Spec, files map[string][]byte, _ bool) []lang.ContextFinding {
	_, findings := findLock(s, files)
	return findings
}
