package integration

import (
	"fmt"
	"maps"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/moby/buildkit/client"
	digest "github.com/opencontainers/go-digest"

	"github.com/org/safe-frontend/frontend"
	"github.com/org/safe-frontend/internal/buildrun"
	"github.com/org/safe-frontend/internal/hardened"
)

// stepName is a build step of the spec in progress output: "[go 4/4] go
// build ..." or "[final ...] ..." (per platform: "[linux/arm64 go 4/4] ...").
// Sources ("load build context", "load metadata", "FROM") are not steps.
var stepName = regexp.MustCompile(`^\[[^\]]*\b(\d+/\d+|final)\] `)

func isStep(name string) bool {
	return stepName.MatchString(name) && !strings.Contains(name, "] FROM ")
}

// TestRegistryCacheAcrossDaemons: a build on one daemon exports its cache to
// the registry (--cache-to type=registry,mode=max); a second, fresh daemon
// that shares no disk with it imports that cache (--cache-from) and runs no
// step: every one is CACHED, and the image is the same.
func TestRegistryCacheAcrossDaemons(t *testing.T) {
	repo := "test-cache/go-hello"
	tag := fmt.Sprint(time.Now().UnixNano())
	ref := fmt.Sprintf("%s/%s:%s", stackRegistry, repo, tag)
	attrs := map[string]string{"ref": ref, "registry.insecure": "true"}
	exportAttrs := maps.Clone(attrs)
	exportAttrs["mode"] = "max"

	tmp := t.TempDir()
	first, second := startFreshDaemon(t), startFreshDaemon(t)
	build := func(d *freshDaemon, o buildrun.Options) (*buildrun.Result, digest.Digest, time.Duration) {
		t.Helper()
		o.Dir, o.BuildFunc, o.Attrs = example("go-hello"), frontend.Build, provenanceAttrs()
		start := time.Now()
		res, err := buildrun.Build(testContext(t), d.client(t), o)
		if err != nil {
			t.Fatalf("build failed: %v\n--- build log\n%s", err, tail(res.Logs, 3000))
		}
		img, err := hardened.Open(o.OCITar)
		if err != nil {
			t.Fatal(err)
		}
		return res, img.ManifestDigest, time.Since(start)
	}

	_, wrote, took := build(first, buildrun.Options{OCITar: filepath.Join(tmp, "first.tar"),
		CacheExports: []client.CacheOptionsEntry{{Type: "registry", Attrs: exportAttrs}}})
	t.Logf("first daemon: %s, cache exported to %s, in %s", wrote, ref, took.Round(100*time.Millisecond))
	// The cache is an image index in the registry (getManifest fails the
	// test when it is missing).
	cacheIndex, mediaType := getManifest(t, repo, tag)
	t.Cleanup(func() { deleteManifest(t, repo, digest.FromBytes(cacheIndex)) })
	t.Logf("cache manifest %s (%s, %d bytes)", digest.FromBytes(cacheIndex), mediaType, len(cacheIndex))

	res, read, took := build(second, buildrun.Options{OCITar: filepath.Join(tmp, "second.tar"),
		CacheImports: []client.CacheOptionsEntry{{Type: "registry", Attrs: attrs}}})
	t.Logf("second daemon with --cache-from: %s in %s", read, took.Round(100*time.Millisecond))

	var steps, notCached []string
	for _, name := range slices.Sorted(maps.Keys(res.Vertices)) {
		if !isStep(name) {
			continue
		}
		steps = append(steps, name)
		// Not the last state: the step that gives the image is loaded from
		// the cache (BuildKit reports it CACHED), then shows the fetch of the
		// base layers the export needs, which this daemon never pulled.
		if !res.LoadedFromCache[name] {
			notCached = append(notCached, name)
		}
	}
	if len(steps) < 4 {
		t.Fatalf("only %d build steps in the progress (%v); the step pattern is out of date: %v", len(steps), steps, names(res))
	}
	if len(notCached) > 0 {
		t.Errorf("a fresh daemon importing the registry cache ran %d of %d steps instead of using the cache:\n  %s",
			len(notCached), len(steps), strings.Join(notCached, "\n  "))
	} else {
		t.Logf("%d steps, all CACHED: %s", len(steps), strings.Join(steps, "; "))
	}
	if read != wrote {
		t.Errorf("the cached build gave %s, the first %s", read, wrote)
	}
}
