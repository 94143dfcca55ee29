package hardened

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"syscall"
	"time"
)

// Options describe one hardened container.
type Options struct {
	// Image is an OCI layout: a tar from `--output type=oci,dest=X.tar` or a
	// directory.
	Image string
	// Args, when non-nil, replace the image Cmd.
	Args []string
	// StateDir holds the bundle (rootfs, config.json), the logs and runc's
	// own state; it is created if needed and reused across runs.
	StateDir string
	// ID names the container; it must be unique among running ones.
	ID string
	// Runc is the runc binary; default "runc" from PATH.
	Runc string
}

// Container is a running container started by Run.
type Container struct {
	ID     string
	Bundle string
	Image  *Image

	runc     string
	runcRoot string
	stdout   string
	stderr   string
	cmd      *exec.Cmd
	done     chan struct{}
	waitErr  error
}

var validID = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}$`)

// Run unpacks the image into a fresh bundle and starts it under runc. The
// runc process stays in the foreground of a goroutine; Stop ends it.
func Run(ctx context.Context, opts Options) (*Container, error) {
	if !validID.MatchString(opts.ID) {
		return nil, fmt.Errorf("invalid container id %q", opts.ID)
	}
	if opts.StateDir == "" {
		return nil, errors.New("no state directory given")
	}
	runc := opts.Runc
	if runc == "" {
		runc = "runc"
	}
	runcPath, err := exec.LookPath(runc)
	if err != nil {
		return nil, fmt.Errorf("runc not found (install it: apt-get install -y runc): %w", err)
	}
	stateDir, err := filepath.Abs(opts.StateDir)
	if err != nil {
		return nil, fmt.Errorf("state dir: %w", err)
	}
	img, err := Open(opts.Image)
	if err != nil {
		return nil, err
	}
	spec, err := Spec(img.Config.Config, SpecOptions{Args: opts.Args, Hostname: opts.ID})
	if err != nil {
		return nil, fmt.Errorf("image %s: %w", opts.Image, err)
	}
	c := &Container{
		ID:       opts.ID,
		Bundle:   filepath.Join(stateDir, "bundles", opts.ID),
		Image:    img,
		runc:     runcPath,
		runcRoot: filepath.Join(stateDir, "runc"),
		done:     make(chan struct{}),
	}
	c.stdout = filepath.Join(c.Bundle, "stdout.log")
	c.stderr = filepath.Join(c.Bundle, "stderr.log")

	// A container left behind by a crashed run would make `runc run` fail
	// with "container exists"; clear it and its bundle first.
	c.forceDelete(ctx)
	if err := os.RemoveAll(c.Bundle); err != nil {
		return nil, fmt.Errorf("removing old bundle: %w", err)
	}
	if err := os.MkdirAll(c.Bundle, 0o700); err != nil {
		return nil, fmt.Errorf("creating bundle: %w", err)
	}
	if err := img.Unpack(filepath.Join(c.Bundle, "rootfs")); err != nil {
		return nil, fmt.Errorf("unpacking %s: %w", opts.Image, err)
	}
	data, err := json.MarshalIndent(spec, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding runtime spec: %w", err)
	}
	if err := os.WriteFile(filepath.Join(c.Bundle, "config.json"), data, 0o600); err != nil {
		return nil, fmt.Errorf("writing config.json: %w", err)
	}
	stdout, err := os.Create(c.stdout)
	if err != nil {
		return nil, fmt.Errorf("creating log: %w", err)
	}
	defer stdout.Close()
	stderr, err := os.Create(c.stderr)
	if err != nil {
		return nil, fmt.Errorf("creating log: %w", err)
	}
	defer stderr.Close()

	// Not tied to ctx: the container must outlive the call that started it
	// and is ended only through Stop.
	cmd := exec.Command(runcPath, "--root", c.runcRoot, "run", "--bundle", c.Bundle, c.ID)
	cmd.Stdin = nil
	cmd.Stdout = stdout
	cmd.Stderr = stderr
	// Its own process group, so a Ctrl-C aimed at the caller reaches the
	// container only through Stop's orderly SIGTERM.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting runc: %w", err)
	}
	c.cmd = cmd
	go func() {
		c.waitErr = cmd.Wait()
		close(c.done)
	}()
	// runc needs a moment to create the container; report an early failure
	// (bad spec, missing entrypoint) as an error of Run rather than of Stop.
	if err := c.waitCreated(ctx, 10*time.Second); err != nil {
		c.forceDelete(context.WithoutCancel(ctx))
		return nil, err
	}
	return c, nil
}

// waitCreated polls `runc state` until the container runs, or runc exits.
func (c *Container) waitCreated(ctx context.Context, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		select {
		case <-c.done:
			if c.waitErr == nil {
				// A job that ran to completion between two polls: runc
				// exits 0 only when the process did; Wait reports it.
				return nil
			}
			return fmt.Errorf("container %s exited at start (%v): %s", c.ID, c.waitErr, c.tail())
		default:
		}
		if st, err := c.state(ctx); err == nil && st == "running" {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("container %s not running after %s: %s", c.ID, limit, c.tail())
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (c *Container) state(ctx context.Context) (string, error) {
	st, err := c.runcState(ctx)
	return st.Status, err
}

type runcState struct {
	Status string `json:"status"`
	Pid    int    `json:"pid"`
}

func (c *Container) runcState(ctx context.Context) (runcState, error) {
	var st runcState
	out, err := exec.CommandContext(ctx, c.runc, "--root", c.runcRoot, "state", c.ID).Output()
	if err != nil {
		return st, err
	}
	err = json.Unmarshal(out, &st)
	return st, err
}

// Pid returns the host pid of the container's init process (its PID 1).
func (c *Container) Pid(ctx context.Context) (int, error) {
	st, err := c.runcState(ctx)
	if err != nil {
		return 0, fmt.Errorf("runc state %s: %w", c.ID, err)
	}
	if st.Status != "running" || st.Pid <= 0 {
		return 0, fmt.Errorf("container %s is %s", c.ID, st.Status)
	}
	return st.Pid, nil
}

// Stop sends SIGTERM, waits up to grace for the app to exit, then SIGKILL,
// and always deletes the container. It returns the exit status runc reported
// (128+signal when the process died of a signal).
func (c *Container) Stop(ctx context.Context, grace time.Duration) (int, error) {
	defer c.forceDelete(context.WithoutCancel(ctx))
	select {
	case <-c.done:
		return c.exitCode()
	default:
	}
	if out, err := exec.CommandContext(ctx, c.runc, "--root", c.runcRoot, "kill", c.ID, "TERM").CombinedOutput(); err != nil {
		// The process may have exited between the check and the kill.
		select {
		case <-c.done:
			return c.exitCode()
		default:
		}
		return -1, fmt.Errorf("runc kill TERM: %v: %s", err, bytes.TrimSpace(out))
	}
	select {
	case <-c.done:
		return c.exitCode()
	case <-time.After(grace):
	case <-ctx.Done():
	}
	_ = exec.Command(c.runc, "--root", c.runcRoot, "kill", "--all", c.ID, "KILL").Run()
	select {
	case <-c.done:
		code, _ := c.exitCode()
		return code, fmt.Errorf("container %s ignored SIGTERM for %s and was killed", c.ID, grace)
	case <-time.After(10 * time.Second):
		_ = c.cmd.Process.Kill()
		return -1, fmt.Errorf("container %s did not exit after SIGKILL", c.ID)
	}
}

// Wait blocks until the container exits and returns its exit status.
func (c *Container) Wait(ctx context.Context) (int, error) {
	select {
	case <-c.done:
		return c.exitCode()
	case <-ctx.Done():
		return -1, ctx.Err()
	}
}

// Done is closed when the container has exited.
func (c *Container) Done() <-chan struct{} { return c.done }

func (c *Container) exitCode() (int, error) {
	if c.waitErr == nil {
		return 0, nil
	}
	var ee *exec.ExitError
	if errors.As(c.waitErr, &ee) {
		return ee.ExitCode(), nil
	}
	return -1, c.waitErr
}

// Logs returns what the container wrote so far to stdout and stderr (runc's
// own errors land in stderr too).
func (c *Container) Logs() (stdout, stderr []byte, err error) {
	stdout, err = os.ReadFile(c.stdout)
	if err != nil {
		return nil, nil, fmt.Errorf("reading stdout log: %w", err)
	}
	stderr, err = os.ReadFile(c.stderr)
	if err != nil {
		return nil, nil, fmt.Errorf("reading stderr log: %w", err)
	}
	return stdout, stderr, nil
}

// LogPaths returns the files holding stdout and stderr.
func (c *Container) LogPaths() (stdout, stderr string) { return c.stdout, c.stderr }

func (c *Container) tail() string {
	_, errb, err := c.Logs()
	if err != nil {
		return err.Error()
	}
	if len(errb) > 2000 {
		errb = errb[len(errb)-2000:]
	}
	return string(bytes.TrimSpace(errb))
}

// forceDelete removes the container from runc's state whatever its status;
// errors are ignored because "does not exist" is the common, fine case.
func (c *Container) forceDelete(ctx context.Context) {
	_ = exec.CommandContext(ctx, c.runc, "--root", c.runcRoot, "delete", "--force", c.ID).Run()
}
