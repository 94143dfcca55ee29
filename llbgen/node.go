package llbgen

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/moby/buildkit/client/llb"
	"github.com/pkg/errors"

	"github.com/org/safe-frontend/rules"
	"github.com/org/safe-frontend/spec"
)

// Defaults of the Node builder; they move with frontend releases, never
// with "latest".
const (
	DefaultNodeVersion = "22"
	// DefaultPNPMVersion and DefaultYarnVersion are what corepack runs when
	// package.json pins no "packageManager".
	DefaultPNPMVersion = "12.4.2"
	DefaultYarnVersion = "1.22.22"
)

// Paths in the Node build stage and the final image.
const (
	nodeApp      = "/app"
	nodeBin      = "/nodejs/bin/node" // the distroless nodejs images' node
	npmCache     = "/root/.npm"
	pnpmStore    = "/root/.local/share/pnpm/store"
	yarnCache    = "/root/.cache/yarn"
	corepackHome = "/root/.cache/node/corepack"
)

// Exit codes the Node install steps reserve for failures a rule explains;
// ExplainStepFailure turns them back into the rule.
const (
	exitLockfileOutOfSync = 111
	exitNativeAddon       = 113
	// Markers in the step's arguments, so an app's own exit code 111 is
	// never mistaken for ours.
	installMarker     = "safe-frontend-frozen-install"
	nativeCheckMarker = "safe-frontend-native-check"
)

// nodeModulesLinker finds `nodeLinker: node-modules` in a .yarnrc.yml.
var nodeModulesLinker = regexp.MustCompile(`(?m)^nodeLinker:\s*["']?node-modules["']?\s*(#.*)?$`)

type node struct{}

func init() { register(node{}) }

func (node) Name() string { return "node" }

func nodeVersion(s *spec.Spec) string {
	if s.Node != nil && s.Node.Version != "" {
		return s.Node.Version
	}
	return DefaultNodeVersion
}

// NodeMajor is the major of the spec's node version ("22" of "22.23.3").
func NodeMajor(s *spec.Spec) string {
	v, _, _ := strings.Cut(nodeVersion(s), ".")
	return v
}

func (node) BuilderImage(s *spec.Spec) string {
	// Same Debian release as the final, so addons built by node-gyp load.
	return "docker.io/library/node:" + nodeVersion(s) + "-trixie"
}

func (node) Runtime(*spec.Spec) Runtime { return RuntimeOwn }

func (node) FinalImage(s *spec.Spec, final string) (string, bool) {
	if final != "distroless" {
		return "", false
	}
	return "gcr.io/distroless/nodejs" + NodeMajor(s) + "-debian13:nonroot", true
}

// ContextFiles: the manifests and lockfiles that decide the package
// manager, the entry point and whether the install can be frozen.
func (node) ContextFiles(s *spec.Spec) []string {
	files := []string{"package.json", "package-lock.json", "npm-shrinkwrap.json", "pnpm-lock.yaml",
		"yarn.lock", ".yarnrc.yml", "pnpm-workspace.yaml"}
	if s.Node != nil && s.Node.Workspace != "" {
		if ws, ok := cleanRel(s.Node.Workspace); ok && ws != "." {
			files = append(files, ws+"/package.json")
		}
	}
	return files
}

// nodePlan is what the manifests decide.
type nodePlan struct {
	manager  string // npm, pnpm, yarn
	version  string // of pnpm or yarn, for corepack ("" for npm)
	berry    bool   // yarn 2+
	lockfile string
	// workspace is the package's directory ("" for the root package).
	workspace  string
	main       string // relative to the context root
	build      string // script name, "" for none
	workspaces bool   // the root declares workspaces
}

// specPath is the spec key an error about a node setting points at: the
// key when the spec wrote it, else the language line.
func specPath(s *spec.Spec, key string) string {
	if s.Source.Has("node/" + key) {
		return "node/" + key
	}
	if s.Source.Has("node") {
		return "node"
	}
	return "language"
}

func planNode(s *spec.Spec, files map[string][]byte, cross bool) (*nodePlan, error) {
	cfg := spec.Node{}
	if s.Node != nil {
		cfg = *s.Node
	}
	raw, ok := files["package.json"]
	if !ok {
		return nil, &SpecError{Path: "language", Err: errors.New("the context has no package.json at its root; language: node builds a package: run `npm init` or point the build at the package's directory")}
	}
	root, err := parsePackageJSON("package.json", raw)
	if err != nil {
		return nil, &SpecError{Path: "language", Err: err}
	}
	p := &nodePlan{workspaces: len(root.workspaceGlobs()) > 0}
	if _, ok := files["pnpm-workspace.yaml"]; ok {
		p.workspaces = true
	}

	// The manager: the spec, else package.json's "packageManager", else
	// the one lockfile present.
	var pinName, pinVersion string
	if root.PackageManager != "" {
		if pinName, pinVersion, err = packageManagerField(root.PackageManager); err != nil {
			return nil, &SpecError{Path: specPath(s, "packageManager"), Err: err}
		}
	}
	switch {
	case cfg.PackageManager != "":
		p.manager = cfg.PackageManager
		if pinName != "" && pinName != p.manager {
			return nil, &SpecError{Path: specPath(s, "packageManager"), Err: errors.Errorf(
				"node.packageManager is %s but package.json's \"packageManager\" is %q; make them agree", p.manager, root.PackageManager)}
		}
	case pinName != "":
		p.manager = pinName
	default:
		var found []string
		for _, m := range []string{managerNPM, managerPNPM, managerYarn} {
			for _, lf := range lockfiles[m] {
				if _, ok := files[lf]; ok {
					found = append(found, m+" ("+lf+")")
					if p.manager == "" {
						p.manager = m
					}
					break
				}
			}
		}
		if len(found) > 1 {
			return nil, &SpecError{Path: specPath(s, "packageManager"), Err: errors.Errorf(
				"the context has lockfiles of several package managers: %s; set node.packageManager (or package.json \"packageManager\") to the one in use and delete the other lockfiles", strings.Join(found, ", "))}
		}
	}
	if p.manager == "" {
		return nil, ruleError(rules.NoLockfile, specPath(s, "packageManager"),
			"the context has no lockfile (package-lock.json, npm-shrinkwrap.json, pnpm-lock.yaml or yarn.lock): dependency versions would float from build to build; run `npm install` (or pnpm install, yarn install) and commit the lockfile")
	}
	for _, lf := range lockfiles[p.manager] {
		if _, ok := files[lf]; ok {
			p.lockfile = lf
			break
		}
	}
	if p.lockfile == "" {
		return nil, ruleError(rules.NoLockfile, specPath(s, "packageManager"),
			"the context has no %s lockfile (%s): dependency versions would float from build to build; run `%s install` and commit %s",
			p.manager, strings.Join(lockfiles[p.manager], " or "), p.manager, lockfiles[p.manager][len(lockfiles[p.manager])-1])
	}
	switch p.manager {
	case managerPNPM:
		p.version = DefaultPNPMVersion
	case managerYarn:
		p.version = DefaultYarnVersion
	}
	if pinName == p.manager && p.manager != managerNPM {
		p.version = pinVersion
	}
	if p.manager == managerYarn {
		rc, hasRC := files[".yarnrc.yml"]
		p.berry = hasRC || !strings.HasPrefix(p.version, "1.")
		// Plug'n'Play keeps no node_modules: the final image runs plain
		// node, which cannot resolve through .pnp.cjs without a loader.
		if p.berry && !nodeModulesLinker.Match(rc) {
			return nil, &SpecError{Path: specPath(s, "packageManager"), Err: errors.New(
				"yarn 2+ installs with Plug'n'Play by default, which the image's plain node cannot load; add `nodeLinker: node-modules` to .yarnrc.yml")}
		}
	}

	// The package that runs: the workspace's, or the root.
	pkg, pkgFile := root, "package.json"
	if cfg.Workspace != "" {
		ws, ok := cleanRel(cfg.Workspace)
		if !ok || ws == "." {
			return nil, &SpecError{Path: specPath(s, "workspace"), Err: errors.Errorf("node.workspace %q must be a directory inside the context, e.g. apps/api", cfg.Workspace)}
		}
		pkgFile = ws + "/package.json"
		raw, ok := files[pkgFile]
		if !ok {
			return nil, &SpecError{Path: specPath(s, "workspace"), Err: errors.Errorf("node.workspace %q has no package.json (%s is not in the context)", cfg.Workspace, pkgFile)}
		}
		if pkg, err = parsePackageJSON(pkgFile, raw); err != nil {
			return nil, &SpecError{Path: specPath(s, "workspace"), Err: err}
		}
		if !p.workspaces {
			return nil, &SpecError{Path: specPath(s, "workspace"), Err: errors.Errorf("node.workspace is %q but the root package.json declares no \"workspaces\" (nor is there a pnpm-workspace.yaml)", cfg.Workspace)}
		}
		p.workspace = ws
	}

	main, mainPath := cfg.Main, specPath(s, "main")
	if main == "" {
		main, mainPath = pkg.Main, specPath(s, "main")
	}
	if main == "" {
		return nil, ruleError(rules.NoMain, mainPath,
			"neither node.main nor %s \"main\" names the file node runs; add main: server.js (or the entry file) to the node: block or to %s", pkgFile, pkgFile)
	}
	m, ok := cleanRel(main)
	if !ok || m == "." {
		return nil, ruleError(rules.PathEscapes, mainPath, "the main file %q must be a path inside the package, e.g. server.js", truncate(main, 120))
	}
	p.main = path.Join(p.workspace, m)

	if cfg.Build != "" {
		if _, ok := pkg.Scripts[cfg.Build]; !ok {
			return nil, &SpecError{Path: specPath(s, "build"), Err: errors.Errorf("node.build names the script %q, which %s does not define (scripts: %s)",
				cfg.Build, pkgFile, quoteNames(sortedKeys(pkg.Scripts)))}
		}
		p.build = cfg.Build
	}

	if err := p.checkLock(s, root, files, cross); err != nil {
		return nil, err
	}
	return p, nil
}

// checkLock compares what package.json declares with what the lockfile
// recorded, where the lockfile says so plainly, and refuses native addons
// in a cross build.
func (p *nodePlan) checkLock(s *spec.Spec, root *packageJSON, files map[string][]byte, cross bool) error {
	if p.manager != managerNPM {
		return nil
	}
	var lock npmLock
	if err := decodeJSON(p.lockfile, files[p.lockfile], &lock); err != nil {
		return ruleError(rules.LockfileOutOfSync, specPath(s, "packageManager"), "%v; regenerate it with `npm install` and commit it", err)
	}
	if rootPkg, ok := lock.Packages[""]; ok && lock.LockfileVersion >= 2 {
		want := allDeps(root.Dependencies, root.DevDependencies, root.OptionalDependencies)
		got := allDeps(rootPkg.Dependencies, rootPkg.DevDependencies, rootPkg.OptionalDeps)
		if d := lockDrift(want, got); d != "" {
			return ruleError(rules.LockfileOutOfSync, specPath(s, "packageManager"),
				"%s is out of sync with package.json: %s; run `npm install` and commit %s", p.lockfile, d, p.lockfile)
		}
	}
	if cross {
		if addons := lock.nativeAddons(); len(addons) > 0 {
			return ruleError(rules.NativeAddonCrossBuild, "language",
				"%s lists production packages with install scripts (native addons built by node-gyp): %s; they would be compiled for the build machine, not the target platform: build on a machine of the target platform (or with emulation as the build platform), or drop the dependency",
				p.lockfile, quoteNames(truncList(addons, 5)))
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

func quoteNames(l []string) string {
	if len(l) == 0 {
		return "none"
	}
	return strings.Join(l, ", ")
}

// npmArch is npm's name (process.arch) for an OCI architecture.
func npmArch(a string) string {
	switch a {
	case "amd64":
		return "x64"
	case "386":
		return "ia32"
	}
	return a
}

// versionAtLeast reports whether a package manager version ("10.14.0",
// "12.4.2+sha512.<hex>") is major.minor or later; an unreadable one is not.
func versionAtLeast(v string, major, minor int) bool {
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 {
		return false
	}
	ma, err1 := strconv.Atoi(parts[0])
	mi, err2 := strconv.Atoi(parts[1])
	if err1 != nil || err2 != nil {
		return false
	}
	return ma > major || ma == major && mi >= minor
}

// managerCmd is the command line that runs the manager: npm directly, pnpm
// and yarn through corepack at the pinned version.
func (p *nodePlan) managerCmd() []string {
	if p.manager == managerNPM {
		return []string{"npm"}
	}
	return []string{"corepack", p.manager + "@" + p.version}
}

// installArgs is the frozen install; prod leaves devDependencies out.
func (p *nodePlan) installArgs(prod bool, target string) []string {
	args := p.managerCmd()
	switch {
	case p.manager == managerNPM:
		args = append(args, "ci", "--no-audit", "--no-fund")
		if prod {
			args = append(args, "--omit=dev")
		}
		if target != "" {
			args = append(args, "--os=linux", "--cpu="+target, "--ignore-scripts")
		}
	case p.manager == managerPNPM:
		args = append(args, "install", "--frozen-lockfile")
		if prod {
			args = append(args, "--prod")
		}
		if target != "" {
			args = append(args, "--ignore-scripts")
			// pnpm 10.14 and later pick optional platform packages
			// (esbuild's, swc's) for the target, as npm's --cpu does.
			if versionAtLeast(p.version, 10, 14) {
				args = append(args, "--os=linux", "--cpu="+target, "--libc=glibc")
			}
		}
	case p.berry:
		if prod {
			// focus never checks the lockfile, even with immutable
			// installs on: a frozen install (fetch and link, no build
			// scripts) refuses a stale one first, then focus keeps the
			// production tree.
			return []string{"/bin/sh", "-c", berryFocus, args[0], args[1]}
		}
		args = append(args, "install", "--immutable")
	default:
		args = append(args, "install", "--frozen-lockfile", "--non-interactive")
		if prod {
			args = append(args, "--production=true")
		}
		if target != "" {
			args = append(args, "--ignore-scripts")
		}
	}
	return args
}

// frozenInstall runs an install and turns the manager's own "lockfile out
// of date" failure into a reserved exit code; the output streams as is.
const frozenInstall = `{ "$@" 2>&1; echo $? >/tmp/install.status; } | tee /tmp/install.log
st=$(cat /tmp/install.status)
if [ "$st" -ne 0 ] && grep -qE 'are in sync|from lock file|lockfile needs to be updated|ERR_PNPM_OUTDATED_LOCKFILE|YN0028|not up to date with' /tmp/install.log; then
  echo "The lockfile does not match package.json: the frozen install refuses to change it." >&2
  exit 111
fi
exit "$st"`

// berryFocus is Berry's production install: $0 $1 is corepack and
// yarn@<version>.
const berryFocus = `"$0" "$1" install --immutable --mode=skip-build && exec "$0" "$1" workspaces focus --all --production`

// nativeCheck fails a cross build whose production tree holds a package
// built by node-gyp (binding.gyp): its install script was not run and
// could only have compiled for the build machine.
const nativeCheck = `const fs = require("fs"), path = require("path");
const found = [];
let seen = 0;
function walk(dir, depth) {
  if (depth > 12 || seen > 200000 || found.length >= 5) return;
  let entries;
  try { entries = fs.readdirSync(dir, { withFileTypes: true }); } catch { return; }
  for (const e of entries) {
    seen++;
    const p = path.join(dir, e.name);
    if (e.isFile() && e.name === "binding.gyp") found.push(path.relative("/app/node_modules", dir));
    else if (e.isDirectory() && !e.isSymbolicLink()) walk(p, depth + 1);
  }
}
walk("/app/node_modules", 0);
if (found.length) {
  console.error("native addons (binding.gyp) in the production dependencies: " + found.join(", ") +
    "; a cross build cannot compile them for the target platform");
  process.exit(113);
}`

// CheckContext plans the build from package.json and the lockfile: a
// missing or stale lockfile, no main file, native addons in a cross build.
func (node) CheckContext(s *spec.Spec, files map[string][]byte, cross bool) []ContextFinding {
	_, err := planNode(s, files, cross)
	return findingsOf(err)
}

func (node) Build(in *BuildInput) (*BuildOutput, error) {
	s := in.Spec
	cross := in.Target.OS != in.Build.OS || in.Target.Architecture != in.Build.Architecture || in.Target.Variant != in.Build.Variant
	p, err := planNode(s, in.Files, cross)
	if err != nil {
		return nil, err
	}
	target := ""
	if cross {
		target = npmArch(in.Target.Architecture)
	}

	total := 2
	if p.build != "" {
		total += 3
	}
	if cross {
		total++
	}
	n := 0
	step := func(name, path string) llb.ConstraintsOpt {
		n++
		return in.Step(n, total, name, path)
	}

	// Manifests and the lockfile first: a source edit must leave the
	// installs cached.
	include := []string{"package.json", p.lockfile, ".yarnrc.yml", ".yarn/releases/**", ".yarn/plugins/**", ".yarn/patches/**", "patches/**"}
	if p.workspaces {
		include = append(include, "**/package.json", "pnpm-workspace.yaml")
	}
	manifests := in.Builder.File(
		llb.Mkdir(nodeApp, 0o755, llb.WithParents(true)).
			Copy(in.Context, "/", nodeApp+"/", &llb.CopyInfo{
				CopyDirContentsOnly: true,
				IncludePatterns:     include,
				ExcludePatterns:     []string{"**/node_modules"},
				AllowEmptyWildcard:  true,
			}),
		step("copy package.json "+p.lockfile, "language"),
	)

	env := nodeEnv(in, p)
	caches := []llb.RunOption{in.Cache(corepackHome, "corepack")}
	switch p.manager {
	case managerNPM:
		caches = append(caches, in.Cache(npmCache, "npm"))
	case managerPNPM:
		caches = append(caches, in.Cache(pnpmStore, "pnpm-store"))
	case managerYarn:
		caches = append(caches, in.Cache(yarnCache, "yarn"))
	}
	install := func(st llb.State, prod bool, name string) llb.State {
		// The build's own tools run here: only the production tree is
		// installed for the target platform.
		args := p.installArgs(prod, "")
		if prod {
			args = p.installArgs(prod, target)
		}
		shown := strings.Join(args, " ")
		if p.berry && prod {
			cmd := strings.Join(p.managerCmd(), " ")
			shown = cmd + " install --immutable --mode=skip-build && " + cmd + " workspaces focus --all --production"
		}
		opts := []llb.RunOption{
			llb.Args(append([]string{"/bin/sh", "-c", frozenInstall, installMarker}, args...)),
			llb.Dir(nodeApp),
			llb.AddMount("/tmp", llb.Scratch(), llb.Tmpfs()),
			step(name+": "+shown, specPath(s, "packageManager")),
		}
		opts = append(opts, caches...)
		if p.berry {
			opts = append(opts, llb.AddEnv("YARN_ENABLE_IMMUTABLE_INSTALLS", "true"))
			if prod && target != "" {
				// Berry's --ignore-scripts: an install script would
				// build for the build machine.
				opts = append(opts, llb.AddEnv("YARN_ENABLE_SCRIPTS", "false"))
			}
		}
		return st.Run(append(opts, append(env, in.RunOpts...)...)...).Root()
	}

	var app Layer
	if p.build != "" {
		dev := install(manifests, false, "install")
		sources := dev.File(
			llb.Copy(in.Context, "/", nodeApp+"/", &llb.CopyInfo{CopyDirContentsOnly: true, ExcludePatterns: []string{"**/node_modules"}}),
			step("copy sources", "language"),
		)
		// Run in the package's directory: every manager finds the
		// workspace root from there.
		run := append(p.managerCmd(), "run", p.build)
		dir := path.Join(nodeApp, p.workspace)
		built := sources.Run(append([]llb.RunOption{
			llb.Args(run),
			llb.Dir(dir),
			llb.AddEnv("NODE_ENV", "production"),
			llb.AddMount("/tmp", llb.Scratch(), llb.Tmpfs()),
			step(strings.Join(run, " "), specPath(s, "build")),
		}, append(append(caches, env...), in.RunOpts...)...)...).Root()
		app = Layer{Name: "app", State: built, Files: []Artifact{{Src: nodeApp, Dest: nodeApp, Dir: true, Exclude: p.appExcludes(in.SpecFile)}}}
	} else {
		// Nothing to build: the app layer is the sources as they are.
		app = Layer{Name: "app", State: in.Context, Files: []Artifact{{Src: "/", Dest: nodeApp, Dir: true, Exclude: p.appExcludes(in.SpecFile)}}}
	}

	prod := install(manifests, true, "production install")
	if cross {
		prod = prod.Run(append([]llb.RunOption{
			llb.Args([]string{"node", "-e", nativeCheck, nativeCheckMarker}),
			llb.Dir(nodeApp),
			step("check for native addons ("+in.Target.Architecture+")", "language"),
		}, in.RunOpts...)...).Root()
	}

	modules := Artifact{Src: nodeApp + "/node_modules", Dest: nodeApp + "/node_modules", Dir: true}
	if p.workspaces {
		// Every package's node_modules: pnpm links a workspace package's
		// dependencies into its own directory, npm nests a version that
		// conflicts with the root's there.
		modules = Artifact{Src: nodeApp, Dest: nodeApp, Dir: true, Include: []string{"**/node_modules"}}
	}
	// package.json and the lockfile reach the image once, with the app.
	deps := Layer{Name: "node_modules", State: prod, Files: []Artifact{
		modules,
	}}
	var sbom []SBOMSource
	switch p.manager {
	case managerNPM:
		// npm's hidden lockfile lists exactly what the production install put there.
		sbom = []SBOMSource{{Kind: "npm-lock", Path: nodeApp + "/node_modules/.package-lock.json"}}
	case managerPNPM:
		sbom = []SBOMSource{{Kind: "pnpm-lock", Path: nodeApp + "/node_modules/.pnpm/lock.yaml"}}
	case managerYarn:
		sbom = []SBOMSource{{Kind: "yarn-lock", Path: nodeApp + "/yarn.lock"}}
	}
	return &BuildOutput{
		Layers:     []Layer{deps, app},
		Entrypoint: []string{nodeBin, path.Join(nodeApp, p.main)},
		WorkingDir: nodeApp,
		Env:        []string{"NODE_ENV=production"},
		SBOM:       sbom,
	}, nil
}

// appExcludes are the files of the context that have no business in the
// app layer: node_modules (the production install is its own layer), the
// build's own files (the spec and its ignore files, at the root and in the
// workspace) and the package managers' state and config (.yarn holds
// yarn's releases and cache, .yarnrc.yml may hold a registry token).
func (p *nodePlan) appExcludes(specFile string) []string {
	out := []string{"**/node_modules", ".dockerignore", ".yarn", ".yarnrc.yml", ".pnpm-store", ".npm"}
	if name := path.Base(specFile); name != "." && name != "/" && name != "" {
		out = append(out, name, name+".dockerignore")
		if p.workspace != "" {
			out = append(out, path.Join(p.workspace, name), path.Join(p.workspace, name+".dockerignore"), path.Join(p.workspace, ".dockerignore"))
		}
	}
	return out
}

// nodeEnv is the environment of the install and build steps: build args,
// the CA bundle for node (npm, corepack), and no prompts or notices.
//
// Corepack's check of the package manager's download is left as corepack
// sets it (COREPACK_INTEGRITY_KEYS unset): a package.json "packageManager"
// pinned with its hash (name@version+sha512.<hex>, as `corepack use`
// writes it) is checked against that hash, any other against the npm
// registry's signature.
func nodeEnv(in *BuildInput, p *nodePlan) []llb.RunOption {
	out := []llb.RunOption{
		llb.AddEnv("NODE_EXTRA_CA_CERTS", in.CA),
		llb.AddEnv("COREPACK_HOME", corepackHome),
		llb.AddEnv("COREPACK_ENABLE_DOWNLOAD_PROMPT", "0"),
		llb.AddEnv("YARN_CACHE_FOLDER", yarnCache),
		llb.AddEnv("npm_config_update_notifier", "false"),
		llb.AddEnv("CI", "true"),
	}
	if p.berry {
		out = append(out,
			// Yarn 2+ from the npm registry (@yarnpkg/cli-dist), the
			// registry every other download uses, rather than its own
			// site; a build arg may name a mirror.
			llb.AddEnv("COREPACK_NPM_REGISTRY", "https://registry.npmjs.org"),
			// The project cache on the cache mount, not a global one in
			// the build stage.
			llb.AddEnv("YARN_ENABLE_GLOBAL_CACHE", "false"),
			llb.AddEnv("YARN_ENABLE_TELEMETRY", "0"),
		)
	}
	for _, kv := range in.Env {
		k, v, _ := strings.Cut(kv, "=")
		out = append(out, llb.AddEnv(k, v))
	}
	return out
}

// ExplainStepFailure maps the reserved exit codes of the Node steps back
// to their rules, naming the lockfile and the fix.
func (node) ExplainStepFailure(s *spec.Spec, files map[string][]byte, msg string, code int) (string, string, bool) {
	switch {
	case code == exitLockfileOutOfSync && strings.Contains(msg, installMarker):
		p, err := planNode(s, files, false)
		lf, mgr := "the lockfile", "npm"
		if err == nil {
			lf, mgr = p.lockfile, p.manager
		}
		r := rules.MustLookup(rules.LockfileOutOfSync)
		return fmt.Sprintf("%s %s: %s does not match package.json and the frozen install refuses to update it; run `%s install` and commit %s (%s)",
			r.ID, r.Name, lf, mgr, lf, r.URL()), specPath(s, "packageManager"), true
	case code == exitNativeAddon && strings.Contains(msg, nativeCheckMarker):
		r := rules.MustLookup(rules.NativeAddonCrossBuild)
		return fmt.Sprintf("%s %s: the production dependencies hold native addons (binding.gyp), which a cross build compiles for the build machine, not the target; build on the target platform, or drop the addon (%s)",
			r.ID, r.Name, r.URL()), "language", true
	}
	return "", "", false
}
