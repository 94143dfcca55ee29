// Command bench measures safe-frontend against a hand-written best-practice
// Dockerfile of the same app on the same BuildKit daemon, for every example
// (go-hello, node-hello, python-hello, rust-hello, java-hello): cold build, no-change rebuild, rebuild after a source edit
// (medians of N runs), image sizes (for Go against the binary's own size),
// and spec-to-LLB conversion time.
//
//	go run ./bench -runs 5 -out docs/benchmark.md
package main

import (
	"archive/tar"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/client/llb"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/org/safe-frontend/internal/buildrun"
	"github.com/org/safe-frontend/internal/hardened"
	"github.com/org/safe-frontend/internal/ocitar"
	"github.com/org/safe-frontend/llbgen"
	"github.com/org/safe-frontend/spec"
)

// app is one example measured against its hand-written Dockerfile.
type app struct {
	example    string // examples/<example>
	dockerfile string // the hand-written best-practice Dockerfile
	editFile   string // the source a developer edits
	editLine   string // appended on each edit (fmt: run index)
	// depStep identifies the dependency step in progress names: the
	// frontend's and the Dockerfile's exec-form RUN.
	depStep []string
}

var apps = []app{
	{"go-hello", "bench/go-hello.Dockerfile", "cmd/hello/main.go", "\nvar benchEdit%[1]d = %[1]d\n", []string{"go mod download", `"mod", "download"`}},
	{"node-hello", "bench/node-hello.Dockerfile", "server.js", "\n// bench edit %d\n", []string{"production install: npm ci", `"npm", "ci"`}},
	{"python-hello", "bench/python-hello.Dockerfile", "hello.py", "\nBENCH_EDIT_%[1]d = %[1]d\n", []string{"] pip install", "/venv/bin/pip install"}},
	// The hand-written Rust Dockerfile has one cargo step (target/ on a
	// cache mount): none of its steps stays CACHED after an edit.
	{"rust-hello", "bench/rust-hello.Dockerfile", "src/main.rs", "\n#[allow(dead_code)]\nconst BENCH_EDIT_%[1]d: u32 = %[1]d;\n", []string{"(dependencies of rust-hello)"}},
	// Both sides resolve from pom.xml alone with the dependency plugin:
	// "[java 2/6] mvn dependency:go-offline" and the Dockerfile's RUN.
	{"java-hello", "bench/java-hello.Dockerfile", "src/main/java/org/example/hello/Main.java", "\n// bench edit %d\n", []string{"dependency:go-offline"}},
}

func main() {
	runs := flag.Int("runs", 5, "runs per scenario (medians are reported)")
	out := flag.String("out", "", "also write the report as Markdown to this file")
	only := flag.String("apps", "go-hello,node-hello,python-hello,rust-hello,java-hello", "examples to measure, comma-separated")
	flag.Parse()
	if err := run(*runs, *out, strings.Split(*only, ",")); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

type side struct {
	name string
	dir  string
}

type timings struct{ cold, noChange, edit []time.Duration }

func run(runs int, out string, only []string) error {
	host := os.Getenv("BUILDKIT_HOST")
	if host == "" {
		return errors.New("BUILDKIT_HOST is not set: run `make bench`, which brings the stack up, or `eval $(hack/stack env)`")
	}
	ctx := context.Background()
	c, err := client.New(ctx, host)
	if err != nil {
		return err
	}
	defer c.Close()

	work, err := os.MkdirTemp("", "safe-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)

	var report strings.Builder
	for _, a := range apps {
		if !slices.Contains(only, a.example) {
			continue
		}
		sides, results, err := measure(ctx, c, work, a, runs)
		if err != nil {
			return err
		}
		switch a.example {
		case "go-hello":
			sizes, err := measureSizes(ctx, c, work, sides[0].dir, sides[1].dir)
			if err != nil {
				return err
			}
			conv := testing.Benchmark(benchmarkConvert)
			report.WriteString(render(runs, results, sides, sizes, conv))
		default:
			front, hand, err := compressedSizes(ctx, c, sides[0].dir, sides[1].dir)
			if err != nil {
				return err
			}
			report.WriteString(renderApp(a, runs, results, sides, front, hand))
		}
		report.WriteString("\n")
	}
	fmt.Print(report.String())
	if out != "" {
		header := "# Benchmark\n\nMeasured with `make bench` on a 2-core machine (buildkitd v0.34.2, runc, loopback registry).\n\n"
		return os.WriteFile(out, []byte(header+report.String()), 0o644)
	}
	return nil
}

// measure times cold, no-change and source-edit builds of an example
// through the frontend and through its hand-written Dockerfile (built-in
// and with `# syntax=`), rotating who goes first.
func measure(ctx context.Context, c *client.Client, work string, a app, runs int) ([]side, map[string]*timings, error) {
	frontendDir, err := copyExample(work, a, "frontend", "")
	if err != nil {
		return nil, nil, err
	}
	handDir, err := copyExample(work, a, "dockerfile", a.dockerfile)
	if err != nil {
		return nil, nil, err
	}
	// The same Dockerfile as best practice writes it, with a `# syntax=`
	// line: then both sides pay for a gateway frontend container.
	syntaxDir, err := copyExample(work, a, "dockerfile-syntax", a.dockerfile)
	if err != nil {
		return nil, nil, err
	}
	if err := prepend(filepath.Join(syntaxDir, "Dockerfile"), "# syntax=docker/dockerfile:1\n"); err != nil {
		return nil, nil, err
	}
	sides := []side{{"safe-frontend", frontendDir}, {"hand-written Dockerfile", handDir}, {"hand-written, # syntax=docker/dockerfile:1", syntaxDir}}
	results := map[string]*timings{}
	for _, s := range sides {
		results[s.name] = &timings{}
	}

	for i := 0; i < runs; i++ {
		// Rotate who goes first: the daemon warms up over a run.
		order := append(slices.Clone(sides[i%len(sides):]), sides[:i%len(sides)]...)
		for _, s := range order {
			t := results[s.name]
			if err := c.Prune(ctx, nil, client.PruneAll); err != nil {
				return nil, nil, fmt.Errorf("pruning the build cache: %w", err)
			}
			d, _, err := timedBuild(ctx, c, s.dir)
			if err != nil {
				return nil, nil, fmt.Errorf("%s %s cold build: %w", a.example, s.name, err)
			}
			t.cold = append(t.cold, d)
			d, _, err = timedBuild(ctx, c, s.dir)
			if err != nil {
				return nil, nil, fmt.Errorf("%s %s rebuild: %w", a.example, s.name, err)
			}
			t.noChange = append(t.noChange, d)
			if err := editSource(s.dir, a, i); err != nil {
				return nil, nil, err
			}
			d, res, err := timedBuild(ctx, c, s.dir)
			if err != nil {
				return nil, nil, fmt.Errorf("%s %s edit rebuild: %w", a.example, s.name, err)
			}
			if !dependencyStepCached(res, a) {
				return nil, nil, fmt.Errorf("%s %s: the dependency step was not CACHED after a source edit", a.example, s.name)
			}
			t.edit = append(t.edit, d)
			fmt.Fprintf(os.Stderr, "%s run %d/%d %-24s cold %6s  no-change %6s  edit %6s\n", a.example, i+1, runs, s.name,
				t.cold[i].Round(10*time.Millisecond), t.noChange[i].Round(10*time.Millisecond), t.edit[i].Round(10*time.Millisecond))
		}
	}
	return sides, results, nil
}

func copyExample(work string, a app, name, dockerfile string) (string, error) {
	dst := filepath.Join(work, a.example, name)
	src := filepath.Join("examples", a.example)
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		dt, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), dt, 0o644)
	})
	if err != nil {
		return "", err
	}
	if dockerfile != "" {
		dt, err := os.ReadFile(dockerfile)
		if err != nil {
			return "", err
		}
		if err := os.WriteFile(filepath.Join(dst, "Dockerfile"), dt, 0o644); err != nil {
			return "", err
		}
	}
	return dst, nil
}

func prepend(path, line string) error {
	dt, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return os.WriteFile(path, append([]byte(line), dt...), 0o644)
}

func timedBuild(ctx context.Context, c *client.Client, dir string) (time.Duration, *buildrun.Result, error) {
	start := time.Now()
	res, err := buildrun.Build(ctx, c, buildrun.Options{Dir: dir})
	if err != nil && res != nil {
		err = fmt.Errorf("%w\n%s", err, res.Logs)
	}
	return time.Since(start), res, err
}

// editSource changes the app's source, as a developer's edit would.
func editSource(dir string, a app, i int) error {
	p := filepath.Join(dir, filepath.FromSlash(a.editFile))
	dt, err := os.ReadFile(p)
	if err != nil {
		return err
	}
	dt = append(dt, fmt.Sprintf(a.editLine, i)...)
	return os.WriteFile(p, dt, 0o644)
}

// dependencyStepCached: "[go 2/4] go mod download", "[node 2/2]
// production install: npm ci ...", or the Dockerfile's exec-form RUN.
func dependencyStepCached(res *buildrun.Result, a app) bool {
	for name, v := range res.Vertices {
		for _, step := range a.depStep {
			if strings.Contains(name, step) {
				return v.Cached
			}
		}
	}
	return false
}

// compressedSizes builds the frontend's and the hand-written image and
// returns their compressed sizes.
func compressedSizes(ctx context.Context, c *client.Client, frontendDir, handDir string) (front, hand int64, err error) {
	for _, b := range []struct {
		dir  string
		size *int64
	}{{frontendDir, &front}, {handDir, &hand}} {
		tarPath := b.dir + ".oci.tar"
		if _, err := buildrun.Build(ctx, c, buildrun.Options{Dir: b.dir, OCITar: tarPath}); err != nil {
			return 0, 0, fmt.Errorf("building %s: %w", b.dir, err)
		}
		img, err := hardened.Open(tarPath)
		if err != nil {
			return 0, 0, err
		}
		*b.size = img.CompressedSize()
	}
	return front, hand, nil
}

type sizeReport struct {
	binary                          int64
	scratchCompressed, scratchLayer int64
	frontendCompressed, handCompr   int64
}

// measureSizes builds the scratch variant of the spec and both distroless
// images, and reads the binary's size from the image itself.
func measureSizes(ctx context.Context, c *client.Client, work, frontendDir, handDir string) (*sizeReport, error) {
	scratchDir := filepath.Join(work, "scratch")
	if err := os.CopyFS(scratchDir, os.DirFS(frontendDir)); err != nil {
		return nil, err
	}
	specPath := filepath.Join(scratchDir, "Dockerfile")
	dt, err := os.ReadFile(specPath)
	if err != nil {
		return nil, err
	}
	scratchSpec := strings.Replace(string(dt), "final: distroless", "final: scratch", 1)
	if scratchSpec == string(dt) {
		return nil, errors.New("examples/go-hello/Dockerfile has no `final: distroless` line to switch")
	}
	if err := os.WriteFile(specPath, []byte(scratchSpec), 0o644); err != nil {
		return nil, err
	}
	r := &sizeReport{}
	for _, b := range []struct {
		dir   string
		compr *int64
	}{{scratchDir, &r.scratchCompressed}, {frontendDir, &r.frontendCompressed}, {handDir, &r.handCompr}} {
		tarPath := b.dir + ".oci.tar"
		if _, err := buildrun.Build(ctx, c, buildrun.Options{Dir: b.dir, OCITar: tarPath}); err != nil {
			return nil, fmt.Errorf("building %s: %w", b.dir, err)
		}
		img, err := hardened.Open(tarPath)
		if err != nil {
			return nil, err
		}
		*b.compr = img.CompressedSize()
		if b.dir == scratchDir {
			r.binary, r.scratchLayer, err = layerSizes(tarPath, img, "usr/local/bin/go-hello")
			if err != nil {
				return nil, err
			}
		}
	}
	return r, nil
}

// layerSizes returns the size of one file inside the image and the total
// uncompressed size of all layers.
func layerSizes(ociTar string, img *hardened.Image, file string) (int64, int64, error) {
	blobs := map[string]bool{}
	for _, l := range img.Manifest.Layers {
		blobs["blobs/"+l.Digest.Algorithm().String()+"/"+l.Digest.Encoded()] = true
	}
	var fileSize, total int64
	err := ocitar.Entries(ociTar, func(name string, blob []byte) error {
		if !blobs[name] {
			return nil
		}
		_, err := ocitar.LayerFiles(blob, func(h *tar.Header, _ io.Reader) error {
			total += h.Size
			if strings.TrimPrefix(h.Name, "./") == file {
				fileSize = h.Size
			}
			return nil
		})
		return err
	})
	if err != nil {
		return 0, 0, err
	}
	if fileSize == 0 {
		return 0, 0, fmt.Errorf("%s not found in the image", file)
	}
	return fileSize, total, nil
}

func benchmarkConvert(b *testing.B) {
	data, err := os.ReadFile(filepath.Join("examples", "go-hello", "Dockerfile"))
	if err != nil {
		b.Fatal(err)
	}
	p := ocispecs.Platform{OS: "linux", Architecture: "amd64"}
	img := &dockerspec.DockerOCIImage{}
	dgst := digest.FromString("base")
	for b.Loop() {
		s, err := spec.Parse("Dockerfile", data)
		if err != nil {
			b.Fatal(err)
		}
		res, err := llbgen.Convert(&llbgen.Input{
			Spec: s,
			Bases: map[string]llbgen.Base{
				llbgen.RoleBuilder: {Name: "docker.io/library/golang:1.26", Digest: dgst, State: llb.Image("docker.io/library/golang:1.26@" + dgst.String()), Image: img},
				llbgen.RoleFinal:   {Name: "gcr.io/distroless/static-debian13:nonroot", Digest: dgst, State: llb.Image("gcr.io/distroless/static-debian13:nonroot@" + dgst.String()), Image: img},
			},
			Context:        llb.Local("context"),
			BuildPlatform:  p,
			TargetPlatform: p,
		})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := res.State.Marshal(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// renderTimings writes an example's heading and timing table.
func renderTimings(b *strings.Builder, example, dockerfile string, runs int, results map[string]*timings, sides []side) {
	fe, hw, hs := results[sides[0].name], results[sides[1].name], results[sides[2].name]
	fmt.Fprintf(b, "## %s: safe-frontend vs a hand-written best-practice Dockerfile\n\n", example)
	fmt.Fprintf(b, "Same daemon, same stand-in bases, medians of %d runs; cold = build cache pruned first.\n", runs)
	fmt.Fprintf(b, "The hand-written Dockerfile (%s) is built twice: by the daemon's\n"+
		"built-in Dockerfile frontend, and with `# syntax=docker/dockerfile:1` as best practice writes it,\n"+
		"which runs the Dockerfile frontend as a gateway container as safe-frontend always is.\n\n", dockerfile)
	fmt.Fprintf(b, "| scenario | safe-frontend | hand-written (built-in) | ratio | hand-written (`# syntax=`) | ratio |\n|---|---:|---:|---:|---:|---:|\n")
	row := func(name string, a, h, x []time.Duration) {
		ma, mh, mx := median(a), median(h), median(x)
		fmt.Fprintf(b, "| %s | %.2f s | %.2f s | %.2fx | %.2f s | %.2fx |\n", name, ma.Seconds(), mh.Seconds(), ma.Seconds()/mh.Seconds(), mx.Seconds(), ma.Seconds()/mx.Seconds())
	}
	row("cold build", fe.cold, hw.cold, hs.cold)
	row("no-change rebuild", fe.noChange, hw.noChange, hs.noChange)
	row("rebuild after a source edit", fe.edit, hw.edit, hs.edit)
}

// renderApp is the section of an example measured by timings and
// compressed image sizes only.
func renderApp(a app, runs int, results map[string]*timings, sides []side, front, hand int64) string {
	var b strings.Builder
	renderTimings(&b, a.example, a.dockerfile, runs, results, sides)
	mib := func(n int64) float64 { return float64(n) / (1 << 20) }
	fmt.Fprintf(&b, "\n| size | bytes | MiB |\n|---|---:|---:|\n")
	fmt.Fprintf(&b, "| image via safe-frontend, compressed | %d | %.2f |\n", front, mib(front))
	fmt.Fprintf(&b, "| image via hand-written Dockerfile, compressed | %d | %.2f |\n", hand, mib(hand))
	fmt.Fprintf(&b, "\nThe frontend's image also carries tini and the health probe (the runtime layer), which the\n"+
		"hand-written Dockerfile has no equivalent for.\n")
	return b.String()
}

func render(runs int, results map[string]*timings, sides []side, sizes *sizeReport, conv testing.BenchmarkResult) string {
	var b strings.Builder
	renderTimings(&b, "go-hello", "bench/go-hello.Dockerfile", runs, results, sides)
	fmt.Fprintf(&b, "\nThe gap to the built-in frontend on rebuilds is the fixed cost of any gateway frontend\n"+
		"(resolve its image, start its container, read the spec again); the `# syntax=` column pays it too.\n")
	fmt.Fprintf(&b, "\n| size | bytes | MiB |\n|---|---:|---:|\n")
	mib := func(n int64) float64 { return float64(n) / (1 << 20) }
	fmt.Fprintf(&b, "| binary (go-hello) | %d | %.2f |\n", sizes.binary, mib(sizes.binary))
	fmt.Fprintf(&b, "| `final: scratch` image, layers uncompressed | %d | %.2f |\n", sizes.scratchLayer, mib(sizes.scratchLayer))
	fmt.Fprintf(&b, "| `final: scratch` image, compressed | %d | %.2f |\n", sizes.scratchCompressed, mib(sizes.scratchCompressed))
	fmt.Fprintf(&b, "| distroless image via safe-frontend, compressed | %d | %.2f |\n", sizes.frontendCompressed, mib(sizes.frontendCompressed))
	fmt.Fprintf(&b, "| distroless image via hand-written Dockerfile, compressed | %d | %.2f |\n", sizes.handCompr, mib(sizes.handCompr))
	fmt.Fprintf(&b, "\nscratch image overhead over the binary: %.2f MiB uncompressed (target <= 1 MiB)\n", mib(sizes.scratchLayer-sizes.binary))
	fmt.Fprintf(&b, "\nspec -> LLB conversion (parse + convert + marshal): %.3f ms/op over %d iterations (target < 1 ms)\n",
		float64(conv.NsPerOp())/1e6, conv.N)
	return b.String()
}
