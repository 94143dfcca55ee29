package llbgen

import (
	_ "embed"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/moby/buildkit/client/llb"
	"github.com/pkg/errors"

	"github.com/org/safe-frontend/rules"
	"github.com/org/safe-frontend/spec"
)

// DefaultJavaVersion is the Java major used when a spec names none; it
// moves with frontend releases, never with "latest".
const DefaultJavaVersion = "21"

// javaVersions are the majors with a Maven builder image and a distroless
// java runtime (the long-term releases that still get updates).
var javaVersions = []string{"17", "21", "25"}

// JavaVersions lists the Java majors the frontend builds.
func JavaVersions() []string { return slices.Clone(javaVersions) }

// Pinned Maven plugins the frontend calls by name: a goal without a
// version would resolve the newest release at build time.
const mavenDependencyPlugin = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1"

// Paths in the Java build stage and the final image.
const (
	javaSrc      = "/src"
	javaOut      = "/out"
	mavenRepo    = "/root/.m2/repository"
	javaTools    = "/run/safe-frontend-java"
	javaApp      = "/app"
	javaJlinkDir = "/opt/java" // the jlink runtime in the final image
	javaJREBin   = "/usr/bin/java"
	// javaArgFile holds the class path, in Maven's order; java reads it
	// with @ (JDK 9+), so the entrypoint stays static.
	javaArgFile = javaApp + "/classpath.argfile"
	// mavenMinTimestamp is the earliest time a zip entry holds (Maven
	// refuses an outputTimestamp before it).
	mavenMinTimestamp = 315532802
)

// javaDefaults are the JVM flags every Java image runs with, before
// java.options (a later flag wins):
//   - the heap follows the container's memory limit (the JVM's default is a
//     quarter of it);
//   - an OutOfMemoryError ends the process, so the orchestrator restarts a
//     clean one instead of a JVM limping on with broken threads;
//   - the performance counters stay in memory: the default mmaps a file
//     under /tmp, which a read-only root cannot hold and which stalls GC
//     pauses on slow disks.
//
// -Djava.security.egd is not set: since JDK 9 SecureRandom does not block
// on /dev/random.
var javaDefaults = []string{"-XX:MaxRAMPercentage=75", "-XX:+ExitOnOutOfMemoryError", "-XX:+PerfDisableSharedMem"}

type java struct{}

func init() { register(java{}) }

func (java) Name() string { return "java" }

func javaCfg(s *spec.Spec) spec.Java {
	if s.Java != nil {
		return *s.Java
	}
	return spec.Java{}
}

// JavaMajor is the spec's Java major.
func JavaMajor(s *spec.Spec) string {
	if v := strings.TrimSpace(javaCfg(s).Version); v != "" {
		return v
	}
	return DefaultJavaVersion
}

func javaJlink(s *spec.Spec) bool { return javaCfg(s).Runtime != "jre" }

func (java) BuilderImage(s *spec.Spec) string {
	return "docker.io/library/maven:3-eclipse-temurin-" + JavaMajor(s)
}

func (java) Runtime(s *spec.Spec) Runtime {
	if javaJlink(s) {
		// The jlink runtime is a glibc program with libstdc++ (libjvm).
		return RuntimeCC
	}
	return RuntimeOwn
}

func (j java) FinalImage(s *spec.Spec, final string) (string, bool) {
	if javaJlink(s) {
		return commonFinal(RuntimeCC, final)
	}
	if final != "distroless" {
		return "", false
	}
	debian := "debian13"
	if JavaMajor(s) == "17" {
		debian = "debian12" // distroless ships Java 17 on Debian 12 only
	}
	return "gcr.io/distroless/java" + JavaMajor(s) + "-" + debian + ":nonroot", true
}

// ContextFiles: the poms (the root and modules up to three directories
// deep), the wrapper's settings, Maven's per-project configuration, and
// the files that tell a Gradle build or a settings.xml with credentials.
func (java) ContextFiles(*spec.Spec) []string {
	out := []string{"pom.xml", "mvnw", ".mvn/wrapper/maven-wrapper.properties", ".mvn/maven.config", ".mvn/jvm.config",
		"settings.xml", ".mvn/settings.xml",
		"build.gradle", "build.gradle.kts", "settings.gradle", "settings.gradle.kts"}
	return append(out, nestedPatterns("pom.xml", maxModuleDepth)...)
}

// javaPlan is what the poms decide.
type javaPlan struct {
	reactor *mavenReactor
	module  *mavenModule // the module that runs
	main    string
	wrapper bool // ./mvnw is in the context
	// select is -pl <dir> -am for one module of a multi-module build.
	selection []string
}

// javaPath is the spec key a finding about a java setting points at: the
// key when the spec wrote it, else the block, else the language line.
func javaPath(s *spec.Spec, key string) string {
	if key != "" && s.Source.Has("java/"+key) {
		return "java/" + key
	}
	if s.Source.Has("java") {
		return "java"
	}
	return "language"
}

func planJava(s *spec.Spec, files map[string][]byte) (*javaPlan, error) {
	cfg := javaCfg(s)
	if b := strings.ToLower(strings.TrimSpace(cfg.Build)); b != "" && b != "maven" {
		return nil, ruleError(rules.UnsupportedBuildTool, javaPath(s, "build"), "java.build %q is not supported; only Maven (pom.xml) builds are", truncate(cfg.Build, 40))
	}
	r, err := readReactor(files)
	if errors.Is(err, errMissingPom) {
		for _, g := range []string{"build.gradle", "build.gradle.kts", "settings.gradle", "settings.gradle.kts"} {
			if _, ok := files[g]; ok {
				return nil, ruleError(rules.UnsupportedBuildTool, javaPath(s, "build"),
					"the context has %s and no pom.xml: Gradle builds are not supported yet (the Gradle distribution and its wrapper cannot be fetched reproducibly); add a Maven pom.xml", g)
			}
		}
		return nil, ruleError(rules.MavenPomMissing, javaPath(s, "build"),
			"the build context has no pom.xml at its root: language: java builds a Maven project; point the build at the project's directory (the one with pom.xml), or check that .dockerignore does not drop it")
	}
	if err != nil {
		return nil, ruleError(rules.MavenPomUnusable, javaPath(s, "module"), "%v", err)
	}
	p := &javaPlan{reactor: r}
	if _, ok := files["mvnw"]; ok {
		if _, ok := files[".mvn/wrapper/maven-wrapper.properties"]; ok {
			p.wrapper = true
		}
	}
	switch {
	case cfg.Module != "":
		p.module = r.find(cfg.Module)
		if p.module == nil {
			return nil, ruleError(rules.MavenPomUnusable, javaPath(s, "module"),
				"java.module %q is no module of the build (pom.xml lists: %s); name one by its artifactId or directory", truncate(cfg.Module, 80), quoteNames(r.names()))
		}
	case r.Root.Packaging == "pom":
		// Several modules: the one that names a main class, if only one does.
		var withMain []*mavenModule
		for _, m := range r.Modules {
			if m.Packaging == "jar" && m.MainClass != "" {
				withMain = append(withMain, m)
			}
		}
		if len(withMain) != 1 || cfg.Main != "" {
			return nil, ruleError(rules.MavenPomUnusable, javaPath(s, "module"),
				"pom.xml is a multi-module build (packaging pom): set java.module to the module that runs (one of %s)", quoteNames(r.names()))
		}
		p.module = withMain[0]
	default:
		p.module = r.Root
	}
	m := p.module
	if m.Packaging != "jar" {
		return nil, ruleError(rules.MavenPomUnusable, javaPath(s, "module"),
			"%s has packaging %q; the frontend runs jar modules (a war needs a servlet container: package the app as an executable jar)", m.Pom, truncate(m.Packaging, 40))
	}
	if m != r.Root {
		p.selection = []string{"-pl", m.Dir, "-am"}
	}
	major, _ := strconv.Atoi(JavaMajor(s))
	if m.Release > 0 && major > 0 && m.Release > major {
		return nil, ruleError(rules.UnsupportedJava, javaPath(s, "version"),
			"%s compiles for Java %d (maven.compiler.release or the compiler plugin), but java.version is %d: set java.version: \"%d\" or lower the release", m.Pom, m.Release, major, m.Release)
	}
	p.main = cfg.Main
	if p.main == "" {
		p.main = m.MainClass
	}
	if p.main == "" {
		return nil, ruleError(rules.NoMainClass, javaPath(s, "main"),
			"%s names no main class (a maven-jar-plugin <archive><manifest><mainClass>, spring-boot-maven-plugin <mainClass> or a start-class property); add one to the pom, or set java.main: com.example.App", m.Pom)
	}
	return p, nil
}

// settingsSecretRe finds credentials in a Maven settings.xml.
var settingsSecretRe = regexp.MustCompile(`<(password|privateKey|passphrase)>\s*[^<\s]`)

// CheckContext reports what the poms and Maven's files in the context
// break, before anything is built.
func (java) CheckContext(s *spec.Spec, files map[string][]byte, _ bool) []ContextFinding {
	var out []ContextFinding
	if _, err := planJava(s, files); err != nil {
		var re *RuleError
		if errors.As(err, &re) {
			out = append(out, ContextFinding{Rule: re.Rule, Path: re.Path, Message: re.Msg})
		} else {
			out = append(out, ContextFinding{Rule: rules.MavenPomUnusable, Path: "language", Message: err.Error()})
		}
	}
	for _, f := range []string{"settings.xml", ".mvn/settings.xml"} {
		if settingsSecretRe.Match(files[f]) {
			out = append(out, ContextFinding{Rule: rules.MavenSettingsInContext, Path: "language", Message: fmt.Sprintf(
				"%s in the build context holds credentials, which the build stage and its cache would keep; pass it as a build secret instead: secrets: [{id: maven-settings, target: /root/.m2/settings.xml}] and --secret id=maven-settings,src=%s, then delete it from the context (or list it in .dockerignore)", f, f)})
		}
	}
	return out
}

// javaTruststore defines java_truststore PEM STORE: the `ca` secret as a
// PKCS12 truststore (the JDK's cacerts plus the secret's certificates) for
// Maven's JVM, which reads no PEM bundle.
//
//go:embed java_truststore.sh
var javaTruststore string

// reproducibleJar makes every jar it is given reproducible. maven-jar-plugin
// 3.2.0 and later honours project.build.outputTimestamp (every entry at
// that time, in an order of the archiver's own): the tool reads such a jar,
// finds every entry at the build's time and leaves it as it is. An older
// plugin's jar (entry times of the build's clock, the order of the file
// system, a date comment in pom.properties) is rewritten: every entry at
// the build's time, in name order (the manifest first), no comment. It also checks that
// one of the jars holds the main class (exit 3 if none does). It is
// compiled once (a cached step), so the package step pays for one short
// JVM start, not for the source launcher's compilation.
const reproducibleJar = `import java.io.*;
import java.nio.charset.StandardCharsets;
import java.nio.file.*;
import java.util.*;
import java.util.zip.*;

public class ReproducibleJar {
    // args: epoch seconds, the main class's entry name, the jars.
    public static void main(String[] args) throws Exception {
        long time = Long.parseLong(args[0]) * 1000L;
        String mainEntry = args[1];
        boolean found = false;
        int rewritten = 0, kept = 0;
        for (int i = 2; i < args.length; i++) {
            Path jar = Path.of(args[i]);
            List<String> names = new ArrayList<>();
            if (canonical(jar, time, names)) {
                kept++;
            } else {
                rewrite(jar, time);
                rewritten++;
            }
            if (names.contains(mainEntry)) found = true;
        }
        System.out.println("reproducible jars: " + rewritten + " rewritten, " + kept + " already at the build's time");
        if (!found) System.exit(3);
    }

    static int rank(String name) {
        if (name.equals("META-INF/")) return 0;
        if (name.equals("META-INF/MANIFEST.MF")) return 1;
        return 2;
    }

    static final Comparator<String> ORDER = Comparator.comparingInt(ReproducibleJar::rank).thenComparing(Comparator.naturalOrder());

    static boolean pomProperties(String name) {
        return name.startsWith("META-INF/maven/") && name.endsWith("/pom.properties");
    }

    // canonical lists the jar's entry names and tells whether the archiver
    // made it reproducible already: every entry at the build's time (an
    // archiver that honours outputTimestamp also writes its entries in an
    // order of its own that does not follow the file system's) and no
    // comment in pom.properties.
    static boolean canonical(Path jar, long time, List<String> names) throws IOException {
        boolean ok = true;
        try (ZipFile in = new ZipFile(jar.toFile())) {
            for (ZipEntry e : Collections.list(in.entries())) {
                String name = e.getName();
                names.add(name);
                if (!ok) continue;
                if (e.getTime() != time) {
                    ok = false;
                    System.out.println(jar.getFileName() + ": " + name + " at " + e.getTime() / 1000 + ", not " + time / 1000);
                } else if (pomProperties(name)) {
                    try (InputStream s = in.getInputStream(e)) {
                        String text = new String(s.readAllBytes(), StandardCharsets.ISO_8859_1);
                        if (text.startsWith("#") || text.contains("\n#")) {
                            ok = false;
                            System.out.println(jar.getFileName() + ": " + name + " has a comment");
                        }
                    }
                }
            }
        }
        return ok;
    }

    static void rewrite(Path jar, long time) throws IOException {
        Path tmp = jar.resolveSibling(jar.getFileName() + ".tmp");
        try (ZipFile in = new ZipFile(jar.toFile());
             ZipOutputStream out = new ZipOutputStream(new BufferedOutputStream(Files.newOutputStream(tmp)))) {
            List<ZipEntry> entries = new ArrayList<>(Collections.list(in.entries()));
            entries.sort(Comparator.comparing(ZipEntry::getName, ORDER));
            for (ZipEntry e : entries) {
                byte[] data = in.getInputStream(e).readAllBytes();
                if (pomProperties(e.getName())) {
                    StringBuilder b = new StringBuilder();
                    for (String line : new String(data, StandardCharsets.ISO_8859_1).split("\\r?\\n")) {
                        if (!line.startsWith("#")) b.append(line).append('\n');
                    }
                    data = b.toString().getBytes(StandardCharsets.ISO_8859_1);
                }
                ZipEntry o = new ZipEntry(e.getName());
                o.setTime(time);
                out.putNextEntry(o);
                out.write(data);
                out.closeEntry();
            }
        }
        Files.move(tmp, jar, StandardCopyOption.REPLACE_EXISTING);
    }
}
`

// pemTrustStoreJava is the Java half of java_truststore.sh (its here
// document), compiled with the jar tool for the package step.
var pemTrustStoreJava = func() string {
	_, rest, _ := strings.Cut(javaTruststore, "<<'JAVA'\n")
	src, _, _ := strings.Cut(rest, "\nJAVA\n")
	return src + "\n"
}()

// mavenScript runs Maven with the CA secret as a truststore made in /tmp
// (a tmpfs: no layer keeps it) and the build args in the environment.
func mavenScript(ca string, wrapper bool, args []string, after ...string) string {
	return mavenRun(ca, "", wrapper, args, after...)
}

// mavenRun is mavenScript; with tools (where the javac step put
// PemTrustStore.class) the truststore is made without the source
// launcher's compilation.
func mavenRun(ca, tools string, wrapper bool, args []string, after ...string) string {
	var b strings.Builder
	b.WriteString("set -eu\n")
	switch {
	case tools != "":
		fmt.Fprintf(&b, `if [ -s %[1]s ]; then
  mkdir -p /tmp/truststore
  java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -cp %[2]s PemTrustStore %[1]s /tmp/truststore/truststore.p12
  MAVEN_OPTS="${MAVEN_OPTS:+$MAVEN_OPTS }-Djavax.net.ssl.trustStore=/tmp/truststore/truststore.p12 -Djavax.net.ssl.trustStoreType=PKCS12 -Djavax.net.ssl.trustStorePassword=changeit"
  export MAVEN_OPTS
fi
`, shQuote(ca), tools)
	default:
		b.WriteString(javaTruststore)
		fmt.Fprintf(&b, "java_truststore %s /tmp/truststore/truststore.p12\n", shQuote(ca))
	}
	mvn := "mvn"
	if wrapper {
		mvn = "sh ./mvnw"
	}
	b.WriteString("touch /tmp/maven-start\n")
	b.WriteString(mvn + " " + shJoin(args) + "\n")
	for _, a := range after {
		if a != "" {
			b.WriteString(a + "\n")
		}
	}
	return b.String()
}

// mavenMisses, after the package step's mvn, names what Maven downloaded
// that step 2 did not resolve (go-offline does not see everything a
// lifecycle loads, such as some plugins' own dependencies): package runs
// online on top of the resolved repository, so a miss costs a download,
// not the build. Changed times (-cnewer), since Maven may set a
// download's modification time to the server's.
const mavenMisses = `misses=$(cd ` + mavenRepo + ` && find . -type f \( -name '*.jar' -o -name '*.pom' \) -cnewer /tmp/maven-start | sort)
if [ -n "$misses" ]; then
  echo "note: mvn package downloaded $(printf '%s\n' "$misses" | wc -l) files that dependency:go-offline did not resolve (not in the dependency layer):" >&2
  printf '%s\n' "$misses" | head -n 20 | sed 's|^\./|  |' >&2
fi`

func (java) Build(in *BuildInput) (*BuildOutput, error) {
	s := in.Spec
	cfg := javaCfg(s)
	p, err := planJava(s, in.Files)
	if err != nil {
		return nil, err
	}
	jlink := javaJlink(s)
	if jlink && (in.Target.OS != in.Build.OS || in.Target.Architecture != in.Build.Architecture || in.Target.Variant != in.Build.Variant) {
		return nil, &SpecError{Path: javaPath(s, "runtime"), Err: errors.Errorf(
			"runtime: jlink makes a runtime from the builder's JDK, which is for %s, not %s; use runtime: jre for other platforms (the jars run anywhere), or build on a %s machine",
			platformString(in.Build), platformString(in.Target), platformString(in.Target))}
	}
	total := 4
	if jlink {
		total = 6
	}
	m := p.module

	env := []llb.RunOption{}
	for _, kv := range in.Env {
		k, v, _ := strings.Cut(kv, "=")
		env = append(env, llb.AddEnv(k, v))
	}
	// The jar tool, compiled once: keyed by its source and the builder.
	toolSrc := llb.Scratch().File(llb.Mkfile("/ReproducibleJar.java", 0o644, []byte(reproducibleJar)).
		Mkfile("/PemTrustStore.java", 0o644, []byte(pemTrustStoreJava)),
		in.Step(4, total, "jar rewriter (one entry time)", "language"))
	tools := in.Builder.Run(append([]llb.RunOption{
		llb.Args([]string{"javac", "-d", "/run/tools", "/run/tools-src/ReproducibleJar.java", "/run/tools-src/PemTrustStore.java"}),
		llb.AddMount("/run/tools-src", toolSrc, llb.Readonly),
		in.Step(4, total, "javac ReproducibleJar.java PemTrustStore.java", "language"),
	}, in.RunOpts...)...).AddMount("/run/tools", llb.Scratch())
	// The local repository and the wrapper's Maven are in the builder's
	// filesystem, not cache mounts: what step 2 resolves is a layer, which
	// a registry cache (--cache-to type=registry,mode=max) carries to a
	// fresh CI runner.
	mvnOpts := func(name, path string, n int) []llb.RunOption {
		opts := []llb.RunOption{
			llb.Dir(javaSrc),
			llb.AddMount("/tmp", llb.Scratch(), llb.Tmpfs()),
			in.Step(n, total, name, path),
		}
		return append(append(opts, env...), in.RunOpts...)
	}
	common := []string{"-B", "-ntp", "-Dstyle.color=never", "-Dmaven.repo.local=" + mavenRepo}

	// 1: the poms (and the wrapper) alone, so a source edit leaves the
	// dependency resolution cached.
	var poms []string
	for _, mod := range p.reactor.Modules {
		poms = append(poms, mod.Pom)
	}
	what := "copy pom.xml"
	if len(poms) > 1 {
		what = "copy " + strconv.Itoa(len(poms)) + " pom.xml files"
	}
	fa := llb.Mkdir(javaSrc, 0o755, llb.WithParents(true))
	for _, pom := range poms {
		fa = fa.Copy(in.Context, "/"+pom, path.Join(javaSrc, pom), &llb.CopyInfo{CreateDestPath: true})
	}
	if p.wrapper {
		what += ", .mvn and mvnw"
		fa = fa.Copy(in.Context, "/mvnw", javaSrc+"/mvnw").
			Copy(in.Context, "/.mvn", javaSrc+"/.mvn", &llb.CopyInfo{CopyDirContentsOnly: true, CreateDestPath: true})
	} else if _, ok := in.Files[".mvn/maven.config"]; ok {
		what += " and .mvn"
		fa = fa.Copy(in.Context, "/.mvn", javaSrc+"/.mvn", &llb.CopyInfo{CopyDirContentsOnly: true, CreateDestPath: true})
	}
	manifests := in.Builder.File(fa, in.Step(1, total, what, "language"))

	// 2: resolve the dependencies and plugins from the poms alone; the
	// reactor's own modules are built in step 4, not looked up.
	offline := slices.Concat(common, p.selection, []string{mavenDependencyPlugin + ":go-offline", "-DexcludeReactor=true"})
	resolved := manifests.Run(append([]llb.RunOption{
		llb.Args([]string{"/bin/sh", "-c", mavenScript(in.CA, p.wrapper, offline)}),
	}, mvnOpts("mvn dependency:go-offline", "language", 2)...)...).Root()

	// 3: the sources, without build output a developer left behind.
	var excl []string
	for _, mod := range p.reactor.Modules {
		excl = append(excl, path.Join(mod.Dir, "target"))
	}
	sources := resolved.File(llb.Copy(in.Context, "/", javaSrc+"/", &llb.CopyInfo{CopyDirContentsOnly: true, ExcludePatterns: excl}),
		in.Step(3, total, "copy sources", "language"))

	// 4: package, then stage what runs: the app's jars, the runtime
	// dependencies, and the class path in Maven's order.
	epoch := in.Epoch.Unix()
	if epoch < mavenMinTimestamp {
		epoch = mavenMinTimestamp
	}
	pkg := slices.Concat(common, []string{"-Dproject.build.outputTimestamp=" + strconv.FormatInt(epoch, 10), "-Dspring-boot.repackage.skip=true"})
	if !cfg.Tests {
		pkg = append(pkg, "-DskipTests")
	}
	pkg = slices.Concat(pkg, p.selection, []string{"package",
		mavenDependencyPlugin + ":copy-dependencies", mavenDependencyPlugin + ":build-classpath",
		"-DincludeScope=runtime", "-Dmdep.prependGroupId=true", "-Dmdep.outputFile=target/safe-frontend.classpath", "-Dmdep.prefix=" + javaApp + "/lib"})
	name := "mvn -B package"
	if !cfg.Tests {
		name += " -DskipTests"
	}
	if len(p.selection) > 0 {
		name += " -pl " + m.Dir + " -am"
	}
	testsPath := "language"
	if cfg.Tests {
		testsPath = javaPath(s, "tests")
	}
	built := sources.Run(append([]llb.RunOption{
		llb.Args([]string{"/bin/sh", "-c", mavenRun(in.CA, javaTools, p.wrapper, pkg, mavenMisses, javaStage(p, epoch), javaJdepsApp(jlink, JavaMajor(s)))}),
		llb.AddMount(javaTools, tools, llb.Readonly),
		// A package run is short: the JIT's first tier and one GC thread
		// start Maven faster than C2 and G1 pay back (MAVEN_OPTS from the
		// build's env wins).
		llb.AddEnv("MAVEN_OPTS", "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"),
	}, mvnOpts(name, testsPath, 4)...)...).Root()

	layers := []Layer{}
	entry := []string{javaJREBin}
	var outEnv []string
	if jlink {
		// 5: the JDK modules the jars use. The app's jars were read in the
		// package step (no step of their own); the dependencies are read
		// from a copy of their jars (keyed by content), so a source edit
		// leaves that part cached.
		rt := javaPath(s, "runtime")
		libs := llb.Scratch().File(llb.Copy(built, javaOut+"/lib", "/", &llb.CopyInfo{CopyDirContentsOnly: true}),
			in.Step(5, total, "dependency jars", rt))
		depRun := in.Builder.Run(append([]llb.RunOption{
			llb.Args([]string{"/bin/sh", "-c", javaJdepsLibs(JavaMajor(s))}),
			llb.AddMount("/run/lib", libs, llb.Readonly),
			in.Step(5, total, "jdeps: the dependencies' JDK modules", rt),
		}, in.RunOpts...)...).Root()
		// 6: jlink from the two module lists alone (a copy is keyed by its
		// content): an edit that uses no new module leaves it cached.
		mods := llb.Scratch().File(llb.Copy(built, javaOut+"/app.modules", "/app.modules").
			Copy(depRun, javaOut+"/deps.modules", "/deps.modules"),
			in.Step(6, total, "module list", rt))
		jre := in.Builder.Run(append([]llb.RunOption{
			llb.Args([]string{"/bin/sh", "-c", javaJlinkScript(cfg.Modules)}),
			llb.AddMount("/run/jdeps", mods, llb.Readonly),
			in.Step(6, total, "jlink --strip-debug --no-man-pages --no-header-files", javaPath(s, "runtime")),
		}, in.RunOpts...)...).Root()
		layers = append(layers, Layer{Name: "java runtime", State: jre, Files: []Artifact{{Src: javaOut + "/jre", Dest: javaJlinkDir, Dir: true}}})
		entry = []string{javaJlinkDir + "/bin/java"}
		outEnv = []string{"JAVA_HOME=" + javaJlinkDir}
	}
	layers = append(layers,
		Layer{Name: "dependencies", State: built, Files: []Artifact{{Src: javaOut + "/lib", Dest: javaApp + "/lib", Dir: true}}},
		Layer{Name: "app", State: built, Files: []Artifact{{Src: javaOut + "/app", Dest: javaApp, Dir: true}}},
	)
	entry = slices.Concat(entry, javaDefaults, cfg.Options, []string{"@" + javaArgFile, p.main})
	return &BuildOutput{
		Layers:     layers,
		Entrypoint: entry,
		WorkingDir: javaApp,
		Env:        outEnv,
		SBOM:       []SBOMSource{{Kind: "maven-jars", Path: javaApp}},
		// The JVM exits 128+SIGTERM once its shutdown hooks have run.
		StopStatus: 143,
	}, nil
}

// javaStage copies the module's jar, its runtime dependencies and the
// class path out of the build tree into /out: jars of the reactor's own
// modules go with the app, not with the dependencies, since they change
// with the sources.
func javaStage(p *javaPlan, epoch int64) string {
	m := p.module
	var b strings.Builder
	fmt.Fprintf(&b, `mod=%s
rm -rf %[2]s && mkdir -p %[2]s/lib %[2]s/app/modules
`, shQuote(path.Join(javaSrc, m.Dir)), javaOut)
	// The module's own jar: the final name when the pom fixes it, else the
	// one jar Maven left (Spring Boot's repackaging is skipped; an
	// .original is the thin jar).
	if m.FinalName != "" {
		fmt.Fprintf(&b, "jar=\"$mod/target/\"%s.jar\n", shQuote(m.FinalName))
	} else {
		b.WriteString(`jar=$(ls "$mod"/target/*.jar 2>/dev/null | grep -v -e '-sources\.jar$' -e '-javadoc\.jar$' -e '-tests\.jar$' || true)
`)
	}
	fmt.Fprintf(&b, `if [ -f "$jar.original" ]; then jar="$jar.original"; fi
if [ "$(printf '%%s\n' "$jar" | grep -c .)" -ne 1 ] || [ ! -f "$jar" ]; then
  echo "error: %s: expected one jar in $mod/target, found: ${jar:-none}" >&2
  exit 1
fi
cp "$jar" %s
if [ -d "$mod/target/dependency" ]; then cp "$mod"/target/dependency/*.jar %s/lib/ 2>/dev/null || true; fi
cp="%s"
`, m.Pom, path.Join(javaOut, "app", m.ArtifactID+".jar"), javaOut, path.Join(javaApp, m.ArtifactID+".jar"))
	// Jars of sibling modules move to the app layer.
	for _, o := range p.reactor.Modules {
		if o == m || o.GroupID == "" {
			continue
		}
		base := o.GroupID + "." + o.ArtifactID + "-"
		fmt.Fprintf(&b, `for f in %[1]s/lib/%[2]s[0-9]*.jar; do
  [ -f "$f" ] || continue
  mv "$f" %[1]s/app/modules/
done
`, javaOut, shQuote(base))
	}
	fmt.Fprintf(&b, `deps=$(cat "$mod/target/safe-frontend.classpath" 2>/dev/null || true)
for f in $(printf '%%s' "$deps" | tr ':' ' '); do
  n=$(basename "$f")
  if [ -f %[1]s/app/modules/"$n" ]; then cp="$cp:%[2]s/modules/$n"; else cp="$cp:$f"; fi
done
printf -- '--class-path\n"%%s"\n' "$cp" > %[1]s/app/classpath.argfile
rmdir %[1]s/app/modules 2>/dev/null || true
# the app's jars reproducible (rewritten unless Maven made them so), the main class in one of them
cls=$(printf '%%s' %[3]s | tr . /).class
rc=0
java -Duser.timezone=UTC -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -cp %[6]s ReproducibleJar %[7]d "$cls" %[1]s/app/*.jar $(ls %[1]s/app/modules/*.jar 2>/dev/null) || rc=$?
if [ "$rc" -eq 3 ]; then
  echo "error: the main class %[4]s is in no jar of %[5]s; check java.main or the pom's mainClass" >&2
  exit 1
fi
[ "$rc" -eq 0 ] || exit "$rc"
`, javaOut, javaApp, shQuote(p.main), p.main, m.ArtifactID, javaTools, epoch)
	return b.String()
}

// javaJdepsLibs lists the JDK modules the dependency jars use (read for
// the target major), one a line, in /out/deps.modules. On the class path
// jdeps counts every reference, also those a modular jar declares
// `requires static` (optional at run time: Jackson's java.beans and
// java.sql support); a module only such declarations want is left out,
// unless another jar uses it too or the spec adds it (java.modules).
func javaJdepsLibs(major string) string {
	return fmt.Sprintf(`set -eu
mkdir -p %[2]s
: > %[2]s/deps.modules
jars=$(ls /run/lib/*.jar 2>/dev/null | LC_ALL=C sort || true)
[ -n "$jars" ] || exit 0
jdeps --ignore-missing-deps -q --multi-release %[1]s -s $jars > /tmp/jdeps.summary
cat > /tmp/StaticRequires.java <<'JAVA'
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.nio.file.Path;

// Prints "<module> <required>" for each requires static of a modular jar.
public class StaticRequires {
    public static void main(String[] jars) {
        for (String jar : jars) {
            try {
                for (ModuleReference r : ModuleFinder.of(Path.of(jar)).findAll()) {
                    ModuleDescriptor d = r.descriptor();
                    if (d.isAutomatic()) continue;
                    for (ModuleDescriptor.Requires q : d.requires())
                        if (q.modifiers().contains(ModuleDescriptor.Requires.Modifier.STATIC))
                            System.out.println(d.name() + " " + q.name());
                }
            } catch (RuntimeException e) {
                // not a module (an automatic name it cannot derive): nothing static
            }
        }
    }
}
JAVA
java /tmp/StaticRequires.java $jars > /tmp/static.requires
java --list-modules | sed 's/@.*//' > /tmp/jdk.modules
awk 'FILENAME == ARGV[1] { jdk[$1] = 1; next }
  FILENAME == ARGV[2] { optional[$1 " " $2] = 1; next }
  $2 == "->" && ($3 in jdk) && !(($1 " " $3) in optional) { print $3 }' \
  /tmp/jdk.modules /tmp/static.requires /tmp/jdeps.summary | LC_ALL=C sort -u > %[2]s/deps.modules
echo "jdeps (dependencies): $(paste -sd, %[2]s/deps.modules)"
if [ -s /tmp/static.requires ]; then
  echo "optional at run time (requires static): $(awk '{ print $1 " -> " $2 }' /tmp/static.requires | paste -sd, -)"
fi
`, major, javaOut)
}

// javaJdepsApp lists the JDK modules the app's own jars use (with the
// dependencies on the class path) in /out/app.modules, in the package
// step's container: a source edit starts no container of its own for it.
// The JDK's modules are the names in jmods/ (no JVM start), or what java
// lists when the JDK has none.
func javaJdepsApp(jlink bool, major string) string {
	if !jlink {
		return ""
	}
	return fmt.Sprintf(`jars=$(ls %[2]s/app/*.jar %[2]s/app/modules/*.jar 2>/dev/null | LC_ALL=C sort)
cp=$(ls %[2]s/lib/*.jar 2>/dev/null | LC_ALL=C sort | paste -sd: -)
jdeps -J-XX:TieredStopAtLevel=1 -J-XX:+UseSerialGC --ignore-missing-deps -q --multi-release %[1]s -s ${cp:+--class-path "$cp"} $jars > /tmp/app.summary
java_home=$(dirname "$(dirname "$(readlink -f "$(command -v jdeps)")")")
if [ -d "$java_home/jmods" ]; then
  ls "$java_home/jmods" | sed -n 's/\.jmod$//p'
else
  java --list-modules | sed 's/@.*//'
fi > /tmp/jdk.modules
awk 'FILENAME == ARGV[1] { jdk[$1] = 1; next } $2 == "->" && ($3 in jdk) { print $3 }' /tmp/jdk.modules /tmp/app.summary |
  LC_ALL=C sort -u > %[2]s/app.modules
echo "jdeps (the app's jars): $(paste -sd, %[2]s/app.modules)"
`, major, javaOut)
}

// javaJlinkScript makes the runtime: the modules jdeps named (and the
// spec's extra ones), with a CA store of its own as a real file.
func javaJlinkScript(extra []string) string {
	add := ""
	if len(extra) > 0 {
		add = "," + strings.Join(extra, ",")
	}
	return fmt.Sprintf(`set -eu
mods=$(cat /run/jdeps/app.modules /run/jdeps/deps.modules | LC_ALL=C sort -u | paste -sd, -)
case "$mods" in
  *[!a-z0-9.,]*|"") echo "error: jdeps found no module list: $mods" >&2; exit 1 ;;
esac
echo "jdeps: $mods"
mods="$mods"%s
# TLS with elliptic-curve certificates needs the EC provider, which is
# loaded as a service, not referenced.
if java --list-modules | grep -q '^jdk.crypto.ec@'; then mods="$mods,jdk.crypto.ec"; fi
# --strip-debug also strips the native libraries with objcopy where the
# JDK's jlink does that (Debian's); a JDK without binutils beside it ships
# them stripped already, and only the class files' debug attributes go.
strip=--strip-debug
if ! command -v objcopy >/dev/null 2>&1; then strip=--strip-java-debug-attributes; fi
rm -rf %[2]s/jre && mkdir -p %[2]s
jlink --add-modules "$mods" "$strip" --no-man-pages --no-header-files --output %[2]s/jre
java_home=$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")
rm -f %[2]s/jre/lib/security/cacerts
cp -L "$java_home/lib/security/cacerts" %[2]s/jre/lib/security/cacerts
chmod 0644 %[2]s/jre/lib/security/cacerts
if ! %[2]s/jre/bin/keytool -list -cacerts -storepass changeit 2>/dev/null | grep -q 'contains [1-9]'; then
  echo "error: the builder's CA store ($java_home/lib/security/cacerts) holds no certificate" >&2
  exit 1
fi
`, shQuote(add), javaOut)
}
