package integration

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/containerd/platforms"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/org/safe-frontend/lock"
	"github.com/org/safe-frontend/rules"
)

var (
	safeOnce sync.Once
	safeBin  string
	safeErr  error
)

// safeCLI builds cmd/safe once per test run into _output/bin.
func safeCLI(t *testing.T) string {
	t.Helper()
	safeOnce.Do(func() {
		safeBin = filepath.Join(repoRoot, "_output", "bin", "safe")
		cmd := exec.Command("go", "build", "-o", safeBin, "./cmd/safe")
		cmd.Dir = repoRoot
		if out, err := cmd.CombinedOutput(); err != nil {
			safeErr = fmt.Errorf("go build ./cmd/safe: %v\n%s", err, out)
		}
	})
	if safeErr != nil {
		t.Fatal(safeErr)
	}
	return safeBin
}

// safeLock runs `safe lock ARGS...` against the stack's daemon.
func safeLock(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command(safeCLI(t), append([]string{"lock"}, args...)...)
	cmd.Env = append(os.Environ(), "BUILDKIT_HOST="+buildkitHost)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("safe lock %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func readLockFile(t *testing.T, dir string) *lock.File {
	t.Helper()
	dt, err := os.ReadFile(filepath.Join(dir, "Dockerfile.lock"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := lock.Parse("Dockerfile.lock", "Dockerfile", dt)
	if err != nil {
		t.Fatalf("the written lock does not parse: %v\n%s", err, dt)
	}
	return f
}

// fromVertex is the progress name of the builder's FROM, which carries the
// digest the build pulled.
func fromVertex(t *testing.T, names []string, image string) string {
	t.Helper()
	for _, n := range names {
		if strings.Contains(n, "] FROM "+image+"@") {
			return n
		}
	}
	t.Fatalf("no FROM %s vertex in %v", image, names)
	return ""
}

// TestBaseLock: `safe lock` pins the bases of go-hello; a new image pushed
// under the same tag does not change what a locked build uses; a lock that
// does not match the spec, or is malformed, is a clear error; --update moves
// the lock forward. The builder base is a copy of the golang stand-in under
// a tag of its own (go.version 1.26.<n>), deleted afterwards.
func TestBaseLock(t *testing.T) {
	const repo = "library/golang"
	tag := fmt.Sprintf("1.26.%d", 100000+time.Now().UnixNano()%900000)
	image := "docker.io/" + repo + ":" + tag
	old := pushVariant(t, repo, "1.26", tag, "lock-test-old-"+tag)

	dir := copyDir(t, example("go-hello"))
	specPath := filepath.Join(dir, "Dockerfile")
	spec, err := os.ReadFile(specPath)
	if err != nil {
		t.Fatal(err)
	}
	pinnedSpec := strings.Replace(string(spec), `version: "1.26"`, `version: "`+tag+`"`, 1)
	if pinnedSpec == string(spec) {
		t.Fatal("go-hello's spec does not say go version \"1.26\"")
	}
	writeFile(t, specPath, pinnedSpec)

	out := safeLock(t, specPath)
	t.Logf("safe lock:\n%s", out)
	f := readLockFile(t, dir)
	p := hostPlatform()
	e, ok := f.Lookup(image, p)
	if !ok || e.Digest != old {
		t.Fatalf("lock entry for %s = %+v, want digest %s", image, e, old)
	}
	final, ok := f.Lookup("gcr.io/distroless/static-debian13:nonroot", p)
	if !ok {
		t.Fatalf("the lock does not pin the final base: %+v", f.Bases)
	}
	if !strings.Contains(out, "pinned  "+image) {
		t.Errorf("safe lock output does not report the new pin:\n%s", out)
	}

	// The tag moves on.
	moved := pushVariant(t, repo, "1.26", tag, "lock-test-new-"+tag)
	if moved == old {
		t.Fatal("the new variant has the old digest")
	}

	t.Run("locked-build-keeps-the-old-base", func(t *testing.T) {
		ociTar := filepath.Join(t.TempDir(), "img.tar")
		res := mustBuild(t, buildOpts{dir: dir, inProcess: true, out: ociTar})
		from := fromVertex(t, names(res), image)
		if !strings.HasSuffix(from, "@"+old.String()) {
			t.Errorf("a locked build used %q, want the locked %s", from, old)
		}
		img := openImage(t, ociTar)
		if got := img.Config.Config.Labels["org.opencontainers.image.base.digest"]; got != final.Digest.String() {
			t.Errorf("base.digest = %s, want the locked %s", got, final.Digest)
		}
	})

	t.Run("unlocked-build-follows-the-tag", func(t *testing.T) {
		plain := copyDir(t, dir)
		if err := os.Remove(filepath.Join(plain, "Dockerfile.lock")); err != nil {
			t.Fatal(err)
		}
		res := mustBuild(t, buildOpts{dir: plain, inProcess: true})
		if from := fromVertex(t, names(res), image); !strings.HasSuffix(from, "@"+moved.String()) {
			t.Errorf("without the lock the build used %q, want the moved tag's %s", from, moved)
		}
	})

	t.Run("lock-not-matching-the-spec", func(t *testing.T) {
		stale := copyDir(t, dir)
		writeFile(t, filepath.Join(stale, "Dockerfile"), string(spec)) // go.version back to "1.26"
		_, err := build(t, buildOpts{dir: stale, inProcess: true})
		if err == nil {
			t.Fatal("a build whose lock lacks its builder base succeeded")
		}
		for _, want := range []string{"Dockerfile.lock", "the spec needs docker.io/library/golang:1.26,", "the lock pins " + image + " (linux/", "safe lock Dockerfile", "safe lock --update Dockerfile"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error does not say %q: %v", want, err)
			}
		}
		// The spec line that chose the base (llbgen's path for the builder).
		if lines := sourceLines(err); !slices.ContainsFunc(lines, func(l string) bool { return strings.HasPrefix(l, "Dockerfile:") }) {
			t.Errorf("error sources %v do not point into the spec", lines)
		}
	})

	// --check reads the lock too: the same mismatch is an SF104 finding at
	// the spec line, with the fix, and a failing status.
	t.Run("check-reports-the-stale-lock", func(t *testing.T) {
		stale := copyDir(t, dir)
		writeFile(t, filepath.Join(stale, "Dockerfile"), string(spec))
		status, res := lintCheck(t, stale, "Dockerfile")
		if status != "1" {
			t.Errorf("--check status %q, want 1 for a stale lock", status)
		}
		var msgs []string
		for _, w := range res.Warnings {
			if w.RuleName != "SF104 BaseLockMismatch" {
				continue
			}
			msgs = append(msgs, w.Detail)
			if w.URL != rules.DocBase+"SF104.md" || len(w.Location.Ranges) == 0 || w.Location.Ranges[0].Start.Line < 1 {
				t.Errorf("SF104 finding without its page or spec line: %+v", w)
			}
		}
		joined := strings.Join(msgs, "\n")
		for _, want := range []string{"Dockerfile.lock", "the spec needs docker.io/library/golang:1.26,", "the lock pins " + image + " (linux/", "safe lock Dockerfile", "safe lock --update Dockerfile"} {
			if !strings.Contains(joined, want) {
				t.Errorf("--check findings do not say %q:\n%s", want, joined)
			}
		}
		if res.Error == nil || !strings.Contains(res.Error.Message, "SF104") {
			t.Errorf("--check error = %+v, want the SF104 refusal", res.Error)
		}

		// The lock as written passes.
		if status, res := lintCheck(t, dir, "Dockerfile"); status != "0" {
			t.Errorf("--check with a matching lock: status %q, %+v", status, res)
		}
	})

	t.Run("malformed-lock", func(t *testing.T) {
		bad := copyDir(t, dir)
		lockPath := filepath.Join(bad, "Dockerfile.lock")
		dt, err := os.ReadFile(lockPath)
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, lockPath, strings.Replace(string(dt), old.String(), "sha256:not-a-digest", 1))
		_, err = build(t, buildOpts{dir: bad, inProcess: true})
		if err == nil {
			t.Fatal("a build with a malformed lock succeeded")
		}
		for _, want := range []string{"Dockerfile.lock:", image, "not a sha256 digest", "safe lock --update Dockerfile"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error does not say %q: %v", want, err)
			}
		}
	})

	t.Run("update-moves-forward", func(t *testing.T) {
		if out := safeLock(t, specPath); !strings.Contains(out, "up to date") {
			t.Errorf("safe lock without --update changed the lock:\n%s", out)
		}
		out := safeLock(t, "--update", specPath)
		want := fmt.Sprintf("updated %s (%s) %s -> %s", image, lock.FormatPlatform(p), old, moved)
		if !strings.Contains(out, want) {
			t.Errorf("safe lock --update output lacks %q:\n%s", want, out)
		}
		if e, _ := readLockFile(t, dir).Lookup(image, p); e.Digest != moved {
			t.Fatalf("after --update the lock pins %s, want %s", e.Digest, moved)
		}
		res := mustBuild(t, buildOpts{dir: dir, inProcess: true})
		if from := fromVertex(t, names(res), image); !strings.HasSuffix(from, "@"+moved.String()) {
			t.Errorf("after --update the build used %q, want %s", from, moved)
		}
	})
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func hostPlatform() ocispecs.Platform { return platforms.Normalize(platforms.DefaultSpec()) }
