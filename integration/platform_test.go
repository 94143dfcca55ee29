package integration

import (
	"bytes"
	"debug/elf"
	"path/filepath"
	"strings"
	"testing"

	"github.com/org/safe-frontend/internal/ocitar"
)

// TestTargetPlatformArm64: --platform linux/arm64 cross-compiles on the
// build platform and assembles an arm64 image on the arm64 base.
func TestTargetPlatformArm64(t *testing.T) {
	out := filepath.Join(t.TempDir(), "arm64.tar")
	mustBuild(t, buildOpts{dir: example("go-hello"), inProcess: true, out: out, attrs: map[string]string{"platform": "linux/arm64"}})
	img := openImage(t, out)
	if got := img.Config.OS + "/" + img.Config.Architecture; got != "linux/arm64" {
		t.Fatalf("image platform %s, want linux/arm64", got)
	}
	bin := fileInImage(t, out, "usr/local/bin/go-hello")
	f, err := elf.NewFile(bytes.NewReader(bin))
	if err != nil {
		t.Fatalf("the binary is not ELF: %v", err)
	}
	if f.Machine != elf.EM_AARCH64 {
		t.Fatalf("binary machine %v, want EM_AARCH64", f.Machine)
	}
	if f.Section(".interp") != nil {
		t.Error("binary has an ELF interpreter: it is not static")
	}
}

// fileInImage returns a file's content from the image's layers.
func fileInImage(t *testing.T, ociTar, name string) []byte {
	t.Helper()
	dt, err := ocitar.File(ociTar, name)
	if err != nil {
		t.Fatal(err)
	}
	return dt
}

// TestMultiPlatform: two target platforms give one index with a manifest
// for each, each with its own progress names.
func TestMultiPlatform(t *testing.T) {
	out := filepath.Join(t.TempDir(), "multi.tar")
	res := mustBuild(t, buildOpts{dir: example("go-hello"), inProcess: true, out: out, attrs: map[string]string{"platform": "linux/amd64,linux/arm64"}})
	idx := string(fileInOCI(t, out, "index.json"))
	if !strings.Contains(idx, "image.index") {
		t.Fatalf("index.json does not point at an image index: %s", idx)
	}
	var arm, amd bool
	for name := range res.Vertices {
		arm = arm || strings.HasPrefix(name, "[linux/arm64 go 4/4]")
		amd = amd || strings.HasPrefix(name, "[linux/amd64 go 4/4]")
	}
	if !arm || !amd {
		t.Errorf("progress names lack a per-platform go build: %v", names(res))
	}
	if img := openImage(t, out); img.Config.Architecture != "amd64" {
		t.Errorf("the host platform's manifest is %s", img.Config.Architecture)
	}
}

func fileInOCI(t *testing.T, ociTar, name string) []byte {
	t.Helper()
	dt, err := ocitar.Entry(ociTar, name)
	if err != nil {
		t.Fatal(err)
	}
	return dt
}
