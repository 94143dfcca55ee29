package integration

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/pelletier/go-toml/v2"

	"github.com/org/safe-frontend/internal/spdxcheck"
)

// TestSBOMLanguages: the SBOM of the node, python and rust examples lists
// the packages their locks pinned, at those versions, as dependencies of
// an application the image contains.
func TestSBOMLanguages(t *testing.T) {
	cases := []struct {
		example string
		want    func(t *testing.T) map[string]string // purl prefix "pkg:<type>/<name>@" -> locked version
	}{
		{"node-hello", func(t *testing.T) map[string]string {
			var lock struct {
				Packages map[string]struct{ Version string } `json:"packages"`
			}
			readJSON(t, filepath.Join(example("node-hello"), "package-lock.json"), &lock)
			return map[string]string{"pkg:npm/express@": lock.Packages["node_modules/express"].Version}
		}},
		{"python-hello", func(t *testing.T) map[string]string {
			dt, err := os.ReadFile(filepath.Join(example("python-hello"), "requirements.txt"))
			if err != nil {
				t.Fatal(err)
			}
			out := map[string]string{}
			for _, name := range []string{"flask", "gunicorn"} {
				m := regexp.MustCompile(`(?mi)^` + name + `==([^\s\\;]+)`).FindSubmatch(dt)
				if m == nil {
					t.Fatalf("requirements.txt pins no %s", name)
				}
				out["pkg:pypi/"+name+"@"] = string(m[1])
			}
			return out
		}},
		{"rust-hello", func(t *testing.T) map[string]string {
			dt, err := os.ReadFile(filepath.Join(example("rust-hello"), "Cargo.lock"))
			if err != nil {
				t.Fatal(err)
			}
			var lock struct {
				Package []struct{ Name, Version string } `toml:"package"`
			}
			if err := toml.Unmarshal(dt, &lock); err != nil {
				t.Fatal(err)
			}
			out := map[string]string{}
			for _, p := range lock.Package {
				if p.Name == "axum" || p.Name == "tokio" {
					out["pkg:cargo/"+p.Name+"@"] = p.Version
				}
			}
			return out
		}},
	}
	for _, c := range cases {
		t.Run(c.example, func(t *testing.T) {
			want := c.want(t)
			if len(want) == 0 || slices.Contains(slices.Collect(maps.Values(want)), "") {
				t.Fatalf("the example's lock gave no versions: %v", want)
			}
			out := filepath.Join(t.TempDir(), "sbom.tar")
			mustBuild(t, buildOpts{dir: example(c.example), inProcess: true, attrs: sbomAttrs(), out: out})
			d := sbomsOf(t, out)["amd64"]
			if d == nil {
				t.Fatal("no amd64 SBOM")
			}
			doc := d.doc
			if cm := doc.CreationInfo.CreatorComment; strings.Contains(cm, "Not described") {
				t.Errorf("sources left unread: %s", cm)
			}
			byID := map[string]string{}
			for _, p := range doc.Packages {
				byID[string(p.PackageSPDXIdentifier)] = spdxcheck.PURL(p)
			}
			// Every dependency of every application the image contains.
			deps := map[string]bool{}
			for _, id := range spdxcheck.Related(doc, "Image", "CONTAINS") {
				for _, dep := range spdxcheck.Related(doc, id, "DEPENDS_ON") {
					deps[byID[dep]] = true
				}
			}
			for prefix, version := range want {
				purl := prefix + version
				if !deps[purl] {
					t.Errorf("no application the image contains DEPENDS_ON %s; dependencies: %v", purl, slices.Sorted(maps.Keys(deps)))
				}
			}
			t.Logf("%s: %d packages, %d relationships, %d application dependencies", c.example, len(doc.Packages), len(doc.Relationships), len(deps))
		})
	}
}

func readJSON(t *testing.T, file string, v any) {
	t.Helper()
	dt, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(dt, v); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
}
