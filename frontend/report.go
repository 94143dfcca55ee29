package frontend

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/frontend/subrequests/lint"
	"github.com/moby/buildkit/frontend/subrequests/outline"
	"github.com/moby/buildkit/frontend/subrequests/targets"
	"github.com/moby/buildkit/solver/errdefs"
	"github.com/moby/buildkit/solver/pb"
	"github.com/pkg/errors"

	"github.com/org/safe-frontend/llbgen"
	"github.com/org/safe-frontend/policy"
	"github.com/org/safe-frontend/rules"
	"github.com/org/safe-frontend/spec"
)

// refuse turns error findings into one build error that carries every
// finding's source range, so buildctl and buildx print each spec line.
func refuse(sm *llb.SourceMap, r *policy.Report) error {
	errs := r.Errors()
	if len(errs) == 0 {
		return nil
	}
	lines := make([]string, 0, len(errs))
	for _, f := range errs {
		lines = append(lines, describe(f))
	}
	what := sm.Filename + ": the spec was"
	if !slices.ContainsFunc(errs, func(f policy.Finding) bool { return f.File == "" }) {
		what = "the project files were"
	}
	msg := fmt.Sprintf("%s refused (%d error(s)):\n%s", what, len(errs), strings.Join(lines, "\n"))
	var err error = errors.New(msg)
	for i := len(errs) - 1; i >= 0; i-- {
		// A project file's fault is not shown at a spec line that never
		// mentions it; its file and line are in the message.
		if errs[i].File == "" {
			err = withSource(err, sm, errs[i].Range)
		}
	}
	return err
}

func describe(f policy.Finding) string {
	return fmt.Sprintf("  %s: %s %s: %s (%s)", f.Where(), f.Rule.ID, f.Rule.Name, f.Message, f.Rule.URL())
}

// withSource attaches a spec range to an error (errdefs.WithSource).
func withSource(err error, sm *llb.SourceMap, r spec.Range) error {
	if err == nil || sm == nil || sm.Definition == nil {
		return err
	}
	return errdefs.WithSource(err, &errdefs.Source{
		Info: &pb.SourceInfo{
			Filename:   sm.Filename,
			Language:   sm.Language,
			Data:       sm.Data,
			Definition: sm.Definition.ToPB(),
		},
		Ranges: []*pb.Range{pbRange(r)},
	})
}

func pbRange(r spec.Range) *pb.Range {
	end := r.End
	if end.Line < r.Start.Line {
		end = r.Start
	}
	return &pb.Range{
		Start: &pb.Position{Line: int32(r.Start.Line), Character: int32(r.Start.Col)},
		End:   &pb.Position{Line: int32(end.Line), Character: int32(end.Col)},
	}
}

func parserRange(r spec.Range) parser.Range {
	end := r.End
	if end.Line < r.Start.Line {
		end = r.Start
	}
	return parser.Range{
		Start: parser.Position{Line: r.Start.Line, Character: r.Start.Col},
		End:   parser.Position{Line: end.Line, Character: end.Col},
	}
}

func warnOpts(f policy.Finding) client.WarnOpts {
	return client.WarnOpts{
		Level:  1,
		Range:  []*pb.Range{pbRange(f.Range)},
		Detail: [][]byte{[]byte(f.Rule.Summary)},
		URL:    f.Rule.URL(),
	}
}

// lintResults answers `docker buildx build --check`: every finding, errors
// and warnings alike, exempted ones left out. The status is non-zero only
// when an error-level rule fired, so warnings alone do not fail CI.
func lintResults(sm *llb.SourceMap, r *policy.Report) *lint.LintResults {
	res := &lint.LintResults{Warnings: []lint.Warning{}}
	idx := res.AddSource(sm)
	for _, f := range r.Findings {
		if f.Exempted {
			continue
		}
		res.AddWarning(f.Rule.ID+" "+f.Rule.Name, f.Rule.Summary, f.Rule.URL(),
			fmt.Sprintf("[%s] %s", f.Rule.Severity, lintMessage(f)), idx, []parser.Range{parserRange(f.Range)})
	}
	if errs := r.Errors(); len(errs) > 0 {
		f := errs[0]
		res.Error = &lint.BuildError{
			Message:  fmt.Sprintf("the spec was refused: %d error(s), first: %s %s: %s", len(errs), f.Rule.ID, f.Rule.Name, lintMessage(f)),
			Location: pb.Location{SourceIndex: int32(idx), Ranges: []*pb.Range{pbRange(f.Range)}},
		}
	}
	return res
}

// lintMessage is a finding's message for --check, which shows it at a spec
// line: one in a project file says which file and line first.
func lintMessage(f policy.Finding) string {
	if f.File != "" {
		return f.Where() + ": " + f.Message
	}
	return f.Message
}

// lintResult is the --check answer: status 1 only when an error-level rule
// fired, so warnings alone do not fail a CI lint step.
func lintResult(sm *llb.SourceMap, r *policy.Report) (*client.Result, error) {
	res, err := lintResults(sm, r).ToResult(nil)
	if err != nil {
		return nil, errors.Wrap(err, "encoding lint results")
	}
	status := "0"
	if len(r.Errors()) > 0 {
		status = "1"
	}
	res.AddMeta("result.statuscode", []byte(status))
	return res, nil
}

// specOutline lists what a build of the spec takes: build args and secrets.
func specOutline(sm *llb.SourceMap, s *spec.Spec) *outline.Outline {
	o := &outline.Outline{Sources: [][]byte{sm.Data}}
	if s == nil {
		return o
	}
	o.Name = s.Name
	o.Description = fmt.Sprintf("%s app built by safe-frontend", s.Language)
	for _, k := range slices.Sorted(maps.Keys(s.Build.Args)) {
		o.Args = append(o.Args, outline.Arg{
			Name:     k,
			Value:    s.Build.Args[k],
			Location: location(s, spec.Path("build", "args", k)),
		})
	}
	ca := false
	for i, sec := range s.Secrets {
		ca = ca || sec.ID == llbgen.CASecretID
		o.Secrets = append(o.Secrets, outline.Secret{Name: sec.ID, Required: sec.Required, Location: location(s, spec.Path("secrets", i))})
	}
	if !ca {
		o.Secrets = append(o.Secrets, outline.Secret{Name: llbgen.CASecretID})
	}
	return o
}

func targetList(sm *llb.SourceMap, s *spec.Spec) *targets.List {
	l := &targets.List{Sources: [][]byte{sm.Data}}
	t := targets.Target{Name: defaultTarget, Default: true}
	if s != nil {
		t.Description = fmt.Sprintf("the %s image of %s", s.Language, s.Name)
		t.Location = location(s, "name")
	}
	l.Targets = append(append(l.Targets, t, manifestsTargetInfo(s)), ejectTargetInfo(s)...)
	return l
}

func location(s *spec.Spec, path string) *pb.Location {
	return &pb.Location{SourceIndex: 0, Ranges: []*pb.Range{pbRange(s.Source.Range(path))}}
}

// explainSolveError adds the rule to errors the daemon raises for rules the
// frontend cannot check up front (a required secret that was not passed).
// The explained error is a new one pointing at the spec line: wrapping the
// daemon's gRPC error would lose the explanation on the way to the client.
func explainSolveError(ctx context.Context, c client.Client, err error, s *spec.Spec, files map[string][]byte, sm *llb.SourceMap) error {
	msg := err.Error()
	// A language's step that exited with a code reserved for a rule (a
	// lockfile the frozen install refuses to update).
	if m, p, ok := llbgen.ExplainStepFailure(s, files, msg); ok {
		return withSource(errors.New(m), sm, s.Source.Range(p))
	}
	for i, sec := range s.Secrets {
		if sec.Required && strings.Contains(msg, "secret "+sec.ID+": not found") {
			r := rules.MustLookup(rules.SecretMissing)
			return withSource(errors.Errorf("%s %s: required build secret %q was not provided; pass it with --secret id=%s,src=FILE (%s)",
				r.ID, r.Name, sec.ID, sec.ID, r.URL()), sm, s.Source.Range(spec.Path("secrets", i)))
		}
	}
	if explained, ok := explainStepFailure(ctx, c, err); ok {
		return explained
	}
	return err
}
