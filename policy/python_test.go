package policy

import (
	"strings"
	"testing"

	"github.com/org/safe-frontend/rules"
	"github.com/org/safe-frontend/spec"
)

func pythonSpec(mutate func(*spec.Python)) *spec.Spec {
	p := &spec.Python{Version: "3.13", Script: "gunicorn"}
	if mutate != nil {
		mutate(p)
	}
	return &spec.Spec{
		Name:     "shop",
		Version:  "1.0.0",
		Language: "python",
		Python:   p,
		Run: spec.Run{
			Port:      8080,
			Health:    &spec.Health{HTTP: "/healthz"},
			Resources: &spec.Resources{CPU: "100m", Memory: "128Mi"},
		},
	}
}

func TestPythonSpecChecks(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(*spec.Python)
		rule   string
		path   string
		msg    string
	}{
		{"latest", func(p *spec.Python) { p.Version = "latest" }, rules.UnpinnedVersion, "python/version", "moves over time"},
		{"not shipped", func(p *spec.Python) { p.Version = "3.9" }, rules.InvalidValue, "python/version", `use "3.13"`},
		{"patch", func(p *spec.Python) { p.Version = "3.13.5" }, rules.InvalidValue, "python/version", `write the minor "3.13"`},
		{"garbage version", func(p *spec.Python) { p.Version = "py3" }, rules.InvalidValue, "python/version", "not a CPython minor"},
		{"no entry", func(p *spec.Python) { p.Script = "" }, rules.MissingKey, "language", "exactly one of python.main"},
		{"two entries", func(p *spec.Python) { p.Main = "app.py" }, rules.ConflictingKey, "python/script", "keep exactly one"},
		{"main escapes", func(p *spec.Python) { p.Script, p.Main = "", "../app.py" }, rules.PathEscapes, "python/main", "outside the build context"},
		{"main dir", func(p *spec.Python) { p.Script, p.Main = "", "shop/" }, rules.InvalidValue, "python/main", "is a directory"},
		{"module", func(p *spec.Python) { p.Script, p.Module = "", "shop-server" }, rules.InvalidValue, "python/module", "dotted module name"},
		{"script path", func(p *spec.Python) { p.Script = "/bin/sh" }, rules.InvalidValue, "python/script", "console script"},
		{"requirements escape", func(p *spec.Python) { p.Requirements = "/etc/passwd" }, rules.PathEscapes, "python/requirements", "outside the build context"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := Check(pythonSpec(tc.mutate))
			var got []string
			for _, f := range r.Findings {
				got = append(got, f.Rule.ID+"@"+f.Path+": "+f.Message)
				if f.Rule.ID == tc.rule && f.Path == tc.path && strings.Contains(f.Message, tc.msg) {
					checkMessageStyle(t, f)
					return
				}
			}
			t.Fatalf("want %s at %q with %q; got:\n%s", tc.rule, tc.path, tc.msg, strings.Join(got, "\n"))
		})
	}
	s := pythonSpec(nil)
	s.Build.Args = map[string]string{"PIP_INDEX_URL": "https://ci:s3cret@pypi.example.com/simple", "UV_INDEX_URL": "https://pypi.example.com/simple"}
	r := Check(s)
	if len(r.Findings) != 1 || r.Findings[0].Rule.ID != rules.SecretInBuildArg || r.Findings[0].Path != "build/args/PIP_INDEX_URL" {
		t.Errorf("an index URL with credentials: findings %+v", r.Findings)
	}
	if r := Check(pythonSpec(nil)); len(r.Findings) != 0 {
		t.Fatalf("findings on a good python spec: %+v", r.Findings)
	}
}

const lockedReqs = `# locked
flask==3.1.3 \
    --hash=sha256:0ef0e52b8a9cd932855379197dd8f94047b359ca0a78695144304cb45f87c9eb
`

func TestPythonContextChecks(t *testing.T) {
	cases := []struct {
		name  string
		files map[string][]byte
		req   string // python.requirements
		rule  string
		msg   string
	}{
		{"unpinned", map[string][]byte{"requirements.txt": []byte("flask>=3\n")}, "", rules.UnpinnedRequirement, "requirements.txt:1: flask>=3 is not pinned"},
		{"wildcard", map[string][]byte{"requirements.txt": []byte("# c\n\nflask==3.*\n")}, "", rules.UnpinnedRequirement, "requirements.txt:3:"},
		{"editable", map[string][]byte{"requirements.txt": []byte("-e .\n")}, "", rules.UnpinnedRequirement, "editable"},
		{"include", map[string][]byte{"requirements.txt": []byte("-r base.txt\n")}, "", rules.InvalidLockfile, "includes another file"},
		{"partly hashed", map[string][]byte{"requirements.txt": []byte(lockedReqs + "click==8.1.8\n")}, "", rules.InvalidLockfile, "requirements.txt:4: has no --hash"},
		{"bad hash", map[string][]byte{"requirements.txt": []byte("flask==3.1.3 --hash=md5:abc\n")}, "", rules.InvalidLockfile, "sha256"},
		{"pyproject only", map[string][]byte{"pyproject.toml": []byte("[project]\nname='x'\n")}, "", rules.MissingLockfile, "no lock"},
		{"named lock missing", map[string][]byte{}, "locks/prod.txt", rules.MissingLockfile, "locks/prod.txt"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := pythonSpec(func(p *spec.Python) { p.Requirements = tc.req })
			r := Check(s)
			found := CheckContext(r, s, tc.files, false)
			var got []string
			for _, f := range found {
				got = append(got, f.Rule.ID+"@"+f.Path+": "+f.Message)
				if f.Rule.ID == tc.rule && strings.Contains(f.Message, tc.msg) {
					checkMessageStyle(t, f)
					if r.Err() == nil {
						t.Errorf("the finding does not refuse the build")
					}
					return
				}
			}
			t.Fatalf("want %s with %q; got:\n%s", tc.rule, tc.msg, strings.Join(got, "\n"))
		})
	}
	have := map[string]bool{}
	for _, tc := range cases {
		have[tc.rule] = true
	}
	// The rules raised from the build context's files (CheckContext).
	for _, id := range []string{rules.UnpinnedRequirement, rules.MissingLockfile, rules.InvalidLockfile} {
		if !have[id] {
			t.Errorf("no context case makes %s fire", id)
		}
	}
}

func TestPythonContextClean(t *testing.T) {
	for name, files := range map[string]map[string][]byte{
		"hashed":          {"requirements.txt": []byte(lockedReqs)},
		"pinned":          {"requirements.txt": []byte("flask==3.1.3 ; python_version >= '3.9'  # web\nclick===8.1.8\n--index-url https://pypi.org/simple\n")},
		"no dependencies": {},
	} {
		s := pythonSpec(nil)
		r := Check(s)
		if found := CheckContext(r, s, files, false); len(found) != 0 {
			t.Errorf("%s: findings %+v", name, found)
		}
	}
}

// An exempted unpinned requirement builds and is recorded for the label.
func TestPythonContextExemption(t *testing.T) {
	s := pythonSpec(nil)
	s.Allow = []spec.Exemption{{Rule: rules.UnpinnedRequirement, Reason: "internal wheel without versions, pinned by the index"}}
	r := Check(s)
	found := CheckContext(r, s, map[string][]byte{"requirements.txt": []byte("flask>=3\n")}, false)
	if len(found) != 1 || !found[0].Exempted {
		t.Fatalf("findings = %+v, want one exempted SF120", found)
	}
	if r.Err() != nil {
		t.Fatalf("an exempted finding refused the build: %v", r.Err())
	}
	if got := ExemptionLabel(r.Exemptions); !strings.Contains(got, `"rule":"SF120"`) {
		t.Errorf("label = %s, want SF120", got)
	}
}
