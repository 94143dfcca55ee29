package java

import (
	"fmt"
	"strings"

	"github.com/org/safe-frontend/lang"
	"github.com/org/safe-frontend/plan"
	"github.com/org/safe-frontend/spec"
)

// Stages of the jlink runtime, after the build tool's stage.
const (
	depJarsStage = "java-dep-jars"
	jdepsStage   = "java-jdeps"
	modulesStage = "java-module-list"
	jreStage     = "java-jre"
)

// jlinkLayer is the linked runtime, at the bottom of the app's layers.
var jlinkLayer = plan.Layer{Name: "java runtime", From: plan.StageRef(jreStage),
	Files: []plan.Artifact{{Src: outDir + "/jre", Dest: jlinkDir, Dir: true}}}

// jlinkStages are steps 5 and 6: the JDK modules the dependencies use,
// then jlink. The app's jars were read in the package step (no step of
// their own); the dependencies are read from a copy of their jars (keyed
// by content), so a source edit leaves that part cached, and jlink runs
// from the two module lists alone, so an edit that uses no new module
// leaves it cached too.
func jlinkStages(s *spec.Spec) []plan.Stage {
	rt := specPath(s, "runtime")
	build := plan.StageRef(buildStage)
	return []plan.Stage{
		{Name: depJarsStage, From: plan.Scratch, Steps: []plan.Step{{N: 5, Name: "dependency jars", SpecPath: rt,
			Why:   "the dependencies' jars alone, keyed by their content: a source edit leaves their module scan cached",
			Files: []plan.FileAction{{Copy: &plan.Copy{From: build, Src: outDir + "/lib", Dest: "/", Contents: true}}}}}},
		{Name: jdepsStage, From: plan.Builder, Steps: []plan.Step{{N: 5, Name: "jdeps: the dependencies' JDK modules", SpecPath: rt,
			Why: "the JDK modules the dependencies use, without those only a requires static wants",
			Run: &plan.Run{Args: []string{"/bin/sh", "-c", jdepsLibsScript(major(s))},
				Mounts: []plan.Mount{{Target: "/run/lib", From: &plan.Ref{Stage: depJarsStage}}, toolsMount, tmpMount}}}}},
		{Name: modulesStage, From: plan.Scratch, Steps: []plan.Step{{N: 6, Name: "module list", SpecPath: rt,
			Why: "the two module lists alone: an edit that uses no new module leaves jlink cached",
			Files: []plan.FileAction{
				{Copy: &plan.Copy{From: build, Src: outDir + "/app.modules", Dest: "/app.modules"}},
				{Copy: &plan.Copy{From: plan.StageRef(jdepsStage), Src: outDir + "/deps.modules", Dest: "/deps.modules"}},
			}}}},
		{Name: jreStage, From: plan.Builder, Steps: []plan.Step{{N: 6, Name: "jlink --strip-debug --no-man-pages --no-header-files", SpecPath: rt,
			Why: "a runtime of only the modules the app uses, with the JDK's CA store as a file of its own",
			Run: &plan.Run{Args: []string{"/bin/sh", "-c", jlinkScript(config(s).Modules)},
				Mounts: []plan.Mount{{Target: "/run/jdeps", From: &plan.Ref{Stage: modulesStage}}}}}}},
	}
}

// jdepsLibsScript lists the JDK modules the dependency jars use (read for
// the target major), one a line, in /out/deps.modules. Every class of
// every jar is read, not only those the app reaches: a framework loads
// much of its code by name. The jars are read as the JVM runs them, on the
// class path: ClassPathJars drops the module descriptors, so a requires
// the app does without (jakarta.transaction's jakarta.cdi) cannot fail
// the scan. A module only a requires static wants (optional at run time:
// Jackson's java.beans and java.sql support) is left out, unless another
// jar uses it too or the spec adds it (java.modules).
func jdepsLibsScript(major string) string {
	return fmt.Sprintf(`set -eu
mkdir -p %[2]s
: > %[2]s/deps.modules
jars=$(ls /run/lib/*.jar 2>/dev/null | LC_ALL=C sort || true)
[ -n "$jars" ] || exit 0
java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -cp %[3]s ClassPathJars /tmp/cp $jars > /tmp/static.requires
if ! jdeps --ignore-missing-deps -q --multi-release %[1]s -s $(ls /tmp/cp/*.jar | LC_ALL=C sort) > /tmp/jdeps.summary 2> /tmp/jdeps.err; then
  %[4]s
fi
java --list-modules | sed 's/@.*//' > /tmp/jdk.modules
awk 'FILENAME == ARGV[1] { jdk[$1] = 1; next }
  FILENAME == ARGV[2] { optional[$1 " " $2] = 1; next }
  $2 == "->" && ($3 in jdk) && !(($1 " " $3) in optional) { print $3 }' \
  /tmp/jdk.modules /tmp/static.requires /tmp/jdeps.summary | LC_ALL=C sort -u > %[2]s/deps.modules
echo "jdeps (dependencies): $(paste -sd, %[2]s/deps.modules)"
if [ -s /tmp/static.requires ]; then
  echo "optional at run time (requires static): $(awk '{ print $1 " -> " $2 }' /tmp/static.requires | paste -sd, -)"
fi
`, major, outDir, toolsDir, jdkToolFailed("jdeps", "/tmp/jdeps.err /tmp/jdeps.summary", "could not list the JDK modules the dependencies use"))
}

// jdkToolFailed is the shell that ends a step whose JDK tool failed: one
// line with what the tool said in errFiles (its first error, not the JVM
// stack it may print after it) and the fix, then the exit.
func jdkToolFailed(tool, errFiles, what string) string {
	return fmt.Sprintf(`why=$(cat %[2]s | grep -m1 -e '^Error:' -e 'Exception' | sed -e 's/^Error: *//' -e 's/^.*Exception: *//' || true)
  echo "error: %[1]s %[3]s: ${why:-$(cat %[2]s | head -n1)}; no jlink runtime can be made for this app: set java.runtime: jre (the full JRE), or check java.modules" >&2
  exit 1`, tool, errFiles, what)
}

// jdepsAppScript lists the JDK modules the app's own jars use (with the
// dependencies on the class path) in /out/app.modules, in the package
// step's container: a source edit starts no container of its own for it.
// The JDK's modules are the names in jmods/ (no JVM start), or what java
// lists when the JDK has none.
func jdepsAppScript(major string) string {
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
`, major, outDir)
}

// jlinkScript makes the runtime: the modules jdeps named (and the
// spec's extra ones), with a CA store of its own as a real file.
func jlinkScript(extra []string) string {
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
if ! jlink --add-modules "$mods" "$strip" --no-man-pages --no-header-files --output %[2]s/jre > /tmp/jlink.err 2>&1; then
  %[3]s
fi
java_home=$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")
rm -f %[2]s/jre/lib/security/cacerts
cp -L "$java_home/lib/security/cacerts" %[2]s/jre/lib/security/cacerts
chmod 0644 %[2]s/jre/lib/security/cacerts
if ! %[2]s/jre/bin/keytool -list -cacerts -storepass changeit 2>/dev/null | grep -q 'contains [1-9]'; then
  echo "error: the builder's CA store ($java_home/lib/security/cacerts) holds no certificate" >&2
  exit 1
fi
`, lang.ShellQuote(add), outDir, jdkToolFailed("jlink", "/tmp/jlink.err", "could not link the runtime"))
}
