package llbgen

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/moby/buildkit/client/llb"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/org/safe-frontend/lang/langtest"
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
	return langtest.TreeFiles(t, root)
}

func javaInput(t testing.TB, s *spec.Spec, project string, target ocispecs.Platform) *Input {
	in := testInput(s, target)
	img := &dockerspec.DockerOCIImage{}
	img.Config.Env = []string{"PATH=/opt/java/openjdk/bin:/usr/bin:/bin", "JAVA_HOME=/opt/java/openjdk"}
	java := registered(t, "java")
	builder := java.BuilderImage(s)
	in.Bases[RoleBuilder] = Base{Name: builder, Digest: goDigest, State: llb.Image(builder+"@"+goDigest.String(), llb.Platform(amd64)), Image: img}
	if ref, ok := java.FinalImage(s, finalName(s)); ok {
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

// TestJavaFinals: the final the language maps (lang/java tests the
// others) is refused by the conversion.
func TestJavaFinals(t *testing.T) {
	s := javaSpec()
	s.Final = "scratch"
	if _, err := Bases(s, amd64, amd64); err == nil || !strings.Contains(err.Error(), "scratch cannot run a java app") {
		t.Errorf("scratch: %v", err)
	}
}

func TestJavaCrossJlink(t *testing.T) {
	in := javaInput(t, javaSpec(), "hello", arm64)
	_, err := Convert(in)
	if err == nil || !strings.Contains(err.Error(), "use runtime: jre for other platforms") || ErrorPath(err, "") != "java" && ErrorPath(err, "") != "language" {
		t.Errorf("cross jlink: %v (%s)", err, ErrorPath(err, ""))
	}
}
