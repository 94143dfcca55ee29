package node

import (
	"path"
	"strings"

	"github.com/org/safe-frontend/lang"
	"github.com/org/safe-frontend/plan"
)

// Stages of the Node plan: the manifests alone, the build with every
// dependency (only with a build script), the production install.
const (
	stageManifests = "node-manifests"
	stageBuild     = "node-build"
	stageProd      = "node-prod"
)

// Plan: the manifests first, then the build (when package.json's script
// is named) and the production install, both from the manifests alone.
func (node) Plan(in *lang.Input) (*plan.Plan, error) {
	t, b := in.Target, in.Build
	cross := t.OS != b.OS || t.Architecture != b.Architecture || t.Variant != b.Variant
	d, err := decide(in.Spec, in.Files, cross)
	if err != nil {
		return nil, err
	}
	pl := &planner{d: d, in: in}
	if cross {
		pl.target = npmArch(t.Architecture)
	}
	total := 2
	if d.build != "" {
		total += 3
	}
	if cross {
		total++
	}
	// Step numbers follow the order the stages were always built in.
	stages := []plan.Stage{pl.manifests()}
	app := plan.Layer{Name: "app", From: plan.Context, Files: []plan.Artifact{{Src: "/", Dest: appDir, Dir: true, Exclude: d.appExcludes(in.SpecFile)}}}
	if d.build != "" {
		stages = append(stages, pl.buildStage())
		app = plan.Layer{Name: "app", From: plan.StageRef(stageBuild), Files: []plan.Artifact{{Src: appDir, Dest: appDir, Dir: true, Exclude: d.appExcludes(in.SpecFile)}}}
	}
	stages = append(stages, pl.prodStage(cross))
	return &plan.Plan{
		Language: "node",
		Steps:    total,
		Stages:   stages,
		Final: plan.Final{
			// package.json and the lockfile reach the image once, with the app.
			Layers:     []plan.Layer{d.modulesLayer(), app},
			Entrypoint: []string{nodeBin, path.Join(appDir, d.main)},
			WorkingDir: appDir,
			Env:        []string{"NODE_ENV=production"},
			SBOM:       d.sbom(),
		},
	}, nil
}

// planner numbers the steps as it makes them.
type planner struct {
	d      *decision
	in     *lang.Input
	target string // npm's name of the target architecture in a cross build
	n      int
}

func (pl *planner) next() int {
	pl.n++
	return pl.n
}

func (pl *planner) manifests() plan.Stage {
	include := []string{"package.json", pl.d.lockfile, ".yarnrc.yml", ".yarn/releases/**", ".yarn/plugins/**", ".yarn/patches/**", "patches/**"}
	if pl.d.workspaces {
		include = append(include, "**/package.json", "pnpm-workspace.yaml")
	}
	return plan.Stage{Name: stageManifests, From: plan.Builder, Steps: []plan.Step{{
		N: pl.next(), Name: "copy package.json " + pl.d.lockfile, SpecPath: "language",
		Why: "the manifests and the lockfile alone first: a source edit leaves the installs cached",
		Files: []plan.FileAction{
			{Mkdir: &plan.Mkdir{Path: appDir, Mode: 0o755, Parents: true}},
			{Copy: &plan.Copy{From: plan.Context, Src: "/", Dest: appDir + "/", Contents: true, AllowEmpty: true,
				Include: include, Exclude: []string{"**/node_modules"}}},
		},
	}}}
}

// buildStage installs every dependency, the build's tools among them, and
// runs the build script over the sources.
func (pl *planner) buildStage() plan.Stage {
	install := pl.install(false, "install")
	sources := plan.Step{N: pl.next(), Name: "copy sources", SpecPath: "language",
		Why: "the app's sources over the installed tree; node_modules stays the install's",
		Files: []plan.FileAction{{Copy: &plan.Copy{From: plan.Context, Src: "/", Dest: appDir + "/", Contents: true,
			Exclude: []string{"**/node_modules"}}}}}
	// Run in the package's directory: every manager finds the workspace
	// root from there.
	args := append(pl.d.managerCmd(), "run", pl.d.build)
	build := plan.Step{N: pl.next(), Name: strings.Join(args, " "), SpecPath: pl.d.buildPath,
		Why: "the package's build script, for production",
		Run: &plan.Run{Args: args, Dir: path.Join(appDir, pl.d.workspace),
			Env: append([]string{"NODE_ENV=production"}, pl.d.env(pl.in.CA)...), BuildArgs: true, Mounts: pl.mounts()}}
	return plan.Stage{Name: stageBuild, From: plan.StageRef(stageManifests), Steps: []plan.Step{install, sources, build}}
}

// prodStage installs the production dependencies for the target; a cross
// build then checks that none needed compiling.
func (pl *planner) prodStage(cross bool) plan.Stage {
	steps := []plan.Step{pl.install(true, "production install")}
	if cross {
		steps = append(steps, plan.Step{N: pl.next(), Name: "check for native addons (" + pl.in.Target.Architecture + ")", SpecPath: "language",
			Why: "an addon's install script did not run: it could only have compiled for the build machine",
			Run: &plan.Run{Args: []string{"node", "-e", nativeCheck, nativeCheckMarker}, Dir: appDir}})
	}
	return plan.Stage{Name: stageProd, From: plan.StageRef(stageManifests), Steps: steps}
}

// install is a frozen install: the lockfile as it is, or a failure the
// step's exit code names. Only the production tree is installed for the
// target; the build's own tools run here.
func (pl *planner) install(prod bool, name string) plan.Step {
	d := pl.d
	target := ""
	if prod {
		target = pl.target
	}
	args := d.installArgs(prod, target)
	shown := strings.Join(args, " ")
	if d.berry && prod {
		cmd := strings.Join(d.managerCmd(), " ")
		shown = cmd + " install --immutable --mode=skip-build && " + cmd + " workspaces focus --all --production"
	}
	var env []string
	if d.berry {
		env = append(env, "YARN_ENABLE_IMMUTABLE_INSTALLS=true")
		if prod && pl.target != "" {
			// Berry's --ignore-scripts: an install script would build
			// for the build machine.
			env = append(env, "YARN_ENABLE_SCRIPTS=false")
		}
	}
	why := "every dependency, the build's tools among them, exactly as the lockfile pins them"
	if prod {
		why = "the production dependencies alone, exactly as the lockfile pins them: the node_modules layer"
	}
	return plan.Step{N: pl.next(), Name: name + ": " + shown, SpecPath: specPath(pl.in.Spec, "packageManager"), Why: why,
		Run: &plan.Run{Args: append([]string{"/bin/sh", "-c", frozenInstall, installMarker}, args...), Dir: appDir,
			Env: append(env, d.env(pl.in.CA)...), BuildArgs: true, Mounts: pl.mounts()}}
}

// mounts of the install and build steps: a scratch /tmp, corepack's
// downloads and the manager's cache.
func (pl *planner) mounts() []plan.Mount {
	m := []plan.Mount{{Target: "/tmp", Tmpfs: true}, {Target: corepackHome, Cache: "corepack"}}
	switch pl.d.manager {
	case managerNPM:
		m = append(m, plan.Mount{Target: npmCache, Cache: "npm"})
	case managerPNPM:
		m = append(m, plan.Mount{Target: pnpmStore, Cache: "pnpm-store"})
	case managerYarn:
		m = append(m, plan.Mount{Target: yarnCache, Cache: "yarn"})
	}
	return m
}

// modulesLayer is the production install's node_modules.
func (d *decision) modulesLayer() plan.Layer {
	modules := plan.Artifact{Src: appDir + "/node_modules", Dest: appDir + "/node_modules", Dir: true}
	if d.workspaces {
		// Every package's node_modules: pnpm links a workspace package's
		// dependencies into its own directory, npm nests a version that
		// conflicts with the root's there.
		modules = plan.Artifact{Src: appDir, Dest: appDir, Dir: true, Include: []string{"**/node_modules"}}
	}
	return plan.Layer{Name: "node_modules", From: plan.StageRef(stageProd), Files: []plan.Artifact{modules}}
}

func (d *decision) sbom() []plan.SBOMSource {
	switch d.manager {
	case managerNPM:
		// npm's hidden lockfile lists exactly what the production install put there.
		return []plan.SBOMSource{{Kind: "npm-lock", Path: appDir + "/node_modules/.package-lock.json"}}
	case managerPNPM:
		return []plan.SBOMSource{{Kind: "pnpm-lock", Path: appDir + "/node_modules/.pnpm/lock.yaml"}}
	case managerYarn:
		return []plan.SBOMSource{{Kind: "yarn-lock", Path: appDir + "/yarn.lock"}}
	}
	return nil
}

// appExcludes are the files of the context that have no business in the
// app layer: node_modules (the production install is its own layer), the
// build's own files (the spec and its ignore files, at the root and in the
// workspace) and the package managers' state and config (.yarn holds
// yarn's releases and cache, .yarnrc.yml may hold a registry token).
func (d *decision) appExcludes(specFile string) []string {
	out := []string{"**/node_modules", ".dockerignore", ".yarn", ".yarnrc.yml", ".pnpm-store", ".npm"}
	if name := path.Base(specFile); name != "." && name != "/" && name != "" {
		out = append(out, name, name+".dockerignore")
		if d.workspace != "" {
			out = append(out, path.Join(d.workspace, name), path.Join(d.workspace, name+".dockerignore"), path.Join(d.workspace, ".dockerignore"))
		}
	}
	return out
}

// env is the environment of the install and build steps (the build args
// follow it): the CA bundle for node (npm, corepack), no prompts or
// notices.
//
// Corepack's check of the package manager's download is left as corepack
// sets it (COREPACK_INTEGRITY_KEYS unset): a package.json "packageManager"
// pinned with its hash (name@version+sha512.<hex>, as `corepack use`
// writes it) is checked against that hash, any other against the npm
// registry's signature.
func (d *decision) env(ca string) []string {
	env := []string{
		"NODE_EXTRA_CA_CERTS=" + ca,
		"COREPACK_HOME=" + corepackHome,
		"COREPACK_ENABLE_DOWNLOAD_PROMPT=0",
		"YARN_CACHE_FOLDER=" + yarnCache,
		"npm_config_update_notifier=false",
		"CI=true",
	}
	if d.berry {
		env = append(env,
			// Yarn 2+ from the npm registry (@yarnpkg/cli-dist), the
			// registry every other download uses, rather than its own
			// site; a build arg may name a mirror.
			"COREPACK_NPM_REGISTRY=https://registry.npmjs.org",
			// The project cache on the cache mount, not a global one in
			// the build stage.
			"YARN_ENABLE_GLOBAL_CACHE=false",
			"YARN_ENABLE_TELEMETRY=0",
		)
	}
	return env
}
