package java

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/pkg/errors"

	"github.com/org/safe-frontend/lang"
	"github.com/org/safe-frontend/rules"
	"github.com/org/safe-frontend/spec"
)

// mavenDependencyPlugin is the pinned plugin the frontend calls by name: a
// goal without a version would resolve the newest release at build time.
const mavenDependencyPlugin = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1"

const (
	mavenRepo = "/root/.m2/repository"
	// mavenMinTimestamp is the earliest time a zip entry holds (Maven
	// refuses an outputTimestamp before it).
	mavenMinTimestamp = 315532802
)

// mavenFiles are the root pom, the wrapper's settings, Maven's
// per-project configuration, and a settings.xml that may hold credentials;
// the modules' poms (up to maxModuleDepth directories deep) follow.
var mavenFiles = []string{"pom.xml", wrapperProps, ".mvn/maven.config", ".mvn/jvm.config",
	"settings.xml", ".mvn/settings.xml"}

// mavenBuild is what the poms decide.
type mavenBuild struct {
	reactor *mavenReactor
	module  *mavenModule // the module that runs
	main    string
	// wrapper is the Maven the project's wrapper names, nil without one.
	wrapper *mavenWrapper
	// dotMvn: the context has .mvn (Maven's per-project configuration).
	dotMvn bool
	// selection is -pl <dir> -am for one module of a multi-module build.
	selection []string
	tests     bool
	// testsPath is the spec path a failing package step points at.
	testsPath string
}

// planMaven reads the poms and decides what to build and run; it refuses
// (a lang.RuleError) what Maven cannot build here.
func planMaven(s *spec.Spec, files map[string][]byte) (*mavenBuild, error) {
	cfg := config(s)
	if b := strings.ToLower(strings.TrimSpace(cfg.Build)); b != "" && b != "maven" {
		return nil, lang.RuleErrorf(rules.UnsupportedBuildTool, specPath(s, "build"), "java.build %q is not supported; only Maven (pom.xml) builds are", lang.Truncate(cfg.Build, 40))
	}
	r, err := readReactor(files)
	if errors.Is(err, errMissingPom) {
		return nil, missingPom(s, files)
	}
	if err != nil {
		return nil, lang.RuleErrorf(rules.MavenPomUnusable, specPath(s, "module"), "%v", err)
	}
	b := &mavenBuild{reactor: r, tests: cfg.Tests, testsPath: "language"}
	if cfg.Tests {
		b.testsPath = specPath(s, "tests")
	}
	if props, ok := files[wrapperProps]; ok {
		if b.wrapper, err = readWrapper(props); err != nil {
			return nil, lang.RuleErrorf(rules.MavenPomUnusable, specPath(s, "build"), "%v", err)
		}
	}
	for f := range files {
		b.dotMvn = b.dotMvn || strings.HasPrefix(f, ".mvn/")
	}
	if b.module, err = chooseModule(s, r); err != nil {
		return nil, err
	}
	if b.module != r.Root {
		b.selection = []string{"-pl", b.module.Dir, "-am"}
	}
	if b.main, err = checkModule(s, b.module); err != nil {
		return nil, err
	}
	return b, nil
}

// missingPom names what the context has instead of a root pom.xml.
func missingPom(s *spec.Spec, files map[string][]byte) error {
	for _, g := range gradleFiles {
		if _, ok := files[g]; ok {
			return lang.RuleErrorf(rules.UnsupportedBuildTool, specPath(s, "build"),
				"the context has %s and no pom.xml: Gradle builds are not supported yet (the Gradle distribution and its wrapper cannot be fetched reproducibly); add a Maven pom.xml", g)
		}
	}
	return lang.RuleErrorf(rules.MavenPomMissing, specPath(s, "build"),
		"the build context has no pom.xml at its root: language: java builds a Maven project; point the build at the project's directory (the one with pom.xml), or check that .dockerignore does not drop it")
}

// chooseModule is the module that runs: java.module, else the root, else
// in a multi-module build the one jar module that names a main class.
func chooseModule(s *spec.Spec, r *mavenReactor) (*mavenModule, error) {
	cfg := config(s)
	switch {
	case cfg.Module != "":
		if m := r.find(cfg.Module); m != nil {
			return m, nil
		}
		return nil, lang.RuleErrorf(rules.MavenPomUnusable, specPath(s, "module"),
			"java.module %q is no module of the build (pom.xml lists: %s); name one by its artifactId or directory", lang.Truncate(cfg.Module, 80), lang.QuoteNames(r.names()))
	case r.Root.Packaging == "pom":
		var withMain []*mavenModule
		for _, m := range r.Modules {
			if m.Packaging == "jar" && m.MainClass != "" {
				withMain = append(withMain, m)
			}
		}
		if len(withMain) != 1 || cfg.Main != "" {
			return nil, lang.RuleErrorf(rules.MavenPomUnusable, specPath(s, "module"),
				"pom.xml is a multi-module build (packaging pom): set java.module to the module that runs (one of %s)", lang.QuoteNames(r.names()))
		}
		return withMain[0], nil
	}
	return r.Root, nil
}

// checkModule refuses a module the frontend cannot run and returns its
// main class: "" for a Spring Boot module that names none, whose package
// step finds it.
func checkModule(s *spec.Spec, m *mavenModule) (string, error) {
	if m.Packaging != "jar" {
		return "", lang.RuleErrorf(rules.MavenPomUnusable, specPath(s, "module"),
			"%s has packaging %q; the frontend runs jar modules (a war needs a servlet container: package the app as an executable jar)", m.Pom, lang.Truncate(m.Packaging, 40))
	}
	v, _ := strconv.Atoi(major(s))
	if m.Release > 0 && v > 0 && m.Release > v {
		return "", lang.RuleErrorf(rules.UnsupportedJava, specPath(s, "version"),
			"%s compiles for Java %d (maven.compiler.release or the compiler plugin), but java.version is %d: set java.version: \"%d\" or lower the release", m.Pom, m.Release, v, m.Release)
	}
	main := config(s).Main
	if main == "" {
		main = m.MainClass
	}
	if main == "" && m.springBoot() {
		// Boot's plugin finds the main class in the compiled classes; so
		// does the package step (the jar tool), as Boot would.
		return "", nil
	}
	if main == "" {
		return "", lang.RuleErrorf(rules.NoMainClass, specPath(s, "main"),
			"%s names no main class (a maven-jar-plugin <archive><manifest><mainClass>, spring-boot-maven-plugin <mainClass> or a start-class property); add one to the pom, or set java.main: com.example.App", m.Pom)
	}
	return main, nil
}

// settingsSecretRe finds credentials in a Maven settings.xml.
var settingsSecretRe = regexp.MustCompile(`<(password|privateKey|passphrase)>\s*[^<\s]`)

// mavenSettingsFindings: a settings.xml with credentials in the context
// would end up in the build stage and its cache.
func mavenSettingsFindings(files map[string][]byte) []lang.ContextFinding {
	var out []lang.ContextFinding
	for _, f := range []string{"settings.xml", ".mvn/settings.xml"} {
		if loc := settingsSecretRe.FindSubmatchIndex(files[f]); loc != nil {
			key := "settings." + string(files[f][loc[2]:loc[3]])
			out = append(out, lang.ContextFinding{Rule: rules.MavenSettingsInContext, Path: "language", File: f, Line: lang.LineAt(files[f], loc[0]), Key: key, Message: fmt.Sprintf(
				"%s in the build context holds credentials, which the build stage and its cache would keep; pass it as a build secret instead: secrets: [{id: maven-settings, target: /root/.m2/settings.xml}] and --secret id=maven-settings,src=%s, then delete it from the context (or list it in .dockerignore)", f, f)})
		}
	}
	return out
}
