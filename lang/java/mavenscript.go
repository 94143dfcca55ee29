package java

import (
	"fmt"
	"path"
	"strings"

	"github.com/org/safe-frontend/lang"
)

// mavenScript runs Maven with the CA secret as a truststore made in /tmp
// (a tmpfs: no layer keeps it) and the build args in the environment;
// the wrapper's Maven is fetched first.
func mavenScript(ca string, wrapper *mavenWrapper, args []string, after ...string) string {
	return mavenRun(ca, "", wrapper, args, after...)
}

// mavenRun is mavenScript; with tools (where the javac step put
// PemTrustStore.class) the truststore is made without the source
// launcher's compilation, and the wrapper's Maven is there already.
func mavenRun(ca, tools string, wrapper *mavenWrapper, args []string, after ...string) string {
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
`, lang.ShellQuote(ca), tools)
	default:
		b.WriteString(truststoreScript)
		fmt.Fprintf(&b, "java_truststore %s /tmp/truststore/truststore.p12\n", lang.ShellQuote(ca))
	}
	if wrapper != nil && tools == "" {
		b.WriteString(wrapper.fetchScript())
	}
	b.WriteString("touch /tmp/maven-start\n")
	b.WriteString(mavenCmd(wrapper) + " " + lang.ShellJoin(args) + "\n")
	for _, a := range after {
		if a != "" {
			b.WriteString(a + "\n")
		}
	}
	return b.String()
}

// mavenCmd runs Maven: the wrapper's distribution when the project names
// one, else the builder's.
func mavenCmd(wrapper *mavenWrapper) string {
	if wrapper != nil {
		return "sh " + wrapper.distDir() + "/bin/mvn"
	}
	return "mvn"
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

// stageScript copies the module's jar, its runtime dependencies and the
// class path out of the build tree into /out: jars of the reactor's own
// modules go with the app, not with the dependencies, since they change
// with the sources. Then the jar tool makes the app's jars reproducible.
func (b *mavenBuild) stageScript(epoch int64) string {
	m := b.module
	var w strings.Builder
	fmt.Fprintf(&w, `mod=%s
rm -rf %[2]s && mkdir -p %[2]s/lib %[2]s/app/modules
`, lang.ShellQuote(path.Join(srcDir, m.Dir)), outDir)
	// The module's own jar: the final name when the pom fixes it, else the
	// one jar Maven left (Spring Boot's repackaging is skipped; an
	// .original is the thin jar).
	if m.FinalName != "" {
		fmt.Fprintf(&w, "jar=\"$mod/target/\"%s.jar\n", lang.ShellQuote(m.FinalName))
	} else {
		w.WriteString(`jar=$(ls "$mod"/target/*.jar 2>/dev/null | grep -v -e '-sources\.jar$' -e '-javadoc\.jar$' -e '-tests\.jar$' || true)
`)
	}
	fmt.Fprintf(&w, `if [ -f "$jar.original" ]; then jar="$jar.original"; fi
if [ "$(printf '%%s\n' "$jar" | grep -c .)" -ne 1 ] || [ ! -f "$jar" ]; then
  echo "error: %s: expected one jar in $mod/target, found: ${jar:-none}" >&2
  exit 1
fi
cp "$jar" %s
if [ -d "$mod/target/dependency" ]; then cp "$mod"/target/dependency/*.jar %s/lib/ 2>/dev/null || true; fi
cp="%s"
`, m.Pom, path.Join(outDir, "app", m.ArtifactID+".jar"), outDir, path.Join(appDir, m.ArtifactID+".jar"))
	b.moveReactorJars(&w)
	fmt.Fprintf(&w, `deps=$(cat "$mod/target/safe-frontend.classpath" 2>/dev/null || true)
for f in $(printf '%%s' "$deps" | tr ':' ' '); do
  n=$(basename "$f")
  if [ -f %[1]s/app/modules/"$n" ]; then cp="$cp:%[2]s/modules/$n"; else cp="$cp:$f"; fi
done
printf -- '--class-path\n"%%s"\n' "$cp" > %[1]s/app/classpath.argfile
rmdir %[1]s/app/modules 2>/dev/null || true
`, outDir, appDir)
	w.WriteString(reproducibleScript(b.main, m.ArtifactID, epoch))
	return w.String()
}

// moveReactorJars moves the jars of sibling modules to the app layer.
func (b *mavenBuild) moveReactorJars(w *strings.Builder) {
	for _, o := range b.reactor.Modules {
		if o == b.module || o.GroupID == "" {
			continue
		}
		base := o.GroupID + "." + o.ArtifactID + "-"
		fmt.Fprintf(w, `for f in %[1]s/lib/%[2]s[0-9]*.jar; do
  [ -f "$f" ] || continue
  mv "$f" %[1]s/app/modules/
done
`, outDir, lang.ShellQuote(base))
	}
}

// reproducibleScript runs the jar tool on the app's jars: rewritten unless
// the build tool made them reproducible, and one of them must hold the
// main class (the tool exits 3 if none does). With no main class named,
// the tool finds it in the module's jar as Spring Boot does (exit 4 when
// it cannot, naming the candidates) and it ends the class path argfile.
func reproducibleScript(main, artifact string, epoch int64) string {
	if main == "" {
		return fmt.Sprintf(`# the app's jars reproducible; the main class as Spring Boot finds it, at the end of the argfile
rc=0
java -Duser.timezone=UTC -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -cp %[3]s ReproducibleJar %[4]d @/tmp/main.class %[1]s/app/*.jar $(ls %[1]s/app/modules/*.jar 2>/dev/null) || rc=$?
if [ "$rc" -eq 4 ]; then
  echo "error: no main class for %[2]s: name it in java.main" >&2
  exit 1
fi
[ "$rc" -eq 0 ] || exit "$rc"
echo "main class: $(cat /tmp/main.class)"
cat /tmp/main.class >> %[1]s/app/classpath.argfile
`, outDir, artifact, toolsDir, epoch)
	}
	return fmt.Sprintf(`# the app's jars reproducible (rewritten unless Maven made them so), the main class in one of them
cls=$(printf '%%s' %[2]s | tr . /).class
rc=0
java -Duser.timezone=UTC -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -cp %[5]s ReproducibleJar %[6]d "$cls" %[1]s/app/*.jar $(ls %[1]s/app/modules/*.jar 2>/dev/null) || rc=$?
if [ "$rc" -eq 3 ]; then
  echo "error: the main class %[3]s is in no jar of %[4]s; check java.main or the pom's mainClass" >&2
  exit 1
fi
[ "$rc" -eq 0 ] || exit "$rc"
`, outDir, lang.ShellQuote(main), main, artifact, toolsDir, epoch)
}
