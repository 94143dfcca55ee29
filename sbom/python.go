package sbom

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/textproto"
	"path"
	"regexp"
	"strings"

	"github.com/package-url/packageurl-go"
)

// Bounds for a virtual environment's metadata.
const (
	maxSitePackages = 100000  // entries in site-packages
	maxDistMetadata = 1 << 20 // the head of one METADATA file
)

var (
	// pyName is a distribution name as PEP 508 allows it.
	pyName = regexp.MustCompile(`^(?i:[a-z0-9]|[a-z0-9][a-z0-9._-]{0,200}[a-z0-9])$`)
	// pyVersion is loose on purpose (PEP 440 has local and legacy forms);
	// it only keeps out what no version contains.
	pyVersion   = regexp.MustCompile(`^[A-Za-z0-9.+!_-]{1,128}$`)
	pyNameRunes = regexp.MustCompile(`[-_.]+`)
)

// readDistInfo lists the distributions installed in a site-packages
// directory, one per *.dist-info directory, by the Name and Version of its
// METADATA. The directory must exist: the build put it there.
func readDistInfo(fsys fs.FS, name string) ([]Package, error) {
	entries, err := fs.ReadDir(fsys, name)
	if err != nil {
		return nil, err
	}
	if len(entries) > maxSitePackages {
		return nil, fmt.Errorf("/%s: %d entries, more than the %d site-packages may have here", name, len(entries), maxSitePackages)
	}
	var pkgs []Package
	for _, e := range entries {
		if !e.IsDir() || !strings.HasSuffix(e.Name(), ".dist-info") {
			continue
		}
		file := path.Join(name, e.Name(), "METADATA")
		p, err := distPackage(fsys, file)
		if err != nil {
			return nil, fmt.Errorf("/%s: %w", file, err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs, nil
}

// distPackage reads the headers of one METADATA file (the body is the long
// description, which may be large and is not needed).
func distPackage(fsys fs.FS, file string) (Package, error) {
	f, err := fsys.Open(file)
	if err != nil {
		return Package{}, err
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil {
		return Package{}, err
	} else if !st.Mode().IsRegular() {
		return Package{}, fmt.Errorf("not a regular file (%s)", st.Mode().Type())
	}
	dt, err := io.ReadAll(io.LimitReader(f, maxDistMetadata))
	if err != nil {
		return Package{}, err
	}
	dt = bytes.ReplaceAll(dt, []byte("\r\n"), []byte("\n"))
	head, _, complete := bytes.Cut(dt, []byte("\n\n"))
	if !complete && len(dt) >= maxDistMetadata {
		return Package{}, fmt.Errorf("no end of the headers in the first %d bytes", maxDistMetadata)
	}
	hdr, err := textproto.NewReader(bufio.NewReader(bytes.NewReader(append(head, "\n\n"...)))).ReadMIMEHeader()
	if err != nil && !errors.Is(err, io.EOF) {
		return Package{}, fmt.Errorf("headers: %w", err)
	}
	name, version := strings.TrimSpace(hdr.Get("Name")), strings.TrimSpace(hdr.Get("Version"))
	switch {
	case !pyName.MatchString(name):
		return Package{}, fmt.Errorf("the Name %q is not a Python distribution name", clip(name))
	case !pyVersion.MatchString(version):
		return Package{}, fmt.Errorf("distribution %s: Version %q is not a Python version", name, clip(version))
	}
	p := Package{
		Name:       name,
		Version:    version,
		PURL:       packageurl.NewPackageURL(packageurl.TypePyPi, "", pyNormalize(name), version, nil, "").ToString(),
		Purpose:    "LIBRARY",
		SourceInfo: "Python distribution, metadata /" + file,
	}
	return p, nil
}

// pyNormalize is PEP 503's normalized name, which the pypi purl uses.
func pyNormalize(name string) string {
	return strings.ToLower(pyNameRunes.ReplaceAllString(name, "-"))
}
