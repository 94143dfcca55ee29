// Command bench measures safe-frontend against a hand-written best-practice
// Dockerfile of the same app, for every example (go-hello, node-hello,
// python-hello, rust-hello, java-hello) and a Spring Boot JPA service
// (java-spring): cold build, no-change rebuild, rebuild after a
// source edit, rebuild after a source edit on a fresh CI runner that imports
// the build cache from the registry (medians of N runs, the two sides
// alternating), compressed image sizes (for Go and Rust also the scratch
// variant against the binary's own size), and spec-to-LLB conversion time.
// -scenarios picks some of them; -out merges the rows measured into the page.
//
// It runs on a buildkitd of its own (started here, stopped at the end), so
// pruning before cold builds never touches the stack's cache; it needs the
// stack's registry and _output/bin/buildkitd (make bench brings them up).
//
//	go run ./bench -runs 5 -out docs/benchmark.md
//	go run ./bench -runs 1 -apps go-hello -scenarios ci-edit -out docs/benchmark.md
package main

import (
	"archive/tar"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/client/llb"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/org/safe-frontend/internal/buildkitd"
	"github.com/org/safe-frontend/internal/buildrun"
	"github.com/org/safe-frontend/internal/hardened"
	"github.com/org/safe-frontend/internal/ocitar"
	"github.com/org/safe-frontend/llbgen"
	"github.com/org/safe-frontend/spec"
)

// app is one example measured against its hand-written Dockerfile.
type app struct {
	example    string // examples/<example>, unless dir names another
	dir        string
	dockerfile string // the hand-written best-practice Dockerfile
	editFile   string // the source a developer edits
	editLine   string // appended on each edit (fmt: run index)
	// depStep identifies the dependency step in progress names: the
	// frontend's and the Dockerfile's exec-form RUN.
	depStep []string
}

var apps = []app{
	{"go-hello", "", "bench/go-hello.Dockerfile", "cmd/hello/main.go", "\nvar benchEdit%[1]d = %[1]d\n", []string{"go mod download", `"mod", "download"`}},
	{"node-hello", "", "bench/node-hello.Dockerfile", "server.js", "\n// bench edit %d\n", []string{"production install: npm ci", `"npm", "ci"`}},
	{"python-hello", "", "bench/python-hello.Dockerfile", "hello.py", "\nBENCH_EDIT_%[1]d = %[1]d\n", []string{"] pip install", "/venv/bin/pip install"}},
	// The hand-written Rust Dockerfile has one cargo step (target/ on a
	// cache mount): none of its steps stays CACHED after an edit.
	{"rust-hello", "", "bench/rust-hello.Dockerfile", "src/main.rs", "\n#[allow(dead_code)]\nconst BENCH_EDIT_%[1]d: u32 = %[1]d;\n", []string{"(dependencies of rust-hello)"}},
	// Both sides resolve from pom.xml alone with the dependency plugin:
	// "[java 2/6] mvn dependency:go-offline" and the Dockerfile's RUN.
	{"java-hello", "", "bench/java-hello.Dockerfile", "src/main/java/org/example/hello/Main.java", "\n// bench edit %d\n", []string{"dependency:go-offline"}},
	// Spring Boot with Spring Data JPA and Hibernate: the frontend's jlink
	// runtime against Boot's layered jar on distroless java.
	{"java-spring", "integration/testdata/java-spring", "bench/java-spring.Dockerfile", "src/main/java/org/example/orders/OrdersApplication.java", "\n// bench edit %d\n", []string{"dependency:go-offline"}},
}

func main() {
	runs := flag.Int("runs", 5, "runs per scenario (medians are reported)")
	out := flag.String("out", "", "merge the figures into this Markdown page: the rows of the examples and scenarios measured\n"+
		"are replaced or added, every other row and the prose around the tables stay, so a run of\n"+
		"some scenarios or examples never loses the others' figures (a missing page is created)")
	only := flag.String("apps", "go-hello,node-hello,python-hello,rust-hello,java-hello,java-spring,"+staticSite, "examples to measure, comma-separated ("+staticSite+": served by safe-static against nginx)")
	builtin := flag.String("builtin", "go-hello", "examples also measured with the daemon's built-in Dockerfile frontend, comma-separated")
	which := flag.String("scenarios", "all", "scenarios to measure, comma-separated, of: "+strings.Join(scenarioKeys(), ", ")+"\n"+
		"(ci-edit = source edit on a fresh runner importing the registry cache); no-change and edit\n"+
		"build once untimed first when cold is not measured")
	flag.Parse()
	sel, err := parseScenarios(*which)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err = run(ctx, *runs, *out, strings.Split(*only, ","), strings.Split(*builtin, ","), sel)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

type side struct {
	name  string
	slug  string // in the registry cache's name
	dir   string
	attrs map[string]string // frontend attrs of every build of this side
}

// timings are a side's build times by scenario key, one per run.
type timings map[string][]time.Duration

func run(ctx context.Context, runs int, out string, only, builtin []string, sel selection) error {
	registry := os.Getenv("SAFE_REGISTRY")
	if registry == "" {
		return errors.New("SAFE_REGISTRY is not set: run `make bench`, which brings the stack up, or `eval \"$(hack/stack env)\"`")
	}
	// A daemon of our own (own root, socket and config): every cold build
	// prunes its whole cache without touching the build cache of the daemon
	// the user (or the stack) works with.
	bin, err := filepath.Abs(filepath.Join("_output", "bin", "buildkitd"))
	if err != nil {
		return err
	}
	// Its snapshots and the exported images run to gigabytes: they go
	// beside the stack's state, not to a /tmp that may be a small tmpfs.
	scratch, err := filepath.Abs(filepath.Join("_output", "tmp"))
	if err != nil {
		return err
	}
	if err := os.MkdirAll(scratch, 0o755); err != nil {
		return err
	}
	d, err := buildkitd.Start(ctx, buildkitd.Options{
		Bin: bin, Registry: registry, Name: "the benchmark's buildkitd", StateDir: scratch, TempPrefix: "safe-bench-bk-",
		Logf: func(format string, args ...any) { fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...) },
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "bench: own buildkitd (pid %d) on %s\n", d.Pid(), d.Addr)
	defer func() {
		if err := d.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		}
	}()
	c, err := client.New(ctx, d.Addr)
	if err != nil {
		return err
	}
	defer c.Close()

	work, err := os.MkdirTemp(scratch, "safe-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)

	// The frontend and runtime images are built on the stack's daemon when
	// there is one (it builds them anyway, and its Go build cache is warm;
	// nothing is pruned there), else on ours.
	imageClient := c
	if host := os.Getenv("BUILDKIT_HOST"); host != "" {
		if imageClient, err = client.New(ctx, host); err != nil {
			return err
		}
		defer imageClient.Close()
	}
	syntax, err := benchFrontend(ctx, imageClient, work, registry)
	if err != nil {
		return err
	}
	// The spec's `# syntax=org/safe-frontend:1` line is overridden the way
	// BuildKit allows: the frontend measured is this tree's.
	frontendAttrs := map[string]string{"build-arg:BUILDKIT_SYNTAX": syntax}

	var report strings.Builder
	var failed []string
	for _, name := range only {
		if name == staticSite {
			section, tables, err := measureStatic(ctx, c, work, runs, frontendAttrs)
			if err != nil {
				if ctx.Err() != nil {
					return err
				}
				fmt.Fprintf(os.Stderr, "bench: %s: %v\n", name, err)
				failed = append(failed, name)
				continue
			}
			report.WriteString(section + "\n")
			if out != "" {
				if err := mergeFile(out, tables); err != nil {
					return fmt.Errorf("writing %s: %w", out, err)
				}
			}
			continue
		}
		i := slices.IndexFunc(apps, func(a app) bool { return a.example == name })
		if i < 0 {
			var have []string
			for _, a := range apps {
				have = append(have, a.example)
			}
			return fmt.Errorf("no example %q to measure (have: %s)", name, strings.Join(have, ", "))
		}
		a := apps[i]
		section, tables, err := measureApp(ctx, c, work, registry, a, runs, frontendAttrs, slices.Contains(builtin, a.example), sel)
		if err != nil {
			if ctx.Err() != nil {
				return err
			}
			// One example failing does not lose the others' figures.
			fmt.Fprintf(os.Stderr, "bench: %s: %v\n", a.example, err)
			failed = append(failed, a.example)
			section = fmt.Sprintf("## %s\n\nNot measured: %s\n", a.example, strings.SplitN(err.Error(), "\n", 2)[0])
		}
		report.WriteString(section + "\n")
		// Merged after every example, so a long run leaves what it has.
		if out != "" && len(tables) > 0 {
			if err := mergeFile(out, tables); err != nil {
				return fmt.Errorf("writing %s: %w", out, err)
			}
		}
	}
	fmt.Print(report.String())
	if len(failed) > 0 {
		return fmt.Errorf("not measured: %s", strings.Join(failed, ", "))
	}
	return nil
}

// measureApp times one example and measures its sizes: its report section
// and its rows of the page's tables.
func measureApp(ctx context.Context, c *client.Client, work, registry string, a app, runs int, frontendAttrs map[string]string, builtin bool, sel selection) (string, []tableRows, error) {
	sides, results, err := measure(ctx, c, work, registry, a, runs, frontendAttrs, builtin, sel)
	if err != nil {
		return "", nil, err
	}
	var b strings.Builder
	tables := timingRows(a.example, sel, results, sides)
	if len(sel.timed()) > 0 {
		renderTimings(&b, a.example, a.dockerfile, runs, sel, results, sides)
	}
	if !sel["size"] {
		return b.String(), tables, nil
	}
	switch a.example {
	case "go-hello", "rust-hello":
		sizes, err := measureSizes(ctx, c, work, a.example, sides[0], sides[1])
		if err != nil {
			return "", nil, err
		}
		render(&b, a, sides, sizes)
		return b.String(), append(tables, sizeRows(a.example, sizes.frontendCompressed, sizes.handCompr, sizes.runtimeCompressed), scratchRows(a.example, sizes)), nil
	}
	front, hand, rt, err := compressedSizes(ctx, c, sides[0], sides[1])
	if err != nil {
		return "", nil, err
	}
	renderApp(&b, front, hand, rt)
	return b.String(), append(tables, sizeRows(a.example, front, hand, rt)), nil
}

// measure times the selected scenarios of an example built through the
// frontend and with its hand-written Dockerfile carrying
// `# syntax=docker/dockerfile:1` (and, with builtin, by the daemon's
// built-in Dockerfile frontend), alternating the sides and rotating who goes
// first, so the machine's load hits every side alike.
func measure(ctx context.Context, c *client.Client, work, registry string, a app, runs int, frontendAttrs map[string]string, builtin bool, sel selection) ([]side, map[string]timings, error) {
	frontendDir, err := copyExample(work, a, "frontend", "")
	if err != nil {
		return nil, nil, err
	}
	// The Dockerfile as best practice writes it, with a `# syntax=` line:
	// then both sides pay for a gateway frontend container.
	syntaxDir, err := copyExample(work, a, "dockerfile-syntax", a.dockerfile)
	if err != nil {
		return nil, nil, err
	}
	if err := prepend(filepath.Join(syntaxDir, "Dockerfile"), "# syntax=docker/dockerfile:1\n"); err != nil {
		return nil, nil, err
	}
	sides := []side{{"safe-frontend", "frontend", frontendDir, frontendAttrs}, {"hand-written, # syntax=docker/dockerfile:1", "hand-written", syntaxDir, nil}}
	if builtin {
		handDir, err := copyExample(work, a, "dockerfile", a.dockerfile)
		if err != nil {
			return nil, nil, err
		}
		sides = append(sides, side{"hand-written Dockerfile (built-in)", "builtin", handDir, nil})
	}
	results := map[string]timings{}
	for _, s := range sides {
		results[s.name] = timings{}
	}
	if len(sel.timed()) == 0 {
		return sides, results, nil
	}

	for i := 0; i < runs; i++ {
		order := append(slices.Clone(sides[i%len(sides):]), sides[:i%len(sides)]...)
		for _, s := range order {
			t := results[s.name]
			built := false
			if sel["cold"] {
				if err := c.Prune(ctx, nil, client.PruneAll); err != nil {
					return nil, nil, fmt.Errorf("pruning the build cache: %w", err)
				}
				d, _, err := timedBuild(ctx, c, s)
				if err != nil {
					return nil, nil, fmt.Errorf("%s %s cold build: %w", a.example, s.name, err)
				}
				t["cold"] = append(t["cold"], d)
				built = true
			}
			if sel["no-change"] || sel["edit"] {
				if !built {
					if _, _, err := timedBuild(ctx, c, s); err != nil {
						return nil, nil, fmt.Errorf("%s %s first build: %w", a.example, s.name, err)
					}
				}
				if sel["no-change"] {
					d, _, err := timedBuild(ctx, c, s)
					if err != nil {
						return nil, nil, fmt.Errorf("%s %s rebuild: %w", a.example, s.name, err)
					}
					t["no-change"] = append(t["no-change"], d)
				}
				if sel["edit"] {
					if err := editSource(s.dir, a, i); err != nil {
						return nil, nil, err
					}
					d, res, err := timedBuild(ctx, c, s)
					if err != nil {
						return nil, nil, fmt.Errorf("%s %s edit rebuild: %w", a.example, s.name, err)
					}
					// The hand-written Rust Dockerfile has one cargo step, which
					// reruns on every edit: only a dependency step that exists has
					// to stay CACHED, and the frontend's always exists.
					if found, cached := dependencyStep(res, a); (found || s.name == sides[0].name) && !cached {
						return nil, nil, fmt.Errorf("%s %s: the dependency step was not CACHED after a source edit", a.example, s.name)
					}
					if os.Getenv("SAFE_BENCH_VERBOSE") != "" {
						logVertices(a.example+" "+s.name+" edit", res)
					}
					t["edit"] = append(t["edit"], d)
				}
			}
			if sel["ci-edit"] {
				d, err := ciEdit(ctx, c, registry, a, s, i, runs)
				if err != nil {
					return nil, nil, err
				}
				t["ci-edit"] = append(t["ci-edit"], d)
			}
			var line strings.Builder
			for _, sc := range sel.timed() {
				fmt.Fprintf(&line, "  %s %s", sc.key, t[sc.key][i].Round(10*time.Millisecond))
			}
			fmt.Fprintf(os.Stderr, "%s run %d/%d %-44s%s\n", a.example, i+1, runs, s.name, line.String())
		}
	}
	return sides, results, nil
}

// ciEdit is a source edit on a fresh CI runner: a build exports its cache
// to the registry (mode=max, a ref per example, side and run), the daemon
// loses its whole cache, cache mounts included, the source is edited, and
// the timed build imports that cache. Both sides pay the same export and
// import. The cache's tag is deleted afterwards (and is the same on every
// benchmark run, so the registry holds at most one per example, side and run).
func ciEdit(ctx context.Context, c *client.Client, registry string, a app, s side, i, runs int) (time.Duration, error) {
	repo := "bench-cache/" + a.example + "-" + s.slug
	tag := fmt.Sprint(i + 1)
	ref := registry + "/" + repo + ":" + tag
	importAttrs := map[string]string{"ref": ref, "registry.insecure": "true"}
	exportAttrs := maps.Clone(importAttrs)
	exportAttrs["mode"] = "max"
	defer func() {
		if err := deleteManifest(registry, repo, tag); err != nil {
			fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		}
	}()
	if _, err := buildrun.Build(ctx, c, buildrun.Options{Dir: s.dir, Attrs: s.attrs,
		CacheExports: []client.CacheOptionsEntry{{Type: "registry", Attrs: exportAttrs}}}); err != nil {
		return 0, fmt.Errorf("%s %s: exporting the build cache to %s: %w", a.example, s.name, ref, err)
	}
	if err := c.Prune(ctx, nil, client.PruneAll); err != nil {
		return 0, fmt.Errorf("pruning the build cache: %w", err)
	}
	// Its own edit index: the edit scenario's lines are in the source already.
	if err := editSource(s.dir, a, runs+i); err != nil {
		return 0, err
	}
	start := time.Now()
	res, err := buildrun.Build(ctx, c, buildrun.Options{Dir: s.dir, Attrs: s.attrs,
		CacheImports: []client.CacheOptionsEntry{{Type: "registry", Attrs: importAttrs}}})
	d := time.Since(start)
	if err != nil {
		if res != nil {
			err = fmt.Errorf("%w\n%s", err, res.Logs)
		}
		return 0, fmt.Errorf("%s %s edit rebuild from the registry cache: %w", a.example, s.name, err)
	}
	if os.Getenv("SAFE_BENCH_VERBOSE") != "" {
		logVertices(a.example+" "+s.name+" edit on a fresh runner", res)
	}
	return d, nil
}

// logVertices prints what a build did, step by step (SAFE_BENCH_VERBOSE=1):
// which steps ran and for how long, which were CACHED.
func logVertices(title string, res *buildrun.Result) {
	vs := make([]*client.Vertex, 0, len(res.Vertices))
	for _, v := range res.Vertices {
		vs = append(vs, v)
	}
	slices.SortFunc(vs, func(a, b *client.Vertex) int {
		if a.Started == nil || b.Started == nil {
			return strings.Compare(a.Name, b.Name)
		}
		return a.Started.Compare(*b.Started)
	})
	fmt.Fprintf(os.Stderr, "--- %s\n", title)
	var first time.Time
	for _, v := range vs {
		if v.Started != nil && (first.IsZero() || v.Started.Before(first)) {
			first = *v.Started
		}
	}
	for _, v := range vs {
		at, state := "", "CACHED"
		if v.Started != nil {
			at = "+" + v.Started.Sub(first).Round(10*time.Millisecond).String()
		}
		if !v.Cached {
			state = "ran"
			if v.Started != nil && v.Completed != nil {
				state = v.Completed.Sub(*v.Started).Round(10 * time.Millisecond).String()
			}
		}
		fmt.Fprintf(os.Stderr, "  %-8s %-8s %s\n", at, state, v.Name)
	}
}

func copyExample(work string, a app, name, dockerfile string) (string, error) {
	src := filepath.Join("examples", a.example)
	if a.dir != "" {
		src = a.dir
	}
	return copyWith(src, filepath.Join(work, a.example, name), dockerfile)
}

func prepend(path, line string) error {
	dt, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return os.WriteFile(path, append([]byte(line), dt...), 0o644)
}

func timedBuild(ctx context.Context, c *client.Client, s side) (time.Duration, *buildrun.Result, error) {
	start := time.Now()
	res, err := buildrun.Build(ctx, c, buildrun.Options{Dir: s.dir, Attrs: s.attrs})
	if err != nil && res != nil {
		err = fmt.Errorf("%w\n%s", err, res.Logs)
	}
	d := time.Since(start)
	if os.Getenv("SAFE_BENCH_VERBOSE") != "" {
		fmt.Fprintf(os.Stderr, "  %s: %s\n", s.dir, d.Round(10*time.Millisecond))
	}
	return d, res, err
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

// dependencyStep finds the dependency step of a build by its progress name
// ("[go 2/4] go mod download", "[node 2/2] production install: npm ci ...",
// or the Dockerfile's exec-form RUN) and says whether it was CACHED.
func dependencyStep(res *buildrun.Result, a app) (found, cached bool) {
	for name, v := range res.Vertices {
		for _, step := range a.depStep {
			if strings.Contains(name, step) {
				return true, v.Cached
			}
		}
	}
	return false, false
}

// compressedSizes builds the frontend's and the hand-written image and
// returns their compressed sizes.
func compressedSizes(ctx context.Context, c *client.Client, frontend, hand side) (frontSize, handSize, runtimeSize int64, err error) {
	for _, b := range []struct {
		side
		size *int64
	}{{frontend, &frontSize}, {hand, &handSize}} {
		tarPath := b.dir + ".oci.tar"
		if _, err := buildrun.Build(ctx, c, buildrun.Options{Dir: b.dir, Attrs: b.attrs, OCITar: tarPath}); err != nil {
			return 0, 0, 0, fmt.Errorf("building %s: %w", b.dir, err)
		}
		img, err := hardened.Open(tarPath)
		if err != nil {
			return 0, 0, 0, err
		}
		*b.size = img.CompressedSize()
		if b.dir == frontend.dir {
			runtimeSize = historyLayerSize(img, "safe-frontend: runtime:")
		}
	}
	return frontSize, handSize, runtimeSize, nil
}

// historyLayerSize is the compressed size of the layer whose history entry
// starts with prefix (0 when there is none).
func historyLayerSize(img *hardened.Image, prefix string) int64 {
	i := 0
	for _, h := range img.Config.History {
		if h.EmptyLayer {
			continue
		}
		if strings.HasPrefix(h.CreatedBy, prefix) && i < len(img.Manifest.Layers) {
			return img.Manifest.Layers[i].Size
		}
		i++
	}
	return 0
}

type sizeReport struct {
	binary                          int64
	runtime                         int64 // /usr/sbin/tini and /usr/sbin/safe-probe
	runtimeCompressed               int64 // the distroless image's runtime layer
	scratchCompressed, scratchLayer int64
	frontendCompressed, handCompr   int64
}

// measureSizes builds the scratch variant of the spec and both distroless
// images, and reads the binary's size from the image itself.
func measureSizes(ctx context.Context, c *client.Client, work, example string, frontend, hand side) (*sizeReport, error) {
	scratchDir := filepath.Join(work, example, "scratch")
	if err := os.CopyFS(scratchDir, os.DirFS(frontend.dir)); err != nil {
		return nil, err
	}
	specPath := filepath.Join(scratchDir, "Dockerfile")
	dt, err := os.ReadFile(specPath)
	if err != nil {
		return nil, err
	}
	scratchSpec := strings.Replace(string(dt), "final: distroless", "final: scratch", 1)
	if scratchSpec == string(dt) {
		return nil, fmt.Errorf("examples/%s/Dockerfile has no `final: distroless` line to switch", example)
	}
	if err := os.WriteFile(specPath, []byte(scratchSpec), 0o644); err != nil {
		return nil, err
	}
	r := &sizeReport{}
	for _, b := range []struct {
		side
		compr *int64
	}{{side{"scratch", "scratch", scratchDir, frontend.attrs}, &r.scratchCompressed}, {frontend, &r.frontendCompressed}, {hand, &r.handCompr}} {
		tarPath := b.dir + ".oci.tar"
		if _, err := buildrun.Build(ctx, c, buildrun.Options{Dir: b.dir, Attrs: b.attrs, OCITar: tarPath}); err != nil {
			return nil, fmt.Errorf("building %s: %w", b.dir, err)
		}
		img, err := hardened.Open(tarPath)
		if err != nil {
			return nil, err
		}
		*b.compr = img.CompressedSize()
		if b.dir == frontend.dir {
			r.runtimeCompressed = historyLayerSize(img, "safe-frontend: runtime:")
		}
		if b.dir == scratchDir {
			var files map[string]int64
			files, r.scratchLayer, err = layerSizes(tarPath, img, "usr/local/bin/"+example, "sbin/tini", "sbin/safe-probe")
			if err != nil {
				return nil, err
			}
			r.binary, r.runtime = files["usr/local/bin/"+example], files["sbin/tini"]+files["sbin/safe-probe"]
		}
	}
	return r, nil
}

// layerSizes returns the sizes of the named files inside the image and the
// total uncompressed size of all layers.
func layerSizes(ociTar string, img *hardened.Image, names ...string) (map[string]int64, int64, error) {
	blobs := map[string]bool{}
	for _, l := range img.Manifest.Layers {
		blobs["blobs/"+l.Digest.Algorithm().String()+"/"+l.Digest.Encoded()] = true
	}
	files := map[string]int64{}
	var total int64
	err := ocitar.Entries(ociTar, func(name string, blob []byte) error {
		if !blobs[name] {
			return nil
		}
		_, err := ocitar.LayerFiles(blob, func(h *tar.Header, _ io.Reader) error {
			total += h.Size
			if n := strings.TrimPrefix(h.Name, "./"); slices.Contains(names, n) {
				files[n] = h.Size
			}
			return nil
		})
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	if files[names[0]] == 0 {
		return nil, 0, fmt.Errorf("%s not found in the image", names[0])
	}
	return files, total, nil
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

// median of timings, rates or sizes: the middle value, or the mean of
// the two middle ones.
func median[T ~int64 | ~float64](ds []T) T {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// renderTimings writes an example's heading and timing table: the
// frontend against the hand-written Dockerfile with `# syntax=` (gateway
// against gateway), and against the built-in frontend when measured.
func renderTimings(b *strings.Builder, example, dockerfile string, runs int, sel selection, results map[string]timings, sides []side) {
	fe, hs := results[sides[0].name], results[sides[1].name]
	var hw timings
	if len(sides) > 2 {
		hw = results[sides[2].name]
	}
	fmt.Fprintf(b, "## %s: safe-frontend vs a hand-written best-practice Dockerfile\n\n", example)
	fmt.Fprintf(b, "Same daemon, same stand-in bases, medians of %d runs; cold = build cache pruned first.\n", runs)
	fmt.Fprintf(b, "The hand-written Dockerfile (%s) is built with `# syntax=docker/dockerfile:1` as best\n"+
		"practice writes it, which runs the Dockerfile frontend as a gateway container as safe-frontend always is", dockerfile)
	if hw != nil {
		fmt.Fprintf(b, ";\nit is also built by the daemon's built-in Dockerfile frontend, which needs no gateway container")
	}
	fmt.Fprintf(b, ".\n\n| scenario | safe-frontend | hand-written (`# syntax=`) | ratio |")
	if hw != nil {
		fmt.Fprintf(b, " hand-written (built-in) | ratio |\n|---|---:|---:|---:|---:|---:|\n")
	} else {
		fmt.Fprintf(b, "\n|---|---:|---:|---:|\n")
	}
	for _, sc := range sel.timed() {
		ma, mx := median(fe[sc.key]), median(hs[sc.key])
		fmt.Fprintf(b, "| %s | %.2f s | %.2f s | %.2fx |", sc.label, ma.Seconds(), mx.Seconds(), ma.Seconds()/mx.Seconds())
		if hw != nil {
			mh := median(hw[sc.key])
			fmt.Fprintf(b, " %.2f s | %.2fx |", mh.Seconds(), ma.Seconds()/mh.Seconds())
		}
		b.WriteString("\n")
	}
}

// timingRows are the example's rows of the page's summary and every-run
// tables, for the scenarios measured.
func timingRows(example string, sel selection, results map[string]timings, sides []side) []tableRows {
	fe, hs := results[sides[0].name], results[sides[1].name]
	summary := tableRows{header: timingTable, keyCells: 2}
	each := tableRows{header: eachRunTable, keyCells: 2}
	for _, sc := range sel.timed() {
		if len(fe[sc.key]) == 0 || len(hs[sc.key]) == 0 {
			continue
		}
		ma, mx := median(fe[sc.key]), median(hs[sc.key])
		summary.rows = append(summary.rows, fmt.Sprintf("| %s | %s | %.2f s | %.2f s | %.2fx | %d |",
			example, sc.label, ma.Seconds(), mx.Seconds(), ma.Seconds()/mx.Seconds(), len(fe[sc.key])))
		each.rows = append(each.rows, fmt.Sprintf("| %s | %s | %s | %s |", example, sc.short, seconds(fe[sc.key]), seconds(hs[sc.key])))
	}
	return []tableRows{summary, each}
}

func seconds(ds []time.Duration) string {
	s := make([]string, len(ds))
	for i, d := range ds {
		s[i] = fmt.Sprintf("%.2f", d.Seconds())
	}
	return strings.Join(s, ", ")
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }

// sizeRows is the example's row of the page's image-size table.
func sizeRows(example string, front, hand, runtime int64) tableRows {
	return tableRows{header: sizeTable, keyCells: 1, rows: []string{fmt.Sprintf("| %s | %.2f MiB | %.2f MiB | %.3fx | %.2f MiB | %+d bytes |",
		example, mib(front), mib(hand), float64(front)/float64(hand), mib(runtime), front-runtime-hand)}}
}

// scratchRows is the example's row of the page's `final: scratch` table.
func scratchRows(example string, s *sizeReport) tableRows {
	over := s.scratchLayer - s.binary
	return tableRows{header: scratchTable, keyCells: 1, rows: []string{fmt.Sprintf("| %s | %.2f MiB | %.2f MiB | %.2f MiB | %.2f MiB | %.2f MiB | %.2f MiB |",
		example, mib(s.binary), mib(s.runtime), mib(s.scratchLayer), mib(over), mib(over-s.runtime), mib(s.scratchCompressed))}}
}

// renderApp writes the compressed image sizes of an example measured by
// timings and sizes only.
func renderApp(b *strings.Builder, front, hand, runtime int64) {
	fmt.Fprintf(b, "\n| size | bytes | MiB |\n|---|---:|---:|\n")
	fmt.Fprintf(b, "| image via safe-frontend, compressed | %d | %.2f |\n", front, mib(front))
	fmt.Fprintf(b, "| image via hand-written Dockerfile, compressed | %d | %.2f |\n", hand, mib(hand))
	fmt.Fprintf(b, "| of the frontend's image: tini + safe-probe (the runtime layer), compressed | %d | %.2f |\n", runtime, mib(runtime))
	fmt.Fprintf(b, "\nThe frontend's image is %.2f MiB (%+.1f%%) %s the hand-written one; it carries tini and the health\n"+
		"probe, which the hand-written Dockerfile has no equivalent for. Without them it would be %d bytes %s it.\n",
		mib(abs(front-hand)), 100*float64(front-hand)/float64(hand), biggerSmaller(front-hand),
		abs(front-runtime-hand), biggerSmaller(front-runtime-hand))
}

// render writes the sizes of a compiled example: binary, scratch variant,
// both distroless images.
func render(b *strings.Builder, a app, sides []side, sizes *sizeReport) {
	if len(sides) > 2 {
		fmt.Fprintf(b, "\nThe gap to the built-in frontend on rebuilds is the fixed cost of any gateway frontend\n"+
			"(resolve its image, start its container, read the spec again); the `# syntax=` column pays it too.\n")
	}
	fmt.Fprintf(b, "\n| size | bytes | MiB |\n|---|---:|---:|\n")
	fmt.Fprintf(b, "| binary (%s) | %d | %.2f |\n", a.example, sizes.binary, mib(sizes.binary))
	fmt.Fprintf(b, "| tini + safe-probe (the runtime layer) | %d | %.2f |\n", sizes.runtime, mib(sizes.runtime))
	fmt.Fprintf(b, "| `final: scratch` image, layers uncompressed | %d | %.2f |\n", sizes.scratchLayer, mib(sizes.scratchLayer))
	fmt.Fprintf(b, "| `final: scratch` image, compressed | %d | %.2f |\n", sizes.scratchCompressed, mib(sizes.scratchCompressed))
	fmt.Fprintf(b, "| distroless image via safe-frontend, compressed | %d | %.2f |\n", sizes.frontendCompressed, mib(sizes.frontendCompressed))
	fmt.Fprintf(b, "| distroless image via hand-written Dockerfile, compressed | %d | %.2f |\n", sizes.handCompr, mib(sizes.handCompr))
	over := sizes.scratchLayer - sizes.binary
	fmt.Fprintf(b, "\n`final: scratch` image over the binary: %.2f MiB uncompressed (target <= 1 MiB), of which %.2f MiB\n"+
		"are tini and the health probe, which the hand-written Dockerfile has no equivalent for; without them\n"+
		"%.2f MiB. Compressed, the whole scratch image is %.2f MiB for a %.2f MiB binary.\n",
		mib(over), mib(sizes.runtime), mib(over-sizes.runtime), mib(sizes.scratchCompressed), mib(sizes.binary))
	if a.example == "go-hello" {
		conv := testing.Benchmark(benchmarkConvert)
		fmt.Fprintf(b, "\nspec -> LLB conversion (parse + convert + marshal): %.3f ms/op over %d iterations (target < 1 ms)\n",
			float64(conv.NsPerOp())/1e6, conv.N)
	}
}

func abs(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}

func biggerSmaller(d int64) string {
	if d > 0 {
		return "larger than"
	}
	return "smaller than"
}
