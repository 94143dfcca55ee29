package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/org/safe-frontend/llbgen"
	"github.com/org/safe-frontend/spec"
)

// The bases `safe lock` pins follow the release rust-toolchain.toml
// pins, as the build's do.
func TestLockReadsToolchainFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "rust-toolchain.toml"), []byte("[toolchain]\nchannel = \"1.95.0\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	sp := &spec.Spec{Name: "edge", Language: "rust"}
	files := specDirFiles(dir, llbgen.ContextFiles(sp))
	if len(files) != 1 {
		t.Fatalf("read %v, want rust-toolchain.toml only", files)
	}
	llbgen.ApplyContext(sp, files)
	lang, _ := llbgen.Lookup("rust")
	if got := lang.BuilderImage(sp); got != "docker.io/library/rust:1.95.0-trixie" {
		t.Errorf("builder %s", got)
	}
}
