package frontend

import (
	"context"
	"fmt"
	"os"
	"path"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/dockerui"
	"github.com/moby/buildkit/frontend/gateway/client"
	"github.com/pkg/errors"
	"golang.org/x/sync/errgroup"

	"github.com/org/safe-frontend/llbgen"
	"github.com/org/safe-frontend/rules"
)

// Limits on what a language may read from the context at conversion time:
// manifests and lockfiles, never the sources. A context that exceeds them
// is refused rather than read.
const (
	maxContextFile  = 16 << 20
	maxContextTotal = 64 << 20
	maxContextFiles = 2000
	maxContextDepth = 16

	// contextReadConcurrency bounds the file reads in flight at once.
	contextReadConcurrency = 8
)

// readContextFiles transfers only the files matching patterns (with the
// ignore patterns and secret excludes applied) and returns their contents
// by path relative to the context. Patterns that match nothing are simply
// absent: the language decides what a missing file means.
func readContextFiles(ctx context.Context, c client.Client, bc *dockerui.Client, patterns, excludes []string) (map[string][]byte, error) {
	if len(patterns) == 0 {
		return nil, nil
	}
	st, err := bc.MainContext(ctx,
		llb.IncludePatterns(patterns),
		llb.ExcludePatterns(excludes),
		llb.WithCustomName("[internal] load package manifests from the context"),
		llb.SharedKeyHint("safe-frontend-manifests"),
	)
	if err != nil {
		return nil, errors.Wrap(err, "loading package manifests from the context")
	}
	def, err := st.Marshal(ctx)
	if err != nil {
		return nil, errors.Wrap(err, "marshalling the manifest read")
	}
	res, err := c.Solve(ctx, client.SolveRequest{Definition: def.ToPB(), Evaluate: true})
	if err != nil {
		return nil, errors.Wrap(err, "reading package manifests from the context")
	}
	ref, err := res.SingleRef()
	if err != nil {
		return nil, err
	}
	// The tree is listed first, with the limits checked in the order it is
	// walked; the files are then read at once, not one round trip each.
	var files []string
	total := 0
	var walk func(dir string, depth int) error
	walk = func(dir string, depth int) error {
		if depth > maxContextDepth {
			return errors.Errorf("the context is nested deeper than %d directories below the files the build reads", maxContextDepth)
		}
		entries, err := ref.ReadDir(ctx, client.ReadDirRequest{Path: dir})
		if err != nil {
			return errors.Wrapf(err, "listing %s in the context", dir)
		}
		for _, e := range entries {
			p := path.Join(dir, e.Path)
			mode := os.FileMode(e.Mode)
			switch {
			case mode.IsDir():
				if err := walk(p, depth+1); err != nil {
					return err
				}
				continue
			case !mode.IsRegular():
				continue // symlinks and devices are never followed
			}
			if len(files) >= maxContextFiles {
				return errors.Errorf("more than %d package manifests in the context", maxContextFiles)
			}
			if e.Size > maxContextFile {
				return &llbgen.RuleError{Rule: rules.ProjectFileTooLarge, Path: "language", File: p,
					Msg: fmt.Sprintf("%s is %d bytes, more than the %d MiB a manifest or lockfile may have; regenerate it with its tool", path.Base(p), e.Size, maxContextFile>>20)}
			}
			total += int(e.Size)
			if total > maxContextTotal {
				return errors.Errorf("the package manifests in the context add up to more than %d MiB", maxContextTotal>>20)
			}
			files = append(files, p)
		}
		return nil
	}
	if err := walk(".", 0); err != nil {
		return nil, err
	}
	contents := make([][]byte, len(files))
	eg, ectx := errgroup.WithContext(ctx)
	eg.SetLimit(contextReadConcurrency)
	for i, p := range files {
		eg.Go(func() error {
			dt, err := ref.ReadFile(ectx, client.ReadRequest{Filename: p})
			if err != nil {
				return errors.Wrapf(err, "reading %s from the context", p)
			}
			contents[i] = dt
			return nil
		})
	}
	if err := eg.Wait(); err != nil {
		return nil, err
	}
	out := make(map[string][]byte, len(files))
	for i, p := range files {
		out[p] = contents[i]
	}
	return out, nil
}
