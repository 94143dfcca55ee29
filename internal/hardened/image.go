// Package hardened runs a built OCI image under runc the way a locked-down
// Kubernetes pod would: numeric non-root user, read-only root filesystem, no
// capabilities, no-new-privileges, the default seccomp profile and masked
// kernel paths. It exists so tests and demos verify that images produced by
// safe-frontend actually start under those constraints instead of assuming it.
package hardened

import (
	"archive/tar"
	// go-digest verifies sha256 only when the hash is linked in.
	_ "crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sort"

	"github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// Docker media types appear when an image was exported with type=docker;
// accept them so both exporter flavours can be run.
const (
	mediaTypeDockerManifest     = "application/vnd.docker.distribution.manifest.v2+json"
	mediaTypeDockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json"
	mediaTypeDockerLayerGzip    = "application/vnd.docker.image.rootfs.diff.tar.gzip"
	mediaTypeDockerConfig       = "application/vnd.docker.container.image.v1+json"

	// BuildKit marks attestation manifests inside an index with this
	// annotation; they are not runnable images.
	annotationReferenceType = "vnd.docker.reference.type"
)

// maxJSONBlob bounds how much of a manifest, index or config blob is read:
// these are small documents, and an unbounded read of a hostile file could
// exhaust memory.
const maxJSONBlob = 16 << 20

// blobStore opens blobs of an OCI layout, whether it is a directory or a tar.
type blobStore interface {
	open(name string) (io.ReadCloser, error)
}

// dirStore reads an OCI layout directory.
type dirStore struct{ root string }

func (s dirStore) open(name string) (io.ReadCloser, error) {
	return os.Open(filepath.Join(s.root, filepath.FromSlash(name)))
}

// tarStore reads an OCI layout tar. Each open scans the archive from the
// start: image tars are read a handful of times, sequentially, so an index of
// offsets would buy little and cost code.
type tarStore struct{ file string }

type tarEntry struct {
	io.Reader
	f *os.File
}

func (e tarEntry) Close() error { return e.f.Close() }

func (s tarStore) open(name string) (io.ReadCloser, error) {
	f, err := os.Open(s.file)
	if err != nil {
		return nil, err
	}
	tr := tar.NewReader(f)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			_ = f.Close()
			return nil, fmt.Errorf("%s: %w", name, os.ErrNotExist)
		}
		if err != nil {
			_ = f.Close()
			return nil, fmt.Errorf("reading %s: %w", s.file, err)
		}
		if path.Clean(hdr.Name) == name && hdr.Typeflag == tar.TypeReg {
			return tarEntry{Reader: tr, f: f}, nil
		}
	}
}

func newStore(image string) (blobStore, error) {
	fi, err := os.Stat(image)
	if err != nil {
		return nil, fmt.Errorf("image %s: %w", image, err)
	}
	if fi.IsDir() {
		return dirStore{root: image}, nil
	}
	return tarStore{file: image}, nil
}

func blobPath(d digest.Digest) (string, error) {
	if err := d.Validate(); err != nil {
		return "", fmt.Errorf("invalid digest %q: %w", d, err)
	}
	return path.Join("blobs", d.Algorithm().String(), d.Encoded()), nil
}

func readJSON(s blobStore, name string, v any) error {
	rc, err := s.open(name)
	if err != nil {
		return err
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, maxJSONBlob+1))
	if err != nil {
		return fmt.Errorf("reading %s: %w", name, err)
	}
	if len(data) > maxJSONBlob {
		return fmt.Errorf("%s is larger than %d bytes", name, maxJSONBlob)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("decoding %s: %w", name, err)
	}
	return nil
}

// readBlobJSON reads a blob and checks it against its descriptor digest, so a
// tampered layout is refused rather than run.
func readBlobJSON(s blobStore, desc ocispecs.Descriptor, v any) error {
	p, err := blobPath(desc.Digest)
	if err != nil {
		return err
	}
	rc, err := s.open(p)
	if err != nil {
		return err
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, maxJSONBlob+1))
	if err != nil {
		return fmt.Errorf("reading blob %s: %w", desc.Digest, err)
	}
	if len(data) > maxJSONBlob {
		return fmt.Errorf("blob %s is larger than %d bytes", desc.Digest, maxJSONBlob)
	}
	if got := desc.Digest.Algorithm().FromBytes(data); got != desc.Digest {
		return fmt.Errorf("blob %s has digest %s", desc.Digest, got)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("decoding blob %s: %w", desc.Digest, err)
	}
	return nil
}

// Image is a single-platform image selected from an OCI layout.
type Image struct {
	store blobStore

	// Digest is the digest of the top-level descriptor in index.json: the
	// digest a registry would report for the pushed image (an index when the
	// build attached attestations, otherwise the manifest).
	Digest digest.Digest
	// ManifestDigest is the digest of the platform manifest that is run.
	ManifestDigest digest.Digest
	Manifest       ocispecs.Manifest
	Config         ocispecs.Image
}

// CompressedSize is the sum of the layer blobs as stored: what a pull
// transfers, the number registries display.
func (img *Image) CompressedSize() int64 {
	var n int64
	for _, l := range img.Manifest.Layers {
		n += l.Size
	}
	return n
}

// Open reads an OCI image layout, either a directory or a tar written by
// `--output type=oci,dest=X.tar`, and selects the manifest for the host
// platform (or the only one).
func Open(image string) (*Image, error) {
	s, err := newStore(image)
	if err != nil {
		return nil, err
	}
	var idx ocispecs.Index
	if err := readJSON(s, "index.json", &idx); err != nil {
		return nil, fmt.Errorf("image %s is not an OCI layout: %w", image, err)
	}
	if len(idx.Manifests) != 1 {
		return nil, fmt.Errorf("image %s: index.json has %d entries, want exactly one image", image, len(idx.Manifests))
	}
	top := idx.Manifests[0]
	img := &Image{store: s, Digest: top.Digest}
	desc := top
	if isIndex(desc.MediaType) {
		desc, err = selectManifest(s, desc)
		if err != nil {
			return nil, fmt.Errorf("image %s: %w", image, err)
		}
	}
	if !isManifest(desc.MediaType) {
		return nil, fmt.Errorf("image %s: unsupported media type %q", image, desc.MediaType)
	}
	img.ManifestDigest = desc.Digest
	if err := readBlobJSON(s, desc, &img.Manifest); err != nil {
		return nil, fmt.Errorf("image %s: manifest: %w", image, err)
	}
	switch img.Manifest.Config.MediaType {
	case ocispecs.MediaTypeImageConfig, mediaTypeDockerConfig:
	default:
		return nil, fmt.Errorf("image %s: config media type %q is not an image config", image, img.Manifest.Config.MediaType)
	}
	if err := readBlobJSON(s, img.Manifest.Config, &img.Config); err != nil {
		return nil, fmt.Errorf("image %s: config: %w", image, err)
	}
	return img, nil
}

func isIndex(mt string) bool {
	return mt == ocispecs.MediaTypeImageIndex || mt == mediaTypeDockerManifestList
}

func isManifest(mt string) bool {
	return mt == ocispecs.MediaTypeImageManifest || mt == mediaTypeDockerManifest
}

// selectManifest picks the runnable manifest of an index: attestation
// manifests are skipped, and with several platforms the host's wins.
func selectManifest(s blobStore, desc ocispecs.Descriptor) (ocispecs.Descriptor, error) {
	var idx ocispecs.Index
	if err := readBlobJSON(s, desc, &idx); err != nil {
		return ocispecs.Descriptor{}, fmt.Errorf("index: %w", err)
	}
	var candidates []ocispecs.Descriptor
	for _, m := range idx.Manifests {
		if !isManifest(m.MediaType) || m.Annotations[annotationReferenceType] != "" {
			continue
		}
		if m.Platform != nil && m.Platform.OS == "unknown" {
			continue
		}
		candidates = append(candidates, m)
	}
	switch len(candidates) {
	case 0:
		return ocispecs.Descriptor{}, errors.New("index has no runnable manifest")
	case 1:
		return candidates[0], nil
	}
	for _, m := range candidates {
		if m.Platform != nil && m.Platform.OS == runtime.GOOS && m.Platform.Architecture == runtime.GOARCH {
			return m, nil
		}
	}
	return ocispecs.Descriptor{}, fmt.Errorf("index has %d manifests and none for %s/%s", len(candidates), runtime.GOOS, runtime.GOARCH)
}

// Summary is the part of an image worth printing after a build.
type Summary struct {
	Digest         digest.Digest       `json:"digest"`
	ManifestDigest digest.Digest       `json:"manifestDigest"`
	CompressedSize int64               `json:"compressedSize"`
	Layers         int                 `json:"layers"`
	Platform       string              `json:"platform"`
	User           string              `json:"user"`
	Entrypoint     []string            `json:"entrypoint"`
	Cmd            []string            `json:"cmd"`
	WorkingDir     string              `json:"workingDir,omitempty"`
	ExposedPorts   []string            `json:"exposedPorts,omitempty"`
	Env            []string            `json:"env"`
	Labels         map[string]string   `json:"labels,omitempty"`
	StopSignal     string              `json:"stopSignal,omitempty"`
	Created        string              `json:"created,omitempty"`
	Healthcheck    *dockerHealthConfig `json:"healthcheck,omitempty"`
}

// dockerHealthConfig mirrors the Docker extension of the image config; the
// OCI config type has no field for it, so it is decoded separately.
type dockerHealthConfig struct {
	Test          []string `json:"Test,omitempty"`
	Interval      int64    `json:"Interval,omitempty"`
	Timeout       int64    `json:"Timeout,omitempty"`
	StartPeriod   int64    `json:"StartPeriod,omitempty"`
	StartInterval int64    `json:"StartInterval,omitempty"`
	Retries       int      `json:"Retries,omitempty"`
}

// Inspect opens an image and summarises it.
func Inspect(image string) (*Summary, error) {
	img, err := Open(image)
	if err != nil {
		return nil, err
	}
	return img.Summary()
}

// Summary summarises an opened image.
func (img *Image) Summary() (*Summary, error) {
	c := img.Config
	s := &Summary{
		Digest:         img.Digest,
		ManifestDigest: img.ManifestDigest,
		CompressedSize: img.CompressedSize(),
		Layers:         len(img.Manifest.Layers),
		Platform:       c.OS + "/" + c.Architecture,
		User:           c.Config.User,
		Entrypoint:     c.Config.Entrypoint,
		Cmd:            c.Config.Cmd,
		WorkingDir:     c.Config.WorkingDir,
		Env:            c.Config.Env,
		Labels:         c.Config.Labels,
		StopSignal:     c.Config.StopSignal,
	}
	if c.Variant != "" {
		s.Platform += "/" + c.Variant
	}
	if c.Created != nil {
		s.Created = c.Created.UTC().Format("2006-01-02T15:04:05Z")
	}
	for p := range c.Config.ExposedPorts {
		s.ExposedPorts = append(s.ExposedPorts, p)
	}
	sort.Strings(s.ExposedPorts)
	// The health check lives outside the OCI schema; read it from the raw
	// config so the summary shows what the frontend wrote.
	var raw struct {
		Config struct {
			Healthcheck *dockerHealthConfig `json:"Healthcheck"`
		} `json:"config"`
	}
	if err := readBlobJSON(img.store, img.Manifest.Config, &raw); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	s.Healthcheck = raw.Config.Healthcheck
	return s, nil
}
