package hardened

import (
	"archive/tar"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// probe reports what the process may do, then waits for SIGTERM: the test
// checks the hardening from inside the container rather than trusting the
// generated config.
const probe = `package main

import (
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

func main() {
	status, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(status), "\n") {
		for _, k := range []string{"CapEff:", "CapBnd:", "NoNewPrivs:", "Seccomp:"} {
			if strings.HasPrefix(l, k) {
				fmt.Println(strings.Join(strings.Fields(l), " "))
			}
		}
	}
	fmt.Printf("uid=%d gid=%d\n", os.Getuid(), os.Getgid())
	if err := os.WriteFile("/probe", nil, 0o644); err != nil {
		fmt.Println("root write:", err)
	}
	if err := os.WriteFile("/tmp/probe", nil, 0o644); err == nil {
		fmt.Println("tmp write: ok")
	}
	if err := syscall.Mount("none", "/tmp", "tmpfs", 0, ""); err != nil {
		fmt.Println("mount:", err)
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM)
	fmt.Println("ready")
	<-sig
	fmt.Println("got SIGTERM")
}
`

func TestRunHardened(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("running containers needs root: run the tests as root (sudo make test)")
	}
	if _, err := exec.LookPath("runc"); err != nil {
		t.Fatal("runc not installed: apt-get install -y runc (make stack-up installs it)")
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	if err := os.MkdirAll(src, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string]string{"main.go": probe, "go.mod": "module probe\n\ngo 1.22\n"} {
		if err := os.WriteFile(filepath.Join(src, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	bin := filepath.Join(dir, "probe")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = src
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=-buildvcs=false")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the probe: %v\n%s", err, out)
	}
	data, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}

	o := &ociTar{t: t, blobs: map[digest.Digest][]byte{}}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, h := range []*tar.Header{
		{Name: "tmp/", Typeflag: tar.TypeDir, Mode: 0o1777},
		{Name: "probe", Typeflag: tar.TypeReg, Mode: 0o755, Size: int64(len(data))},
	} {
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := tw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	layer := o.add(ocispecs.MediaTypeImageLayer, buf.Bytes())
	cfg := o.addJSON(ocispecs.MediaTypeImageConfig, ocispecs.Image{
		Platform: ocispecs.Platform{OS: "linux", Architecture: "amd64"},
		Config:   ocispecs.ImageConfig{User: "65532:65532", Entrypoint: []string{"/probe"}},
		RootFS:   ocispecs.RootFS{Type: "layers"},
	})
	man := o.addJSON(ocispecs.MediaTypeImageManifest, ocispecs.Manifest{
		MediaType: ocispecs.MediaTypeImageManifest, Config: cfg, Layers: []ocispecs.Descriptor{layer},
	})
	image := filepath.Join(dir, "probe.tar")
	o.write(image, man)

	ctx := context.Background()
	c, err := Run(ctx, Options{Image: image, StateDir: filepath.Join(dir, "state"), ID: "hardened-test"})
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	defer func() {
		if !stopped {
			_, _ = c.Stop(ctx, time.Second)
		}
	}()
	var stdout string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		out, _, err := c.Logs()
		if err != nil {
			t.Fatal(err)
		}
		if stdout = string(out); strings.Contains(stdout, "ready") {
			break
		}
	}
	code, err := c.Stop(ctx, 5*time.Second)
	stopped = true
	if err != nil || code != 0 {
		t.Errorf("Stop = %d, %v; want a clean exit on SIGTERM", code, err)
	}
	out, errOut, _ := c.Logs()
	stdout = string(out)
	for _, want := range []string{
		"CapEff: 0000000000000000",
		"CapBnd: 0000000000000000",
		"NoNewPrivs: 1",
		"Seccomp: 2",
		"uid=65532 gid=65532",
		"root write: open /probe: read-only file system",
		"tmp write: ok",
		"mount: operation not permitted",
		"got SIGTERM",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("container output lacks %q:\n%s\nstderr:\n%s", want, stdout, errOut)
		}
	}
	if st, err := c.state(ctx); err == nil {
		t.Errorf("container still known to runc after Stop (status %s)", st)
	}
}
