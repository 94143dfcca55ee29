package integration

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moby/buildkit/client"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

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
	// travel, when set, also checks that the dependency layers travel
	// with a registry cache (see checkTravel).
	travel *travelCheck
}

// travelCheck describes the build a fresh CI runner does after a source
// edit, importing the registry cache of a cold build.
type travelCheck struct {
	edit     string         // file (in the example) that gets one more line
	line     string         // the line, a comment
	depSteps []string       // progress-name suffixes of the dependency steps: CACHED
	appStep  string         // progress-name suffix of the app step: it runs
	inApp    *regexp.Regexp // output the app step must show (it really built)
	notInApp *regexp.Regexp // output that means it fetched or compiled a dependency again
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
	_, d, err := buildAsIsWith(t, c, dir, o, buildrun.Options{NoCache: noCache, OCITar: out})
	return d, err
}

// buildAsIsWith is buildAsIs with more options (cache import and export).
func buildAsIsWith(t *testing.T, c *client.Client, dir string, o reproOpts, bo buildrun.Options) (*buildrun.Result, digest.Digest, error) {
	attrs := map[string]string{"vcs:revision": testRevision, "vcs:source": testSource}
	if o.epoch != "" {
		attrs["build-arg:SOURCE_DATE_EPOCH"] = o.epoch
	}
	maps.Copy(attrs, o.attrs)
	bo.Dir, bo.Filename, bo.Attrs, bo.BuildFunc, bo.AsBuilt = dir, o.filename, attrs, frontend.Build, true
	res, err := buildrun.Build(testContext(t), c, bo)
	if err != nil {
		return res, "", fmt.Errorf("%w\n--- build log\n%s", err, tail(res.Logs, 3000))
	}
	img, err := hardened.Open(bo.OCITar)
	if err != nil {
		return res, "", err
	}
	return res, img.ManifestDigest, nil
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
	// With a travel check, A also exports its cache to the registry, as a
	// CI runner does with --cache-to type=registry,mode=max.
	var cacheRepo, cacheTag string
	var cacheAttrs map[string]string
	if o.travel != nil {
		cacheRepo, cacheTag = "test-cache/travel-"+filepath.Base(dir), fmt.Sprint(time.Now().UnixNano())
		cacheAttrs = map[string]string{"ref": fmt.Sprintf("%s/%s:%s", stackRegistry, cacheRepo, cacheTag), "registry.insecure": "true"}
	}
	var wg sync.WaitGroup
	for i, rb := range builds[:2] {
		wg.Go(func() {
			start := time.Now()
			bo := buildrun.Options{NoCache: true, OCITar: rb.ociTar}
			if i == 0 && o.travel != nil {
				exp := maps.Clone(cacheAttrs)
				exp["mode"] = "max"
				bo.CacheExports = []client.CacheOptionsEntry{{Type: "registry", Attrs: exp}}
			}
			_, rb.manifest, rb.err = buildAsIsWith(t, clients[i], dir, o, bo)
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
	if o.travel != nil {
		checkTravel(t, clients[1], dir, o, cacheRepo, cacheTag, cacheAttrs)
	}
	return builds[0].manifest
}

// checkTravel: the dependency layers travel with a registry cache. B, the
// second fresh daemon, is pruned of everything (like a new CI runner), then
// builds a copy of the example with a one-line source edit, importing the
// cache A exported: the dependency steps are CACHED, and the app step
// builds the app alone (nothing fetched, no dependency compiled).
func checkTravel(t *testing.T, c *client.Client, dir string, o reproOpts, repo, tag string, cacheAttrs map[string]string) {
	t.Helper()
	tr := o.travel
	index, _ := getManifest(t, repo, tag)
	t.Cleanup(func() { deleteManifest(t, repo, digest.FromBytes(index)) })
	// An index of the blobs, or an image manifest (image-manifest=true).
	var idx struct {
		Manifests []ocispecs.Descriptor `json:"manifests"`
		Layers    []ocispecs.Descriptor `json:"layers"`
	}
	if err := json.Unmarshal(index, &idx); err != nil {
		t.Fatalf("the registry cache %s:%s: %v", repo, tag, err)
	}
	var sizes []int64
	var total int64
	for _, m := range append(idx.Manifests, idx.Layers...) {
		sizes = append(sizes, m.Size)
		total += m.Size
	}
	slices.Sort(sizes)
	slices.Reverse(sizes)
	t.Logf("registry cache %s:%s: %d blobs, %.1f MB compressed, largest %v bytes", repo, tag, len(sizes), float64(total)/1e6, sizes[:min(4, len(sizes))])

	ctx := testContext(t)
	usage := make(chan client.UsageInfo)
	var pruned int
	var freed int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		for u := range usage {
			pruned++
			freed += u.Size
		}
	}()
	err := c.Prune(ctx, usage, client.PruneAll)
	close(usage)
	<-done
	if err != nil {
		t.Fatalf("pruning daemon B: %v", err)
	}
	left, err := c.DiskUsage(ctx)
	if err != nil {
		t.Fatalf("disk usage of daemon B: %v", err)
	}
	if len(left) != 0 {
		t.Fatalf("daemon B still holds %d cache records after a prune of everything", len(left))
	}
	t.Logf("daemon B pruned: %d records, %.1f MB", pruned, float64(freed)/1e6)

	edited := copyDir(t, dir)
	f := filepath.Join(edited, tr.edit)
	src, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(f, append(src, []byte(tr.line+"\n")...), 0o644); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	res, _, err := buildAsIsWith(t, c, edited, o, buildrun.Options{OCITar: filepath.Join(t.TempDir(), "edited.tar"),
		CacheImports: []client.CacheOptionsEntry{{Type: "registry", Attrs: cacheAttrs}}})
	if err != nil {
		t.Fatalf("the edited build on pruned daemon B with --cache-from failed: %v", err)
	}
	t.Logf("edited build on pruned daemon B with --cache-from: %s", time.Since(start).Round(100*time.Millisecond))

	find := func(suffix string) string {
		for name := range res.Vertices {
			if strings.HasSuffix(name, suffix) && isStep(name) {
				return name
			}
		}
		t.Fatalf("no step *%s in the edited build: %v", suffix, names(res))
		return ""
	}
	for _, s := range tr.depSteps {
		if name := find(s); !res.LoadedFromCache[name] {
			t.Errorf("%s ran on a runner that imported the registry cache; want CACHED (its layer from the cache)", name)
		}
	}
	app := find(tr.appStep)
	if res.LoadedFromCache[app] {
		t.Fatalf("%s is CACHED after a source edit: the edit did not reach the app build", app)
	}
	out := res.VertexLogs[app]
	if !tr.inApp.MatchString(out) {
		t.Errorf("%s does not show %s; its output:\n%s", app, tr.inApp, tail(out, 3000))
	}
	if m := tr.notInApp.FindAllString(out, -1); len(m) > 0 {
		t.Errorf("%s fetched or compiled dependencies again (the dependency layers did not travel): %q\n--- its output\n%s", app, m, tail(out, 3000))
	}
	if d := res.Vertices[app]; d != nil && d.Started != nil && d.Completed != nil {
		t.Logf("%s: %s", app, d.Completed.Sub(*d.Started).Round(100*time.Millisecond))
	}
}

// TestReproducibleGoHello: the same spec, sources and bases give the same
// image digest on any daemon, with or without cache, without the
// exporter's rewrite-timestamp.
func TestReproducibleGoHello(t *testing.T) {
	requireReproducible(t, example("go-hello"), reproOpts{epoch: testEpoch})
}
