package integration

import (
	"archive/tar"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/moby/buildkit/client"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/org/safe-frontend/internal/buildrun"
	"github.com/org/safe-frontend/internal/dockerd"
	"github.com/org/safe-frontend/internal/dockerrun"
	"github.com/org/safe-frontend/internal/hardened"
	"github.com/org/safe-frontend/internal/ocitar"
)

// The builders besides the stack's own buildkitd that every change is
// tested on (README, "Builders"): the oldest BuildKit release supported,
// the last one before fsutil gave created parents the file's mode (v0.21),
// and Docker Engine's built-in builder.
var oldBuildKits = []string{"v0.13.2", "v0.20.2"}

// getBuilder runs hack/builders/get (it builds or unpacks once, then
// reuses) and returns the path it printed.
func getBuilder(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command(filepath.Join(repoRoot, "hack", "builders", "get"), args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	start := time.Now()
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("hack/builders/get %s: %v\n%s\nfix: run hack/builders/get %s and read its error", strings.Join(args, " "), err, stderr.String(), strings.Join(args, " "))
	}
	t.Logf("hack/builders/get %s: %s", strings.Join(args, " "), time.Since(start).Round(10*time.Millisecond))
	return strings.TrimSpace(string(out))
}

// startOldBuildKit starts a buildkitd of an older release beside the
// stack's, mirroring docker.io and gcr.io to the stack's registry.
func startOldBuildKit(t *testing.T, version string) *client.Client {
	t.Helper()
	return startDaemon(t, getBuilder(t, "buildkitd", version), "buildkitd "+version, "bk-"+version+"-").client(t)
}

// buildViaSyntax builds an example through `# syntax=` (the frontend image,
// as users reach it) on c, with the test's revision, source and epoch, and
// exports the image as built.
func buildViaSyntax(t *testing.T, c *client.Client, name, out string) *hardened.Image {
	t.Helper()
	res, err := buildrun.Build(testContext(t), c, buildrun.Options{Dir: example(name), Attrs: provenanceAttrs(), OCITar: out, AsBuilt: true})
	if err != nil {
		t.Fatalf("building %s: %v\n--- build log\n%s", name, err, tail(res.Logs, 4000))
	}
	return openImage(t, out)
}

// TestBuildersOldBuildKit builds go-hello, node-hello and python-hello
// through `# syntax=` on standalone buildkitd v0.13.2 and v0.20.2 beside the
// stack's current release: the config is the current release's field by
// field, every directory of ours is 0755 root:root and leaves the base's
// alone, and go-hello has one digest on all three.
func TestBuildersOldBuildKit(t *testing.T) {
	examples := []string{"go-hello", "node-hello", "python-hello"}
	tmp := t.TempDir()
	current := map[string]*hardened.Image{}
	for _, ex := range examples {
		current[ex] = buildViaSyntax(t, newClient(t), ex, filepath.Join(tmp, "current-"+ex+".tar"))
	}
	for _, v := range oldBuildKits {
		t.Run(v, func(t *testing.T) {
			c := startOldBuildKit(t, v)
			for _, ex := range examples {
				start := time.Now()
				out := filepath.Join(tmp, v+"-"+ex+".tar")
				img := buildViaSyntax(t, c, ex, out)
				t.Logf("figure: %s on buildkitd %s, cold: %s", ex, v, time.Since(start).Round(100*time.Millisecond))
				requireSameConfig(t, ex+" on "+v, img, current[ex])
				requireOurDirs(t, out, img, len(ourLayers(img)))
				if ex == "go-hello" && img.ManifestDigest != current[ex].ManifestDigest {
					t.Errorf("go-hello on buildkitd %s is %s, on the current release %s: the same inputs must give one digest",
						v, img.ManifestDigest, current[ex].ManifestDigest)
				}
			}
		})
	}
}

// requireSameConfig compares two images' configs field by field.
func requireSameConfig(t *testing.T, what string, got, want *hardened.Image) {
	t.Helper()
	g, w := got.Config, want.Config
	eq(t, what+": os/arch", g.OS+"/"+g.Architecture, w.OS+"/"+w.Architecture)
	requireSameRunConfig(t, what, got, want)
	eq(t, what+": Labels", g.Config.Labels, w.Config.Labels)
	eq(t, what+": layers", len(got.Manifest.Layers), len(want.Manifest.Layers))
	eq(t, what+": history", ourLayers(got), ourLayers(want))
}

// requireSameRunConfig compares what an image runs with: user,
// entrypoint, cmd, env, workdir, ports, stop signal, health check, and its
// creation time.
func requireSameRunConfig(t *testing.T, what string, got, want *hardened.Image) {
	t.Helper()
	g, w := got.Config, want.Config
	eq(t, what+": Created", g.Created.UTC(), w.Created.UTC())
	eq(t, what+": User", g.Config.User, w.Config.User)
	eq(t, what+": Entrypoint", g.Config.Entrypoint, w.Config.Entrypoint)
	eq(t, what+": Cmd", g.Config.Cmd, w.Config.Cmd)
	eq(t, what+": Env", g.Config.Env, w.Config.Env)
	eq(t, what+": WorkingDir", g.Config.WorkingDir, w.Config.WorkingDir)
	eq(t, what+": ExposedPorts", g.Config.ExposedPorts, w.Config.ExposedPorts)
	eq(t, what+": StopSignal", g.Config.StopSignal, w.Config.StopSignal)
	gs, err := got.Summary()
	if err != nil {
		t.Fatal(err)
	}
	ws, err := want.Summary()
	if err != nil {
		t.Fatal(err)
	}
	eq(t, what+": Healthcheck", gs.Healthcheck, ws.Healthcheck)
}

// layerEntry is what a layer says of one path.
type layerEntry struct {
	typ      byte
	mode     int64
	uid, gid int
	link     string
}

// requireOurDirs checks the last n layers of an image (the frontend's):
// every directory in them is 0755 and root's, and none changes the type,
// mode or owner of what the base has at that path (a directory over the
// base's /sbin -> usr/sbin symlink would cut the base's /sbin off).
func requireOurDirs(t *testing.T, ociTar string, img *hardened.Image, n int) {
	t.Helper()
	layers := img.Manifest.Layers
	if n == 0 || len(layers) < n {
		t.Fatalf("image has %d layers, want at least %d of ours", len(layers), n)
	}
	// The blobs come in the archive's order, not the layers'.
	index := map[string]int{}
	for i, l := range layers {
		index["blobs/sha256/"+l.Digest.Encoded()] = i
	}
	entries := make([]map[string]layerEntry, len(layers))
	err := ocitar.Entries(ociTar, func(name string, dt []byte) error {
		i, ok := index[name]
		if !ok {
			return nil
		}
		entries[i] = map[string]layerEntry{}
		_, err := ocitar.LayerFiles(dt, func(h *tar.Header, _ io.Reader) error {
			entries[i][path.Clean("/"+h.Name)] = layerEntry{typ: h.Typeflag, mode: h.Mode & 0o7777, uid: h.Uid, gid: h.Gid, link: h.Linkname}
			return nil
		})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	base := map[string]layerEntry{}
	for _, l := range entries[:len(layers)-n] {
		maps.Copy(base, l)
	}
	checked := 0
	for i, l := range entries[len(layers)-n:] {
		for _, p := range slices.Sorted(maps.Keys(l)) {
			e := l[p]
			if e.typ == tar.TypeDir {
				checked++
				if e.mode != 0o755 || e.uid != 0 || e.gid != 0 {
					t.Errorf("layer %d of ours: directory %s is %04o %d:%d, want 0755 root:root", i+1, p, e.mode, e.uid, e.gid)
				}
			}
			if b, ok := base[p]; ok && (b.typ != e.typ || b.typ == tar.TypeDir && (b.mode != e.mode || b.uid != e.uid || b.gid != e.gid)) {
				t.Errorf("layer %d of ours changes the base's %s: %s, the base has %s", i+1, p, describe(e), describe(b))
			}
		}
	}
	if checked == 0 {
		t.Fatalf("no directory in the last %d layers of %s: not the frontend's layers", n, ociTar)
	}
}

func describe(e layerEntry) string {
	switch e.typ {
	case tar.TypeDir:
		return fmt.Sprintf("a directory %04o %d:%d", e.mode, e.uid, e.gid)
	case tar.TypeSymlink:
		return "a symlink to " + e.link
	}
	return fmt.Sprintf("a file %04o %d:%d", e.mode, e.uid, e.gid)
}

// dockerBuilder is a Docker Engine as users have it, with the client that
// comes with it.
type dockerBuilder struct {
	name       string
	engine     string // hack/builders/get docker ENGINE
	containerd bool   // the containerd image store
	// buildx is a standalone buildx to build with (repo-relative); "" is
	// the engine package's own `docker buildx` (Debian 13's buildx 0.13.1).
	buildx string
	// refused names the examples the builder cannot build, with the one
	// error it must answer.
	refused map[string]string
}

// olderThanV09 is the answer of a builder whose BuildKit predates the file
// copy patterns the Node build's layers need.
const olderThanV09 = "safe-frontend cannot build on this builder: its BuildKit lacks file.copy.includeexcludepatterns (BuildKit v0.9 and later), " +
	"so it is older than BuildKit v0.9; fix: upgrade Docker Engine to 23.0 or later, or build in a current BuildKit container: " +
	"docker buildx create --driver docker-container --use (see https://github.com/org/safe-frontend#builders)"

var dockerBuilders = []dockerBuilder{
	{name: "docker-26-classic-store", engine: "26"},
	{name: "docker-26-containerd-store", engine: "26", containerd: true},
	// Debian 12's engine has no buildx package: the stack's buildx drives it.
	{name: "docker-20.10", engine: "20.10", buildx: "_output/bin/docker-buildx", refused: map[string]string{"node-hello": olderThanV09}},
}

// TestBuildersDockerEngine builds go-hello and node-hello through
// `# syntax=` with Docker Engine's built-in BuildKit, the way a newcomer
// does: `docker buildx build .` with the default docker driver, the gcr.io
// bases reached with --build-context (the engine's mirror setting covers
// docker.io only). Each image is loaded in the engine, runs hardened and
// goes healthy; where the store can save it as OCI, its config is the
// stack's field by field and its directories leave the base's alone. A
// builder that cannot build an example answers with the one error.
func TestBuildersDockerEngine(t *testing.T) {
	examples := map[string]string{
		"go-hello":   "gcr.io/distroless/static-debian13:nonroot",
		"node-hello": "gcr.io/distroless/nodejs22-debian13:nonroot",
	}
	tmp := t.TempDir()
	current := map[string]*hardened.Image{}
	for ex := range examples {
		out := filepath.Join(tmp, "current-"+ex+".tar")
		mustBuild(t, buildOpts{dir: example(ex), attrs: map[string]string{"build-arg:SOURCE_DATE_EPOCH": testEpoch}, out: out})
		current[ex] = openImage(t, out)
	}
	for _, b := range dockerBuilders {
		t.Run(b.name, func(t *testing.T) {
			e := startDockerBuilder(t, b)
			for _, ex := range slices.Sorted(maps.Keys(examples)) {
				t.Run(ex, func(t *testing.T) {
					ref := "safe-test/" + ex + ":" + b.name
					start := time.Now()
					out, err := dockerBuild(t, e, b, ex, examples[ex], ref)
					if want, ok := b.refused[ex]; ok {
						if err == nil || !strings.Contains(out, want) {
							t.Fatalf("want the build refused with\n%s\ngot err %v, output:\n%s", want, err, tail(out, 3000))
						}
						return
					}
					if err != nil {
						t.Fatalf("docker buildx build %s: %v\n%s", ex, err, tail(out, 4000))
					}
					t.Logf("figure: %s on %s, cold: %s", ex, b.name, time.Since(start).Round(100*time.Millisecond))
					requireEngineImage(t, e, ref, filepath.Join(tmp, b.name+"-"+ex+".tar"), current[ex])
					runHealthy(t, &dockerrun.Engine{Host: e.Host, Docker: e.Docker()}, ref)
				})
			}
		})
	}
}

func startDockerBuilder(t *testing.T, b dockerBuilder) *dockerd.Engine {
	t.Helper()
	e, err := dockerd.Start(testContext(t), dockerd.Options{
		Root:            getBuilder(t, "docker", b.engine),
		Registry:        stackRegistry,
		ContainerdStore: b.containerd,
		Name:            b.name,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := e.Stop(); err != nil {
			t.Log(err)
		}
	})
	v, err := e.Version(testContext(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: Docker Engine %s", b.name, v)
	return e
}

// dockerBuild runs `docker buildx build` on the engine as a user would,
// with the CA secret build steps need here and host networking (the test
// engine has no bridge). BUILDX_GIT_INFO=false: the examples sit in this
// repository, and the configs are compared with builds without vcs labels.
func dockerBuild(t *testing.T, e *dockerd.Engine, b dockerBuilder, ex, final, ref string) (string, error) {
	t.Helper()
	args := []string{"build", "--progress=plain", "--network", "host", "--tag", ref,
		"--build-arg", "SOURCE_DATE_EPOCH=" + testEpoch,
		"--build-context", final + "=docker-image://" + stackRegistry + "/" + strings.TrimPrefix(final, "gcr.io/"),
		example(ex)}
	if ca := os.Getenv("SSL_CERT_FILE"); ca != "" {
		args = slices.Insert(args, 1, "--secret", "id=ca,src="+ca)
	}
	var cmd *exec.Cmd
	if b.buildx == "" {
		cmd = e.CLI(testContext(t), append([]string{"buildx"}, args...)...)
	} else {
		cmd = exec.CommandContext(testContext(t), filepath.Join(repoRoot, b.buildx), args...)
		cmd.Env = e.Env()
	}
	cmd.Env = append(cmd.Env, "BUILDX_GIT_INFO=false")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// requireEngineImage checks what the engine stored: the config the stack's
// build has, and (where `docker save` writes an OCI layout) our layers'
// directories.
func requireEngineImage(t *testing.T, e *dockerd.Engine, ref, out string, want *hardened.Image) {
	t.Helper()
	if b, err := e.CLI(testContext(t), "save", "--output", out, ref).CombinedOutput(); err != nil {
		t.Fatalf("docker save %s: %v\n%s", ref, err, b)
	}
	img, err := hardened.Open(out)
	if err != nil {
		t.Logf("docker save of %s is not an OCI layout (%v): its config is checked by docker inspect", ref, err)
		requireInspectConfig(t, e, ref, want)
		return
	}
	requireSameConfig(t, ref, img, want)
	requireOurDirs(t, out, img, len(ourLayers(img)))
}

// requireInspectConfig compares what `docker image inspect` shows of the
// config with want's.
func requireInspectConfig(t *testing.T, e *dockerd.Engine, ref string, want *hardened.Image) {
	t.Helper()
	b, err := e.CLI(testContext(t), "image", "inspect", "--format", "{{json .Config}}", ref).Output()
	if err != nil {
		t.Fatalf("docker image inspect %s: %v", ref, err)
	}
	var got ocispecs.ImageConfig
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	w := want.Config.Config
	eq(t, ref+": User", got.User, w.User)
	eq(t, ref+": Entrypoint", got.Entrypoint, w.Entrypoint)
	eq(t, ref+": Cmd", got.Cmd, w.Cmd)
	eq(t, ref+": Env", got.Env, w.Env)
	eq(t, ref+": Labels", got.Labels, w.Labels)
	eq(t, ref+": StopSignal", got.StopSignal, w.StopSignal)
}

// runHealthy runs the image with the hardened flags and requires it to go
// healthy on its own health check, with tini as PID 1.
func runHealthy(t *testing.T, e *dockerrun.Engine, ref string) {
	t.Helper()
	requireFreePort(t, 8080)
	c := runWithImageTimings(t, e, dockerrun.RunOptions{Image: ref})
	took, _ := waitHealth(t, c, "healthy", time.Minute)
	t.Logf("figure: %s healthy %s after docker run", ref, took.Round(10*time.Millisecond))
	requireInitPID1(t, dockerProcesses(t, c), "")
	stopWithin(t, c, 2*time.Second, 0, 143)
}
