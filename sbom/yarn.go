package sbom

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/org/safe-frontend/lang"
)

// Bounds of the node_modules walk that tells what yarn installed.
const (
	maxModulesEntries = 500000
	maxModulesDepth   = 24
	maxPackageJSON    = 1 << 20
)

// yarnEntry is one resolved package of a yarn.lock, classic or Berry.
type yarnEntry struct {
	key, name, version, integrity string
	line                          int
}

// readYarnLock lists what yarn installed: the yarn.lock's packages (v1,
// yarn classic, or Berry's YAML) that are in the node_modules beside it.
// The lockfile lists every package of the project, devDependencies too;
// node_modules is what a production install left.
func readYarnLock(fsys fs.FS, name string) ([]Package, error) {
	file := "/" + name
	dt, err := readRegular(fsys, name, maxNodeLock)
	if err != nil {
		return nil, err
	}
	if err := checkShape(file, dt, lang.FormatYAML); err != nil {
		return nil, err
	}
	var entries []yarnEntry
	if bytes.Contains(dt, []byte("\n__metadata:")) || bytes.HasPrefix(dt, []byte("__metadata:")) {
		entries, err = parseBerryLock(dt)
	} else {
		entries, err = parseYarnV1Lock(dt)
	}
	if err != nil {
		return nil, fmt.Errorf("%s%w", file, err)
	}
	installed, err := installedModules(fsys, path.Join(path.Dir(name), "node_modules"))
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var deps []Package
	for _, e := range entries {
		id := e.name + "@" + e.version
		if !installed[id] || seen[id] {
			continue
		}
		seen[id] = true
		p := Package{
			Name:       e.name,
			Version:    e.version,
			PURL:       npmPURL(e.name, e.version),
			Purpose:    "LIBRARY",
			SourceInfo: fmt.Sprintf("yarn package %s, from %s line %d, installed in node_modules", clip(e.key), file, e.line),
		}
		if c, ok := sriChecksum(e.integrity); ok {
			p.Checksums = []Checksum{c}
		}
		deps = append(deps, p)
	}
	slices.SortFunc(deps, func(a, b Package) int { return strings.Compare(a.Name+"@"+a.Version, b.Name+"@"+b.Version) })
	return deps, nil
}

// parseYarnV1Lock reads yarn classic's lockfile: blocks of
// `"pattern", pattern:` followed by indented `version "x"`,
// `integrity sha512-...` lines.
func parseYarnV1Lock(dt []byte) ([]yarnEntry, error) {
	var out []yarnEntry
	var cur *yarnEntry
	flush := func() error {
		if cur == nil {
			return nil
		}
		if cur.version == "" {
			return fmt.Errorf(":%d: %q has no version", cur.line, clip(cur.key))
		}
		out = append(out, *cur)
		cur = nil
		return nil
	}
	sc := bufio.NewScanner(bytes.NewReader(dt))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), "\r")
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		if line[0] != ' ' {
			if err := flush(); err != nil {
				return nil, err
			}
			if !strings.HasSuffix(line, ":") {
				return nil, fmt.Errorf(":%d: %q is not a lockfile entry (patterns ending in ':')", n, clip(line))
			}
			patterns := strings.TrimSuffix(line, ":")
			first, _, _ := strings.Cut(patterns, ",")
			first = strings.Trim(strings.TrimSpace(first), `"`)
			name, _, ok := splitNameVersion(first)
			if !ok || !npmName.MatchString(name) {
				return nil, fmt.Errorf(":%d: %q does not start with an npm package name", n, clip(first))
			}
			if len(out) >= maxLockPackages {
				return nil, fmt.Errorf(":%d: more than the %d packages a lockfile may have here", n, maxLockPackages)
			}
			cur = &yarnEntry{key: patterns, name: name, line: n}
			continue
		}
		if cur == nil || strings.HasPrefix(line, "    ") {
			continue // a dependency list's entries
		}
		field, value, _ := strings.Cut(trimmed, " ")
		switch field {
		case "version":
			v, err := strconv.Unquote(value)
			if err != nil {
				v = value
			}
			if v == "" || strings.ContainsAny(v, " \t") {
				return nil, fmt.Errorf(":%d: version %q is not a version", n, clip(value))
			}
			cur.version = v
		case "integrity":
			cur.integrity = strings.Trim(value, `"`)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf(": %w", err)
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return out, nil
}

// berryEntry is one package of a Berry (yarn 2+) lockfile.
type berryEntry struct {
	Version    string `yaml:"version"`
	Resolution string `yaml:"resolution"`
	LinkType   string `yaml:"linkType"`
}

// parseBerryLock reads a Berry lockfile, which is YAML. Workspaces and
// links (linkType soft) are the project's own directories, not packages.
func parseBerryLock(dt []byte) ([]yarnEntry, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(dt, &doc); err != nil {
		return nil, fmt.Errorf(": %w", err)
	}
	if len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, errors.New(": not a mapping of packages")
	}
	m := doc.Content[0]
	if len(m.Content)/2 > maxLockPackages {
		return nil, fmt.Errorf(": more than the %d packages a lockfile may have here", maxLockPackages)
	}
	var out []yarnEntry
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		if k.Value == "__metadata" {
			continue
		}
		var e berryEntry
		if err := v.Decode(&e); err != nil {
			return nil, fmt.Errorf(":%d: %q: %w", k.Line, clip(k.Value), err)
		}
		if e.LinkType == "soft" {
			continue
		}
		name, _, ok := splitNameVersion(e.Resolution)
		if !ok || !npmName.MatchString(name) {
			return nil, fmt.Errorf(":%d: %q: resolution %q does not start with an npm package name", k.Line, clip(k.Value), clip(e.Resolution))
		}
		if e.Version == "" || strings.ContainsAny(e.Version, " \t") {
			return nil, fmt.Errorf(":%d: %q: version %q is not a version", k.Line, clip(k.Value), clip(e.Version))
		}
		// Berry's checksum is of its own zip of the package, not of the
		// registry's tarball: not a checksum of the package as published.
		out = append(out, yarnEntry{key: k.Value, name: name, version: e.Version, line: k.Line})
	}
	return out, nil
}

// installedModules walks a node_modules tree (without following links: a
// workspace package is one) and names every package in it, name@version,
// from its package.json.
func installedModules(fsys fs.FS, root string) (map[string]bool, error) {
	out := map[string]bool{}
	if _, err := fs.Stat(fsys, root); errors.Is(err, fs.ErrNotExist) {
		return out, nil // nothing installed
	}
	seen := 0
	var walk func(dir string, depth int) error
	walk = func(dir string, depth int) error {
		if depth > maxModulesDepth {
			return fmt.Errorf("/%s: node_modules nested more than %d deep", dir, maxModulesDepth)
		}
		ents, err := fs.ReadDir(fsys, dir)
		if err != nil {
			return fmt.Errorf("/%s: %w", dir, err)
		}
		for _, e := range ents {
			if seen++; seen > maxModulesEntries {
				return fmt.Errorf("/%s: more than %d entries in node_modules", root, maxModulesEntries)
			}
			if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
				continue
			}
			p := path.Join(dir, e.Name())
			if strings.HasPrefix(e.Name(), "@") {
				if err := walk(p, depth+1); err != nil {
					return err
				}
				continue
			}
			if err := readInstalled(fsys, p, out); err != nil {
				return err
			}
			nested := path.Join(p, "node_modules")
			if st, err := fs.Stat(fsys, nested); err == nil && st.IsDir() {
				if err := walk(nested, depth+1); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return out, walk(root, 0)
}

// readInstalled adds the package in dir to out, by its package.json.
func readInstalled(fsys fs.FS, dir string, out map[string]bool) error {
	name := path.Join(dir, "package.json")
	dt, err := readRegular(fsys, name, maxPackageJSON)
	if errors.Is(err, fs.ErrNotExist) {
		return nil // a directory that is not a package
	}
	if err != nil {
		return err
	}
	var pj struct {
		Name    string `json:"name"`
		Version string `json:"version"`
	}
	if err := json.Unmarshal(dt, &pj); err != nil {
		return fmt.Errorf("/%s: %w", name, err)
	}
	if pj.Name != "" && pj.Version != "" {
		out[pj.Name+"@"+pj.Version] = true
	}
	return nil
}
