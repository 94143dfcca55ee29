package dockerrun

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"slices"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/org/safe-frontend/internal/hardened"
)

func TestParseStat(t *testing.T) {
	var p Process
	// comm may hold spaces and parentheses; the state follows the last ')'.
	if err := parseStat("42 (my (odd) app) Z 7 42 42 0 -1 4194560", &p); err != nil {
		t.Fatal(err)
	}
	if p.Comm != "my (odd) app" || p.State != 'Z' || p.PPID != 7 {
		t.Errorf("parsed %+v", p)
	}
	for _, bad := range []string{"", "42 app S 1", "42 (app)", "42 (app) S x"} {
		if err := parseStat(bad, &p); err == nil {
			t.Errorf("parseStat(%q) accepted", bad)
		}
	}
}

func TestNSPID(t *testing.T) {
	status := "Name:\ttini\nTgid:\t21663\nNSpid:\t21663\t1\nPPid:\t1\n"
	if got := nsPID(status); got != 1 {
		t.Errorf("nsPID = %d, want 1", got)
	}
	if got := nsPID("Name:\tx\n"); got != 0 {
		t.Errorf("nsPID without NSpid = %d", got)
	}
}

func TestZombiesOfTheContainerTree(t *testing.T) {
	procs := []Process{
		{PID: 100, PPID: 90, NSPID: 1, State: 'S', Comm: "tini"},
		{PID: 101, PPID: 100, NSPID: 6, State: 'S', Comm: "app"},
		{PID: 102, PPID: 101, NSPID: 7, State: 'Z', Comm: "app"},
		// An exec'd health probe is a child of the shim (outside): its
		// zombie is the shim's to reap.
		{PID: 103, PPID: 90, NSPID: 8, State: 'Z', Comm: "safe-probe"},
	}
	z := Zombies(procs)
	if len(z) != 1 || z[0].PID != 102 {
		t.Errorf("zombies = %v, want only host pid 102", z)
	}
}

func TestProcessesInOwnNamespace(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("reading other processes' namespaces needs root: run the tests as root")
	}
	procs, err := ProcessesInNamespaceOf("/proc", os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(procs, func(p Process) bool { return p.PID == os.Getpid() })
	if i < 0 {
		t.Fatalf("own pid %d not listed among %d processes", os.Getpid(), len(procs))
	}
	if me := procs[i]; me.PPID != os.Getppid() || me.State == 'Z' || len(me.Args) == 0 || me.NSPID != os.Getpid() {
		t.Errorf("own process read as %v", me)
	}
}

func TestValidTag(t *testing.T) {
	for ref, ok := range map[string]bool{
		"safe-test/go-hello:abc123":      true,
		"127.0.0.1:5000/x/y:1":           true,
		"safe-test/go-hello":             false,
		"safe-test/go-hello:latest":      false,
		"127.0.0.1:5000/x/y":             false,
		"safe-test/go-hello:":            false,
		":tag":                           false,
		"safe-test/go-hello@sha256:0000": false,
	} {
		if err := validTag(ref); (err == nil) != ok {
			t.Errorf("validTag(%q) = %v, want ok=%v", ref, err, ok)
		}
	}
}

// TestLoadManifest writes an OCI tar whose index holds an attestation
// manifest next to the image, as BuildKit's are, and checks the tar docker
// load would get: every original entry plus a manifest.json naming the
// image's config and layers (never the attestation's).
func TestLoadManifest(t *testing.T) {
	blobs := map[digest.Digest][]byte{}
	add := func(mt string, data []byte) ocispecs.Descriptor {
		d := digest.FromBytes(data)
		blobs[d] = data
		return ocispecs.Descriptor{MediaType: mt, Digest: d, Size: int64(len(data))}
	}
	addJSON := func(mt string, v any) ocispecs.Descriptor {
		data, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return add(mt, data)
	}
	layer1 := add(ocispecs.MediaTypeImageLayer, []byte("layer one"))
	layer2 := add(ocispecs.MediaTypeImageLayer, []byte("layer two"))
	cfg := addJSON(ocispecs.MediaTypeImageConfig, ocispecs.Image{
		Platform: ocispecs.Platform{OS: "linux", Architecture: "amd64"},
		Config:   ocispecs.ImageConfig{User: "65532:65532", Entrypoint: []string{"/app"}},
	})
	man := addJSON(ocispecs.MediaTypeImageManifest, ocispecs.Manifest{MediaType: ocispecs.MediaTypeImageManifest, Config: cfg, Layers: []ocispecs.Descriptor{layer1, layer2}})
	man.Platform = &ocispecs.Platform{OS: "linux", Architecture: "amd64"}
	attCfg := add("application/vnd.in-toto+json", []byte("{}"))
	att := addJSON(ocispecs.MediaTypeImageManifest, ocispecs.Manifest{MediaType: ocispecs.MediaTypeImageManifest, Config: attCfg})
	att.Platform = &ocispecs.Platform{OS: "unknown", Architecture: "unknown"}
	att.Annotations = map[string]string{"vnd.docker.reference.type": "attestation-manifest", "vnd.docker.reference.digest": man.Digest.String()}
	top := addJSON(ocispecs.MediaTypeImageIndex, ocispecs.Index{MediaType: ocispecs.MediaTypeImageIndex, Manifests: []ocispecs.Descriptor{man, att}})

	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	file := func(name string, data []byte) {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(data); err != nil {
			t.Fatal(err)
		}
	}
	file("oci-layout", []byte(`{"imageLayoutVersion":"1.0.0"}`))
	for d, b := range blobs {
		file("blobs/sha256/"+d.Encoded(), b)
	}
	idx, _ := json.Marshal(ocispecs.Index{Versioned: ocispecs.Index{}.Versioned, MediaType: ocispecs.MediaTypeImageIndex, Manifests: []ocispecs.Descriptor{top}})
	file("index.json", idx)
	file("manifest.json", []byte(`[{"Config":"stale"}]`))
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	ociTar := t.TempDir() + "/img.tar"
	if err := os.WriteFile(ociTar, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}

	img, err := hardened.Open(ociTar)
	if err != nil {
		t.Fatal(err)
	}
	m, err := LoadManifest(img, "safe-test/x:1")
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := withManifest(ociTar, m, &out); err != nil {
		t.Fatal(err)
	}
	names := map[string][]byte{}
	tr := tar.NewReader(&out)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if _, dup := names[h.Name]; dup {
			t.Errorf("%s twice in the tar", h.Name)
		}
		names[h.Name], _ = io.ReadAll(tr)
	}
	var got []dockerManifest
	if err := json.Unmarshal(names["manifest.json"], &got); err != nil {
		t.Fatalf("manifest.json %q: %v", names["manifest.json"], err)
	}
	want := dockerManifest{
		Config:   "blobs/sha256/" + cfg.Digest.Encoded(),
		RepoTags: []string{"safe-test/x:1"},
		Layers:   []string{"blobs/sha256/" + layer1.Digest.Encoded(), "blobs/sha256/" + layer2.Digest.Encoded()},
	}
	if len(got) != 1 || got[0].Config != want.Config || !slices.Equal(got[0].RepoTags, want.RepoTags) || !slices.Equal(got[0].Layers, want.Layers) {
		t.Errorf("manifest.json = %+v, want [%+v]", got, want)
	}
	for _, p := range append(got[0].Layers, got[0].Config, "index.json", "oci-layout") {
		if _, ok := names[p]; !ok {
			t.Errorf("%s missing from the tar for docker load", p)
		}
	}
}
