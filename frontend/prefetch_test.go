package frontend

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/moby/buildkit/client/llb/sourceresolver"
	"github.com/moby/buildkit/frontend/gateway/client"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// countingResolver answers every resolve and counts them; the first one
// per reference fails when failFirst says so.
type countingResolver struct {
	client.Client
	mu        sync.Mutex
	calls     map[string]int
	failFirst bool
}

func (r *countingResolver) ResolveImageConfig(_ context.Context, ref string, _ sourceresolver.Opt) (string, digest.Digest, []byte, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls[ref]++
	if r.failFirst && r.calls[ref] == 1 {
		return "", "", nil, errors.New("registry unreachable")
	}
	return ref, digest.FromString(ref), []byte(`{}`), nil
}

func imageOpt(arch string) sourceresolver.Opt {
	return sourceresolver.Opt{LogName: "load metadata", ImageOpt: &sourceresolver.ResolveImageOpt{
		Platform: &ocispecs.Platform{OS: "linux", Architecture: arch}, ResolveMode: "default"}}
}

func TestResolveMemoAsksOnce(t *testing.T) {
	ctx := context.Background()
	cr := &countingResolver{calls: map[string]int{}}
	m := newResolveMemo(cr)
	for range 3 {
		_, d, _, err := m.ResolveImageConfig(ctx, "docker.io/library/node:22", imageOpt("amd64"))
		if err != nil || d != digest.FromString("docker.io/library/node:22") {
			t.Fatalf("resolve: %v %v", d, err)
		}
	}
	if _, _, _, err := m.ResolveImageConfig(ctx, "docker.io/library/node:22", imageOpt("arm64")); err != nil {
		t.Fatal(err)
	}
	if n := cr.calls["docker.io/library/node:22"]; n != 2 {
		t.Fatalf("resolved %d times, want once per platform (2)", n)
	}
	// Anything but a plain image resolve goes through every time.
	opt := imageOpt("amd64")
	opt.ImageOpt.ResolveAttestations = []string{"x"}
	for range 2 {
		if _, _, _, err := m.ResolveImageConfig(ctx, "docker.io/library/node:22", opt); err != nil {
			t.Fatal(err)
		}
	}
	if n := cr.calls["docker.io/library/node:22"]; n != 4 {
		t.Fatalf("resolved %d times, want 4", n)
	}
}

func TestResolveMemoRetriesAFailure(t *testing.T) {
	ctx := context.Background()
	cr := &countingResolver{calls: map[string]int{}, failFirst: true}
	m := newResolveMemo(cr)
	if _, _, _, err := m.ResolveImageConfig(ctx, "gcr.io/distroless/nodejs22-debian13:nonroot", imageOpt("amd64")); err == nil {
		t.Fatal("the first resolve should fail")
	}
	if _, _, _, err := m.ResolveImageConfig(ctx, "gcr.io/distroless/nodejs22-debian13:nonroot", imageOpt("amd64")); err != nil {
		t.Fatalf("a failed resolve is asked again: %v", err)
	}
}
