package frontend

import (
	"strings"
	"testing"

	"github.com/containerd/platforms"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/org/safe-frontend/llbgen"
	"github.com/org/safe-frontend/lock"
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
	if lockable(llbgen.BaseRequest{Role: llbgen.RoleRuntime}) {
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
