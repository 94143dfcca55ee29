package node

import (
	"path"

	"github.com/org/safe-frontend/lang"
	"github.com/org/safe-frontend/plan"
	"github.com/org/safe-frontend/spec"
)

// FrontEnd is a front-end build planned with a Node app's pieces: the
// manifests and lockfile copied first, the frozen install of every
// dependency (the build's tools among them) with the same lockfile checks
// and cache mounts, then the package.json script over the sources. None of
// it reaches a final image: the caller takes the script's output from the
// build stage.
type FrontEnd struct {
	Version, PackageManager, Script string
	// ScriptKey and ScriptPath name the spec key that chose the script
	// ("static.build.script"), for messages and their line.
	ScriptKey, ScriptPath string
}

func (fe FrontEnd) decide(s *spec.Spec, files map[string][]byte) (*decision, error) {
	cfg := spec.Node{Version: fe.Version, PackageManager: fe.PackageManager, Build: fe.Script}
	return decideFor(s, cfg, files, false, &frontEnd{scriptKey: fe.ScriptKey, scriptPath: fe.ScriptPath})
}

// BuilderImage is the node image the build runs on.
func (fe FrontEnd) BuilderImage() string {
	v := fe.Version
	if v == "" {
		v = DefaultVersion
	}
	return node{}.BuilderImage(&spec.Spec{Node: &spec.Node{Version: v}})
}

// ContextFiles are the manifests and lockfiles the build reads.
func (FrontEnd) ContextFiles() []string { return manifestFiles() }

// CheckContext refuses a missing or stale lockfile, as for a Node app.
func (fe FrontEnd) CheckContext(s *spec.Spec, files map[string][]byte) []lang.ContextFinding {
	_, err := fe.decide(s, files)
	return lang.FindingsOf(err)
}

// ExplainStepFailure turns a frozen install's refusal back into its rule.
func (fe FrontEnd) ExplainStepFailure(s *spec.Spec, files map[string][]byte, msg string, code int) (string, string, bool) {
	return explain(s, msg, code, func() (*decision, error) { return fe.decide(s, files) })
}

// FrontEndBuild is a planned front-end build.
type FrontEndBuild struct {
	Stages []plan.Stage
	// Stage is the stage that holds the built package, in Dir.
	Stage, Dir string
	// Steps is how many numbered steps the stages take (1..Steps).
	Steps int
}

// Plan plans the build; it runs on the build platform, whatever the
// target: its output is files, not code for a machine.
func (fe FrontEnd) Plan(in *lang.Input) (*FrontEndBuild, error) {
	d, err := fe.decide(in.Spec, in.Files)
	if err != nil {
		return nil, err
	}
	pl := &planner{d: d, in: in}
	stages := []plan.Stage{pl.manifests(), pl.buildStage()}
	return &FrontEndBuild{Stages: stages, Stage: stageBuild, Dir: path.Join(appDir, d.workspace), Steps: pl.n}, nil
}
