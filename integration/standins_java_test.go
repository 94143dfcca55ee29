package integration

import (
	"strings"
	"testing"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/client/llb"
)

// TestStandinsJava: the Java stand-ins carry what builds and runs rely on
// in the real images. distroless java21-debian13 (amd64 and arm64): the
// distroless layout, the JRE's packages in status.d, /usr/bin/java, the
// JRE's truststore, no shell, and java runs and reads that truststore under
// runc. maven:3-eclipse-temurin-21: JAVA_HOME with jmods, the JDK tools and
// Maven on PATH. And a runtime jlink'd in the builder runs on distroless
// cc-debian13, the base of `runtime: jlink`.
func TestStandinsJava(t *testing.T) {
	t.Run("distroless-java21", func(t *testing.T) {
		repo := "distroless/java21-debian13"
		_, images := pullIndex(t, repo, "nonroot")
		if len(images) != 2 {
			t.Errorf("%s: %d platforms, want linux/amd64 and linux/arm64", repo, len(images))
		}
		packages := []string{"base-files", "ca-certificates", "media-types", "netbase", "tzdata", "tzdata-legacy",
			"libc6", "libssl3t64", "libzstd1", "zlib1g", "gcc-14-base", "libgcc-s1", "libgomp1", "libstdc++6",
			"openjdk-21-jre-headless", "liblcms2-2", "libjpeg62-turbo"}
		for _, img := range images {
			arch := img.Platform.Architecture
			what := repo + " " + arch
			checkDistrolessCommon(t, what, img)
			checkStatusD(t, what, img, packages)
			if got, e, err := img.FS.resolve("/usr/bin/java"); err != nil || e == nil || got != "/usr/lib/jvm/java-21-openjdk-"+arch+"/bin/java" {
				t.Errorf("%s: /usr/bin/java resolves to %q (%v), want the JRE's java", what, got, err)
			}
			if _, e, err := img.FS.resolve("/usr/lib/jvm/java-21-openjdk-" + arch + "/lib/security/cacerts"); err != nil || e == nil || len(e.Data) < 100_000 {
				t.Errorf("%s: the JRE's cacerts (/etc/ssl/certs/java/cacerts) is missing or small: %v", what, err)
			}
			for _, sh := range []string{"/bin/sh", "/bin/bash", "/bin/dash", "/usr/bin/sh", "/usr/bin/bash", "/usr/bin/dash"} {
				if img.FS.lookup(sh) != nil {
					t.Errorf("%s: a shell: %s", what, sh)
				}
			}
			if !strings.HasPrefix(strings.Join(img.Config.Config.Entrypoint, " "), "/usr/bin/java") {
				t.Errorf("%s: entrypoint %v, want /usr/bin/java", what, img.Config.Config.Entrypoint)
			}
		}
		// Exec form only: the image has no shell.
		jre := "/usr/lib/jvm/java-21-openjdk-amd64"
		solveSteps(t, llb.Image("gcr.io/distroless/java21-debian13:nonroot", llb.LinuxAmd64),
			[]string{"/usr/bin/java", "-version"},
			[]string{jre + "/bin/keytool", "-list", "-cacerts", "-storepass", "changeit", "-alias", "debian:isrg_root_x1.pem"})
	})

	// LLB does not read an image's config: steps on the builder get its
	// env from the pulled config, as a Dockerfile's would.
	builder := llb.Image("docker.io/library/maven:3-eclipse-temurin-21", llb.LinuxAmd64)
	for _, img := range pullImages(t, "library/maven", "3-eclipse-temurin-21") {
		for _, kv := range img.Config.Config.Env {
			k, v, _ := strings.Cut(kv, "=")
			builder = builder.AddEnv(k, v)
		}
	}

	t.Run("maven-temurin-21", func(t *testing.T) {
		for _, img := range pullImages(t, "library/maven", "3-eclipse-temurin-21") {
			if d := img.Config.Config.Labels["org.opencontainers.image.description"]; !strings.Contains(d, "stand-in") {
				t.Errorf("not labelled as a stand-in: %q", d)
			}
			env := strings.Join(img.Config.Config.Env, "\n")
			for _, want := range []string{"JAVA_HOME=/opt/java/openjdk", "MAVEN_HOME=/usr/share/maven", "PATH=/opt/java/openjdk/bin:"} {
				if !strings.Contains(env, want) {
					t.Errorf("env lacks %s:\n%s", want, env)
				}
			}
		}
		solveSteps(t, builder, []string{"/bin/sh", "-c", "test -f $JAVA_HOME/jmods/java.base.jmod && java -version && javac -version && " +
			"jdeps -version && jlink --version && command -v keytool && command -v objcopy && mvn -v"})
	})

	t.Run("jlink-on-cc", func(t *testing.T) {
		// A class using java.net.http (not in java.base): jdeps must name it
		// and the runtime must hold it; the TLS context proves the runtime
		// carries its own CA certificates.
		src := `public class Hello { public static void main(String[] a) throws Exception {
  var c = java.net.http.HttpClient.newHttpClient();
  var ks = java.security.KeyStore.getInstance(java.security.KeyStore.getDefaultType());
  try (var in = java.nio.file.Files.newInputStream(java.nio.file.Path.of(System.getProperty("java.home"), "lib/security/cacerts"))) { ks.load(in, null); }
  if (ks.size() < 100) throw new IllegalStateException("cacerts holds " + ks.size() + " certificates");
  javax.net.ssl.SSLContext.getDefault();
  System.out.println("hello from a jlink runtime, " + ks.size() + " CA certificates, " + c.version());
} }`
		build := builder.
			File(llb.Mkdir("/src", 0o755).Mkfile("/src/Hello.java", 0o644, []byte(src))).
			Run(llb.Args([]string{"/bin/sh", "-c", `set -e; cd /src; javac -d classes Hello.java
mods=$(jdeps --print-module-deps classes); echo "modules: $mods"; test "$mods" = "java.base,java.net.http"
jlink --add-modules "$mods" --strip-debug --no-man-pages --no-header-files --compress=zip-6 --output /jre
test -f /jre/lib/security/cacerts; /jre/bin/java --list-modules`}), llb.WithCustomName("[java stand-ins] jdeps and jlink")).Root()
		final := llb.Image("gcr.io/distroless/cc-debian13:nonroot", llb.LinuxAmd64).
			File(llb.Copy(build, "/jre", "/opt/java/", &llb.CopyInfo{CopyDirContentsOnly: true, CreateDestPath: true})).
			File(llb.Copy(build, "/src/classes", "/app/", &llb.CopyInfo{CopyDirContentsOnly: true, CreateDestPath: true}))
		solveSteps(t, final, []string{"/opt/java/bin/java", "-cp", "/app", "Hello"})
	})
}

// solveSteps runs each command, exec form, on st under runc and fails the
// test if one fails.
func solveSteps(t *testing.T, st llb.State, cmds ...[]string) {
	t.Helper()
	for _, cmd := range cmds {
		st = st.Run(llb.Args(cmd), llb.WithCustomNamef("[java stand-ins] %s", strings.Join(cmd, " "))).Root()
	}
	def, err := st.Marshal(testContext(t), llb.LinuxAmd64)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := newClient(t).Solve(testContext(t), def, client.SolveOpt{}, nil); err != nil {
		t.Fatalf("%v", err)
	}
}
