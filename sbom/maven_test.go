package sbom

import (
	"archive/zip"
	"bytes"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

// jar makes a jar holding the given entries.
func jar(t *testing.T, entries map[string]string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	names := make([]string, 0, len(entries))
	for n := range entries {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		w, err := zw.Create(n)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(entries[n])); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func pomProps(g, a, v string) string {
	return "#Created by Apache Maven\nartifactId=" + a + "\ngroupId=" + g + "\nversion=" + v + "\n"
}

func TestMavenJars(t *testing.T) {
	fsys := fstest.MapFS{
		"app/java-hello.jar": {Data: jar(t, map[string]string{
			"META-INF/maven/com.example/java-hello/pom.properties": pomProps("com.example", "java-hello", "1.0.0"),
			"com/example/hello/Main.class":                         "\xca\xfe\xba\xbe"})},
		"app/classpath.argfile": {Data: []byte("--class-path\n\"/app/java-hello.jar\"\n")},
		"app/lib/com.fasterxml.jackson.core.jackson-databind-2.18.2.jar": {Data: jar(t, map[string]string{
			"META-INF/maven/com.fasterxml.jackson.core/jackson-databind/pom.properties": pomProps("com.fasterxml.jackson.core", "jackson-databind", "2.18.2")})},
		"app/lib/no-metadata.jar": {Data: jar(t, map[string]string{"a/B.class": "x"})},
		"app/modules/com.example.orders-core-3.2.0.jar": {Data: jar(t, map[string]string{
			"META-INF/maven/com.example/orders-core/pom.properties": pomProps("com.example", "orders-core", "3.2.0")})},
	}
	pkgs, err := Read(fsys, []Source{{Kind: KindMavenJars, Path: "/app", App: "ignored"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(pkgs) != 1 || pkgs[0].PURL != "pkg:maven/com.example/java-hello@1.0.0" || pkgs[0].Purpose != "APPLICATION" || pkgs[0].FileName != "/app/java-hello.jar" {
		t.Fatalf("want the app's jar, got %+v", pkgs)
	}
	want := []string{"pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.18.2", "pkg:maven/com.example/orders-core@3.2.0"}
	if got := purls(pkgs[0].DependsOn); !slices.Equal(got, want) {
		t.Fatalf("purls:\n got %q\nwant %q", got, want)
	}
}

func TestMavenJarsHostile(t *testing.T) {
	for _, tc := range []struct {
		name string
		data []byte
		msg  string
	}{
		{"not a zip", []byte("not a jar"), "not a jar"},
		{"bad coordinates", jar(t, map[string]string{"META-INF/maven/g/a/pom.properties": pomProps("g", "a", "1.0 && rm -rf /")}), "are not Maven coordinates"},
		{"big properties", jar(t, map[string]string{"META-INF/maven/g/a/pom.properties": strings.Repeat("#", maxPomProperties+1)}), "larger than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Read(fstest.MapFS{"app/x.jar": {Data: tc.data}}, []Source{{Kind: KindMavenJars, Path: "/app"}})
			if err == nil || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("got %v, want %q", err, tc.msg)
			}
		})
	}
}
