package frontend

import (
	"strings"
	"testing"

	"github.com/containerd/platforms"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/org/safe-frontend/llbgen"
	"github.com/org/safe-frontend/lock"
	"github.com/org/safe-frontend/policy"
	"github.com/org/safe-frontend/rules"
	"github.com/org/safe-frontend/spec"
)

const testDigest = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

func testLock() *lock.File {
	return &lock.File{Filename: "app.yaml.lock", Bases: []lock.Entry{
		{Name: "docker.io/library/golang:1.26", Platform: "linux/amd64", Digest: testDigest},
		{Name: "gcr.io/distroless/static-debian13:nonroot", Platform: "linux/amd64", Digest: testDigest},
		{Name: "gcr.io/distroless/static-debian13:nonroot", Platform: "linux/arm64", Digest: testDigest},
	}}
}

func TestPin(t *testing.T) {
	l := &baseLock{file: testLock(), spec: "app.yaml"}
	amd64 := ocispecs.Platform{OS: "linux", Architecture: "amd64"}
	ref, err := l.pin(llbgen.BaseRequest{Name: "docker.io/library/golang:1.26", Platform: amd64})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ref.String(), "docker.io/library/golang:1.26@"+testDigest; got != want {
		t.Errorf("pinned %s, want %s", got, want)
	}
	_, err = l.pin(llbgen.BaseRequest{Name: "docker.io/library/golang:1.26", Platform: ocispecs.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}})
	if err == nil {
		t.Fatal("a platform the lock does not pin was pinned")
	}
	for _, want := range []string{"app.yaml.lock", "docker.io/library/golang:1.26 (linux/arm64)", "safe lock app.yaml", "safe lock --update app.yaml"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

func TestLockable(t *testing.T) {
	if lockable(llbgen.BaseRequest{Role: llbgen.RoleRuntime}) || lockable(llbgen.BaseRequest{Role: llbgen.RoleTools}) {
		t.Error("the runtime image, pinned by the frontend release, is lockable")
	}
	if !lockable(llbgen.BaseRequest{Role: llbgen.RoleBuilder}) || !lockable(llbgen.BaseRequest{Role: llbgen.RoleFinal}) {
		t.Error("builder and final images are not lockable")
	}
}

func TestLockedPlatforms(t *testing.T) {
	role := map[string]string{
		"docker.io/library/golang:1.26":             llbgen.RoleBuilder,
		"gcr.io/distroless/static-debian13:nonroot": llbgen.RoleFinal,
	}
	host := ocispecs.Platform{OS: "linux", Architecture: "riscv64"}
	format := func(ps []ocispecs.Platform) string {
		var s []string
		for _, p := range ps {
			s = append(s, platforms.Format(p))
		}
		return strings.Join(s, ",")
	}
	if got := format(lockedPlatforms(testLock(), role, llbgen.RoleFinal, host)); got != "linux/amd64,linux/arm64" {
		t.Errorf("final platforms = %s", got)
	}
	if got := format(lockedPlatforms(testLock(), role, llbgen.RoleBuilder, host)); got != "linux/amd64" {
		t.Errorf("builder platforms = %s", got)
	}
	if got := format(lockedPlatforms(nil, role, llbgen.RoleFinal, host)); got != "linux/riscv64" {
		t.Errorf("without a lock = %s, want the daemon's", got)
	}
}

// TestLockMismatches: a base the lock lacks, a platform it lacks and a pin
// the spec no longer uses are each one SF104 finding at a spec line, with
// the file and the fix.
func TestLockMismatches(t *testing.T) {
	amd64 := ocispecs.Platform{OS: "linux", Architecture: "amd64"}
	arm64 := ocispecs.Platform{OS: "linux", Architecture: "arm64"}
	spec := func(goVersion string) *spec.Spec {
		t.Helper()
		sp, report := policy.Lint("app.yaml", []byte("name: hello\nlanguage: go\ngo:\n  version: \""+goVersion+"\"\nrun:\n  port: 8080\n  health: {http: /healthz}\n  resources: {cpu: 100m, memory: 64Mi}\n"))
		if err := report.Err(); err != nil || sp == nil {
			t.Fatalf("spec refused: %v", err)
		}
		return sp
	}
	if got := lockMismatches(testLock(), "app.yaml", spec("1.26"), amd64, []ocispecs.Platform{amd64, arm64}); len(got) != 0 {
		t.Errorf("a matching lock gave %+v", got)
	}

	got := lockMismatches(testLock(), "app.yaml", spec("1.27"), amd64, []ocispecs.Platform{amd64})
	if len(got) != 2 {
		t.Fatalf("go 1.27 against a 1.26 lock: %d findings, want 2: %+v", len(got), got)
	}
	for i, want := range [][]string{
		{"language", "app.yaml.lock: ", "the spec needs docker.io/library/golang:1.27, which the lock does not pin", "safe lock app.yaml", "safe lock --update app.yaml"},
		{"language", "the lock pins docker.io/library/golang:1.26 (linux/amd64), which the spec no longer uses", "safe lock app.yaml"},
	} {
		if got[i].Rule != rules.BaseLockMismatch || got[i].Path != want[0] {
			t.Errorf("finding %d: rule %s at %q, want SF104 at %q", i, got[i].Rule, got[i].Path, want[0])
		}
		for _, w := range want[1:] {
			if !strings.Contains(got[i].Message, w) {
				t.Errorf("finding %d %q does not say %q", i, got[i].Message, w)
			}
		}
	}

	riscv := ocispecs.Platform{OS: "linux", Architecture: "riscv64"}
	got = lockMismatches(testLock(), "app.yaml", spec("1.26"), riscv, []ocispecs.Platform{riscv, amd64})
	var msgs []string
	for _, f := range got {
		msgs = append(msgs, f.Message)
	}
	joined := strings.Join(msgs, "\n")
	for _, want := range []string{
		"docker.io/library/golang:1.26 (linux/riscv64): the spec needs this base for linux/riscv64 but the lock does not pin it there; run `safe lock --build-platform linux/amd64,linux/riscv64 app.yaml`",
		"gcr.io/distroless/static-debian13:nonroot (linux/riscv64): the spec needs this base for linux/riscv64 but the lock does not pin it there; run `safe lock --platform linux/amd64,linux/arm64,linux/riscv64 app.yaml`",
	} {
		if !strings.Contains(joined, want) {
			t.Errorf("findings do not say %q:\n%s", want, joined)
		}
	}
	if len(got) != 2 {
		t.Errorf("a riscv64 build: %d findings, want 2 (each missing pin once):\n%s", len(got), joined)
	}
}

func TestCrossBuild(t *testing.T) {
	amd64 := ocispecs.Platform{OS: "linux", Architecture: "amd64"}
	arm64 := ocispecs.Platform{OS: "linux", Architecture: "arm64"}
	if crossBuild(amd64, []ocispecs.Platform{amd64}) {
		t.Error("amd64 on amd64 is not a cross build")
	}
	if !crossBuild(amd64, []ocispecs.Platform{amd64, arm64}) || !crossBuild(arm64, []ocispecs.Platform{amd64}) {
		t.Error("a target of another architecture is a cross build")
	}
	if crossBuild(platforms.DefaultSpec(), nil) {
		t.Error("no --platform builds for the frontend's own platform")
	}
}
