package rust

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"

	toml "github.com/pelletier/go-toml/v2"

	"github.com/org/safe-frontend/lang"
	"github.com/org/safe-frontend/rules"
)

// The cargo build is planned from the manifests alone: which Cargo.toml
// files make up the workspace, which stub targets let the dependencies
// compile without the sources, and which package and binary to build. The
// manifests come from the build context and are hostile: everything is
// bounded, nothing panics, errors name the file, the line and the fix.

const (
	cargoLock = "Cargo.lock"
	// maxCargoPackages bounds a workspace (members and path dependencies).
	maxCargoPackages = 500
	// maxCargoTargets bounds the stub targets of one package.
	maxCargoTargets = 1000
	// cargoManifestDepth is how deep below the context root member
	// manifests are read (ContextFiles asks for that many levels).
	cargoManifestDepth = 3
)

// cargoContextFiles are the context files the plan reads.
func cargoContextFiles() []string {
	out := []string{"Cargo.toml", cargoLock, ".cargo/config.toml", ".cargo/config", rustToolchainToml, rustToolchainLegacy}
	return append(out, lang.NestedPatterns("Cargo.toml", cargoManifestDepth)...)
}

// cargoManifest is the part of a Cargo.toml the plan needs. Unknown keys
// are ignored: cargo, not the frontend, is the judge of a manifest.
type cargoManifest struct {
	Package           *cargoPackage             `toml:"package"`
	Lib               *cargoTarget              `toml:"lib"`
	Bin               []cargoTarget             `toml:"bin"`
	Example           []cargoTarget             `toml:"example"`
	Test              []cargoTarget             `toml:"test"`
	Bench             []cargoTarget             `toml:"bench"`
	Dependencies      map[string]any            `toml:"dependencies"`
	DevDependencies   map[string]any            `toml:"dev-dependencies"`
	BuildDependencies map[string]any            `toml:"build-dependencies"`
	Target            map[string]cargoPlatform  `toml:"target"`
	Patch             map[string]map[string]any `toml:"patch"`
	Workspace         *cargoWorkspace           `toml:"workspace"`
}

type cargoPackage struct {
	Name string `toml:"name"`
	// Build is a path, or false for no build script.
	Build   any    `toml:"build"`
	Links   string `toml:"links"`
	Autolib *bool  `toml:"autolib"`
}

type cargoTarget struct {
	Name    string `toml:"name"`
	Path    string `toml:"path"`
	Harness *bool  `toml:"harness"`
}

type cargoPlatform struct {
	Dependencies      map[string]any `toml:"dependencies"`
	DevDependencies   map[string]any `toml:"dev-dependencies"`
	BuildDependencies map[string]any `toml:"build-dependencies"`
}

type cargoWorkspace struct {
	Members      []string       `toml:"members"`
	Exclude      []string       `toml:"exclude"`
	Dependencies map[string]any `toml:"dependencies"`
}

// cargoConfig is the part of .cargo/config.toml the plan needs: source
// replacement with directories in the context (cargo vendor).
type cargoConfig struct {
	Source map[string]struct {
		Directory     string `toml:"directory"`
		LocalRegistry string `toml:"local-registry"`
	} `toml:"source"`
}

// cargoPlan is what the build plan needs from the manifests.
type cargoPlan struct {
	// Manifests are the context paths of every Cargo.toml of the build,
	// sorted; Configs the cargo configuration files; SourceDirs the
	// context directories sources are replaced with (vendor/).
	Manifests  []string
	Configs    []string
	SourceDirs []string
	// Stubs are generated files that stand in for every target, so the
	// dependencies compile from the manifests alone.
	Stubs []cargoStub
	// Package and Bin are what the app build asks cargo for.
	Package string
	Bin     string
	// manifests are the parsed manifests of the build's packages, by
	// directory.
	manifests map[string]*cargoManifest
}

type cargoStub struct {
	Path string // relative to the context root
	Data string
}

const (
	stubMain = "fn main() {}\n"
	stubLib  = ""
)

// cargoError is a refusal of the plan, with its rule; file and line are
// in the message.
func cargoError(rule, specPath, format string, args ...any) error {
	return &lang.RuleError{Rule: rule, Path: specPath, Msg: fmt.Sprintf(format, args...)}
}

// planCargo reads the manifests in files (context path -> content) and
// plans the build of package pkg (or the default) and binary bin (or the
// package's only one).
func planCargo(files map[string][]byte, pkg, bin, specPath string) (*cargoPlan, error) {
	ws, err := readCargoWorkspace(files, specPath)
	if err != nil {
		return nil, err
	}
	byName, err := ws.packagesByName()
	if err != nil {
		return nil, err
	}
	plan := &cargoPlan{manifests: ws.pkgs}
	if plan.Manifests, plan.Stubs, err = ws.manifestsAndStubs(); err != nil {
		return nil, err
	}
	if plan.Package, err = chooseCargoPackage(pkg, ws.root, byName, specPath); err != nil {
		return nil, err
	}
	selDir := byName[plan.Package]
	if plan.Bin, err = chooseCargoBin(bin, plan.Package, ws.pkgs[selDir], path.Join(selDir, "Cargo.toml"), specPath); err != nil {
		return nil, err
	}
	if plan.Configs, plan.SourceDirs, err = cargoSourceDirs(files, specPath); err != nil {
		return nil, err
	}
	return plan, nil
}

// manifestError is a refusal of the manifests under the CargoManifest rule.
func manifestError(specPath, format string, args ...any) error {
	return cargoError(rules.CargoManifest, specPath, format, args...)
}

// cargoPackages gathers the manifests of every package the build needs:
// the root package, the workspace members and, transitively, their path
// dependencies.
type cargoPackages struct {
	files    map[string][]byte
	specPath string
	root     *cargoManifest
	// pkgs are the packages found so far, by directory; queue the ones
	// whose path dependencies are still to be read.
	pkgs  map[string]*cargoManifest
	queue []string
}

func (ws *cargoPackages) bad(format string, args ...any) error {
	return manifestError(ws.specPath, format, args...)
}

// readCargoWorkspace reads the root manifest and every manifest the
// build needs.
func readCargoWorkspace(files map[string][]byte, specPath string) (*cargoPackages, error) {
	root, err := readCargoRoot(files, specPath)
	if err != nil {
		return nil, err
	}
	ws := &cargoPackages{files: files, specPath: specPath, root: root, pkgs: map[string]*cargoManifest{}}
	if root.Package != nil {
		if err := ws.add(".", "Cargo.toml"); err != nil {
			return nil, err
		}
	}
	if err := ws.addMembers(); err != nil {
		return nil, err
	}
	if len(ws.pkgs) == 0 {
		return nil, ws.bad("Cargo.toml has neither [package] nor [workspace] members; nothing to build")
	}
	if err := ws.followPathDeps(); err != nil {
		return nil, err
	}
	return ws, nil
}

// readCargoRoot checks that the context has the root manifest and its
// lock (every cargo step runs --locked), and parses the manifest.
func readCargoRoot(files map[string][]byte, specPath string) (*cargoManifest, error) {
	rootData, ok := files["Cargo.toml"]
	if !ok {
		return nil, manifestError(specPath, "the build context has no Cargo.toml at its root; a rust build starts from the context root (check the context path and .dockerignore)")
	}
	if _, ok := files[cargoLock]; !ok {
		return nil, cargoError(rules.CargoLockMissing, specPath,
			"the build context has no Cargo.lock next to Cargo.toml; every cargo step runs --locked: run `cargo generate-lockfile` (or `cargo build`) and commit Cargo.lock (and check it is not in .dockerignore)")
	}
	root, err := parseCargoManifest("Cargo.toml", rootData)
	if err != nil {
		return nil, manifestError(specPath, "%v", err)
	}
	return root, nil
}

// add reads the package in dir, which from (a manifest and its key)
// names, once.
func (ws *cargoPackages) add(dir, from string) error {
	if _, ok := ws.pkgs[dir]; ok {
		return nil
	}
	if len(ws.pkgs) >= maxCargoPackages {
		return ws.bad("the workspace has more than %d packages", maxCargoPackages)
	}
	mp := path.Join(dir, "Cargo.toml")
	if dir == "." {
		ws.pkgs[dir] = ws.root
		ws.queue = append(ws.queue, dir)
		return nil
	}
	data, ok := ws.files[mp]
	if !ok {
		if strings.Count(dir, "/")+1 > cargoManifestDepth {
			return ws.bad("%s: %s is deeper than the %d directory levels the frontend reads manifests from; move it up", from, mp, cargoManifestDepth)
		}
		return ws.bad("%s: %s is not in the build context (or is excluded by .dockerignore)", from, mp)
	}
	m, err := parseCargoManifest(mp, data)
	if err != nil {
		return ws.bad("%v", err)
	}
	if m.Package == nil {
		return ws.bad("%s: %s has no [package] section", from, mp)
	}
	ws.pkgs[dir] = m
	ws.queue = append(ws.queue, dir)
	return nil
}

// addMembers adds what the root's [workspace] section names: its members
// and its path dependencies.
func (ws *cargoPackages) addMembers() error {
	w := ws.root.Workspace
	if w == nil {
		return nil
	}
	for _, ex := range w.Exclude {
		if _, err := contextPath(".", ex); err != nil {
			return ws.bad("Cargo.toml: workspace.exclude %q %v", ex, err)
		}
	}
	for _, pattern := range w.Members {
		dirs, err := cargoMembers(ws.files, pattern, w.Exclude)
		if err != nil {
			return ws.bad("Cargo.toml: workspace.members %q %v", pattern, err)
		}
		for _, d := range dirs {
			if err := ws.add(d, fmt.Sprintf("Cargo.toml: workspace.members %q", pattern)); err != nil {
				return err
			}
		}
	}
	if err := addPathDeps(".", "Cargo.toml", "workspace.dependencies", w.Dependencies, ws.add); err != nil {
		return ws.bad("%v", err)
	}
	return nil
}

// followPathDeps adds the path dependencies of the packages read, and of
// theirs. They are part of the build even when they are not members:
// their manifests are needed to resolve the lock.
func (ws *cargoPackages) followPathDeps() error {
	for len(ws.queue) > 0 {
		dir := ws.queue[0]
		ws.queue = ws.queue[1:]
		if err := ws.pkgs[dir].pathDeps(dir, ws.add); err != nil {
			return ws.bad("%v", err)
		}
	}
	return nil
}

// packagesByName maps each package name to its directory. The names end
// up in cargo's command line, so they must be names cargo accepts, and
// one name must mean one package.
func (ws *cargoPackages) packagesByName() (map[string]string, error) {
	byName := map[string]string{}
	for d, m := range ws.pkgs {
		if m.Package == nil {
			continue
		}
		mp := path.Join(d, "Cargo.toml")
		name := m.Package.Name
		if !cargoNameOK(name) {
			return nil, ws.bad("%s: package.name %q is not a cargo package name", mp, name)
		}
		if other, dup := byName[name]; dup {
			return nil, ws.bad("%s and %s both name package %q", path.Join(other, "Cargo.toml"), mp, name)
		}
		byName[name] = d
	}
	return byName, nil
}

// manifestsAndStubs lists the build's manifests, sorted (with the root
// manifest of a virtual workspace first), and the stubs of its packages.
func (ws *cargoPackages) manifestsAndStubs() ([]string, []cargoStub, error) {
	dirs := slices.Sorted(mapsKeys(ws.pkgs))
	if _, ok := ws.pkgs["."]; !ok {
		dirs = append([]string{"."}, dirs...)
	}
	var manifests []string
	var stubs []cargoStub
	for _, d := range dirs {
		manifests = append(manifests, path.Join(d, "Cargo.toml"))
		if m, ok := ws.pkgs[d]; ok && m.Package != nil {
			s, err := m.stubs(d)
			if err != nil {
				return nil, nil, ws.bad("%v", err)
			}
			stubs = append(stubs, s...)
		}
	}
	return manifests, dedupeStubs(stubs), nil
}

// chooseCargoPackage picks the package to build: rust.package, else the
// root's own package, else the workspace's only one.
func chooseCargoPackage(pkg string, root *cargoManifest, byName map[string]string, specPath string) (string, error) {
	names := slices.Sorted(mapsKeys(byName))
	switch {
	case pkg != "":
		if _, ok := byName[pkg]; !ok {
			// The error points at the spec key that names it.
			return "", manifestError("rust/package", "rust.package %q is not a package of this workspace (packages: %s)", pkg, strings.Join(names, ", "))
		}
		return pkg, nil
	case root.Package != nil:
		return root.Package.Name, nil
	case len(names) == 1:
		return names[0], nil
	}
	return "", manifestError(specPath, "the workspace in Cargo.toml has several packages (%s); set rust.package to the one to build", strings.Join(names, ", "))
}

// chooseCargoBin picks the binary of package pkg (manifest sel, at
// selPath): rust.bin, else the one declared, else the package's own
// (src/main.rs).
func chooseCargoBin(bin, pkg string, sel *cargoManifest, selPath, specPath string) (string, error) {
	switch {
	case bin != "":
		return bin, nil
	case len(sel.Bin) == 1:
		return sel.Bin[0].Name, nil
	case len(sel.Bin) > 1:
		var bins []string
		for _, b := range sel.Bin {
			bins = append(bins, b.Name)
		}
		return "", manifestError(specPath, "%s declares several binaries (%s); set rust.bin to the one the image runs", selPath, strings.Join(bins, ", "))
	}
	return pkg, nil
}

// cargoSourceDirs finds the cargo configuration files and the context
// directories they replace sources with (cargo vendor), sorted: the build
// needs both before the dependencies are fetched.
func cargoSourceDirs(files map[string][]byte, specPath string) (configs, dirs []string, err error) {
	for _, cf := range []string{".cargo/config.toml", ".cargo/config"} {
		data, ok := files[cf]
		if !ok {
			continue
		}
		configs = append(configs, cf)
		var cfg cargoConfig
		if err := decodeTOML(cf, data, &cfg); err != nil {
			return nil, nil, manifestError(specPath, "%v", err)
		}
		if dirs, err = cfg.addSourceDirs(cf, dirs); err != nil {
			return nil, nil, manifestError(specPath, "%v", err)
		}
	}
	sort.Strings(dirs)
	return configs, dirs, nil
}

// addSourceDirs adds to dirs the context directories cfg (the file cf)
// replaces sources with, once each.
func (cfg *cargoConfig) addSourceDirs(cf string, dirs []string) ([]string, error) {
	for _, name := range slices.Sorted(mapsKeys(cfg.Source)) {
		src := cfg.Source[name]
		for key, dir := range map[string]string{"directory": src.Directory, "local-registry": src.LocalRegistry} {
			if dir == "" || path.IsAbs(dir) {
				continue // a directory in the builder image, or none
			}
			p, err := contextPath(".", dir)
			if err != nil {
				return nil, fmt.Errorf("%s: source.%s.%s %q %v", cf, name, key, dir, err)
			}
			if !slices.Contains(dirs, p) {
				dirs = append(dirs, p)
			}
		}
	}
	return dirs, nil
}

func parseCargoManifest(name string, data []byte) (*cargoManifest, error) {
	var m cargoManifest
	if err := decodeTOML(name, data, &m); err != nil {
		return nil, err
	}
	return &m, nil
}

// decodeTOML decodes with the file name and, for syntax and type errors,
// the line and column in the message.
func decodeTOML(name string, data []byte, v any) (err error) {
	defer func() {
		// The parser is well kept, but the input is hostile: never let a
		// bug in it take the frontend down.
		if r := recover(); r != nil {
			err = fmt.Errorf("%s: cannot be read as TOML (%v)", name, r)
		}
	}()
	if err := toml.Unmarshal(data, v); err != nil {
		var de *toml.DecodeError
		if errors.As(err, &de) {
			row, col := de.Position()
			return fmt.Errorf("%s:%d:%d: %s", name, row, col, oneLine(de.Error()))
		}
		return fmt.Errorf("%s: %s", name, oneLine(err.Error()))
	}
	return nil
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}

func mapsKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// contextPath resolves a relative path written in a manifest under dir to
// a clean context path; absolute paths and paths that climb out of the
// context are errors (the build sees only the context).
func contextPath(dir, p string) (string, error) {
	if p == "" {
		return "", errors.New("is empty")
	}
	if strings.ContainsAny(p, "\x00\\") {
		return "", errors.New("contains a NUL or a backslash")
	}
	if path.IsAbs(p) {
		return "", errors.New("is absolute; write a path relative to the manifest, inside the build context")
	}
	c := path.Join(dir, p)
	if c == ".." || strings.HasPrefix(c, "../") {
		return "", errors.New("points outside the build context, which is all the build sees")
	}
	return c, nil
}

// cargoMembers expands one workspace.members entry (a directory or a glob)
// against the manifests the context has.
func cargoMembers(files map[string][]byte, pattern string, exclude []string) ([]string, error) {
	p, err := contextPath(".", pattern)
	if err != nil {
		return nil, err
	}
	excluded := func(d string) bool {
		for _, ex := range exclude {
			e := path.Clean(ex)
			if d == e || strings.HasPrefix(d, e+"/") {
				return true
			}
		}
		return false
	}
	if !strings.ContainsAny(p, "*?[") {
		if excluded(p) {
			return nil, nil
		}
		return []string{p}, nil
	}
	if _, err := path.Match(p, ""); err != nil {
		return nil, errors.New("is not a valid glob")
	}
	var out []string
	for f := range files {
		d, base := path.Split(f)
		d = strings.TrimSuffix(d, "/")
		if base != "Cargo.toml" || d == "" {
			continue
		}
		if ok, _ := path.Match(p, d); ok && !excluded(d) {
			out = append(out, d)
		}
	}
	sort.Strings(out)
	return out, nil
}

// pathDeps adds the packages this manifest names by path.
func (m *cargoManifest) pathDeps(dir string, add func(dir, from string) error) error {
	mp := path.Join(dir, "Cargo.toml")
	tables := map[string]map[string]any{
		"dependencies":       m.Dependencies,
		"dev-dependencies":   m.DevDependencies,
		"build-dependencies": m.BuildDependencies,
	}
	for t, p := range m.Target {
		tables["target."+t+".dependencies"] = p.Dependencies
		tables["target."+t+".dev-dependencies"] = p.DevDependencies
		tables["target."+t+".build-dependencies"] = p.BuildDependencies
	}
	for reg, deps := range m.Patch {
		tables["patch."+reg] = deps
	}
	for _, t := range slices.Sorted(mapsKeys(tables)) {
		if err := addPathDeps(dir, mp, t, tables[t], add); err != nil {
			return err
		}
	}
	return nil
}

func addPathDeps(dir, mp, table string, deps map[string]any, add func(dir, from string) error) error {
	for _, name := range slices.Sorted(mapsKeys(deps)) {
		spec, ok := deps[name].(map[string]any)
		if !ok {
			continue
		}
		raw, ok := spec["path"]
		if !ok {
			continue
		}
		p, ok := raw.(string)
		if !ok {
			return fmt.Errorf("%s: %s.%s.path is not a string", mp, table, name)
		}
		d, err := contextPath(dir, p)
		if err != nil {
			return fmt.Errorf("%s: %s.%s.path %q %v", mp, table, name, p, err)
		}
		if err := add(d, fmt.Sprintf("%s: %s.%s", mp, table, name)); err != nil {
			return err
		}
	}
	return nil
}

// stubs are the files that stand in for this package's targets: every
// target the manifest declares at its path, the library cargo would find
// by itself, and the build script when there is one. Their content is
// empty (a main for binaries): only the dependencies matter here.
func (m *cargoManifest) stubs(dir string) ([]cargoStub, error) {
	s := &stubSet{dir: dir, mp: path.Join(dir, "Cargo.toml")}
	if err := m.libStub(s); err != nil {
		return nil, err
	}
	if err := m.targetStubs(s); err != nil {
		return nil, err
	}
	if len(s.out) == 0 {
		// No library and no declared target: the package's own binary.
		if err := s.add("[[bin]]", "src/main.rs", stubMain); err != nil {
			return nil, err
		}
	}
	if err := m.buildScriptStub(s); err != nil {
		return nil, err
	}
	return s.out, nil
}

// stubSet collects the stubs of the package in dir (manifest mp).
type stubSet struct {
	dir, mp string
	out     []cargoStub
}

// add stubs the target what (a manifest key) at p, relative to the
// package. The path comes from the manifest: it must stay in the context
// and be a Rust file, and the count is bounded.
func (s *stubSet) add(what, p, data string) error {
	c, err := contextPath(s.dir, p)
	if err != nil {
		return fmt.Errorf("%s: %s path %q %v", s.mp, what, p, err)
	}
	if !strings.HasSuffix(c, ".rs") {
		return fmt.Errorf("%s: %s path %q is not a .rs file", s.mp, what, p)
	}
	if len(s.out) >= maxCargoTargets {
		return fmt.Errorf("%s declares more than %d targets", s.mp, maxCargoTargets)
	}
	s.out = append(s.out, cargoStub{Path: c, Data: data})
	return nil
}

// libStub stubs the library: at the path [lib] gives, else at
// src/lib.rs unless package.autolib turns the library off.
func (m *cargoManifest) libStub(s *stubSet) error {
	switch {
	case m.Lib != nil && m.Lib.Path != "":
		return s.add("[lib]", m.Lib.Path, stubLib)
	case m.Lib != nil || m.Package.Autolib == nil || *m.Package.Autolib:
		return s.add("[lib]", "src/lib.rs", stubLib)
	}
	return nil
}

// targetStubs stubs every declared binary, example, test and bench.
func (m *cargoManifest) targetStubs(s *stubSet) error {
	kinds := []struct {
		what    string
		targets []cargoTarget
		dir     string
	}{
		{"[[bin]]", m.Bin, "src/bin"},
		{"[[example]]", m.Example, "examples"},
		{"[[test]]", m.Test, "tests"},
		{"[[bench]]", m.Bench, "benches"},
	}
	for _, k := range kinds {
		for _, t := range k.targets {
			if !cargoNameOK(t.Name) {
				return fmt.Errorf("%s: %s name %q is not a cargo target name", s.mp, k.what, t.Name)
			}
			if err := s.add(k.what, m.targetPath(k.what, k.dir, t), targetStubData(k.what, t)); err != nil {
				return err
			}
		}
	}
	return nil
}

// targetPath is where cargo looks for target t of kind what: its path,
// else src/main.rs for the binary named after the package, else the
// kind's directory (defaultDir).
func (m *cargoManifest) targetPath(what, defaultDir string, t cargoTarget) string {
	switch {
	case t.Path != "":
		return t.Path
	case what == "[[bin]]" && t.Name == m.Package.Name:
		return "src/main.rs"
	}
	return defaultDir + "/" + t.Name + ".rs"
}

// targetStubData is the stub of target t of kind what: tests and benches
// with the default harness need no main, everything else does.
func targetStubData(what string, t cargoTarget) string {
	if (what == "[[test]]" || what == "[[bench]]") && (t.Harness == nil || *t.Harness) {
		return stubLib
	}
	return stubMain
}

// buildScriptStub stubs the build script when there is one.
func (m *cargoManifest) buildScriptStub(s *stubSet) error {
	switch b := m.Package.Build.(type) {
	case string:
		return s.add("package.build", b, stubMain)
	case bool:
		if b {
			return s.add("package.build", "build.rs", stubMain)
		}
	case nil:
		// Cargo finds build.rs by itself; a package that needs one says
		// so with build-dependencies or links.
		if len(m.BuildDependencies) > 0 || m.Package.Links != "" {
			return s.add("package.build", "build.rs", stubMain)
		}
	default:
		return fmt.Errorf("%s: package.build must be a path or a boolean", s.mp)
	}
	return nil
}

// dedupeStubs keeps the first stub of each path, sorted by path.
func dedupeStubs(in []cargoStub) []cargoStub {
	seen := map[string]bool{}
	out := make([]cargoStub, 0, len(in))
	for _, s := range in {
		if !seen[s.Path] {
			seen[s.Path] = true
			out = append(out, s)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

func cargoNameOK(n string) bool {
	if n == "" || len(n) > 64 {
		return false
	}
	for _, r := range n {
		if !(r == '_' || r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}
