package hardened

import (
	"archive/tar"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	securejoin "github.com/cyphar/filepath-securejoin"
	"github.com/klauspost/compress/zstd"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sys/unix"
)

const (
	whiteoutPrefix = ".wh."
	whiteoutOpaque = ".wh..wh..opq"
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
	var r io.Reader
	switch desc.MediaType {
	case ocispecs.MediaTypeImageLayerGzip, mediaTypeDockerLayerGzip:
		gz, err := gzip.NewReader(stream)
		if err != nil {
			return fmt.Errorf("gzip: %w", err)
		}
		defer gz.Close()
		r = gz
	case ocispecs.MediaTypeImageLayerZstd:
		zr, err := zstd.NewReader(stream)
		if err != nil {
			return fmt.Errorf("zstd: %w", err)
		}
		defer zr.Close()
		r = zr
	case ocispecs.MediaTypeImageLayer:
		r = stream
	default:
		return fmt.Errorf("unsupported layer media type %q", desc.MediaType)
	}
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

// ApplyTar applies one uncompressed layer tar onto rootfs, honouring OCI
// whiteouts: ".wh.NAME" removes NAME from lower layers and ".wh..wh..opq"
// hides every lower entry of its directory. Paths are resolved inside rootfs
// (symlinks included), so a layer cannot write outside it.
func ApplyTar(rootfs string, r io.Reader) error {
	tr := tar.NewReader(r)
	// Entries written by this layer survive an opaque marker that follows
	// them in the same tar; only lower-layer content is hidden.
	added := map[string]bool{}
	type dirTime struct {
		path  string
		mtime time.Time
	}
	var dirs []dirTime
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("reading tar: %w", err)
		}
		name, ok := cleanName(hdr.Name)
		if !ok {
			return fmt.Errorf("refusing tar entry %q", hdr.Name)
		}
		if name == "" {
			// The layer root itself: only "/" mode and times, which Unpack sets.
			continue
		}
		dir, base := path.Split(name)
		parent, err := securejoin.SecureJoin(rootfs, dir)
		if err != nil {
			return fmt.Errorf("resolving %s: %w", dir, err)
		}
		if err := os.MkdirAll(parent, 0o755); err != nil {
			return fmt.Errorf("creating %s: %w", dir, err)
		}
		if base == whiteoutOpaque {
			if err := removeChildren(rootfs, parent, added); err != nil {
				return err
			}
			continue
		}
		if strings.HasPrefix(base, whiteoutPrefix) {
			victim := filepath.Join(parent, strings.TrimPrefix(base, whiteoutPrefix))
			if err := os.RemoveAll(victim); err != nil {
				return fmt.Errorf("whiteout %s: %w", name, err)
			}
			continue
		}
		target := filepath.Join(parent, base)
		added[target] = true
		if err := writeEntry(rootfs, target, hdr, tr); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if hdr.Typeflag == tar.TypeDir {
			dirs = append(dirs, dirTime{target, hdr.ModTime})
		}
	}
	// Directory times last: writing children would bump them again.
	for i := len(dirs) - 1; i >= 0; i-- {
		_ = os.Chtimes(dirs[i].path, dirs[i].mtime, dirs[i].mtime)
	}
	return nil
}

// cleanName normalises a tar path to a slash-separated path relative to the
// root; "" is the root. Paths escaping the root are rejected.
func cleanName(name string) (string, bool) {
	// Checked before cleaning: Clean would silently fold "../x" into "x",
	// hiding a malformed or hostile archive.
	for _, part := range strings.Split(name, "/") {
		if part == ".." {
			return "", false
		}
	}
	p := path.Clean("/" + name)
	if p == "/" {
		return "", true
	}
	return strings.TrimPrefix(p, "/"), true
}

func removeChildren(rootfs, dir string, keep map[string]bool) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("opaque %s: %w", rel(rootfs, dir), err)
	}
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		if keep[p] {
			continue
		}
		if err := os.RemoveAll(p); err != nil {
			return fmt.Errorf("opaque %s: %w", rel(rootfs, p), err)
		}
	}
	return nil
}

func rel(rootfs, p string) string {
	r, err := filepath.Rel(rootfs, p)
	if err != nil {
		return p
	}
	return "/" + filepath.ToSlash(r)
}

func writeEntry(rootfs, target string, hdr *tar.Header, r io.Reader) error {
	// A directory over an existing directory keeps its content (layers
	// merge); anything else replaces what a lower layer had there.
	if fi, err := os.Lstat(target); err == nil {
		if !(hdr.Typeflag == tar.TypeDir && fi.IsDir()) {
			if err := os.RemoveAll(target); err != nil {
				return err
			}
		}
	}
	mode := os.FileMode(hdr.Mode).Perm()
	switch hdr.Typeflag {
	case tar.TypeDir:
		if err := os.Mkdir(target, mode); err != nil && !errors.Is(err, os.ErrExist) {
			return err
		}
	case tar.TypeReg:
		f, err := os.OpenFile(target, os.O_CREATE|os.O_EXCL|os.O_WRONLY, mode)
		if err != nil {
			return err
		}
		if _, err := io.Copy(f, r); err != nil {
			_ = f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
	case tar.TypeSymlink:
		// The link text is stored verbatim; it is resolved inside the
		// container, and every later path lookup here goes through SecureJoin.
		return lchown(os.Symlink(hdr.Linkname, target), target, hdr)
	case tar.TypeLink:
		name, ok := cleanName(hdr.Linkname)
		if !ok || name == "" {
			return fmt.Errorf("refusing hard link to %q", hdr.Linkname)
		}
		src, err := securejoin.SecureJoin(rootfs, name)
		if err != nil {
			return err
		}
		return os.Link(src, target)
	case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
		dev := int(unix.Mkdev(uint32(hdr.Devmajor), uint32(hdr.Devminor)))
		kind := uint32(unix.S_IFIFO)
		switch hdr.Typeflag {
		case tar.TypeChar:
			kind = unix.S_IFCHR
		case tar.TypeBlock:
			kind = unix.S_IFBLK
		}
		if err := unix.Mknod(target, kind|uint32(mode), dev); err != nil {
			return err
		}
	case tar.TypeXGlobalHeader:
		return nil
	default:
		return fmt.Errorf("unsupported tar entry type %q", hdr.Typeflag)
	}
	if err := lchown(nil, target, hdr); err != nil {
		return err
	}
	// chmod after chown: chown clears setuid/setgid bits, and the umask may
	// have narrowed the mode at creation time.
	if err := os.Chmod(target, tarMode(hdr)); err != nil {
		return err
	}
	if hdr.Typeflag != tar.TypeDir {
		_ = os.Chtimes(target, hdr.ModTime, hdr.ModTime)
	}
	return nil
}

func lchown(prev error, target string, hdr *tar.Header) error {
	if prev != nil {
		return prev
	}
	// Ownership only matters (and only works) when unpacking as root, which
	// is what the runner requires anyway; as a normal user keep going so the
	// pure parts stay testable.
	if err := os.Lchown(target, hdr.Uid, hdr.Gid); err != nil && os.Geteuid() == 0 {
		return err
	}
	return nil
}

func tarMode(hdr *tar.Header) os.FileMode {
	m := os.FileMode(hdr.Mode).Perm()
	if hdr.Mode&04000 != 0 {
		m |= os.ModeSetuid
	}
	if hdr.Mode&02000 != 0 {
		m |= os.ModeSetgid
	}
	if hdr.Mode&01000 != 0 {
		m |= os.ModeSticky
	}
	return m
}
