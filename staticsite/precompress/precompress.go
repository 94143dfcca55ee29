// Package precompress prepares a static site at build time for the
// server in package staticsite: it copies the site's files (no dotfiles,
// no symlinks, no special files) into a new directory, writes a gzip and a
// brotli variant of each compressible file where that is smaller, and
// writes the manifest the server serves from: every file's SHA-256 (its
// ETag) and its variants. The output depends on the input's bytes alone.
// It is a package of its own so the brotli encoder stays out of the
// server's binary.
package precompress

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/andybalholm/brotli"

	"github.com/org/safe-frontend/staticsite"
)

// minGain: a variant is kept only when it is smaller than this share of
// the file (a few bytes saved cost a second lookup for nothing).
const minGain = 0.9

// Prepare copies the site in src to out with its variants and manifest.
// skip names files at the root to leave out; skipped lists what was left
// out besides dotfiles (symlinks, special files), for the build log.
func Prepare(src fs.FS, out string, skip map[string]bool) (*staticsite.Manifest, []string, error) {
	m := &staticsite.Manifest{Files: map[string]staticsite.File{}}
	var skipped []string
	err := fs.WalkDir(src, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if name == "." {
			return nil
		}
		if strings.HasPrefix(d.Name(), ".") || skip[name] {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		switch {
		case d.IsDir():
			return nil
		case !d.Type().IsRegular():
			skipped = append(skipped, name+" (not a regular file)")
			return nil
		case !staticsite.ValidName(name):
			skipped = append(skipped, fmt.Sprintf("%q (not a name a site can serve)", name))
			return nil
		}
		data, err := fs.ReadFile(src, name)
		if err != nil {
			return err
		}
		f, err := writeFile(out, name, data)
		if err != nil {
			return err
		}
		m.Files[name] = f
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	if err := os.MkdirAll(filepath.Join(out, staticsite.MetaDir), 0o755); err != nil {
		return nil, nil, err
	}
	mf, err := os.OpenFile(filepath.Join(out, filepath.FromSlash(staticsite.ManifestName)), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, nil, err
	}
	if err := staticsite.WriteManifest(mf, m); err != nil {
		mf.Close()
		return nil, nil, err
	}
	return m, skipped, mf.Close()
}

// writeFile writes a file and its variants and describes them.
func writeFile(out, name string, data []byte) (staticsite.File, error) {
	sum := sha256.Sum256(data)
	f := staticsite.File{Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:])}
	if err := put(out, name, data); err != nil {
		return f, err
	}
	if !staticsite.Compressible(name) || len(data) < 256 {
		return f, nil
	}
	var gz, br bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression) // the header holds no name and no time
	zw.Write(data)
	zw.Close()
	bw := brotli.NewWriterLevel(&br, brotli.BestCompression)
	bw.Write(data)
	bw.Close()
	limit := int(float64(len(data)) * minGain)
	if gz.Len() < limit {
		f.Gzip = int64(gz.Len())
		if err := put(out, staticsite.GzipDir+"/"+name, gz.Bytes()); err != nil {
			return f, err
		}
	}
	if br.Len() < limit {
		f.Brotli = int64(br.Len())
		if err := put(out, staticsite.BrotliDir+"/"+name, br.Bytes()); err != nil {
			return f, err
		}
	}
	return f, nil
}

// put writes one file below out, world-readable: the server runs as any
// user.
func put(out, name string, data []byte) error {
	p := filepath.Join(out, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	if path.Clean(name) != name {
		return fmt.Errorf("refusing to write %q", name)
	}
	return os.WriteFile(p, data, 0o644)
}
