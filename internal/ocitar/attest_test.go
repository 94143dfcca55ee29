package ocitar

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// The layout BuildKit exports: index.json -> image index -> an image
// manifest and an attestation manifest pointing at it.
func TestAttestations(t *testing.T) {
	files := map[string][]byte{}
	var order []string
	put := func(v any) ocispecs.Descriptor {
		dt, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		d := digest.FromBytes(dt)
		name := "blobs/sha256/" + d.Encoded()
		files[name] = dt
		order = append(order, name)
		return ocispecs.Descriptor{Digest: d, Size: int64(len(dt))}
	}
	stmt := put(map[string]any{"_type": "https://in-toto.io/Statement/v0.1", "predicateType": "https://spdx.dev/Document", "predicate": map[string]any{"spdxVersion": "SPDX-2.3"}})
	stmt.MediaType = "application/vnd.in-toto+json"
	stmt.Annotations = map[string]string{annotationPredicate: "https://spdx.dev/Document"}
	img := put(ocispecs.Manifest{MediaType: ocispecs.MediaTypeImageManifest})
	img.MediaType = ocispecs.MediaTypeImageManifest
	img.Platform = &ocispecs.Platform{OS: "linux", Architecture: "arm64"}
	att := put(ocispecs.Manifest{MediaType: ocispecs.MediaTypeImageManifest, Layers: []ocispecs.Descriptor{stmt}})
	att.MediaType = ocispecs.MediaTypeImageManifest
	att.Platform = &ocispecs.Platform{OS: "unknown", Architecture: "unknown"}
	att.Annotations = map[string]string{annotationRefType: refTypeAttestation, annotationRefDigest: img.Digest.String()}
	idx := put(ocispecs.Index{MediaType: ocispecs.MediaTypeImageIndex, Manifests: []ocispecs.Descriptor{img, att}})
	idx.MediaType = ocispecs.MediaTypeImageIndex
	top, _ := json.Marshal(ocispecs.Index{Manifests: []ocispecs.Descriptor{idx}})
	files["index.json"] = top
	order = append(order, "index.json")
	path := filepath.Join(t.TempDir(), "img.tar")
	if err := os.WriteFile(path, tarOf(t, files, order), 0o644); err != nil {
		t.Fatal(err)
	}

	images, err := Images(path)
	if err != nil || len(images) != 1 || images[img.Digest].Architecture != "arm64" {
		t.Fatalf("Images = %v, %v", images, err)
	}
	atts, err := Attestations(path)
	if err != nil || len(atts) != 1 {
		t.Fatalf("Attestations = %v, %v", atts, err)
	}
	a := atts[0]
	if a.Subject != img.Digest || a.Platform.Architecture != "arm64" || a.PredicateType != "https://spdx.dev/Document" {
		t.Errorf("attestation %+v", a)
	}
	var st Statement
	if err := json.Unmarshal(a.Statement, &st); err != nil || string(st.Predicate) != `{"spdxVersion":"SPDX-2.3"}` {
		t.Errorf("statement %+v, %v", st, err)
	}
}
