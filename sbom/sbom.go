// Package sbom reads what a built image actually holds and writes it down as
// an SPDX 2.3 document: the Go modules recorded in a binary's build info,
// npm's, pnpm's, yarn's, Python's and Rust's packages, the Debian packages of the base,
// the base image by digest.
//
// It is pure: readers see the image's root filesystem through an fs.FS, so
// the frontend reads from a BuildKit result and the tests from fixtures.
// Everything read is treated as hostile: sizes are bounded, nothing panics,
// errors name the file.
//
// One reader per kind of source (Kind); a language that lands adds one
// reader and names its sources in llbgen.
package sbom

import (
	"fmt"
	"io/fs"
	"path"
	"runtime/debug"
	"strings"

	"github.com/package-url/packageurl-go"
)

// Kinds of sources, the keys of the reader table.
const (
	// KindGoBinary is a Go executable; its build info lists the modules
	// linked into it.
	KindGoBinary = "go-binary"
	// KindDpkgStatus is dpkg's database: a status file, or distroless's
	// status.d directory with one stanza file per package.
	KindDpkgStatus = "dpkg-status"
	// KindNPMLock is npm's hidden lockfile, node_modules/.package-lock.json.
	KindNPMLock = "npm-lock"
	// KindPNPMLock is the lockfile pnpm keeps of an install,
	// node_modules/.pnpm/lock.yaml (lockfile version 9).
	KindPNPMLock = "pnpm-lock"
	// KindYarnLock is a yarn.lock (classic v1 or Berry); its packages
	// that the node_modules beside it holds are listed.
	KindYarnLock = "yarn-lock"
	// KindPythonDistInfo is a site-packages directory; every *.dist-info
	// in it is an installed distribution.
	KindPythonDistInfo = "python-dist-info"
	// KindRustBinary is a Rust executable with cargo-auditable's .dep-v0
	// section.
	KindRustBinary = "rust-binary"
)

// Source says where in the image a reader of Kind finds its metadata.
type Source struct {
	Kind string
	Path string // absolute path in the image
	// App and AppVersion name the application a source's packages belong
	// to when the source does not say (a virtual environment has no name):
	// its packages become dependencies of that application.
	App, AppVersion string
}

// Package is one component found in the image.
type Package struct {
	Name    string
	Version string // "" when the build did not record one
	PURL    string // package URL; what scanners match on
	// Purpose is the SPDX primaryPackagePurpose: APPLICATION, LIBRARY, ...
	Purpose   string
	Checksums []Checksum
	// Supplier is "Person: name (email)" or "Organization: name"; "" unknown.
	Supplier string
	Homepage string
	// License is the declared SPDX license expression; "" is NOASSERTION.
	License string
	// SourceInfo says how the package was found.
	SourceInfo string
	// FileName is the path in the image of a package that is one file
	// (an executable).
	FileName string
	// DependsOn lists what this package was built from (a binary's modules).
	DependsOn []Package
}

// Checksum is a digest of a package, with its SPDX algorithm name.
type Checksum struct {
	Algorithm string // SHA256, SHA1, ...
	Value     string // lower-case hex
}

// Reader reads one kind of source from the image at fsys. A reader whose
// source may legitimately be absent (a base without dpkg data) returns no
// packages and no error; one whose source must exist fails.
type Reader func(fsys fs.FS, path string) ([]Package, error)

var readers = map[string]Reader{
	KindGoBinary:       readGoBinary,
	KindDpkgStatus:     readDpkgStatus,
	KindNPMLock:        readNPMLock,
	KindPNPMLock:       readPNPMLock,
	KindYarnLock:       readYarnLock,
	KindPythonDistInfo: readDistInfo,
	KindRustBinary:     readRustBinary,
}

// Readable reports whether a reader exists for kind.
func Readable(kind string) bool {
	_, ok := readers[kind]
	return ok
}

// Kinds lists the kinds a reader exists for.
func Kinds() []string {
	out := make([]string, 0, len(readers))
	for k := range readers {
		out = append(out, k)
	}
	return out
}

// Read runs the reader of every source and returns what they found, in
// source order.
func Read(fsys fs.FS, sources []Source) ([]Package, error) {
	var out []Package
	for _, src := range sources {
		pkgs, err := readSource(fsys, src)
		if err != nil {
			return nil, err
		}
		out = append(out, pkgs...)
	}
	return out, nil
}

func readSource(fsys fs.FS, src Source) (pkgs []Package, err error) {
	read, ok := readers[src.Kind]
	if !ok {
		return nil, fmt.Errorf("sbom: no reader for %q (%s)", src.Kind, src.Path)
	}
	p, err := fsPath(src.Path)
	if err != nil {
		return nil, err
	}
	// Image content is hostile; a bug in a parser must not take the
	// build down with a panic.
	defer func() {
		if r := recover(); r != nil {
			pkgs = nil
			err = fmt.Errorf("sbom: reading %s %s: internal error: %v\n%s", src.Kind, src.Path, r, debug.Stack())
		}
	}()
	pkgs, err = read(fsys, p)
	if err != nil {
		return nil, fmt.Errorf("sbom: reading %s %s: %w", src.Kind, src.Path, err)
	}
	return ownedBy(src, pkgs), nil
}

// ownedBy makes pkgs dependencies of src.App unless the source named its
// application itself, so every language's packages hang off an
// application the image contains, as a Go binary's modules do.
func ownedBy(src Source, pkgs []Package) []Package {
	if src.App == "" {
		return pkgs
	}
	for _, p := range pkgs {
		if p.Purpose == "APPLICATION" {
			return pkgs
		}
	}
	return []Package{{
		Name:       src.App,
		Version:    src.AppVersion,
		PURL:       packageurl.NewPackageURL(packageurl.TypeGeneric, "", src.App, src.AppVersion, nil, "").ToString(),
		Purpose:    "APPLICATION",
		SourceInfo: fmt.Sprintf("the image's application; %s %s lists what it depends on", src.Kind, src.Path),
		DependsOn:  pkgs,
	}}
}

// fsPath turns an absolute image path into an fs.FS name.
func fsPath(p string) (string, error) {
	if !strings.HasPrefix(p, "/") {
		return "", fmt.Errorf("sbom: source path %q is not absolute", p)
	}
	name := strings.TrimPrefix(path.Clean(p), "/")
	if name == "" {
		name = "."
	}
	if !fs.ValidPath(name) {
		return "", fmt.Errorf("sbom: source path %q is not valid", p)
	}
	return name, nil
}
