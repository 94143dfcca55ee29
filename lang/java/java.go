// Package java plans Java builds. A build tool (Maven today: maven.go, its
// pom reader pom.go) resolves the dependencies from the project files
// alone, copies the sources and packages the jars; the rest is the same for
// any build tool: a jar tool compiled once makes the jars reproducible
// (tools.go), and with runtime: jlink a runtime of the JDK modules the jars
// use is linked (jlink.go).
package java

import (
	"slices"
	"strings"

	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/pkg/errors"

	"github.com/org/safe-frontend/lang"
	"github.com/org/safe-frontend/plan"
	"github.com/org/safe-frontend/rules"
	"github.com/org/safe-frontend/spec"
)

// DefaultVersion is the Java major used when a spec names none; it moves
// with frontend releases, never with "latest".
const DefaultVersion = "21"

// versions are the majors with a Maven builder image and a distroless
// java runtime (the long-term releases that still get updates).
var versions = []string{"17", "21", "25"}

// Versions lists the Java majors the frontend builds.
func Versions() []string { return slices.Clone(versions) }

// Paths in the build stage and the final image. A build tool leaves the
// app's jars and the class path's argfile in outDir/app, the dependencies'
// jars in outDir/lib and (for jlink) the JDK modules the app's jars use in
// outDir/app.modules.
const (
	srcDir   = "/src"
	outDir   = "/out"
	toolsDir = "/run/safe-frontend-java" // the compiled jar tool, in the package step
	appDir   = "/app"
	jlinkDir = "/opt/java" // the jlink runtime in the final image
	jreBin   = "/usr/bin/java"
	// argFile holds the class path, in the build tool's order; java reads
	// it with @ (JDK 9+), so the entrypoint stays static.
	argFile = appDir + "/classpath.argfile"
)

// jvmDefaults are the JVM flags every Java image runs with, before
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
var jvmDefaults = []string{"-XX:MaxRAMPercentage=75", "-XX:+ExitOnOutOfMemoryError", "-XX:+PerfDisableSharedMem"}

type java struct{}

func init() { lang.Register(java{}) }

// A method that drifts from these interfaces would silently do nothing.
var (
	_ lang.Planner        = java{}
	_ lang.ContextChecker = java{}
)

func (java) Name() string { return "java" }

func config(s *spec.Spec) spec.Java {
	if s.Java != nil {
		return *s.Java
	}
	return spec.Java{}
}

// major is the spec's Java major.
func major(s *spec.Spec) string {
	if v := strings.TrimSpace(config(s).Version); v != "" {
		return v
	}
	return DefaultVersion
}

func jlinks(s *spec.Spec) bool { return config(s).Runtime != "jre" }

func (java) BuilderImage(s *spec.Spec) string {
	return "docker.io/library/maven:3-eclipse-temurin-" + major(s)
}

func (java) Runtime(s *spec.Spec) lang.Runtime {
	if jlinks(s) {
		// The jlink runtime is a glibc program with libstdc++ (libjvm).
		return lang.RuntimeCC
	}
	return lang.RuntimeOwn
}

func (java) FinalImage(s *spec.Spec, final string) (string, bool) {
	if jlinks(s) {
		return lang.CommonFinal(lang.RuntimeCC, final)
	}
	if final != "distroless" {
		return "", false
	}
	debian := "debian13"
	if major(s) == "17" {
		debian = "debian12" // distroless ships Java 17 on Debian 12 only
	}
	return "gcr.io/distroless/java" + major(s) + "-" + debian + ":nonroot", true
}

// ContextFiles: Maven's project files, the files that tell a Gradle
// build, then the modules' poms. The order is the read's include patterns:
// changing it changes that step's cache key.
func (java) ContextFiles(*spec.Spec) []string {
	out := slices.Concat(mavenFiles, gradleFiles)
	return append(out, lang.NestedPatterns("pom.xml", maxModuleDepth)...)
}

// gradleFiles tell a Gradle build, which is refused with its own message.
var gradleFiles = []string{"build.gradle", "build.gradle.kts", "settings.gradle", "settings.gradle.kts"}

// specPath is the spec key a finding about a java setting points at: the
// key when the spec wrote it, else the block, else the language line.
func specPath(s *spec.Spec, key string) string {
	if key == "" {
		return lang.SpecPath(s, "java")
	}
	return lang.SpecPath(s, "java/"+key, "java")
}

// CheckContext reports what the project files in the context break,
// before anything is built.
func (java) CheckContext(s *spec.Spec, files map[string][]byte, _ bool) []lang.ContextFinding {
	var out []lang.ContextFinding
	if _, err := planMaven(s, files); err != nil {
		if f := lang.FindingsOf(err); f != nil {
			out = append(out, f...)
		} else {
			out = append(out, lang.ContextFinding{Rule: rules.MavenPomUnusable, Path: "language", Message: err.Error()})
		}
	}
	return append(out, mavenSettingsFindings(files)...)
}

// Plan: the jar tool's stages, the build tool's stage, for jlink the
// runtime's stages; the final image takes the runtime (jlink), the
// dependencies' jars, then the app's.
func (java) Plan(in *lang.Input) (*plan.Plan, error) {
	s := in.Spec
	b, err := planMaven(s, in.Files)
	if err != nil {
		return nil, err
	}
	jlink := jlinks(s)
	if jlink && !samePlatform(in.Target, in.Build) {
		return nil, &lang.SpecError{Path: specPath(s, "runtime"), Err: errors.Errorf(
			"runtime: jlink makes a runtime from the builder's JDK, which is for %s, not %s; use runtime: jre for other platforms (the jars run anywhere), or build on a %s machine",
			lang.PlatformString(in.Build), lang.PlatformString(in.Target), lang.PlatformString(in.Target))}
	}
	p := &plan.Plan{Language: "java", Steps: 4}
	p.Stages = append(toolStages(packageStep), b.stage(in, jlink))
	entry := []string{jreBin}
	if jlink {
		p.Steps = 6
		p.Stages = append(p.Stages, jlinkStages(s)...)
		p.Final.Layers = append(p.Final.Layers, jlinkLayer)
		p.Final.Env = []string{"JAVA_HOME=" + jlinkDir}
		entry = []string{jlinkDir + "/bin/java"}
	}
	p.Final.Layers = append(p.Final.Layers, jarLayers...)
	// A main class the package step finds ends the argfile instead.
	p.Final.Entrypoint = slices.Concat(entry, jvmDefaults, config(s).Options, []string{"@" + argFile})
	if b.main != "" {
		p.Final.Entrypoint = append(p.Final.Entrypoint, b.main)
	}
	p.Final.WorkingDir = appDir
	p.Final.SBOM = []plan.SBOMSource{{Kind: "maven-jars", Path: appDir}}
	// The JVM exits 128+SIGTERM once its shutdown hooks have run.
	p.Final.StopStatus = 143
	return p, nil
}

// packageStep is the number of the build tool's package step, which
// mounts the jar tool: the tool's compilation shows as part of it.
const packageStep = 4

// buildStage names the build tool's stage; the later stages copy from it.
const buildStage = "java"

// jarLayers: the dependencies change less often than the app's own jars.
var jarLayers = []plan.Layer{
	{Name: "dependencies", From: plan.StageRef(buildStage), Files: []plan.Artifact{{Src: outDir + "/lib", Dest: appDir + "/lib", Dir: true}}},
	{Name: "app", From: plan.StageRef(buildStage), Files: []plan.Artifact{{Src: outDir + "/app", Dest: appDir, Dir: true}}},
}

func samePlatform(a, b ocispecs.Platform) bool {
	return a.OS == b.OS && a.Architecture == b.Architecture && a.Variant == b.Variant
}
