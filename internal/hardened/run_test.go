package hardened

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
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
	init, _ := os.ReadFile("/proc/1/comm")
	fmt.Printf("pid=%d pid1=%s\n", os.Getpid(), strings.TrimSpace(string(init)))
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

func requireRunc(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("running containers needs root: run the tests as root (sudo make test)")
	}
	if _, err := exec.LookPath("runc"); err != nil {
		t.Fatal("runc not installed: apt-get install -y runc (make stack-up installs it)")
	}
}

var probeBin = sync.OnceValues(func() ([]byte, error) {
	dir, err := os.MkdirTemp("", "hardened-probe-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	for name, body := range map[string]string{"main.go": probe, "go.mod": "module probe\n\ngo 1.22\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			return nil, err
		}
	}
	build := exec.Command("go", "build", "-o", "probe", ".")
	build.Dir = dir
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=-buildvcs=false")
	if out, err := build.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("building the probe: %v\n%s", err, out)
	}
	return os.ReadFile(filepath.Join(dir, "probe"))
})

// probeImage writes an OCI tar of one layer holding the probe as /probe
// and, when init is set, the host's static tini as /sbin/tini in front of
// it, as the frontend's images have it.
func probeImage(t *testing.T, path string, init bool) {
	t.Helper()
	bin, err := probeBin()
	if err != nil {
		t.Fatal(err)
	}
	files := []struct {
		name string
		data []byte
	}{{"probe", bin}}
	entrypoint := []string{"/probe"}
	if init {
		tini, err := os.ReadFile("/usr/bin/tini-static")
		if err != nil {
			t.Fatalf("%v: install tini: apt-get install -y tini (hack/stack docker-up does)", err)
		}
		files = append(files, struct {
			name string
			data []byte
		}{"sbin/tini", tini})
		entrypoint = []string{"/sbin/tini", "--", "/probe"}
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	hdrs := []*tar.Header{{Name: "tmp/", Typeflag: tar.TypeDir, Mode: 0o1777}, {Name: "sbin/", Typeflag: tar.TypeDir, Mode: 0o755}}
	for _, h := range hdrs {
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range files {
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Typeflag: tar.TypeReg, Mode: 0o755, Size: int64(len(f.data))}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(f.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	o := &ociTar{t: t, blobs: map[digest.Digest][]byte{}}
	layer := o.add(ocispecs.MediaTypeImageLayer, buf.Bytes())
	cfg := o.addJSON(ocispecs.MediaTypeImageConfig, ocispecs.Image{
		Platform: ocispecs.Platform{OS: "linux", Architecture: "amd64"},
		Config:   ocispecs.ImageConfig{User: "65532:65532", Entrypoint: entrypoint},
		RootFS:   ocispecs.RootFS{Type: "layers"},
	})
	man := o.addJSON(ocispecs.MediaTypeImageManifest, ocispecs.Manifest{
		MediaType: ocispecs.MediaTypeImageManifest, Config: cfg, Layers: []ocispecs.Descriptor{layer},
	})
	o.write(path, man)
}

// runProbe runs a probe image until it is ready, stops it with SIGTERM and
// returns its output, the exit code and how long the stop took.
func runProbe(t *testing.T, image, id string) (stdout string, code int, stopped time.Duration) {
	t.Helper()
	ctx := context.Background()
	c, err := Run(ctx, Options{Image: image, StateDir: filepath.Join(filepath.Dir(image), "state"), ID: id})
	if err != nil {
		t.Fatal(err)
	}
	done := false
	defer func() {
		if !done {
			_, _ = c.Stop(ctx, time.Second)
		}
	}()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		out, _, err := c.Logs()
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(out), "ready") {
			break
		}
	}
	start := time.Now()
	code, err = c.Stop(ctx, 5*time.Second)
	stopped = time.Since(start)
	done = true
	if err != nil {
		t.Errorf("Stop: %v", err)
	}
	out, errOut, _ := c.Logs()
	if t.Failed() {
		t.Logf("stdout:\n%s\nstderr:\n%s", out, errOut)
	}
	if st, err := c.state(ctx); err == nil {
		t.Errorf("container still known to runc after Stop (status %s)", st)
	}
	return string(out), code, stopped
}

func TestRunHardened(t *testing.T) {
	requireRunc(t)
	image := filepath.Join(t.TempDir(), "probe.tar")
	probeImage(t, image, false)
	stdout, code, _ := runProbe(t, image, "hardened-test")
	if code != 0 {
		t.Errorf("exit code %d; want a clean exit on SIGTERM", code)
	}
	for _, want := range []string{
		"CapEff: 0000000000000000",
		"CapBnd: 0000000000000000",
		"NoNewPrivs: 1",
		"Seccomp: 2",
		"uid=65532 gid=65532",
		"pid=1 pid1=probe",
		"root write: open /probe: read-only file system",
		"tmp write: ok",
		"mount: operation not permitted",
		"got SIGTERM",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("container output lacks %q:\n%s", want, stdout)
		}
	}
}

// TestRunHardenedInit: with tini in front of the app, as the frontend's
// images have it, tini is PID 1, the app is its child, and SIGTERM sent to
// the container reaches the app at once.
func TestRunHardenedInit(t *testing.T) {
	requireRunc(t)
	image := filepath.Join(t.TempDir(), "probe-tini.tar")
	probeImage(t, image, true)
	stdout, code, stopped := runProbe(t, image, "hardened-init-test")
	t.Logf("stop took %s, exit code %d", stopped.Round(time.Millisecond), code)
	if code != 0 {
		t.Errorf("exit code %d; want the app's clean exit passed on by tini", code)
	}
	if stopped > 2*time.Second {
		t.Errorf("stop took %s, want < 2s: tini must forward SIGTERM", stopped)
	}
	if strings.Contains(stdout, "pid=1 ") || !strings.Contains(stdout, "pid1=tini") {
		t.Errorf("want the app under tini (PID 1 = tini); output:\n%s", stdout)
	}
	for _, want := range []string{"uid=65532 gid=65532", "CapEff: 0000000000000000", "got SIGTERM"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("container output lacks %q:\n%s", want, stdout)
		}
	}
}
