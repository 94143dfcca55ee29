package integration

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	gateway "github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/frontend/subrequests/lint"

	"github.com/org/safe-frontend/frontend"
	"github.com/org/safe-frontend/internal/buildrun"
	"github.com/org/safe-frontend/internal/hardened"
)

// ejectExamples are the examples whose language plans its build: each is
// ejected and built with BuildKit's own Dockerfile frontend.
var ejectExamples = []struct {
	name    string
	edit    string // a source file a source edit touches
	comment string // how a line comment starts in it
	// deps name the Dockerfile build's dependency steps (a part of their
	// progress names): each names at least one, and all it names stay
	// CACHED after the edit.
	deps []string
}{
	{"go-hello", "cmd/hello/main.go", "//", []string{`"go", "mod", "download"`}},
	{"node-hello", "server.js", "//", []string{"[node-prod "}},
	{"python-hello", "hello.py", "#", []string{"[python-deps "}},
	{"rust-hello", "src/main.rs", "//", []string{"[rust  6/10] RUN", "[rust  7/10] RUN"}},
	{"java-hello", "src/main/java/org/example/hello/Main.java", "//", []string{"[java 4/6] RUN"}},
}

// TestEject ejects each planned example (the frontend's dockerfile target)
// and builds the Dockerfile with BuildKit's Dockerfile frontend on the
// stack: `--check` finds nothing in it, its final filesystem is the
// frontend's file for file (path, type, mode, owner, size, content), its
// config is the frontend's, and a source edit leaves the dependency step
// CACHED there too. Both sides export with rewrite-timestamp; where the
// digests differ the test says why.
func TestEject(t *testing.T) {
	for _, ex := range ejectExamples {
		t.Run(ex.name, func(t *testing.T) {
			dir := copyDir(t, example(ex.name))
			ejected := t.TempDir()
			// The epoch of the builds below: Java's jar entries carry it.
			if _, err := buildrun.Build(testContext(t), newClient(t), buildrun.Options{Dir: dir,
				Attrs:     map[string]string{"target": "dockerfile", "build-arg:SOURCE_DATE_EPOCH": testEpoch},
				BuildFunc: frontend.Build, LocalDir: ejected}); err != nil {
				t.Fatalf("--target dockerfile: %v", err)
			}
			for _, f := range []string{"Dockerfile", ".dockerignore"} {
				dt, err := os.ReadFile(filepath.Join(ejected, f))
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, f), dt, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			requireNoCheckWarnings(t, dir)
			tmp := t.TempDir()
			ours := buildViaSyntaxInto(t, example(ex.name), filepath.Join(tmp, "frontend.tar"))
			theirs := filepath.Join(tmp, "dockerfile.tar")
			mustBuild(t, buildOpts{dir: dir, attrs: map[string]string{"build-arg:SOURCE_DATE_EPOCH": testEpoch}, out: theirs})
			requireSameFiles(t, ours, openImage(t, theirs), tmp)
			requireEjectedConfig(t, ours.img, openImage(t, theirs))
			if d1, d2 := ours.img.ManifestDigest, openImage(t, theirs).ManifestDigest; d1 != d2 {
				t.Logf("figure: %s digests differ (frontend %s, Dockerfile %s): the Dockerfile's final stage is one layer per COPY (%d layers against %d) with its own history, and FROM keeps the base's labels",
					ex.name, d1, d2, len(openImage(t, theirs).Manifest.Layers), len(ours.img.Manifest.Layers))
			}
			requireEditCached(t, dir, ex.edit, ex.comment, ex.deps)
		})
	}
}

type builtImage struct {
	path string
	img  *hardened.Image
}

// buildViaSyntaxInto builds an example through the frontend with the
// epoch only (no vcs labels: the Dockerfile build has none either).
func buildViaSyntaxInto(t *testing.T, dir, out string) builtImage {
	t.Helper()
	mustBuild(t, buildOpts{dir: dir, attrs: map[string]string{"build-arg:SOURCE_DATE_EPOCH": testEpoch}, out: out})
	return builtImage{out, openImage(t, out)}
}

// requireNoCheckWarnings asks the Dockerfile frontend's check (docker
// buildx build --check) of the ejected Dockerfile and wants no finding.
func requireNoCheckWarnings(t *testing.T, dir string) {
	t.Helper()
	var meta map[string][]byte
	_, err := buildrun.Build(testContext(t), newClient(t), buildrun.Options{Dir: dir,
		BuildFunc: func(ctx context.Context, c gateway.Client) (*gateway.Result, error) {
			res, err := c.Solve(ctx, gateway.SolveRequest{Frontend: "dockerfile.v0", FrontendOpt: map[string]string{
				"requestid": lint.SubrequestLintDefinition.Name, "frontend.caps": "moby.buildkit.frontend.subrequests"}})
			if err != nil {
				return nil, err
			}
			meta = res.Metadata
			return res, nil
		}})
	if err != nil {
		t.Fatalf("--check of the ejected Dockerfile: %v", err)
	}
	var res lint.LintResults
	if err := json.Unmarshal(meta["result.json"], &res); err != nil {
		t.Fatalf("--check result: %v\n%s", err, meta["result.json"])
	}
	for _, w := range res.Warnings {
		t.Errorf("--check of the ejected Dockerfile: %s: %s", w.RuleName, w.Detail)
	}
	if res.Error != nil {
		t.Errorf("--check of the ejected Dockerfile failed: %s", res.Error.Message)
	}
}

// fileInfo is what the comparison holds of one path.
type fileInfo struct {
	mode     fs.FileMode
	uid, gid uint32
	size     int64
	sum      string // content (files) or target (links)
}

// requireSameFiles unpacks both images and compares every path.
func requireSameFiles(t *testing.T, ours builtImage, theirs *hardened.Image, tmp string) {
	t.Helper()
	a, b := filepath.Join(tmp, "rootfs-frontend"), filepath.Join(tmp, "rootfs-dockerfile")
	if err := ours.img.Unpack(a); err != nil {
		t.Fatal(err)
	}
	if err := theirs.Unpack(b); err != nil {
		t.Fatal(err)
	}
	fa, fb := treeFiles(t, a), treeFiles(t, b)
	for _, p := range slices.Sorted(maps.Keys(fa)) {
		if got, ok := fb[p]; !ok {
			t.Errorf("%s is in the frontend's image, not in the Dockerfile's", p)
		} else if got != fa[p] {
			t.Errorf("%s differs: frontend %+v, Dockerfile %+v", p, fa[p], got)
		}
	}
	for _, p := range slices.Sorted(maps.Keys(fb)) {
		if _, ok := fa[p]; !ok {
			t.Errorf("%s is in the Dockerfile's image, not in the frontend's", p)
		}
	}
	t.Logf("figure: %d paths compared", len(fa))
}

func treeFiles(t *testing.T, root string) map[string]fileInfo {
	t.Helper()
	out := map[string]fileInfo{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == root {
			return err
		}
		st, err := os.Lstat(p)
		if err != nil {
			return err
		}
		sys := st.Sys().(*syscall.Stat_t)
		fi := fileInfo{mode: st.Mode(), uid: sys.Uid, gid: sys.Gid}
		switch {
		case st.Mode().IsRegular():
			fi.size, fi.sum = st.Size(), fileSum(t, p)
		case st.Mode()&fs.ModeSymlink != 0:
			fi.sum, _ = os.Readlink(p)
		}
		out[strings.TrimPrefix(p, root)] = fi
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func fileSum(t *testing.T, p string) string {
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}

// requireEjectedConfig compares the configs; labels the Dockerfile's image
// has beyond the frontend's must be the base's, which FROM keeps.
func requireEjectedConfig(t *testing.T, ours, theirs *hardened.Image) {
	t.Helper()
	requireSameRunConfig(t, "the Dockerfile's image", theirs, ours)
	g, w := theirs.Config.Config, ours.Config.Config
	for k, v := range w.Labels {
		if k != "org.opencontainers.image.created" {
			eq(t, "label "+k, g.Labels[k], v)
		}
	}
	for k, v := range g.Labels {
		switch _, ok := w.Labels[k]; {
		case ok:
		case v == "" && (k == "org.opencontainers.image.revision" || k == "org.opencontainers.image.source"):
			// Built without VCS_REVISION and VCS_SOURCE: empty, not absent.
		default:
			t.Logf("figure: the Dockerfile's image keeps the base's label %s (FROM inherits labels; the frontend does not)", k)
		}
	}
}

// requireEditCached edits a source file and rebuilds the Dockerfile: the
// dependency steps must be CACHED.
func requireEditCached(t *testing.T, dir, file, comment string, deps []string) {
	t.Helper()
	p := filepath.Join(dir, file)
	dt, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, append(dt, []byte("\n"+comment+" edited by the eject test\n")...), 0o644); err != nil {
		t.Fatal(err)
	}
	res := mustBuild(t, buildOpts{dir: dir, attrs: map[string]string{"build-arg:SOURCE_DATE_EPOCH": testEpoch}})
	for _, d := range deps {
		found := false
		for name := range res.Vertices {
			// A FROM resolves its image again on every build.
			if strings.Contains(name, d) && !strings.Contains(name, "] FROM ") {
				found = true
				if !res.LoadedFromCache[name] {
					t.Errorf("after a source edit the Dockerfile's %q ran again", name)
				}
			}
		}
		if !found {
			t.Errorf("no step %q in the Dockerfile's build: %q", d, slices.Sorted(maps.Keys(res.Vertices)))
		}
	}
}
