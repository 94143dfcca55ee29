package sbom_test

import (
	"bytes"
	"io/fs"
	"os"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/org/safe-frontend/internal/spdxcheck"
	"github.com/org/safe-frontend/sbom"
)

const baseDigest = "sha256:3b2b5e4ac9d1f29d4d3e3b2f8a51d8c1c52c4f1d8c0c8a4b7d5e1f0a9b8c7d6e"

func testImage() sbom.Image {
	return sbom.Image{
		Name: "go-hello", Version: "1.0.0", OS: "linux", Architecture: "amd64",
		Base:    &sbom.BaseImage{Name: "gcr.io/distroless/static-debian13:nonroot", Digest: baseDigest},
		Created: time.Unix(1700000000, 0),
	}
}

// testPackages: a Go binary of a fixture module set plus the Debian
// packages of the debian13 fixture.
func testPackages(t *testing.T) []sbom.Package {
	t.Helper()
	debs, err := sbom.Read(os.DirFS("testdata/distroless-debian13"), []sbom.Source{{Kind: sbom.KindDpkgStatus, Path: "/var/lib/dpkg/status.d"}})
	if err != nil {
		t.Fatal(err)
	}
	bin := sbom.Package{
		Name: "example.com/go-hello", PURL: "pkg:golang/example.com/go-hello", Purpose: "APPLICATION",
		FileName: "/usr/local/bin/go-hello",
		DependsOn: []sbom.Package{
			{Name: "github.com/google/uuid", Version: "v1.6.0", PURL: "pkg:golang/github.com/google/uuid@v1.6.0", Purpose: "LIBRARY",
				Checksums: []sbom.Checksum{{Algorithm: "SHA256", Value: "348bda24330eb231c0f27d630212d2833ac0cf2d4782bfa136b6f9edefbde05d"}}},
			{Name: "stdlib", Version: "go1.26.8", PURL: "pkg:golang/stdlib@1.26.8", Purpose: "LIBRARY", License: "BSD-3-Clause"},
		},
	}
	return append([]sbom.Package{bin}, debs...)
}

func TestDocumentValidates(t *testing.T) {
	dt, err := sbom.Document(testImage(), testPackages(t))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := spdxcheck.Check(dt)
	if err != nil {
		t.Fatalf("%v\n%s", err, dt)
	}
	if doc.CreationInfo.Created != "2023-11-14T22:13:20Z" {
		t.Errorf("created %q, want SOURCE_DATE_EPOCH", doc.CreationInfo.Created)
	}
	if !strings.HasPrefix(doc.DocumentNamespace, sbom.NamespacePrefix+"go-hello-") {
		t.Errorf("namespace %q", doc.DocumentNamespace)
	}
	if doc.DocumentName != "go-hello 1.0.0 linux/amd64" {
		t.Errorf("name %q", doc.DocumentName)
	}
	byID := map[string]string{}
	for _, p := range doc.Packages {
		byID[string(p.PackageSPDXIdentifier)] = spdxcheck.PURL(p)
	}
	if got := spdxcheck.Related(doc, "DOCUMENT", "DESCRIBES"); !slices.Equal(got, []string{sbom.ImageID}) {
		t.Errorf("DOCUMENT DESCRIBES %v", got)
	}
	if got := spdxcheck.Related(doc, sbom.ImageID, "DESCENDANT_OF"); len(got) != 1 ||
		byID[got[0]] != "pkg:oci/static-debian13@"+baseDigest+"?arch=amd64&repository_url=gcr.io%2Fdistroless%2Fstatic-debian13&tag=nonroot" {
		t.Errorf("base image: %v -> %q", got, byID[got[0]])
	}
	var contained []string
	for _, id := range spdxcheck.Related(doc, sbom.ImageID, "CONTAINS") {
		contained = append(contained, byID[id])
	}
	slices.Sort(contained)
	if len(contained) != 6 || !slices.Contains(contained, "pkg:golang/example.com/go-hello") ||
		!slices.Contains(contained, "pkg:deb/debian/libc6@2.41-12?arch=amd64&distro=debian-13&upstream=glibc") {
		t.Errorf("image CONTAINS %q", contained)
	}
	var binID string
	for id, purl := range byID {
		if purl == "pkg:golang/example.com/go-hello" {
			binID = id
		}
	}
	var deps []string
	for _, id := range spdxcheck.Related(doc, binID, "DEPENDS_ON") {
		deps = append(deps, byID[id])
	}
	slices.Sort(deps)
	if !slices.Equal(deps, []string{"pkg:golang/github.com/google/uuid@v1.6.0", "pkg:golang/stdlib@1.26.8"}) {
		t.Errorf("binary DEPENDS_ON %q", deps)
	}
}

// Same inputs, same bytes, whatever order the readers returned things in;
// any change in content changes the namespace.
func TestDocumentDeterministic(t *testing.T) {
	pkgs := testPackages(t)
	a, err := sbom.Document(testImage(), pkgs)
	if err != nil {
		t.Fatal(err)
	}
	reversed := slices.Clone(pkgs)
	slices.Reverse(reversed)
	slices.Reverse(reversed[len(reversed)-1].DependsOn)
	b, err := sbom.Document(testImage(), reversed)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Fatalf("reordered input changed the document:\n%s\n---\n%s", a, b)
	}
	img := testImage()
	img.Base.Digest = "sha256:" + strings.Repeat("0", 64)
	c, err := sbom.Document(img, pkgs)
	if err != nil {
		t.Fatal(err)
	}
	da, _ := spdxcheck.Check(a)
	dc, _ := spdxcheck.Check(c)
	if da.DocumentNamespace == dc.DocumentNamespace {
		t.Error("another base digest kept the namespace")
	}
}

// A package found twice (the standard library of two binaries) is one
// element with both dependents.
func TestDocumentDeduplicates(t *testing.T) {
	std := sbom.Package{Name: "stdlib", Version: "go1.26.8", PURL: "pkg:golang/stdlib@1.26.8"}
	pkgs := []sbom.Package{
		{Name: "example.com/app", PURL: "pkg:golang/example.com/app", FileName: "/usr/local/bin/app", DependsOn: []sbom.Package{std}},
		{Name: "example.com/probe", PURL: "pkg:golang/example.com/probe", FileName: "/sbin/probe", DependsOn: []sbom.Package{std}},
		// The same module built twice into two files stays two elements.
		{Name: "example.com/app", PURL: "pkg:golang/example.com/app", FileName: "/usr/local/bin/app2", DependsOn: []sbom.Package{std}},
	}
	img := testImage()
	img.Base = nil
	dt, err := sbom.Document(img, pkgs)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := spdxcheck.Check(dt)
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.Packages) != 5 {
		t.Fatalf("%d packages, want image, 3 binaries, 1 stdlib", len(doc.Packages))
	}
	n := 0
	for _, r := range doc.Relationships {
		if r.Relationship == "DEPENDS_ON" {
			n++
		}
	}
	if n != 3 {
		t.Errorf("%d DEPENDS_ON, want 3", n)
	}
}

// Whatever a reader let through becomes a valid document: hostile names
// and versions are escaped in purls and IDs, never break them.
func TestDocumentHostileStrings(t *testing.T) {
	weird := []string{"", "a b", "../../x", "pkg:golang/x@y", "\x00\xff", "ü/ñ", "SPDXRef-DOCUMENT", strings.Repeat("x/", 500), `"quoted"`, "a\nb"}
	var pkgs []sbom.Package
	for _, w := range weird {
		pkgs = append(pkgs, sbom.Package{Name: "n" + w, Version: w, PURL: "pkg:golang/" + strings.ReplaceAll(w, "@", "") + "x@v1",
			Supplier: "Person: " + w, Homepage: w, SourceInfo: w, FileName: "/" + w})
	}
	img := testImage()
	img.Name = "weird name/ü"
	dt, err := sbom.Document(img, pkgs)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := spdxcheck.Check(dt); err != nil {
		t.Fatalf("%v\n%s", err, dt)
	}
	img.Base = &sbom.BaseImage{Name: "not a reference!"}
	if _, err := sbom.Document(img, nil); err == nil {
		t.Error("an invalid base reference gave no error")
	}
	if _, err := sbom.Document(sbom.Image{}, nil); err == nil {
		t.Error("an image without a name gave no error")
	}
}

// Sources no reader understands are named in the document, so a reader's
// absence is visible instead of looking like an image without packages.
func TestDocumentNamesUnreadSources(t *testing.T) {
	img := testImage()
	img.Unread = []sbom.Source{{Kind: "bun-lock", Path: "/app/bun.lock"}, {Kind: "bun-lock", Path: "/app/bun.lock"}}
	dt, err := sbom.Document(img, nil)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := spdxcheck.Check(dt)
	if err != nil {
		t.Fatal(err)
	}
	if got := doc.CreationInfo.CreatorComment; got != "Not described (no reader for their kind yet): bun-lock /app/bun.lock" {
		t.Errorf("comment %q", got)
	}
	if sbom.Readable("bun-lock") || !sbom.Readable(sbom.KindPNPMLock) || !sbom.Readable(sbom.KindYarnLock) || !sbom.Readable(sbom.KindGoBinary) {
		t.Error("Readable is wrong")
	}
}

// An image with an app of each language: the document validates, every
// app is contained and DEPENDS_ON its packages, and the order of what the
// readers returned does not matter.
func TestDocumentLanguages(t *testing.T) {
	rust := sbom.ELFWith(t, ".dep-v0", sbom.AuditJSON(t, `{"packages":[{"name":"app","version":"1.0.0","root":true},{"name":"tokio","version":"1.54.1"}]}`))
	var pkgs []sbom.Package
	for _, r := range []struct {
		fsys fs.FS
		src  sbom.Source
	}{
		{os.DirFS("testdata/node"), sbom.Source{Kind: sbom.KindNPMLock, Path: "/app/node_modules/.package-lock.json"}},
		{os.DirFS("testdata/python"), sbom.Source{Kind: sbom.KindPythonDistInfo, Path: "/venv/lib/python3.13/site-packages", App: "python-hello"}},
		{fstest.MapFS{"app": {Data: rust}}, sbom.Source{Kind: sbom.KindRustBinary, Path: "/app"}},
	} {
		p, err := sbom.Read(r.fsys, []sbom.Source{r.src})
		if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p...)
	}
	img := testImage()
	dt, err := sbom.Document(img, pkgs)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := spdxcheck.Check(dt)
	if err != nil {
		t.Fatalf("%v\n%s", err, dt)
	}
	byPURL := map[string]string{}
	for _, p := range doc.Packages {
		byPURL[spdxcheck.PURL(p)] = string(p.PackageSPDXIdentifier)
	}
	deps := func(app string) []string {
		var out []string
		for _, id := range spdxcheck.Related(doc, byPURL[app], "DEPENDS_ON") {
			for purl, pid := range byPURL {
				if pid == id {
					out = append(out, purl)
				}
			}
		}
		slices.Sort(out)
		return out
	}
	contained := spdxcheck.Related(doc, sbom.ImageID, "CONTAINS")
	for app, want := range map[string][]string{
		"pkg:npm/node-hello@1.0.0": {"pkg:npm/%40types/node@22.10.2", "pkg:npm/debug@2.6.9", "pkg:npm/debug@4.4.0", "pkg:npm/express@5.3.0", "pkg:npm/left-over@1.0.0", "pkg:npm/string-width@4.2.3"},
		"pkg:generic/python-hello": {"pkg:pypi/flask@3.1.3", "pkg:pypi/zope-interface@7.2"},
		"pkg:cargo/app@1.0.0":      {"pkg:cargo/tokio@1.54.1"},
	} {
		if !slices.Contains(contained, byPURL[app]) {
			t.Errorf("the image does not CONTAIN %s", app)
		}
		if got := deps(app); !slices.Equal(got, want) {
			t.Errorf("%s DEPENDS_ON %q, want %q", app, got, want)
		}
	}
	reversed := slices.Clone(pkgs)
	slices.Reverse(reversed)
	for _, p := range reversed {
		slices.Reverse(p.DependsOn)
	}
	again, err := sbom.Document(img, reversed)
	if err != nil || !bytes.Equal(again, dt) {
		t.Errorf("reordered input changed the document (%v)", err)
	}
}
