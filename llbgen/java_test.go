package llbgen

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moby/buildkit/client/llb"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

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

// javaFiles reads a project under testdata/java as the context files.
func javaFiles(t testing.TB, project string) map[string][]byte {
	t.Helper()
	root := filepath.Join("testdata", "java", project)
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

func javaInput(t testing.TB, s *spec.Spec, project string, target ocispecs.Platform) *Input {
	in := testInput(s, target)
	img := &dockerspec.DockerOCIImage{}
	img.Config.Env = []string{"PATH=/opt/java/openjdk/bin:/usr/bin:/bin", "JAVA_HOME=/opt/java/openjdk"}
	builder := (java{}).BuilderImage(s)
	in.Bases[RoleBuilder] = Base{Name: builder, Digest: goDigest, State: llb.Image(builder+"@"+goDigest.String(), llb.Platform(amd64)), Image: img}
	if ref, ok := (java{}).FinalImage(s, finalName(s)); ok {
		b := in.Bases[RoleFinal]
		b.Name = ref
		b.State = llb.Image(ref+"@"+finalDigest.String(), llb.Platform(target))
		in.Bases[RoleFinal] = b
	}
	in.Files = javaFiles(t, project)
	return in
}

func TestJavaGolden(t *testing.T) {
	for _, tc := range []struct {
		name    string
		project string
		edit    func(*spec.Spec)
		target  ocispecs.Platform
	}{
		{"java-hello-jlink-amd64", "hello", func(*spec.Spec) {}, amd64},
		{"java-multimodule-jre-arm64", "multi", func(s *spec.Spec) {
			s.Java = &spec.Java{Version: "17", Runtime: "jre", Module: "orders-api", Options: []string{"-Xss512k"}, Tests: true}
		}, arm64},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := javaSpec()
			tc.edit(s)
			requireGolden(t, tc.name, javaInput(t, s, tc.project, tc.target))
		})
	}
}

func TestJavaDeterministic(t *testing.T) {
	requireDeterministic(t, func() *Input { return javaInput(t, javaSpec(), "hello", amd64) })
}

func TestJavaImage(t *testing.T) {
	s := javaSpec()
	s.Java.Options = []string{"-Xss512k"}
	_, res := marshal(t, javaInput(t, s, "hello", amd64))
	got := strings.Join(res.Image.Config.Entrypoint, " ")
	want := "/usr/sbin/tini -e 143 -- /opt/java/bin/java -XX:MaxRAMPercentage=75 -XX:+ExitOnOutOfMemoryError -XX:+PerfDisableSharedMem -Xss512k @/app/classpath.argfile com.example.hello.Main"
	if got != want {
		t.Errorf("entrypoint\n got %s\nwant %s", got, want)
	}
	if res.Image.Config.WorkingDir != "/app" || res.Image.Config.User != "65532:65532" {
		t.Errorf("workdir %q user %q", res.Image.Config.WorkingDir, res.Image.Config.User)
	}
	if len(res.SBOM) == 0 || res.SBOM[0].Kind != "maven-jars" || res.SBOM[0].Path != "/app" {
		t.Errorf("sbom %+v", res.SBOM)
	}
	s.Java.Runtime = "jre"
	_, res = marshal(t, javaInput(t, s, "hello", amd64))
	if ep := res.Image.Config.Entrypoint; len(ep) < 6 || ep[4] != "/usr/bin/java" {
		t.Errorf("jre entrypoint %v", ep)
	}
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
	s.Final = "scratch"
	if _, err := Bases(s, amd64, amd64); err == nil || !strings.Contains(err.Error(), "scratch cannot run a java app") {
		t.Errorf("scratch: %v", err)
	}
	if b := (java{}).BuilderImage(s); b != "docker.io/library/maven:3-eclipse-temurin-21" {
		t.Errorf("builder %s", b)
	}
}

func TestJavaPlan(t *testing.T) {
	multi := javaFiles(t, "multi")
	p, err := planJava(javaSpec(), multi)
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
	p, err = planJava(javaSpec(), hello)
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
			_, err := planJava(s, tc.files)
			var re *RuleError
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
	if p, err := planJava(s, hello); err != nil || p.main != "com.example.Other" {
		t.Errorf("java.main: %v %v", p, err)
	}
	found := (java{}).CheckContext(javaSpec(), map[string][]byte{"pom.xml": hello["pom.xml"],
		".mvn/settings.xml": []byte("<settings><servers><server><id>r</id><password> s3cret</password></server></servers></settings>")}, false)
	if len(found) != 1 || found[0].Rule != rules.MavenSettingsInContext || !strings.Contains(found[0].Message, ".mvn/settings.xml") {
		t.Errorf("settings: %+v", found)
	}
}

func TestJavaCrossJlink(t *testing.T) {
	in := javaInput(t, javaSpec(), "hello", arm64)
	_, err := Convert(in)
	if err == nil || !strings.Contains(err.Error(), "use runtime: jre for other platforms") || ErrorPath(err, "") != "java" && ErrorPath(err, "") != "language" {
		t.Errorf("cross jlink: %v (%s)", err, ErrorPath(err, ""))
	}
}

func TestPomHostile(t *testing.T) {
	deep := strings.Repeat("<a>", 100) + strings.Repeat("</a>", 100)
	for _, tc := range []struct {
		name, pom, msg string
	}{
		{"not xml", "{}", "not a readable pom.xml"},
		{"unclosed", "<project><artifactId>a</artifactId>", "not a readable pom.xml"},
		{"doctype", `<?xml version="1.0"?><!DOCTYPE project [<!ENTITY x "y">]><project><artifactId>&x;</artifactId></project>`, "has no DOCTYPE"},
		{"deep", "<project>" + deep + "</project>", "nested more than 48 deep"},
		{"root", "<settings/>", "expected element type <project>"},
		{"no artifact", "<project/>", "has no <artifactId>"},
		{"utf-16", `<?xml version="1.0" encoding="UTF-16"?><project/>`, "save the pom.xml as UTF-8"},
		{"big", "<project>" + strings.Repeat(" ", maxPomSize) + "</project>", "more than the 4 MiB"},
		{"module escapes", "<project><artifactId>a</artifactId><modules><module>../x</module></modules></project>", "must be a directory inside the build context"},
		{"module property", "<project><artifactId>a</artifactId><modules><module>${m}</module></modules></project>", "written literally"},
		{"module deep", "<project><artifactId>a</artifactId><modules><module>a/b/c/d</module></modules></project>", "more than 3 directories below"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := readReactor(map[string][]byte{"pom.xml": []byte(tc.pom)})
			if err == nil || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("got %v, want %q", err, tc.msg)
			}
		})
	}
	// A module listing its parent back is a cycle, not a loop.
	_, err := readReactor(map[string][]byte{
		"pom.xml":   []byte("<project><artifactId>a</artifactId><modules><module>b</module></modules></project>"),
		"b/pom.xml": []byte("<project><artifactId>b</artifactId><modules><module>../b</module></modules></project>"),
	})
	if err == nil || !strings.Contains(err.Error(), "cycle") {
		t.Errorf("cycle: %v", err)
	}
	// Properties that refer to each other end.
	r, err := readReactor(map[string][]byte{"pom.xml": []byte(
		"<project><artifactId>a</artifactId><properties><x>${y}</x><y>${x}</y><start-class>${x}</start-class></properties></project>")})
	if err != nil || r.Root.MainClass != "" {
		t.Errorf("recursive properties: %v %q", err, r.Root.MainClass)
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
		p, err := planJava(javaSpec(), files)
		if err != nil {
			var re *RuleError
			if !errors.As(err, &re) {
				t.Fatalf("error without a rule: %v", err)
			}
			return
		}
		if p.main == "" || p.module == nil || !javaClassName.MatchString(p.main) {
			t.Fatalf("plan without a main class: %+v", p)
		}
		_ = javaStage(p, mavenMinTimestamp)
	})
}

// TestPemTrustStoreJava: the package step compiles the truststore maker
// java_truststore.sh carries.
func TestPemTrustStoreJava(t *testing.T) {
	if !strings.HasPrefix(pemTrustStoreJava, "import java.io.*;") || !strings.HasSuffix(pemTrustStoreJava, "}\n") || !strings.Contains(pemTrustStoreJava, "class PemTrustStore {") {
		t.Errorf("pemTrustStoreJava is not the here document of java_truststore.sh:\n%s", pemTrustStoreJava)
	}
}
