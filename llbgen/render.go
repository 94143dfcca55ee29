package llbgen

import (
	"strings"

	"github.com/moby/buildkit/client/llb"
	"github.com/pkg/errors"

	"github.com/org/safe-frontend/lang"
	"github.com/org/safe-frontend/plan"
	// Every language: the registry is what the conversion looks them up in.
	_ "github.com/org/safe-frontend/lang/all"
)

// buildStage adds the language's build to in.Builder, from its plan.
func buildStage(l Language, in *BuildInput) (*BuildOutput, *plan.Plan, error) {
	p, ok := l.(lang.Planner)
	if !ok {
		return nil, nil, errors.Errorf("language %s does not plan its build", l.Name())
	}
	// A file no allow: entry can make buildable is refused here too, for
	// callers that convert without checking the context first.
	if err := lang.Refusal(checkProjectFiles(l, in.Spec, in.Files)); err != nil {
		return nil, nil, err
	}
	pl, err := p.Plan(&lang.Input{Spec: in.Spec, Files: in.Files, Target: in.Target, Build: in.Build, BuildArgs: in.Env, CA: in.CA, Epoch: in.Epoch, SpecFile: in.SpecFile})
	if err != nil {
		return nil, nil, err
	}
	if err := pl.Validate(); err != nil {
		return nil, nil, errors.Wrapf(err, "the %s plan is malformed", l.Name())
	}
	out, err := renderPlan(pl, in)
	return out, pl, err
}

// planRenderer turns a plan's stages into LLB states, in order.
type planRenderer struct {
	plan   *plan.Plan
	in     *BuildInput
	stages map[string]llb.State
}

// renderPlan renders the stages and hands the final assembly their layers.
func renderPlan(pl *plan.Plan, in *BuildInput) (*BuildOutput, error) {
	r := &planRenderer{plan: pl, in: in, stages: map[string]llb.State{}}
	for _, st := range pl.Stages {
		r.stages[st.Name] = r.stage(st)
	}
	out := &BuildOutput{Entrypoint: pl.Final.Entrypoint, WorkingDir: pl.Final.WorkingDir, Env: pl.Final.Env, StopStatus: pl.Final.StopStatus}
	for _, l := range pl.Final.Layers {
		layer := Layer{Name: l.Name, State: r.ref(l.From)}
		for _, a := range l.Files {
			layer.Files = append(layer.Files, Artifact{Src: a.Src, Dest: a.Dest, Mode: a.Mode, Dir: a.Dir, Include: a.Include, Exclude: a.Exclude})
		}
		out.Layers = append(out.Layers, layer)
	}
	for _, s := range pl.Final.SBOM {
		out.SBOM = append(out.SBOM, SBOMSource{Kind: s.Kind, Path: s.Path})
	}
	return out, nil
}

func (r *planRenderer) ref(ref plan.Ref) llb.State {
	switch {
	case ref.Base == RoleBuilder:
		return r.in.Builder
	case ref.Base == RoleRuntime:
		return r.in.Runtime
	case ref.Base == RoleTools:
		return r.in.Tools
	case ref.Stage != "":
		return r.stages[ref.Stage]
	case ref.Context:
		return r.in.Context
	}
	return llb.Scratch()
}

func (r *planRenderer) stage(st plan.Stage) llb.State {
	s := r.ref(st.From)
	for _, step := range st.Steps {
		named := r.in.Step(step.N, r.plan.Steps, step.Name, step.SpecPath)
		if step.Run == nil {
			s = s.File(r.fileActions(step.Files), named)
			continue
		}
		es := s.Run(append(r.runOptions(step.Run), append([]llb.RunOption{named}, r.in.RunOpts...)...)...)
		s = es.Root()
		for _, m := range step.Run.Mounts {
			if m.Output {
				s = es.AddMount(m.Target, llb.Scratch())
			}
		}
	}
	return s
}

func (r *planRenderer) fileActions(actions []plan.FileAction) *llb.FileAction {
	var fa *llb.FileAction
	for _, a := range actions {
		switch {
		case a.Mkdir != nil:
			fa = fa.Mkdir(a.Mkdir.Path, a.Mkdir.Mode, llb.WithParents(a.Mkdir.Parents))
		case a.Mkfile != nil:
			fa = fa.Mkfile(a.Mkfile.Path, a.Mkfile.Mode, []byte(a.Mkfile.Data))
		case a.Rm != nil:
			fa = fa.Rm(a.Rm.Path, llb.WithAllowNotFound(a.Rm.AllowNotFound))
		case a.Copy != nil:
			c := a.Copy
			info := &llb.CopyInfo{CopyDirContentsOnly: c.Contents, AllowWildcard: c.Wildcard, AllowEmptyWildcard: c.AllowEmpty,
				IncludePatterns: c.Include, ExcludePatterns: c.Exclude, CreateDestPath: c.CreateDest}
			if c.Mode != 0 {
				info.Mode = &llb.ChmodOpt{Mode: c.Mode}
			}
			fa = fa.Copy(r.ref(c.From), c.Src, c.Dest, info)
		}
	}
	return fa
}

// runOptions: the command, its directory, its environment (then the build
// arguments, or before it with ArgsFirst), its mounts. The build-wide
// options (secrets, network, the CA variable) follow, for every command.
func (r *planRenderer) runOptions(run *plan.Run) []llb.RunOption {
	opts := commandOptions(run)
	if run.Dir != "" {
		opts = append(opts, llb.Dir(run.Dir))
	}
	env := run.Env
	switch {
	case run.BuildArgs && run.ArgsFirst:
		env = append(append([]string{}, r.in.Env...), env...)
	case run.BuildArgs:
		env = append(append([]string{}, env...), r.in.Env...)
	}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		opts = append(opts, llb.AddEnv(k, v))
	}
	for _, m := range run.Mounts {
		switch {
		case m.Cache != "" && m.Locked:
			opts = append(opts, r.in.LockedCache(m.Target, m.Cache))
		case m.Cache != "":
			opts = append(opts, r.in.Cache(m.Target, m.Cache))
		case m.Tmpfs:
			opts = append(opts, llb.AddMount(m.Target, llb.Scratch(), llb.Tmpfs()))
		case m.From != nil:
			opts = append(opts, llb.AddMount(m.Target, r.ref(*m.From), llb.Readonly))
		}
	}
	return opts
}

// commandOptions run a command under the runner, which keeps its output
// for the error message, and a generated script from a mounted file, so
// the process a failure reports is a short command line.
func commandOptions(run *plan.Run) []llb.RunOption {
	if run.NoShell {
		return []llb.RunOption{llb.Args(run.Args)}
	}
	files := llb.Mkfile("/run", 0o444, []byte(plan.Runner))
	argv := run.Args
	if sc := run.Script(); sc != nil {
		files = files.Mkfile("/"+sc.Name, 0o444, []byte(sc.Text))
		argv = sc.Argv()
	}
	return []llb.RunOption{
		llb.Args(append([]string{"/bin/sh", plan.ScriptDir + "/run"}, argv...)),
		llb.AddMount(plan.ScriptDir, llb.Scratch().File(files, llb.WithCustomName("[internal] the step's script")), llb.Readonly),
		llb.AddMount(plan.LogDir, llb.Scratch()),
	}
}
