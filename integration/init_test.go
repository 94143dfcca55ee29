package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/org/safe-frontend/internal/dockerrun"
)

// safeInit runs `safe init DIR` on a copy of a project without its spec
// and returns the copy.
func safeInit(t *testing.T, src string) string {
	t.Helper()
	dir := copyDir(t, src)
	if err := os.Remove(filepath.Join(dir, "Dockerfile")); err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	out, err := exec.Command(safeCLI(t), "init", dir).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "0 errors, 0 warnings") {
		t.Fatalf("safe init %s: %v\n%s", src, err, out)
	}
	t.Logf("safe init %s:\n%s", filepath.Base(src), out)
	return dir
}

// TestInitNodeHello builds the spec safe init writes for node-hello's
// project through `# syntax=` and compares it with the example's own
// image: the same files, path for path, and the same config, labels and
// history, but for the Cmd the example's author chose (--listen=:8080,
// the app's default anyway).
func TestInitNodeHello(t *testing.T) {
	dir := safeInit(t, example("node-hello"))
	tmp := t.TempDir()
	theirs := buildViaSyntaxInto(t, example("node-hello"), filepath.Join(tmp, "example.tar"))
	ours := buildViaSyntaxInto(t, dir, filepath.Join(tmp, "init.tar"))
	requireSameFiles(t, ours, theirs.img, tmp)
	eq(t, "example's Cmd", theirs.img.Config.Config.Cmd, []string{"--listen=:8080"})
	eq(t, "init's Cmd", len(ours.img.Config.Config.Cmd), 0)
	want := *theirs.img
	want.Config.Config.Cmd = nil
	requireSameConfig(t, "init node-hello", ours.img, &want)
}

// TestInitFastAPI builds the spec safe init writes for a FastAPI app
// locked with uv, as its authors have it, runs it on Docker Engine with
// the hardened flags and requires it to go healthy on the health route
// init found, under uvicorn bound to the port the spec exposes, with
// tini as PID 1 and a clean stop on SIGTERM.
func TestInitFastAPI(t *testing.T) {
	dir := safeInit(t, filepath.Join(repoRoot, "lang", "python", "testdata", "init", "fastapi"))
	out := filepath.Join(t.TempDir(), "fastapi.tar")
	mustBuild(t, buildOpts{dir: dir, attrs: map[string]string{"build-arg:SOURCE_DATE_EPOCH": testEpoch}, out: out})
	img := openImage(t, out)
	eq(t, "Entrypoint", img.Config.Config.Entrypoint, []string{"/usr/sbin/tini", "--", "/venv/bin/uvicorn"})
	eq(t, "Cmd", img.Config.Config.Cmd, []string{"--host=0.0.0.0", "--port=8080", "app.main:app"})
	if _, ok := img.Config.Config.ExposedPorts["8080/tcp"]; !ok {
		t.Errorf("ExposedPorts %v, want 8080/tcp", img.Config.Config.ExposedPorts)
	}
	e := engine(t)
	ref := loadImage(t, e, out, "init-fastapi")
	requireFreePort(t, 8080)
	c := runContainer(t, e, dockerrun.RunOptions{Image: ref})
	took, st := waitHealth(t, c, "healthy", time.Minute)
	t.Logf("figure: the FastAPI app safe init set up is healthy %s after docker run (probe: %q)", took.Round(10*time.Millisecond), st.LastProbeOutput())
	procs := dockerProcesses(t, c)
	requireInitPID1(t, procs, "")
	if !slices.ContainsFunc(procs, func(p dockerrun.Process) bool {
		return strings.Contains(strings.Join(p.Args, " "), "/venv/bin/uvicorn")
	}) {
		t.Errorf("no uvicorn among the processes: %+v", procs)
	}
	stopWithin(t, c, 5*time.Second, 0, 143)
}

// TestInitUserApps runs safe init on apps as their authors have them (an
// Express service with its package-lock.json, an axum service pinned by
// rust-toolchain.toml, a Spring Boot service on Maven with the actuator),
// builds each written spec through the frontend with real packages from
// npm, crates.io and Maven Central, and runs it on Docker Engine with the
// hardened flags: it must go healthy on the port and health path init
// found, with tini as PID 1, and stop on SIGTERM. The three build at once
// (downloads of one overlap the compiles of another); they run one at a
// time, as two of them listen on 3000.
func TestInitUserApps(t *testing.T) {
	apps := []struct {
		name, lang string
		port       int
		tmpfs      []string
		process    string // in the container's process list
	}{
		{"express", "node", 3000, nil, "node"},
		{"axum", "rust", 3000, nil, "inventory"},
		// Tomcat needs a scratch /tmp, as a pod's emptyDir gives it.
		{"spring-boot", "java", 8081, []string{"/tmp"}, "java"},
	}
	var running sync.Mutex
	for _, app := range apps {
		t.Run(app.name, func(t *testing.T) {
			t.Parallel()
			dir := safeInit(t, filepath.Join(repoRoot, "lang", app.lang, "testdata", "init", app.name))
			out := filepath.Join(t.TempDir(), app.name+".tar")
			start := time.Now()
			mustBuild(t, buildOpts{dir: dir, attrs: map[string]string{"build-arg:SOURCE_DATE_EPOCH": testEpoch}, out: out})
			img := openImage(t, out)
			t.Logf("figure: %s as safe init set it up built in %s, %.2f MiB compressed", app.name,
				time.Since(start).Round(time.Second), float64(img.CompressedSize())/(1<<20))
			if _, ok := img.Config.Config.ExposedPorts[nat(app.port)]; !ok {
				t.Errorf("ExposedPorts %v, want %s", img.Config.Config.ExposedPorts, nat(app.port))
			}
			e := engine(t)
			ref := loadImage(t, e, out, "init-"+app.name)
			running.Lock()
			defer running.Unlock()
			requireFreePort(t, app.port)
			c := runContainer(t, e, dockerrun.RunOptions{Image: ref, Tmpfs: app.tmpfs})
			took, st := waitHealth(t, c, "healthy", 2*time.Minute)
			t.Logf("figure: %s healthy %s after docker run (probe: %q)", app.name, took.Round(10*time.Millisecond), st.LastProbeOutput())
			requireInitPID1(t, dockerProcesses(t, c), app.process)
			stopWithin(t, c, 10*time.Second, 0, 143)
		})
	}
}

func nat(port int) string { return strconv.Itoa(port) + "/tcp" }
