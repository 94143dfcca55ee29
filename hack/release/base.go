package main

import (
	"context"
	"fmt"
	"os"

	"github.com/distribution/reference"
	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
)

// goImage is the Go toolchain both Dockerfiles build on (their GO_IMAGE).
const goImage = "docker.io/library/golang:1.26"

// pinBase resolves ref to its index digest through the builder, so it sees
// the registry (or mirror) the builds will pull from. Both images of a
// release then build on those exact bytes, even if the tag moves mid-release,
// and release.json says which they were.
func pinBase(ctx context.Context, ref string) (string, error) {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return "", err
	}
	c, err := client.New(ctx, os.Getenv("BUILDKIT_HOST"))
	if err != nil {
		return "", fmt.Errorf("connecting to BUILDKIT_HOST: %w", err)
	}
	defer c.Close()
	var pinned string
	_, err = c.Build(ctx, client.SolveOpt{}, "release", func(ctx context.Context, gc gateway.Client) (*gateway.Result, error) {
		_, dgst, _, err := gc.ResolveImageConfig(ctx, named.String(), sourceresolver.Opt{
			LogName:  "[internal] pin " + named.String(),
			ImageOpt: &sourceresolver.ResolveImageOpt{ResolveMode: "pull"},
		})
		if err != nil {
			return nil, err
		}
		withDigest, err := reference.WithDigest(reference.TagNameOnly(named), dgst)
		if err != nil {
			return nil, err
		}
		pinned = withDigest.String()
		return gateway.NewResult(), nil
	}, nil)
	if err != nil {
		return "", fmt.Errorf("resolving %s: %w", ref, err)
	}
	return pinned, nil
}
