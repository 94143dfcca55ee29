package integration

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/org/safe-frontend/internal/dockerrun"
)

// The Docker Engine is started on first use (hack/stack docker-up): most
// tests never need it. `hack/stack down` stops it with the rest of the stack.
var (
	dockerOnce   sync.Once
	dockerEngine *dockerrun.Engine
	dockerErr    error
)

func engine(t *testing.T) *dockerrun.Engine {
	t.Helper()
	dockerOnce.Do(func() {
		stack := filepath.Join(repoRoot, "hack", "stack")
		cmd := exec.Command(stack, "docker-up")
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, os.Stderr
		start := time.Now()
		if err := cmd.Run(); err != nil {
			dockerErr = fmt.Errorf("%s docker-up: %w (the log above says why)", stack, err)
			return
		}
		var host string
		sc := bufio.NewScanner(&out)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "export "+dockerrun.HostEnv+"="); ok {
				host = v
			}
		}
		if host == "" {
			dockerErr = fmt.Errorf("%s docker-up printed no %s line: %q", stack, dockerrun.HostEnv, out.String())
			return
		}
		e := &dockerrun.Engine{Host: host}
		v, err := e.ServerVersion(context.Background())
		if err != nil {
			dockerErr = err
			return
		}
		fmt.Fprintf(os.Stderr, "integration: Docker Engine %s on %s (docker-up took %s)\n", v, host, time.Since(start).Round(10*time.Millisecond))
		dockerEngine = e
	})
	if dockerErr != nil {
		t.Fatalf("no Docker Engine: %v\nfix: sudo hack/stack docker-up", dockerErr)
	}
	return dockerEngine
}

// loadImage loads an OCI tar into the engine under a name of its own and
// removes it when the test ends.
func loadImage(t *testing.T, e *dockerrun.Engine, ociTar, name string) string {
	t.Helper()
	img := openImage(t, ociTar)
	ref := fmt.Sprintf("safe-test/%s:%s", name, img.Manifest.Config.Digest.Encoded()[:12])
	start := time.Now()
	if _, err := e.Load(testContext(t), ociTar, ref); err != nil {
		t.Fatalf("docker load: %v", err)
	}
	t.Logf("loaded %s in %s", ref, time.Since(start).Round(time.Millisecond))
	t.Cleanup(func() { _ = e.RemoveImage(context.Background(), ref) })
	return ref
}

// runContainer starts a container with the hardened flags and removes it
// when the test ends, logging its output if the test failed.
//
// The stack's engine is Docker 20.10, which ignores the 1 s start interval
// the images ask for and sends the first probe after their 10 s interval.
// Unless the test sets timings, the probe (the image's own command) runs
// every second instead, as Docker 25 and later run it while a container
// starts. TestDockerGoHello and the builders tests keep the image's own
// timings (runWithImageTimings) and report both engines' figures.
func runContainer(t *testing.T, e *dockerrun.Engine, o dockerrun.RunOptions) *dockerrun.Container {
	t.Helper()
	if o.Health == (dockerrun.HealthTiming{}) {
		o.Health.Interval = time.Second
	}
	return runWithImageTimings(t, e, o)
}

// runWithImageTimings is runContainer with the image's health timings
// unless o sets some.
func runWithImageTimings(t *testing.T, e *dockerrun.Engine, o dockerrun.RunOptions) *dockerrun.Container {
	t.Helper()
	if o.Name == "" {
		o.Name = fmt.Sprintf("safe-test-%d", time.Now().UnixNano())
	}
	c, err := e.Run(testContext(t), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx := context.Background()
		if t.Failed() {
			stdout, stderr, _ := c.Logs(ctx)
			t.Logf("container %s stdout:\n%s\nstderr:\n%s", c.Name, stdout, stderr)
		}
		_ = c.Remove(ctx)
	})
	return c
}

// requireFreePort fails when something on the host already listens on the
// port an image will bind: containers share the host's network.
func requireFreePort(t *testing.T, port int) {
	t.Helper()
	l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatalf("port %d is in use on this host (the container runs with --network host): %v; stop what listens there", port, err)
	}
	_ = l.Close()
}

// waitHealth waits for a final health status and requires want.
func waitHealth(t *testing.T, c *dockerrun.Container, want string, limit time.Duration) (time.Duration, *dockerrun.State) {
	t.Helper()
	got, took, st, err := c.WaitHealth(testContext(t), limit)
	if err != nil {
		t.Fatalf("waiting for %s: %v", want, err)
	}
	if got != want {
		t.Fatalf("health went %s after %s, want %s (last probe: %q)", got, took.Round(time.Millisecond), want, st.LastProbeOutput())
	}
	return took, st
}

// requireInitPID1 checks that a container's PID 1 is tini and the app
// runs as its child ("" accepts any child).
func requireInitPID1(t *testing.T, procs []dockerrun.Process, app string) {
	t.Helper()
	var init *dockerrun.Process
	for i, p := range procs {
		if p.NSPID == 1 {
			init = &procs[i]
		}
	}
	if init == nil || init.Comm != "tini" {
		t.Fatalf("PID 1 is %v, want tini; processes: %v", init, procs)
	}
	if !slices.ContainsFunc(procs, func(p dockerrun.Process) bool { return p.PPID == init.PID && (app == "" || p.Comm == app) }) {
		t.Fatalf("no %s process under tini; processes: %v", app, procs)
	}
}

func dockerProcesses(t *testing.T, c *dockerrun.Container) []dockerrun.Process {
	t.Helper()
	procs, err := c.Processes(testContext(t))
	if err != nil {
		t.Fatal(err)
	}
	return procs
}

// stopWithin runs docker stop with the engine's default grace (10 s) and
// requires the container to be gone within limit with one of the codes.
func stopWithin(t *testing.T, c *dockerrun.Container, limit time.Duration, codes ...int) dockerrun.StopResult {
	t.Helper()
	res, err := c.Stop(testContext(t), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	ok := false
	for _, code := range codes {
		ok = ok || res.ExitCode == code
	}
	if !ok {
		t.Errorf("docker stop: exit code %d, want one of %v", res.ExitCode, codes)
	}
	if res.Elapsed >= limit {
		t.Errorf("docker stop took %s, want < %s (exit code %d)", res.Elapsed.Round(time.Millisecond), limit, res.ExitCode)
	}
	return res
}
