package frontend

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/containerd/platforms"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/dockerui"
	"github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/frontend/subrequests/targets"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/pkg/errors"

	"github.com/org/safe-frontend/llbgen"
	"github.com/org/safe-frontend/policy"
	"github.com/org/safe-frontend/render/dockerfile"
	"github.com/org/safe-frontend/spec"
)

// The targets that write what the build would do instead of doing it:
// `docker buildx build --target dockerfile -o out/ .` ejects a Dockerfile
// that builds the same image; `--target plan` writes the plan.
const (
	dockerfileTarget = "dockerfile"
	planTarget       = "plan"
)

func ejectTarget(t string) bool { return t == dockerfileTarget || t == planTarget }

// ejectInput is what an eject target converts from.
type ejectInput struct {
	sp      *spec.Spec
	src     *dockerui.Source
	in      *inputs
	opts    options
	report  *policy.Report
	memo    *resolveMemo
	build   ocispecs.Platform
	context llb.State
}

// buildEject converts the spec for one target platform, the bases resolved
// and pinned as the build would, and writes the Dockerfile and
// .dockerignore, or the plan as text and JSON, dated at the epoch.
func buildEject(ctx context.Context, c client.Client, bc *dockerui.Client, e *ejectInput) (*client.Result, error) {
	target := platforms.DefaultSpec()
	if len(bc.TargetPlatforms) > 0 {
		target = bc.TargetPlatforms[0]
	}
	reqs, err := llbgen.Bases(e.sp, e.build, target)
	if err != nil {
		return nil, withSource(err, e.src.SourceMap, e.sp.Source.Range("language"))
	}
	bases, err := resolveBases(ctx, e.memo, bc, e.in.lock, reqs)
	if err != nil {
		return nil, withSource(err, e.src.SourceMap, e.sp.Source.Range(baseErrPath(err)))
	}
	conv, err := llbgen.Convert(convertInput(c, bc, e.sp, e.src, e.in, e.opts, e.report, bases, e.build, target, e.context))
	if err != nil {
		return nil, withSource(err, e.src.SourceMap, e.sp.Source.Range(llbgen.ErrorPath(err, "language")))
	}
	if conv.Plan == nil {
		return nil, withSource(errors.Errorf("safe-frontend: the %s language has no plan yet, so it cannot be ejected or shown", e.sp.Language),
			e.src.SourceMap, e.sp.Source.Range("language"))
	}
	files, err := ejectFiles(bc.Target, e, conv, bases)
	if err != nil {
		return nil, withSource(err, e.src.SourceMap, e.sp.Source.Range("language"))
	}
	return writeFiles(ctx, c, "["+bc.Target+"] write", files, e.opts)
}

type namedFile struct {
	name string
	data []byte
}

func ejectFiles(target string, e *ejectInput, conv *llbgen.Result, bases map[string]llbgen.Base) ([]namedFile, error) {
	if target == planTarget {
		js, err := json.MarshalIndent(conv.Plan, "", "  ")
		if err != nil {
			return nil, err
		}
		return []namedFile{{"plan.txt", []byte(conv.Plan.Text())}, {"plan.json", append(js, '\n')}}, nil
	}
	refs := map[string]string{}
	for role, b := range bases {
		refs[role] = b.Name
		if b.Digest != "" {
			refs[role] = b.Name + "@" + b.Digest.String()
		}
	}
	var baseEnv []string
	if conv.BaseImage != nil {
		baseEnv = conv.BaseImage.Config.Env
	}
	df, ig, err := dockerfile.Render(&dockerfile.Input{Plan: conv.Plan, Bases: refs, Image: conv.Image, BaseEnv: baseEnv,
		Spec: e.sp, SpecFile: e.src.Filename, CA: llbgen.CAPath(e.sp), Excludes: e.in.excludes})
	if err != nil {
		return nil, errors.Wrap(err, "writing the Dockerfile")
	}
	return []namedFile{{"Dockerfile", df}, {".dockerignore", ig}}, nil
}

// writeFiles returns a scratch result holding the files, dated at the
// epoch like every file the frontend writes. The step shows as the
// prefix and the file names: "[manifests] write deployment.yaml, ...".
func writeFiles(ctx context.Context, c client.Client, prefix string, files []namedFile, opts options) (*client.Result, error) {
	var fa *llb.FileAction // Mkfile on nil starts the chain
	names := make([]string, len(files))
	for i, f := range files {
		names[i] = f.name
		fa = fa.Mkfile("/"+f.name, 0o644, f.data, llb.WithCreatedTime(opts.epoch))
	}
	name := prefix + " " + strings.Join(names, ", ")
	def, err := llb.Scratch().File(fa, llb.WithCustomName(name)).Marshal(ctx)
	if err != nil {
		return nil, errors.Wrap(err, "marshalling LLB")
	}
	r, err := c.Solve(ctx, client.SolveRequest{Definition: def.ToPB(), Evaluate: true})
	if err != nil {
		return nil, errors.Wrap(err, name)
	}
	ref, err := r.SingleRef()
	if err != nil {
		return nil, err
	}
	out := client.NewResult()
	out.SetRef(ref)
	return out, nil
}

// ejectTargetInfo lists the eject targets in --call=targets.
func ejectTargetInfo(s *spec.Spec) []targets.Target {
	ts := []targets.Target{
		{Name: dockerfileTarget, Description: "a Dockerfile and .dockerignore that build the same image (-o DIR)"},
		{Name: planTarget, Description: "the build plan, stage by stage, as text and JSON (-o DIR)"},
	}
	if s != nil {
		for i := range ts {
			ts[i].Location = location(s, "language")
		}
	}
	return ts
}
