package sbom

import (
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

// testBinary is this test's own executable: a real Go binary whose build
// info the runtime reports independently.
func testBinary(t *testing.T) (fs.FS, string) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return os.DirFS(filepath.Dir(exe)), "/" + filepath.Base(exe)
}

func TestGoBinaryOwnBuildInfo(t *testing.T) {
	fsys, name := testBinary(t)
	pkgs, err := Read(fsys, []Source{{Kind: KindGoBinary, Path: name}})
	if err != nil {
		t.Fatal(err)
	}
	if len(pkgs) != 1 {
		t.Fatalf("%d packages, want the binary", len(pkgs))
	}
	bin := pkgs[0]
	info, ok := debug.ReadBuildInfo()
	if !ok {
		t.Fatal("no build info in the test binary")
	}
	if bin.Name != info.Main.Path || bin.FileName != name || bin.Purpose != "APPLICATION" {
		t.Errorf("binary package %+v, want main module %s at %s", bin, info.Main.Path, name)
	}
	got := map[string]Package{}
	for _, d := range bin.DependsOn {
		got[d.Name] = d
	}
	for _, dep := range info.Deps {
		want := dep
		if dep.Replace != nil {
			want = dep.Replace
		}
		p, ok := got[want.Path]
		if !ok {
			t.Errorf("module %s missing", want.Path)
			continue
		}
		if p.Version != want.Version {
			t.Errorf("module %s version %q, want %q", want.Path, p.Version, want.Version)
		}
		if p.PURL != "pkg:golang/"+want.Path+"@"+want.Version {
			t.Errorf("module %s purl %q", want.Path, p.PURL)
		}
		if want.Sum != "" && (len(p.Checksums) != 1 || len(p.Checksums[0].Value) != 64) {
			t.Errorf("module %s checksums %v for sum %s", want.Path, p.Checksums, want.Sum)
		}
	}
	std := got["stdlib"]
	if std.Version != runtime.Version() || std.PURL != "pkg:golang/stdlib@"+strings.TrimPrefix(runtime.Version(), "go") {
		t.Errorf("stdlib %+v, want %s", std, runtime.Version())
	}
}

func TestGoModules(t *testing.T) {
	const sum = "h1:NIvaJDMOsjHA8n1jAhLSgzrAzy1Hgr+hNrb57e+94F0="
	info := &debug.BuildInfo{
		GoVersion: "go1.26.8 X:nodwarf5",
		Path:      "example.com/app/cmd/app",
		Main:      debug.Module{Path: "example.com/app", Version: "(devel)"},
		Deps: []*debug.Module{
			{Path: "github.com/google/uuid", Version: "v1.6.0", Sum: sum},
			{Path: "example.com/fork", Version: "v1.0.0", Sum: "h1:old", Replace: &debug.Module{Path: "example.com/myfork", Version: "v1.0.1", Sum: "h1:bad!"}},
			{Path: "example.com/local", Version: "v0.1.0", Replace: &debug.Module{Path: "../local"}},
			nil,
			{Path: ""},
		},
	}
	bin := goPackages(info, "/usr/local/bin/app")
	if bin.Name != "example.com/app" || bin.Version != "" || bin.PURL != "pkg:golang/example.com/app" {
		t.Errorf("main module %+v: (devel) means no version", bin)
	}
	want := []struct{ name, version, purl string }{
		{"github.com/google/uuid", "v1.6.0", "pkg:golang/github.com/google/uuid@v1.6.0"},
		{"example.com/myfork", "v1.0.1", "pkg:golang/example.com/myfork@v1.0.1"},
		{"example.com/local", "", "pkg:golang/example.com/local"},
		{"stdlib", "go1.26.8", "pkg:golang/stdlib@1.26.8"},
	}
	if len(bin.DependsOn) != len(want) {
		t.Fatalf("%d dependencies, want %d: %+v", len(bin.DependsOn), len(want), bin.DependsOn)
	}
	for i, w := range want {
		d := bin.DependsOn[i]
		if d.Name != w.name || d.Version != w.version || d.PURL != w.purl {
			t.Errorf("dependency %d = %s %q %s, want %s %q %s", i, d.Name, d.Version, d.PURL, w.name, w.version, w.purl)
		}
	}
	uuid := bin.DependsOn[0]
	if len(uuid.Checksums) != 1 || uuid.Checksums[0] != (Checksum{"SHA256", "348bda24330eb231c0f27d630212d2833ac0cf2d4782bfa136b6f9edefbde05d"}) {
		t.Errorf("uuid checksums %v", uuid.Checksums)
	}
	if !strings.Contains(uuid.SourceInfo, sum) {
		t.Errorf("uuid sourceInfo %q does not carry the go.sum hash", uuid.SourceInfo)
	}
	if len(bin.DependsOn[1].Checksums) != 0 {
		t.Errorf("a malformed h1 hash became a checksum: %v", bin.DependsOn[1].Checksums)
	}
	if !strings.Contains(bin.DependsOn[1].SourceInfo, "replaces example.com/fork v1.0.0") {
		t.Errorf("replacement not recorded: %q", bin.DependsOn[1].SourceInfo)
	}

	// `go build file.go`: no main module, only the command's path.
	bin = goPackages(&debug.BuildInfo{GoVersion: "devel +abc", Path: "command-line-arguments"}, "/app")
	if bin.Name != "command-line-arguments" || len(bin.DependsOn) != 0 {
		t.Errorf("got %+v", bin)
	}
}

// noReaderAt hides ReadAt, as some file systems do; the reader then reads
// the file whole.
type noReaderAt struct{ fs.FS }

func (n noReaderAt) Open(name string) (fs.File, error) {
	f, err := n.FS.Open(name)
	if err != nil {
		return nil, err
	}
	return struct {
		fs.File
	}{f}, nil
}

func TestGoBinaryWithoutReaderAt(t *testing.T) {
	fsys, name := testBinary(t)
	a, err := Read(fsys, []Source{{Kind: KindGoBinary, Path: name}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Read(noReaderAt{fsys}, []Source{{Kind: KindGoBinary, Path: name}})
	if err != nil {
		t.Fatal(err)
	}
	if len(a[0].DependsOn) != len(b[0].DependsOn) || a[0].Name != b[0].Name {
		t.Fatalf("with ReadAt %+v, without %+v", a[0], b[0])
	}
}

func TestGoBinaryHostile(t *testing.T) {
	fsys, name := testBinary(t)
	f, err := fsys.Open(strings.TrimPrefix(name, "/"))
	if err != nil {
		t.Fatal(err)
	}
	head := make([]byte, 64<<10)
	if _, err := io.ReadFull(f, head); err != nil {
		t.Fatal(err)
	}
	f.Close()
	corrupt := append([]byte{}, head...)
	for i := 16; i < len(corrupt); i += 7 {
		corrupt[i] ^= 0xa5
	}
	files := fstest.MapFS{
		"empty":     {Data: nil},
		"text":      {Data: []byte("#!/bin/sh\necho hi\n")},
		"truncated": {Data: head},
		"corrupt":   {Data: corrupt},
		"elf-magic": {Data: []byte("\x7fELF\x02\x01\x01\x00")},
		"dir/x":     {Data: []byte("x")},
		"link":      {Data: []byte("target"), Mode: fs.ModeSymlink},
		"big":       {Data: []byte("x"), Mode: 0o755},
	}
	for _, n := range []string{"empty", "text", "truncated", "corrupt", "elf-magic", "dir", "link", "missing"} {
		t.Run(n, func(t *testing.T) {
			_, err := Read(files, []Source{{Kind: KindGoBinary, Path: "/" + n}})
			if err == nil {
				t.Fatal("no error")
			}
			if strings.Contains(err.Error(), "internal error") || !strings.Contains(err.Error(), "go-binary /"+n) {
				t.Fatalf("error = %v", err)
			}
		})
	}
	_, err = Read(bigFS{}, []Source{{Kind: KindGoBinary, Path: "/big"}})
	if err == nil || !strings.Contains(err.Error(), "more than the") {
		t.Fatalf("a 1 TiB executable: err = %v", err)
	}
}

// bigFS has one file that claims to be 1 TiB.
type bigFS struct{}

func (bigFS) Open(string) (fs.File, error) { return bigFile{}, nil }

type bigFile struct{}

func (bigFile) Stat() (fs.FileInfo, error) { return bigFile{}, nil }
func (bigFile) Read([]byte) (int, error)   { return 0, io.EOF }
func (bigFile) Close() error               { return nil }
func (bigFile) Name() string               { return "big" }
func (bigFile) Size() int64                { return 1 << 40 }
func (bigFile) Mode() fs.FileMode          { return 0o755 }
func (bigFile) ModTime() time.Time         { return time.Time{} }
func (bigFile) IsDir() bool                { return false }
func (bigFile) Sys() any                   { return nil }

func TestReadRejectsBadSources(t *testing.T) {
	for _, src := range []Source{
		{Kind: "cobol-deck", Path: "/x"},
		{Kind: KindGoBinary, Path: "relative/path"},
	} {
		if _, err := Read(fstest.MapFS{}, []Source{src}); err == nil {
			t.Errorf("%+v: no error", src)
		}
	}
	// ".." cannot climb out: the path is cleaned against the image root.
	if p, err := fsPath("/../../etc/passwd"); err != nil || p != "etc/passwd" {
		t.Errorf("fsPath = %q, %v", p, err)
	}
}
