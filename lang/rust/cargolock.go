package rust

import (
	"bytes"
	"compress/zlib"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/org/safe-frontend/rules"
)

// The image carries no Cargo.lock: the binary says what it was built from
// instead, in the section cargo-auditable defines (.dep-v0: zlib-compressed
// JSON), which image scanners read from Rust binaries. The list is the
// lock's dependency graph walked from the built package, without the
// dev-dependencies of the workspace's own packages.

// cargoAuditSection is the ELF section cargo-auditable writes.
const cargoAuditSection = ".dep-v0"

// maxCargoLockPackages bounds what a lock may list; real ones list
// hundreds.
const maxCargoLockPackages = 20000

type cargoLockFile struct {
	Version int                `toml:"version"`
	Package []cargoLockPackage `toml:"package"`
}

type cargoLockPackage struct {
	Name         string   `toml:"name"`
	Version      string   `toml:"version"`
	Source       string   `toml:"source"`
	Dependencies []string `toml:"dependencies"`
}

// auditPackage is one entry of cargo-auditable's format.
type auditPackage struct {
	Name         string `json:"name"`
	Version      string `json:"version"`
	Source       string `json:"source"`
	Kind         string `json:"kind,omitempty"`
	Dependencies []int  `json:"dependencies,omitempty"`
	Root         bool   `json:"root,omitempty"`
}

// cargoAudit returns the compressed .dep-v0 content for package pkg.
// devDeps names, per local package, the dependencies it has only for
// tests, and buildDeps the ones only its build script uses.
func cargoAudit(lockData []byte, pkg string, devDeps, buildDeps map[string]map[string]bool) ([]byte, error) {
	lock, err := readCargoLock(lockData)
	if err != nil {
		return nil, err
	}
	root, err := lock.rootPackage(pkg)
	if err != nil {
		return nil, err
	}
	kind, edges, err := lock.walk(root, devDeps, buildDeps)
	if err != nil {
		return nil, err
	}
	return encodeAuditSection(lock.auditPackages(root, kind, edges))
}

// lockError is a refusal of Cargo.lock.
func lockError(format string, args ...any) error {
	return cargoError(rules.CargoManifest, "language", "Cargo.lock: "+format, args...)
}

// cargoLockIndex is a parsed lock with its packages indexed by name.
type cargoLockIndex struct {
	pkgs   []cargoLockPackage
	byName map[string][]int // name -> indexes in pkgs
}

// readCargoLock parses the lock; the lock comes from the context, so its
// size is bounded and every package must have a name and a version.
func readCargoLock(lockData []byte) (*cargoLockIndex, error) {
	var lock cargoLockFile
	if err := decodeTOML(cargoLock, lockData, &lock); err != nil {
		return nil, cargoError(rules.CargoManifest, "language", "%v", err)
	}
	if len(lock.Package) > maxCargoLockPackages {
		return nil, lockError("more than %d packages", maxCargoLockPackages)
	}
	byName := map[string][]int{}
	for i, p := range lock.Package {
		if p.Name == "" || p.Version == "" {
			return nil, lockError("package %d has no name or version", i+1)
		}
		byName[p.Name] = append(byName[p.Name], i)
	}
	return &cargoLockIndex{pkgs: lock.Package, byName: byName}, nil
}

// rootPackage finds the built package: the local one (no source) named
// pkg.
func (l *cargoLockIndex) rootPackage(pkg string) (int, error) {
	root := -1
	for _, i := range l.byName[pkg] {
		if l.pkgs[i].Source == "" {
			root = i
		}
	}
	if root < 0 {
		return 0, lockError("does not list package %q; run cargo update --workspace and commit the lock", pkg)
	}
	return root, nil
}

// resolve finds the package a dependency entry ("name", "name version" or
// "name version (source)") of from names; it must name exactly one.
func (l *cargoLockIndex) resolve(from, dep string) (int, error) {
	f := strings.Fields(dep)
	if len(f) == 0 {
		return 0, lockError("%s has an empty dependency", from)
	}
	var match []int
	for _, c := range l.byName[f[0]] {
		p := l.pkgs[c]
		if len(f) >= 2 && p.Version != f[1] {
			continue
		}
		if len(f) >= 3 && "("+p.Source+")" != strings.Join(f[2:], " ") {
			continue
		}
		match = append(match, c)
	}
	if len(match) != 1 {
		return 0, lockError("%s depends on %q, which names %d packages of the lock; regenerate the lock with cargo", from, dep, len(match))
	}
	return match[0], nil
}

// walk follows the graph from root and returns the kind of every package
// reached and the edges followed. A package reached through a runtime
// edge is runtime, one reached through build edges only is build.
func (l *cargoLockIndex) walk(root int, devDeps, buildDeps map[string]map[string]bool) (map[int]string, map[int][]int, error) {
	kind := map[int]string{root: "runtime"}
	edges := map[int][]int{}
	queue := []int{root}
	for len(queue) > 0 {
		i := queue[0]
		queue = queue[1:]
		for _, dep := range l.pkgs[i].Dependencies {
			j, k, err := l.edge(i, kind[i], dep, devDeps, buildDeps)
			if err != nil {
				return nil, nil, err
			}
			if j < 0 {
				continue
			}
			edges[i] = append(edges[i], j)
			switch prev, seen := kind[j]; {
			case !seen:
				kind[j] = k
				queue = append(queue, j)
			case prev == "build" && k == "runtime":
				kind[j] = k
				queue = append(queue, j) // its dependencies become runtime too
			}
		}
	}
	return kind, edges, nil
}

// edge resolves dependency entry dep of package i, of kind k, to the
// package it names and the kind it passes on. The dev-dependencies of
// the workspace's own packages are not in the binary (j < 0); their
// build-dependencies are build edges.
func (l *cargoLockIndex) edge(i int, k, dep string, devDeps, buildDeps map[string]map[string]bool) (int, string, error) {
	p := l.pkgs[i]
	f := strings.Fields(dep)
	if len(f) == 0 {
		return 0, "", lockError("%s %s has an empty dependency; regenerate the lock with cargo", p.Name, p.Version)
	}
	name := f[0]
	if p.Source == "" && devDeps[p.Name][name] {
		return -1, "", nil
	}
	j, err := l.resolve(p.Name+" "+p.Version, dep)
	if err != nil {
		return 0, "", err
	}
	if p.Source == "" && buildDeps[p.Name][name] {
		k = "build"
	}
	return j, k, nil
}

// auditPackages lists the packages walked in cargo-auditable's format,
// with dependencies as positions in the list.
func (l *cargoLockIndex) auditPackages(root int, kind map[int]string, edges map[int][]int) []auditPackage {
	idx := l.auditOrder(kind)
	pos := map[int]int{}
	for n, i := range idx {
		pos[i] = n
	}
	var out []auditPackage
	for _, i := range idx {
		p := l.pkgs[i]
		ap := auditPackage{Name: p.Name, Version: p.Version, Source: auditSource(p.Source), Root: i == root}
		if kind[i] == "build" {
			ap.Kind = "build"
		}
		seen := map[int]bool{}
		for _, j := range edges[i] {
			if !seen[pos[j]] {
				seen[pos[j]] = true
				ap.Dependencies = append(ap.Dependencies, pos[j])
			}
		}
		sort.Ints(ap.Dependencies)
		out = append(out, ap)
	}
	return out
}

// auditOrder is cargo-auditable's order of the packages walked: sorted by
// name, version, source.
func (l *cargoLockIndex) auditOrder(kind map[int]string) []int {
	idx := make([]int, 0, len(kind))
	for i := range kind {
		idx = append(idx, i)
	}
	sort.Slice(idx, func(a, b int) bool {
		pa, pb := l.pkgs[idx[a]], l.pkgs[idx[b]]
		if pa.Name != pb.Name {
			return pa.Name < pb.Name
		}
		if pa.Version != pb.Version {
			return pa.Version < pb.Version
		}
		return pa.Source < pb.Source
	})
	return idx
}

// encodeAuditSection is the section's content: the list as JSON,
// zlib-compressed.
func encodeAuditSection(pkgs []auditPackage) ([]byte, error) {
	out := struct {
		Packages []auditPackage `json:"packages"`
	}{Packages: pkgs}
	js, err := json.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("encoding the dependency list: %w", err)
	}
	var buf bytes.Buffer
	zw, err := zlib.NewWriterLevel(&buf, zlib.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(js); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// auditSource maps a lock source to cargo-auditable's kinds.
func auditSource(s string) string {
	switch {
	case s == "":
		return "local"
	case s == "registry+https://github.com/rust-lang/crates.io-index", s == "sparse+https://index.crates.io/":
		return "crates.io"
	case strings.HasPrefix(s, "git+"):
		return "git"
	case strings.HasPrefix(s, "registry+"), strings.HasPrefix(s, "sparse+"):
		return "registry"
	}
	return "other"
}

// dependencyKinds lists, for each local package, the dependencies it has
// only as dev-dependencies and only as build-dependencies, by the package
// name the lock uses.
func (p *cargoPlan) dependencyKinds() (dev, build map[string]map[string]bool) {
	dev, build = map[string]map[string]bool{}, map[string]map[string]bool{}
	for _, m := range p.manifests {
		if m.Package == nil {
			continue
		}
		normal, d, b := map[string]bool{}, map[string]bool{}, map[string]bool{}
		collect := func(into map[string]bool, deps map[string]any) {
			for key, v := range deps {
				name := key
				if t, ok := v.(map[string]any); ok {
					if pn, ok := t["package"].(string); ok && pn != "" {
						name = pn
					}
				}
				into[name] = true
			}
		}
		collect(normal, m.Dependencies)
		collect(d, m.DevDependencies)
		collect(b, m.BuildDependencies)
		for _, t := range m.Target {
			collect(normal, t.Dependencies)
			collect(d, t.DevDependencies)
			collect(b, t.BuildDependencies)
		}
		devOnly, buildOnly := map[string]bool{}, map[string]bool{}
		for n := range d {
			if !normal[n] && !b[n] {
				devOnly[n] = true
			}
		}
		for n := range b {
			if !normal[n] {
				buildOnly[n] = true
			}
		}
		dev[m.Package.Name], build[m.Package.Name] = devOnly, buildOnly
	}
	return dev, build
}
