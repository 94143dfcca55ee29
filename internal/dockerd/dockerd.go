// Package dockerd starts a private Docker Engine from an unpacked Debian
// package (hack/builders/get docker ENGINE): its own data root, exec root
// and socket, docker.io mirrored to a loopback registry, no bridge and no
// iptables rules. The builder tests run the engine's built-in BuildKit on
// it, with the classic image store or the containerd one, the way most
// servers and CI runners build.
package dockerd

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// Options say which engine to run and how.
type Options struct {
	// Root is the unpacked package tree (usr/sbin/dockerd, usr/bin/containerd,
	// usr/bin/docker, usr/libexec/docker/cli-plugins).
	Root string
	// Registry is the plain-HTTP registry (host:port) docker.io is mirrored
	// to. Loopback registries are insecure to dockerd by default.
	Registry string
	// ContainerdStore switches the engine to the containerd image store
	// (Docker 24 and later); false is the classic (graph driver) store.
	ContainerdStore bool
	// StateDir holds the data root; "" is os.TempDir(). Keep it off a small
	// tmpfs /tmp.
	StateDir string
	// Name names the engine in errors, e.g. "Docker 26 (classic store)".
	Name string
}

// Engine is a running dockerd.
type Engine struct {
	// Host is its address for the CLI's --host.
	Host   string
	opts   Options
	dir    string
	sock   string
	cmd    *exec.Cmd
	log    *os.File
	exited chan struct{}
}

// config is the daemon.json: a file of the engine's own, so a host
// /etc/docker/daemon.json changes nothing.
func config(o Options, dir string) ([]byte, error) {
	c := map[string]any{
		"registry-mirrors": []string{"http://" + o.Registry},
	}
	if o.ContainerdStore {
		c["features"] = map[string]bool{"containerd-snapshotter": true}
	}
	if strings.HasPrefix(version(o.Root), "20.") {
		// 20.10 derives its ID from a key it would write to /etc/docker.
		c["deprecated-key-path"] = filepath.Join(dir, "key.json")
	}
	return json.MarshalIndent(c, "", "  ")
}

// version is the engine's version as its dockerd says it.
func version(root string) string {
	out, _ := exec.Command(filepath.Join(root, "usr", "sbin", "dockerd"), "--version").Output()
	// "Docker version 26.1.5+dfsg1, build a72d7cd"
	fields := strings.Fields(string(out))
	if len(fields) >= 3 {
		return strings.TrimSuffix(fields[2], ",")
	}
	return ""
}

// Start starts the engine and waits (60s at most) until it answers.
func Start(ctx context.Context, o Options) (*Engine, error) {
	dockerd := filepath.Join(o.Root, "usr", "sbin", "dockerd")
	if _, err := os.Stat(dockerd); err != nil {
		return nil, fmt.Errorf("%s is not unpacked (%w): run hack/builders/get docker ENGINE", o.Name, err)
	}
	dir, err := os.MkdirTemp(o.StateDir, "dockerd-")
	if err != nil {
		return nil, err
	}
	// The socket lives in /tmp: a unix socket path holds at most 108 bytes.
	sock, err := os.MkdirTemp("/tmp", "dockerd-sock-")
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	cfg, err := config(o, dir)
	if err == nil {
		err = os.WriteFile(filepath.Join(dir, "daemon.json"), cfg, 0o644)
	}
	var logf *os.File
	if err == nil {
		logf, err = os.Create(filepath.Join(dir, "dockerd.log"))
	}
	if err != nil {
		os.RemoveAll(dir)
		os.RemoveAll(sock)
		return nil, fmt.Errorf("%s: %w", o.Name, err)
	}
	e := &Engine{Host: "unix://" + filepath.Join(sock, "docker.sock"), opts: o, dir: dir, sock: sock, log: logf, exited: make(chan struct{})}
	args := []string{"--config-file", filepath.Join(dir, "daemon.json"),
		"--data-root", filepath.Join(dir, "data"), "--exec-root", filepath.Join(sock, "exec"),
		"--pidfile", filepath.Join(dir, "dockerd.pid"), "--host", e.Host,
		"--iptables=false", "--ip6tables=false", "--ip-masq=false", "--bridge=none"}
	if !o.ContainerdStore {
		// The graph driver; the containerd store picks its own snapshotter.
		args = append(args, "--storage-driver=overlay2")
	}
	e.cmd = exec.Command(dockerd, args...)
	// The package's containerd first, then the host's runc.
	e.cmd.Env = append(slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "PATH=") }),
		"PATH="+filepath.Join(o.Root, "usr", "bin")+":"+filepath.Join(o.Root, "usr", "sbin")+":"+os.Getenv("PATH"))
	e.cmd.Stdout, e.cmd.Stderr = logf, logf
	e.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := e.cmd.Start(); err != nil {
		e.cleanup()
		return nil, fmt.Errorf("starting %s: %w", o.Name, err)
	}
	go func() { e.cmd.Wait(); close(e.exited) }()
	return e, e.wait(ctx)
}

func (e *Engine) wait(ctx context.Context) error {
	deadline := time.Now().Add(60 * time.Second)
	for {
		out, err := e.CLI(ctx, "version", "--format", "{{.Server.Version}}").CombinedOutput()
		if err == nil {
			return nil
		}
		select {
		case <-e.exited:
			log := e.Log()
			e.Stop()
			return fmt.Errorf("%s exited at start:\n%s", e.opts.Name, log)
		default:
		}
		if time.Now().After(deadline) {
			log := e.Log()
			e.Stop()
			return fmt.Errorf("%s did not answer within 60s: %v: %s\n%s", e.opts.Name, err, out, log)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// CLI is the engine's own docker CLI, talking to this engine only, with the
// engine's buildx as its plugin (DOCKER_CONFIG points at the package's
// plugin directory when it ships one).
func (e *Engine) CLI(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, e.Docker(), append([]string{"--host", e.Host}, args...)...)
	cmd.Env = e.Env()
	return cmd
}

// configDir is a CLI config directory of the engine's own, whose plugins
// are the package's (Debian 13's buildx), not the user's.
func (e *Engine) configDir() string {
	d := filepath.Join(e.dir, "cli")
	plugins := filepath.Join(e.opts.Root, "usr", "libexec", "docker", "cli-plugins")
	if _, err := os.Stat(filepath.Join(d, "cli-plugins")); err != nil {
		os.MkdirAll(d, 0o700)
		if _, err := os.Stat(plugins); err == nil {
			os.Symlink(plugins, filepath.Join(d, "cli-plugins"))
		}
	}
	return d
}

// Version is the engine's version as its API reports it.
func (e *Engine) Version(ctx context.Context) (string, error) {
	out, err := e.CLI(ctx, "version", "--format", "{{.Server.Version}}").Output()
	return strings.TrimSpace(string(out)), err
}

// Log is what the engine has written so far (until Stop removes it).
func (e *Engine) Log() string {
	dt, err := os.ReadFile(e.log.Name())
	if err != nil {
		return fmt.Sprintf("(reading the log of %s: %v)", e.opts.Name, err)
	}
	return string(dt)
}

// Stop ends the engine (SIGTERM, SIGKILL after 30s: it stops its
// containers and its containerd first), unmounts what it left and removes
// its state.
func (e *Engine) Stop() error {
	e.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-e.exited:
	case <-time.After(30 * time.Second):
		syscall.Kill(-e.cmd.Process.Pid, syscall.SIGKILL)
		<-e.exited
	}
	// The containerd it started outlives a killed dockerd.
	if dt, err := os.ReadFile(filepath.Join(e.sock, "exec", "containerd", "containerd.pid")); err == nil {
		var pid int
		if _, err := fmt.Sscan(string(dt), &pid); err == nil && pid > 0 {
			syscall.Kill(pid, syscall.SIGTERM)
		}
	}
	return e.cleanup()
}

func (e *Engine) cleanup() error {
	if e.log != nil {
		e.log.Close()
	}
	var errs []error
	for _, m := range mountsUnder(e.dir, e.sock) {
		if err := syscall.Unmount(m, syscall.MNT_DETACH); err != nil {
			errs = append(errs, fmt.Errorf("unmounting %s: %w", m, err))
		}
	}
	errs = append(errs, os.RemoveAll(e.sock), os.RemoveAll(e.dir))
	return errors.Join(errs...)
}

// mountsUnder lists the mount points below the directories, deepest first.
func mountsUnder(dirs ...string) []string {
	f, err := os.Open("/proc/self/mounts")
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 {
			continue
		}
		for _, d := range dirs {
			if strings.HasPrefix(fields[1], d+"/") {
				out = append(out, fields[1])
			}
		}
	}
	slices.SortFunc(out, func(a, b string) int { return len(b) - len(a) })
	return out
}

// Docker is the engine's own docker CLI binary.
func (e *Engine) Docker() string { return filepath.Join(e.opts.Root, "usr", "bin", "docker") }

// Env is the environment of a client of this engine only: DOCKER_HOST set,
// the caller's context and config left out.
func (e *Engine) Env() []string {
	env := slices.DeleteFunc(os.Environ(), func(kv string) bool {
		k, _, _ := strings.Cut(kv, "=")
		return k == "DOCKER_HOST" || k == "DOCKER_CONTEXT" || k == "DOCKER_CONFIG" || k == "BUILDX_BUILDER"
	})
	return append(env, "DOCKER_HOST="+e.Host, "DOCKER_CONFIG="+e.configDir())
}
