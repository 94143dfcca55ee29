package main

import (
	"archive/tar"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"testing/fstest"
	"time"

	"github.com/containerd/platforms"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/org/safe-frontend/internal/ocitar"
	"github.com/org/safe-frontend/sbom"
)

// release is what release.json records.
type release struct {
	Version  string `json:"version"`
	Revision string `json:"revision"`
	Registry string `json:"registry"`
	GoImage  string `json:"goImage"` // the toolchain both images were built on, by digest
	Frontend *image `json:"frontend"`
	Runtime  *image `json:"runtime"`
	Signed   bool   `json:"signed"`
}

// image is one pushed index.
type image struct {
	Repository string          `json:"repository"`
	Tags       []string        `json:"tags"`
	Digest     string          `json:"digest"`
	Platforms  []platformImage `json:"platforms"`
}

// platformImage is one platform's image of an index, with the files its
// attestations were written to.
type platformImage struct {
	Platform   string `json:"platform"`
	Digest     string `json:"digest"`
	Compressed int64  `json:"compressedBytes"`
	SBOM       string `json:"sbom"`
	Provenance string `json:"provenance"`
}

// readPlatforms lists the index's platform images from the build's OCI copy,
// with the compressed size of their layers.
func (img *image) readPlatforms(ociTar string) error {
	images, err := ocitar.Images(ociTar)
	if err != nil {
		return fmt.Errorf("reading %s: %w", ociTar, err)
	}
	for d, p := range images {
		m, err := manifest(ociTar, d)
		if err != nil {
			return err
		}
		var size int64
		for _, l := range m.Layers {
			size += l.Size
		}
		img.Platforms = append(img.Platforms, platformImage{Platform: platforms.FormatAll(p), Digest: d.String(), Compressed: size})
	}
	sort.Slice(img.Platforms, func(i, j int) bool { return img.Platforms[i].Platform < img.Platforms[j].Platform })
	return nil
}

func manifest(ociTar string, d digest.Digest) (*ocispecs.Manifest, error) {
	var m ocispecs.Manifest
	if err := readJSON(ociTar, d, &m); err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	return &m, nil
}

// writeAttestations writes, per platform, the SPDX SBOM read from the image's
// own files (Go build information, dpkg status) and the SLSA provenance
// predicate BuildKit wrote for it.
func (img *image) writeAttestations(dir, base, ociTar, provTar, version string, created time.Time) error {
	atts, err := ocitar.Attestations(provTar)
	if err != nil {
		return fmt.Errorf("reading the provenance: %w", err)
	}
	prov := map[string][]byte{}
	for _, a := range atts {
		var st ocitar.Statement
		if err := json.Unmarshal(a.Statement, &st); err != nil {
			return fmt.Errorf("provenance of %s: %w", a.Subject, err)
		}
		if strings.HasPrefix(st.PredicateType, "https://slsa.dev/provenance/") {
			prov[a.Subject.String()] = st.Predicate
		}
	}
	for i := range img.Platforms {
		p := &img.Platforms[i]
		name := base + "-" + strings.ReplaceAll(p.Platform, "/", "-")
		pred, ok := prov[p.Digest]
		if !ok {
			return fmt.Errorf("BuildKit wrote no provenance for %s (%s): the pushed image and the attested build differ", p.Platform, p.Digest)
		}
		p.Provenance = filepath.Join(dir, name+".provenance.json")
		if err := os.WriteFile(p.Provenance, pred, 0o644); err != nil {
			return err
		}
		doc, err := sbomOf(ociTar, digest.Digest(p.Digest), base, version, created)
		if err != nil {
			return fmt.Errorf("SBOM of %s %s: %w", base, p.Platform, err)
		}
		p.SBOM = filepath.Join(dir, name+".spdx.json")
		if err := os.WriteFile(p.SBOM, doc, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// sbomSources are where the two images keep what they are made of.
var sbomSources = []sbom.Source{
	{Kind: sbom.KindGoBinary, Path: "/bin/safe-frontend"},
	{Kind: sbom.KindGoBinary, Path: "/sbin/safe-probe"},
	{Kind: sbom.KindDpkgStatus, Path: "/var/lib/dpkg/status.d"},
}

func sbomOf(ociTar string, d digest.Digest, name, version string, created time.Time) ([]byte, error) {
	m, err := manifest(ociTar, d)
	if err != nil {
		return nil, err
	}
	var cfg ocispecs.Image
	if err := readJSON(ociTar, m.Config.Digest, &cfg); err != nil {
		return nil, err
	}
	fsys := fstest.MapFS{}
	for _, l := range m.Layers {
		layer, err := blob(ociTar, l.Digest)
		if err != nil {
			return nil, err
		}
		if _, err := ocitar.LayerFiles(layer, func(h *tar.Header, r io.Reader) error {
			if h.Typeflag != tar.TypeReg {
				return nil
			}
			data, err := io.ReadAll(r)
			fsys[strings.TrimPrefix(path.Clean("/"+h.Name), "/")] = &fstest.MapFile{Data: data, Mode: h.FileInfo().Mode()}
			return err
		}); err != nil {
			return nil, err
		}
	}
	var sources []sbom.Source
	for _, s := range sbomSources {
		if _, err := fsys.Stat(strings.TrimPrefix(s.Path, "/")); err == nil {
			sources = append(sources, s)
		}
	}
	pkgs, err := sbom.Read(fsys, sources)
	if err != nil {
		return nil, err
	}
	return sbom.Document(sbom.Image{
		Name: name, Version: version,
		OS: cfg.OS, Architecture: cfg.Architecture, Variant: cfg.Variant, Created: created,
	}, pkgs)
}

// blob is one blob of the build's OCI copy, by digest.
func blob(ociTar string, d digest.Digest) ([]byte, error) {
	return ocitar.Entry(ociTar, "blobs/"+d.Algorithm().String()+"/"+d.Encoded())
}

func readJSON(ociTar string, d digest.Digest, v any) error {
	data, err := blob(ociTar, d)
	if err == nil {
		err = json.Unmarshal(data, v)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", d, err)
	}
	return nil
}

// checkSizes holds the frontend image to its budget on every platform: a
// builder pulls it before every build.
func (r *release) checkSizes(max int64) error {
	for _, p := range r.Frontend.Platforms {
		if p.Compressed > max {
			return fmt.Errorf("the frontend image for %s is %s compressed, over the %s budget", p.Platform, mib(p.Compressed), mib(max))
		}
	}
	return nil
}

func (r *release) write(path string) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}

func (r *release) summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "safe-frontend %s (revision %s), built on %s\n", r.Version, r.Revision, r.GoImage)
	for _, img := range []*image{r.Frontend, r.Runtime} {
		fmt.Fprintf(&b, "%s@%s\n  tags: %s\n", img.Repository, img.Digest, strings.Join(img.Tags, ", "))
		for _, p := range img.Platforms {
			fmt.Fprintf(&b, "  %-14s %s  %s compressed\n", p.Platform, p.Digest, mib(p.Compressed))
		}
	}
	if r.Signed {
		b.WriteString("signed: both indexes; attested: an SPDX SBOM and SLSA provenance per platform image\n")
	} else {
		b.WriteString("not signed (-no-sign)\n")
	}
	return b.String()
}

func mib(n int64) string { return fmt.Sprintf("%.2f MiB", float64(n)/(1<<20)) }
