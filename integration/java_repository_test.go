package integration

import (
	"archive/zip"
	"bytes"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"maps"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// privateMavenRepository is a Maven repository on loopback that wants
// basic credentials on every request, as a company's Nexus or Artifactory
// does, and serves one artifact made afresh on every run.
type privateMavenRepository struct {
	*authServer
	URL, User, Password, Marker string
	// Version is new on every run: the daemon keeps the resolve step of
	// the same poms cached, artifact and all.
	Version string
}

const (
	privGroup    = "com.example.private"
	privArtifact = "greeting"
)

func startMavenRepository(t *testing.T) *privateMavenRepository {
	t.Helper()
	r := &privateMavenRepository{User: "ci", Password: "pw-" + randomHex(t, 20), Marker: randomHex(t, 8)}
	r.Version = "1.0.0-" + r.Marker
	want := "Basic " + base64.StdEncoding.EncodeToString([]byte(r.User+":"+r.Password))
	r.authServer = startAuthServer(t, func(req *http.Request) bool {
		return req.Header.Get("Authorization") == want
	}, func(string) string { return `Basic realm="private"` })
	r.URL = r.Base + "/maven"

	pom := fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>%s</groupId>
  <artifactId>%s</artifactId>
  <version>%s</version>
</project>
`, privGroup, privArtifact, r.Version)
	// A jar with a resource only: the app reads it from the class path.
	jar := makeJar(t, map[string]string{"META-INF/MANIFEST.MF": "Manifest-Version: 1.0\r\n\r\n", "greeting.txt": r.Marker + "\n"})
	dir := "/maven/" + strings.ReplaceAll(privGroup, ".", "/") + "/" + privArtifact + "/" + r.Version + "/"
	base := privArtifact + "-" + r.Version
	for name, body := range map[string][]byte{base + ".pom": []byte(pom), base + ".jar": jar} {
		sum := sha1.Sum(body)
		r.handle(dir+name, func(w http.ResponseWriter, req *http.Request) {
			if strings.HasSuffix(name, ".jar") {
				r.download()
			}
			_, _ = w.Write(body)
		})
		r.handle(dir+name+".sha1", func(w http.ResponseWriter, req *http.Request) {
			_, _ = w.Write([]byte(hex.EncodeToString(sum[:])))
		})
	}
	return r
}

// makeJar zips files, in their names' sorted order, stored (not deflated)
// so a test can find their bytes in the jar.
func makeJar(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, name := range slices.Sorted(maps.Keys(files)) {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(files[name])); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestJavaPrivateRepositorySettings: a dependency from a private Maven
// repository that wants credentials resolves with a settings.xml given as
// a build secret (a file of the build steps, never of a layer); the
// password is in no layer, config or history, the image carries the
// artifact, and without the secret the resolve step fails at the
// repository's refusal. The refusal is not cached for the next build: the
// build with the secret that follows it must not read "resolution will not
// be reattempted" from the shared local repository.
func TestJavaPrivateRepositorySettings(t *testing.T) {
	repo := startMavenRepository(t)
	specFor := func(required bool) string {
		return "# syntax=org/safe-frontend:1\nname: privjava\nversion: 0.1.0\nlanguage: java\njava:\n  version: \"21\"\n  runtime: jre\n" +
			"allow:\n  - rule: SF205\n    reason: a batch job that prints and exits; nothing to probe\n" +
			fmt.Sprintf("secrets:\n  - id: maven-settings\n    target: /root/.m2/settings.xml\n    required: %v\n", required)
	}
	settings := fmt.Sprintf(`<settings>
  <servers>
    <server><id>private</id><username>%s</username><password>%s</password></server>
  </servers>
</settings>
`, repo.User, repo.Password)
	files := map[string]string{
		"pom.xml": fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>com.example</groupId>
  <artifactId>privjava</artifactId>
  <version>0.1.0</version>
  <properties>
    <maven.compiler.release>21</maven.compiler.release>
    <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
  </properties>
  <repositories>
    <repository><id>private</id><url>%s</url></repository>
  </repositories>
  <dependencies>
    <dependency><groupId>%s</groupId><artifactId>%s</artifactId><version>%s</version></dependency>
  </dependencies>
  <build>
    <plugins>
      <plugin>
        <groupId>org.apache.maven.plugins</groupId>
        <artifactId>maven-compiler-plugin</artifactId>
        <version>3.13.0</version>
      </plugin>
      <plugin>
        <groupId>org.apache.maven.plugins</groupId>
        <artifactId>maven-jar-plugin</artifactId>
        <version>3.4.2</version>
        <configuration>
          <archive><manifest><mainClass>com.example.Greet</mainClass></manifest></archive>
        </configuration>
      </plugin>
    </plugins>
  </build>
</project>
`, repo.URL, privGroup, privArtifact, repo.Version),
		"src/main/java/com/example/Greet.java": `package com.example;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

public final class Greet {
    public static void main(String[] args) throws IOException {
        try (InputStream in = Greet.class.getResourceAsStream("/greeting.txt")) {
            System.out.print(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
    }
}
`,
	}
	jarPath := "app/lib/" + privGroup + "." + privArtifact + "-" + repo.Version + ".jar"

	// Without the settings first: Maven caches a refused download in the
	// local repository, which must not stick.
	t.Run("without-settings", func(t *testing.T) {
		dir := t.TempDir()
		writeFiles(t, dir, files)
		writeFiles(t, dir, map[string]string{"Dockerfile": specFor(false)})
		_, refusedBefore := repo.counts()
		res, err := build(t, buildOpts{dir: dir, inProcess: true})
		if err == nil {
			t.Fatal("resolved from the private repository without its credentials")
		}
		if !strings.Contains(err.Error(), ":go-offline") {
			t.Errorf("the failing step is not the resolve step: %v\n%s", err, tail(res.Logs, 2000))
		}
		if _, refused := repo.counts(); refused <= refusedBefore {
			t.Errorf("the repository refused nothing; Maven did not ask it: %v\n%s", err, tail(res.Logs, 2000))
		}
	})
	t.Run("with-settings", func(t *testing.T) {
		dir := t.TempDir()
		writeFiles(t, dir, files)
		writeFiles(t, dir, map[string]string{"Dockerfile": specFor(true)})
		out := filepath.Join(t.TempDir(), "img.tar")
		res, err := build(t, buildOpts{dir: dir, inProcess: true, out: out, secrets: map[string][]byte{"maven-settings": []byte(settings)}})
		if err != nil {
			t.Fatalf("build with the settings secret: %v\n%s", err, tail(res.Logs, 3000))
		}
		if got, _ := repo.counts(); got == 0 {
			t.Error("the repository served the artifact to no request with the credentials")
		}
		if hits := blobsContain(t, out, []byte(repo.Password)); len(hits) > 0 {
			t.Fatalf("the repository password is in the image: %v", hits)
		}
		if jar := fileInImage(t, out, jarPath); !bytes.Contains(jar, []byte(repo.Marker)) {
			t.Errorf("/%s does not carry the private artifact's marker %s", jarPath, repo.Marker)
		}
	})
}
