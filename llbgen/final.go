package llbgen

import (
	"path"
	"slices"
	"strings"

	digest "github.com/opencontainers/go-digest"
	"github.com/pkg/errors"

	"github.com/org/safe-frontend/plan"
	"github.com/org/safe-frontend/spec"
)

// frameLayers are the layers the frontend puts around the app's on every
// final base, least often changed first. Below the app: the CA bundle on
// scratch (which has no trust store), then the init and probe (they change
// with frontend releases only). Above it: the spec's extra copies, in one
// layer (they are small and change together).
func frameLayers(s *spec.Spec) (below, above []plan.Layer, err error) {
	if finalName(s) == "scratch" {
		below = append(below, plan.Layer{Name: "ca-certificates", From: plan.Builder, Files: []plan.Artifact{
			{Src: "/etc/ssl/certs/ca-certificates.crt", Dest: "/etc/ssl/certs/ca-certificates.crt", Mode: 0o644},
		}})
	}
	if needsRuntime(s) {
		rt := plan.Layer{Name: "runtime", From: plan.Ref{Base: RoleRuntime}}
		if initEnabled(s) {
			rt.Files = append(rt.Files, plan.Artifact{Src: runtimeInit, Dest: InitPath, Mode: 0o755},
				plan.Artifact{Src: InitStatusPath, Dest: InitStatusPath, Mode: 0o644})
		}
		if s.Run.Health != nil {
			rt.Files = append(rt.Files, plan.Artifact{Src: runtimeProbe, Dest: ProbePath, Mode: 0o755})
		}
		below = append(below, rt)
	}
	extra := plan.Layer{Name: "copy"}
	for i, c := range s.Copy {
		switch {
		case c.URL != "":
			if err := digest.NewDigestFromEncoded(digest.SHA256, c.SHA256).Validate(); err != nil {
				return nil, nil, errors.Wrapf(err, "copy[%d].sha256", i)
			}
			extra.Files = append(extra.Files, plan.Artifact{From: &plan.Ref{URL: c.URL, SHA256: c.SHA256},
				Src: "/download", Dest: c.To, Mode: 0o644, SpecPath: spec.Path("copy", i)})
		case c.From != "":
			ctx := plan.Context
			extra.Files = append(extra.Files, plan.Artifact{From: &ctx, Src: path.Join("/", c.From), Dest: c.To, Dir: strings.HasSuffix(c.From, "/")})
		}
	}
	if len(extra.Files) > 0 {
		above = append(above, extra)
	}
	return below, above, nil
}

// completePlan is the language's plan with the frame's layers around the
// app's: everything the final image holds, for `safe plan` and the
// Dockerfile renderer.
func completePlan(pl *plan.Plan, s *spec.Spec) (*plan.Plan, error) {
	below, above, err := frameLayers(s)
	if err != nil {
		return nil, err
	}
	full := *pl
	full.Final.Layers = slices.Concat(below, pl.Final.Layers, above)
	return &full, nil
}
