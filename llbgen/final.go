package llbgen

import (
	"path"

	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/org/safe-frontend/lang"
	"slices"
	"strings"

	digest "github.com/opencontainers/go-digest"
	"github.com/pkg/errors"

	"github.com/org/safe-frontend/plan"
	"github.com/org/safe-frontend/spec"
)

// frameLayers are the layers the frontend puts around the app's on every
// final base, least often changed first. Below the app: the CA bundle on
// scratch (which has no trust store) unless the language needs none, then
// the init and probe (they change with frontend releases only; a language
// whose server probes itself gets no probe). Above it: the spec's extra
// copies, in one layer (they are small and change together).
func frameLayers(s *spec.Spec) (below, above []plan.Layer, err error) {
	if needsTrustStore(s) {
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
		if s.Run.Health != nil && selfProbe(s) == nil {
			rt.Files = append(rt.Files, plan.Artifact{Src: runtimeProbe, Dest: ProbePath, Mode: 0o755})
		}
		if len(rt.Files) > 0 {
			below = append(below, rt)
		}
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

// PlanOf is the complete plan of a spec for a target platform, without
// LLB: what `safe plan` prints. The files are the context files the
// language reads (ContextFiles).
func PlanOf(s *spec.Spec, files map[string][]byte, target, build ocispecs.Platform, specFile string) (*plan.Plan, error) {
	l, ok := Lookup(s.Language)
	if !ok {
		return nil, errors.Errorf("language %q is not supported (supported: %s)", s.Language, strings.Join(Languages(), ", "))
	}
	p, ok := l.(lang.Planner)
	if !ok {
		return nil, errors.Errorf("the %s language has no plan yet", s.Language)
	}
	pl, err := p.Plan(&lang.Input{Spec: s, Files: files, Target: target, Build: build, CA: caPath(s), SpecFile: specFile})
	if err != nil {
		return nil, err
	}
	if err := pl.Validate(); err != nil {
		return nil, errors.Wrapf(err, "the %s plan is malformed", s.Language)
	}
	below, above, err := frameLayers(s)
	if err != nil {
		return nil, err
	}
	pl.Final.Layers = slices.Concat(below, pl.Final.Layers, above)
	return pl, nil
}
