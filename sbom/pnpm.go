package sbom

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/org/safe-frontend/lang"
)

// Bounds for pnpm's and yarn's lockfiles, as for npm's.
const (
	maxNodeLock     = 64 << 20
	maxLockPackages = 100000
	// A pnpm lockfile is one YAML document, or two since pnpm 11 (the
	// package manager's own, then the project's).
	maxPNPMDocuments = 4
)

// pnpmLock is the part of a pnpm lockfile (v9) the SBOM reads.
type pnpmLock struct {
	LockfileVersion string                  `yaml:"lockfileVersion"`
	Importers       map[string]pnpmImporter `yaml:"importers"`
	Packages        map[string]pnpmPackage  `yaml:"packages"`
}

type pnpmImporter struct {
	// Set in the document that pins pnpm itself, not the project's.
	PackageManagerDependencies map[string]yaml.Node `yaml:"packageManagerDependencies"`
}

type pnpmPackage struct {
	Name       string `yaml:"name"`
	Version    string `yaml:"version"`
	Resolution struct {
		Integrity string `yaml:"integrity"`
		Tarball   string `yaml:"tarball"`
	} `yaml:"resolution"`
}

// readPNPMLock lists what pnpm installed, from the lockfile pnpm keeps in
// node_modules/.pnpm/lock.yaml: it describes the install as it is (a
// production install leaves the devDependencies out of it).
func readPNPMLock(fsys fs.FS, name string) ([]Package, error) {
	file := "/" + name
	dt, err := readRegular(fsys, name, maxNodeLock)
	if err != nil {
		return nil, err
	}
	if err := checkShape(file, dt, lang.FormatYAML); err != nil {
		return nil, err
	}
	dec := yaml.NewDecoder(bytes.NewReader(dt))
	seen := map[string]bool{}
	var deps []Package
	for doc := 1; ; doc++ {
		var lock pnpmLock
		err := dec.Decode(&lock)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		if doc > maxPNPMDocuments {
			return nil, fmt.Errorf("%s: more than %d YAML documents", file, maxPNPMDocuments)
		}
		if lock.pinsPNPM() {
			continue // pnpm itself: not installed into the app
		}
		if major, _, _ := strings.Cut(lock.LockfileVersion, "."); major != "9" {
			return nil, fmt.Errorf("%s: lockfileVersion %q; the SBOM reads pnpm's version 9 lockfiles (pnpm 9 and later)", file, clip(lock.LockfileVersion))
		}
		if len(lock.Packages)+len(deps) > maxLockPackages {
			return nil, fmt.Errorf("%s: more than the %d packages a lockfile may have here", file, maxLockPackages)
		}
		keys := make([]string, 0, len(lock.Packages))
		for k := range lock.Packages {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, key := range keys {
			e := lock.Packages[key]
			pkgName, version, ok := splitNameVersion(key)
			if !ok {
				return nil, fmt.Errorf("%s: packages[%q] is not name@version", file, clip(key))
			}
			if e.Name != "" {
				pkgName = e.Name
			}
			if e.Version != "" {
				version = e.Version
			}
			if !npmName.MatchString(pkgName) {
				return nil, fmt.Errorf("%s: packages[%q]: %q is not an npm package name", file, clip(key), clip(pkgName))
			}
			if version == "" {
				return nil, fmt.Errorf("%s: packages[%q] has no version", file, clip(key))
			}
			if seen[pkgName+"@"+version] {
				continue
			}
			seen[pkgName+"@"+version] = true
			p := Package{
				Name:       pkgName,
				Version:    version,
				PURL:       npmPURL(pkgName, version),
				Purpose:    "LIBRARY",
				SourceInfo: fmt.Sprintf("pnpm package %s, from %s", key, file),
			}
			if c, ok := sriChecksum(e.Resolution.Integrity); ok {
				p.Checksums = []Checksum{c}
			}
			deps = append(deps, p)
		}
	}
	return deps, nil
}

// pinsPNPM tells the document that pins pnpm itself (pnpm 11 and later
// write it first) from the project's.
func (l *pnpmLock) pinsPNPM() bool {
	for _, imp := range l.Importers {
		if len(imp.PackageManagerDependencies) > 0 {
			return true
		}
	}
	return false
}

// splitNameVersion splits "name@version" and "@scope/name@version"; a
// peer suffix, "(react@18.0.0)", stays with the version's key, not its
// value.
func splitNameVersion(key string) (name, version string, ok bool) {
	if len(key) < 3 {
		return "", "", false
	}
	i := strings.IndexByte(key[1:], '@')
	if i < 0 {
		return "", "", false
	}
	name, version = key[:i+1], key[i+2:]
	if p := strings.IndexByte(version, '('); p >= 0 {
		version = version[:p]
	}
	return name, version, name != ""
}
