package sbom

import (
	"bytes"
	"debug/buildinfo"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"runtime/debug"
	"strings"

	"github.com/package-url/packageurl-go"
)

// maxGoBinary bounds the executables read; one that cannot be read at
// random offsets is read whole, so the bound is also a memory bound.
const maxGoBinary = 512 << 20

// develVersion is what the build info says for a module built from a
// directory rather than a version (the main module, local replacements).
const develVersion = "(devel)"

// readGoBinary lists the modules a Go executable was linked from, as its
// build info records them: paths, versions, go.sum hashes, replacements,
// and the toolchain's standard library.
func readGoBinary(fsys fs.FS, name string) ([]Package, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("not a regular file (%s)", st.Mode().Type())
	}
	if st.Size() > maxGoBinary {
		return nil, fmt.Errorf("%d bytes is more than the %d bytes an executable may have here", st.Size(), maxGoBinary)
	}
	ra, ok := f.(io.ReaderAt)
	if !ok {
		dt, err := io.ReadAll(io.LimitReader(f, maxGoBinary+1))
		if err != nil {
			return nil, err
		}
		if len(dt) > maxGoBinary {
			return nil, errors.New("the executable grew while it was read")
		}
		ra = bytes.NewReader(dt)
	}
	tr := &trackingReaderAt{r: ra}
	info, err := buildinfo.Read(tr)
	if err != nil {
		// buildinfo reports a failed read as "unrecognized file format";
		// the read error says what really happened.
		if tr.err != nil {
			return nil, tr.err
		}
		return nil, fmt.Errorf("no Go build info: %w", err)
	}
	return []Package{goPackages(info, "/"+name)}, nil
}

// trackingReaderAt remembers the first read error other than EOF.
type trackingReaderAt struct {
	r   io.ReaderAt
	err error
}

func (t *trackingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	n, err := t.r.ReadAt(p, off)
	if err != nil && !errors.Is(err, io.EOF) && t.err == nil {
		t.err = err
	}
	return n, err
}

// goPackages turns build info into the executable's package, which depends
// on every module and on the standard library.
func goPackages(info *debug.BuildInfo, file string) Package {
	main := info.Main
	if main.Path == "" {
		// `go build file.go` records no main module, only the package path.
		main.Path = info.Path
	}
	bin := Package{
		Name:       main.Path,
		Version:    goVersion(main.Version),
		Purpose:    "APPLICATION",
		FileName:   file,
		SourceInfo: fmt.Sprintf("Go executable %s; main module from its build info", file),
	}
	bin.PURL = golangPURL(bin.Name, bin.Version)
	for _, dep := range info.Deps {
		if dep == nil || dep.Path == "" {
			continue
		}
		bin.DependsOn = append(bin.DependsOn, goModule(dep, file))
	}
	if std, ok := goStdlib(info.GoVersion, file); ok {
		bin.DependsOn = append(bin.DependsOn, std)
	}
	return bin
}

// goModule is one dependency. A replaced module is what was linked: the
// replacement's path and version, unless it is a local directory, which
// has neither a path of its own nor a version.
func goModule(dep *debug.Module, file string) Package {
	name, version, sum := dep.Path, goVersion(dep.Version), dep.Sum
	info := fmt.Sprintf("Go module linked into %s, from its build info", file)
	if r := dep.Replace; r != nil {
		local := strings.HasPrefix(r.Path, ".") || strings.HasPrefix(r.Path, "/")
		if !local {
			name = r.Path
		}
		version, sum = goVersion(r.Version), r.Sum
		info += fmt.Sprintf("; replaces %s %s with %s", dep.Path, dep.Version, strings.TrimSpace(r.Path+" "+r.Version))
	}
	if sum != "" {
		info += "; go.sum " + sum
	}
	p := Package{
		Name:       name,
		Version:    version,
		PURL:       golangPURL(name, version),
		Purpose:    "LIBRARY",
		SourceInfo: info,
	}
	if c, ok := h1Checksum(sum); ok {
		p.Checksums = []Checksum{c}
	}
	return p
}

// goStdlib is the standard library of the toolchain that linked the
// binary; scanners match Go's own advisories against pkg:golang/stdlib.
func goStdlib(goVersionLine, file string) (Package, bool) {
	// "go1.26.8" or "go1.26.8 X:experiment".
	v, _, _ := strings.Cut(strings.TrimSpace(goVersionLine), " ")
	if !strings.HasPrefix(v, "go") || len(v) < 3 {
		return Package{}, false
	}
	return Package{
		Name:       "stdlib",
		Version:    v,
		PURL:       golangPURL("stdlib", strings.TrimPrefix(v, "go")),
		Purpose:    "LIBRARY",
		License:    "BSD-3-Clause",
		SourceInfo: fmt.Sprintf("Go standard library of the toolchain that built %s (%s)", file, v),
	}, true
}

func goVersion(v string) string {
	if v == develVersion {
		return ""
	}
	return v
}

// golangPURL is pkg:golang/<module path>@<version>; the path's last element
// is the name, the rest the namespace.
func golangPURL(modPath, version string) string {
	ns, name := "", modPath
	if i := strings.LastIndex(modPath, "/"); i >= 0 {
		ns, name = modPath[:i], modPath[i+1:]
	}
	return packageurl.NewPackageURL(packageurl.TypeGolang, ns, name, version, nil, "").ToString()
}

// h1Checksum turns a go.sum "h1:" hash (SHA-256 over the module's file
// list) into the SPDX checksum form tools compare.
func h1Checksum(sum string) (Checksum, bool) {
	b64, ok := strings.CutPrefix(sum, "h1:")
	if !ok {
		return Checksum{}, false
	}
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(raw) != 32 {
		return Checksum{}, false
	}
	return Checksum{Algorithm: "SHA256", Value: hex.EncodeToString(raw)}, true
}
