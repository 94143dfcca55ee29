package integration

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/moby/buildkit/client"
)

// freshDaemon is a buildkitd of its own for one test: own root, socket and
// config, nothing cached. It mirrors docker.io and gcr.io to the stack's
// registry like hack/stack's daemon, so base images come from there.
type freshDaemon struct {
	addr string
	dir  string
	cmd  *exec.Cmd
	log  *syncBuffer
}

// startFreshDaemon starts one and stops it (and removes its state) when the
// test ends.
func startFreshDaemon(t *testing.T) *freshDaemon {
	t.Helper()
	bin := filepath.Join(repoRoot, "_output", "bin", "buildkitd")
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("buildkitd is not built (%v): run hack/stack up (it builds _output/bin/buildkitd)", err)
	}
	// A short path: a unix socket path holds at most 108 bytes.
	dir, err := os.MkdirTemp("", "bk-")
	if err != nil {
		t.Fatal(err)
	}
	config := fmt.Sprintf(`[worker.oci]
  enabled = true
[worker.containerd]
  enabled = false
[otel]
  socketPath = %q
[registry."127.0.0.1:5000"]
  http = true
[registry."docker.io"]
  mirrors = ["127.0.0.1:5000"]
[registry."gcr.io"]
  mirrors = ["127.0.0.1:5000"]
`, filepath.Join(dir, "otel.sock"))
	if err := os.WriteFile(filepath.Join(dir, "buildkitd.toml"), []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	d := &freshDaemon{addr: "unix://" + filepath.Join(dir, "buildkitd.sock"), dir: dir, log: &syncBuffer{}}
	d.cmd = exec.Command(bin, "--root", filepath.Join(dir, "root"), "--addr", d.addr, "--config", filepath.Join(dir, "buildkitd.toml"))
	d.cmd.Stdout, d.cmd.Stderr = d.log, d.log
	d.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := d.cmd.Start(); err != nil {
		os.RemoveAll(dir)
		t.Fatalf("starting buildkitd: %v", err)
	}
	exited := make(chan struct{})
	go func() { d.cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		d.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(20 * time.Second):
			t.Logf("fresh buildkitd %d ignored SIGTERM for 20s: SIGKILL", d.cmd.Process.Pid)
			d.cmd.Process.Kill()
			<-exited
		}
		if err := os.RemoveAll(dir); err != nil {
			t.Logf("removing %s: %v", dir, err)
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := client.New(context.Background(), d.addr)
		if err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			_, err = c.ListWorkers(ctx)
			cancel()
			c.Close()
			if err == nil {
				return d
			}
		}
		select {
		case <-exited:
			t.Fatalf("fresh buildkitd exited at start:\n%s", d.log.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("fresh buildkitd did not answer within 30s: %v\n%s", err, d.log.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (d *freshDaemon) client(t *testing.T) *client.Client {
	t.Helper()
	c, err := client.New(testContext(t), d.addr)
	if err != nil {
		t.Fatalf("connecting to %s: %v", d.addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// syncBuffer collects a daemon's log from its writer goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
