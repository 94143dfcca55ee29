package hardened

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/containerd/containerd/v2/pkg/archive"
	"github.com/containerd/containerd/v2/pkg/archive/compression"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// Unpack applies the image layers in order into rootfs, which must be empty or
// absent. The root directory ends up mode 0755 because an image's "/" is
// world-readable; without it a non-root entrypoint cannot even be found.
func (img *Image) Unpack(rootfs string) error {
	if err := os.MkdirAll(rootfs, 0o755); err != nil {
		return fmt.Errorf("creating rootfs: %w", err)
	}
	entries, err := os.ReadDir(rootfs)
	if err != nil {
		return fmt.Errorf("reading rootfs: %w", err)
	}
	if len(entries) != 0 {
		return fmt.Errorf("rootfs %s is not empty", rootfs)
	}
	for i, l := range img.Manifest.Layers {
		if err := img.applyLayer(rootfs, l); err != nil {
			return fmt.Errorf("layer %d (%s): %w", i, l.Digest, err)
		}
	}
	if err := os.Chmod(rootfs, 0o755); err != nil {
		return fmt.Errorf("chmod rootfs: %w", err)
	}
	return nil
}

func (img *Image) applyLayer(rootfs string, desc ocispecs.Descriptor) error {
	switch desc.MediaType {
	case ocispecs.MediaTypeImageLayerGzip, mediaTypeDockerLayerGzip, ocispecs.MediaTypeImageLayerZstd, ocispecs.MediaTypeImageLayer:
	default:
		return fmt.Errorf("unsupported layer media type %q", desc.MediaType)
	}
	p, err := blobPath(desc.Digest)
	if err != nil {
		return err
	}
	rc, err := img.store.open(p)
	if err != nil {
		return err
	}
	defer rc.Close()
	// Verify the compressed stream while it is read: the digest is only known
	// to be right after the last byte, so a mismatch fails the whole unpack.
	verifier := desc.Digest.Verifier()
	stream := io.TeeReader(rc, verifier)
	r, err := compression.DecompressStream(stream)
	if err != nil {
		return fmt.Errorf("decompressing: %w", err)
	}
	defer r.Close()
	if err := ApplyTar(rootfs, r); err != nil {
		return err
	}
	// Drain what the tar reader left (padding, compression trailer) so the
	// digest covers the whole blob.
	if _, err := io.Copy(io.Discard, stream); err != nil {
		return fmt.Errorf("reading layer: %w", err)
	}
	if !verifier.Verified() {
		return errors.New("layer content does not match its digest")
	}
	return nil
}

// ApplyTar applies one uncompressed layer tar onto rootfs with containerd's
// layer applier: OCI whiteouts (".wh.NAME" removes NAME from lower layers,
// ".wh..wh..opq" hides a directory's lower entries), owners, modes and
// times, and every path resolved inside rootfs, symlinks included. An entry
// whose name climbs out of the root ("../x") is refused rather than folded
// into the root: no well-formed layer has one.
func ApplyTar(rootfs string, r io.Reader) error {
	opts := []archive.ApplyOpt{archive.WithFilter(func(hdr *tar.Header) (bool, error) {
		if hdr.Name == ".." || strings.HasPrefix(hdr.Name, "../") {
			return false, fmt.Errorf("refusing tar entry %q: it leaves the root", hdr.Name)
		}
		return true, nil
	})}
	// Owners only matter (and only can be set) as root, which running
	// containers needs anyway; as a normal user the pure parts stay testable.
	if os.Geteuid() != 0 {
		opts = append(opts, archive.WithNoSameOwner())
	}
	if _, err := archive.Apply(context.Background(), rootfs, r, opts...); err != nil {
		return fmt.Errorf("applying layer: %w", err)
	}
	return nil
}
