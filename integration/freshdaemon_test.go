package integration

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/moby/buildkit/client"

	"github.com/org/safe-frontend/internal/buildkitd"
)

// freshDaemon is a buildkitd of its own for one test: own root, socket and
// config, nothing cached. It mirrors docker.io and gcr.io to the stack's
// registry like hack/stack's daemon, so base images come from there.
type freshDaemon struct {
	addr string
}

// startFreshDaemon starts one and stops it (and removes its state) when the
// test ends.
func startFreshDaemon(t *testing.T) *freshDaemon {
	t.Helper()
	return startDaemon(t, filepath.Join(repoRoot, "_output", "bin", "buildkitd"), "fresh buildkitd", "bk-")
}

// startDaemon starts the buildkitd binary bin as a fresh daemon.
func startDaemon(t *testing.T, bin, name, prefix string) *freshDaemon {
	t.Helper()
	d, err := buildkitd.Start(context.Background(), buildkitd.Options{
		Bin:        bin,
		Registry:   "127.0.0.1:5000",
		Name:       name,
		TempPrefix: prefix,
		Logf:       t.Logf,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := d.Stop(); err != nil {
			t.Log(err)
		}
	})
	return &freshDaemon{addr: d.Addr}
}

func (d *freshDaemon) client(t *testing.T) *client.Client {
	t.Helper()
	c, err := client.New(testContext(t), d.addr)
	if err != nil {
		t.Fatalf("connecting to %s: %v", d.addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}
