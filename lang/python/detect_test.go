package python

import (
	"slices"
	"testing"
	"testing/fstest"

	"github.com/org/safe-frontend/lang/langtest"
)

// A FastAPI app locked with uv: uvicorn serves app.main:app on the port
// the spec exposes; the version from .python-version.
func TestDetectFastAPI(t *testing.T) {
	langtest.RequireGoldenSpec(t, python{}, "testdata/init/fastapi", "testdata/init/fastapi.yaml", *update)
}

// The entry point, from what the project holds.
func TestDetectPythonEntry(t *testing.T) {
	for _, tc := range []struct {
		name   string
		files  map[string]string
		script string
		args   []string
		module string
		main   string
	}{
		{"flask with gunicorn", map[string]string{"requirements.txt": "flask==3.1.0\ngunicorn==23.0.0\n", "web.py": "from flask import Flask\napp = Flask(__name__)\n"},
			"gunicorn", []string{"--bind=0.0.0.0:8080", "web:app"}, "", ""},
		{"django", map[string]string{"requirements.txt": "Django==5.2\ngunicorn==23.0.0\n", "shop/wsgi.py": "application = get_wsgi_application()\n"},
			"gunicorn", []string{"--bind=0.0.0.0:8080", "shop.wsgi:application"}, "", ""},
		{"starlette in src", map[string]string{"uv.lock": "version = 1\n[[package]]\nname = \"uvicorn\"\nversion = \"0.34.0\"\n", "pyproject.toml": "[project]\nname = \"x\"\n", "src/svc/asgi.py": "api = Starlette(routes=[])\n"},
			"uvicorn", []string{"--host=0.0.0.0", "--port=8080", "svc.asgi:api"}, "", ""},
		{"requirements-prod.txt", map[string]string{"requirements-dev.txt": "pytest==8.0.0\n", "requirements-prod.txt": "flask==3.1.0\ngunicorn==23.0.0\n", "app.py": "app = Flask(__name__)\n"},
			"gunicorn", []string{"--bind=0.0.0.0:8080", "app:app"}, "", ""},
		{"a package's __main__", map[string]string{"requirements.txt": "", "worker/__main__.py": "run()\n"}, "", nil, "worker", ""},
		{"a script by its name", map[string]string{"requirements.txt": "", "main.py": "print(1)\n", "util.py": ""}, "", nil, "", "main.py"},
		{"a script", map[string]string{"requirements.txt": "", "job.py": "if __name__ == \"__main__\":\n    main()\n"}, "", nil, "", "job.py"},
		{"console script of a packaged uv project", map[string]string{"uv.lock": "version = 1\n", "pyproject.toml": "[project]\nname = \"tool\"\n[project.scripts]\ntool = \"tool.cli:main\"\n[build-system]\nrequires = [\"hatchling\"]\n"},
			"tool", nil, "", ""},
	} {
		fsys := fstest.MapFS{}
		for k, v := range tc.files {
			fsys[k] = &fstest.MapFile{Data: []byte(v)}
		}
		apps, err := langtest.Detect(t, python{}, fsys, "app")
		if err != nil || len(apps) != 1 {
			t.Fatalf("%s: %v, %v", tc.name, apps, err)
		}
		s := apps[0].Spec
		if _, prod := tc.files["requirements-prod.txt"]; prod && s.Python.Requirements != "requirements-prod.txt" {
			t.Errorf("%s: requirements %q, want requirements-prod.txt", tc.name, s.Python.Requirements)
		}
		if s.Python.Script != tc.script || !slices.Equal(s.Run.Args, tc.args) || s.Python.Module != tc.module || s.Python.Main != tc.main {
			t.Errorf("%s: script %q args %q module %q main %q", tc.name, s.Python.Script, s.Run.Args, s.Python.Module, s.Python.Main)
		}
	}
}

// The version is one the frontend builds: a pin of another is marked to
// check, never written as it is.
func TestDetectPythonVersion(t *testing.T) {
	for _, tc := range []struct {
		pin, requires string
		note          bool // a guess to check
	}{
		{"3.13.1\n", "", false},
		{"", ">=3.10", false},
		{"3.12\n", "", true},
		{"", "~=3.14", true},
		{"", "", true},
	} {
		fsys := fstest.MapFS{"requirements.txt": {Data: []byte("")}, "main.py": {Data: []byte("")},
			"pyproject.toml": {Data: []byte("[project]\nname = \"a\"\nrequires-python = \"" + tc.requires + "\"\n")}}
		if tc.pin != "" {
			fsys[".python-version"] = &fstest.MapFile{Data: []byte(tc.pin)}
		}
		apps, err := langtest.Detect(t, python{}, fsys, "app")
		if err != nil || len(apps) != 1 {
			t.Fatalf("%+v: %v, %v", tc, apps, err)
		}
		note := apps[0].Notes["python/version"]
		if v := apps[0].Spec.Python.Version; v != DefaultVersion || (len(note) > 6 && note[:6] == "check:") != tc.note {
			t.Errorf("%+v: version %s (%s)", tc, v, note)
		}
	}
}
