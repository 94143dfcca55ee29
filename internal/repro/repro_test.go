package repro

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

type file struct {
	name  string
	body  string
	mtime time.Time
	mode  int64
	dir   bool
}

// writeImage writes a one-layer OCI layout tar holding files.
func writeImage(t *testing.T, label string, files []file) string {
	t.Helper()
	var layer bytes.Buffer
	zw := gzip.NewWriter(&layer)
	tw := tar.NewWriter(zw)
	for _, f := range files {
		h := &tar.Header{Name: f.name, ModTime: f.mtime, Mode: f.mode, Typeflag: tar.TypeReg, Size: int64(len(f.body)), Format: tar.FormatPAX}
		if f.dir {
			h.Typeflag, h.Size = tar.TypeDir, 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if !f.dir {
			tw.Write([]byte(f.body))
		}
	}
	tw.Close()
	zw.Close()
	blobs := map[digest.Digest][]byte{}
	put := func(dt []byte) ocispecs.Descriptor {
		d := digest.FromBytes(dt)
		blobs[d] = dt
		return ocispecs.Descriptor{Digest: d, Size: int64(len(dt))}
	}
	mustJSON := func(v any) []byte {
		dt, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return dt
	}
	layerDesc := put(layer.Bytes())
	layerDesc.MediaType = ocispecs.MediaTypeImageLayerGzip
	cfg := ocispecs.Image{Platform: ocispecs.Platform{OS: "linux", Architecture: "amd64"},
		Config: ocispecs.ImageConfig{Labels: map[string]string{"l": label}},
		RootFS: ocispecs.RootFS{Type: "layers", DiffIDs: []digest.Digest{digest.FromString(label)}}}
	cfgDesc := put(mustJSON(cfg))
	cfgDesc.MediaType = ocispecs.MediaTypeImageConfig
	m := ocispecs.Manifest{MediaType: ocispecs.MediaTypeImageManifest, Config: cfgDesc, Layers: []ocispecs.Descriptor{layerDesc}}
	m.SchemaVersion = 2
	mDesc := put(mustJSON(m))
	mDesc.MediaType = ocispecs.MediaTypeImageManifest
	idx := ocispecs.Index{Manifests: []ocispecs.Descriptor{mDesc}}
	idx.SchemaVersion = 2

	out := filepath.Join(t.TempDir(), "img.tar")
	var buf bytes.Buffer
	ow := tar.NewWriter(&buf)
	add := func(name string, dt []byte) {
		ow.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(dt)), Typeflag: tar.TypeReg})
		ow.Write(dt)
	}
	add("oci-layout", []byte(`{"imageLayoutVersion":"1.0.0"}`))
	add("index.json", mustJSON(idx))
	for d, dt := range blobs {
		add("blobs/sha256/"+d.Encoded(), dt)
	}
	ow.Close()
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestDiffNamesFilesAndTimes(t *testing.T) {
	epoch := time.Unix(1700000000, 0).UTC()
	wall := time.Date(2026, 11, 29, 10, 0, 0, 123, time.UTC)
	base := []file{
		{name: "usr/", dir: true, mtime: epoch, mode: 0o755},
		{name: "usr/local/bin/app", body: "binary", mtime: epoch, mode: 0o755},
		{name: "etc/app.conf", body: "a=1", mtime: epoch, mode: 0o644},
	}
	a := writeImage(t, "x", base)
	same := writeImage(t, "x", base)
	if d, err := Diff(a, same); err != nil || d != "" {
		t.Fatalf("identical images: diff %q, err %v", d, err)
	}

	changed := []file{
		{name: "usr/", dir: true, mtime: wall, mode: 0o755},
		{name: "usr/local/bin/app", body: "binary!", mtime: epoch, mode: 0o700},
		{name: "etc/other.conf", body: "b=2", mtime: epoch, mode: 0o644},
	}
	b := writeImage(t, "y", changed)
	d, err := Diff(a, b)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"manifest sha256:",
		"manifest.config.digest",
		"manifest.layers[0].digest",
		`config.config.Labels.l: "x" vs "y"`,
		"config.rootfs.diff_ids[0]",
		"layer 0: /usr/: mtime 2023-11-14T22:13:20Z vs 2026-11-29T10:00:00.000000123Z",
		"layer 0: /usr/local/bin/app: content differs (6 vs 7 bytes), mode 755 vs 700",
		"layer 0: /etc/app.conf only in the first image",
		"layer 0: /etc/other.conf only in the second image",
	} {
		if !strings.Contains(d, want) {
			t.Errorf("diff lacks %q:\n%s", want, d)
		}
	}

	reordered := writeImage(t, "x", []file{base[2], base[0], base[1]})
	if d, err := Diff(a, reordered); err != nil || !strings.Contains(d, "different tar order") {
		t.Errorf("reordered layer: diff %q, err %v", d, err)
	}
}
