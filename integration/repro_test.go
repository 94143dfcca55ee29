package integration

import (
	"fmt"
	"maps"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/moby/buildkit/client"
	digest "github.com/opencontainers/go-digest"

	"github.com/org/safe-frontend/frontend"
	"github.com/org/safe-frontend/internal/buildrun"
	"github.com/org/safe-frontend/internal/hardened"
	"github.com/org/safe-frontend/internal/repro"
)

// reproOpts describe the builds a reproducibility check compares.
type reproOpts struct {
	filename string
	epoch    string            // SOURCE_DATE_EPOCH; "" builds without it (epoch 0)
	attrs    map[string]string // more frontend attrs (platform, build args)
}

// reproBuild is one build of the check: where, how, and what came out.
type reproBuild struct {
	where    string
	ociTar   string
	manifest digest.Digest
	took     time.Duration
	err      error
}

// buildAsIs builds dir in process on c and exports the image as the
// frontend made it: no rewrite-timestamp asked of the exporter.
func buildAsIs(t *testing.T, c *client.Client, dir string, o reproOpts, noCache bool, out string) (digest.Digest, error) {
	attrs := map[string]string{"vcs:revision": testRevision, "vcs:source": testSource}
	if o.epoch != "" {
		attrs["build-arg:SOURCE_DATE_EPOCH"] = o.epoch
	}
	maps.Copy(attrs, o.attrs)
	res, err := buildrun.Build(testContext(t), c, buildrun.Options{
		Dir: dir, Filename: o.filename, Attrs: attrs, BuildFunc: frontend.Build,
		OCITar: out, NoCache: noCache, AsBuilt: true,
	})
	if err != nil {
		return "", fmt.Errorf("%w\n--- build log\n%s", err, tail(res.Logs, 3000))
	}
	img, err := hardened.Open(out)
	if err != nil {
		return "", err
	}
	return img.ManifestDigest, nil
}

// requireReproducible builds an example on two fresh daemons with
// --no-cache (in parallel) and once more on the stack's daemon with its
// cache, all with the same SOURCE_DATE_EPOCH, and requires one manifest
// digest. On a mismatch it fails with what differs: config fields, and per
// layer the files and their times.
func requireReproducible(t *testing.T, dir string, o reproOpts) digest.Digest {
	t.Helper()
	tmp := t.TempDir()
	a, b := startFreshDaemon(t), startFreshDaemon(t)
	builds := []*reproBuild{
		{where: "fresh daemon A, --no-cache", ociTar: filepath.Join(tmp, "a.tar")},
		{where: "fresh daemon B, --no-cache", ociTar: filepath.Join(tmp, "b.tar")},
		{where: "stack daemon, with its cache", ociTar: filepath.Join(tmp, "stack.tar")},
	}
	clients := []*client.Client{a.client(t), b.client(t), newClient(t)}
	var wg sync.WaitGroup
	for i, rb := range builds[:2] {
		wg.Go(func() {
			start := time.Now()
			rb.manifest, rb.err = buildAsIs(t, clients[i], dir, o, true, rb.ociTar)
			rb.took = time.Since(start)
		})
	}
	wg.Wait()
	start := time.Now()
	st := builds[2]
	st.manifest, st.err = buildAsIs(t, clients[2], dir, o, false, st.ociTar)
	st.took = time.Since(start)
	for _, rb := range builds {
		if rb.err != nil {
			t.Fatalf("build on %s failed: %v", rb.where, rb.err)
		}
		t.Logf("%s: %s in %s", rb.where, rb.manifest, rb.took.Round(100*time.Millisecond))
	}
	for _, rb := range builds[1:] {
		if rb.manifest == builds[0].manifest {
			continue
		}
		report, err := repro.Diff(builds[0].ociTar, rb.ociTar)
		if err != nil {
			report = "(cannot diff: " + err.Error() + ")"
		}
		t.Errorf("not reproducible: %s gave %s, %s gave %s; first vs second:\n%s",
			builds[0].where, builds[0].manifest, rb.where, rb.manifest, report)
	}
	if t.Failed() {
		t.FailNow()
	}
	return builds[0].manifest
}

// TestReproducibleGoHello: the same spec, sources and bases give the same
// image digest on any daemon, with or without cache, without the
// exporter's rewrite-timestamp.
func TestReproducibleGoHello(t *testing.T) {
	requireReproducible(t, example("go-hello"), reproOpts{epoch: testEpoch})
}
