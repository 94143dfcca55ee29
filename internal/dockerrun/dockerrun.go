// Package dockerrun runs images built by BuildKit on a real Docker Engine,
// the way users will run them: loaded with `docker load`, started with the
// restricted flags of a hardened deployment, watched through the image's own
// HEALTHCHECK, stopped with `docker stop`. Tests use it to check the runtime
// contract of the images (an init as PID 1, a working health probe, a fast
// and clean stop) on the engine rather than on assumptions.
//
// It drives the docker CLI instead of the Docker Go client: the CLI comes
// with the engine package (docker.io), negotiates the API version with
// whatever daemon it talks to (the Debian engine is 20.10, API 1.41), and a
// failing step can be replayed by hand from the command line in the error.
// The Go client would add the moby client and API modules to go.mod and pin
// an API version for no gain here.
package dockerrun

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// HostEnv names the variable that holds the engine's address; hack/stack
// docker-up writes it to the stack's env file.
const HostEnv = "SAFE_DOCKER_HOST"

// Engine is one Docker daemon, reached on its own socket.
type Engine struct {
	// Host is the daemon address, e.g. unix:///.../docker.sock. It is always
	// passed explicitly so the host's default daemon is never used.
	Host string
	// Docker is the CLI binary; default "docker" from PATH.
	Docker string
}

// FromEnv returns the engine SAFE_DOCKER_HOST names.
func FromEnv() (*Engine, error) {
	host := os.Getenv(HostEnv)
	if host == "" {
		return nil, fmt.Errorf("%s is not set: start the test engine with `hack/stack docker-up` and load the env with `eval \"$(hack/stack env)\"`", HostEnv)
	}
	return &Engine{Host: host}, nil
}

// cmdError keeps the command line and what the CLI printed, so a failure
// says what to replay.
type cmdError struct {
	args   []string
	err    error
	stderr string
}

func (e *cmdError) Error() string {
	return fmt.Sprintf("docker %s: %v: %s", strings.Join(e.args, " "), e.err, strings.TrimSpace(e.stderr))
}

func (e *cmdError) Unwrap() error { return e.err }

func (e *Engine) command(ctx context.Context, args ...string) *exec.Cmd {
	bin := e.Docker
	if bin == "" {
		bin = "docker"
	}
	cmd := exec.CommandContext(ctx, bin, append([]string{"--host", e.Host}, args...)...)
	// A DOCKER_CONTEXT or DOCKER_HOST of the caller must not redirect the
	// CLI; --host already wins over both, this only keeps warnings away.
	cmd.Env = withoutEnv(os.Environ(), "DOCKER_HOST", "DOCKER_CONTEXT")
	return cmd
}

func withoutEnv(env []string, keys ...string) []string {
	out := env[:0:0]
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		drop := false
		for _, key := range keys {
			drop = drop || k == key
		}
		if !drop {
			out = append(out, kv)
		}
	}
	return out
}

// docker runs the CLI and returns its stdout.
func (e *Engine) docker(ctx context.Context, args ...string) ([]byte, error) {
	cmd := e.command(ctx, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if errors.Is(err, exec.ErrNotFound) {
			return nil, fmt.Errorf("the docker CLI is not installed (apt-get install -y docker.io): %w", err)
		}
		return stdout.Bytes(), &cmdError{args: args, err: err, stderr: stderr.String()}
	}
	return stdout.Bytes(), nil
}

// ServerVersion asks the daemon for its version; it fails when the daemon
// does not answer.
func (e *Engine) ServerVersion(ctx context.Context) (string, error) {
	out, err := e.docker(ctx, "version", "--format", "{{.Server.Version}}")
	if err != nil {
		return "", fmt.Errorf("docker engine at %s: %w", e.Host, err)
	}
	return strings.TrimSpace(string(out)), nil
}

// The restrictions every container gets: what a hardened pod or a careful
// `docker run` would set. The network is the host's, because the engine runs
// without a bridge (no iptables or interfaces created on the host).
var hardenedFlags = []string{
	"--read-only",
	"--cap-drop", "ALL",
	"--security-opt", "no-new-privileges",
	"--network", "host",
}

// DefaultUser is the numeric user the frontend's images run as.
const DefaultUser = "65532:65532"

// RunOptions describe one container.
type RunOptions struct {
	Image string // a reference loaded into the engine
	Name  string // container name; must be unique on the engine
	// User overrides the user; default DefaultUser.
	User string
	// Entrypoint, when set, replaces the image's (docker run --entrypoint):
	// the image's init is then bypassed.
	Entrypoint string
	// Args, when non-nil, replace the image Cmd.
	Args []string
	// Health overrides the timing of the image's own HEALTHCHECK (its test
	// command is always the image's). Zero values keep the image's.
	Health HealthTiming
	// Tmpfs mounts a writable tmpfs at each path (--tmpfs), as a pod's
	// emptyDir beside readOnlyRootFilesystem: for apps that need a
	// scratch directory, such as Tomcat's under /tmp.
	Tmpfs []string
}

// HealthTiming is the timing part of a Docker health check.
type HealthTiming struct {
	Interval, Timeout, StartPeriod time.Duration
	Retries                        int
}

// Container is a container started by Run.
type Container struct {
	ID, Name string
	// Started is when `docker run -d` returned.
	Started time.Time
	e       *Engine
}

// Run starts a detached container with the hardened flags.
func (e *Engine) Run(ctx context.Context, o RunOptions) (*Container, error) {
	if o.Image == "" || o.Name == "" {
		return nil, errors.New("run: image and name are required")
	}
	user := o.User
	if user == "" {
		user = DefaultUser
	}
	args := []string{"run", "--detach", "--name", o.Name, "--user", user}
	args = append(args, hardenedFlags...)
	for _, p := range o.Tmpfs {
		args = append(args, "--tmpfs", p+":rw,nosuid,nodev,noexec,size=64m")
	}
	if o.Entrypoint != "" {
		args = append(args, "--entrypoint", o.Entrypoint)
	}
	for flag, d := range map[string]time.Duration{
		"--health-interval": o.Health.Interval, "--health-timeout": o.Health.Timeout, "--health-start-period": o.Health.StartPeriod,
	} {
		if d > 0 {
			args = append(args, flag+"="+d.String())
		}
	}
	if o.Health.Retries > 0 {
		args = append(args, "--health-retries="+strconv.Itoa(o.Health.Retries))
	}
	args = append(args, o.Image)
	args = append(args, o.Args...)
	out, err := e.docker(ctx, args...)
	if err != nil {
		// A container that was created but failed to start is removed so
		// the name can be reused.
		_, _ = e.docker(context.WithoutCancel(ctx), "rm", "--force", o.Name)
		return nil, fmt.Errorf("starting %s: %w", o.Image, err)
	}
	return &Container{ID: strings.TrimSpace(string(out)), Name: o.Name, Started: time.Now(), e: e}, nil
}

// State is the part of `docker inspect` the tests read.
type State struct {
	Status     string `json:"Status"` // created, running, exited...
	Running    bool   `json:"Running"`
	Pid        int    `json:"Pid"` // of the container's init, in the host's PID namespace
	ExitCode   int    `json:"ExitCode"`
	OOMKilled  bool   `json:"OOMKilled"`
	Error      string `json:"Error"`
	StartedAt  string `json:"StartedAt"`
	FinishedAt string `json:"FinishedAt"`
	Health     *struct {
		Status        string `json:"Status"` // starting, healthy, unhealthy
		FailingStreak int    `json:"FailingStreak"`
		Log           []struct {
			Start    time.Time `json:"Start"`
			End      time.Time `json:"End"`
			ExitCode int       `json:"ExitCode"`
			Output   string    `json:"Output"`
		} `json:"Log"`
	} `json:"Health"`
}

// HealthStatus is "" when the container has no health check.
func (s *State) HealthStatus() string {
	if s.Health == nil {
		return ""
	}
	return s.Health.Status
}

// LastProbeOutput is what the most recent health probe printed.
func (s *State) LastProbeOutput() string {
	if s.Health == nil || len(s.Health.Log) == 0 {
		return ""
	}
	return strings.TrimSpace(s.Health.Log[len(s.Health.Log)-1].Output)
}

// State inspects the container.
func (c *Container) State(ctx context.Context) (*State, error) {
	out, err := c.e.docker(ctx, "container", "inspect", "--format", "{{json .State}}", c.ID)
	if err != nil {
		return nil, err
	}
	var st State
	if err := json.Unmarshal(out, &st); err != nil {
		return nil, fmt.Errorf("decoding the state of %s: %w", c.Name, err)
	}
	return &st, nil
}

// Config returns the container's effective config as docker inspect shows
// it (image config merged with the run flags).
func (c *Container) Config(ctx context.Context) (map[string]any, error) {
	out, err := c.e.docker(ctx, "container", "inspect", "--format", "{{json .Config}}", c.ID)
	if err != nil {
		return nil, err
	}
	var cfg map[string]any
	if err := json.Unmarshal(out, &cfg); err != nil {
		return nil, fmt.Errorf("decoding the config of %s: %w", c.Name, err)
	}
	return cfg, nil
}

// WaitHealth polls until the health status is healthy or unhealthy, and
// returns it with the time since Run. It fails when the container has no
// health check, exits, or limit passes.
func (c *Container) WaitHealth(ctx context.Context, limit time.Duration) (string, time.Duration, *State, error) {
	deadline := time.Now().Add(limit)
	for {
		st, err := c.State(ctx)
		if err != nil {
			return "", 0, nil, err
		}
		switch {
		case st.Health == nil:
			return "", 0, st, fmt.Errorf("container %s has no health check (the image config has no Healthcheck)", c.Name)
		case st.Health.Status == "healthy" || st.Health.Status == "unhealthy":
			return st.Health.Status, time.Since(c.Started), st, nil
		case !st.Running:
			return "", 0, st, fmt.Errorf("container %s is %s (exit code %d) before its health was known", c.Name, st.Status, st.ExitCode)
		case time.Now().After(deadline):
			return st.Health.Status, 0, st, fmt.Errorf("container %s still %q after %s (last probe: %q)", c.Name, st.Health.Status, limit, st.LastProbeOutput())
		}
		select {
		case <-ctx.Done():
			return "", 0, st, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// StopResult is what `docker stop` took and how the container ended.
type StopResult struct {
	Elapsed  time.Duration // wall time of `docker stop`
	ExitCode int           // 143 = SIGTERM, 137 = SIGKILL
}

// Stop runs `docker stop --time grace`: the image's StopSignal, then SIGKILL
// after grace.
func (c *Container) Stop(ctx context.Context, grace time.Duration) (StopResult, error) {
	secs := int((grace + time.Second - 1) / time.Second)
	start := time.Now()
	if _, err := c.e.docker(ctx, "stop", "--time", strconv.Itoa(secs), c.ID); err != nil {
		return StopResult{}, err
	}
	res := StopResult{Elapsed: time.Since(start)}
	st, err := c.State(ctx)
	if err != nil {
		return res, err
	}
	if st.Running {
		return res, fmt.Errorf("container %s still running after docker stop", c.Name)
	}
	res.ExitCode = st.ExitCode
	return res, nil
}

// Logs returns what the container wrote to stdout and stderr.
func (c *Container) Logs(ctx context.Context) (stdout, stderr []byte, err error) {
	cmd := c.e.command(ctx, "logs", c.ID)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	if err := cmd.Run(); err != nil {
		return o.Bytes(), e.Bytes(), &cmdError{args: []string{"logs", c.ID}, err: err, stderr: e.String()}
	}
	return o.Bytes(), e.Bytes(), nil
}

// Remove deletes the container, running or not.
func (c *Container) Remove(ctx context.Context) error {
	_, err := c.e.docker(ctx, "rm", "--force", "--volumes", c.ID)
	return err
}

// RemoveImage deletes an image reference from the engine.
func (e *Engine) RemoveImage(ctx context.Context, ref string) error {
	_, err := e.docker(ctx, "image", "rm", "--force", ref)
	return err
}
