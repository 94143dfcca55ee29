package python

import (
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/pelletier/go-toml/v2"

	"github.com/org/safe-frontend/lang"
	"github.com/org/safe-frontend/spec"
)

// pyproject is what init reads of a pyproject.toml.
type pyproject struct {
	Project struct {
		Name           string            `toml:"name"`
		Version        string            `toml:"version"`
		Description    string            `toml:"description"`
		RequiresPython string            `toml:"requires-python"`
		Dependencies   []string          `toml:"dependencies"`
		Scripts        map[string]string `toml:"scripts"`
	} `toml:"project"`
}

// Detect: a lock, a requirements.txt or a pyproject.toml at the root.
func (python) Detect(p *lang.Project) ([]*lang.App, error) {
	files := p.Files(uvLock, poetryLock, requirementsTxt, pyprojectToml)
	reqs := requirementsName(p)
	if reqs != "" && reqs != requirementsTxt {
		files[reqs], _ = p.ReadFile(reqs)
	}
	if len(files) == 0 {
		return nil, nil
	}
	var proj pyproject
	if dt, ok := files[pyprojectToml]; ok {
		if err := toml.Unmarshal(dt, &proj); err != nil {
			return nil, fmt.Errorf("%s: %s", pyprojectToml, tomlProblem(pyprojectToml, err).Msg)
		}
	}
	name := proj.Project.Name
	if name == "" {
		name = p.Name
	}
	a := lang.NewApp(".", "python", lang.NameFrom(name))
	if proj.Project.Name == "" {
		a.Guess("name", "the directory's name")
	}
	a.Spec.Version = proj.Project.Version
	a.Describe("", proj.Project.Description, pyprojectToml)
	a.Spec.Python = &spec.Python{Version: pythonVersion(p, a, proj.Project.RequiresPython)}
	for _, f := range []string{uvLock, poetryLock, reqs} {
		if _, ok := files[f]; ok && f != "" {
			a.Spec.Python.Requirements = f
			if f != requirementsTxt && f == reqs {
				a.Guess("python/requirements", "the requirements file that is not for development")
			}
			break
		}
	}
	if a.Spec.Python.Requirements == "" {
		a.Guess("python", "no uv.lock, poetry.lock or requirements.txt: lock the dependencies (uv lock) before building")
	}
	deps := dependencies(files, reqs, proj.Project.Dependencies)
	if !serve(p, a, deps) {
		runEntry(p, a, files, &proj)
		a.ApplyHints(p.Hints(".", ".py"), "", 0)
	}
	return []*lang.App{a}, nil
}

// requirementsName is requirements.txt, else the one requirements*.txt
// that is not for development or tests (requirements-prod.txt), or "".
func requirementsName(p *lang.Project) string {
	if p.Has(requirementsTxt) {
		return requirementsTxt
	}
	names, _ := fs.Glob(p.FS, "requirements*.txt")
	for _, n := range names {
		if !strings.ContainsAny(n, "*?[") && !regexp.MustCompile(`(?i)dev|test|lint|doc|ci`).MatchString(n) {
			return n
		}
	}
	return ""
}

// dependencies are the normalized names of the distributions the project
// needs, as its lock or pyproject lists them.
func dependencies(files map[string][]byte, reqs string, declared []string) []string {
	var out []string
	add := func(n string) {
		if n = normalizeDist(n); n != "" && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	for _, d := range declared {
		if m := pipNameRe.FindStringSubmatch(d); m != nil {
			add(m[1])
		}
	}
	if dt, ok := files[reqs]; ok && reqs != "" {
		rf, _ := parseRequirements(reqs, dt)
		for _, r := range rf.Requirements {
			add(r.Name)
		}
	}
	var uv uvLockFile
	if dt, ok := files[uvLock]; ok && toml.Unmarshal(dt, &uv) == nil {
		for _, pk := range uv.Package {
			add(pk.Name)
		}
	}
	var poetry poetryLockFile
	if dt, ok := files[poetryLock]; ok && toml.Unmarshal(dt, &poetry) == nil {
		for _, pk := range poetry.Package {
			add(pk.Name)
		}
	}
	return out
}

// appRe finds a web framework's app object: app = FastAPI(...).
var appRe = regexp.MustCompile(`(?m)^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(FastAPI|Starlette|Litestar|Quart|Flask)\(`)

// wsgiRe finds Django's WSGI application.
var wsgiRe = regexp.MustCompile(`(?m)^application\s*=\s*get_wsgi_application\(`)

// serve sets a web app to run under the server its dependencies hold:
// uvicorn for ASGI apps, gunicorn for WSGI apps, bound to the port the
// spec exposes.
func serve(p *lang.Project, a *lang.App, deps []string) bool {
	var target, framework string
	p.Sources(".", []string{".py"}, func(name string, data []byte) {
		if target != "" {
			return
		}
		if m := appRe.FindSubmatch(data); m != nil {
			target, framework = moduleOf(name)+":"+string(m[1]), string(m[2])
		} else if path.Base(name) == "wsgi.py" && wsgiRe.Match(data) {
			target, framework = moduleOf(name)+":application", "Django"
		}
	})
	if target == "" {
		return false
	}
	port := lang.DefaultPort
	asgi := framework != "Flask" && framework != "Django"
	switch {
	case asgi && slices.Contains(deps, "uvicorn"):
		a.Spec.Python.Script = "uvicorn"
		a.Spec.Run.Args = []string{"--host=0.0.0.0", fmt.Sprintf("--port=%d", port), target}
	case !asgi && slices.Contains(deps, "gunicorn"):
		a.Spec.Python.Script = "gunicorn"
		a.Spec.Run.Args = []string{fmt.Sprintf("--bind=0.0.0.0:%d", port), target}
	default:
		a.Guess("python", "a %s app (%s) with no server among the dependencies: add uvicorn (ASGI) or gunicorn (WSGI) and set python.script", framework, target)
		return true
	}
	a.Note("python/script", "serves the %s app %s", framework, target)
	a.Spec.Run.Port = port
	a.Note("run/port", "the port run.args binds")
	if h := p.Hints(".", ".py"); h.Health != "" {
		a.Spec.Run.Health = &spec.Health{HTTP: h.Health}
		a.Guess("run/health/http", "seen in %s; it must answer 2xx", h.HealthFrom)
	}
	return true
}

// moduleOf is the module a file is imported as from /app (or from the
// installed package, in a src layout).
func moduleOf(name string) string {
	name = strings.TrimPrefix(strings.TrimSuffix(name, ".py"), "src/")
	name = strings.TrimSuffix(name, "/__init__")
	return strings.ReplaceAll(name, "/", ".")
}

var mainGuardRe = regexp.MustCompile(`(?m)^if\s+__name__\s*==\s*["']__main__["']\s*:`)

// runEntry sets what python runs for an app that is not a web framework's:
// the project's one console script, a package's __main__, a script.
func runEntry(p *lang.Project, a *lang.App, files map[string][]byte, proj *pyproject) {
	py := a.Spec.Python
	packaged, _ := pyprojectPackaged(files[pyprojectToml])
	if _, uv := files[uvLock]; uv && packaged && len(proj.Project.Scripts) == 1 {
		for k := range proj.Project.Scripts {
			py.Script = k
		}
		a.Note("python/script", "pyproject.toml's console script")
		return
	}
	var mains []string
	p.Sources(".", []string{".py"}, func(name string, data []byte) {
		switch {
		case path.Base(name) == "__main__.py" && strings.Count(name, "/") == 1:
			py.Module = path.Dir(name)
		case strings.Count(name, "/") == 0 && mainGuardRe.Match(data):
			mains = append(mains, name)
		}
	})
	switch {
	case py.Module != "":
		a.Guess("python/module", "the package with a __main__.py")
	case len(mains) > 0:
		py.Main = mains[0]
		a.Guess("python/main", "a script with a __main__ guard")
	case p.Has("main.py") || p.Has("app.py"):
		py.Main = "main.py"
		if !p.Has(py.Main) {
			py.Main = "app.py"
		}
		a.Guess("python/main", "the script by its name")
	default:
		a.Guess("python", "no entry point found: set python.main, python.module or python.script")
	}
}

var minorRe = regexp.MustCompile(`3\.[0-9]{1,2}`)

// pythonVersion: .python-version, else requires-python, else the default;
// always one the frontend builds.
func pythonVersion(p *lang.Project, a *lang.App, requires string) string {
	pin, from := "", ""
	if dt, ok := p.ReadFile(".python-version"); ok {
		pin, from = minorRe.FindString(strings.SplitN(string(dt), "\n", 2)[0]), ".python-version"
	}
	if pin == "" && requires != "" {
		pin, from = minorRe.FindString(requires), "requires-python "+lang.Truncate(requires, 40)
		if pin != "" && strings.HasPrefix(strings.TrimSpace(requires), ">") && minor(pin) <= minor(DefaultVersion) {
			a.Note("python/version", "%s: the frontend's default satisfies it", from)
			return DefaultVersion
		}
	}
	switch {
	case pin == "":
		a.Guess("python/version", "no .python-version or requires-python: the frontend's default")
		return DefaultVersion
	case slices.Contains(Versions(), pin):
		a.Note("python/version", "from %s", from)
		return pin
	}
	a.Guess("python/version", "%s asks for %s; the frontend builds %s", from, pin, strings.Join(Versions(), ", "))
	return DefaultVersion
}

// minor is the 13 of "3.13".
func minor(v string) int {
	n, _ := strconv.Atoi(strings.TrimPrefix(v, "3."))
	return n
}
