package sbom

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"strings"

	"github.com/package-url/packageurl-go"

	"github.com/org/safe-frontend/lang"
)

// Bounds for npm's hidden lockfile; a large app has a few thousand
// packages and a lockfile of a few MB.
const (
	maxNPMLock     = 64 << 20
	maxNPMPackages = 100000
)

// npmName is a package name as npm accepts it: lower case, URL-safe,
// optionally scoped.
var npmName = regexp.MustCompile(`^(@[a-z0-9~][a-z0-9._~-]*/)?[a-z0-9~][a-z0-9._~-]*$`)

// npmLock is the part of node_modules/.package-lock.json the SBOM reads.
type npmLock struct {
	Name     string                    `json:"name"`
	Version  string                    `json:"version"`
	Packages map[string]npmLockPackage `json:"packages"`
}

type npmLockPackage struct {
	Name      string `json:"name"`
	Version   string `json:"version"`
	Resolved  string `json:"resolved"`
	Integrity string `json:"integrity"`
	Dev       bool   `json:"dev"`
	Link      bool   `json:"link"`
}

// readNPMLock lists what npm installed into node_modules, from the hidden
// lockfile npm writes there: it describes node_modules as it is, not what
// package.json would like. The app is the lockfile's own name.
func readNPMLock(fsys fs.FS, name string) ([]Package, error) {
	file := "/" + name
	dt, err := readRegular(fsys, name, maxNPMLock)
	if err != nil {
		return nil, err
	}
	if err := checkShape(file, dt, lang.FormatJSON); err != nil {
		return nil, err
	}
	var lock npmLock
	if err := json.Unmarshal(dt, &lock); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if len(lock.Packages) > maxNPMPackages {
		return nil, fmt.Errorf("%s: %d packages, more than the %d a lockfile may have here", file, len(lock.Packages), maxNPMPackages)
	}
	keys := make([]string, 0, len(lock.Packages))
	for k := range lock.Packages {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var deps []Package
	for _, key := range keys {
		e := lock.Packages[key]
		// "" is the app itself; a link points at a directory whose own
		// entry is listed under its real path.
		if key == "" || e.Link {
			continue
		}
		i := strings.LastIndex(key, "node_modules/")
		if i < 0 {
			// A workspace directory, not an installed package.
			continue
		}
		pkgName := key[i+len("node_modules/"):]
		if e.Name != "" {
			// An alias (npm:other@1) is installed under the alias.
			pkgName = e.Name
		}
		if !npmName.MatchString(pkgName) {
			return nil, fmt.Errorf("%s: packages[%q]: %q is not an npm package name", file, clip(key), clip(pkgName))
		}
		if e.Version == "" {
			return nil, fmt.Errorf("%s: packages[%q] has no version", file, clip(key))
		}
		info := fmt.Sprintf("npm package %s, from %s", key, file)
		if e.Dev {
			// The final holds production dependencies only; if one is
			// marked dev it is still in the image, so it is listed.
			info += " (marked dev)"
		}
		p := Package{
			Name:       pkgName,
			Version:    e.Version,
			PURL:       npmPURL(pkgName, e.Version),
			Purpose:    "LIBRARY",
			SourceInfo: info,
		}
		if c, ok := sriChecksum(e.Integrity); ok {
			p.Checksums = []Checksum{c}
		}
		deps = append(deps, p)
	}
	if lock.Name == "" {
		return deps, nil
	}
	if !npmName.MatchString(lock.Name) {
		return nil, fmt.Errorf("%s: name %q is not an npm package name", file, clip(lock.Name))
	}
	return []Package{{
		Name:       lock.Name,
		Version:    lock.Version,
		PURL:       npmPURL(lock.Name, lock.Version),
		Purpose:    "APPLICATION",
		SourceInfo: "npm app, named by " + file,
		DependsOn:  deps,
	}}, nil
}

// npmPURL is pkg:npm/<name>@<version>; a scope is the namespace, its "@"
// percent-encoded as the purl spec asks.
func npmPURL(name, version string) string {
	ns, n := "", name
	if strings.HasPrefix(name, "@") {
		ns, n, _ = strings.Cut(name, "/")
	}
	return packageurl.NewPackageURL(packageurl.TypeNPM, ns, n, version, nil, "").ToString()
}

// sriChecksum turns a "sha512-<base64>" subresource integrity string into
// an SPDX checksum.
func sriChecksum(sri string) (Checksum, bool) {
	// Several hashes may be listed; the first is enough.
	first, _, _ := strings.Cut(strings.TrimSpace(sri), " ")
	alg, b64, ok := strings.Cut(first, "-")
	if !ok {
		return Checksum{}, false
	}
	want := map[string]struct {
		name string
		size int
	}{"sha512": {"SHA512", 64}, "sha384": {"SHA384", 48}, "sha256": {"SHA256", 32}, "sha1": {"SHA1", 20}}[alg]
	if want.name == "" {
		return Checksum{}, false
	}
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(raw) != want.size {
		return Checksum{}, false
	}
	return Checksum{Algorithm: want.name, Value: hex.EncodeToString(raw)}, true
}
