package java

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/org/safe-frontend/lang"
	"github.com/org/safe-frontend/spec"
)

// Detect: a pom.xml at the root; one app for the root project, or for
// each jar module with a main class of a multi-module build. A Gradle build is not
// supported yet, and said so.
func (j java) Detect(p *lang.Project) ([]*lang.App, error) {
	files := p.Files(j.ContextFiles(nil)...)
	if _, ok := files["pom.xml"]; !ok {
		for _, g := range gradleFiles {
			if _, ok := files[g]; ok {
				return nil, &lang.NotSupported{Msg: fmt.Sprintf("%s: a Gradle build, which safe-frontend does not build yet (the Gradle distribution and its wrapper cannot be fetched reproducibly); add a Maven pom.xml that builds the same jar, then run safe init again", g)}
			}
		}
		return nil, nil
	}
	r, err := readReactor(files)
	if err != nil {
		return nil, err
	}
	if r.Root.Packaging != "pom" {
		return []*lang.App{moduleApp(p, r.Root, false)}, nil
	}
	// The modules that run: a main class named or found; the libraries
	// only when none does.
	var apps, libs []*lang.App
	for _, m := range r.Modules {
		if m.Packaging != "jar" {
			continue
		}
		if a := moduleApp(p, m, true); m.MainClass != "" || a.Spec.Java.Main != "" {
			apps = append(apps, a)
		} else {
			libs = append(libs, a)
		}
	}
	if len(apps) == 0 {
		return libs, nil
	}
	return apps, nil
}

// moduleApp proposes the spec of one Maven module.
func moduleApp(p *lang.Project, m *mavenModule, inReactor bool) *lang.App {
	a := lang.NewApp(m.Dir, "java", lang.NameFrom(m.ArtifactID))
	a.Note("name", "the artifactId")
	a.Spec.Run.Resources.Memory = "512Mi" // a JVM's heap, metaspace and threads
	if !strings.Contains(m.Version, "${") && !strings.HasSuffix(m.Version, "-SNAPSHOT") {
		a.Spec.Version = m.Version
	}
	release, from := m.Release, "the pom's compiler release"
	if release == 0 {
		release, from = toolchainRelease(m), "the JDK the pom's toolchains plugin asks for"
	}
	a.Spec.Java = &spec.Java{Version: javaVersion(a, release, from), Build: "maven", Runtime: "jlink"}
	a.Note("java/runtime", "a runtime of the modules jdeps finds; jre: the whole JRE")
	if inReactor {
		a.Spec.Java.Module = m.ArtifactID
	}
	pom, _ := p.ReadFile(m.Pom)
	boot := strings.Contains(string(pom), "org.springframework.boot")
	if m.MainClass == "" {
		mainClass(p, a, m.Dir, boot)
	}
	if boot {
		springBoot(p, a, m.Dir, strings.Contains(string(pom), "spring-boot-starter-actuator"))
		return a
	}
	a.ApplyHints(p.Hints(m.Dir, ".java", ".kt"), "", 0)
	return a
}

// javaVersion is the release the pom compiles for, rounded up to a
// release the frontend builds.
func javaVersion(a *lang.App, release int, from string) string {
	if release == 0 {
		a.Guess("java/version", "the pom names no maven.compiler.release: the frontend's default")
		return DefaultVersion
	}
	for _, v := range versions {
		if n, _ := strconv.Atoi(v); n >= release {
			if n == release {
				a.Note("java/version", "%s", from)
			} else {
				a.Note("java/version", "%s is %d: the first release the frontend builds that runs it", from, release)
			}
			return v
		}
	}
	a.Guess("java/version", "the pom compiles for %d, newer than the frontend builds", release)
	return versions[len(versions)-1]
}

// toolchainRelease is the JDK release maven-toolchains-plugin asks for
// (<jdk><version>21</version></jdk>; a range's first number), 0 if none.
func toolchainRelease(m *mavenModule) int {
	for _, pl := range m.plugins() {
		if strings.TrimSpace(pl.ArtifactID) != "maven-toolchains-plugin" {
			continue
		}
		for _, c := range append([]*xmlNode{pl.Configuration}, executionConfigs(pl)...) {
			v, _ := m.interpolate(c.find("version"))
			v = strings.TrimPrefix(strings.TrimLeft(v, "[( "), "1.")
			if d := leadingNumber.FindString(v); d != "" {
				n, _ := strconv.Atoi(d)
				return n
			}
		}
	}
	return 0
}

func executionConfigs(pl pomPlugin) []*xmlNode {
	var out []*xmlNode
	for _, e := range pl.Executions {
		out = append(out, e.Configuration)
	}
	return out
}

var (
	leadingNumber = regexp.MustCompile(`^[0-9]{1,2}`)
	packageRe     = regexp.MustCompile(`(?m)^\s*package\s+([A-Za-z_][A-Za-z0-9_.]*)\s*;`)
	bootAppRe     = regexp.MustCompile(`(?m)^\s*@SpringBootApplication\b`)
	mainRe        = regexp.MustCompile(`\bpublic\s+static\s+void\s+main\s*\(\s*(?:final\s+)?String`)
)

// mainClass finds the class that runs when the pom names none: the
// @SpringBootApplication class, else the one class with a main method.
func mainClass(p *lang.Project, a *lang.App, dir string, boot bool) {
	var found []string
	p.Sources(path.Join(dir, "src/main/java"), []string{".java"}, func(name string, data []byte) {
		if (boot && !bootAppRe.Match(data)) || !mainRe.Match(data) {
			return
		}
		cls := strings.TrimSuffix(path.Base(name), ".java")
		if m := packageRe.FindSubmatch(data); m != nil {
			cls = string(m[1]) + "." + cls
		}
		found = append(found, cls)
	})
	switch len(found) {
	case 0:
		a.Guess("java", "no main class found: set java.main")
	case 1:
		a.Spec.Java.Main = found[0]
		if boot {
			a.Guess("java/main", "the @SpringBootApplication class")
		} else {
			a.Guess("java/main", "the class with the main method")
		}
	default:
		slices.Sort(found)
		a.Spec.Java.Main = found[0]
		a.Guess("java/main", "one of %s", strings.Join(found, ", "))
	}
}

var serverPortRe = regexp.MustCompile(`(?m)^\s*(?:server\.port\s*[=:]|port:)\s*\$?\{?(?:[A-Z_]+:)?([0-9]{2,5})\}?\s*$`)

// springBoot: port 8080 unless application.properties or .yml sets
// server.port; the actuator's health endpoint when the actuator is there.
func springBoot(p *lang.Project, a *lang.App, dir string, actuator bool) {
	a.Spec.Run.Port = 8080
	a.Guess("run/port", "Spring Boot's default port")
	for _, f := range []string{"application.properties", "application.yml", "application.yaml"} {
		dt, ok := p.ReadFile(path.Join(dir, "src/main/resources", f))
		if m := serverPortRe.FindSubmatch(dt); ok && m != nil {
			if n, err := strconv.Atoi(string(m[1])); err == nil && n > 0 && n < 65536 {
				a.Spec.Run.Port = n
				a.Note("run/port", "server.port in %s", f)
				break
			}
		}
	}
	if actuator {
		a.Spec.Run.Health = &spec.Health{HTTP: "/actuator/health"}
		a.Guess("run/health/http", "Spring Boot Actuator's health endpoint")
		return
	}
	if h := p.Hints(dir, ".java", ".kt"); h.Health != "" {
		a.Spec.Run.Health = &spec.Health{HTTP: h.Health}
		a.Guess("run/health/http", "seen in %s; it must answer 2xx", h.HealthFrom)
	}
}
