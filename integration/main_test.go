// Package integration builds the examples on a real buildkitd (runc worker)
// with a real registry, through the frontend in process and through the
// `# syntax=` image, and runs the results hardened under runc.
package integration

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

var (
	repoRoot string
	// buildkitHost is the daemon under test (BUILDKIT_HOST).
	buildkitHost string
	// buildxBuilder is the buildx builder that points at it.
	buildxBuilder string
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	_, file, _, _ := runtime.Caller(0)
	repoRoot = filepath.Dir(filepath.Dir(file))
	if os.Geteuid() != 0 {
		fmt.Fprintln(os.Stderr, "integration: these tests run buildkitd with runc and need root; run: sudo make test")
		return 1
	}
	if err := useOutputTmp(); err != nil {
		fmt.Fprintf(os.Stderr, "integration: %v\n", err)
		return 1
	}
	// kube-apiserver compiles for minutes: in parallel with the stack.
	startKubeBuild()
	stack := filepath.Join(repoRoot, "hack", "stack")
	// A stack that is already up (make stack-up, or BUILDKIT_HOST) is left
	// running; one started here is stopped here.
	wasUp := exec.Command(stack, "status").Run() == nil
	up := exec.Command(stack, "up")
	up.Stdout, up.Stderr = os.Stderr, os.Stderr
	start := time.Now()
	if err := up.Run(); err != nil {
		fmt.Fprintf(os.Stderr, "integration: %s up failed: %v (the log above says why)\n", stack, err)
		return 1
	}
	fmt.Fprintf(os.Stderr, "integration: stack ready in %s\n", time.Since(start).Round(time.Second))
	if !wasUp && os.Getenv("BUILDKIT_HOST") == "" {
		defer func() {
			down := exec.Command(stack, "down")
			down.Stdout, down.Stderr = os.Stderr, os.Stderr
			_ = down.Run()
		}()
	}
	if err := loadStackEnv(stack); err != nil {
		fmt.Fprintf(os.Stderr, "integration: %v\n", err)
		return 1
	}
	buildkitHost = os.Getenv("BUILDKIT_HOST")
	buildxBuilder = os.Getenv("SAFE_BUILDX_BUILDER")
	if buildkitHost == "" || buildxBuilder == "" {
		fmt.Fprintln(os.Stderr, "integration: hack/stack env did not set BUILDKIT_HOST and SAFE_BUILDX_BUILDER")
		return 1
	}
	return m.Run()
}

// loadStackEnv applies the `export K=V` lines of `hack/stack env`.
func loadStackEnv(stack string) error {
	out, err := exec.Command(stack, "env").Output()
	if err != nil {
		return fmt.Errorf("%s env: %w", stack, err)
	}
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		line := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(sc.Text()), "export "))
		k, v, ok := strings.Cut(line, "=")
		if !ok || strings.HasPrefix(line, "#") {
			continue
		}
		v = strings.Trim(v, `"'`)
		if os.Getenv(k) == "" {
			os.Setenv(k, v)
		}
	}
	return sc.Err()
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// useOutputTmp points TMPDIR (t.TempDir, the fresh daemons' roots, the
// stand-in recipes' scratch roots) at _output/tmp, beside the stack's state:
// image tarballs and daemon snapshots run to gigabytes, more than a small
// tmpfs /tmp holds. It reports the free space of both for a failing run's log.
func useOutputTmp() error {
	tmp := filepath.Join(repoRoot, "_output", "tmp")
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return fmt.Errorf("making the tests' temporary directory: %w", err)
	}
	if err := os.Setenv("TMPDIR", tmp); err != nil {
		return err
	}
	for _, dir := range []string{tmp, "/tmp"} {
		var st syscall.Statfs_t
		if err := syscall.Statfs(dir, &st); err == nil {
			fmt.Fprintf(os.Stderr, "integration: %s has %.1f GiB free\n", dir, float64(st.Bavail)*float64(st.Bsize)/(1<<30))
		}
	}
	return nil
}
