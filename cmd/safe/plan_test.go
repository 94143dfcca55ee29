package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/org/safe-frontend/plan"
)

// safe plan prints every example's plan, offline, as text and as JSON
// that reads back into the same plan.
func TestPlanExamples(t *testing.T) {
	for ex, step := range map[string]string{
		"go-hello":     "[go 4/4] go build",
		"node-hello":   "[node 2/2] production install",
		"python-hello": "[python 3/5] pip install",
		"rust-hello":   "[rust 5/5]",
		"java-hello":   "[java 6/6] jlink",
	} {
		spec := filepath.Join("..", "..", "examples", ex, "Dockerfile")
		code, out, errs := runSafe(t, "", "plan", spec)
		if code != exitOK || !strings.Contains(out, step) || !strings.Contains(out, "layer runtime from runtime") {
			t.Errorf("safe plan %s: exit %d, want a plan with %q and the runtime layer:\n%s%s", ex, code, step, out, errs)
		}
		code, js, errs := runSafe(t, "", "plan", "--format", "json", spec)
		var p plan.Plan
		if err := json.Unmarshal([]byte(js), &p); code != exitOK || err != nil || p.Text() != out {
			t.Errorf("safe plan --format json %s: exit %d, %v, %s; the JSON must read back into the text's plan", ex, code, err, errs)
		}
	}
}

// safe eject never overwrites a file without --force, and says so before
// it asks any daemon.
func TestEjectKeepsFiles(t *testing.T) {
	dir := t.TempDir()
	src, err := os.ReadFile(filepath.Join("..", "..", "examples", "go-hello", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	spec := filepath.Join(dir, "app.yaml")
	if err := os.WriteFile(spec, src, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM scratch\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errs := runSafe(t, "", "eject", "--addr", "unix:///nonexistent.sock", spec)
	if code != exitUsage || !strings.Contains(errs, "Dockerfile exists; pass --force") {
		t.Errorf("safe eject over an existing Dockerfile: exit %d, %q", code, errs)
	}
	if dt, _ := os.ReadFile(filepath.Join(dir, "Dockerfile")); string(dt) != "FROM scratch\n" {
		t.Errorf("the existing Dockerfile was changed: %q", dt)
	}
}
