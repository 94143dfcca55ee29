package integration

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/moby/buildkit/client"
	"github.com/org/safe-frontend/internal/buildrun"
)

const (
	testRevision = "0123456789abcdef0123456789abcdef01234567"
	testSource   = "https://example.com/org/go-hello.git"
	testEpoch    = "1700000000"
)

func provenanceAttrs() map[string]string {
	return map[string]string{
		"vcs:revision":                testRevision,
		"vcs:source":                  testSource,
		"build-arg:SOURCE_DATE_EPOCH": testEpoch,
	}
}

// TestGoHello builds go-hello in process and through `# syntax=`, checks the
// image config field by field, checks both paths give the same image, and
// runs it hardened.
func TestGoHello(t *testing.T) {
	dir := t.TempDir()
	inProc := filepath.Join(dir, "in-process.tar")
	mustBuild(t, buildOpts{dir: example("go-hello"), inProcess: true, attrs: provenanceAttrs(), out: inProc})
	img := openImage(t, inProc)
	c := img.Config

	t.Run("config", func(t *testing.T) {
		requireExampleConfig(t, img, exampleConfig{name: "go-hello", entrypoint: []string{"/usr/local/bin/go-hello"}, cmd: []string{"--listen=:8080"},
			workingDir: "/", base: "gcr.io/distroless/static-debian13:nonroot"})
		sum, err := img.Summary()
		if err != nil {
			t.Fatal(err)
		}
		if hc := sum.Healthcheck; hc != nil {
			eq(t, "Healthcheck timings", []int64{hc.Interval, hc.Timeout, hc.StartPeriod, hc.StartInterval}, []int64{int64(10 * time.Second), int64(3 * time.Second), int64(10 * time.Second), int64(time.Second)})
			eq(t, "Healthcheck.Retries", hc.Retries, 3)
		}
		if !slices.Contains(c.Config.Env, "LOG_FORMAT=json") {
			t.Errorf("Env = %v, want LOG_FORMAT=json", c.Config.Env)
		}
		eq(t, "created", c.Config.Labels["org.opencontainers.image.created"], "2023-11-14T22:13:20Z")
		for _, h := range c.History {
			if h.Created == nil || h.Created.UTC().Format(time.RFC3339) > "2023-11-14T22:13:20Z" {
				t.Errorf("history %q created %v: later than SOURCE_DATE_EPOCH", h.CreatedBy, h.Created)
			}
		}
		if n := len(img.Manifest.Layers); n < 3 {
			t.Errorf("%d layers: want the distroless base, the runtime layer (init, probe) and the app layer", n)
		}
	})

	t.Run("layers-carry-the-epoch", func(t *testing.T) {
		requireEpochLayers(t, inProc, img, 2, time.Unix(1700000000, 0))
	})

	t.Run("syntax-image-same-digest", func(t *testing.T) {
		requireSameImageViaSyntax(t, example("go-hello"), img)
	})

	t.Run("run-hardened", func(t *testing.T) {
		serveHardened(t, inProc, listenOpts("go-hello", "127.0.0.1:18080"), nil)
	})
}

// TestSourceEditKeepsDependencyStepCached: editing a source file re-runs
// go build but not go mod download.
func TestSourceEditKeepsDependencyStepCached(t *testing.T) {
	dir := copyDir(t, example("go-hello"))
	editAfterBuild(t, dir, "cmd/hello/main.go", "hello from a hardened image")
	res := mustBuild(t, buildOpts{dir: dir, inProcess: true})
	downloadName, download := vertex(t, res, "go mod download")
	if !download.Cached {
		t.Errorf("%q was not CACHED after a source-only edit", downloadName)
	}
	buildName, gobuild := vertex(t, res, "] go build")
	if gobuild.Cached {
		t.Errorf("%q was CACHED although a source changed", buildName)
	}
	if !regexp.MustCompile(`^\[go 2/4\] go mod download$`).MatchString(downloadName) {
		t.Errorf("progress name %q, want [go 2/4] go mod download", downloadName)
	}
}

// vertex finds the progress vertex whose name contains part.
func vertex(t *testing.T, res *buildrun.Result, part string) (string, *client.Vertex) {
	t.Helper()
	for name, v := range res.Vertices {
		if strings.Contains(name, part) {
			return name, v
		}
	}
	t.Fatalf("no vertex named *%s*; saw %v", part, names(res))
	return "", nil
}

func names(res *buildrun.Result) []string {
	return slices.Sorted(maps.Keys(res.Vertices))
}

// TestInvalidSpecFailsAtLine: a refused spec fails before anything is built,
// naming the rule and pointing at the spec line, in process and via # syntax=.
func TestInvalidSpecFailsAtLine(t *testing.T) {
	dir := t.TempDir()
	spec := "# syntax=org/safe-frontend:1\nname: bad\nlanguage: go\nrun:\n  port: 80\n  env:\n    API_TOKEN: hunter2\n"
	if err := os.WriteFile(filepath.Join(dir, "app.yaml"), []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, inProcess := range []bool{true, false} {
		t.Run(fmt.Sprintf("inProcess=%v", inProcess), func(t *testing.T) {
			_, err := build(t, buildOpts{dir: dir, filename: "app.yaml", inProcess: inProcess})
			if err == nil {
				t.Fatal("a spec with a privileged port and a literal token was built")
			}
			for _, want := range []string{"SF204", "SF301"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error does not name %s: %v", want, err)
				}
			}
			lines := sourceLines(err)
			for _, want := range []string{"app.yaml:5", "app.yaml:7"} {
				if !slices.Contains(lines, want) {
					t.Errorf("error sources %v do not include %s", lines, want)
				}
			}
		})
	}
}

// TestNoSecretInImage: a random token passed as a build secret appears in
// no layer, config, history or label of the result.
func TestNoSecretInImage(t *testing.T) {
	dir := copyDir(t, example("go-hello"))
	spec, err := os.ReadFile(filepath.Join(dir, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	withSecrets := string(spec) + "secrets:\n  - id: token\n    env: APP_TOKEN\n    required: true\n  - id: netrc\n    target: /root/.netrc\n"
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(withSecrets), 0o644); err != nil {
		t.Fatal(err)
	}
	raw := make([]byte, 24)
	if _, err := rand.Read(raw); err != nil {
		t.Fatal(err)
	}
	token := hex.EncodeToString(raw)
	out := filepath.Join(t.TempDir(), "img.tar")
	mustBuild(t, buildOpts{dir: dir, inProcess: true, out: out, noCache: true,
		secrets: map[string][]byte{"token": []byte(token), "netrc": []byte("machine example.com password " + token)}})
	if hits := blobsContain(t, out, []byte(token)); len(hits) > 0 {
		t.Fatalf("the secret token is in the image: %v", hits)
	}

	t.Run("required-secret-missing", func(t *testing.T) {
		_, err := build(t, buildOpts{dir: dir, inProcess: true, noCache: true})
		if err == nil || !strings.Contains(err.Error(), "SF305") {
			t.Fatalf("a build without the required secret: err = %v, want SF305", err)
		}
	})
}

// TestOutlineAndTargets answers buildx's outline and targets subrequests.
func TestOutlineAndTargets(t *testing.T) {
	dir := t.TempDir()
	spec := "# syntax=org/safe-frontend:1\nname: outline\nlanguage: go\nbuild:\n  args:\n    GOFLAGS: -mod=readonly\nsecrets:\n  - id: netrc\n    target: /root/.netrc\n    required: true\n"
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	o := outlineOf(t, dir)
	if len(o.Args) != 1 || o.Args[0].Name != "GOFLAGS" || o.Args[0].Value != "-mod=readonly" {
		t.Errorf("outline args = %+v", o.Args)
	}
	if len(o.Secrets) != 2 || o.Secrets[0].Name != "netrc" || !o.Secrets[0].Required || o.Secrets[1].Name != "ca" {
		t.Errorf("outline secrets = %+v, want netrc (required) and ca", o.Secrets)
	}
	meta, err := subrequest(t, dir, "Dockerfile", "frontend.targets")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"default": true`, `"name": "manifests"`, `"name": "dockerfile"`, `"name": "plan"`} {
		if !strings.Contains(string(meta["result.json"]), want) {
			t.Errorf("targets = %s, want %s", meta["result.json"], want)
		}
	}
}

// TestExemptionsAndWarnings: an exempted rule does not refuse the build and
// is recorded in the image label; a warning reaches the client with its rule
// and spec line; a named context replaces a base and its digest is recorded.
func TestExemptionsAndWarnings(t *testing.T) {
	dir := copyDir(t, example("go-hello"))
	spec := `# syntax=org/safe-frontend:1
name: go-hello
version: 1.0.0
language: go
go:
  main: ./cmd/hello
run:
  args: ["--listen=:80"]
  port: 80
allow:
  - rule: SF204
    reason: binds :80 directly; the pod grants NET_BIND_SERVICE only
`
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "img.tar")
	res := mustBuild(t, buildOpts{dir: dir, inProcess: true, out: out, attrs: map[string]string{
		"context:gcr.io/distroless/static-debian13": "docker-image://gcr.io/distroless/base-debian13:nonroot",
	}})
	labels := openImage(t, out).Config.Config.Labels
	ex := labels["org.safe-frontend.exemptions"]
	if !strings.Contains(ex, "SF204") || !strings.Contains(ex, "NET_BIND_SERVICE") {
		t.Errorf("exemption label = %q, want SF204 with its reason", ex)
	}
	var sawHealth bool
	for _, w := range res.Warnings {
		if strings.Contains(string(w.Short), "SF205") {
			sawHealth = true
			if len(w.Range) == 0 || w.SourceInfo == nil || w.SourceInfo.Filename != "Dockerfile" {
				t.Errorf("SF205 warning has no spec range: %+v", w)
			}
		}
	}
	if !sawHealth {
		t.Errorf("no SF205 warning for a spec without a health check; warnings: %d", len(res.Warnings))
	}
	// The named context replaced the final base: its digest, not the
	// default's, is recorded, under the name the spec asked for.
	def := openImage(t, mustBuildDefault(t))
	if labels["org.opencontainers.image.base.name"] != "gcr.io/distroless/static-debian13:nonroot" {
		t.Errorf("base.name = %q", labels["org.opencontainers.image.base.name"])
	}
	if d := labels["org.opencontainers.image.base.digest"]; d == "" || d == def.Config.Config.Labels["org.opencontainers.image.base.digest"] {
		t.Errorf("base.digest = %q: want the override's digest, not empty or the default's", d)
	}
}

func mustBuildDefault(t *testing.T) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "default.tar")
	mustBuild(t, buildOpts{dir: example("go-hello"), inProcess: true, out: out})
	return out
}
