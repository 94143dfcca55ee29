package frontend

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/gateway/client"
	fstypes "github.com/tonistiigi/fsutil/types"

	"github.com/org/safe-frontend/sbom"
)

// dirRef answers the gateway's file calls from a directory the way the
// daemon does: Lstat, paths confined to the root, errors as plain text
// (what is left of them after gRPC). It counts the bytes it serves.
type dirRef struct {
	root   string
	served int64
}

func (d *dirRef) ToState() (llb.State, error)    { return llb.Scratch(), nil }
func (d *dirRef) Evaluate(context.Context) error { return nil }

func (d *dirRef) local(p string) string {
	return filepath.Join(d.root, filepath.Clean("/"+p))
}

func plain(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("rpc error: code = Unknown desc = %s", err.Error())
}

func (d *dirRef) StatFile(_ context.Context, req client.StatRequest) (*fstypes.Stat, error) {
	fi, err := os.Lstat(d.local(req.Path))
	if err != nil {
		return nil, plain(err)
	}
	st := &fstypes.Stat{Path: fi.Name(), Mode: uint32(fi.Mode()), Size: fi.Size()}
	if fi.Mode()&os.ModeSymlink != 0 {
		st.Linkname, _ = os.Readlink(d.local(req.Path))
	}
	return st, nil
}

func (d *dirRef) ReadFile(_ context.Context, req client.ReadRequest) ([]byte, error) {
	f, err := os.Open(d.local(req.Filename))
	if err != nil {
		return nil, plain(err)
	}
	defer f.Close()
	buf := make([]byte, req.Range.Length)
	n, err := f.ReadAt(buf, int64(req.Range.Offset))
	if err != nil && n == 0 {
		return nil, plain(err)
	}
	d.served += int64(n)
	return buf[:n], nil
}

func (d *dirRef) ReadDir(_ context.Context, req client.ReadDirRequest) ([]*fstypes.Stat, error) {
	entries, err := os.ReadDir(d.local(req.Path))
	if err != nil {
		return nil, plain(err)
	}
	var out []*fstypes.Stat
	// Reverse order: the reader must not rely on the daemon's order.
	for i := len(entries) - 1; i >= 0; i-- {
		fi, err := entries[i].Info()
		if err != nil {
			return nil, plain(err)
		}
		out = append(out, &fstypes.Stat{Path: fi.Name(), Mode: uint32(fi.Mode()), Size: fi.Size()})
	}
	return out, nil
}

// imageRoot lays out a small image: the test binary as the app, the
// debian13 dpkg fixture, and symlinks like distroless has.
func imageRoot(t *testing.T) (string, int64) {
	t.Helper()
	root := t.TempDir()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(root, "usr/local/bin"), 0o755))
	must(os.WriteFile(filepath.Join(root, "usr/local/bin/app"), bin, 0o755))
	fixture := "../sbom/testdata/distroless-debian13"
	must(os.CopyFS(root, os.DirFS(fixture)))
	// /bin/app -> /usr/local/bin/app, absolute: resolved in the image.
	must(os.Symlink("/usr/local/bin/app", filepath.Join(root, "usr/local/bin/abs")))
	must(os.Symlink("app", filepath.Join(root, "usr/local/bin/rel")))
	must(os.Symlink("../../../../../../usr/local/bin/app", filepath.Join(root, "usr/local/bin/climb")))
	must(os.Symlink("loop", filepath.Join(root, "loop")))
	return root, int64(len(bin))
}

func TestRefFSReadsLikeDirFS(t *testing.T) {
	root, size := imageRoot(t)
	sources := []sbom.Source{{Kind: sbom.KindGoBinary, Path: "/usr/local/bin/app"}, {Kind: sbom.KindDpkgStatus, Path: "/var/lib/dpkg/status.d"}}
	want, err := sbom.Read(os.DirFS(root), sources)
	if err != nil {
		t.Fatal(err)
	}
	ref := &dirRef{root: root}
	got, err := sbom.Read(newRefFS(context.Background(), ref, sbomReadBudget), sources)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("through the gateway:\n%+v\ndirectly:\n%+v", got, want)
	}
	if len(got) != 6 {
		t.Errorf("%d packages, want the binary and 5 Debian packages", len(got))
	}
	// Build info lives in the headers and one section: a few chunks, not
	// the whole executable.
	if ref.served >= size {
		t.Errorf("served %d bytes of a %d-byte binary", ref.served, size)
	}
	t.Logf("read %d of %d bytes", ref.served, size)
}

func TestRefFSSymlinksStayInImage(t *testing.T) {
	root, _ := imageRoot(t)
	fsys := newRefFS(context.Background(), &dirRef{root: root}, sbomReadBudget)
	for _, name := range []string{"usr/local/bin/abs", "usr/local/bin/rel", "usr/local/bin/climb"} {
		pkgs, err := sbom.Read(fsys, []sbom.Source{{Kind: sbom.KindGoBinary, Path: "/" + name}})
		if err != nil || len(pkgs) != 1 {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := fsys.Open("loop"); err == nil || !strings.Contains(err.Error(), "too many levels") {
		t.Errorf("a symlink loop: %v", err)
	}
	if _, err := fsys.Open("nope/x"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a missing file: %v, want fs.ErrNotExist", err)
	}
	if _, err := fsys.Open("../etc/passwd"); !errors.Is(err, fs.ErrInvalid) {
		t.Errorf("an invalid name: %v", err)
	}
	if _, err := fsys.ReadDir("usr/local/bin/app"); err == nil {
		t.Error("ReadDir of a file gave no error")
	}
}

func TestRefFSBudget(t *testing.T) {
	root, _ := imageRoot(t)
	fsys := newRefFS(context.Background(), &dirRef{root: root}, 1000)
	_, err := sbom.Read(fsys, []sbom.Source{{Kind: sbom.KindGoBinary, Path: "/usr/local/bin/app"}})
	if err == nil || !strings.Contains(err.Error(), "at most") {
		t.Fatalf("err = %v, want the budget to stop the read", err)
	}
}
