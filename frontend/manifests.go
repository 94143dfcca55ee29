package frontend

import (
	"context"
	"strings"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/dockerui"
	"github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/frontend/subrequests/targets"
	"github.com/pkg/errors"

	"github.com/org/safe-frontend/manifests"
	"github.com/org/safe-frontend/spec"
)

// manifestsTarget writes the Kubernetes manifests for the image instead of
// the image: `docker buildx build --target manifests -o deploy/ .`.
const manifestsTarget = "manifests"

// Build args of the manifests target: the pushed image by digest (a
// build cannot know the digest the registry will give the image it has not
// pushed yet) and the objects' namespace.
const (
	argImage     = "IMAGE"
	argNamespace = "NAMESPACE"
)

// buildManifests answers --target manifests: a scratch result holding
// deployment.yaml and service.yaml, dated at the epoch like every file the
// frontend writes. The spec has already been checked and its warnings
// reported.
func buildManifests(ctx context.Context, c client.Client, bc *dockerui.Client, sp *spec.Spec, src *dockerui.Source) (*client.Result, error) {
	opts, err := readOptions(bc)
	if err != nil {
		return nil, err
	}
	if _, err := manifests.ParseImage(bc.BuildArgs[argImage]); err != nil {
		return nil, errors.Errorf("the manifests target names the image by digest: pass --build-arg %s=REF@sha256:<digest> (%v)", argImage, err)
	}
	// --platform says which nodes can run the image; the manifests
	// themselves are plain files and are written once, not per platform.
	res, err := manifests.Generate(sp, manifests.Options{Image: bc.BuildArgs[argImage], Namespace: bc.BuildArgs[argNamespace], Platforms: bc.TargetPlatforms})
	if err != nil {
		return nil, withSource(errors.Wrap(err, "generating the manifests"), src.SourceMap, sp.Source.Range("name"))
	}
	for _, n := range res.Notes {
		src.Warn(ctx, "manifests: "+n, client.WarnOpts{})
	}
	files, err := res.Files()
	if err != nil {
		return nil, err
	}
	var fa *llb.FileAction
	names := make([]string, len(files))
	for i, f := range files {
		names[i] = f.Name
		if fa == nil {
			fa = llb.Mkfile("/"+f.Name, 0o644, f.Data, llb.WithCreatedTime(opts.epoch))
		} else {
			fa = fa.Mkfile("/"+f.Name, 0o644, f.Data, llb.WithCreatedTime(opts.epoch))
		}
	}
	st := llb.Scratch().File(fa, llb.WithCustomName("[manifests] write "+strings.Join(names, ", ")))
	def, err := st.Marshal(ctx)
	if err != nil {
		return nil, errors.Wrap(err, "marshalling LLB")
	}
	r, err := c.Solve(ctx, client.SolveRequest{Definition: def.ToPB(), Evaluate: true})
	if err != nil {
		return nil, errors.Wrap(err, "writing the manifests")
	}
	ref, err := r.SingleRef()
	if err != nil {
		return nil, err
	}
	out := client.NewResult()
	out.SetRef(ref)
	return out, nil
}

// manifestsTargetInfo lists the target in --call=targets.
func manifestsTargetInfo(s *spec.Spec) targets.Target {
	t := targets.Target{
		Name:        manifestsTarget,
		Description: "Kubernetes Deployment and Service for the pushed image (--build-arg " + argImage + "=REF@sha256:..., optional " + argNamespace + "=NS)",
	}
	if s != nil {
		t.Location = location(s, "name")
	}
	return t
}
