package integration

import (
	"bytes"
	"debug/buildinfo"
	"debug/elf"
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// releaseVersion is the CHANGELOG.md section the test releases.
const releaseVersion = "1.0.0"

// releaseOut is what hack/release writes to release.json.
type releaseOut struct {
	Version, Revision string
	GoImage           string
	Frontend, Runtime releaseImage
	Signed            bool
}

type releaseImage struct {
	Repository string
	Tags       []string
	Digest     string
	Platforms  []struct {
		Platform, Digest string
		Compressed       int64 `json:"compressedBytes"`
	}
}

// TestRelease: make release's tool, on a clean clone of HEAD tagged
// v1.0.0, publishes both images for the six platforms under the three
// channels; each platform's binary is an ELF for its architecture and says
// its version (arm64 and riscv64 under qemu-user); builds through
// `# syntax=` of the version tag and of the index digest work; the
// signature and the attestations verify with the release key and not with
// another; and a second release of the tag on a fresh buildkitd gives the
// same two index digests.
func TestRelease(t *testing.T) {
	src := taggedClone(t, releaseVersion)
	keys := t.TempDir()
	for _, prefix := range []string{"release", "stranger"} {
		if out, err := cosign(t, keys, "generate-key-pair", "--output-key-prefix", prefix); err != nil {
			t.Fatalf("cosign generate-key-pair: %v\n%s", err, out)
		}
	}
	rel := runRelease(t, src, buildkitHost, stackRegistry+"/release-test",
		"-key", filepath.Join(keys, "release.key"), "-tlog=false")
	t.Logf("frontend %s@%s, runtime %s", rel.Frontend.Repository, rel.Frontend.Digest, rel.Runtime.Digest)

	t.Run("channels", func(t *testing.T) { requireReleaseChannels(t, rel) })
	t.Run("binaries", func(t *testing.T) { requireReleaseBinaries(t, rel) })
	t.Run("syntax", func(t *testing.T) { requireReleaseBuilds(t, rel) })
	t.Run("signatures", func(t *testing.T) { requireReleaseSigned(t, rel, keys) })
	t.Run("fresh-daemon", func(t *testing.T) {
		fresh := startFreshDaemon(t)
		again := runRelease(t, src, fresh.addr, stackRegistry+"/release-fresh", "-no-sign")
		for _, pair := range [][2]releaseImage{{rel.Frontend, again.Frontend}, {rel.Runtime, again.Runtime}} {
			a, b := pair[0], pair[1]
			if a.Digest != b.Digest {
				t.Errorf("%s: index %s on the stack's buildkitd, %s on a fresh one", filepath.Base(a.Repository), a.Digest, b.Digest)
				for i := range a.Platforms {
					if i < len(b.Platforms) && a.Platforms[i].Digest != b.Platforms[i].Digest {
						t.Errorf("  %s: %s, then %s", a.Platforms[i].Platform, a.Platforms[i].Digest, b.Platforms[i].Digest)
					}
				}
			}
		}
	})
}

// taggedClone clones HEAD into a temporary directory and tags it, as a
// release checkout is.
func taggedClone(t *testing.T, version string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "src")
	for _, args := range [][]string{
		{"git", "clone", "-q", "--no-hardlinks", repoRoot, dir},
		{"git", "-C", dir, "-c", "user.name=release", "-c", "user.email=release@example.com", "tag", "v" + version},
	} {
		if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	return dir
}

// runRelease runs hack/release in src against the daemon at addr.
func runRelease(t *testing.T, src, addr, registry string, flags ...string) releaseOut {
	t.Helper()
	out := t.TempDir()
	args := append([]string{"run", "./hack/release", "-version", releaseVersion, "-registry", registry,
		"-insecure-registry", "-out", out}, flags...)
	cmd := exec.Command("go", args...)
	cmd.Dir = src
	cmd.Env = append(os.Environ(), "BUILDKIT_HOST="+addr, "COSIGN_PASSWORD=",
		"HOME="+out, "TUF_ROOT="+filepath.Join(out, ".sigstore"),
		"PATH="+filepath.Join(repoRoot, "_output", "bin")+string(os.PathListSeparator)+os.Getenv("PATH"))
	// HOME is the test's own (cosign's state): keep the go command's caches,
	// which hack/runtime-stage.sh vendors brotli from, where they are.
	for _, v := range []string{"GOCACHE", "GOMODCACHE", "GOPATH"} {
		if out, err := exec.Command("go", "env", v).Output(); err == nil {
			cmd.Env = append(cmd.Env, v+"="+strings.TrimSpace(string(out)))
		}
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.Output()
	if err != nil {
		t.Fatalf("hack/release on %s: %v\n%s%s", addr, err, stdout, tail(stderr.String(), 4000))
	}
	t.Logf("hack/release on %s:\n%s", addr, stdout)
	var rel releaseOut
	data, err := os.ReadFile(filepath.Join(out, releaseVersion, "release.json"))
	if err == nil {
		err = json.Unmarshal(data, &rel)
	}
	if err != nil {
		t.Fatalf("release.json: %v", err)
	}
	return rel
}

func requireReleaseChannels(t *testing.T, rel releaseOut) {
	head, err := exec.Command("git", "-C", repoRoot, "rev-parse", "HEAD").Output()
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "revision", rel.Revision, strings.TrimSpace(string(head)))
	// Both images were built on the toolchain the builder's mirror served
	// when the release began, by digest.
	goIndex, _ := getManifest(t, "library/golang", "1.26")
	eq(t, "goImage", rel.GoImage, "docker.io/library/golang:1.26@"+digest.FromBytes(goIndex).String())
	for _, img := range []releaseImage{rel.Frontend, rel.Runtime} {
		repo := strings.TrimPrefix(img.Repository, stackRegistry+"/")
		eq(t, repo+" tags", strings.Join(img.Tags, " "), "1 1.0 1.0.0")
		for _, tag := range img.Tags {
			dt, _ := getManifest(t, repo, tag)
			if got := digest.FromBytes(dt).String(); got != img.Digest {
				t.Errorf("%s:%s is %s, want the release's %s", repo, tag, got, img.Digest)
			}
		}
		dt, _ := getManifest(t, repo, img.Digest)
		var idx ocispecs.Index
		if err := json.Unmarshal(dt, &idx); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, m := range idx.Manifests {
			p := m.Platform.OS + "/" + m.Platform.Architecture
			if m.Platform.Variant != "" {
				p += "/" + m.Platform.Variant
			}
			got = append(got, p)
		}
		eq(t, repo+" platforms", strings.Join(got, " "), "linux/amd64 linux/arm64 linux/arm/v7 linux/ppc64le linux/s390x linux/riscv64")
	}
}

// requireReleaseBinaries reads each platform's binary out of the pushed
// image: its ELF header, its Go build information, and for arm64 and
// riscv64 what it prints under qemu-user.
func requireReleaseBinaries(t *testing.T, rel releaseOut) {
	repo := strings.TrimPrefix(rel.Frontend.Repository, stackRegistry+"/")
	dir := t.TempDir()
	for _, p := range rel.Frontend.Platforms {
		want, ok := archOf(p.Platform)
		if !ok {
			t.Errorf("unexpected platform %s", p.Platform)
			continue
		}
		t.Logf("%-14s %6.2f MiB compressed", p.Platform, float64(p.Compressed)/(1<<20))
		if p.Compressed > 10<<20 {
			t.Errorf("%s: the frontend image is %d bytes compressed, over 10 MiB", p.Platform, p.Compressed)
		}
		bin := filepath.Join(dir, strings.ReplaceAll(p.Platform, "/", "-"))
		e := pullManifest(t, repo, p.Digest, ocispecs.Platform{}).FS.lookup("/bin/safe-frontend")
		if e == nil {
			t.Fatalf("%s: the image has no /bin/safe-frontend", p.Platform)
		}
		if err := os.WriteFile(bin, e.Data, 0o755); err != nil {
			t.Fatal(err)
		}
		f, err := elf.Open(bin)
		if err != nil {
			t.Fatalf("%s: not an ELF: %v", p.Platform, err)
		}
		if f.Machine != want.machine || f.Class != want.class || f.ByteOrder.String() != want.order {
			t.Errorf("%s: ELF %s %s %s, want %s %s %s", p.Platform, f.Machine, f.Class, f.ByteOrder, want.machine, want.class, want.order)
		}
		f.Close()
		requireBuildSettings(t, bin, p.Platform)
		if want.qemu == "" {
			continue
		}
		cmd := exec.Command(want.qemu, bin, "--version")
		if want.qemu == "native" {
			cmd = exec.Command(bin, "--version")
		}
		out, err := cmd.CombinedOutput()
		line := strings.TrimSpace(string(out))
		wantLine := "safe-frontend " + releaseVersion + " (revision " + rel.Revision + ", "
		if err != nil || !strings.HasPrefix(line, wantLine) || !strings.HasSuffix(line, ", "+p.Platform+")") {
			t.Errorf("%s %s --version: %v, %q; want %q...%q (the emulator comes with make integration: apt-get install qemu-user-static)", want.qemu, p.Platform, err, line, wantLine, p.Platform+")")
		}
	}
}

// requireBuildSettings: the binary was built for its platform, without
// gRPC's tracing. (-trimpath keeps -ldflags out of the build information:
// --version shows the stamped version.)
func requireBuildSettings(t *testing.T, bin, platform string) {
	bi, err := buildinfo.ReadFile(bin)
	if err != nil {
		t.Errorf("%s: no Go build information: %v", platform, err)
		return
	}
	s := map[string]string{}
	for _, kv := range bi.Settings {
		s[kv.Key] = kv.Value
	}
	parts := strings.Split(platform, "/")
	eq(t, platform+" GOARCH", s["GOARCH"], parts[1])
	if len(parts) == 3 {
		eq(t, platform+" GOARM", s["GOARM"], strings.TrimPrefix(parts[2], "v"))
	}
	eq(t, platform+" -tags", s["-tags"], "grpcnotrace")
}

// requireReleaseBuilds builds go-hello through `# syntax=` of the released
// version tag and of its index digest. The runtime image comes from the
// release's repository by the named context a mirror needs (README).
func requireReleaseBuilds(t *testing.T, rel releaseOut) {
	runtime := "docker-image://" + rel.Runtime.Repository + ":" + releaseVersion + "@" + rel.Runtime.Digest
	for _, ref := range []string{rel.Frontend.Repository + ":" + releaseVersion, rel.Frontend.Repository + "@" + rel.Frontend.Digest} {
		dir := copyDir(t, example("go-hello"))
		spec := filepath.Join(dir, "Dockerfile")
		data, err := os.ReadFile(spec)
		if err != nil {
			t.Fatal(err)
		}
		_, rest, _ := strings.Cut(string(data), "\n")
		if err := os.WriteFile(spec, []byte("# syntax="+ref+"\n"+rest), 0o644); err != nil {
			t.Fatal(err)
		}
		res, err := build(t, buildOpts{dir: dir, attrs: map[string]string{"context:docker.io/org/safe-frontend-runtime": runtime}})
		if err != nil {
			t.Errorf("# syntax=%s: %v", ref, err)
			continue
		}
		name := "[internal] safe-frontend " + releaseVersion
		if _, ok := res.Vertices[name]; !ok {
			t.Errorf("# syntax=%s: no %q step in the build output", ref, name)
		}
	}
}

// requireReleaseSigned verifies both index signatures and one platform
// image's attestations with the release's public key, and the frontend's
// signature again with another key, which must fail.
func requireReleaseSigned(t *testing.T, rel releaseOut, keys string) {
	if !rel.Signed {
		t.Fatal("release.json says the release is not signed")
	}
	verify := func(pub string, args ...string) (string, error) {
		full := append([]string{args[0], "--key", filepath.Join(keys, pub), "--insecure-ignore-tlog=true"}, insecureRegistry...)
		return cosign(t, keys, append(full, args[1:]...)...)
	}
	for _, img := range []releaseImage{rel.Frontend, rel.Runtime} {
		if out, err := verify("release.pub", "verify", img.Repository+"@"+img.Digest); err != nil {
			t.Errorf("cosign verify %s: %v\n%s", img.Repository, err, out)
		}
	}
	if out, err := verify("stranger.pub", "verify", rel.Frontend.Repository+"@"+rel.Frontend.Digest); err == nil {
		t.Errorf("cosign verify with another key succeeded:\n%s", out)
	}
	arm64 := ""
	for _, p := range rel.Frontend.Platforms {
		if p.Platform == "linux/arm64" {
			arm64 = rel.Frontend.Repository + "@" + p.Digest
		}
	}
	for typ, predicate := range map[string]string{"spdxjson": "https://spdx.dev/Document", "slsaprovenance1": "https://slsa.dev/provenance/v1"} {
		out, err := verify("release.pub", "verify-attestation", "--type", typ, arm64)
		if err != nil {
			t.Errorf("cosign verify-attestation --type %s %s: %v\n%s", typ, arm64, err, tail(out, 10))
			continue
		}
		if got := attestedPredicate(t, out); got != predicate {
			t.Errorf("the %s attestation of %s has predicate type %q, want %q", typ, arm64, got, predicate)
		}
	}
}

// attestedPredicate reads the predicate type of the first DSSE envelope
// cosign verify-attestation prints.
func attestedPredicate(t *testing.T, out string) string {
	for _, line := range strings.Split(out, "\n") {
		var env struct{ Payload string }
		if json.Unmarshal([]byte(line), &env) != nil || env.Payload == "" {
			continue
		}
		raw, err := base64.StdEncoding.DecodeString(env.Payload)
		if err != nil {
			t.Fatalf("attestation payload: %v", err)
		}
		var st struct{ PredicateType string }
		if err := json.Unmarshal(raw, &st); err != nil {
			t.Fatalf("attestation statement: %v", err)
		}
		return st.PredicateType
	}
	t.Fatalf("cosign verify-attestation printed no envelope:\n%s", tail(out, 10))
	return ""
}
