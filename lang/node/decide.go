package node

import (
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/pkg/errors"

	"github.com/org/safe-frontend/lang"
	"github.com/org/safe-frontend/rules"
	"github.com/org/safe-frontend/spec"
)

// decision is what the manifests decide.
type decision struct {
	manager  string // npm, pnpm, yarn
	version  string // of pnpm or yarn, for corepack ("" for npm)
	berry    bool   // yarn 2+
	lockfile string
	// workspace is the package's directory ("" for the root package).
	workspace  string
	main       string // relative to the context root
	build      string // script name, "" for none
	buildPath  string // the spec path that named it
	workspaces bool   // the root declares workspaces
}

// specPath is the spec key an error about a node setting points at: the
// key when the spec wrote it, else the language line.
func specPath(s *spec.Spec, key string) string {
	return lang.SpecPath(s, "node/"+key, "node")
}

// decide reads the manifests and the lockfile and refuses what the build
// cannot pin or run.
func decide(s *spec.Spec, files map[string][]byte, cross bool) (*decision, error) {
	cfg := spec.Node{}
	if s.Node != nil {
		cfg = *s.Node
	}
	return decideFor(s, cfg, files, cross, nil)
}

// frontEnd describes a front-end build for decideFor: its package has no
// main file, and its script is the spec key named here.
type frontEnd struct {
	scriptKey  string // "static.build.script", for messages
	scriptPath string // its spec path
}

// decideFor is decide for the settings in cfg: a Node app's, or, with fe,
// a front-end build's.
func decideFor(s *spec.Spec, cfg spec.Node, files map[string][]byte, cross bool, fe *frontEnd) (*decision, error) {
	raw, ok := files["package.json"]
	if !ok {
		return nil, &lang.SpecError{Path: "language", Err: errors.New("the context has no package.json at its root; language: node builds a package: run `npm init` or point the build at the package's directory")}
	}
	root, err := parsePackageJSON("package.json", raw)
	if err != nil {
		return nil, &lang.SpecError{Path: "language", Err: err}
	}
	d := &decision{workspaces: len(root.workspaceGlobs()) > 0}
	if _, ok := files["pnpm-workspace.yaml"]; ok {
		d.workspaces = true
	}
	if err := d.chooseManager(s, cfg, root, files); err != nil {
		return nil, err
	}
	if err := d.choosePackage(s, cfg, root, files, fe); err != nil {
		return nil, err
	}
	if err := d.checkLock(s, root, files, cross); err != nil {
		return nil, err
	}
	return d, nil
}

// chooseManager: the spec's, else package.json's "packageManager", else
// the one whose lockfile is present; then its lockfile and version.
func (d *decision) chooseManager(s *spec.Spec, cfg spec.Node, root *packageJSON, files map[string][]byte) error {
	at := specPath(s, "packageManager")
	var pinName, pinVersion string
	if root.PackageManager != "" {
		var err error
		if pinName, pinVersion, err = packageManagerField(root.PackageManager); err != nil {
			return &lang.SpecError{Path: at, Err: err}
		}
	}
	switch {
	case cfg.PackageManager != "":
		d.manager = cfg.PackageManager
		if pinName != "" && pinName != d.manager {
			return &lang.SpecError{Path: at, Err: errors.Errorf(
				"node.packageManager is %s but package.json's \"packageManager\" is %q; make them agree", d.manager, root.PackageManager)}
		}
	case pinName != "":
		d.manager = pinName
	default:
		if err := d.managerOfLockfile(at, files); err != nil {
			return err
		}
	}
	if err := d.findLockfile(at, files); err != nil {
		return err
	}
	switch d.manager {
	case managerPNPM:
		d.version = DefaultPNPMVersion
	case managerYarn:
		d.version = DefaultYarnVersion
	}
	if pinName == d.manager && d.manager != managerNPM {
		d.version = pinVersion
	}
	return d.checkYarn(at, files)
}

// managerOfLockfile picks the manager whose lockfile the context holds,
// refusing lockfiles of several.
func (d *decision) managerOfLockfile(at string, files map[string][]byte) error {
	var found []string
	for _, m := range []string{managerNPM, managerPNPM, managerYarn} {
		for _, lf := range lockfiles[m] {
			if _, ok := files[lf]; ok {
				found = append(found, m+" ("+lf+")")
				if d.manager == "" {
					d.manager = m
				}
				break
			}
		}
	}
	if len(found) > 1 {
		return &lang.SpecError{Path: at, Err: errors.Errorf(
			"the context has lockfiles of several package managers: %s; set node.packageManager (or package.json \"packageManager\") to the one in use and delete the other lockfiles", strings.Join(found, ", "))}
	}
	return nil
}

// findLockfile: without a lockfile of the manager, versions would float.
func (d *decision) findLockfile(at string, files map[string][]byte) error {
	if d.manager == "" {
		return lang.RuleErrorf(rules.NoLockfile, at,
			"the context has no lockfile (package-lock.json, npm-shrinkwrap.json, pnpm-lock.yaml or yarn.lock): dependency versions would float from build to build; run `npm install` (or pnpm install, yarn install) and commit the lockfile")
	}
	for _, lf := range lockfiles[d.manager] {
		if _, ok := files[lf]; ok {
			d.lockfile = lf
			return nil
		}
	}
	lfs := lockfiles[d.manager]
	return lang.RuleErrorf(rules.NoLockfile, at,
		"the context has no %s lockfile (%s): dependency versions would float from build to build; run `%s install` and commit %s",
		d.manager, strings.Join(lfs, " or "), d.manager, lfs[len(lfs)-1])
}

// checkYarn tells yarn 2+ (Berry) from classic and refuses Plug'n'Play,
// which keeps no node_modules: the final image runs plain node, which
// cannot resolve through .pnp.cjs without a loader.
func (d *decision) checkYarn(at string, files map[string][]byte) error {
	if d.manager != managerYarn {
		return nil
	}
	rc, hasRC := files[".yarnrc.yml"]
	d.berry = hasRC || !strings.HasPrefix(d.version, "1.")
	if d.berry && !nodeModulesLinker.Match(rc) {
		return &lang.SpecError{Path: at, Err: errors.New(
			"yarn 2+ installs with Plug'n'Play by default, which the image's plain node cannot load; add `nodeLinker: node-modules` to .yarnrc.yml")}
	}
	return nil
}

// choosePackage finds the package that runs (the workspace's, or the
// root), its main file and its build script.
func (d *decision) choosePackage(s *spec.Spec, cfg spec.Node, root *packageJSON, files map[string][]byte, fe *frontEnd) error {
	pkg, pkgFile := root, "package.json"
	if cfg.Workspace != "" {
		var err error
		if pkg, pkgFile, err = d.workspacePackage(s, cfg.Workspace, files); err != nil {
			return err
		}
	}
	if err := d.chooseBuild(s, cfg, pkg, pkgFile, fe); err != nil || fe != nil {
		return err
	}
	main, mainPath := cfg.Main, specPath(s, "main")
	if main == "" {
		main = pkg.Main
	}
	if main == "" {
		return lang.RuleErrorf(rules.NoMain, mainPath,
			"neither node.main nor %s \"main\" names the file node runs; add main: server.js (or the entry file) to the node: block or to %s", pkgFile, pkgFile)
	}
	m, ok := lang.CleanRel(main)
	if !ok || m == "." {
		err := lang.RuleErrorf(rules.PathEscapes, mainPath, "the main file %q must be a path inside the package, e.g. server.js", lang.Truncate(main, 120))
		if cfg.Main == "" { // package.json's "main", not the spec's
			re := err.(*lang.RuleError)
			re.File, re.Line = pkgFile, lang.LineOfKey(files[pkgFile], `"main"`)
			re.Msg = fmt.Sprintf("\"main\" %q must be a path inside the package, e.g. server.js", lang.Truncate(main, 120))
		}
		return err
	}
	d.main = path.Join(d.workspace, m)
	return nil
}

// chooseBuild checks that the build script is one package.json defines.
func (d *decision) chooseBuild(s *spec.Spec, cfg spec.Node, pkg *packageJSON, pkgFile string, fe *frontEnd) error {
	key, at := "node.build", specPath(s, "build")
	if fe != nil {
		key, at = fe.scriptKey, fe.scriptPath
	}
	if cfg.Build != "" {
		if _, ok := pkg.Scripts[cfg.Build]; !ok {
			return &lang.SpecError{Path: at, Err: errors.Errorf("%s names the script %q, which %s does not define (scripts: %s)",
				key, cfg.Build, pkgFile, lang.QuoteNames(slices.Sorted(maps.Keys(pkg.Scripts))))}
		}
		d.build, d.buildPath = cfg.Build, at
	}
	return nil
}

// workspacePackage reads node.workspace's package.json.
func (d *decision) workspacePackage(s *spec.Spec, workspace string, files map[string][]byte) (*packageJSON, string, error) {
	at := specPath(s, "workspace")
	ws, ok := lang.CleanRel(workspace)
	if !ok || ws == "." {
		return nil, "", &lang.SpecError{Path: at, Err: errors.Errorf("node.workspace %q must be a directory inside the context, e.g. apps/api", workspace)}
	}
	pkgFile := ws + "/package.json"
	raw, ok := files[pkgFile]
	if !ok {
		return nil, "", &lang.SpecError{Path: at, Err: errors.Errorf("node.workspace %q has no package.json (%s is not in the context)", workspace, pkgFile)}
	}
	pkg, err := parsePackageJSON(pkgFile, raw)
	if err != nil {
		return nil, "", &lang.SpecError{Path: at, Err: err}
	}
	if !d.workspaces {
		return nil, "", &lang.SpecError{Path: at, Err: errors.Errorf("node.workspace is %q but the root package.json declares no \"workspaces\" (nor is there a pnpm-workspace.yaml)", workspace)}
	}
	d.workspace = ws
	return pkg, pkgFile, nil
}

// checkLock compares what package.json declares with what the lockfile
// recorded, where the lockfile says so plainly, and refuses native addons
// in a cross build.
func (d *decision) checkLock(s *spec.Spec, root *packageJSON, files map[string][]byte, cross bool) error {
	if d.manager != managerNPM {
		return nil
	}
	var lock npmLock
	if err := decodeJSON(d.lockfile, files[d.lockfile], &lock); err != nil {
		return lang.RuleErrorf(rules.LockfileOutOfSync, specPath(s, "packageManager"), "%v; regenerate it with `npm install` and commit it", err)
	}
	if rootPkg, ok := lock.Packages[""]; ok && lock.LockfileVersion >= 2 {
		want := allDeps(root.Dependencies, root.DevDependencies, root.OptionalDependencies)
		got := allDeps(rootPkg.Dependencies, rootPkg.DevDependencies, rootPkg.OptionalDeps)
		if drift := lockDrift(want, got); drift != "" {
			return lang.RuleErrorf(rules.LockfileOutOfSync, specPath(s, "packageManager"),
				"%s is out of sync with package.json: %s; run `npm install` and commit %s", d.lockfile, drift, d.lockfile)
		}
	}
	if cross {
		if addons := lock.nativeAddons(); len(addons) > 0 {
			return lang.RuleErrorf(rules.NativeAddonCrossBuild, "language",
				"%s lists production packages with install scripts (native addons built by node-gyp): %s; they would be compiled for the build machine, not the target platform: build on a machine of the target platform (or with emulation as the build platform), or drop the dependency",
				d.lockfile, lang.QuoteNames(truncList(addons, 5)))
		}
	}
	return nil
}

func truncList(l []string, n int) []string {
	if len(l) <= n {
		return l
	}
	return append(slices.Clone(l[:n]), fmt.Sprintf("and %d more", len(l)-n))
}
