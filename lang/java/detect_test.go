package java

import (
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/org/safe-frontend/lang"
	"github.com/org/safe-frontend/lang/langtest"
)

// A Spring Boot service on Maven: java.version 17 from the parent's
// property, the @SpringBootApplication class, server.port from
// application.properties, the actuator's health endpoint.
func TestDetectSpringBoot(t *testing.T) {
	langtest.RequireGoldenSpec(t, java{}, "testdata/init/spring-boot", "testdata/init/spring-boot.yaml", *update)
}

// A Gradle build gets a clear refusal, not a spec that cannot build.
func TestDetectGradle(t *testing.T) {
	apps, err := langtest.Detect(t, java{}, os.DirFS("testdata/init/gradle"), "gradle")
	if len(apps) != 0 || !lang.IsNotSupported(err) || !strings.Contains(err.Error(), "add a Maven pom.xml") {
		t.Fatalf("detect a Gradle build: %d apps, %v", len(apps), err)
	}
}

// A multi-module build: one app for each jar module that runs, with
// java.module; the release rounds up to one the frontend builds.
func TestDetectMavenModules(t *testing.T) {
	pom := func(body string) *fstest.MapFile {
		return &fstest.MapFile{Data: []byte("<project><modelVersion>4.0.0</modelVersion>" + body + "</project>")}
	}
	fsys := fstest.MapFS{
		"pom.xml":                           pom("<groupId>g</groupId><artifactId>root</artifactId><version>1.0.0</version><packaging>pom</packaging><modules><module>core</module><module>api</module></modules><properties><maven.compiler.release>19</maven.compiler.release></properties>"),
		"core/pom.xml":                      pom("<parent><groupId>g</groupId><artifactId>root</artifactId><version>1.0.0</version></parent><artifactId>core</artifactId>"),
		"api/pom.xml":                       pom("<parent><groupId>g</groupId><artifactId>root</artifactId><version>1.0.0</version></parent><artifactId>api</artifactId>"),
		"api/src/main/java/g/api/Main.java": {Data: []byte("package g.api;\npublic class Main { public static void main(String[] args) { serve(\":9090\"); } }\n")},
	}
	apps, err := langtest.Detect(t, java{}, fsys, "root")
	if err != nil || len(apps) != 1 {
		t.Fatalf("%v, %v; want api alone", apps, err)
	}
	api := apps[0]
	if j := api.Spec.Java; api.ID != "api" || j.Module != "api" || j.Version != "21" || j.Main != "g.api.Main" || api.Spec.Run.Port != 9090 {
		t.Errorf("api: id %s %+v port %d", api.ID, j, api.Spec.Run.Port)
	}
	// With no module that runs, each jar module is offered, with a note to
	// set the main class.
	delete(fsys, "api/src/main/java/g/api/Main.java")
	apps, err = langtest.Detect(t, java{}, fsys, "root")
	if err != nil || len(apps) != 2 || apps[0].Notes["java"] == "" {
		t.Fatalf("%v, %v; want core and api, each with a note", apps, err)
	}
}

// Spring Boot with no server.port and no actuator: its default port, and
// a health route only when the sources name one.
func TestDetectSpringBootDefaults(t *testing.T) {
	fsys := fstest.MapFS{
		"pom.xml":                   {Data: []byte("<project><parent><groupId>org.springframework.boot</groupId><artifactId>spring-boot-starter-parent</artifactId><version>3.5.16</version></parent><artifactId>svc</artifactId><version>1.2.0</version></project>")},
		"src/main/java/a/App.java":  {Data: []byte("package a;\n@SpringBootApplication\npublic class App { public static void main(String[] args) {} }\n")},
		"src/main/java/a/Tool.java": {Data: []byte("package a;\npublic class Tool { public static void main(String[] args) {} }\n")},
	}
	apps, err := langtest.Detect(t, java{}, fsys, "svc")
	if err != nil || len(apps) != 1 {
		t.Fatalf("%v, %v", apps, err)
	}
	a := apps[0]
	if a.Spec.Run.Port != 8080 || a.Spec.Run.Health != nil || a.Spec.Java.Main != "a.App" || a.Spec.Version != "1.2.0" || a.Spec.Java.Version != DefaultVersion {
		t.Errorf("port %d health %+v %+v version %q", a.Spec.Run.Port, a.Spec.Run.Health, a.Spec.Java, a.Spec.Version)
	}
}

// With no compiler release, the JDK maven-toolchains-plugin asks for.
func TestDetectMavenToolchains(t *testing.T) {
	for v, want := range map[string]string{"25": "25", "[17,)": "17", "${jdk}": "21", "[1.8,)": "17"} {
		fsys := fstest.MapFS{"pom.xml": {Data: []byte("<project><artifactId>a</artifactId><version>1</version><properties><jdk>21</jdk></properties><build><plugins><plugin><artifactId>maven-toolchains-plugin</artifactId><configuration><toolchains><jdk><version>" + v + "</version></jdk></toolchains></configuration></plugin></plugins></build></project>")},
			"src/main/java/A.java": {Data: []byte("public class A { public static void main(String[] a) {} }")}}
		apps, err := langtest.Detect(t, java{}, fsys, "a")
		if err != nil || len(apps) != 1 || apps[0].Spec.Java.Version != want {
			t.Errorf("toolchains jdk %s: %v, %v; want java %s", v, apps, err, want)
		}
	}
}
