package python

import (
	"bytes"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/org/safe-frontend/rules"
)

const pyLock = `# locked
flask==3.1.3 \
    --hash=sha256:0ef0e52b8a9cd932855379197dd8f94047b359ca0a78695144304cb45f87c9eb
gunicorn==23.0.0 \
    --hash=sha256:ec400d38950de4dfd418cff8328b2c8faed0edb0d517d3394e457c317908ca4d
`

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
	if dt, err := os.ReadFile("../../examples/python-hello/requirements.txt"); err == nil {
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
