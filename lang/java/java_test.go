package java

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/org/safe-frontend/lang"
	"github.com/org/safe-frontend/lang/langtest"
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
	return langtest.TreeFiles(t, root)
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

// TestSpringBootMainClass: a Spring Boot module that names no main class
// is planned (the package step finds it, and it ends the argfile); a
// plain one is refused; a named one is kept.
func TestSpringBootMainClass(t *testing.T) {
	const plugin = "<build><plugins><plugin><groupId>org.springframework.boot</groupId><artifactId>spring-boot-maven-plugin</artifactId></plugin></plugins></build>"
	for _, tc := range []struct {
		name, pom string
		boot      bool
	}{
		{"boot plugin", "<project><artifactId>a</artifactId>" + plugin + "</project>", true},
		{"boot parent", "<project><parent><groupId>org.springframework.boot</groupId><artifactId>spring-boot-starter-parent</artifactId><version>3.5.16</version><relativePath/></parent><artifactId>a</artifactId></project>", true},
		{"boot plugin in a parent in the context", "", true},
		{"plain", "<project><artifactId>a</artifactId></project>", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files := map[string][]byte{"pom.xml": []byte(tc.pom)}
			s := javaSpec()
			if tc.pom == "" {
				files = map[string][]byte{
					"pom.xml":     []byte("<project><artifactId>parent</artifactId><packaging>pom</packaging><modules><module>app</module></modules>" + plugin + "</project>"),
					"app/pom.xml": []byte("<project><parent><artifactId>parent</artifactId></parent><artifactId>app</artifactId></project>"),
				}
				s.Java.Module = "app"
			}
			b, err := planMaven(s, files)
			if !tc.boot {
				var re *lang.RuleError
				if !errors.As(err, &re) || re.Rule != rules.NoMainClass {
					t.Fatalf("got %v, want %s", err, rules.NoMainClass)
				}
				return
			}
			if err != nil || b.main != "" {
				t.Fatalf("got %+v, %v; want a plan that finds the main class in the build", b, err)
			}
			script := b.stageScript(mavenMinTimestamp)
			for _, want := range []string{"ReproducibleJar 315532802 @/tmp/main.class", "cat /tmp/main.class >> /out/app/classpath.argfile"} {
				if !strings.Contains(script, want) {
					t.Errorf("the package step lacks %q:\n%s", want, script)
				}
			}
			p, err := java{}.Plan(&lang.Input{Spec: s, Files: files, Target: langtest.AMD64, Build: langtest.AMD64})
			if err != nil {
				t.Fatal(err)
			}
			if ep := p.Final.Entrypoint; ep[len(ep)-1] != "@"+argFile {
				t.Errorf("entrypoint %q: want the argfile last (it names the main class)", ep)
			}
			s.Java.Main = "com.example.Named"
			if b, err := planMaven(s, files); err != nil || b.main != "com.example.Named" {
				t.Errorf("java.main: %+v %v", b, err)
			}
		})
	}
}

// FuzzPlanJava: any pom.xml tree is planned or refused with an error that
// names a rule, never a panic.
func FuzzPlanJava(f *testing.F) {
	for _, p := range []string{"hello", "multi"} {
		files := javaFiles(f, p)
		f.Add(files["pom.xml"], files["orders-api/pom.xml"], []byte(nil))
	}
	f.Add(javaFiles(f, "hello")["pom.xml"], []byte(nil), []byte("distributionUrl=https\\://repo.maven.apache.org/maven2/org/apache/maven/apache-maven/3.9.11/apache-maven-3.9.11-bin.zip\ndistributionSha256Sum="+strings.Repeat("ab", 32)+"\n"))
	f.Add([]byte("<project><artifactId>a</artifactId><modules><module>b</module></modules></project>"),
		[]byte("<project><parent><artifactId>a</artifactId><relativePath>..</relativePath></parent><artifactId>b</artifactId><build><plugins><plugin><artifactId>maven-shade-plugin</artifactId><executions><execution><configuration><transformers><transformer><mainClass>${a}</mainClass></transformer></transformers></configuration></execution></executions></plugin></plugins></build><properties><a>${b}x</a><b>${a}</b></properties></project>"),
		[]byte(nil))
	f.Fuzz(func(t *testing.T, root, module, wrapper []byte) {
		files := map[string][]byte{"pom.xml": root, "b/pom.xml": module, "orders-api/pom.xml": module, "orders-core/pom.xml": module}
		if wrapper != nil {
			files[wrapperProps] = wrapper
		}
		p, err := planMaven(javaSpec(), files)
		if err != nil {
			var re *lang.RuleError
			if !errors.As(err, &re) {
				t.Fatalf("error without a rule: %v", err)
			}
			return
		}
		if p.module == nil || p.main == "" && !p.module.springBoot() || p.main != "" && !javaClassName.MatchString(p.main) {
			t.Fatalf("plan without a main class: %+v", p)
		}
		if w := p.wrapper; w != nil && (!strings.HasPrefix(w.URL, "https://") || !distNameRe.MatchString(w.Name) || w.SHA256 != "" && !sha256Re.MatchString(w.SHA256)) {
			t.Fatalf("wrapper read as %+v", w)
		}
		_ = p.stageScript(mavenMinTimestamp)
		_ = p.resolve("/run/secrets/ca.pem")
	})
}

// TestReadWrapper: the wrapper's distribution and pin, as the wrappers of
// each age write them; what cannot be fetched safely is refused.
func TestReadWrapper(t *testing.T) {
	const url = "https://repo.maven.apache.org/maven2/org/apache/maven/apache-maven/3.9.11/apache-maven-3.9.11-bin.zip"
	sum := strings.Repeat("0d", 32)
	for _, tc := range []struct {
		name, props string
		want        mavenWrapper
		err         string
	}{
		{"only-script", "# comment\nwrapperVersion=3.3.2\ndistributionType=only-script\ndistributionUrl=" + url + "\n", mavenWrapper{URL: url, Name: "apache-maven-3.9.11"}, ""},
		{"pinned, escaped, colon", "distributionUrl: https\\://repo.maven.apache.org/maven2/org/apache/maven/apache-maven/3.9.11/apache-maven-3.9.11-bin.zip\r\ndistributionSha256Sum = " + strings.ToUpper(sum) + "\r\n", mavenWrapper{URL: url, SHA256: sum, Name: "apache-maven-3.9.11"}, ""},
		{"no url", "wrapperVersion=3.3.2\n", mavenWrapper{}, "has no distributionUrl"},
		{"http", "distributionUrl=http://repo.example/apache-maven-3.9.11-bin.zip", mavenWrapper{}, "plain https URL"},
		{"credentials", "distributionUrl=https://u:p@repo.example/apache-maven-3.9.11-bin.zip", mavenWrapper{}, "plain https URL"},
		{"not a zip", "distributionUrl=https://repo.example/apache-maven-3.9.11-bin.tar.gz", mavenWrapper{}, "Maven binary zip"},
		{"bad pin", "distributionUrl=" + url + "\ndistributionSha256Sum=abc\n", mavenWrapper{}, ":2: distributionSha256Sum \"abc\" is not a SHA-256"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, err := readWrapper([]byte(tc.props))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("got %+v, %v; want an error with %q", w, err, tc.err)
				}
				return
			}
			if err != nil || *w != tc.want {
				t.Fatalf("got %+v, %v; want %+v", w, err, tc.want)
			}
			if d := w.distDir(); d != "/root/.m2/wrapper/dists/apache-maven-3.9.11" || mavenCmd(w) != "sh "+d+"/bin/mvn" {
				t.Errorf("dist %s, cmd %s", d, mavenCmd(w))
			}
		})
	}
	s := javaSpec()
	files := javaFiles(t, "hello")
	files[wrapperProps] = []byte("distributionUrl=" + url + "\ndistributionSha256Sum=" + sum + "\n")
	b, err := planMaven(s, files)
	if err != nil {
		t.Fatal(err)
	}
	// The resolve step fetches and checks the distribution, both Maven
	// steps run it; .mvn is copied with the poms, mvnw is not run.
	mvn := "sh /root/.m2/wrapper/dists/apache-maven-3.9.11/bin/mvn "
	resolve, pkg := b.resolve("/run/secrets/ca.pem").Run.Args[2], b.packageJars("/run/secrets/ca.pem", mavenMinTimestamp, true, "21").Run.Args[2]
	for _, want := range []string{"MavenDist.java '" + url + "' '" + sum + "-' '/root/.m2/wrapper/dists/apache-maven-3.9.11' .mvn/wrapper/maven-wrapper.properties", mvn + "-B"} {
		if !strings.Contains(resolve, want) {
			t.Errorf("the resolve step lacks %q:\n%s", want, resolve)
		}
	}
	if !strings.Contains(pkg, mvn+"-B") || strings.Contains(pkg, "MavenDist") || strings.Contains(resolve+pkg, "mvnw") {
		t.Errorf("the package step does not run the wrapper's Maven as it is:\n%s", pkg)
	}
	if step := b.copyPoms(); step.Name != "copy pom.xml and .mvn" {
		t.Errorf("step 1 is %q", step.Name)
	}
	files[wrapperProps] = []byte("distributionUrl=ftp://x/apache-maven-3-bin.zip")
	if _, err := planMaven(s, files); err == nil || !strings.Contains(err.Error(), rules.MavenPomUnusable) && !strings.Contains(err.Error(), "https") {
		t.Errorf("a wrapper with an ftp URL: %v", err)
	}
}

// TestPemTrustStoreJava: the package step compiles the truststore maker
// java_truststore.sh carries.
func TestPemTrustStoreJava(t *testing.T) {
	if !strings.HasPrefix(pemTrustStoreJava, "import java.io.*;") || !strings.HasSuffix(pemTrustStoreJava, "}\n") || !strings.Contains(pemTrustStoreJava, "class PemTrustStore {") {
		t.Errorf("pemTrustStoreJava is not the here document of java_truststore.sh:\n%s", pemTrustStoreJava)
	}
}
