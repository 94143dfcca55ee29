package frontend

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/containerd/platforms"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/frontend/subrequests/targets"
	"github.com/pkg/errors"

	"github.com/org/safe-frontend/llbgen"
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

// buildEject converts the spec for one target platform, the bases resolved
// and pinned as the build would, and writes the Dockerfile and
// .dockerignore, or the plan as text and JSON, dated at the epoch.
func buildEject(ctx context.Context, b *specBuild) (*client.Result, error) {
	target := platforms.DefaultSpec()
	if len(b.bc.TargetPlatforms) > 0 {
		target = b.bc.TargetPlatforms[0]
	}
	conv, bases, err := b.convert(ctx, target)
	if err != nil {
		return nil, err
	}
	files, err := ejectFiles(b.bc.Target, b, conv, bases)
	if err != nil {
		return nil, withSource(err, b.src.SourceMap, b.sp.Source.Range("language"))
	}
	return writeFiles(ctx, b.c, "["+b.bc.Target+"] write", files, b.opts)
}

type namedFile struct {
	name string
	data []byte
}

func ejectFiles(target string, e *specBuild, conv *llbgen.Result, bases map[string]llbgen.Base) ([]namedFile, error) {
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
