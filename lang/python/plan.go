package python

import (
	"path"
	"strings"

	"github.com/org/safe-frontend/lang"
	"github.com/org/safe-frontend/plan"
	"github.com/org/safe-frontend/spec"
)

// Stage names: the dependencies (/venv) change with the lock only, the
// app (/app) with every source edit.
const (
	depsStage    = "python-deps"
	projectStage = "python-project" // a packaged uv project, installed into /venv
	appStage     = "python"
)

// planner holds what every step of one build needs.
type planner struct {
	in      *lang.Input
	rt      runtime
	version string
	interp  string // the builder's CPython, the one the final runs
	lk      *depLock
	cross   []string // pip's options for the target's wheels, or none
}

// Plan: Debian's CPython and the venvs, the lock, the install, the
// sources, (a packaged uv project's own install,) the bytecode.
func (python) Plan(in *lang.Input) (*plan.Plan, error) {
	s := in.Spec
	rt, version := runtimeOf(s)
	lk, err := usableLock(s, in.Files)
	if err != nil {
		return nil, err
	}
	lk.version = version
	p := &planner{in: in, rt: rt, version: version, interp: "/usr/bin/python" + version, lk: lk}
	// A cross build installs the target's wheels with pip's platform
	// options; it never runs target code, so no emulation is needed.
	if t, b := in.Target, in.Build; t.OS != b.OS || t.Architecture != b.Architecture || t.Variant != b.Variant {
		if p.cross, err = crossWheelOptions(rt, version, lk, in); err != nil {
			return nil, err
		}
	}
	return p.plan(), nil
}

func (p *planner) packaged() bool { return p.lk.Kind == lockUV && p.lk.Packaged }

func (p *planner) plan() *plan.Plan {
	total := 5
	if p.packaged() {
		total = 6
	}
	stages := []plan.Stage{{Name: depsStage, From: plan.Builder, Steps: []plan.Step{p.setupStep(), p.lockStep(), p.installStep()}}}
	appSteps := []plan.Step{p.sourcesStep(), p.compileStep(total)}
	venvFrom := depsStage
	if p.packaged() {
		// The project's own install changes /venv: the venv layer is
		// taken after it, the app's compiled sources after that.
		stages = append(stages, plan.Stage{Name: projectStage, From: plan.StageRef(depsStage), Steps: []plan.Step{appSteps[0], p.projectStep()}})
		venvFrom, appSteps = projectStage, appSteps[1:]
	}
	stages = append(stages, plan.Stage{Name: appStage, From: plan.StageRef(venvFrom), Steps: appSteps})
	return &plan.Plan{Language: "python", Steps: total, Stages: stages, Final: p.final(venvFrom)}
}

func (p *planner) final(venvFrom string) plan.Final {
	entry, _ := entrypoint(p.in.Spec)
	return plan.Final{
		Layers: []plan.Layer{
			{Name: "venv", From: plan.StageRef(venvFrom), Files: []plan.Artifact{{Src: venvDir, Dest: venvDir, Dir: true}}},
			{Name: "app", From: plan.StageRef(appStage), Files: []plan.Artifact{{Src: appDir, Dest: appDir, Dir: true}}},
		},
		Entrypoint: entry,
		WorkingDir: appDir,
		Env: []string{
			"PATH=" + venvDir + "/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
			"PYTHONDONTWRITEBYTECODE=1",
			"PYTHONUNBUFFERED=1",
		},
		SBOM: []plan.SBOMSource{{Kind: "python-dist-info", Path: venvSite(p.version)}},
	}
}

// setupStep: Debian's CPython, the same build as the final's, plus a venv
// for pip and an empty one for the app. Build args reach apt as they
// reach pip: a proxy or mirror declared there must serve every download.
func (p *planner) setupStep() plan.Step {
	pkgs := strings.Join(p.rt.Packages, " ")
	return plan.Step{N: 1, Name: "apt-get install " + pkgs + "; python" + p.version + " -m venv " + venvDir, SpecPath: "language",
		Why: "Debian's CPython, the very interpreter the distroless final runs, with a venv for pip and an empty one for the app",
		Run: &plan.Run{
			Args: shell(
				"rm -f /etc/apt/apt.conf.d/docker-clean",
				`echo 'Binary::apt::APT::Keep-Downloaded-Packages "true";' > /etc/apt/apt.conf.d/keep-cache`,
				"apt-get update -qq",
				"DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "+pkgs+" >/dev/null",
				p.interp+" -m venv "+toolsDir,
				p.interp+" -m venv --without-pip "+venvDir,
			),
			BuildArgs: true,
			Mounts: []plan.Mount{
				{Target: aptLists, Cache: "apt-lists-" + p.version, Locked: true},
				{Target: aptCaches, Cache: "apt-cache-" + p.version, Locked: true},
			},
		}}
}

// lockStep puts the lock alone in /src: a source edit leaves it and the
// install cached.
func (p *planner) lockStep() plan.Step {
	lk := p.lk
	st := plan.Step{N: 2, Name: "copy " + lockName(lk), SpecPath: lockPath(p.in.Spec),
		Why:   "the lock alone before the sources: a source edit leaves the install below cached",
		Files: []plan.FileAction{{Mkdir: &plan.Mkdir{Path: srcDir, Mode: 0o755, Parents: true}}}}
	ctxCopy := func(src, dest string) plan.FileAction {
		return plan.FileAction{Copy: &plan.Copy{From: plan.Context, Src: "/" + src, Dest: dest}}
	}
	mkfile := func(name, data string) plan.FileAction {
		return plan.FileAction{Mkfile: &plan.Mkfile{Path: srcDir + "/" + name, Mode: 0o644, Data: data}}
	}
	switch lk.Kind {
	case lockRequirements:
		st.Files = append(st.Files, ctxCopy(lk.File, srcDir+"/"+path.Base(lk.File)))
	case lockPoetry:
		// The plan carries the file, so the install is cached by the
		// lock's content.
		st.Name = "write the hashed requirements of " + lk.File + " (main group)"
		st.Why = "poetry.lock's main group as a hashed requirements file: pip installs it, no poetry is fetched"
		st.Files = append(st.Files, mkfile("requirements.txt", lk.Generated))
	case lockUV:
		st.Name = "copy " + lk.File + " " + lk.Project
		st.Files = append(st.Files, ctxCopy(lk.File, srcDir+"/uv.lock"), ctxCopy(lk.Project, srcDir+"/pyproject.toml"),
			mkfile("uv-requirements.txt", uvRequirement()))
	}
	return st
}

// compileVenv compiles what the install put in /venv: the image's root is
// read-only at run time, so Python could not write the bytecode then.
func (p *planner) compileVenv() string {
	return p.interp + " -m compileall -q -j0 --invalidation-mode unchecked-hash " + venvDir + "/lib"
}

func (p *planner) installStep() plan.Step {
	cmd, name := installCommand(p.lk, p.cross)
	run := &plan.Run{
		Args: shell(caPrelude(p.in.CA), cmd, p.compileVenv()),
		Dir:  srcDir,
		Env:  []string{"PIP_DISABLE_PIP_VERSION_CHECK=1", "PIP_ROOT_USER_ACTION=ignore", "PIP_NO_INPUT=1"},
		// Build args carry an index URL or a proxy to pip and uv.
		BuildArgs: true,
		Mounts:    []plan.Mount{{Target: pipCache, Cache: "pip"}},
	}
	if p.lk.Kind == lockUV {
		run.Env = append(run.Env, p.uvEnv()...)
		run.Mounts = append(run.Mounts, uvMount)
	}
	return plan.Step{N: 3, Name: name, SpecPath: lockPath(p.in.Spec), Run: run,
		Why: "the locked dependencies into /venv, compiled, by a pip or uv that never reaches the image"}
}

func (p *planner) sourcesStep() plan.Step {
	return plan.Step{N: 4, Name: "copy sources", SpecPath: "language",
		Why: "the sources after the dependencies: an edit reruns only the steps from here",
		Files: []plan.FileAction{
			{Mkdir: &plan.Mkdir{Path: appDir, Mode: 0o755, Parents: true}},
			// The spec and the ignore files are the build's, not the app's.
			{Copy: &plan.Copy{From: plan.Context, Src: "/", Dest: appDir + "/", Contents: true, Exclude: lang.BuildFiles(p.in.SpecFile)}},
		}}
}

// projectStep installs a packaged uv project into /venv too, as a regular
// (not editable) install: its dependencies are already there.
func (p *planner) projectStep() plan.Step {
	return plan.Step{N: 5, Name: "uv sync --locked --no-dev --no-editable (the project)", SpecPath: lockPath(p.in.Spec),
		Why: "the project is a package: uv installs it into /venv, next to its dependencies",
		Run: &plan.Run{
			Args:      shell(caPrelude(p.in.CA), toolsDir+"/bin/uv sync --locked --no-dev --no-editable", p.compileVenv()),
			Dir:       appDir,
			Env:       p.uvEnv(),
			BuildArgs: true,
			Mounts:    []plan.Mount{uvMount, {Target: pipCache, Cache: "pip"}},
		}}
}

// compileStep checks that the entry point exists and compiles /app. No
// -j0 here: this step reruns on every source edit, and for an app's
// handful of modules starting a process pool costs more than it saves.
func (p *planner) compileStep(n int) plan.Step {
	_, check := entrypoint(p.in.Spec)
	return plan.Step{N: n, Name: "compile bytecode of " + appDir + " (unchecked-hash)", SpecPath: entryPath(p.in.Spec),
		Why: "bytecode now, as the image's root is read-only at run time; and the entry point must exist",
		Run: &plan.Run{
			Args: shell(check, p.interp+" -m compileall -q --invalidation-mode unchecked-hash "+appDir),
			Dir:  appDir,
		}}
}

func entryPath(s *spec.Spec) string {
	return lang.SpecPath(s, "python/main", "python/module", "python/script", "python")
}
