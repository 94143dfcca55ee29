package java

import (
	"fmt"
	"path"
	"slices"
	"strconv"
	"time"

	"github.com/org/safe-frontend/lang"
	"github.com/org/safe-frontend/plan"
)

// mavenCommon are the flags of every mvn run: batch mode, no transfer
// progress or colours in the log, the local repository in the builder's
// filesystem.
var mavenCommon = []string{"-B", "-ntp", "-Dstyle.color=never", "-Dmaven.repo.local=" + mavenRepo}

// tmpMount holds the truststore the CA secret becomes: no layer keeps it.
var tmpMount = plan.Mount{Target: "/tmp", Tmpfs: true}

// stage is the build stage, steps 1 to 4. The local repository and the
// wrapper's Maven are in the builder's filesystem, not cache mounts: what
// step 2 resolves is a layer, which a registry cache (--cache-to
// type=registry,mode=max) carries to a fresh CI runner.
func (b *mavenBuild) stage(in *lang.Input, jlink bool) plan.Stage {
	epoch := outputTimestamp(in.Epoch)
	return plan.Stage{Name: buildStage, From: plan.Builder, Steps: []plan.Step{
		b.copyPoms(),
		b.resolve(in.CA),
		b.copySources(),
		b.packageJars(in.CA, epoch, jlink, major(in.Spec)),
	}}
}

// outputTimestamp is the build's time as Maven takes it.
func outputTimestamp(t time.Time) int64 {
	return max(t.Unix(), mavenMinTimestamp)
}

// copyPoms: the poms (and .mvn) alone.
func (b *mavenBuild) copyPoms() plan.Step {
	var poms []string
	for _, m := range b.reactor.Modules {
		poms = append(poms, m.Pom)
	}
	name := "copy pom.xml"
	if len(poms) > 1 {
		name = "copy " + strconv.Itoa(len(poms)) + " pom.xml files"
	}
	files := []plan.FileAction{{Mkdir: &plan.Mkdir{Path: srcDir, Mode: 0o755, Parents: true}}}
	for _, pom := range poms {
		files = append(files, plan.FileAction{Copy: &plan.Copy{From: plan.Context, Src: "/" + pom, Dest: path.Join(srcDir, pom), CreateDest: true}})
	}
	// .mvn, without ./mvnw: the wrapper's Maven is fetched and checked by
	// the resolve step, not by a script or jar from the context.
	if b.dotMvn {
		name += " and .mvn"
		files = append(files, plan.FileAction{Copy: &plan.Copy{From: plan.Context, Src: "/.mvn", Dest: srcDir + "/.mvn", Contents: true, CreateDest: true}})
	}
	return plan.Step{N: 1, Name: name, SpecPath: "language", Files: files,
		Why: "the poms alone first: a source edit leaves the dependency resolution below cached"}
}

// resolve: the dependencies and plugins, from the poms alone; the
// reactor's own modules are built in step 4, not looked up. go-offline
// misses what the lifecycle resolves its own way (Hibernate's runtime
// dependencies, some plugins' own), so the package step's goals run here
// too, on the poms alone: nothing to compile, but every artifact they load
// lands in this layer. Their output is removed; a run that fails (a plugin
// that wants the sources) only leaves the rest to the package step.
func (b *mavenBuild) resolve(ca string) plan.Step {
	args := slices.Concat(mavenCommon, b.selection, []string{mavenDependencyPlugin + ":go-offline", "-DexcludeReactor=true"})
	var targets []string
	for _, m := range b.reactor.Modules {
		targets = append(targets, path.Join(m.Dir, "target"))
	}
	warm := fmt.Sprintf(`if ! %s -q %s; then
  echo "note: the package goals did not run on the poms alone (output above); what they resolve is left to the package step" >&2
fi
rm -rf %s`, mavenCmd(b.wrapper), lang.ShellJoin(slices.Concat(mavenCommon, b.packageArgs())), lang.ShellJoin(targets))
	return plan.Step{N: 2, Name: "mvn dependency:go-offline", SpecPath: "language",
		Why: "the dependencies and plugins into the local repository, a layer that a registry cache carries to a fresh runner",
		Run: &plan.Run{Args: []string{"/bin/sh", "-c", mavenScript(ca, b.wrapper, args, warm)}, Dir: srcDir, BuildArgs: true,
			Mounts: []plan.Mount{tmpMount}}}
}

// packageArgs are the package step's flags and goals, after the common
// ones: package, then the runtime dependencies and the class path.
func (b *mavenBuild) packageArgs() []string {
	args := []string{"-Dspring-boot.repackage.skip=true"}
	if !b.tests {
		args = append(args, "-DskipTests")
	}
	return slices.Concat(args, b.selection, []string{"package",
		mavenDependencyPlugin + ":copy-dependencies", mavenDependencyPlugin + ":build-classpath",
		"-DincludeScope=runtime", "-Dmdep.prependGroupId=true", "-Dmdep.outputFile=target/safe-frontend.classpath", "-Dmdep.prefix=" + appDir + "/lib"})
}

// copySources: the sources, without build output a developer left behind.
func (b *mavenBuild) copySources() plan.Step {
	var excl []string
	for _, m := range b.reactor.Modules {
		excl = append(excl, path.Join(m.Dir, "target"))
	}
	return plan.Step{N: 3, Name: "copy sources", SpecPath: "language",
		Why:   "the sources after the resolution: an edit leaves the dependencies cached",
		Files: []plan.FileAction{{Copy: &plan.Copy{From: plan.Context, Src: "/", Dest: srcDir + "/", Contents: true, Exclude: excl}}}}
}

// packageJars: package, then stage what runs: the app's jars, the runtime
// dependencies, and the class path in Maven's order.
func (b *mavenBuild) packageJars(ca string, epoch int64, jlink bool, major string) plan.Step {
	args := slices.Concat(mavenCommon, []string{"-Dproject.build.outputTimestamp=" + strconv.FormatInt(epoch, 10)}, b.packageArgs())
	name := "mvn -B package"
	if !b.tests {
		name += " -DskipTests"
	}
	if len(b.selection) > 0 {
		name += " -pl " + b.module.Dir + " -am"
	}
	appModules := ""
	if jlink {
		appModules = jdepsAppScript(major)
	}
	script := mavenRun(ca, toolsDir, b.wrapper, args, mavenMisses, b.stageScript(epoch), appModules)
	return plan.Step{N: packageStep, Name: name, SpecPath: b.testsPath,
		Why: "the jars, then what runs staged in /out: the app's jars made reproducible, the runtime dependencies, the class path",
		Run: &plan.Run{Args: []string{"/bin/sh", "-c", script}, Dir: srcDir,
			// A package run is short: the JIT's first tier and one GC
			// thread start Maven faster than C2 and G1 pay back
			// (MAVEN_OPTS from the build's env wins).
			Env:       []string{"MAVEN_OPTS=-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"},
			BuildArgs: true,
			Mounts:    []plan.Mount{toolsMount, tmpMount}}}
}
