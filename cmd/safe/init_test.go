package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// copyProject copies a project directory, leaving out the files named.
func copyProject(t *testing.T, src string, leave ...string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		for _, l := range leave {
			if rel == l {
				return nil
			}
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		dt, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), dt, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// authorsChoices are the lines of each example's spec that no project file
// says, so safe init cannot write them: they are dropped from the example
// before the plans are compared. Run settings (args, env, resources,
// labels) are not in the plan.
var authorsChoices = map[string][]string{
	"go-hello":     nil,
	"node-hello":   nil,
	"python-hello": nil,
	"rust-hello":   nil,
	"java-hello":   {`  options: ["-Xss512k"]`},
	"static-hello": nil,
}

// For every example, safe init on its project files alone writes a spec
// that plans the same build, stage for stage and step for step, as the
// example's own (less what only its author knows), with the same port and
// health route.
func TestInitExamples(t *testing.T) {
	for ex, drop := range authorsChoices {
		t.Run(ex, func(t *testing.T) {
			src := filepath.Join("..", "..", "examples", ex)
			own, ours := requireInitPlan(t, src, func(l string) bool { return slices.Contains(drop, l) })
			for _, key := range []string{"port: 8080", "http: /healthz", "language: "} {
				if !strings.Contains(own, key) || !strings.Contains(ours, key) {
					t.Errorf("%s is not in both specs", key)
				}
			}
		})
	}
}

// requireInitPlan runs safe init on a copy of the project in src without
// its spec and requires the written spec to plan what src's own spec plans
// without the lines drop picks out (what only its author knows). It
// returns both specs.
func requireInitPlan(t *testing.T, src string, drop func(line string) bool) (own, ours string) {
	t.Helper()
	dir := copyProject(t, src, "Dockerfile")
	code, out, errs := runSafe(t, "", "init", dir)
	if code != exitOK || !strings.Contains(out, "wrote "+filepath.Join(dir, "Dockerfile")) || !strings.Contains(errs, "0 errors, 0 warnings") {
		t.Fatalf("safe init %s: exit %d\n%s%s", src, code, out, errs)
	}
	own = readFile(t, filepath.Join(src, "Dockerfile"))
	theirs := copyProject(t, src, "Dockerfile")
	var kept []string
	for _, l := range strings.Split(own, "\n") {
		if !drop(l) {
			kept = append(kept, l)
		}
	}
	if err := os.WriteFile(filepath.Join(theirs, "Dockerfile"), []byte(strings.Join(kept, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	_, want, errs := runSafe(t, "", "plan", filepath.Join(theirs, "Dockerfile"))
	code, got, errs2 := runSafe(t, "", "plan", filepath.Join(dir, "Dockerfile"))
	if code != exitOK || got != want || want == "" {
		t.Errorf("%s: the plan of the spec safe init wrote differs from its own (exit %d):\n--- init\n%s%s--- own\n%s%s", src, code, got, errs2, want, errs)
	}
	return own, readFile(t, filepath.Join(dir, "Dockerfile"))
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	dt, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(dt)
}

// The fixtures of each language, as users have them: safe init writes a
// spec the lint and the build's check of the project files pass.
func TestInitFixtures(t *testing.T) {
	for _, dir := range []string{"golang/testdata/init/service", "node/testdata/init/express", "python/testdata/init/fastapi",
		"rust/testdata/init/axum", "java/testdata/init/spring-boot"} {
		proj := copyProject(t, filepath.Join("..", "..", "lang", dir))
		code, out, errs := runSafe(t, "", "init", proj)
		if code != exitOK || !strings.Contains(errs, "1 file: 0 errors, 0 warnings") || !strings.Contains(out, "build it: docker buildx build "+proj+"\n") {
			t.Errorf("safe init %s: exit %d\n%s%s", dir, code, out, errs)
		}
	}
}

// A Gradle build is refused with what to do, and nothing is written.
func TestInitNotSupported(t *testing.T) {
	for dir, want := range map[string]string{
		"java/testdata/init/gradle": "a Gradle build, which safe-frontend does not build yet",
	} {
		proj := copyProject(t, filepath.Join("..", "..", "lang", dir))
		code, _, errs := runSafe(t, "", "init", proj)
		if code != exitFindings || !strings.Contains(errs, want) || exists(filepath.Join(proj, "Dockerfile")) {
			t.Errorf("safe init %s: exit %d, %s", dir, code, errs)
		}
	}
	code, _, errs := runSafe(t, "", "init", t.TempDir())
	if code != exitFindings || !strings.Contains(errs, "found no project in") {
		t.Errorf("safe init in an empty directory: exit %d, %s", code, errs)
	}
}

// safe init never overwrites a file without --force; beside a Dockerfile
// that is not a spec it writes app.yaml and says how to build it;
// --print writes nothing.
func TestInitKeepsFiles(t *testing.T) {
	proj := copyProject(t, filepath.Join("..", "..", "examples", "go-hello"))
	own := readFile(t, filepath.Join(proj, "Dockerfile"))
	code, _, errs := runSafe(t, "", "init", proj)
	if code != exitUsage || !strings.Contains(errs, "Dockerfile exists; pass --force") || readFile(t, filepath.Join(proj, "Dockerfile")) != own {
		t.Errorf("safe init over a spec: exit %d, %s", code, errs)
	}
	code, out, _ := runSafe(t, "", "init", "--print", proj)
	if code != exitOK || !strings.HasPrefix(out, "# syntax=org/safe-frontend:1\n") || readFile(t, filepath.Join(proj, "Dockerfile")) != own {
		t.Errorf("safe init --print: exit %d, %s", code, out)
	}
	if code, _, errs := runSafe(t, "", "init", "--force", proj); code != exitOK || readFile(t, filepath.Join(proj, "Dockerfile")) == own {
		t.Errorf("safe init --force: exit %d, %s; the spec was not rewritten", code, errs)
	}

	if code, out, _ := runSafe(t, "", "init", "-f", "build.yaml", proj); code != exitOK || !strings.Contains(out, "docker buildx build -f "+filepath.Join(proj, "build.yaml")) ||
		!strings.HasPrefix(readFile(t, filepath.Join(proj, "build.yaml")), "# syntax=") {
		t.Errorf("safe init -f build.yaml: exit %d, %s", code, out)
	}
	if err := os.WriteFile(filepath.Join(proj, "Dockerfile"), []byte("FROM scratch\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs = runSafe(t, "", "init", proj)
	want := "build it: docker buildx build -f " + filepath.Join(proj, "app.yaml") + " " + proj + "\n"
	if code != exitOK || !strings.Contains(out, want) || readFile(t, filepath.Join(proj, "Dockerfile")) != "FROM scratch\n" ||
		!strings.HasPrefix(readFile(t, filepath.Join(proj, "app.yaml")), "# syntax=") {
		t.Errorf("safe init beside a Dockerfile: exit %d, want app.yaml and %q:\n%s%s", code, want, out, errs)
	}
}

// A monorepo: the apps are listed for --app; --app writes the spec in the
// app's directory.
func TestInitMonorepo(t *testing.T) {
	root := t.TempDir()
	for _, ex := range []string{"go-hello", "node-hello"} {
		dir := copyProject(t, filepath.Join("..", "..", "examples", ex), "Dockerfile")
		if err := os.Rename(dir, filepath.Join(root, ex)); err != nil {
			t.Fatal(err)
		}
	}
	code, _, errs := runSafe(t, "", "init", root)
	if code != exitUsage || !strings.Contains(errs, "holds 2 apps; choose one with --app") ||
		!strings.Contains(errs, "--app go-hello/cmd/hello") || !strings.Contains(errs, "--app node-hello ") {
		t.Fatalf("safe init in a monorepo: exit %d, %s", code, errs)
	}
	code, out, errs := runSafe(t, "", "init", "--app", "node-hello", root)
	if code != exitOK || !strings.Contains(readFile(t, filepath.Join(root, "node-hello", "Dockerfile")), "language: node") {
		t.Errorf("safe init --app node-hello: exit %d\n%s%s", code, out, errs)
	}
	if code, _, errs := runSafe(t, "", "init", "--app", "nope", root); code != exitUsage || !strings.Contains(errs, `--app "nope" is none of the apps found`) {
		t.Errorf("safe init --app nope: exit %d, %s", code, errs)
	}
}

// What the build would refuse in the project files is shown at once: a
// package.json without a lockfile.
func TestInitShowsContextFindings(t *testing.T) {
	proj := copyProject(t, filepath.Join("..", "..", "examples", "node-hello"), "Dockerfile", "package-lock.json")
	code, _, errs := runSafe(t, "", "init", proj)
	if code != exitFindings || !strings.Contains(errs, "error SF110") || !exists(filepath.Join(proj, "Dockerfile")) {
		t.Errorf("safe init without a lockfile: exit %d, %s", code, errs)
	}
}

// A front-end build and a plain directory of pages become static sites: the
// build's Node.js version, script and output, a single-page app's fallback,
// or the directory with index.html.
func TestInitStaticSites(t *testing.T) {
	proj := copyProject(t, filepath.Join("..", "..", "lang", "node/testdata/init/vite"))
	code, _, errs := runSafe(t, "", "init", proj)
	spec := readFile(t, filepath.Join(proj, "Dockerfile"))
	for _, want := range []string{"language: static\n", "    script: build", "    output: dist", "  spa: true", "port: 8080", "http: /healthz"} {
		if !strings.Contains(spec, want) {
			t.Errorf("the vite app's spec lacks %q:\n%s", want, spec)
		}
	}
	// The fixture has no lockfile: the spec is written and the build's
	// check says what to commit.
	if code != exitFindings || !strings.Contains(errs, "SF110") || !strings.Contains(errs, "1 error, 0 warnings") {
		t.Errorf("safe init vite: exit %d, %s", code, errs)
	}

	site := t.TempDir()
	if err := os.MkdirAll(filepath.Join(site, "public"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(site, "public", "index.html"), []byte("<h1>hi</h1>\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errs = runSafe(t, "", "init", site)
	spec = readFile(t, filepath.Join(site, "Dockerfile"))
	if code != exitOK || !strings.Contains(spec, "language: static\n") || !strings.Contains(spec, "  root: public") {
		t.Errorf("safe init of a public/ site: exit %d, %s\n%s", code, errs, spec)
	}
}

// On the static fixtures the integration tests build and serve, safe init
// writes a spec with the fixtures' own plan (less the public site's
// hand-written CSP).
func TestInitStaticFixtures(t *testing.T) {
	for _, fx := range []string{"static-vite", "static-public"} {
		requireInitPlan(t, filepath.Join("..", "..", "integration", "testdata", fx),
			func(l string) bool { return strings.HasPrefix(l, "  csp: ") })
	}
}
