package llbgen

import (
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
	"github.com/moby/buildkit/util/apicaps"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/pkg/errors"

	"github.com/org/safe-frontend/lang"
	"github.com/org/safe-frontend/plan"
	"github.com/org/safe-frontend/spec"
)

// Roles of the base images a conversion needs.
const (
	RoleBuilder = "builder"
	RoleFinal   = "final"
	// RoleRuntime is the companion image that carries the init and the
	// health probe every final image gets.
	RoleRuntime = "runtime"
	// RoleTools is the runtime image for the build platform, for a
	// language whose build steps run its programs (lang.RuntimeUser).
	RoleTools = "tools"
)

// RuntimeImage is the companion image published with the frontend: tini
// and safe-probe for every platform. The frontend pins it by the digest
// it was released with; a named context can replace it.
const RuntimeImage = "docker.io/org/safe-frontend-runtime:1"

// Paths of the runtime helpers in every final image. They are under
// /usr/sbin, a directory in every base: on merged-/usr bases (Debian 13,
// distroless) /sbin is a symlink to it, which a layer must neither replace
// with a directory nor copy through.
const (
	InitPath  = "/usr/sbin/tini"
	ProbePath = "/usr/sbin/safe-probe"
)

// Paths of the runtime helpers in the runtime image (built on scratch).
const (
	runtimeInit  = "/sbin/tini"
	runtimeProbe = "/sbin/safe-probe"
)

// BaseRequest names an image the conversion needs resolved.
type BaseRequest struct {
	Role     string
	Name     string // fully qualified, tagged, e.g. docker.io/library/golang:1.26
	Platform ocispecs.Platform
	Path     string // spec path that chose it, for errors
	Stage    string // stage it starts, for progress names: "go", "final"
}

// Base is a resolved base image.
type Base struct {
	Name   string        // as requested
	Digest digest.Digest // manifest digest it was pinned to ("" for a named context without one)
	State  llb.State     // the image, pinned
	Image  *dockerspec.DockerOCIImage
}

// DefaultFinal is the runtime base when the spec names none.
const DefaultFinal = "distroless"

// DefaultUser is the numeric non-root user of distroless's nonroot images.
const DefaultUser = "65532:65532"

// Bases lists the images a spec needs, in a stable order.
func Bases(s *spec.Spec, build, target ocispecs.Platform) ([]BaseRequest, error) {
	lang, ok := Lookup(s.Language)
	if !ok {
		return nil, errors.Errorf("language %q is not supported (supported: %s)", s.Language, strings.Join(Languages(), ", "))
	}
	reqs := []BaseRequest{{Role: RoleBuilder, Name: lang.BuilderImage(s), Platform: build, Path: "language", Stage: lang.Name()}}
	if needsRuntime(s) {
		reqs = append(reqs, BaseRequest{Role: RoleRuntime, Name: RuntimeImage, Platform: target, Path: runtimePath(s), Stage: "runtime"})
	}
	if usesRuntime(s) {
		reqs = append(reqs, BaseRequest{Role: RoleTools, Name: RuntimeImage, Platform: build, Path: "language", Stage: "tools"})
	}
	final := finalName(s)
	if final == "scratch" {
		if lang.Runtime(s) != RuntimeStatic {
			return nil, errors.Errorf("final: scratch cannot run a %s app, which needs a C library; use distroless", s.Language)
		}
		return reqs, nil
	}
	img, ok := lang.FinalImage(s, final)
	if !ok {
		return nil, errors.Errorf("final %q cannot run a %s app; use %s", final, s.Language, DefaultFinal)
	}
	return append(reqs, BaseRequest{Role: RoleFinal, Name: img, Platform: target, Path: finalPath(s), Stage: "final"}), nil
}

// initEnabled: tini is PID 1 unless the spec opts out (with an exemption).
func initEnabled(s *spec.Spec) bool { return s.Run.Init == nil || *s.Run.Init }

func needsRuntime(s *spec.Spec) bool { return initEnabled(s) || s.Run.Health != nil || usesRuntime(s) }

// usesRuntime: the language's plan takes from the runtime image itself.
func usesRuntime(s *spec.Spec) bool {
	l, ok := Lookup(s.Language)
	if !ok {
		return false
	}
	ru, ok := l.(lang.RuntimeUser)
	return ok && ru.UsesRuntime(s)
}

func runtimePath(s *spec.Spec) string {
	switch {
	case s.Source.Has("run/init"):
		return "run/init"
	case s.Source.Has("run/health"):
		return "run/health"
	}
	return ""
}

func finalName(s *spec.Spec) string {
	switch {
	case s.Final != "":
		return s.Final
	case selfProbe(s) != nil:
		return "scratch"
	}
	return DefaultFinal
}

// selfProbe is the health check command of a language whose server probes
// itself (lang.SelfProber), nil for the others.
func selfProbe(s *spec.Spec) []string {
	l, ok := Lookup(s.Language)
	if !ok {
		return nil
	}
	sp, ok := l.(lang.SelfProber)
	if !ok {
		return nil
	}
	return sp.ProbeCommand(s)
}

// needsTrustStore: a scratch final gets the CA bundle unless the
// language's server needs none.
func needsTrustStore(s *spec.Spec) bool { return finalName(s) == "scratch" && selfProbe(s) == nil }

func finalPath(s *spec.Spec) string {
	if s.Source.Has("final") {
		return "final"
	}
	return ""
}

// Input is everything a conversion depends on. Same Input, same bytes.
type Input struct {
	Spec *spec.Spec
	// Bases by role, resolved by the caller (see Bases).
	Bases map[string]Base
	// Context is the build context, ignore patterns already applied.
	Context llb.State
	// Files are the context files the language named in ContextFiles
	// that exist (see BuildInput.Files).
	Files          map[string][]byte
	BuildPlatform  ocispecs.Platform
	TargetPlatform ocispecs.Platform
	// BuildArgs are --build-arg values; only args the spec declares are used.
	BuildArgs map[string]string
	// Labels from the build options (--label), merged under the spec's.
	Labels map[string]string
	// Revision and Source describe the code (vcs:revision, vcs:source).
	Revision string
	Source   string
	// Epoch is the time stamped on files, history and `created`.
	Epoch time.Time
	// CacheNS prefixes cache mount ids (BUILDKIT_CACHE_MOUNT_NS).
	CacheNS string
	// SourceMap points vertices at spec lines, so step errors show them.
	SourceMap *llb.SourceMap
	// ExemptionsLabel is the audit record of waived rules ("" for none).
	ExemptionsLabel string
	// MultiPlatform prefixes progress names with the platform.
	MultiPlatform bool
	// NetworkMode for build steps (--network).
	NetworkMode pb.NetMode
	// LLBCaps is what the builder's LLB solver supports (BuildOpts().LLBCaps);
	// nil is a current BuildKit. Where a builder lacks an op the conversion
	// prefers, it emits what the builder has (see assemble).
	LLBCaps *apicaps.CapSet
}

// supports says whether the builder has an LLB capability.
func (in *Input) supports(id apicaps.CapID) bool {
	return in.LLBCaps == nil || in.LLBCaps.Supports(id) == nil
}

// Result is the converted build.
type Result struct {
	State     llb.State
	Image     *dockerspec.DockerOCIImage
	BaseImage *dockerspec.DockerOCIImage
	// SBOM says where in the final image its packages are described.
	SBOM []SBOMSource
	// Plan is the complete plan: the language's, with the frame's layers.
	Plan *plan.Plan
}

// ExemptionsLabel is the image label that records waived rules.
const ExemptionsLabel = "org.safe-frontend.exemptions"

// CASecretID is the build secret that carries an extra CA bundle for
// download steps; it is always mounted, optionally.
const CASecretID = "ca"

// CASecretPath is where the CA bundle is mounted in build steps.
const CASecretPath = "/run/secrets/ca.pem"

// Convert turns a spec into the final image state and its config.
func Convert(in *Input) (*Result, error) {
	s := in.Spec
	l, ok := Lookup(s.Language)
	if !ok {
		return nil, errors.Errorf("language %q is not supported (supported: %s)", s.Language, strings.Join(Languages(), ", "))
	}
	builder, ok := in.Bases[RoleBuilder]
	if !ok {
		return nil, errors.New("builder base was not resolved")
	}
	finalBase, hasFinal := in.Bases[RoleFinal]
	runtimeBase, hasRuntime := in.Bases[RoleRuntime]
	if needsRuntime(s) && !hasRuntime {
		return nil, errors.New("runtime image (init and probe) was not resolved")
	}
	tools, hasTools := in.Bases[RoleTools]
	if usesRuntime(s) && !hasTools {
		return nil, errors.New("the runtime image for the build platform (the build's tools) was not resolved")
	}

	bin := &BuildInput{
		Spec:    s,
		Builder: builder.State,
		Context: in.Context,
		Files:   in.Files,
		Target:  in.TargetPlatform,
		Build:   in.BuildPlatform,
		Env:     buildEnv(s, in.BuildArgs),
		RunOpts: runOpts(s, in),
		Cache: func(dest, id string) llb.RunOption {
			if in.CacheNS != "" {
				id = in.CacheNS + "/" + id
			}
			return llb.AddMount(dest, llb.Scratch(), llb.AsPersistentCacheDir(id, llb.CacheMountShared))
		},
		LockedCache: func(dest, id string) llb.RunOption {
			if in.CacheNS != "" {
				id = in.CacheNS + "/" + id
			}
			return llb.AddMount(dest, llb.Scratch(), llb.AsPersistentCacheDir(id, llb.CacheMountLocked))
		},
		Step: func(n, total int, name, path string) llb.ConstraintsOpt {
			return named(in, fmt.Sprintf("[%s %d/%d] %s", l.Name(), n, total, name), path)
		},
		Runtime:  runtimeBase.State,
		Tools:    tools.State,
		CA:       caPath(s),
		Epoch:    in.Epoch,
		SpecFile: specFile(in),
	}
	out, pl, err := buildStage(l, bin)
	if err != nil {
		return nil, errors.Wrapf(err, "building %s app", l.Name())
	}
	if len(out.Layers) == 0 {
		return nil, errors.Errorf("the %s build produced no artifacts", l.Name())
	}

	// The frame's layers (CA bundle, runtime, copy:) go around the app's,
	// in the LLB and in the plan the Dockerfile renderer reads alike.
	below, above, err := frameLayers(s)
	if err != nil {
		return nil, err
	}
	layers := finalLayers(in, out, below, above, builder, runtimeBase)
	pl.Final.Layers = slices.Concat(below, pl.Final.Layers, above)
	img := imageConfig(in, out, layers, finalBase, hasFinal)
	var baseImg *dockerspec.DockerOCIImage
	if hasFinal {
		baseImg = finalBase.Image
	}
	return &Result{State: assemble(in, layers, finalBase, hasFinal), Image: img, BaseImage: baseImg, SBOM: sbomSources(s, out), Plan: pl}, nil
}

// finalLayers lists the layers the frontend puts on the final base, bottom
// first: the frame's below (see frameLayers), the app's, the frame's above.
func finalLayers(in *Input, out *BuildOutput, below, above []plan.Layer, builder, runtime Base) []Layer {
	refs := func(r plan.Ref, specPath string) llb.State {
		switch {
		case r.Base == RoleBuilder:
			return builder.State
		case r.Base == RoleRuntime:
			return runtime.State
		case r.Context:
			return in.Context
		case r.URL != "":
			return llb.HTTP(r.URL, llb.Checksum(digest.NewDigestFromEncoded(digest.SHA256, r.SHA256)), llb.Filename("download"),
				named(in, "[final] download "+r.URL, specPath))
		}
		return llb.Scratch()
	}
	return slices.Concat(llbLayers(below, refs), out.Layers, llbLayers(above, refs))
}

// llbLayers gives plan layers their states.
func llbLayers(pls []plan.Layer, refs func(plan.Ref, string) llb.State) []Layer {
	var out []Layer
	for _, pl := range pls {
		l := Layer{Name: pl.Name, State: refs(pl.From, "")}
		for _, a := range pl.Files {
			art := Artifact{Src: a.Src, Dest: a.Dest, Mode: a.Mode, Dir: a.Dir, Include: a.Include, Exclude: a.Exclude}
			if a.From != nil {
				st := refs(*a.From, a.SpecPath)
				art.From = &st
			}
			l.Files = append(l.Files, art)
		}
		out = append(out, l)
	}
	return out
}

// assemble stacks the layers on the final base. Each layer is made on an
// empty filesystem with every entry at the epoch (see layerState), so the
// digest does not depend on when or where the build ran. Where the builder
// has MergeOp (BuildKit, or Docker with the containerd image store) the
// layers are merged, as COPY --link does, and an app edit leaves the lower
// layers' blobs as they were. Elsewhere (Docker's classic image store, whose
// builder disables MergeOp) each layer's tree is copied onto the one below,
// as the Dockerfile frontend degrades COPY --link: the same files, owners,
// modes and times, one layer each.
func assemble(in *Input, layers []Layer, base Base, hasBase bool) llb.State {
	st := llb.Scratch()
	if hasBase {
		st = base.State
	}
	total := len(layers)
	merge := in.supports(pb.CapMergeOp)
	inputs := []llb.State{st}
	for i, l := range layers {
		name := fmt.Sprintf("[final %d/%d] %s", i+1, total, layerTitle(l))
		ls := layerState(in, l, name)
		switch {
		case merge:
			inputs = append(inputs, ls)
		case i == 0 && !hasBase:
			st = ls
		default:
			st = st.File(llb.Copy(ls, "/", "/", &llb.CopyInfo{CopyDirContentsOnly: true, CreatedTime: &in.Epoch, ChownOpt: rootOwner()}),
				named(in, name+" (onto the base)", layerPath(in.Spec, l)))
		}
	}
	if !merge {
		return st
	}
	if !hasBase {
		inputs = inputs[1:]
	}
	if len(inputs) == 1 {
		return inputs[0]
	}
	return llb.Merge(inputs, named(in, "[final] merge layers onto the base", finalPath(in.Spec)))
}

func rootOwner() *llb.ChownOpt {
	return &llb.ChownOpt{User: &llb.UserOpt{UID: 0}, Group: &llb.UserOpt{UID: 0}}
}

// layerState copies a layer's files onto scratch, then copies that tree
// once more with the epoch as time: a copy sets the time of what it
// creates, but a directory that a later file lands in is touched again,
// and a tree copy sets each directory's time after its contents.
// The parent directories are made first, 0755 and root's: a copy that
// creates them gives them the file's mode on BuildKit v0.21 and later
// (0644 for a data file, which no non-root user can enter).
func layerState(in *Input, l Layer, name string) llb.State {
	root := rootOwner()
	var fa *llb.FileAction
	for _, dir := range parentDirs(l.Files) {
		fa = fa.Mkdir(dir, 0o755, llb.WithParents(true), llb.WithUIDGID(0, 0))
	}
	for _, f := range l.Files {
		from := l.State
		if f.From != nil {
			from = *f.From
		}
		info := &llb.CopyInfo{CreateDestPath: true, CopyDirContentsOnly: f.Dir, ChownOpt: root, ExcludePatterns: f.Exclude, IncludePatterns: f.Include}
		if f.Mode != 0 {
			info.Mode = &llb.ChmodOpt{Mode: f.Mode}
		}
		fa = fa.Copy(from, f.Src, f.Dest, info)
	}
	staged := llb.Scratch().File(fa, named(in, name, layerPath(in.Spec, l)))
	epoch := in.Epoch
	return llb.Scratch().File(llb.Copy(staged, "/", "/", &llb.CopyInfo{
		CopyDirContentsOnly: true,
		CreatedTime:         &epoch,
		ChownOpt:            root,
	}), named(in, name+" (times)", ""))
}

// parentDirs are the directories a layer's files land in, deepest only
// (a directory made with its parents makes them too), sorted.
func parentDirs(files []Artifact) []string {
	var dirs []string
	for _, f := range files {
		if d := path.Dir(path.Clean("/" + f.Dest)); d != "/" {
			dirs = append(dirs, d)
		}
	}
	slices.Sort(dirs)
	dirs = slices.Compact(dirs)
	return slices.DeleteFunc(dirs, func(d string) bool {
		return slices.ContainsFunc(dirs, func(o string) bool { return strings.HasPrefix(o, d+"/") })
	})
}

func layerTitle(l Layer) string {
	dests := make([]string, 0, len(l.Files))
	for _, f := range l.Files {
		dests = append(dests, f.Dest)
	}
	return l.Name + ": copy " + strings.Join(dests, " ")
}

func layerPath(s *spec.Spec, l Layer) string {
	switch l.Name {
	case "copy":
		if s.Source.Has("copy") {
			return "copy"
		}
		return ""
	case "runtime":
		return runtimePath(s)
	}
	return finalPath(s)
}

// specFile is the spec's file name as the build named it.
func specFile(in *Input) string {
	if in.SourceMap == nil || in.SourceMap.Filename == "" {
		return "Dockerfile"
	}
	return in.SourceMap.Filename
}

// CAPath is where build steps find the optional CA bundle.
func CAPath(s *spec.Spec) string { return caPath(s) }

// caPath is where build steps find the optional CA bundle.
func caPath(s *spec.Spec) string {
	for _, sec := range s.Secrets {
		if sec.ID == CASecretID && sec.Target != "" {
			return sec.Target
		}
	}
	return CASecretPath
}

// buildEnv is the declared build args with --build-arg overrides, sorted.
func buildEnv(s *spec.Spec, overrides map[string]string) []string {
	keys := slices.Sorted(maps.Keys(s.Build.Args))
	env := make([]string, 0, len(keys))
	for _, k := range keys {
		v := s.Build.Args[k]
		if o, ok := overrides[k]; ok {
			v = o
		}
		env = append(env, k+"="+v)
	}
	return env
}

// runOpts are the options of every build step: the CA bundle and the
// declared secrets as mounts (never env of the image), and the network mode.
func runOpts(s *spec.Spec, in *Input) []llb.RunOption {
	opts := []llb.RunOption{llb.Network(in.NetworkMode)}
	caDeclared := false
	for _, sec := range s.Secrets {
		if sec.ID == CASecretID {
			caDeclared = true
		}
		so := []llb.SecretOption{llb.SecretID(sec.ID)}
		if !sec.Required {
			so = append(so, llb.SecretOptional)
		}
		if sec.Env != "" {
			opts = append(opts, llb.AddSecretWithDest(sec.ID, nil, append(so, llb.SecretAsEnvName(sec.Env))...))
			continue
		}
		target := sec.Target
		if target == "" {
			target = "/run/secrets/" + sec.ID
			if sec.ID == CASecretID {
				target = CASecretPath
			}
		}
		opts = append(opts, llb.AddSecret(target, so...))
		if sec.ID == CASecretID {
			opts = append(opts, caEnv(target)...)
		}
	}
	if !caDeclared {
		opts = append(opts, llb.AddSecret(CASecretPath, llb.SecretID(CASecretID), llb.SecretOptional))
		opts = append(opts, caEnv(CASecretPath)...)
	}
	return opts
}

// caEnv points the usual TLS clients at the CA bundle. When the optional
// secret is absent the file is missing and Go falls back to the system roots.
func caEnv(p string) []llb.RunOption {
	return []llb.RunOption{llb.AddEnv("SSL_CERT_FILE", p)}
}

// named gives a vertex a progress name and a spec location.
func named(in *Input, name, path string) llb.ConstraintsOpt {
	if in.MultiPlatform {
		name = strings.Replace(name, "[", "["+lang.PlatformString(in.TargetPlatform)+" ", 1)
	}
	return constraints{llb.WithCustomName(name), location(in, path)}
}

func location(in *Input, path string) llb.ConstraintsOpt {
	if in.SourceMap == nil || path == "" {
		return constraints{}
	}
	r := in.Spec.Source.Range(path)
	return in.SourceMap.Location([]*pb.Range{{
		Start: &pb.Position{Line: int32(r.Start.Line), Character: int32(r.Start.Col)},
		End:   &pb.Position{Line: int32(r.End.Line), Character: int32(r.End.Col)},
	}})
}

// constraints applies several constraint options as one.
type constraints []llb.ConstraintsOpt

func (cs constraints) SetConstraintsOption(c *llb.Constraints) {
	for _, o := range cs {
		o.SetConstraintsOption(c)
	}
}
func (cs constraints) SetRunOption(ei *llb.ExecInfo) {
	for _, o := range cs {
		o.SetRunOption(ei)
	}
}
func (cs constraints) SetLocalOption(li *llb.LocalInfo) {
	for _, o := range cs {
		o.SetLocalOption(li)
	}
}
func (cs constraints) SetHTTPOption(hi *llb.HTTPInfo) {
	for _, o := range cs {
		o.SetHTTPOption(hi)
	}
}
func (cs constraints) SetImageOption(ii *llb.ImageInfo) {
	for _, o := range cs {
		o.SetImageOption(ii)
	}
}
func (cs constraints) SetGitOption(gi *llb.GitInfo) {
	for _, o := range cs {
		o.SetGitOption(gi)
	}
}
func (cs constraints) SetImageBlobOption(bi *llb.ImageBlobInfo) {
	for _, o := range cs {
		o.SetImageBlobOption(bi)
	}
}
func (cs constraints) SetOCILayoutOption(oi *llb.OCILayoutInfo) {
	for _, o := range cs {
		o.SetOCILayoutOption(oi)
	}
}
