package integration

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	digest "github.com/opencontainers/go-digest"
	spdxjson "github.com/spdx/tools-golang/json"
	"github.com/spdx/tools-golang/spdx"

	"github.com/org/safe-frontend/internal/ocitar"
	"github.com/org/safe-frontend/internal/spdxcheck"
	"github.com/org/safe-frontend/sbom"
)

const (
	predicateSPDX = "https://spdx.dev/Document"
	// scannerRepo is the image BuildKit pulls to scan when a frontend
	// attaches no SBOM of its own; the loopback mirror does not have it.
	scannerRepo = "docker/buildkit-syft-scanner"
)

func sbomAttrs() map[string]string {
	a := provenanceAttrs()
	a["attest:sbom"] = "" // what buildctl --opt attest:sbom= and buildx --sbom=true send
	return a
}

// sbomDoc is one platform's SBOM as exported, parsed and validated.
type sbomDoc struct {
	raw    []byte
	doc    *spdx.Document
	image  digest.Digest // the manifest it is attached to
	arch   string
	byPURL map[string]*spdx.Package
}

// sbomsOf returns the SBOM of every image in an OCI tar, by architecture,
// failing when an image has none or more than one.
func sbomsOf(t *testing.T, ociTar string) map[string]*sbomDoc {
	t.Helper()
	images, err := ocitar.Images(ociTar)
	if err != nil {
		t.Fatal(err)
	}
	atts, err := ocitar.Attestations(ociTar)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*sbomDoc{}
	for _, a := range atts {
		if a.PredicateType != predicateSPDX {
			continue
		}
		var st ocitar.Statement
		if err := json.Unmarshal(a.Statement, &st); err != nil {
			t.Fatalf("SBOM statement: %v", err)
		}
		// BuildKit names subjects only for an export with an image name;
		// the attestation manifest always points at its image.
		for _, sub := range st.Subject {
			if "sha256:"+sub.Digest["sha256"] != string(a.Subject) {
				t.Errorf("statement subject %+v is not the image %s", sub, a.Subject)
			}
		}
		doc, err := spdxcheck.Check(st.Predicate)
		if err != nil {
			t.Fatalf("the %s SBOM does not validate: %v\n%s", a.Platform.Architecture, err, tail(string(st.Predicate), 3000))
		}
		d := &sbomDoc{raw: st.Predicate, doc: doc, image: a.Subject, arch: a.Platform.Architecture, byPURL: map[string]*spdx.Package{}}
		for _, p := range doc.Packages {
			d.byPURL[spdxcheck.PURL(p)] = p
		}
		if out[d.arch] != nil {
			t.Fatalf("two SBOMs for %s", d.arch)
		}
		out[d.arch] = d
	}
	for dgst, p := range images {
		if d := out[p.Architecture]; d == nil || d.image != dgst {
			t.Errorf("image %s (%s) has no SBOM attached; SBOMs: %d. Built through `# syntax=`? Then the frontend image may predate SBOM support: hack/stack frontend-image", dgst, p.Architecture, len(out))
		}
	}
	return out
}

// goSumVersion returns a module's version and h1 hash from go-hello's go.sum.
func goSumVersion(t *testing.T, module string) (version, h1 string) {
	t.Helper()
	f, err := os.Open(filepath.Join(example("go-hello"), "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 3 && fields[0] == module && !strings.HasSuffix(fields[1], "/go.mod") {
			return fields[1], fields[2]
		}
	}
	t.Fatalf("%s is not in go-hello's go.sum", module)
	return "", ""
}

// checkGoHelloSBOM checks what go-hello's SBOM must say on any platform.
func checkGoHelloSBOM(t *testing.T, d *sbomDoc, baseDigest string) {
	t.Helper()
	doc := d.doc
	if doc.CreationInfo.Created != "2023-11-14T22:13:20Z" {
		t.Errorf("%s: created %q, want SOURCE_DATE_EPOCH", d.arch, doc.CreationInfo.Created)
	}
	// BuildKit decodes the frontend's document (with the SPDX library) to
	// add file layers, and signs it as a creator: proof it parsed it.
	var creators []string
	for _, c := range doc.CreationInfo.Creators {
		creators = append(creators, c.CreatorType+": "+c.Creator)
	}
	if !slices.Contains(creators, "Tool: "+sbom.Creator) || !slices.ContainsFunc(creators, func(c string) bool { return strings.HasPrefix(c, "Tool: buildkit-") }) {
		t.Errorf("%s: creators %v", d.arch, creators)
	}

	version, h1 := goSumVersion(t, "github.com/google/uuid")
	uuid := d.byPURL["pkg:golang/github.com/google/uuid@"+version]
	if uuid == nil || uuid.PackageVersion != version {
		t.Fatalf("%s: github.com/google/uuid %s (go.sum) is not in the SBOM; purls: %v", d.arch, version, slices.Sorted(maps.Keys(d.byPURL)))
	}
	raw, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(h1, "h1:"))
	if len(uuid.PackageChecksums) != 1 || uuid.PackageChecksums[0].Value != hex.EncodeToString(raw) {
		t.Errorf("%s: uuid checksums %v, want the go.sum hash %s", d.arch, uuid.PackageChecksums, h1)
	}
	var stdlib, bin *spdx.Package
	for purl, p := range d.byPURL {
		switch {
		case strings.HasPrefix(purl, "pkg:golang/stdlib@1.26."):
			stdlib = p
		case purl == "pkg:golang/example.com/go-hello":
			bin = p
		}
	}
	if stdlib == nil || bin == nil {
		t.Fatalf("%s: the standard library or the binary is missing; purls: %v", d.arch, slices.Sorted(maps.Keys(d.byPURL)))
	}
	if bin.PackageFileName != "/usr/local/bin/go-hello" {
		t.Errorf("%s: binary fileName %q", d.arch, bin.PackageFileName)
	}
	binID, uuidID, stdID := string(bin.PackageSPDXIdentifier), string(uuid.PackageSPDXIdentifier), string(stdlib.PackageSPDXIdentifier)
	if got := spdxcheck.Related(doc, sbom.ImageID, "CONTAINS"); !slices.Contains(got, binID) {
		t.Errorf("%s: the image does not CONTAIN the binary: %v", d.arch, got)
	}
	if got := spdxcheck.Related(doc, binID, "DEPENDS_ON"); !slices.Contains(got, uuidID) || !slices.Contains(got, stdID) {
		t.Errorf("%s: the binary DEPENDS_ON %v, want uuid and stdlib", d.arch, got)
	}
	// The runtime layer: the probe is a Go binary, tini a Debian package.
	contained := spdxcheck.Related(doc, sbom.ImageID, "CONTAINS")
	var probe, tini bool
	for purl, p := range d.byPURL {
		in := slices.Contains(contained, string(p.PackageSPDXIdentifier))
		probe = probe || (purl == "pkg:golang/github.com/org/safe-frontend" && p.PackageFileName == "/usr/sbin/safe-probe" && in)
		tini = tini || (strings.HasPrefix(purl, "pkg:deb/debian/tini@0.19.0-") && strings.Contains(purl, "arch="+d.arch) && in)
	}
	if !probe || !tini {
		t.Errorf("%s: the image does not CONTAIN safe-probe (%v) and tini (%v); purls: %v", d.arch, probe, tini, slices.Sorted(maps.Keys(d.byPURL)))
	}
	// The base's packages, from its status.d, as Debian 13's.
	for _, name := range []string{"base-files", "ca-certificates", "media-types", "netbase", "tzdata"} {
		found := false
		for purl, p := range d.byPURL {
			if strings.HasPrefix(purl, "pkg:deb/debian/"+name+"@") && strings.Contains(purl, "distro=debian-13") &&
				slices.Contains(contained, string(p.PackageSPDXIdentifier)) {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: the base's Debian package %s is not in the SBOM; purls: %v", d.arch, name, slices.Sorted(maps.Keys(d.byPURL)))
		}
	}
	base := spdxcheck.Related(doc, sbom.ImageID, "DESCENDANT_OF")
	wantBase := fmt.Sprintf("pkg:oci/static-debian13@%s?arch=%s&repository_url=gcr.io%%2Fdistroless%%2Fstatic-debian13&tag=nonroot", baseDigest, d.arch)
	if len(base) != 1 || d.byPURL[wantBase] == nil || string(d.byPURL[wantBase].PackageSPDXIdentifier) != base[0] {
		t.Errorf("%s: base image %v, want %s", d.arch, base, wantBase)
	}
}

// registryLog follows the loopback registry's request log, so a test can
// show BuildKit never asked for the scanner image.
type registryLog struct {
	path string
	from int64
}

func followRegistryLog(t *testing.T) *registryLog {
	t.Helper()
	dir := os.Getenv("SAFE_STACK_DIR")
	if dir == "" {
		dir = filepath.Join(repoRoot, "_output", "stack")
	}
	p := filepath.Join(dir, "registry.log")
	st, err := os.Stat(p)
	if err != nil {
		t.Fatalf("the registry log %s is needed to see what BuildKit pulled: %v (hack/stack up writes it)", p, err)
	}
	return &registryLog{path: p, from: st.Size()}
}

// since returns what the registry logged after followRegistryLog.
func (l *registryLog) since(t *testing.T) string {
	t.Helper()
	f, err := os.Open(l.path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Seek(l.from, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	dt, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	return string(dt)
}

// noScanner asserts the registry never saw a request for the scanner and
// does not hold it, so a build that succeeded cannot have run it.
func noScanner(t *testing.T, l *registryLog) {
	t.Helper()
	logged := l.since(t)
	if !strings.Contains(logged, "/v2/") {
		t.Fatalf("the registry logged no request during the build; %s is not the live log", l.path)
	}
	if strings.Contains(logged, scannerRepo) {
		t.Errorf("BuildKit asked the registry for %s:\n%s", scannerRepo, grepLines(logged, scannerRepo))
	}
	resp, err := http.Get("http://127.0.0.1:5000/v2/" + scannerRepo + "/tags/list")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("the loopback registry serves %s (%s): the test cannot show it was not used", scannerRepo, resp.Status)
	}
}

func grepLines(s, needle string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, needle) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestSBOM builds go-hello in process with attest:sbom: an SPDX 2.3 SBOM of
// the frontend's own is attached, lists the modules the binary was linked
// from and the base by digest, is byte-identical when built again without
// cache, agrees with syft (every Go module and Debian package syft finds is
// in it with the same version), and no scanner image was pulled.
func TestSBOM(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "sbom.tar")
	reg := followRegistryLog(t)
	mustBuild(t, buildOpts{dir: example("go-hello"), inProcess: true, attrs: sbomAttrs(), out: out})
	noScanner(t, reg)
	docs := sbomsOf(t, out)
	amd := docs["amd64"]
	if amd == nil || len(docs) != 1 {
		t.Fatalf("SBOMs for %v, want amd64", slices.Sorted(maps.Keys(docs)))
	}
	img := openImage(t, out)
	checkGoHelloSBOM(t, amd, img.Config.Config.Labels["org.opencontainers.image.base.digest"])
	t.Logf("SBOM: %d bytes, %d packages, %d relationships", len(amd.raw), len(amd.doc.Packages), len(amd.doc.Relationships))

	t.Run("reproducible", func(t *testing.T) {
		again := filepath.Join(dir, "again.tar")
		mustBuild(t, buildOpts{dir: example("go-hello"), inProcess: true, attrs: sbomAttrs(), out: again, noCache: true})
		if other := sbomsOf(t, again)["amd64"]; other == nil || !bytes.Equal(other.raw, amd.raw) {
			t.Fatalf("the same inputs gave another SBOM:\n%s\n---\n%s", amd.raw, other.raw)
		}
	})

	t.Run("syft-agrees", func(t *testing.T) {
		found := syftPackages(t, out)
		if !slices.Contains(found, "golang github.com/google/uuid v1.6.0") {
			t.Fatalf("syft found no github.com/google/uuid: %v; the comparison would prove nothing", found)
		}
		var ours []string
		for purl, p := range amd.byPURL {
			if typ, ok := purlType(purl); ok {
				ours = append(ours, typ+" "+p.PackageName+" "+p.PackageVersion)
			}
		}
		for _, f := range found {
			if !slices.Contains(ours, f) {
				t.Errorf("syft found %q (type, name, version); the SBOM does not list it: %v", f, ours)
			}
		}
		t.Logf("syft's Go and Debian packages: %v", found)
	})
}

// TestSBOMMultiPlatform: a two-platform build gets one SBOM per platform,
// each naming its own architecture's base.
func TestSBOMMultiPlatform(t *testing.T) {
	out := filepath.Join(t.TempDir(), "multi.tar")
	reg := followRegistryLog(t)
	attrs := sbomAttrs()
	attrs["platform"] = "linux/amd64,linux/arm64"
	res := mustBuild(t, buildOpts{dir: example("go-hello"), inProcess: true, attrs: attrs, out: out})
	noScanner(t, reg)
	docs := sbomsOf(t, out)
	if len(docs) != 2 || docs["amd64"] == nil || docs["arm64"] == nil {
		t.Fatalf("SBOMs for %v, want amd64 and arm64", slices.Sorted(maps.Keys(docs)))
	}
	base := openImage(t, out).Config.Config.Labels["org.opencontainers.image.base.digest"]
	for _, d := range docs {
		checkGoHelloSBOM(t, d, base)
	}
	if bytes.Equal(docs["amd64"].raw, docs["arm64"].raw) {
		t.Error("both platforms have the same SBOM")
	}
	_, v := vertex(t, res, "[linux/arm64 sbom] /sbom.spdx.json")
	if v.Error != "" {
		t.Errorf("the arm64 SBOM step failed: %s", v.Error)
	}
}

// TestSBOMBuildctl: buildctl through `# syntax=` with --opt attest:sbom=,
// for two platforms, and buildx --sbom=true; same document as in process.
func TestSBOMBuildctl(t *testing.T) {
	dir := t.TempDir()
	inProc := filepath.Join(dir, "in-process.tar")
	attrs := sbomAttrs()
	attrs["platform"] = "linux/amd64,linux/arm64"
	mustBuild(t, buildOpts{dir: example("go-hello"), inProcess: true, attrs: attrs, out: inProc})
	want := sbomsOf(t, inProc)

	out := filepath.Join(dir, "buildctl.tar")
	reg := followRegistryLog(t)
	args := []string{"build", "--progress=plain", "--frontend", "dockerfile.v0",
		"--local", "context=" + example("go-hello"), "--local", "dockerfile=" + example("go-hello"),
		"--opt", "attest:sbom=", "--opt", "platform=linux/amd64,linux/arm64",
		"--output", "type=oci,dest=" + out + ",rewrite-timestamp=true"}
	for k, v := range provenanceAttrs() {
		args = append(args, "--opt", k+"="+v)
	}
	if log, err := buildctl(t, args...); err != nil {
		t.Fatalf("buildctl: %v\n%s", err, tail(log, 4000))
	}
	noScanner(t, reg)
	got := sbomsOf(t, out)
	for _, arch := range []string{"amd64", "arm64"} {
		if got[arch] == nil {
			t.Fatalf("no %s SBOM through buildctl", arch)
		}
		if !bytes.Equal(got[arch].raw, want[arch].raw) {
			t.Errorf("%s: the SBOM through `# syntax=` differs from the in-process one (is the frontend image current? hack/stack frontend-image)", arch)
		}
	}

	t.Run("buildx", func(t *testing.T) {
		bx := filepath.Join(dir, "buildx.tar")
		log, err := buildx(t, "--sbom=true", "--build-arg", "SOURCE_DATE_EPOCH="+testEpoch,
			"--build-arg", "VCS_REVISION="+testRevision, "--build-arg", "VCS_SOURCE="+testSource,
			"--output", "type=oci,dest="+bx+",rewrite-timestamp=true", example("go-hello"))
		if err != nil {
			t.Fatalf("docker buildx build --sbom=true: %v\n%s", err, tail(log, 4000))
		}
		if d := sbomsOf(t, bx)["amd64"]; d == nil {
			t.Fatal("no SBOM through buildx --sbom=true")
		}
	})
}

// buildctl runs the stack's buildctl against the daemon under test.
func buildctl(t *testing.T, args ...string) (string, error) {
	t.Helper()
	bin := os.Getenv("SAFE_BUILDCTL")
	if bin == "" {
		bin = filepath.Join(repoRoot, "_output", "bin", "buildctl")
	}
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("buildctl not found at %s: run hack/stack up (it builds it)", bin)
	}
	full := append([]string{"--addr", buildkitHost}, args...)
	if f := os.Getenv("SSL_CERT_FILE"); f != "" && args[0] == "build" {
		full = append(full, "--secret", "id=ca,src="+f)
	}
	return runCmd(t, bin, full...)
}

// purlType is "golang" or "deb" for the package kinds both syft and the
// frontend read.
func purlType(purl string) (string, bool) {
	for _, typ := range []string{"golang", "deb"} {
		if strings.HasPrefix(purl, "pkg:"+typ+"/") {
			return typ, true
		}
	}
	return "", false
}

// syftPackages scans an OCI tar with syft, offline, and returns the Go
// modules and Debian packages it found as "type name version".
func syftPackages(t *testing.T, ociTar string) []string {
	t.Helper()
	bin := syftBinary(t)
	out := filepath.Join(t.TempDir(), "syft.spdx.json")
	cmd := exec.Command(bin, "scan", "oci-archive:"+ociTar, "-o", "spdx-json="+out, "-q")
	// Keep a missing version missing instead of syft's "UNKNOWN" stub, so
	// versions compare as they are.
	cmd.Env = append(os.Environ(), "SYFT_CHECK_FOR_APP_UPDATE=false", "SYFT_PLATFORM=linux/amd64", "SYFT_COMPLIANCE_MISSING_VERSION=keep")
	if log, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("syft scan: %v\n%s", err, log)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := spdxjson.Read(f)
	if err != nil {
		t.Fatalf("syft's SPDX: %v", err)
	}
	var found []string
	for _, p := range doc.Packages {
		if typ, ok := purlType(spdxcheck.PURL(p)); ok {
			found = append(found, typ+" "+p.PackageName+" "+p.PackageVersion)
		}
	}
	slices.Sort(found)
	return slices.Compact(found)
}

// syftBinary builds syft from the module proxy (hack/tools/syft pins it)
// into _output/bin once; a stamp of go.mod and go.sum says when to rebuild.
func syftBinary(t *testing.T) string {
	t.Helper()
	mod := filepath.Join(repoRoot, "hack", "tools", "syft")
	bin := filepath.Join(repoRoot, "_output", "bin", "syft")
	h := sha256.New()
	for _, f := range []string{"go.mod", "go.sum"} {
		dt, err := os.ReadFile(filepath.Join(mod, f))
		if err != nil {
			t.Fatal(err)
		}
		h.Write(dt)
	}
	fmt.Fprint(h, runtime.Version())
	stamp := hex.EncodeToString(h.Sum(nil))
	if dt, err := os.ReadFile(bin + ".stamp"); err == nil && string(dt) == stamp {
		if _, err := os.Stat(bin); err == nil {
			return bin
		}
	}
	start := time.Now()
	cmd := exec.Command("go", "build", "-o", bin, "github.com/anchore/syft/cmd/syft")
	cmd.Dir = mod
	if log, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building syft: %v\n%s\nfix: cd %s && go build -o %s github.com/anchore/syft/cmd/syft", err, log, mod, bin)
	}
	if err := os.WriteFile(bin+".stamp", []byte(stamp), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("built syft in %s", time.Since(start).Round(time.Second))
	return bin
}
