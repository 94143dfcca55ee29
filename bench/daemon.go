package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/moby/buildkit/client"
)

// daemon is the benchmark's own buildkitd: its own root, socket and config,
// so pruning its cache before every cold build never touches the build
// cache of the daemon the user (or the stack) works with. It mirrors
// docker.io and gcr.io to the stack's registry as hack/stack's daemon does.
type daemon struct {
	addr   string
	dir    string
	cmd    *exec.Cmd
	log    *os.File
	exited chan struct{}
}

// startDaemon starts _output/bin/buildkitd (built by hack/stack up) and
// waits until it answers.
func startDaemon(ctx context.Context, registry string) (*daemon, error) {
	bin, err := filepath.Abs(filepath.Join("_output", "bin", "buildkitd"))
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(bin); err != nil {
		return nil, fmt.Errorf("buildkitd is not built (%w): run hack/stack up (it builds _output/bin/buildkitd)", err)
	}
	// A short path: a unix socket path holds at most 108 bytes.
	dir, err := os.MkdirTemp("", "safe-bench-bk-")
	if err != nil {
		return nil, err
	}
	config := fmt.Sprintf(`[worker.oci]
  enabled = true
[worker.containerd]
  enabled = false
[otel]
  socketPath = %q
[registry.%q]
  http = true
[registry."docker.io"]
  mirrors = [%q]
[registry."gcr.io"]
  mirrors = [%q]
`, filepath.Join(dir, "otel.sock"), registry, registry, registry)
	if err := os.WriteFile(filepath.Join(dir, "buildkitd.toml"), []byte(config), 0o644); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("writing the benchmark daemon's config: %w", err)
	}
	logf, err := os.Create(filepath.Join(dir, "buildkitd.log"))
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	d := &daemon{addr: "unix://" + filepath.Join(dir, "buildkitd.sock"), dir: dir, log: logf, exited: make(chan struct{})}
	d.cmd = exec.Command(bin, "--root", filepath.Join(dir, "root"), "--addr", d.addr, "--config", filepath.Join(dir, "buildkitd.toml"))
	d.cmd.Stdout, d.cmd.Stderr = logf, logf
	d.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := d.cmd.Start(); err != nil {
		logf.Close()
		os.RemoveAll(dir)
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	go func() { d.cmd.Wait(); close(d.exited) }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := client.New(ctx, d.addr)
		if err == nil {
			cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			_, err = c.ListWorkers(cctx)
			cancel()
			c.Close()
			if err == nil {
				fmt.Fprintf(os.Stderr, "bench: own buildkitd (pid %d) on %s\n", d.cmd.Process.Pid, d.addr)
				return d, nil
			}
		}
		select {
		case <-d.exited:
			dt, _ := os.ReadFile(logf.Name())
			d.stop()
			return nil, fmt.Errorf("the benchmark's buildkitd exited at start:\n%s", dt)
		default:
		}
		if time.Now().After(deadline) {
			dt, _ := os.ReadFile(logf.Name())
			d.stop()
			return nil, fmt.Errorf("the benchmark's buildkitd did not answer within 30s: %v\n%s", err, dt)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// stop ends the daemon (SIGTERM, SIGKILL after 20s) and removes its state.
func (d *daemon) stop() {
	d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.exited:
	case <-time.After(20 * time.Second):
		fmt.Fprintf(os.Stderr, "bench: buildkitd %d ignored SIGTERM for 20s: SIGKILL\n", d.cmd.Process.Pid)
		d.cmd.Process.Kill()
		<-d.exited
	}
	d.log.Close()
	if err := os.RemoveAll(d.dir); err != nil {
		fmt.Fprintf(os.Stderr, "bench: removing %s: %v\n", d.dir, err)
	}
}
