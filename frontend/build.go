// Package frontend is the gateway side of safe-frontend: it reads the spec
// and the build options through dockerui, answers subrequests (--check,
// outline, targets), resolves and pins base images, and returns the result.
package frontend

import (
	"context"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/containerd/platforms"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/dockerui"
	"github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/frontend/subrequests/lint"
	"github.com/moby/buildkit/frontend/subrequests/outline"
	"github.com/moby/buildkit/frontend/subrequests/targets"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/pkg/errors"

	"github.com/org/safe-frontend/internal/version"
	"github.com/org/safe-frontend/llbgen"
	"github.com/org/safe-frontend/lock"
	"github.com/org/safe-frontend/policy"
	"github.com/org/safe-frontend/rules"
	"github.com/org/safe-frontend/spec"
)

// SourceLanguage names the spec's language in source maps.
const SourceLanguage = "yaml"

// Build is the gateway BuildFunc. It never panics: a panic anywhere below
// becomes an error that says so.
func Build(ctx context.Context, c client.Client) (res *client.Result, err error) {
	defer func() {
		if r := recover(); r != nil {
			res = nil
			err = errors.Errorf("safe-frontend: internal error (please report): %v\n%s", r, debug.Stack())
		}
	}()
	return build(ctx, c)
}

func build(ctx context.Context, c client.Client) (*client.Result, error) {
	pt := newPhaseTimer()
	bc, err := dockerui.NewClient(c)
	if err != nil {
		return nil, errors.Wrap(err, "reading build options")
	}
	src, err := bc.ReadEntrypoint(ctx, SourceLanguage)
	if err != nil {
		return nil, errors.Wrap(err, "reading the spec")
	}
	if err := announce(ctx, c); err != nil {
		return nil, err
	}
	pt.mark("read spec")
	sp, report := policy.Lint(src.Filename, src.Data)
	buildPlatform := platforms.DefaultSpec()
	if len(bc.BuildPlatforms) > 0 {
		buildPlatform = bc.BuildPlatforms[0]
	}

	if res, ok, err := answerSubrequest(ctx, c, bc, src, sp, report, buildPlatform); ok || err != nil {
		return res, err
	}

	if err := refuse(src.SourceMap, report); err != nil {
		return nil, err
	}
	for _, f := range report.Warnings() {
		src.Warn(ctx, fmt.Sprintf("%s %s: %s (%s)", f.Rule.ID, f.Rule.Name, f.Message, f.Where()), warnOpts(f))
	}
	if bc.Target == manifestsTarget {
		return buildManifests(ctx, c, bc, sp, src)
	}
	if bc.Target != "" && bc.Target != sp.Name && bc.Target != defaultTarget && !ejectTarget(bc.Target) {
		return nil, withSource(errors.Errorf("target %q not found: a spec builds one image, target %q", bc.Target, defaultTarget), src.SourceMap, sp.Source.Range("name"))
	}

	opts, err := readOptions(bc)
	if err != nil {
		return nil, err
	}
	// The bases are resolved while the context is read; the lock, read
	// alongside, says which digests.
	memo := newResolveMemo(c)
	pf := newBasePrefetch(ctx, memo, bc, src.Filename, prefetchRequests(sp, buildPlatform, bc.TargetPlatforms))
	defer pf.stop()
	in, found, err := checkInputs(ctx, c, bc, src, sp, report, buildPlatform, pf)
	if err != nil {
		return nil, err
	}
	pt.mark("read inputs")
	// What the inputs break refuses or warns like the spec's own findings.
	if err := refuse(src.SourceMap, &policy.Report{Filename: report.Filename, Findings: found}); err != nil {
		return nil, err
	}
	for _, f := range found {
		if !f.Exempted && f.Severity() == rules.Warning {
			src.Warn(ctx, fmt.Sprintf("%s %s: %s (%s)", f.Rule.ID, f.Rule.Name, f.Message, f.Where()), warnOpts(f))
		}
	}
	mainContext, err := bc.MainContext(ctx, llb.ExcludePatterns(in.excludes))
	if err != nil {
		return nil, errors.Wrap(err, "loading the build context")
	}

	b := &specBuild{c: c, bc: bc, sp: sp, src: src, in: in, opts: opts, report: report, memo: memo, build: buildPlatform, context: *mainContext}
	if ejectTarget(bc.Target) {
		return buildEject(ctx, b)
	}
	return b.image(ctx, pt)
}

// specBuild is a spec read, checked and ready to convert: what the image
// and the eject targets build from.
type specBuild struct {
	c       client.Client
	bc      *dockerui.Client
	sp      *spec.Spec
	src     *dockerui.Source
	in      *inputs
	opts    options
	report  *policy.Report
	memo    *resolveMemo
	build   ocispecs.Platform
	context llb.State
}

// convert resolves the bases for one target platform and converts the
// spec, errors pointing at the spec line at fault.
func (b *specBuild) convert(ctx context.Context, target ocispecs.Platform) (*llbgen.Result, map[string]llbgen.Base, error) {
	sm, sp := b.src.SourceMap, b.sp
	reqs, err := llbgen.Bases(sp, b.build, target)
	if err != nil {
		return nil, nil, withSource(err, sm, sp.Source.Range("language"))
	}
	bases, err := resolveBases(ctx, b.memo, b.bc, b.in.lock, reqs)
	if err != nil {
		return nil, nil, withSource(err, sm, sp.Source.Range(baseErrPath(err)))
	}
	conv, err := llbgen.Convert(convertInput(b.c, b.bc, sp, b.src, b.in, b.opts, b.report, bases, b.build, target, b.context))
	if err != nil {
		return nil, nil, withSource(err, sm, sp.Source.Range(llbgen.ErrorPath(err, "language")))
	}
	return conv, bases, nil
}

// image builds the image for every target platform, with the SBOM when
// attest:sbom asks for one.
func (b *specBuild) image(ctx context.Context, pt *phaseTimer) (*client.Result, error) {
	sb := newSBOMs(b.bc, b.opts.epoch) // nil unless attest:sbom asked for one
	rb, err := b.bc.Build(ctx, func(ctx context.Context, platform *ocispecs.Platform, idx int) (*dockerui.BuildResult, error) {
		target := platforms.DefaultSpec()
		if platform != nil {
			target = *platform
		}
		return b.platform(ctx, target, sb, pt)
	})
	if err != nil {
		return nil, err
	}
	sb.attach(rb)
	defer pt.mark("finalize")
	return rb.Finalize()
}

// platform converts and solves the image of one target platform.
func (b *specBuild) platform(ctx context.Context, target ocispecs.Platform, sb *sboms, pt *phaseTimer) (*dockerui.BuildResult, error) {
	sp := b.sp
	conv, bases, err := b.convert(ctx, target)
	if err != nil {
		return nil, err
	}
	pt.mark("convert")
	marshalOpts := []llb.ConstraintsOpt{llb.Platform(target)}
	// --no-cache, or --no-cache-filter naming the language's stage.
	if b.bc.IsNoCache(sp.Language) || b.bc.IsNoCache(defaultTarget) {
		marshalOpts = append(marshalOpts, llb.IgnoreCache)
	}
	def, err := conv.State.Marshal(ctx, marshalOpts...)
	if err != nil {
		return nil, errors.Wrap(err, "marshalling LLB")
	}
	if err := requireLLBCaps(def, b.c.BuildOpts()); err != nil {
		return nil, withSource(err, b.src.SourceMap, sp.Source.Range("language"))
	}
	// Evaluate here, not lazily at export, so a failing step's error comes
	// back through this frontend and can be explained with its rule.
	r, err := b.c.Solve(ctx, client.SolveRequest{Definition: def.ToPB(), CacheImports: b.bc.CacheImports, Evaluate: true})
	if err != nil {
		return nil, explainSolveError(ctx, b.c, err, sp, b.in.files, b.src.SourceMap)
	}
	pt.mark("solve")
	ref, err := r.SingleRef()
	if err != nil {
		return nil, err
	}
	if err := sb.add(ctx, b.c, target, ref, sp, conv, bases); err != nil {
		return nil, err
	}
	epoch := b.opts.epoch
	return &dockerui.BuildResult{Reference: ref, Image: conv.Image, BaseImage: conv.BaseImage, Epoch: &epoch}, nil
}

// convertInput is what a conversion of the spec for one target platform
// takes: the build's and the image's, the bases resolved.
func convertInput(c client.Client, bc *dockerui.Client, sp *spec.Spec, src *dockerui.Source, in *inputs, opts options, report *policy.Report, bases map[string]llbgen.Base, build, target ocispecs.Platform, mainContext llb.State) *llbgen.Input {
	llbCaps := c.BuildOpts().LLBCaps
	return &llbgen.Input{
		Spec:            sp,
		Bases:           bases,
		Context:         mainContext,
		Files:           in.files,
		BuildPlatform:   build,
		TargetPlatform:  target,
		BuildArgs:       bc.BuildArgs,
		Labels:          bc.Labels,
		Revision:        opts.revision,
		Source:          opts.source,
		Epoch:           opts.epoch,
		CacheNS:         bc.CacheIDNamespace,
		SourceMap:       src.SourceMap,
		ExemptionsLabel: policy.ExemptionLabel(report.Exemptions),
		MultiPlatform:   bc.MultiPlatformRequested,
		NetworkMode:     bc.NetworkMode,
		LLBCaps:         &llbCaps,
	}
}

// answerSubrequest answers --check, outline and targets; ok is false for a
// build. --check is answered here rather than by HandleSubrequest so the
// exit status reflects severities: warnings are printed, only errors fail.
// It checks what the build reads besides the spec too (the language's
// manifests and lockfiles, the base lock), once the spec itself is sound:
// a refused spec may name paths the build would never read.
func answerSubrequest(ctx context.Context, c client.Client, bc *dockerui.Client, src *dockerui.Source, sp *spec.Spec, report *policy.Report, build ocispecs.Platform) (*client.Result, bool, error) {
	if bc.BuildOpts().Opts[requestIDKey] == lint.SubrequestLintDefinition.Name {
		if sp != nil && len(report.Errors()) == 0 {
			if _, _, err := checkInputs(ctx, c, bc, src, sp, report, build, nil); err != nil {
				return nil, true, err
			}
		}
		res, err := lintResult(src.SourceMap, report)
		return res, true, err
	}
	return bc.HandleSubrequest(ctx, dockerui.RequestHandler{
		Outline: func(ctx context.Context) (*outline.Outline, error) {
			return specOutline(src.SourceMap, sp), nil
		},
		ListTargets: func(ctx context.Context) (*targets.List, error) {
			return targetList(src.SourceMap, sp), nil
		},
	})
}

// requestIDKey is the build option that names a subrequest.
const requestIDKey = "requestid"

// defaultTarget is the one target a spec has, for --target and buildx.
const defaultTarget = "default"

// inputs is what a build reads besides the spec.
type inputs struct {
	excludes []string          // .dockerignore and the secret excludes, less the spec's include:
	files    map[string][]byte // the language's manifests and lockfiles
	lock     *baseLock         // nil without a lock
}

// checkInputs reads the files the spec's language plans the build from
// and the base lock, and checks them. Their findings join report like the
// spec's own, with the rule and the spec line: the build refuses the errors
// among them (returned too), --check lists them all.
func checkInputs(ctx context.Context, c client.Client, bc *dockerui.Client, src *dockerui.Source, sp *spec.Spec, report *policy.Report, build ocispecs.Platform, pf *basePrefetch) (*inputs, []policy.Finding, error) {
	// The lock is read while .dockerignore and the manifests are: small
	// transfers from the client at once, not one after another (a no-change
	// rebuild waits for each).
	type lockRead struct {
		dt  []byte
		err error
	}
	pt := newPhaseTimer()
	lockCh := make(chan lockRead, 1)
	go func() {
		dt, err := readLockFile(ctx, c, bc, lock.Name(src.Filename))
		pf.lockRead(dt, err)
		lockCh <- lockRead{dt, err}
	}()
	readLockDone := func() ([]byte, error) {
		r := <-lockCh
		return r.dt, r.err
	}
	dockerignore, err := bc.DockerIgnorePatterns(ctx)
	if err != nil {
		return nil, nil, errors.Wrap(err, "reading .dockerignore")
	}
	pt.mark("  .dockerignore")
	in := &inputs{excludes: contextExcludes(dockerignore, sp.Include)}
	in.files, err = readContextFiles(ctx, c, bc, llbgen.ContextFiles(sp), in.excludes)
	if found := policy.AddFindings(report, sp, llbgen.FindingsOf(err)); len(found) > 0 {
		return in, found, nil // a file too large to read: refused with its name
	}
	if err != nil {
		return nil, nil, withSource(err, src.SourceMap, sp.Source.Range("language"))
	}
	// What the context decides when the spec leaves it open (the release
	// rust-toolchain.toml pins), before the bases are named.
	pt.mark("  context files")
	llbgen.ApplyContext(sp, in.files)
	var lockFound []llbgen.ContextFinding
	if in.lock, lockFound, err = readLock(readLockDone, src, sp, build, bc.TargetPlatforms); err != nil {
		return nil, nil, err
	}
	pt.mark("  lock")
	found := policy.CheckContext(report, sp, in.files, crossBuild(build, bc.TargetPlatforms))
	return in, append(found, policy.AddFindings(report, sp, lockFound)...), nil
}

// prefetchRequests are the bases a build of sp needs on every target, as
// the spec alone names them (none where it cannot say), less those the
// context may still change.
func prefetchRequests(sp *spec.Spec, build ocispecs.Platform, targets []ocispecs.Platform) []llbgen.BaseRequest {
	if len(targets) == 0 {
		targets = []ocispecs.Platform{platforms.DefaultSpec()}
	}
	// Where the context may still change the spec's bases, only the
	// runtime companion (never the spec's choice) is resolved early.
	decides := llbgen.ContextDecides(sp)
	var out []llbgen.BaseRequest
	for _, t := range targets {
		reqs, err := llbgen.Bases(sp, build, t)
		if err != nil {
			return nil
		}
		for _, r := range reqs {
			if !decides || !lockable(r) {
				out = append(out, r)
			}
		}
	}
	return out
}

// crossBuild says whether some target platform differs from the build
// platform (no targets: the frontend's own platform is the target).
func crossBuild(build ocispecs.Platform, targets []ocispecs.Platform) bool {
	if len(targets) == 0 {
		targets = []ocispecs.Platform{platforms.DefaultSpec()}
	}
	b := platforms.Normalize(build)
	for _, t := range targets {
		if t = platforms.Normalize(t); t.OS != b.OS || t.Architecture != b.Architecture || t.Variant != b.Variant {
			return true
		}
	}
	return false
}

// contextExcludes merges .dockerignore with the default secret excludes,
// then re-admits what the spec explicitly includes.
func contextExcludes(dockerignore []string, include []string) []string {
	return append(append([]string{}, dockerignore...), policy.ContextExcludes(include)...)
}

// announce solves one tiny step named after the frontend's version, so the
// build output says which safe-frontend ran: with `# syntax=`, the spec
// arrives as the Dockerfile frontend's input and no step of ours would
// otherwise come before the build's own. The file is discarded; its time is
// fixed so the step is cached after the first build.
func announce(ctx context.Context, c client.Client) error {
	st := llb.Scratch().File(
		llb.Mkfile("/version", 0o444, []byte(version.Line("safe-frontend")+"\n"), llb.WithCreatedTime(time.Unix(0, 0).UTC())),
		llb.WithCustomName("[internal] "+version.Short()),
	)
	def, err := st.Marshal(ctx)
	if err != nil {
		return errors.Wrap(err, "marshalling the version step")
	}
	if _, err := c.Solve(ctx, client.SolveRequest{Definition: def.ToPB(), Evaluate: true}); err != nil {
		return errors.Wrap(err, "solving the version step")
	}
	return nil
}
