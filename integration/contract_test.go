package integration

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/org/safe-frontend/internal/dockerrun"
	"github.com/org/safe-frontend/internal/hardened"
)

// These tests run what the frontend builds on a real Docker Engine, as
// `docker run` users and hardened deployments will: read-only root, no
// capabilities, no-new-privileges, numeric non-root user. They check the
// runtime contract of the images: tini as PID 1 (signals reach the app,
// orphans are reaped) and an exec-form HEALTHCHECK run by the static probe.

// pid1Port is where the pid1app fixture listens (its spec and Dockerfile).
const pid1Port = 18473

// requireRuntimeContract fails early, with a readable message, when an
// image lacks the init or the health check the rest of a test relies on.
func requireRuntimeContract(t *testing.T, ociTar string) {
	t.Helper()
	sum, err := openImage(t, ociTar).Summary()
	if err != nil {
		t.Fatal(err)
	}
	// tini's own flags (-g, -e N) may stand before the "--".
	ep := sum.Entrypoint
	sep := slices.Index(ep, "--")
	if len(ep) < 3 || ep[0] != "/usr/sbin/tini" || sep < 1 || sep > 4 || sep == len(ep)-1 {
		t.Fatalf("Entrypoint %q: want [/usr/sbin/tini [-g] [-e N] -- <app>...]", ep)
	}
	if hc := sum.Healthcheck; hc == nil || len(hc.Test) < 2 || hc.Test[0] != "CMD" || hc.Test[1] != "/usr/sbin/safe-probe" {
		t.Fatalf("Healthcheck %+v: want the exec form [CMD /usr/sbin/safe-probe ...]", sum.Healthcheck)
	}
}

// TestDockerGoHello runs examples/go-hello under the restricted flags: it
// goes healthy on the image's own health check and timings, tini is PID 1,
// and docker stop ends it at once. A variant whose health path does not
// exist goes unhealthy: the probe really asks the app.
func TestDockerGoHello(t *testing.T) {
	e := engine(t)
	dir := t.TempDir()
	tarball := filepath.Join(dir, "go-hello.tar")
	mustBuild(t, buildOpts{dir: example("go-hello"), inProcess: true, out: tarball})
	requireRuntimeContract(t, tarball)
	ref := loadImage(t, e, tarball, "go-hello")

	t.Run("healthy", func(t *testing.T) {
		requireFreePort(t, 8080)
		c := runWithImageTimings(t, e, dockerrun.RunOptions{Image: ref})
		took, st := waitHealth(t, c, "healthy", time.Minute)
		// Engines before 25 ignore StartInterval (1s) and first probe after
		// the 10 s interval; newer ones probe every second while starting.
		v, err := e.ServerVersion(testContext(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("figure: go-hello healthy %s after docker run on Docker %s (image timings: interval 10 s, start interval 1 s from Docker 25; probe said %q)",
			took.Round(10*time.Millisecond), v, st.LastProbeOutput())
		requireInitPID1(t, dockerProcesses(t, c), "go-hello")
		res := stopWithin(t, c, 2*time.Second, 0, 143)
		t.Logf("figure: go-hello docker stop %s, exit code %d", res.Elapsed.Round(time.Millisecond), res.ExitCode)
	})

	t.Run("broken-health-path", func(t *testing.T) {
		variant := copyDir(t, example("go-hello"))
		specFile := filepath.Join(variant, "Dockerfile")
		spec, err := os.ReadFile(specFile)
		if err != nil {
			t.Fatal(err)
		}
		broken := strings.Replace(string(spec), "http: /healthz", "http: /nope", 1)
		if broken == string(spec) {
			t.Fatal("go-hello's spec has no `http: /healthz` to break")
		}
		if err := os.WriteFile(specFile, []byte(broken), 0o644); err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(dir, "go-hello-nope.tar")
		mustBuild(t, buildOpts{dir: variant, inProcess: true, out: out})
		requireRuntimeContract(t, out)
		nope := loadImage(t, e, out, "go-hello-nope")

		requireFreePort(t, 8080)
		// Only the timing is shortened (the image's 10 s start period and
		// three 10 s intervals would take 40 s); the probe command is the
		// image's own.
		c := runContainer(t, e, dockerrun.RunOptions{Image: nope, Health: dockerrun.HealthTiming{Interval: time.Second, StartPeriod: time.Second}})
		cfg, err := c.Config(testContext(t))
		if err != nil {
			t.Fatal(err)
		}
		if test := fmt.Sprint(cfg["Healthcheck"].(map[string]any)["Test"]); !strings.Contains(test, "http://127.0.0.1:8080/nope") {
			t.Fatalf("the container's health check is %s, want the image's probe of /nope", test)
		}
		took, st := waitHealth(t, c, "unhealthy", time.Minute)
		t.Logf("figure: go-hello with /nope unhealthy %s after docker run (1 s interval, 3 retries); probe said %q", took.Round(10*time.Millisecond), st.LastProbeOutput())
		if !strings.Contains(st.LastProbeOutput(), "404") {
			t.Errorf("last probe output %q does not name the 404", st.LastProbeOutput())
		}
		if !st.Running {
			t.Errorf("the app should keep running while unhealthy; state %s", st.Status)
		}
		res := stopWithin(t, c, 2*time.Second, 0, 143)
		t.Logf("figure: go-hello (unhealthy) docker stop %s, exit code %d", res.Elapsed.Round(time.Millisecond), res.ExitCode)
	})
}

// TestDockerExamples holds every other example to go-hello's contract on a
// real Docker Engine: under the restricted flags it goes healthy through its
// own HEALTHCHECK, tini is PID 1 with the app as its child, and docker stop
// ends it in under 2 s.
func TestDockerExamples(t *testing.T) {
	e := engine(t)
	dir := t.TempDir()
	for _, ex := range []struct{ name, comm string }{
		{"node-hello", "node"},
		// gunicorn is a script run by the venv's python: its process name
		// depends on how the kernel names scripts, any child will do.
		{"python-hello", ""},
		{"rust-hello", "rust-hello"},
		{"java-hello", "java"},
	} {
		t.Run(ex.name, func(t *testing.T) {
			tarball := filepath.Join(dir, ex.name+".tar")
			mustBuild(t, buildOpts{dir: example(ex.name), inProcess: true, out: tarball})
			requireRuntimeContract(t, tarball)
			ref := loadImage(t, e, tarball, ex.name)
			requireFreePort(t, 8080)
			c := runContainer(t, e, dockerrun.RunOptions{Image: ref})
			took, st := waitHealth(t, c, "healthy", 2*time.Minute)
			t.Logf("figure: %s healthy %s after docker run; probe said %q", ex.name, took.Round(10*time.Millisecond), st.LastProbeOutput())
			requireInitPID1(t, dockerProcesses(t, c), ex.comm)
			res := stopWithin(t, c, 2*time.Second, 0, 143)
			t.Logf("figure: %s docker stop %s, exit code %d", ex.name, res.Elapsed.Round(time.Millisecond), res.ExitCode)
		})
	}
}

// TestDockerPID1 runs the pid1app fixture built by the frontend: an app that
// installs no SIGTERM handler and orphans a grandchild. With tini as PID 1
// the orphan is reaped and a stop ends the app at once with SIGTERM, on
// Docker and under the runc runner alike.
func TestDockerPID1(t *testing.T) {
	e := engine(t)
	tarball := filepath.Join(t.TempDir(), "pid1app.tar")
	mustBuild(t, buildOpts{dir: filepath.Join(repoRoot, "integration", "testdata", "pid1app"), inProcess: true, out: tarball})
	requireRuntimeContract(t, tarball)

	t.Run("docker", func(t *testing.T) {
		ref := loadImage(t, e, tarball, "pid1app")
		requireFreePort(t, pid1Port)
		c := runContainer(t, e, dockerrun.RunOptions{Image: ref})
		took, _ := waitHealth(t, c, "healthy", time.Minute)
		t.Logf("figure: pid1app healthy %s after docker run (spec interval 1s)", took.Round(10*time.Millisecond))
		requireInitPID1(t, dockerProcesses(t, c), "pid1app")
		zombies := zombiesAfterOrphan(t, dockerSource(t, c))
		t.Logf("figure: pid1app (frontend image, tini, docker) zombies after the orphan exited: %d", len(zombies))
		if len(zombies) != 0 {
			t.Errorf("zombies left in the container: %v", zombies)
		}
		res := stopWithin(t, c, 2*time.Second, 143, 0)
		t.Logf("figure: pid1app docker stop %s, exit code %d", res.Elapsed.Round(time.Millisecond), res.ExitCode)
	})

	t.Run("runc", func(t *testing.T) {
		ctx := testContext(t)
		requireFreePort(t, pid1Port)
		ctr, err := hardened.Run(ctx, hardened.Options{Image: tarball, StateDir: t.TempDir(), ID: fmt.Sprintf("pid1-%d", time.Now().UnixNano())})
		if err != nil {
			t.Fatal(err)
		}
		stopped := false
		defer func() {
			if !stopped {
				_, _ = ctr.Stop(ctx, time.Second)
			}
		}()
		waitHTTP(t, fmt.Sprintf("http://127.0.0.1:%d/healthz", pid1Port), 20*time.Second, ctr)
		src := orphanSource{
			processes: func() ([]dockerrun.Process, error) {
				pid, err := ctr.Pid(ctx)
				if err != nil {
					return nil, err
				}
				return dockerrun.ProcessesInNamespaceOf("/proc", pid)
			},
			stdout: func() ([]byte, error) {
				out, _, err := ctr.Logs()
				return out, err
			},
		}
		procs, err := src.processes()
		if err != nil {
			t.Fatal(err)
		}
		requireInitPID1(t, procs, "pid1app")
		zombies := zombiesAfterOrphan(t, src)
		t.Logf("figure: pid1app (frontend image, tini, runc) zombies after the orphan exited: %d", len(zombies))
		if len(zombies) != 0 {
			t.Errorf("zombies left in the container: %v", zombies)
		}
		start := time.Now()
		code, err := ctr.Stop(ctx, 10*time.Second)
		took := time.Since(start)
		stopped = true
		t.Logf("figure: pid1app runc stop (SIGTERM) %s, exit code %d", took.Round(time.Millisecond), code)
		if err != nil || (code != 143 && code != 0) {
			t.Errorf("stop: exit code %d, %v; want 143 or 0", code, err)
		}
		if took >= 2*time.Second {
			t.Errorf("stop took %s, want < 2s", took)
		}
	})
}

// TestDockerPID1Harness checks the harness itself on an image written by
// hand (tini and a HEALTHCHECK, independent of the frontend), and that it
// catches what an image without an init does wrong: with the app as PID 1
// the orphan stays a zombie and SIGTERM is ignored until SIGKILL.
func TestDockerPID1Harness(t *testing.T) {
	e := engine(t)
	tini := "/usr/bin/tini-static"
	bin, err := os.ReadFile(tini)
	if err != nil {
		t.Fatalf("%v: the hand-written image copies the host's static tini; install it: apt-get install -y tini (hack/stack docker-up does)", err)
	}
	ctxDir := copyDir(t, filepath.Join(repoRoot, "integration", "testdata", "pid1app"))
	if err := os.WriteFile(filepath.Join(ctxDir, "tini-static"), bin, 0o755); err != nil {
		t.Fatal(err)
	}
	tarball := filepath.Join(t.TempDir(), "pid1app-handwritten.tar")
	mustBuild(t, buildOpts{dir: ctxDir, filename: "handwritten.Dockerfile", out: tarball})
	ref := loadImage(t, e, tarball, "pid1app-handwritten")

	t.Run("tini", func(t *testing.T) {
		requireFreePort(t, pid1Port)
		c := runContainer(t, e, dockerrun.RunOptions{Image: ref})
		waitHealth(t, c, "healthy", time.Minute)
		requireInitPID1(t, dockerProcesses(t, c), "pid1app")
		if z := zombiesAfterOrphan(t, dockerSource(t, c)); len(z) != 0 {
			t.Errorf("zombies under tini: %v", z)
		}
		stopWithin(t, c, 2*time.Second, 143, 0)
	})

	t.Run("app-as-pid1", func(t *testing.T) {
		requireFreePort(t, pid1Port)
		c := runContainer(t, e, dockerrun.RunOptions{Image: ref, Entrypoint: "/usr/local/bin/pid1app"})
		waitHealth(t, c, "healthy", time.Minute)
		z := zombiesAfterOrphan(t, dockerSource(t, c))
		t.Logf("figure: pid1app as PID 1 (no init) zombies after the orphan exited: %d", len(z))
		if len(z) != 1 || z[0].NSPID == 1 {
			t.Errorf("zombies = %v: want the orphan, unreaped by an app that is PID 1", z)
		}
		const grace = 2 * time.Second
		res, err := c.Stop(testContext(t), grace)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("figure: pid1app as PID 1 docker stop --time 2: %s, exit code %d", res.Elapsed.Round(time.Millisecond), res.ExitCode)
		if res.ExitCode != 137 || res.Elapsed < grace {
			t.Errorf("docker stop: %s, exit code %d; want SIGTERM ignored by PID 1, SIGKILL (137) after %s", res.Elapsed, res.ExitCode, grace)
		}
	})
}

// orphanSource reads a running pid1app container, whatever runs it.
type orphanSource struct {
	processes func() ([]dockerrun.Process, error)
	stdout    func() ([]byte, error)
}

func dockerSource(t *testing.T, c *dockerrun.Container) orphanSource {
	ctx := testContext(t)
	return orphanSource{
		processes: func() ([]dockerrun.Process, error) { return c.Processes(ctx) },
		stdout: func() ([]byte, error) {
			out, _, err := c.Logs(ctx)
			return out, err
		},
	}
}

// zombiesAfterOrphan waits until the fixture's orphaned grandchild has
// exited (it lives 300 ms), then lists the container's zombies.
func zombiesAfterOrphan(t *testing.T, src orphanSource) []dockerrun.Process {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	var procs []dockerrun.Process
	for {
		var err error
		if procs, err = src.processes(); err != nil {
			t.Fatal(err)
		}
		alive := slices.ContainsFunc(procs, func(p dockerrun.Process) bool {
			return len(p.Args) > 1 && (p.Args[1] == "child" || p.Args[1] == "grandchild")
		})
		if !alive {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the orphan still runs after 10 s: %v", procs)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// An init reaps on SIGCHLD, within moments of the exit: count what is
	// left a little later, not a zombie caught on its way out.
	time.Sleep(500 * time.Millisecond)
	procs, err := src.processes()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := src.stdout()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(stdout), "orphan") {
		t.Fatalf("the fixture did not report its orphan; stdout:\n%s", stdout)
	}
	return dockerrun.Zombies(procs)
}
