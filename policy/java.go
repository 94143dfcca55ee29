package policy

import (
	"regexp"
	"slices"
	"strings"

	"github.com/org/safe-frontend/lang/java"
	"github.com/org/safe-frontend/rules"
	"github.com/org/safe-frontend/spec"
)

var (
	// javaMajorRe is a Java feature release ("21"); javaReleaseRe a full
	// version ("21.0.5"), which the images do not pin.
	javaMajorRe   = regexp.MustCompile(`^[1-9][0-9]?$`)
	javaReleaseRe = regexp.MustCompile(`^([1-9][0-9]?)\.[0-9]+(\.[0-9]+)*$`)
	// javaClassRe is a binary class name: package parts and the class.
	javaClassRe = regexp.MustCompile(`^[A-Za-z_$][A-Za-z0-9_$]*(\.[A-Za-z_$][A-Za-z0-9_$]*)*$`)
	// mavenModuleRe is an artifactId or a module directory.
	javaModuleRe  = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*){0,15}$`)
	mavenModuleRe = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}(/[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}){0,7}$`)
)

// javaLauncherOptions change what java runs or where it finds the app: the
// frontend sets them itself from the build.
var javaLauncherOptions = []string{"-jar", "-cp", "-classpath", "--class-path", "-m", "--module", "-p", "--module-path", "--source"}

func (c *checker) checkJava() {
	if c.s.Language != "java" {
		return
	}
	j := c.s.Java
	if j == nil {
		j = &spec.Java{}
	}
	versions := java.Versions()
	if c.present("java/version", j.Version != "") {
		v := strings.TrimSpace(j.Version)
		switch lv := strings.ToLower(v); {
		case lv == "":
			c.add(rules.UnpinnedVersion, "java/version", "java.version is empty; write a major such as %q or remove the key for the frontend's default (%s)", java.DefaultVersion, java.DefaultVersion)
		case lv == "latest" || lv == "lts" || lv == "current" || lv == "stable" || lv == "ga":
			c.add(rules.UnpinnedVersion, "java/version", "java.version %q moves over time; pin a major: %s", j.Version, quoteList(versions, "or"))
		case slices.Contains(versions, v):
		case javaMajorRe.MatchString(strings.TrimPrefix(v, "1.")):
			c.add(rules.UnsupportedJava, "java/version", "java.version %q: Java %s has no supported builder and distroless runtime (or gets no more updates); use %s", j.Version, strings.TrimPrefix(v, "1."), quoteList(versions, "or"))
		case javaReleaseRe.MatchString(v):
			c.add(rules.InvalidValue, "java/version", "java.version %q names an update release; write the major %q: the update is the one the builder and the runtime images ship", j.Version, javaReleaseRe.FindStringSubmatch(v)[1])
		default:
			c.add(rules.InvalidValue, "java/version", "java.version %q is not a Java major; write %s", j.Version, quoteList(versions, "or"))
		}
	}
	if c.present("java/build", j.Build != "") {
		switch b := strings.ToLower(strings.TrimSpace(j.Build)); b {
		case "maven":
		case "gradle", "gradlew", "gradle-kotlin":
			c.add(rules.UnsupportedBuildTool, "java/build", "java.build %q: Gradle builds are not supported yet (the Gradle distribution and its wrapper cannot be fetched reproducibly); build with Maven (a pom.xml) and write build: maven", j.Build)
		case "":
			c.add(rules.InvalidValue, "java/build", "java.build is empty; write maven or remove the key")
		default:
			c.add(rules.InvalidValue, "java/build", "java.build %q is not a supported build tool; write maven", j.Build)
		}
	}
	if c.present("java/module", j.Module != "") {
		switch m := j.Module; {
		case strings.TrimSpace(m) == "":
			c.add(rules.InvalidValue, "java/module", "java.module is empty; name a module of the build (its artifactId or directory, e.g. orders-api) or remove the key")
		case escapes(m):
			c.add(rules.PathEscapes, "java/module", "java.module %q is outside the build context; name a module by its artifactId or its directory relative to the context", m)
		case !mavenModuleRe.MatchString(strings.TrimSuffix(m, "/")):
			c.add(rules.InvalidValue, "java/module", "java.module %q is not a Maven module: write its artifactId or its directory, e.g. orders-api", m)
		}
	}
	if c.present("java/main", j.Main != "") && !javaClassRe.MatchString(j.Main) {
		c.add(rules.InvalidValue, "java/main", "java.main %q is not a Java class name; write the fully qualified main class, e.g. com.example.App", j.Main)
	}
	for i, m := range j.Modules {
		if !javaModuleRe.MatchString(m) {
			c.add(rules.InvalidValue, spec.Path("java", "modules", i), "java.modules[%d] %q is not a JDK module name such as jdk.crypto.cryptoki", i, m)
		}
	}
	if len(j.Modules) > 0 && j.Runtime == "jre" {
		c.add(rules.ConflictingKey, "java/modules", "java.modules adds modules to a jlink runtime, but java.runtime is jre (the full runtime has every module); remove java.modules or use runtime: jlink")
	}
	for i, o := range j.Options {
		p := spec.Path("java", "options", i)
		name, val, hasVal := strings.Cut(o, "=")
		switch {
		case !strings.HasPrefix(o, "-") || strings.TrimSpace(o) != o || strings.ContainsAny(o, "\x00\n\r"):
			c.add(rules.InvalidValue, p, "java.options[%d] %q is not a JVM flag: each entry is one flag starting with '-', e.g. -Xss512k (application arguments go in run.args)", i, o)
		case slices.Contains(javaLauncherOptions, name):
			c.add(rules.ConflictingKey, p, "java.options[%d] %q changes what java runs; the frontend sets the class path and the main class from the build (use java.main to name the class)", i, o)
		case hasVal && strings.HasPrefix(name, "-D") && LooksSecret(strings.NewReplacer(".", "_", "-", "_").Replace(strings.TrimPrefix(name, "-D"))) && val != "":
			c.add(rules.SecretInEnv, p, "java.options[%d] sets the secret-looking property %s to a literal value, which lands in the image config for anyone who pulls it; read it at run time from a mounted file or the environment", i, strings.TrimPrefix(name, "-D"))
		}
	}
}
