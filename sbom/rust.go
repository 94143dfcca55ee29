package sbom

import (
	"bytes"
	"compress/zlib"
	"debug/elf"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"regexp"

	"github.com/package-url/packageurl-go"
)

// cargoAuditSection is the ELF section cargo-auditable defines: the
// crates a binary was built from, as zlib-compressed JSON.
const cargoAuditSection = ".dep-v0"

// Bounds for the dependency list; real ones are a few KB compressed.
const (
	maxRustBinary   = 512 << 20
	maxAuditSection = 8 << 20
	maxAuditJSON    = 32 << 20
	maxAuditCrates  = 100000
)

var (
	crateName    = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	crateVersion = regexp.MustCompile(`^[0-9A-Za-z.+-]{1,128}$`)
)

type auditInfo struct {
	Packages []auditCrate `json:"packages"`
}

type auditCrate struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Source  string `json:"source"`
	Kind    string `json:"kind"`
	Root    bool   `json:"root"`
}

// readRustBinary lists the crates a Rust executable was built from, as
// its .dep-v0 section records them. The root crate is the executable
// itself; build-only crates (build scripts, proc macros' helpers) are not
// linked into it and are left out.
func readRustBinary(fsys fs.FS, name string) ([]Package, error) {
	file := "/" + name
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	ra, err := readerAt(f, maxRustBinary)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	ef, err := elf.NewFile(ra)
	if err != nil {
		return nil, fmt.Errorf("%s: not an ELF executable: %w", file, err)
	}
	sec := ef.Section(cargoAuditSection)
	if sec == nil || sec.Type == elf.SHT_NOBITS {
		return nil, fmt.Errorf("%s: no %s section with the crates it was built from", file, cargoAuditSection)
	}
	if sec.Size > maxAuditSection {
		return nil, fmt.Errorf("%s: %s is %d bytes, more than the %d it may have here", file, cargoAuditSection, sec.Size, maxAuditSection)
	}
	zr, err := zlib.NewReader(sec.Open())
	if err != nil {
		return nil, fmt.Errorf("%s: %s: %w", file, cargoAuditSection, err)
	}
	js, err := io.ReadAll(io.LimitReader(zr, maxAuditJSON+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %s: %w", file, cargoAuditSection, err)
	}
	if len(js) > maxAuditJSON {
		return nil, fmt.Errorf("%s: %s inflates to more than %d bytes", file, cargoAuditSection, maxAuditJSON)
	}
	var info auditInfo
	if err := json.Unmarshal(js, &info); err != nil {
		return nil, fmt.Errorf("%s: %s: %w", file, cargoAuditSection, err)
	}
	if len(info.Packages) > maxAuditCrates {
		return nil, fmt.Errorf("%s: %s lists %d crates, more than the %d it may here", file, cargoAuditSection, len(info.Packages), maxAuditCrates)
	}
	var root *Package
	var deps []Package
	for i, c := range info.Packages {
		switch {
		case !crateName.MatchString(c.Name):
			return nil, fmt.Errorf("%s: %s: package %d: %q is not a crate name", file, cargoAuditSection, i, clip(c.Name))
		case !crateVersion.MatchString(c.Version):
			return nil, fmt.Errorf("%s: %s: crate %s: %q is not a version", file, cargoAuditSection, c.Name, clip(c.Version))
		}
		p := Package{
			Name:    c.Name,
			Version: c.Version,
			PURL:    packageurl.NewPackageURL(packageurl.TypeCargo, "", c.Name, c.Version, nil, "").ToString(),
			Purpose: "LIBRARY",
		}
		if c.Root {
			if root != nil {
				return nil, fmt.Errorf("%s: %s has two root crates, %s and %s", file, cargoAuditSection, root.Name, c.Name)
			}
			p.Purpose, p.FileName = "APPLICATION", file
			p.SourceInfo = fmt.Sprintf("Rust executable %s; root crate of its %s section", file, cargoAuditSection)
			root = &p
			continue
		}
		if c.Kind == "build" {
			continue
		}
		p.SourceInfo = fmt.Sprintf("crate from %s linked into %s, from its %s section", sourceName(c.Source), file, cargoAuditSection)
		deps = append(deps, p)
	}
	if root == nil {
		return deps, nil
	}
	root.DependsOn = deps
	return []Package{*root}, nil
}

func sourceName(s string) string {
	switch s {
	case "crates.io", "git", "local", "registry":
		return s
	}
	return "another source"
}

// readerAt gives random access to f, reading it whole (up to limit) when
// it has none of its own.
func readerAt(f fs.File, limit int64) (io.ReaderAt, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("not a regular file (%s)", st.Mode().Type())
	}
	if st.Size() > limit {
		return nil, fmt.Errorf("%d bytes is more than the %d bytes an executable may have here", st.Size(), limit)
	}
	if ra, ok := f.(io.ReaderAt); ok {
		return io.NewSectionReader(ra, 0, st.Size()), nil
	}
	dt, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(dt)) > limit {
		return nil, errors.New("the executable grew while it was read")
	}
	return bytes.NewReader(dt), nil
}
