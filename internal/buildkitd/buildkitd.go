// Package buildkitd starts a private buildkitd: its own root, socket and
// config, mirroring docker.io and gcr.io to a loopback registry the way
// hack/stack's daemon does. The benchmark and the integration tests use one
// when a build must start from an empty cache or must not touch the stack's.
package buildkitd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/moby/buildkit/client"
)

// Options say which binary to run and where its base images come from.
type Options struct {
	// Bin is the buildkitd binary (hack/stack up builds _output/bin/buildkitd).
	Bin string
	// Registry is the plain-HTTP registry (host:port) docker.io and gcr.io
	// are mirrored to.
	Registry string
	// Name names the daemon in errors, e.g. "fresh buildkitd".
	Name string
	// StateDir holds the daemon's root (its snapshots run to gigabytes);
	// "" is os.TempDir(). Keep it off a small tmpfs /tmp.
	StateDir string
	// TempPrefix starts the names of its temporary directories.
	TempPrefix string
	// Logf reports what Stop had to do beyond SIGTERM; nil reports nothing.
	Logf func(format string, args ...any)
}

// Daemon is a running buildkitd.
type Daemon struct {
	// Addr is its address for client.New.
	Addr   string
	opts   Options
	dir    string
	sock   string
	cmd    *exec.Cmd
	log    *os.File
	exited chan struct{}
}

// Config is the buildkitd.toml of a private daemon: the oci worker only,
// OpenTelemetry on its own socket, docker.io and gcr.io mirrored to registry.
func Config(registry, otelSocket string) string {
	return fmt.Sprintf(`[worker.oci]
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
`, otelSocket, registry, registry, registry)
}

// Start starts the daemon and waits (30s at most) until it answers.
func Start(ctx context.Context, o Options) (*Daemon, error) {
	if _, err := os.Stat(o.Bin); err != nil {
		return nil, fmt.Errorf("buildkitd is not built (%w): run hack/stack up (it builds _output/bin/buildkitd)", err)
	}
	if o.Name == "" {
		o.Name = "buildkitd"
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	dir, err := os.MkdirTemp(o.StateDir, o.TempPrefix)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", o.Name, err)
	}
	// The sockets and the config live in /tmp whatever StateDir is: a unix
	// socket path holds at most 108 bytes, and they take no space.
	sock, err := os.MkdirTemp("/tmp", o.TempPrefix+"sock-")
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("%s: %w", o.Name, err)
	}
	cleanup := func() { os.RemoveAll(dir); os.RemoveAll(sock) }
	config := filepath.Join(sock, "buildkitd.toml")
	if err := os.WriteFile(config, []byte(Config(o.Registry, filepath.Join(sock, "otel.sock"))), 0o644); err != nil {
		cleanup()
		return nil, fmt.Errorf("writing the config of %s: %w", o.Name, err)
	}
	logf, err := os.Create(filepath.Join(dir, "buildkitd.log"))
	if err != nil {
		cleanup()
		return nil, fmt.Errorf("%s: %w", o.Name, err)
	}
	d := &Daemon{Addr: "unix://" + filepath.Join(sock, "buildkitd.sock"), opts: o, dir: dir, sock: sock, log: logf, exited: make(chan struct{})}
	d.cmd = exec.Command(o.Bin, "--root", filepath.Join(dir, "root"), "--addr", d.Addr, "--config", config)
	d.cmd.Stdout, d.cmd.Stderr = logf, logf
	d.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := d.cmd.Start(); err != nil {
		logf.Close()
		cleanup()
		return nil, fmt.Errorf("starting %s: %w", o.Bin, err)
	}
	go func() { d.cmd.Wait(); close(d.exited) }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := client.New(ctx, d.Addr)
		if err == nil {
			cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			_, err = c.ListWorkers(cctx)
			cancel()
			c.Close()
			if err == nil {
				return d, nil
			}
		}
		select {
		case <-d.exited:
			log := d.Log()
			d.Stop()
			return nil, fmt.Errorf("%s exited at start:\n%s", o.Name, log)
		default:
		}
		if time.Now().After(deadline) {
			log := d.Log()
			d.Stop()
			return nil, fmt.Errorf("%s did not answer within 30s: %v\n%s", o.Name, err, log)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Pid is the daemon's process id.
func (d *Daemon) Pid() int { return d.cmd.Process.Pid }

// Log is what the daemon has written so far (until Stop removes it).
func (d *Daemon) Log() string {
	dt, err := os.ReadFile(d.log.Name())
	if err != nil {
		return fmt.Sprintf("(reading the log of %s: %v)", d.opts.Name, err)
	}
	return string(dt)
}

// Stop ends the daemon (SIGTERM, SIGKILL after 20s) and removes its state.
func (d *Daemon) Stop() error {
	d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.exited:
	case <-time.After(20 * time.Second):
		d.opts.Logf("%s %d ignored SIGTERM for 20s: SIGKILL", d.opts.Name, d.cmd.Process.Pid)
		d.cmd.Process.Kill()
		<-d.exited
	}
	errClose := d.log.Close()
	os.RemoveAll(d.sock)
	if err := os.RemoveAll(d.dir); err != nil {
		return fmt.Errorf("removing the state of %s: %w", d.opts.Name, err)
	}
	if errClose != nil && !errors.Is(errClose, os.ErrClosed) {
		return fmt.Errorf("closing the log of %s: %w", d.opts.Name, errClose)
	}
	return nil
}
