package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// buildx runs `docker buildx` against the stack's builder.
func buildx(t *testing.T, args ...string) (string, error) {
	t.Helper()
	if _, err := exec.LookPath("docker"); err != nil {
		t.Fatalf("docker CLI not found: install the docker client (apt-get install -y docker.io or docker-ce-cli); buildx runs as its plugin")
	}
	full := append([]string{"buildx", "build", "--builder", buildxBuilder, "--progress", "plain"}, args...)
	if f := os.Getenv("SSL_CERT_FILE"); f != "" {
		full = append(full, "--secret", "id=ca,src="+f)
	}
	return runCmd(t, "docker", full...)
}

// TestBuildxBuild: the unchanged `docker buildx build` builds a spec.
func TestBuildxBuild(t *testing.T) {
	out := filepath.Join(t.TempDir(), "img.tar")
	log, err := buildx(t, "--output", "type=oci,dest="+out, example("go-hello"))
	if err != nil {
		t.Fatalf("docker buildx build: %v\n%s", err, tail(log, 4000))
	}
	for _, want := range []string{"[go 2/4] go mod download", "[go 4/4] go build"} {
		if !strings.Contains(log, want) {
			t.Errorf("buildx progress does not show %q", want)
		}
	}
	img := openImage(t, out)
	if img.Config.Config.User != "65532:65532" {
		t.Errorf("User = %q", img.Config.Config.User)
	}
	if img.Config.Config.Labels["org.opencontainers.image.title"] != "go-hello" {
		t.Errorf("labels = %v", img.Config.Config.Labels)
	}
}

// TestBuildxCheck: `docker buildx build --check` reports every finding with
// its rule, and fails only when an error-level rule fires.
func TestBuildxCheck(t *testing.T) {
	t.Run("good-spec-passes", func(t *testing.T) {
		log, err := buildx(t, "--check", example("go-hello"))
		if err != nil {
			t.Fatalf("--check on go-hello failed: %v\n%s", err, log)
		}
		if strings.Contains(log, "WARNING: SF") {
			t.Errorf("--check on go-hello reported findings:\n%s", log)
		}
	})
	t.Run("bad-spec-fails", func(t *testing.T) {
		dir := t.TempDir()
		spec := "# syntax=org/safe-frontend:1\nname: bad\nversion: one\nlanguage: go\nrun:\n  user: \"0:0\"\n  port: 8080\n"
		if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(spec), 0o644); err != nil {
			t.Fatal(err)
		}
		log, err := buildx(t, "--check", dir)
		if err == nil {
			t.Fatalf("--check passed a spec that runs as root:\n%s", log)
		}
		for _, want := range []string{"SF201", "SF205", "SF505", "Dockerfile:6"} {
			if !strings.Contains(log, want) {
				t.Errorf("--check output lacks %q:\n%s", want, log)
			}
		}
	})
	t.Run("warnings-only-pass", func(t *testing.T) {
		dir := t.TempDir()
		spec := "# syntax=org/safe-frontend:1\nname: warn\nversion: one\nlanguage: go\nrun:\n  port: 8080\n  health:\n    http: /healthz\n"
		if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(spec), 0o644); err != nil {
			t.Fatal(err)
		}
		log, err := buildx(t, "--check", dir)
		if err != nil {
			t.Fatalf("--check failed on a spec with only a warning: %v\n%s", err, log)
		}
		if !strings.Contains(log, "SF505") || !strings.Contains(log, "Dockerfile:3") {
			t.Errorf("--check did not report the SF505 warning at line 3:\n%s", log)
		}
	})
	t.Run("call-targets", func(t *testing.T) {
		log, err := buildx(t, "--call=targets", example("go-hello"))
		if err != nil {
			t.Fatalf("--call=targets: %v\n%s", err, log)
		}
		if !strings.Contains(log, "default") {
			t.Errorf("targets do not list the default target:\n%s", log)
		}
	})
	t.Run("call-outline", func(t *testing.T) {
		log, err := buildx(t, "--call=outline", example("go-hello"))
		if err != nil {
			t.Fatalf("--call=outline: %v\n%s", err, log)
		}
		if !strings.Contains(log, "ca") {
			t.Errorf("outline does not list the ca secret:\n%s", log)
		}
	})
}
