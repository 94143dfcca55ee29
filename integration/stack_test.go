package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestStackDiskCheck: hack/stack disk-check (the first step of make test
// and of hack/stack up) passes when the disk has room and otherwise stops
// at once, saying how much is free, how much is needed and what to do.
func TestStackDiskCheck(t *testing.T) {
	check := func(stackGiB, testGiB string) (string, error) {
		cmd := exec.Command(filepath.Join(repoRoot, "hack", "stack"), "disk-check")
		cmd.Env = append(os.Environ(), "SAFE_STACK_GIB="+stackGiB, "SAFE_TEST_GIB="+testGiB)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := check("0", "0"); err != nil || !strings.Contains(out, "GiB free under") {
		t.Errorf("disk-check needing nothing: %v\n%s", err, out)
	}
	out, err := check("0", "1000000")
	if err == nil {
		t.Fatalf("disk-check needing a million GiB passed:\n%s", out)
	}
	for _, want := range []string{"GiB free on the disk under", "need about 1000000 GiB more", "fix: free space", "hack/stack purge", "SAFE_STACK_DIR="} {
		if !strings.Contains(out, want) {
			t.Errorf("disk-check's refusal lacks %q:\n%s", want, out)
		}
	}
}
