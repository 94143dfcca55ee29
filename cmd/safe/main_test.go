package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/org/safe-frontend/rules"
	"github.com/org/safe-frontend/spec"
)

func runSafe(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func writeSpec(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const privileged = `# syntax=org/safe-frontend:1
name: app
language: go
run:
  port: 80
  user: "0:0"
  health:
    http: /healthz
  resources: {cpu: 100m, memory: 64Mi}
allow:
  - rule: SF204
    reason: host network
`

func TestLintText(t *testing.T) {
	p := writeSpec(t, "app.yaml", privileged)
	code, out, errOut := runSafe(t, "", "lint", p)
	if code != exitFindings {
		t.Fatalf("exit = %d, want 1; stderr %s", code, errOut)
	}
	wantLines := []string{
		p + ":5:3: exempted SF204 PrivilegedPort: run.port 80 is privileged",
		"    reason: host network",
		p + `:6:3: error SF201 RootUser: run.user "0:0" runs the app as root`,
		`    6 |   user: "0:0"`,
		`      |   ^~~~~~~~~~~`,
		"1 file: 1 error, 0 warnings, 1 exempted finding",
	}
	for _, w := range wantLines {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
}

func TestLintWarningsOnlyExitZero(t *testing.T) {
	p := writeSpec(t, "app.yaml", "# syntax=org/safe-frontend:1\nname: app\nlanguage: go\nrun:\n  port: 8080\nfinal: distroless-base\n")
	code, out, _ := runSafe(t, "", "lint", p)
	if code != exitOK {
		t.Fatalf("exit = %d, want 0:\n%s", code, out)
	}
	for _, w := range []string{"warning SF103 FinalTooFat", "warning SF205 NoHealthCheck", "warning SF208 NoResources", "0 errors, 3 warnings"} {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
}

func TestLintGoodExamples(t *testing.T) {
	files, _ := filepath.Glob("../../examples/*/Dockerfile")
	good, _ := filepath.Glob("../../testdata/specs/good/*.yaml")
	files = append(files, good...)
	if len(files) < 2 {
		t.Fatalf("no good specs found")
	}
	code, out, errOut := runSafe(t, "", append([]string{"lint"}, files...)...)
	if code != exitOK || !strings.Contains(out, " 0 errors, 0 warnings") {
		t.Fatalf("exit = %d\n%s%s", code, out, errOut)
	}
}

func TestLintJSON(t *testing.T) {
	p := writeSpec(t, "app.yaml", privileged)
	code, out, _ := runSafe(t, "", "lint", "--format", "json", p)
	if code != exitFindings {
		t.Fatalf("exit = %d", code)
	}
	var got []map[string]any
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if len(got) != 2 {
		t.Fatalf("want 2 findings, got %d: %s", len(got), out)
	}
	keys := make([]string, 0, len(got[0]))
	for k := range got[0] {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	want := []string{"column", "endColumn", "endLine", "exempted", "file", "line", "message", "name", "reason", "rule", "severity", "url"}
	if !reflect.DeepEqual(keys, want) {
		t.Errorf("keys = %v, want %v", keys, want)
	}
	ex, root := got[0], got[1]
	if ex["rule"] != "SF204" || ex["exempted"] != true || ex["reason"] != "host network" || ex["line"] != 5.0 {
		t.Errorf("exempted finding = %v", ex)
	}
	if root["rule"] != "SF201" || root["severity"] != "error" || root["exempted"] != false || root["column"] != 3.0 ||
		root["url"] != rules.DocBase+"SF201.md" || root["file"] != p || root["name"] != "RootUser" {
		t.Errorf("error finding = %v", root)
	}
}

func TestLintJSONEmptyIsArray(t *testing.T) {
	code, out, _ := runSafe(t, "", "lint", "--format=json", "../../examples/go-hello/Dockerfile")
	if code != exitOK || strings.TrimSpace(out) != "[]" {
		t.Fatalf("exit %d, out %q", code, out)
	}
}

func TestLintParseError(t *testing.T) {
	code, out, _ := runSafe(t, "name: app\nlanguage: go\nprot: 80\n", "lint", "-")
	if code != exitFindings || !strings.Contains(out, "-:3:1: error SF002 UnknownKey") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}

func TestLintTooLarge(t *testing.T) {
	p := writeSpec(t, "big.yaml", "name: app\n"+strings.Repeat("#", spec.MaxSize+10))
	code, out, _ := runSafe(t, "", "lint", p)
	if code != exitFindings || !strings.Contains(out, "error SF006 SpecTooLarge: the spec is larger than") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}

func TestUsageErrors(t *testing.T) {
	dir := t.TempDir()
	good := "../../examples/go-hello/Dockerfile"
	cases := [][]string{
		{},
		{"frobnicate"},
		{"lint"},
		{"lint", "--format", "xml", good},
		{"lint", "--nope", good},
		{"lint", filepath.Join(dir, "missing.yaml")},
		{"lint", dir},
		{"lint", good, filepath.Join(dir, "missing.yaml")}, // an I/O error wins over a clean file
		{"rules", "extra"},
		{"rules", "--format", "yaml"},
		{"schema", "extra"},
	}
	for _, args := range cases {
		if code, _, errOut := runSafe(t, "", args...); code != exitUsage || errOut == "" {
			t.Errorf("safe %v: exit %d, stderr %q; want 2 and a message", args, code, errOut)
		}
	}
	if code, out, _ := runSafe(t, "", "help"); code != exitOK || !strings.Contains(out, "safe lint") {
		t.Errorf("help: exit %d, %q", code, out)
	}
}

func TestRules(t *testing.T) {
	code, out, _ := runSafe(t, "", "rules")
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	for _, r := range rules.All() {
		if !strings.Contains(out, r.ID+"  ") || !strings.Contains(out, r.Name) {
			t.Errorf("rules output lacks %s %s", r.ID, r.Name)
		}
	}
	code, out, _ = runSafe(t, "", "rules", "--format", "json")
	var got []jsonRule
	if err := json.Unmarshal([]byte(out), &got); err != nil || code != exitOK {
		t.Fatalf("rules json: exit %d, %v", code, err)
	}
	if len(got) != len(rules.All()) || got[0].ID != "SF001" || got[0].URL == "" {
		t.Errorf("rules json = %+v", got[:1])
	}
}

func TestExcerpt(t *testing.T) {
	lines := []string{"a: 1", "héllo: wörld"}
	got := excerpt(lines, spec.Range{Start: spec.Pos{Line: 2, Col: 8}, End: spec.Pos{Line: 2, Col: 13}})
	want := "    2 | héllo: wörld\n      |        ^~~~~\n"
	if got != want {
		t.Errorf("excerpt = %q, want %q", got, want)
	}
	if excerpt(lines, spec.Range{Start: spec.Pos{Line: 9, Col: 1}}) != "" {
		t.Error("a line past the end must print nothing")
	}
	if excerpt([]string{"a\x1b[2J"}, spec.Range{Start: spec.Pos{Line: 1, Col: 1}}) != "" {
		t.Error("control bytes must not be echoed")
	}
}

func TestSchema(t *testing.T) {
	code, out, errOut := runSafe(t, "", "schema")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("schema is not JSON: %v", err)
	}
	if doc["$id"] != spec.SchemaID || !strings.HasSuffix(out, "}\n") {
		t.Errorf("schema $id = %v", doc["$id"])
	}
	props, _ := doc["properties"].(map[string]any)
	for _, k := range []string{"name", "language", "run", "allow"} {
		if _, ok := props[k]; !ok {
			t.Errorf("schema lacks property %q", k)
		}
	}
}

func TestVersion(t *testing.T) {
	for _, arg := range []string{"version", "--version"} {
		code, out, errs := runSafe(t, "", arg)
		if code != exitOK || errs != "" || !strings.HasPrefix(out, "safe dev (revision ") {
			t.Errorf("safe %s: exit %d, stdout %q, stderr %q", arg, code, out, errs)
		}
	}
}

// A directory is a project: its spec and the project files the build
// reads, each finding at its file and line, never quoting the line.
func TestLintProjectDirectory(t *testing.T) {
	dir := "../../testdata/projects/bad/"
	code, out, stderr := runSafe(t, "", "lint", dir+"cargo-registry-token", dir+"maven-jvm-agent")
	if code != exitFindings {
		t.Fatalf("exit %d, want %d; stderr: %s", code, exitFindings, stderr)
	}
	for _, want := range []string{
		filepath.Join(dir, "cargo-registry-token/.cargo/config.toml") + ":3 (registries.corp.token): error SF601 CredentialInProjectFile: ",
		filepath.Join(dir, "maven-jvm-agent/.mvn/jvm.config") + ":1: warning SF604 BuildToolOverride: ",
		"2 files: 2 errors, 1 warning",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "PLANTEDs3cr3tTOKEN42") {
		t.Errorf("the output quotes the credential:\n%s", out)
	}
	code, out, _ = runSafe(t, "", "lint", "--format", "json", dir+"npm-lock-file-outside")
	if code != exitFindings || !strings.Contains(out, `"file": "`+filepath.Join(dir, "npm-lock-file-outside/package-lock.json")+`",`) || !strings.Contains(out, `"line": 11,`) {
		t.Errorf("json: exit %d\n%s", code, out)
	}
	// A real project is clean.
	if code, out, _ := runSafe(t, "", "lint", "../../examples/rust-hello"); code != exitOK {
		t.Errorf("examples/rust-hello: exit %d\n%s", code, out)
	}
}
