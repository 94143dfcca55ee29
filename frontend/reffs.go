package frontend

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/moby/buildkit/frontend/gateway/client"
	fstypes "github.com/tonistiigi/fsutil/types"
)

const (
	// refReadChunk is the size of one ranged read through the gateway.
	refReadChunk = 256 << 10
	// maxSymlinks bounds how many links one path may follow.
	maxSymlinks = 16
	// maxDirEntries bounds one directory listing.
	maxDirEntries = 100000
)

// refFS is a solved result's root filesystem, read through the gateway as
// an fs.FS, so the SBOM readers stay pure. Files are read in ranges on
// demand (a binary's build info needs its headers, not its 10 MB), and the
// bytes read in total are bounded by budget.
type refFS struct {
	ctx    context.Context
	ref    client.Reference
	budget int64
}

func newRefFS(ctx context.Context, ref client.Reference, budget int64) *refFS {
	return &refFS{ctx: ctx, ref: ref, budget: budget}
}

// Open follows symlinks within the image, as fs.FS requires.
func (f *refFS) Open(name string) (fs.File, error) {
	p, st, err := f.resolve("open", name)
	if err != nil {
		return nil, err
	}
	return &refFile{fs: f, path: p, info: statInfo{st: st, name: path.Base(name)}}, nil
}

// ReadDir lists a directory, sorted by name.
func (f *refFS) ReadDir(name string) ([]fs.DirEntry, error) {
	p, st, err := f.resolve("readdir", name)
	if err != nil {
		return nil, err
	}
	if !os.FileMode(st.Mode).IsDir() {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: syscall.ENOTDIR}
	}
	stats, err := f.ref.ReadDir(f.ctx, client.ReadDirRequest{Path: p})
	if err != nil {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: gatewayErr(err)}
	}
	if len(stats) > maxDirEntries {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: fmt.Errorf("more than %d entries", maxDirEntries)}
	}
	out := make([]fs.DirEntry, 0, len(stats))
	for _, s := range stats {
		if s == nil {
			continue
		}
		out = append(out, fs.FileInfoToDirEntry(statInfo{st: s, name: path.Base(s.Path)}))
	}
	slices.SortFunc(out, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return out, nil
}

// resolve stats name, following symlinks; it returns the absolute path
// in the image of what name points at.
func (f *refFS) resolve(op, name string) (string, *fstypes.Stat, error) {
	if !fs.ValidPath(name) {
		return "", nil, &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	p := path.Join("/", name)
	for range maxSymlinks {
		st, err := f.ref.StatFile(f.ctx, client.StatRequest{Path: p})
		if err != nil {
			return "", nil, &fs.PathError{Op: op, Path: name, Err: gatewayErr(err)}
		}
		if os.FileMode(st.Mode)&os.ModeSymlink == 0 {
			return p, st, nil
		}
		// Absolute targets are relative to the image root, never the host.
		target := st.Linkname
		if !strings.HasPrefix(target, "/") {
			target = path.Join(path.Dir(p), target)
		}
		p = path.Join("/", target)
	}
	return "", nil, &fs.PathError{Op: op, Path: name, Err: errors.New("too many levels of symbolic links")}
}

// gatewayErr keeps "not found" recognisable after the gRPC round trip,
// which turns os errors into text.
func gatewayErr(err error) error {
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.ENOTDIR) {
		return fs.ErrNotExist
	}
	msg := err.Error()
	if strings.Contains(msg, "no such file or directory") || strings.Contains(msg, "not a directory") {
		return fs.ErrNotExist
	}
	return err
}

// read reads one range, counting it against the budget.
func (f *refFS) read(p string, off, n int64) ([]byte, error) {
	if n > f.budget {
		return nil, fmt.Errorf("reading %s: the SBOM may read at most %d more bytes of the image", p, f.budget)
	}
	dt, err := f.ref.ReadFile(f.ctx, client.ReadRequest{Filename: p, Range: &client.FileRange{Offset: int(off), Length: int(n)}})
	if err != nil {
		return nil, gatewayErr(err)
	}
	if int64(len(dt)) > n {
		return nil, fmt.Errorf("reading %s: asked for %d bytes, got %d", p, n, len(dt))
	}
	f.budget -= int64(len(dt))
	return dt, nil
}

// refFile is an open file or directory of a refFS.
type refFile struct {
	fs     *refFS
	path   string
	info   statInfo
	off    int64
	chunks map[int64][]byte
}

func (r *refFile) Stat() (fs.FileInfo, error) { return r.info, nil }
func (r *refFile) Close() error               { return nil }

func (r *refFile) Read(b []byte) (int, error) {
	n, err := r.ReadAt(b, r.off)
	r.off += int64(n)
	if err == io.EOF && n > 0 {
		err = nil
	}
	return n, err
}

// ReadAt reads through a cache of chunks: parsers such as debug/elf ask
// for many small pieces of the same regions.
func (r *refFile) ReadAt(b []byte, off int64) (int, error) {
	if r.info.IsDir() {
		return 0, &fs.PathError{Op: "read", Path: r.path, Err: syscall.EISDIR}
	}
	if off < 0 {
		return 0, &fs.PathError{Op: "read", Path: r.path, Err: fs.ErrInvalid}
	}
	size := r.info.Size()
	n := 0
	for n < len(b) {
		pos := off + int64(n)
		if pos >= size {
			return n, io.EOF
		}
		idx := pos / refReadChunk
		chunk, ok := r.chunks[idx]
		if !ok {
			length := min(int64(refReadChunk), size-idx*refReadChunk)
			dt, err := r.fs.read(r.path, idx*refReadChunk, length)
			if err != nil {
				return n, &fs.PathError{Op: "read", Path: r.path, Err: err}
			}
			if r.chunks == nil {
				r.chunks = map[int64][]byte{}
			}
			chunk = dt
			r.chunks[idx] = chunk
		}
		within := pos - idx*refReadChunk
		if within >= int64(len(chunk)) {
			// The file is shorter than its stat said.
			return n, io.EOF
		}
		n += copy(b[n:], chunk[within:])
	}
	return n, nil
}

// statInfo is a gateway stat as an fs.FileInfo.
type statInfo struct {
	st   *fstypes.Stat
	name string
}

func (s statInfo) Name() string       { return s.name }
func (s statInfo) Size() int64        { return max(s.st.Size, 0) }
func (s statInfo) Mode() fs.FileMode  { return fs.FileMode(s.st.Mode) }
func (s statInfo) ModTime() time.Time { return time.Unix(0, s.st.ModTime) }
func (s statInfo) IsDir() bool        { return s.Mode().IsDir() }
func (s statInfo) Sys() any           { return s.st }
