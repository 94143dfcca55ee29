package integration

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/frontend/subrequests/lint"
	"github.com/moby/buildkit/solver/errdefs"

	"github.com/org/safe-frontend/frontend"
	"github.com/org/safe-frontend/internal/buildrun"
	"github.com/org/safe-frontend/internal/hardened"
	"github.com/org/safe-frontend/internal/ocitar"
	"github.com/org/safe-frontend/rules"
)

// buildOpts describes one build of a spec directory.
type buildOpts struct {
	dir       string            // context and spec directory
	filename  string            // spec file name, default Dockerfile
	attrs     map[string]string // extra frontend attrs (build-arg:..., vcs:...)
	secrets   map[string][]byte
	inProcess bool // our BuildFunc in this process; else dockerfile.v0 -> # syntax= image
	out       string
	localDir  string // export the result's files here
	push      string // image name to push to (the stack's registry)
	noCache   bool
}

func newClient(t *testing.T) *client.Client {
	t.Helper()
	c, err := client.New(testContext(t), buildkitHost)
	if err != nil {
		t.Fatalf("connecting to %s: %v", buildkitHost, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func build(t *testing.T, o buildOpts) (*buildrun.Result, error) {
	t.Helper()
	opt := buildrun.Options{Dir: o.dir, Filename: o.filename, Attrs: o.attrs, Secrets: o.secrets, OCITar: o.out, LocalDir: o.localDir, Push: o.push, NoCache: o.noCache}
	if o.inProcess {
		opt.BuildFunc = frontend.Build
	}
	res, err := buildrun.Build(testContext(t), newClient(t), opt)
	if res == nil {
		res = &buildrun.Result{}
	}
	return res, err
}

// mustBuild builds and fails the test with the build's log on error.
func mustBuild(t *testing.T, o buildOpts) *buildrun.Result {
	t.Helper()
	res, err := build(t, o)
	if err != nil {
		t.Fatalf("build of %s failed: %v\n--- build log\n%s", o.dir, err, tail(res.Logs, 4000))
	}
	return res
}

// subrequest runs our BuildFunc for a subrequest and returns its metadata.
func subrequest(t *testing.T, dir, filename, request string) (map[string][]byte, error) {
	t.Helper()
	res, err := buildrun.Build(testContext(t), newClient(t), buildrun.Options{
		Dir: dir, Filename: filename, BuildFunc: frontend.Build,
		Attrs: map[string]string{"requestid": request, "frontend.caps": "moby.buildkit.frontend.subrequests"},
	})
	if err != nil {
		return nil, err
	}
	return res.Metadata, nil
}

// copyDir copies an example into a scratch directory a test may edit.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		dt, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, dt, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func example(name string) string { return filepath.Join(repoRoot, "examples", name) }

// sourceLines lists "file:line" of every source an error carries.
func sourceLines(err error) []string {
	var out []string
	for _, s := range errdefs.Sources(err) {
		for _, r := range s.Ranges {
			out = append(out, fmt.Sprintf("%s:%d", s.Info.Filename, r.Start.Line))
		}
	}
	return out
}

// blobsContain reports every blob of an OCI tar (layers decompressed,
// configs, manifests) whose content contains needle.
func blobsContain(t *testing.T, ociTar string, needle []byte) []string {
	t.Helper()
	var hits []string
	n := 0
	err := ocitar.Entries(ociTar, func(name string, dt []byte) error {
		n++
		if bytes.Contains(dt, needle) {
			hits = append(hits, name)
		}
		_, err := ocitar.LayerFiles(dt, func(h *tar.Header, r io.Reader) error {
			plain, err := io.ReadAll(r)
			if err == nil && bytes.Contains(plain, needle) {
				hits = append(hits, name+":"+h.Name)
			}
			return err
		})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 3 {
		t.Fatalf("%s has only %d entries; not an image", ociTar, n)
	}
	return hits
}

func openImage(t *testing.T, ociTar string) *hardened.Image {
	t.Helper()
	img, err := hardened.Open(ociTar)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func runCmd(t *testing.T, name string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(name, args...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

// requireEpochLayers checks that every entry of the image's last n layers
// (the ones the frontend adds), directories included, carries the epoch:
// without that, the digest depends on when and where the build ran. Their
// directories must be 0755 root:root and leave the base's alone
// (requireOurDirs).
func requireEpochLayers(t *testing.T, ociTar string, img *hardened.Image, n int, epoch time.Time) {
	t.Helper()
	layers := img.Manifest.Layers
	if len(layers) < n {
		t.Fatalf("image has %d layers, want at least %d", len(layers), n)
	}
	want := map[string]bool{}
	for _, l := range layers[len(layers)-n:] {
		want["blobs/sha256/"+l.Digest.Encoded()] = true
	}
	seen := 0
	err := ocitar.Entries(ociTar, func(name string, dt []byte) error {
		if !want[name] {
			return nil
		}
		seen++
		_, err := ocitar.LayerFiles(dt, func(h *tar.Header, _ io.Reader) error {
			if !h.ModTime.Equal(epoch) {
				t.Errorf("layer %s: %s has mtime %s, want the epoch %s", name, h.Name, h.ModTime.UTC(), epoch.UTC())
			}
			if h.Uid != 0 || h.Gid != 0 {
				t.Errorf("layer %s: %s is owned by %d:%d, want root", name, h.Name, h.Uid, h.Gid)
			}
			return nil
		})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if seen != n {
		t.Fatalf("found %d of the last %d layers in %s", seen, n, ociTar)
	}
	requireOurDirs(t, ociTar, img, n)
}

// eq reports a field whose value is not the wanted one, comparing them as
// printed.
func eq(t *testing.T, name string, got, want any) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%s = %v, want %v", name, got, want)
	}
}

// requireSameImageViaSyntax builds dir through `# syntax=` (the frontend
// image) and requires the manifest the in-process build gave: the same spec
// must give the same image whichever way the frontend is reached.
func requireSameImageViaSyntax(t *testing.T, dir string, inProc *hardened.Image) {
	t.Helper()
	viaSyntax := filepath.Join(t.TempDir(), "syntax.tar")
	mustBuild(t, buildOpts{dir: dir, attrs: provenanceAttrs(), out: viaSyntax})
	if other := openImage(t, viaSyntax); other.ManifestDigest != inProc.ManifestDigest {
		t.Errorf("built through # syntax= the manifest is %s, in process %s: the same spec must give the same image", other.ManifestDigest, inProc.ManifestDigest)
	}
}

// exampleConfig is what an example's image config must say beyond what
// every example shares.
type exampleConfig struct {
	name       string   // title label
	entrypoint []string // after the init
	initFlags  []string // tini's flags before "--" (-e 143 for a JVM)
	cmd        []string
	workingDir string // "" skips the check
	base       string // final base name label
}

// requireExampleConfig checks the image config every example built with
// provenanceAttrs shares: linux/amd64, the numeric user, tini in front of the
// app, SIGTERM, port 8080 only, the probe on /healthz, SOURCE_DATE_EPOCH as
// the creation time, and the OCI labels with the base by digest.
func requireExampleConfig(t *testing.T, img *hardened.Image, want exampleConfig) {
	t.Helper()
	c := img.Config
	eq(t, "os/arch", c.OS+"/"+c.Architecture, "linux/amd64")
	eq(t, "User", c.Config.User, "65532:65532")
	eq(t, "Entrypoint", c.Config.Entrypoint, slices.Concat([]string{"/usr/sbin/tini"}, want.initFlags, []string{"--"}, want.entrypoint))
	eq(t, "Cmd", c.Config.Cmd, want.cmd)
	if want.workingDir != "" {
		eq(t, "WorkingDir", c.Config.WorkingDir, want.workingDir)
	}
	eq(t, "StopSignal", c.Config.StopSignal, "SIGTERM")
	if _, ok := c.Config.ExposedPorts["8080/tcp"]; !ok || len(c.Config.ExposedPorts) != 1 {
		t.Errorf("ExposedPorts = %v, want 8080/tcp", c.Config.ExposedPorts)
	}
	sum, err := img.Summary()
	if err != nil {
		t.Fatal(err)
	}
	if hc := sum.Healthcheck; hc == nil {
		t.Errorf("no Healthcheck in the image config")
	} else {
		eq(t, "Healthcheck.Test", hc.Test, []string{"CMD", "/usr/sbin/safe-probe", "-timeout=3s", "http://127.0.0.1:8080/healthz"})
	}
	eq(t, "Created", c.Created.UTC().Format(time.RFC3339), "2023-11-14T22:13:20Z")
	l := c.Config.Labels
	eq(t, "title", l["org.opencontainers.image.title"], want.name)
	eq(t, "version", l["org.opencontainers.image.version"], "1.0.0")
	eq(t, "revision", l["org.opencontainers.image.revision"], testRevision)
	eq(t, "source", l["org.opencontainers.image.source"], testSource)
	eq(t, "licenses", l["org.opencontainers.image.licenses"], "MIT")
	eq(t, "base.name", l["org.opencontainers.image.base.name"], want.base)
	if !regexp.MustCompile(`^sha256:[0-9a-f]{64}$`).MatchString(l["org.opencontainers.image.base.digest"]) {
		t.Errorf("base.digest = %q, want a sha256 digest", l["org.opencontainers.image.base.digest"])
	}
}

// ourLayers lists the history entries the frontend wrote, "safe-frontend: "
// cut off.
func ourLayers(img *hardened.Image) []string {
	var ours []string
	for _, h := range img.Config.History {
		if s, ok := strings.CutPrefix(h.CreatedBy, "safe-frontend: "); ok {
			ours = append(ours, s)
		}
	}
	return ours
}

// lintCheck answers `--check` for the spec file in dir in process: the
// status (1 when an error-level rule fired) and every finding.
func lintCheck(t *testing.T, dir, file string) (string, *lint.LintResults) {
	t.Helper()
	meta, err := subrequest(t, dir, file, lint.SubrequestLintDefinition.Name)
	if err != nil {
		t.Fatalf("--check: %v", err)
	}
	var res lint.LintResults
	if err := json.Unmarshal(meta["result.json"], &res); err != nil {
		t.Fatalf("--check result: %v\n%s", err, meta["result.json"])
	}
	return string(meta["result.statuscode"]), &res
}

// requireCheckFinding wants --check on the spec file in dir to fail with a
// finding of rule (its ID, e.g. SF110) at the spec's line, whose message
// says each of says; it returns the message.
func requireCheckFinding(t *testing.T, dir, file, rule string, line int, says ...string) string {
	t.Helper()
	status, res := lintCheck(t, dir, file)
	if status != "1" || res.Error == nil {
		t.Errorf("--check status %q, error %+v: want a failure", status, res.Error)
	}
	var found []string
	for _, w := range res.Warnings {
		if !strings.HasPrefix(w.RuleName, rule+" ") {
			found = append(found, w.RuleName)
			continue
		}
		if w.URL != rules.DocBase+rule+".md" || len(w.Location.Ranges) == 0 || int(w.Location.Ranges[0].Start.Line) != line {
			t.Errorf("--check %s: page %s, location %+v; want its page and line %d", rule, w.URL, w.Location, line)
		}
		for _, s := range says {
			if !strings.Contains(w.Detail, s) {
				t.Errorf("--check %s does not say %q: %s", rule, s, w.Detail)
			}
		}
		return w.Detail
	}
	t.Fatalf("--check reported no %s (found %v)", rule, found)
	return ""
}

// editAfterBuild builds dir in process, then replaces old in its source
// file with a marker the daemon has not seen (an edit it has seen before
// is cached) and returns the file's path and the marker, for a test that a
// rebuild keeps the dependency steps CACHED.
func editAfterBuild(t *testing.T, dir, file, old string) (path, marker string) {
	t.Helper()
	mustBuild(t, buildOpts{dir: dir, inProcess: true})
	path = filepath.Join(dir, file)
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	marker = fmt.Sprintf("%s (%d)", old, time.Now().UnixNano())
	edited := strings.Replace(string(src), old, marker, 1)
	if edited == string(src) {
		t.Fatalf("%s has no %q to edit", file, old)
	}
	if err := os.WriteFile(path, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, marker
}

// outline is what the frontend.outline subrequest answers for a spec.
type outline struct {
	Args    []struct{ Name, Value string }
	Secrets []struct {
		Name     string
		Required bool
	}
}

// outlineOf asks the frontend for the outline of dir's Dockerfile.
func outlineOf(t *testing.T, dir string) outline {
	t.Helper()
	meta, err := subrequest(t, dir, "Dockerfile", "frontend.outline")
	if err != nil {
		t.Fatal(err)
	}
	var o outline
	if err := json.Unmarshal(meta["result.json"], &o); err != nil {
		t.Fatalf("outline: %v: %s", err, meta["result.json"])
	}
	return o
}

// sizeFigure says an image's compressed size and its layers' (MiB, base
// first).
func sizeFigure(img *hardened.Image) string {
	var sizes []string
	for _, l := range img.Manifest.Layers {
		sizes = append(sizes, fmt.Sprintf("%.2f", float64(l.Size)/(1<<20)))
	}
	return fmt.Sprintf("%.2f MiB compressed; layers (MiB, base first): %s", float64(img.CompressedSize())/(1<<20), strings.Join(sizes, " "))
}

// runToExit runs an image hardened until it exits and returns its exit
// code, output and the error of waiting for it.
func runToExit(t *testing.T, image, id string) (code int, stdout, stderr []byte, err error) {
	t.Helper()
	ctx := testContext(t)
	ctr, err := hardened.Run(ctx, hardened.Options{Image: image, StateDir: t.TempDir(), ID: fmt.Sprintf("%s-%d", id, time.Now().UnixNano())})
	if err != nil {
		t.Fatal(err)
	}
	code, err = ctr.Wait(ctx)
	stdout, stderr, _ = ctr.Logs()
	_, _ = ctr.Stop(ctx, time.Second)
	return code, stdout, stderr, err
}

// requireRefusedBeforeSteps wants a build refused with an error that says
// each of says at the spec's line (e.g. Dockerfile:4), before any step
// whose progress name starts with steps (e.g. "[rust ") ran.
func requireRefusedBeforeSteps(t *testing.T, res *buildrun.Result, err error, line, steps string, says ...string) {
	t.Helper()
	if err == nil {
		t.Fatal("built")
	}
	for _, want := range says {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %q: %v", want, err)
		}
	}
	if lines := sourceLines(err); !slices.Contains(lines, line) {
		t.Errorf("error sources %v do not include %s", lines, line)
	}
	for name := range res.Vertices {
		if strings.HasPrefix(name, steps) {
			t.Errorf("step %q ran although the spec was refused", name)
		}
	}
}
