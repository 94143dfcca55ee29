package frontend

import (
	"context"

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
	named := make([]namedFile, len(files))
	for i, f := range files {
		named[i] = namedFile{f.Name, f.Data}
	}
	return writeFiles(ctx, c, "[manifests] write", named, opts)
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
