package frontend

import (
	"context"
	"encoding/json"

	"github.com/distribution/reference"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	"github.com/moby/buildkit/frontend/dockerui"
	"github.com/moby/buildkit/frontend/gateway/client"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	digest "github.com/opencontainers/go-digest"
	"github.com/pkg/errors"
	"golang.org/x/sync/errgroup"

	"github.com/org/safe-frontend/llbgen"
)

// baseError remembers which spec path chose the base that failed.
type baseError struct {
	error
	path string
}

func (e *baseError) Unwrap() error { return e.error }

func baseErrPath(err error) string {
	var be *baseError
	if errors.As(err, &be) {
		return be.path
	}
	return "language"
}

// resolveBases pins every base: a named context (--build-context) wins,
// then the spec's lock (lk, nil without one); otherwise the registry is asked
// for the digest and the image is referenced by it, so the build cannot
// drift if the tag moves.
func resolveBases(ctx context.Context, c client.Client, bc *dockerui.Client, lk *baseLock, reqs []llbgen.BaseRequest) (map[string]llbgen.Base, error) {
	out := make([]llbgen.Base, len(reqs))
	eg, ctx := errgroup.WithContext(ctx)
	for i, req := range reqs {
		eg.Go(func() error {
			b, err := resolveBase(ctx, c, bc, lk, req)
			if err != nil {
				return &baseError{error: errors.Wrapf(err, "resolving %s image %s", req.Role, req.Name), path: req.Path}
			}
			out[i] = b
			return nil
		})
	}
	if err := eg.Wait(); err != nil {
		return nil, err
	}
	m := make(map[string]llbgen.Base, len(reqs))
	for i, req := range reqs {
		m[req.Role] = out[i]
	}
	return m, nil
}

func resolveBase(ctx context.Context, c client.Client, bc *dockerui.Client, lk *baseLock, req llbgen.BaseRequest) (llbgen.Base, error) {
	named, err := reference.ParseNormalizedNamed(req.Name)
	if err != nil {
		return llbgen.Base{}, err
	}
	// Named contexts: "golang:1.26" as written by FROM, or just "golang".
	for _, name := range []string{reference.FamiliarString(named), reference.FamiliarName(named)} {
		var dgst digest.Digest
		nc, err := bc.NamedContext(name, dockerui.ContextOpt{Platform: &req.Platform, ResolveMode: bc.ImageResolveMode.String(), CaptureDigest: &dgst})
		if err != nil {
			return llbgen.Base{}, err
		}
		if nc == nil {
			continue
		}
		st, img, err := nc.Load(ctx)
		if err != nil {
			return llbgen.Base{}, err
		}
		// The label names what the spec asked for; the digest says what
		// the override actually was (docker-image:// and oci-layout://).
		return llbgen.Base{Name: req.Name, Digest: dgst, State: st.Platform(req.Platform), Image: img}, nil
	}

	if (req.Role == llbgen.RoleRuntime || req.Role == llbgen.RoleTools) && runtimeDigest != "" {
		// The release pins its companion image: the tag is only a name.
		d, err := digest.Parse(runtimeDigest)
		if err != nil {
			return llbgen.Base{}, errors.Wrap(err, "the frontend was built with a malformed runtime image digest")
		}
		if named, err = reference.WithDigest(reference.TagNameOnly(named), d); err != nil {
			return llbgen.Base{}, err
		}
	}
	if lk != nil && lockable(req) {
		if named, err = lk.pin(req); err != nil {
			return llbgen.Base{}, err
		}
	}
	ref, dgst, dt, err := c.ResolveImageConfig(ctx, named.String(), sourceresolver.Opt{
		LogName: "[internal] load metadata for " + named.String(),
		ImageOpt: &sourceresolver.ResolveImageOpt{
			Platform:    &req.Platform,
			ResolveMode: bc.ImageResolveMode.String(),
		},
	})
	if err != nil {
		return llbgen.Base{}, err
	}
	var img dockerspec.DockerOCIImage
	if err := json.Unmarshal(dt, &img); err != nil {
		return llbgen.Base{}, errors.Wrap(err, "parsing image config")
	}
	resolved, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return llbgen.Base{}, err
	}
	pinned := resolved.String()
	if dgst != "" {
		withDigest, err := reference.WithDigest(reference.TagNameOnly(resolved), dgst)
		if err != nil {
			return llbgen.Base{}, err
		}
		pinned = withDigest.String()
	}
	st := llb.Image(pinned, llb.Platform(req.Platform), bc.ImageResolveMode,
		llb.WithCustomName("["+req.Stage+"] FROM "+pinned))
	st, err = st.WithImageConfig(dt)
	if err != nil {
		return llbgen.Base{}, errors.Wrap(err, "applying image config")
	}
	return llbgen.Base{Name: req.Name, Digest: dgst, State: st, Image: &img}, nil
}
