package java

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/org/safe-frontend/lang"
	"github.com/org/safe-frontend/rules"
	"github.com/org/safe-frontend/spec"
)

func javaSpec() *spec.Spec {
	return &spec.Spec{
		Name:     "java-hello",
		Version:  "1.0.0",
		Language: "java",
		Java:     &spec.Java{Version: "21"},
		Run: spec.Run{
			Port:   8080,
			Health: &spec.Health{HTTP: "/healthz"},
		},
	}
}

// javaFiles reads a project under llbgen/testdata/java as the context
// files.
func javaFiles(t testing.TB, project string) map[string][]byte {
	t.Helper()
	// The fixtures are shared with llbgen's conversion tests.
	root := filepath.Join("..", "..", "llbgen", "testdata", "java", project)
	files := map[string][]byte{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		dt, err := os.ReadFile(p)
		files[filepath.ToSlash(rel)] = dt
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestJavaFinals(t *testing.T) {
	for _, tc := range []struct {
		version, runtime, final, want string
	}{
		{"21", "", "distroless", "gcr.io/distroless/cc-debian13:nonroot"},
		{"21", "jlink", "distroless", "gcr.io/distroless/cc-debian13:nonroot"},
		{"21", "jre", "distroless", "gcr.io/distroless/java21-debian13:nonroot"},
		{"25", "jre", "distroless", "gcr.io/distroless/java25-debian13:nonroot"},
		{"17", "jre", "distroless", "gcr.io/distroless/java17-debian12:nonroot"},
		{"21", "jre", "distroless-base", ""},
	} {
		s := javaSpec()
		s.Java.Version, s.Java.Runtime = tc.version, tc.runtime
		got, ok := (java{}).FinalImage(s, tc.final)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("%s %s %s: %q %v, want %q", tc.version, tc.runtime, tc.final, got, ok, tc.want)
		}
	}
	s := javaSpec()
	if b := (java{}).BuilderImage(s); b != "docker.io/library/maven:3-eclipse-temurin-21" {
		t.Errorf("builder %s", b)
	}
}

func TestPlanMaven(t *testing.T) {
	multi := javaFiles(t, "multi")
	p, err := planMaven(javaSpec(), multi)
	if err != nil {
		t.Fatal(err)
	}
	if p.module.ArtifactID != "orders-api" || p.main != "com.example.orders.api.Server" || strings.Join(p.selection, " ") != "-pl orders-api -am" {
		t.Errorf("multi: %s %s %v", p.module.ArtifactID, p.main, p.selection)
	}
	if p.module.GroupID != "com.example.orders" || p.module.Version != "3.2.0" || p.module.Release != 17 {
		t.Errorf("inherited: %s %s %d", p.module.GroupID, p.module.Version, p.module.Release)
	}
	hello := javaFiles(t, "hello")
	p, err = planMaven(javaSpec(), hello)
	if err != nil {
		t.Fatal(err)
	}
	if p.main != "com.example.hello.Main" || p.module.FinalName != "java-hello" || p.module.Release != 21 || p.selection != nil {
		t.Errorf("hello: %+v", p.module)
	}

	for _, tc := range []struct {
		name  string
		files map[string][]byte
		edit  func(*spec.Java)
		rule  string
		msg   string
	}{
		{"no pom", map[string][]byte{}, nil, rules.MavenPomMissing, "no pom.xml at its root"},
		{"gradle only", map[string][]byte{"build.gradle.kts": []byte("plugins {}")}, nil, rules.UnsupportedBuildTool, "build.gradle.kts and no pom.xml"},
		{"gradle key", hello, func(j *spec.Java) { j.Build = "gradle" }, rules.UnsupportedBuildTool, "only Maven"},
		{"unknown module", multi, func(j *spec.Java) { j.Module = "orders-web" }, rules.MavenPomUnusable, "pom.xml lists: orders-api, orders-core"},
		{"module by dir", multi, func(j *spec.Java) { j.Module = "orders-core/" }, rules.NoMainClass, "orders-core/pom.xml names no main class"},
		{"release too new", hello, func(j *spec.Java) { j.Version = "17" }, rules.UnsupportedJava, "compiles for Java 21"},
		{"pom module missing", map[string][]byte{"pom.xml": []byte("<project><artifactId>a</artifactId><packaging>pom</packaging><modules><module>b</module></modules></project>")}, nil,
			rules.MavenPomUnusable, "b/pom.xml is not in the build context"},
		{"war", map[string][]byte{"pom.xml": []byte("<project><artifactId>a</artifactId><packaging>war</packaging></project>")}, nil, rules.MavenPomUnusable, "packaging \"war\""},
		{"no main", map[string][]byte{"pom.xml": []byte("<project><artifactId>a</artifactId></project>")}, nil, rules.NoMainClass, "set java.main"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := javaSpec()
			if tc.edit != nil {
				tc.edit(s.Java)
			}
			_, err := planMaven(s, tc.files)
			var re *lang.RuleError
			if !errors.As(err, &re) || re.Rule != tc.rule || !strings.Contains(re.Msg, tc.msg) {
				t.Fatalf("got %v, want %s with %q", err, tc.rule, tc.msg)
			}
			found := (java{}).CheckContext(s, tc.files, false)
			if len(found) != 1 || found[0].Rule != tc.rule {
				t.Errorf("CheckContext: %+v", found)
			}
		})
	}
	s := javaSpec()
	s.Java.Main = "com.example.Other"
	if p, err := planMaven(s, hello); err != nil || p.main != "com.example.Other" {
		t.Errorf("java.main: %v %v", p, err)
	}
	found := (java{}).CheckContext(javaSpec(), map[string][]byte{"pom.xml": hello["pom.xml"],
		".mvn/settings.xml": []byte("<settings><servers><server><id>r</id><password> s3cret</password></server></servers></settings>")}, false)
	if len(found) != 1 || found[0].Rule != rules.MavenSettingsInContext || !strings.Contains(found[0].Message, ".mvn/settings.xml") {
		t.Errorf("settings: %+v", found)
	}
}

// FuzzPlanJava: any pom.xml tree is planned or refused with an error that
// names a rule, never a panic.
func FuzzPlanJava(f *testing.F) {
	for _, p := range []string{"hello", "multi"} {
		files := javaFiles(f, p)
		f.Add(files["pom.xml"], files["orders-api/pom.xml"])
	}
	f.Add([]byte("<project><artifactId>a</artifactId><modules><module>b</module></modules></project>"),
		[]byte("<project><parent><artifactId>a</artifactId><relativePath>..</relativePath></parent><artifactId>b</artifactId><build><plugins><plugin><artifactId>maven-shade-plugin</artifactId><executions><execution><configuration><transformers><transformer><mainClass>${a}</mainClass></transformer></transformers></configuration></execution></executions></plugin></plugins></build><properties><a>${b}x</a><b>${a}</b></properties></project>"))
	f.Fuzz(func(t *testing.T, root, module []byte) {
		files := map[string][]byte{"pom.xml": root, "b/pom.xml": module, "orders-api/pom.xml": module, "orders-core/pom.xml": module}
		p, err := planMaven(javaSpec(), files)
		if err != nil {
			var re *lang.RuleError
			if !errors.As(err, &re) {
				t.Fatalf("error without a rule: %v", err)
			}
			return
		}
		if p.main == "" || p.module == nil || !javaClassName.MatchString(p.main) {
			t.Fatalf("plan without a main class: %+v", p)
		}
		_ = p.stageScript(mavenMinTimestamp)
	})
}

// TestPemTrustStoreJava: the package step compiles the truststore maker
// java_truststore.sh carries.
func TestPemTrustStoreJava(t *testing.T) {
	if !strings.HasPrefix(pemTrustStoreJava, "import java.io.*;") || !strings.HasSuffix(pemTrustStoreJava, "}\n") || !strings.Contains(pemTrustStoreJava, "class PemTrustStore {") {
		t.Errorf("pemTrustStoreJava is not the here document of java_truststore.sh:\n%s", pemTrustStoreJava)
	}
}
