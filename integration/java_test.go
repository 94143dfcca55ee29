package integration

import (
	"archive/zip"
	"bytes"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/org/safe-frontend/internal/dockerrun"
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
	requireJavaSourceEdit(t, example("java-hello"), "src/main/java/org/example/hello/Main.java", `"ok`)
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

// springFixture is a Spring Boot service with Spring Data JPA, Hibernate
// and H2, web and actuator, whose spec names no main class.
func springFixture() string { return filepath.Join(repoRoot, "integration", "testdata", "java-spring") }

const springMain = "org.example.orders.OrdersApplication"

// TestJavaSpringBoot builds the Spring Boot JPA fixture on the default
// runtime (jlink) with no main class named: the package step finds it as
// Boot does and it ends the class path argfile; the thin jar is on the
// class path (no repackaged fat jar), the framework's jars in their own
// layer. jdeps reads the dependency jars on the class path, so
// jakarta.transaction's requires of the absent jakarta.cdi does not fail
// it. The image goes healthy on its own HEALTHCHECK under Docker's
// hardened flags (with a tmpfs /tmp for Tomcat), / stores an order through
// Hibernate, and # syntax=
// gives the same image. A source edit then leaves the dependency steps
// CACHED and downloads nothing.
func TestJavaSpringBoot(t *testing.T) {
	tarball := filepath.Join(t.TempDir(), "spring.tar")
	start := time.Now()
	res := mustBuild(t, buildOpts{dir: springFixture(), inProcess: true, attrs: provenanceAttrs(), out: tarball})
	img := openImage(t, tarball)
	t.Logf("figure: java-spring (JPA, jlink) built in %s, %.2f MiB compressed", time.Since(start).Round(time.Second), float64(img.CompressedSize())/(1<<20))
	if l := res.Logs; strings.Contains(l, "did not resolve") || strings.Contains(l, "Downloading from") {
		t.Errorf("the package step downloaded what step 2 did not resolve:\n%s", tail(l, 3000))
	}

	t.Run("main-class-found", func(t *testing.T) {
		ep := javaEntry("/opt/java/bin/java", "")
		eq(t, "Entrypoint", img.Config.Config.Entrypoint, ep[:len(ep)-1])
		argfile := string(fileInImage(t, tarball, "app/classpath.argfile"))
		if !strings.HasSuffix(argfile, "\n"+springMain+"\n") {
			t.Errorf("classpath.argfile = %q, want the class path, then %s", argfile, springMain)
		}
		if strings.Contains(res.Logs, "main class: ") && !strings.Contains(res.Logs, "main class: "+springMain) {
			t.Errorf("the package step found another main class:\n%s", tail(res.Logs, 2000))
		}
	})

	t.Run("layers", func(t *testing.T) {
		var app, deps int64
		ls := img.Manifest.Layers
		app, deps = ls[len(ls)-1].Size, ls[len(ls)-2].Size
		t.Logf("figure: java-spring dependency layer %.2f MiB, app layer %.1f KiB", float64(deps)/(1<<20), float64(app)/1024)
		if app > 1<<20 {
			t.Errorf("the app layer is %d bytes: the framework's jars are in it (a repackaged fat jar?)", app)
		}
		files := imageFiles(t, tarball)
		for _, want := range []string{"app/lib/org.hibernate.orm.hibernate-core-", "app/lib/jakarta.transaction.jakarta.transaction-api-", "app/lib/com.h2database.h2-"} {
			if !slices.ContainsFunc(slices.Collect(maps.Keys(files)), func(n string) bool { return strings.HasPrefix(n, want) }) {
				t.Errorf("the image lacks /%s*.jar", want)
			}
		}
		mods := releaseModules(t, tarball, "opt/java/release")
		for _, want := range []string{"java.sql", "java.naming", "java.instrument", "jdk.unsupported", "java.transaction.xa"} {
			if !slices.Contains(mods, want) {
				t.Errorf("the jlink runtime lacks %s: %v", want, mods)
			}
		}
		t.Logf("figure: java-spring jlink runtime: %d modules", len(mods))
	})

	t.Run("syntax-image-same-digest", func(t *testing.T) {
		requireSameImageViaSyntax(t, springFixture(), img)
	})

	t.Run("docker-healthy", func(t *testing.T) {
		e := engine(t)
		requireRuntimeContract(t, tarball)
		ref := loadImage(t, e, tarball, "java-spring")
		requireFreePort(t, 8080)
		// Tomcat needs a scratch directory: /tmp, as a pod's emptyDir.
		c := runContainer(t, e, dockerrun.RunOptions{Image: ref, Tmpfs: []string{"/tmp"}})
		took, st := waitHealth(t, c, "healthy", 2*time.Minute)
		t.Logf("figure: java-spring healthy %s after docker run (probe said %q)", took.Round(10*time.Millisecond), st.LastProbeOutput())
		requireInitPID1(t, dockerProcesses(t, c), "java")
		body := waitHTTP(t, "http://127.0.0.1:8080/", 5*time.Second, nil)
		if !strings.Contains(body, `"orders":1`) {
			t.Errorf("GET / = %q, want an order stored through JPA", body)
		}
		stopWithin(t, c, 8*time.Second, 0, 143)
	})

	t.Run("source-edit", func(t *testing.T) {
		requireJavaSourceEdit(t, springFixture(), "src/main/java/org/example/orders/OrdersApplication.java", "hello from java-spring")
	})
}

// requireJavaSourceEdit edits one string of a source file and builds
// again on the stack's daemon: the dependency resolution, the dependency
// jars' module scan and jlink are CACHED, the package step downloads
// nothing, and of the image's layers only the app's changes.
func requireJavaSourceEdit(t *testing.T, fixture, file, old string) {
	t.Helper()
	dir := copyDir(t, fixture)
	before := filepath.Join(t.TempDir(), "before.tar")
	mustBuild(t, buildOpts{dir: dir, inProcess: true, out: before})
	src := filepath.Join(dir, filepath.FromSlash(file))
	dt, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(string(dt), old, fmt.Sprintf("%s %d", old, time.Now().UnixNano()), 1)
	if edited == string(dt) {
		t.Fatalf("%s has no %q to edit", src, old)
	}
	if err := os.WriteFile(src, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	after := filepath.Join(t.TempDir(), "after.tar")
	start := time.Now()
	res := mustBuild(t, buildOpts{dir: dir, inProcess: true, out: after})
	t.Logf("figure: %s rebuild after a source edit: %s", filepath.Base(fixture), time.Since(start).Round(time.Second))
	for _, step := range []string{"mvn dependency:go-offline", "jdeps: the dependencies' JDK modules", "jlink --strip-debug"} {
		name, v := vertex(t, res, step)
		if !v.Cached {
			t.Errorf("%q was not CACHED after a source-only edit", name)
		}
	}
	name, v := vertex(t, res, "mvn -B package")
	if v.Cached {
		t.Errorf("%q was CACHED although a source changed", name)
	}
	if m := javaDownloadRe.FindAllString(res.VertexLogs[name], -1); len(m) > 0 {
		t.Errorf("%q downloaded after a source edit: %q", name, m)
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

// javaDownloadRe finds a download in a Maven step's output.
var javaDownloadRe = regexp.MustCompile(`(?m)^.*(did not resolve|Downloading from|Downloaded from).*$`)

// TestJavaJlinkFails: when jlink cannot make the runtime (here a module
// the JDK no longer has, which java.modules asks for), the build fails
// with one line naming the module and the fix, not a JVM stack trace.
func TestJavaJlinkFails(t *testing.T) {
	dir := copyDir(t, example("java-hello"))
	spec := filepath.Join(dir, "Dockerfile")
	dt, err := os.ReadFile(spec)
	if err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(string(dt), "  runtime: jlink", "  runtime: jlink\n  modules: [java.xml.bind]", 1)
	if bad == string(dt) {
		t.Fatal("the example's spec has no `runtime: jlink` line")
	}
	if err := os.WriteFile(spec, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := build(t, buildOpts{dir: dir, inProcess: true})
	if err == nil {
		t.Fatal("built a jlink runtime with a module the JDK does not have")
	}
	name, _ := vertex(t, res, "] jlink --strip-debug")
	out := res.VertexLogs[name]
	const want = "error: jlink could not link the runtime: Module java.xml.bind not found; no jlink runtime can be made for this app: set java.runtime: jre"
	var errs []string
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, "rror") || strings.Contains(l, "\tat ") || strings.Contains(l, "Exception") {
			errs = append(errs, l)
		}
	}
	if len(errs) != 1 || !strings.Contains(errs[0], want) {
		t.Errorf("the jlink step said %q; want one line with %q\n--- its output\n%s", errs, want, out)
	}
}

// TestJavaKotlinWrapper builds a Spring Boot service in Kotlin as Spring
// Initializr lays it out (kotlin-maven-plugin, src/main/kotlin, ./mvnw),
// on the default runtime: the wrapper's Maven is fetched and checked
// against the distributionSha256Sum it pins, main is found in
// GreetingsApplicationKt, and /actuator/health answers under runc. A wrong
// pin fails the resolve step with the distribution's real SHA-256.
func TestJavaKotlinWrapper(t *testing.T) {
	fixture := filepath.Join(repoRoot, "integration", "testdata", "java-kotlin")
	tarball := filepath.Join(t.TempDir(), "kotlin.tar")
	start := time.Now()
	res := mustBuild(t, buildOpts{dir: fixture, inProcess: true, out: tarball})
	t.Logf("figure: java-kotlin (jlink, ./mvnw) built in %s", time.Since(start).Round(time.Second))
	if name, v := vertex(t, res, "] mvn dependency:go-offline"); !v.Cached && !strings.Contains(res.VertexLogs[name], ": SHA-256 0d7125e8c91097b36edb990ea5934e6c68b4440eef4ea96510a0f6815e7eeadb as pinned") {
		t.Errorf("%s did not check the wrapper's Maven against its pin:\n%s", name, tail(res.VertexLogs[name], 2000))
	}
	argfile := string(fileInImage(t, tarball, "app/classpath.argfile"))
	if !strings.HasSuffix(argfile, "\norg.example.greetings.GreetingsApplicationKt\n") {
		t.Errorf("classpath.argfile = %q, want Kotlin's main class last", argfile)
	}
	runJavaHardened(t, tarball, "/actuator/health", "--server.port=18090")

	t.Run("two-main-classes", func(t *testing.T) {
		// Another file with a main function: neither class is annotated, so
		// there is no telling which one runs.
		dir := copyDir(t, fixture)
		other := filepath.Join(dir, "src", "main", "kotlin", "org", "example", "greetings", "Migrate.kt")
		if err := os.WriteFile(other, []byte("package org.example.greetings\n\nfun main() {\n    println(\"migrating\")\n}\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		res, err := build(t, buildOpts{dir: dir, inProcess: true})
		if err == nil {
			t.Fatal("built with two main classes and no java.main")
		}
		name, _ := vertex(t, res, "] mvn -B package")
		out := res.VertexLogs[name]
		for _, want := range []string{
			"greetings.jar has 2 classes with a main method and none annotated @SpringBootApplication; set java.main to one of:",
			"org.example.greetings.GreetingsApplicationKt (org/example/greetings/GreetingsApplication.kt)",
			"org.example.greetings.MigrateKt (org/example/greetings/Migrate.kt)",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("%s does not say %q:\n%s", name, want, tail(out, 2000))
			}
		}
	})

	t.Run("wrong-pin", func(t *testing.T) {
		dir := copyDir(t, fixture)
		props := filepath.Join(dir, ".mvn", "wrapper", "maven-wrapper.properties")
		dt, err := os.ReadFile(props)
		if err != nil {
			t.Fatal(err)
		}
		bad := strings.Replace(string(dt), "distributionSha256Sum=0d71", "distributionSha256Sum=1d71", 1)
		if bad == string(dt) {
			t.Fatal("the fixture pins no distributionSha256Sum")
		}
		if err := os.WriteFile(props, []byte(bad), 0o644); err != nil {
			t.Fatal(err)
		}
		res, err := build(t, buildOpts{dir: dir, inProcess: true})
		if err == nil {
			t.Fatal("built with a Maven distribution that does not match its pin")
		}
		name, _ := vertex(t, res, "] mvn dependency:go-offline")
		const want = "has SHA-256 0d7125e8c91097b36edb990ea5934e6c68b4440eef4ea96510a0f6815e7eeadb, but .mvn/wrapper/maven-wrapper.properties pins distributionSha256Sum=1d71"
		if out := res.VertexLogs[name]; !strings.Contains(out, want) {
			t.Errorf("%s does not say %q:\n%s", name, want, tail(out, 2000))
		}
	})
}

// TestJavaVersions builds java-hello with java.version "17" (its release
// lowered to match, a thread pool for its virtual threads) and "25" on the
// default runtime: Maven and jlink from
// that major's builder, a runtime of that major that serves /healthz
// under runc.
func TestJavaVersions(t *testing.T) {
	for _, v := range []string{"17", "25"} {
		t.Run(v, func(t *testing.T) {
			dir := copyDir(t, example("java-hello"))
			replaceIn(t, filepath.Join(dir, "Dockerfile"), `version: "21"`, `version: "`+v+`"`)
			if v == "17" {
				// Java 17 has no virtual threads: a thread pool instead.
				replaceIn(t, filepath.Join(dir, "pom.xml"), "<maven.compiler.release>21<", "<maven.compiler.release>17<")
				replaceIn(t, filepath.Join(dir, "src", "main", "java", "org", "example", "hello", "Main.java"), "Executors.newVirtualThreadPerTaskExecutor()", "Executors.newCachedThreadPool()")
			}
			tarball := filepath.Join(t.TempDir(), "java"+v+".tar")
			start := time.Now()
			mustBuild(t, buildOpts{dir: dir, inProcess: true, out: tarball})
			t.Logf("figure: java-hello on Java %s (jlink) built in %s", v, time.Since(start).Round(time.Second))
			release := string(fileInImage(t, tarball, "opt/java/release"))
			if !strings.Contains(release, `JAVA_VERSION="`+v) {
				t.Errorf("/opt/java/release does not say Java %s:\n%s", v, release)
			}
			runJavaHardened(t, tarball, "/healthz")
		})
	}
}

// replaceIn replaces the first old in a file with new, failing when the
// file has no old.
func replaceIn(t *testing.T, file, old, new string) {
	t.Helper()
	dt, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(dt), old, new, 1)
	if s == string(dt) {
		t.Fatalf("%s has no %q", file, old)
	}
	if err := os.WriteFile(file, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
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

// TestJavaReproducible: the Spring Boot JPA fixture's spec, poms and
// sources give the same image digest on two fresh daemons with --no-cache
// (Maven resolves and compiles again, jlink runs again) and on the stack's
// daemon with its cache.
//
// And the resolved repository travels with a registry cache: a pruned
// daemon importing it builds a source edit without resolving again, and
// mvn package downloads nothing go-offline missed.
func TestJavaReproducible(t *testing.T) {
	requireReproducible(t, springFixture(), reproOpts{epoch: testEpoch, travel: &travelCheck{
		edit:     "src/main/java/org/example/orders/OrdersApplication.java",
		line:     "// edited on a fresh runner",
		depSteps: []string{"] mvn dependency:go-offline", "] jdeps: the dependencies' JDK modules", "] jlink --strip-debug --no-man-pages --no-header-files"},
		appStep:  "] mvn -B package -DskipTests",
		inApp:    regexp.MustCompile(`BUILD SUCCESS`),
		notInApp: javaDownloadRe,
	}})
}
