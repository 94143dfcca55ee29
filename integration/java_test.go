package integration

import (
	"archive/zip"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/org/safe-frontend/internal/hardened"
)

// javaEntry is the exec-form java command every jlink image runs: java
// itself (no shell), the container defaults, the class path argfile.
func javaEntry(java, main string, options ...string) []string {
	e := []string{"/usr/sbin/tini", "-e", "143", "--", java, "-XX:MaxRAMPercentage=75", "-XX:+ExitOnOutOfMemoryError", "-XX:+PerfDisableSharedMem"}
	e = append(e, options...)
	return append(e, "@/app/classpath.argfile", main)
}

const javaHelloMain = "org.example.hello.Main"

// TestJavaHello builds examples/java-hello in process and through
// `# syntax=`, checks the image field by field and what it holds (a jlink
// runtime, the dependency jars, the app's jar; no JDK, no Maven, no
// shell), and runs it hardened: /healthz answers, SIGTERM ends it.
func TestJavaHello(t *testing.T) {
	dir := t.TempDir()
	inProc := filepath.Join(dir, "in-process.tar")
	start := time.Now()
	res := mustBuild(t, buildOpts{dir: example("java-hello"), inProcess: true, attrs: provenanceAttrs(), out: inProc})
	t.Logf("figure: java-hello (jlink) built in %s", time.Since(start).Round(time.Second))
	img := openImage(t, inProc)
	c := img.Config
	t.Logf("figure: java-hello (jlink) %s", sizeFigure(img))

	t.Run("config", func(t *testing.T) {
		ep := javaEntry("/opt/java/bin/java", javaHelloMain, "-Xss512k")
		requireExampleConfig(t, img, exampleConfig{
			name: "java-hello", initFlags: []string{"-e", "143"}, entrypoint: ep[4:], cmd: []string{"--listen=:8080"},
			workingDir: "/app", base: "gcr.io/distroless/cc-debian13:nonroot",
		})
		if !slices.Contains(c.Config.Env, "JAVA_HOME=/opt/java") {
			t.Errorf("Env = %v, want JAVA_HOME=/opt/java", c.Config.Env)
		}
		for _, kv := range c.Config.Env {
			if strings.HasPrefix(kv, "MAVEN") || strings.HasPrefix(kv, "JAVA_TOOL_OPTIONS") || strings.Contains(kv, "trustStore") || strings.HasPrefix(kv, "SSL_CERT_FILE=/run/secrets") {
				t.Errorf("build-step env %q leaked into the image config", kv)
			}
		}
		eq(t, "our layers", layerNames(c.History), []string{"runtime", "java runtime", "dependencies", "app"})
		requireEpochLayers(t, inProc, img, 4, time.Unix(1700000000, 0))
	})

	t.Run("progress", func(t *testing.T) {
		for _, want := range []string{
			"[java 1/6] copy pom.xml", "[java 2/6] mvn dependency:go-offline", "[java 3/6] copy sources",
			"[java 4/6] mvn -B package -DskipTests", "[java 5/6] jdeps: the dependencies' JDK modules",
			"[java 6/6] jlink --strip-debug --no-man-pages --no-header-files",
		} {
			vertex(t, res, want)
		}
	})

	t.Run("final-holds-runtime-jars-and-app-only", func(t *testing.T) {
		files := imageFiles(t, inProc)
		for _, want := range []string{"opt/java/bin/java", "opt/java/release", "opt/java/lib/modules", "opt/java/lib/security/cacerts",
			"app/java-hello.jar", "app/classpath.argfile"} {
			if !files[want] {
				t.Errorf("the image lacks /%s", want)
			}
		}
		jars := 0
		for name := range files {
			switch {
			case strings.HasPrefix(name, "app/lib/") && strings.HasSuffix(name, ".jar"):
				jars++
			case strings.HasSuffix(name, "bin/javac") || strings.HasSuffix(name, "bin/jlink") || strings.HasSuffix(name, "bin/jdeps") || strings.Contains(name, "/jmods/"):
				t.Errorf("JDK tool in the final image: /%s", name)
			case strings.HasSuffix(name, "bin/mvn") || strings.Contains(name, ".m2/") || strings.Contains(name, "maven"):
				if !strings.HasPrefix(name, "app/") {
					t.Errorf("Maven in the final image: /%s", name)
				}
			case name == "bin/sh" || name == "usr/bin/sh" || name == "bin/bash" || name == "usr/bin/bash" || name == "bin/dash":
				t.Errorf("shell in the final image: /%s", name)
			case strings.HasPrefix(name, "src/") || strings.HasSuffix(name, ".java") || strings.HasSuffix(name, "pom.xml") && !strings.Contains(name, "META-INF"):
				t.Errorf("sources in the final image: /%s", name)
			case strings.Contains(name, "truststore") || strings.HasSuffix(name, ".p12"):
				t.Errorf("build truststore in the final image: /%s", name)
			}
		}
		if jars == 0 {
			t.Errorf("no dependency jar in /app/lib")
		}
		// The app layer holds the app's jar and the class path only.
		app := appLayerFiles(t, inProc, "app/java-hello.jar")
		var names []string
		for n, h := range app {
			names = append(names, n)
			if h.Uid != 0 || h.Gid != 0 || h.Mode&0o022 != 0 {
				t.Errorf("/%s is %d:%d %o; want root-owned, not writable by others", n, h.Uid, h.Gid, h.Mode&0o777)
			}
		}
		slices.Sort(names)
		eq(t, "app layer", names, []string{"app/classpath.argfile", "app/java-hello.jar"})
		argfile := string(fileInImage(t, inProc, "app/classpath.argfile"))
		if !strings.HasPrefix(argfile, "--class-path\n\"/app/java-hello.jar:/app/lib/") {
			t.Errorf("classpath.argfile = %q, want the app's jar first, then /app/lib", argfile)
		}
		// Its own CA store, a real file with certificates.
		if ca := fileInImage(t, inProc, "opt/java/lib/security/cacerts"); len(ca) < 50_000 {
			t.Errorf("/opt/java/lib/security/cacerts is %d bytes; want a real CA store", len(ca))
		}
	})

	t.Run("app-jar-reproducible-as-maven-made-it", func(t *testing.T) {
		// maven-jar-plugin 3.4.2 honours outputTimestamp (SOURCE_DATE_EPOCH):
		// the jar tool finds every entry at the build's time and keeps the
		// jar; its entries are at that time in the image.
		if l := keptJarsRe.FindStringSubmatch(res.Logs); l != nil { // absent when the step was CACHED
			eq(t, "jars rewritten, kept", l[1:], []string{"0", "1"})
		}
		jar := fileInImage(t, inProc, "app/java-hello.jar")
		zr, err := zip.NewReader(bytes.NewReader(jar), int64(len(jar)))
		if err != nil {
			t.Fatalf("/app/java-hello.jar: %v", err)
		}
		want := time.Unix(1700000000, 0).UTC()
		for _, f := range zr.File {
			if got := f.Modified.UTC(); !got.Equal(want) {
				t.Errorf("/app/java-hello.jar: %s at %s, want %s", f.Name, got, want)
			}
		}
		if len(zr.File) < 3 {
			t.Errorf("/app/java-hello.jar has %d entries", len(zr.File))
		}
	})

	t.Run("jlink-runtime-holds-jdeps-modules-only", func(t *testing.T) {
		// What jdeps names for the app and Jackson (java.logging; the
		// java.desktop, java.sql and java.xml it only requires static are
		// left out), the EC provider for TLS: nothing else.
		named := []string{"java.base", "java.logging", "jdk.httpserver"}
		if l := jdepsRe.FindAllStringSubmatch(res.Logs, -1); l != nil { // absent when the step was CACHED
			eq(t, "jdeps module list", strings.Split(l[len(l)-1][1], ","), named)
		}
		mods := releaseModules(t, inProc, "opt/java/release")
		slices.Sort(mods)
		eq(t, "runtime modules", mods, []string{"java.base", "java.logging", "jdk.crypto.ec", "jdk.httpserver"})
		t.Logf("figure: jdeps named %d modules (%s); the runtime holds %d with what they require", len(named), strings.Join(named, ","), len(mods))
	})

	t.Run("syntax-image-same-digest", func(t *testing.T) {
		requireSameImageViaSyntax(t, example("java-hello"), img)
	})

	t.Run("run-hardened", func(t *testing.T) {
		runJavaHardened(t, inProc, "/healthz")
	})
}

// runJavaHardened serves an image hardened under runc and asks path; on
// SIGTERM tini forwards the signal, the JVM runs its shutdown hooks and
// exits 143, which tini (-e 143) reports as the clean stop it is: 0.
func runJavaHardened(t *testing.T, ociTar, path string, args ...string) {
	t.Helper()
	const addr = "127.0.0.1:18090"
	if len(args) == 0 {
		args = []string{"--listen=" + addr}
	}
	o := serveOpts{name: "java-" + strings.TrimSuffix(filepath.Base(ociTar), ".tar"), args: args, addr: addr, health: path, start: 90 * time.Second}
	if path == "/actuator/health" {
		o.healthHas = `"status":"UP"`
	}
	serveHardened(t, ociTar, o, nil)
}

// layerNames names the layers the frontend added, from the history.
func layerNames(history []ocispecs.History) []string {
	var ours []string
	for _, h := range history {
		if strings.HasPrefix(h.CreatedBy, "safe-frontend: ") {
			ours = append(ours, strings.SplitN(strings.TrimPrefix(h.CreatedBy, "safe-frontend: "), ":", 2)[0])
		}
	}
	return ours
}

// keptJarsRe finds what the package step's jar tool did.
var keptJarsRe = regexp.MustCompile(`reproducible jars: (\d+) rewritten, (\d+) already at the build's time`)

// jdepsRe finds the module list the jdeps step prints.
var jdepsRe = regexp.MustCompile(`jdeps: ([a-z0-9.,]+)`)

// releaseModules reads MODULES from a Java runtime's release file.
func releaseModules(t *testing.T, ociTar, name string) []string {
	t.Helper()
	for _, line := range strings.Split(string(fileInImage(t, ociTar, name)), "\n") {
		if v, ok := strings.CutPrefix(line, "MODULES="); ok {
			return strings.Fields(strings.Trim(v, `"`))
		}
	}
	t.Fatalf("/%s has no MODULES line", name)
	return nil
}

// layerDigests lists the image's layer digests, base first.
func layerDigests(img *hardened.Image) []string {
	var out []string
	for _, l := range img.Manifest.Layers {
		out = append(out, l.Digest.String())
	}
	return out
}

// TestJavaSourceEdit: an edit of a .java file leaves the dependency
// resolution CACHED, and of the image's layers only the app's changes
// (same digests for the base, the runtime, the jlink runtime and the
// dependency jars).
func TestJavaSourceEdit(t *testing.T) {
	dir := copyDir(t, example("java-hello"))
	before := filepath.Join(t.TempDir(), "before.tar")
	mustBuild(t, buildOpts{dir: dir, inProcess: true, out: before})
	src := javaSourceFile(t, dir)
	dt, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(string(dt), `"ok\n"`, fmt.Sprintf(`"ok %d\n"`, time.Now().UnixNano()), 1)
	if edited == string(dt) {
		t.Fatalf("%s has no \"ok\\n\" to edit", src)
	}
	if err := os.WriteFile(src, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	after := filepath.Join(t.TempDir(), "after.tar")
	start := time.Now()
	res := mustBuild(t, buildOpts{dir: dir, inProcess: true, out: after})
	t.Logf("figure: java-hello rebuild after a source edit: %s", time.Since(start).Round(time.Second))
	for _, step := range []string{"mvn dependency:go-offline", "jdeps: the dependencies' JDK modules", "jlink --strip-debug"} {
		name, v := vertex(t, res, step)
		if !v.Cached {
			t.Errorf("%q was not CACHED after a source-only edit", name)
		}
	}
	if name, v := vertex(t, res, "mvn -B package"); v.Cached {
		t.Errorf("%q was CACHED although a source changed", name)
	}
	a, b := layerDigests(openImage(t, before)), layerDigests(openImage(t, after))
	if len(a) != len(b) || len(a) < 2 {
		t.Fatalf("layers before %v, after %v", a, b)
	}
	n := len(a)
	eq(t, "layers below the app", b[:n-1], a[:n-1])
	if a[n-1] == b[n-1] {
		t.Errorf("the app layer did not change after a source edit (%s)", a[n-1])
	}
}

// javaSourceFile finds the example's main class source.
func javaSourceFile(t *testing.T, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "src", "main", "java", filepath.FromSlash(strings.ReplaceAll(javaHelloMain, ".", "/"))+".java")
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("the example's main class source: %v", err)
	}
	return p
}

// TestJavaJlinkSmallerThanJRE builds java-hello with runtime: jre on the
// distroless java image, runs it, and compares: the jlink image is
// smaller, and only the runtime below the jars differs.
func TestJavaJlinkSmallerThanJRE(t *testing.T) {
	tmp := t.TempDir()
	jlinkTar, jreTar := filepath.Join(tmp, "jlink.tar"), filepath.Join(tmp, "jre.tar")
	mustBuild(t, buildOpts{dir: example("java-hello"), inProcess: true, out: jlinkTar})
	dir := copyDir(t, example("java-hello"))
	spec, err := os.ReadFile(filepath.Join(dir, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	jre := regexp.MustCompile(`(?m)^(\s+)runtime: jlink\b.*$`).ReplaceAllString(string(spec), "${1}runtime: jre")
	if jre == string(spec) {
		t.Fatalf("the example's spec has no `runtime: jlink` line to change")
	}
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(jre), 0o644); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	mustBuild(t, buildOpts{dir: dir, inProcess: true, out: jreTar})
	t.Logf("figure: java-hello (jre) built in %s", time.Since(start).Round(time.Second))
	jl, jr := openImage(t, jlinkTar), openImage(t, jreTar)
	t.Logf("figure: java-hello compressed: jlink %.2f MiB, jre %.2f MiB (%.2fx)",
		float64(jl.CompressedSize())/(1<<20), float64(jr.CompressedSize())/(1<<20), float64(jl.CompressedSize())/float64(jr.CompressedSize()))
	if jl.CompressedSize() >= jr.CompressedSize() {
		t.Errorf("the jlink image (%d bytes) is not smaller than the jre one (%d bytes)", jl.CompressedSize(), jr.CompressedSize())
	}
	eq(t, "jre Entrypoint", jr.Config.Config.Entrypoint, javaEntry("/usr/bin/java", javaHelloMain, "-Xss512k"))
	eq(t, "jre base", jr.Config.Config.Labels["org.opencontainers.image.base.name"], "gcr.io/distroless/java21-debian13:nonroot")
	eq(t, "jre layers", layerNames(jr.Config.History), []string{"runtime", "dependencies", "app"})
	// Same jars on both runtimes: the dependency and app layers are equal.
	a, b := layerDigests(jl), layerDigests(jr)
	eq(t, "jars on both runtimes", b[len(b)-2:], a[len(a)-2:])
	full := releaseModules(t, jreTar, "usr/lib/jvm/java-21-openjdk-amd64/release")
	small := releaseModules(t, jlinkTar, "opt/java/release")
	t.Logf("figure: modules: jlink %d, full JRE %d", len(small), len(full))
	if len(small) >= len(full) {
		t.Errorf("the jlink runtime has %d modules, the full JRE %d", len(small), len(full))
	}
	t.Run("run-hardened-jre", func(t *testing.T) {
		runJavaHardened(t, jreTar, "/healthz")
	})
}

// TestJavaMultiModule builds one module (orders-api) of a multi-module
// Maven build: the sibling it depends on goes into the app layer, not
// with the dependency jars.
func TestJavaMultiModule(t *testing.T) {
	fixture := filepath.Join(repoRoot, "integration", "testdata", "java-multimodule")
	tarball := filepath.Join(t.TempDir(), "multi.tar")
	start := time.Now()
	res := mustBuild(t, buildOpts{dir: fixture, inProcess: true, out: tarball})
	t.Logf("figure: java-multimodule built in %s", time.Since(start).Round(time.Second))
	vertex(t, res, "-pl orders-api -am")
	defer runJavaHardened(t, tarball, "/healthz")
	files := imageFiles(t, tarball)
	if !files["app/orders-api.jar"] {
		t.Errorf("the image lacks /app/orders-api.jar")
	}
	core := false
	for name := range files {
		if strings.HasPrefix(name, "app/modules/") && strings.Contains(name, "orders-core") {
			core = true
		}
		if strings.HasPrefix(name, "app/lib/") && strings.Contains(name, "orders-core") {
			t.Errorf("the sibling module is with the dependency jars: /%s", name)
		}
	}
	if !core {
		t.Errorf("orders-core's jar is not in /app/modules")
	}
	argfile := string(fileInImage(t, tarball, "app/classpath.argfile"))
	if !strings.Contains(argfile, "/app/modules/") {
		t.Errorf("classpath.argfile %q does not name the sibling module", argfile)
	}
}

// TestJavaSpringBoot builds the Spring Boot fixture: the thin jar on the
// class path (no repackaged fat jar), the framework's jars in their own
// layer, and /actuator/health answering under runc.
func TestJavaSpringBoot(t *testing.T) {
	fixture := filepath.Join(repoRoot, "integration", "testdata", "java-spring")
	tarball := filepath.Join(t.TempDir(), "spring.tar")
	start := time.Now()
	mustBuild(t, buildOpts{dir: fixture, inProcess: true, out: tarball})
	img := openImage(t, tarball)
	t.Logf("figure: java-spring built in %s, %.2f MiB compressed", time.Since(start).Round(time.Second), float64(img.CompressedSize())/(1<<20))
	var app, deps int64
	for i, l := range img.Manifest.Layers {
		switch i {
		case len(img.Manifest.Layers) - 1:
			app = l.Size
		case len(img.Manifest.Layers) - 2:
			deps = l.Size
		}
	}
	t.Logf("figure: java-spring dependency layer %.2f MiB, app layer %.1f KiB", float64(deps)/(1<<20), float64(app)/1024)
	if app > 1<<20 {
		t.Errorf("the app layer is %d bytes: the framework's jars are in it (a repackaged fat jar?)", app)
	}
	runJavaHardened(t, tarball, "/actuator/health", "--server.port=18090")
}

// TestJavaRefusals: a Gradle build and a context without pom.xml are
// refused before anything runs, with their rules at the spec's line.
func TestJavaRefusals(t *testing.T) {
	for _, tc := range []struct {
		name, spec string
		files      map[string]string
		rule, line string
	}{
		{"gradle-key", "# syntax=org/safe-frontend:1\nname: orders\nlanguage: java\njava:\n  build: gradle\n",
			map[string]string{"build.gradle": "plugins { id 'java' }\n"}, "SF141", "Dockerfile:5"},
		{"gradle-project", "# syntax=org/safe-frontend:1\nname: orders\nlanguage: java\n",
			map[string]string{"build.gradle.kts": "plugins { java }\n"}, "SF141", "Dockerfile:3"},
		{"no-pom", "# syntax=org/safe-frontend:1\nname: orders\nlanguage: java\njava:\n  version: \"21\"\n  build: maven\n",
			map[string]string{"src/main/java/App.java": "class App {}\n"}, "SF140", "Dockerfile:6"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := nodeSpecDir(t, tc.spec, tc.files)
			for _, inProcess := range []bool{true, false} {
				res, err := build(t, buildOpts{dir: dir, inProcess: inProcess})
				if err == nil {
					t.Fatalf("inProcess=%v: built", inProcess)
				}
				if !strings.Contains(err.Error(), tc.rule) {
					t.Errorf("inProcess=%v: error does not name %s: %v", inProcess, tc.rule, err)
				}
				if lines := sourceLines(err); !slices.Contains(lines, tc.line) {
					t.Errorf("inProcess=%v: error sources %v, want %s", inProcess, lines, tc.line)
				}
				for name := range res.Vertices {
					if strings.HasPrefix(name, "[java") {
						t.Errorf("inProcess=%v: a build step ran: %s", inProcess, name)
					}
				}
			}
		})
	}
}

// TestJavaReproducible: the same spec, poms and sources give the same image
// digest on two fresh daemons with --no-cache (Maven resolves and compiles
// again, jlink runs again) and on the stack's daemon with its cache.
//
// And the resolved repository travels with a registry cache: a pruned
// daemon importing it builds a source edit without resolving again, and
// mvn package downloads nothing go-offline missed.
func TestJavaReproducible(t *testing.T) {
	requireReproducible(t, example("java-hello"), reproOpts{epoch: testEpoch, travel: &travelCheck{
		edit:     "src/main/java/org/example/hello/Main.java",
		line:     "// edited on a fresh runner",
		depSteps: []string{"] mvn dependency:go-offline"},
		appStep:  "] mvn -B package -DskipTests",
		inApp:    regexp.MustCompile(`BUILD SUCCESS`),
		notInApp: regexp.MustCompile(`(?m)^.*(did not resolve|Downloading from|Downloaded from).*$`),
	}})
}
