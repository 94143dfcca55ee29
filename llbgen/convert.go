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
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/pkg/errors"

	"github.com/org/safe-frontend/spec"
)

// Roles of the base images a conversion needs.
const (
	RoleBuilder = "builder"
	RoleFinal   = "final"
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

// FinalImages maps a spec's `final` value and the language's runtime needs
// to the runtime base; scratch is absent.
var finalImages = map[string]map[Runtime]string{
	"distroless": {
		RuntimeStatic: "gcr.io/distroless/static-debian12:nonroot",
		RuntimeGlibc:  "gcr.io/distroless/base-debian12:nonroot",
	},
	"distroless-base": {
		RuntimeStatic: "gcr.io/distroless/base-debian12:nonroot",
		RuntimeGlibc:  "gcr.io/distroless/base-debian12:nonroot",
	},
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
	final := finalName(s)
	if final == "scratch" {
		if lang.Runtime(s) != RuntimeStatic {
			return nil, errors.Errorf("final: scratch cannot run a %s app, which needs a C library; use distroless", s.Language)
		}
		return reqs, nil
	}
	img, ok := finalImages[final][lang.Runtime(s)]
	if !ok {
		return nil, errors.Errorf("final %q is not supported", final)
	}
	return append(reqs, BaseRequest{Role: RoleFinal, Name: img, Platform: target, Path: finalPath(s), Stage: "final"}), nil
}

func finalName(s *spec.Spec) string {
	if s.Final == "" {
		return DefaultFinal
	}
	return s.Final
}

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
	Context        llb.State
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
}

// Result is the converted build.
type Result struct {
	State     llb.State
	Image     *dockerspec.DockerOCIImage
	BaseImage *dockerspec.DockerOCIImage
	// SBOM names what in the final image describes its contents.
	SBOM []SBOMSource
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
	lang, ok := Lookup(s.Language)
	if !ok {
		return nil, errors.Errorf("language %q is not supported (supported: %s)", s.Language, strings.Join(Languages(), ", "))
	}
	builder, ok := in.Bases[RoleBuilder]
	if !ok {
		return nil, errors.New("builder base was not resolved")
	}
	finalBase, hasFinal := in.Bases[RoleFinal]

	out, err := lang.Build(&BuildInput{
		Spec:    s,
		Builder: builder.State,
		Context: in.Context,
		Target:  in.TargetPlatform,
		Env:     buildEnv(s, in.BuildArgs),
		RunOpts: runOpts(s, in),
		Cache: func(dest, id string) llb.RunOption {
			if in.CacheNS != "" {
				id = in.CacheNS + "/" + id
			}
			return llb.AddMount(dest, llb.Scratch(), llb.AsPersistentCacheDir(id, llb.CacheMountShared))
		},
		Step: func(n, total int, name, path string) llb.ConstraintsOpt {
			return named(in, fmt.Sprintf("[%s %d/%d] %s", lang.Name(), n, total, name), path)
		},
	})
	if err != nil {
		return nil, errors.Wrapf(err, "building %s app", lang.Name())
	}

	final := llb.Scratch().Platform(in.TargetPlatform)
	if hasFinal {
		final = finalBase.State
	}
	fa, err := finalFiles(in, out, builder, lang)
	if err != nil {
		return nil, err
	}
	final = final.File(fa, named(in, fmt.Sprintf("[final 1/1] copy %s", artifactList(out, s)), finalPath(s)))

	img := imageConfig(in, out, finalBase, hasFinal)
	var baseImg *dockerspec.DockerOCIImage
	if hasFinal {
		baseImg = finalBase.Image
	}
	return &Result{State: final, Image: img, BaseImage: baseImg, SBOM: sbomSources(lang, s, out)}, nil
}

// finalFiles is the one file operation of the final stage: artifacts, the
// CA bundle for scratch, and the spec's extra copies. One op, one layer.
func finalFiles(in *Input, out *BuildOutput, builder Base, lang Language) (*llb.FileAction, error) {
	s := in.Spec
	epoch := in.Epoch
	var fa *llb.FileAction
	copyTo := func(from llb.State, src, dest string, mode *llb.ChmodOpt, dir bool) {
		info := &llb.CopyInfo{
			Mode:           mode,
			CreateDestPath: true,
			CreatedTime:    &epoch,
			ChownOpt:       &llb.ChownOpt{User: &llb.UserOpt{UID: 0}, Group: &llb.UserOpt{UID: 0}},
		}
		if dir {
			info.CopyDirContentsOnly = true
		}
		if fa == nil {
			fa = llb.Copy(from, src, dest, info)
			return
		}
		fa = fa.Copy(from, src, dest, info)
	}
	for _, a := range out.Artifacts {
		copyTo(out.State, a.Src, a.Dest, &llb.ChmodOpt{Mode: a.Mode}, false)
	}
	if finalName(s) == "scratch" {
		// scratch has no trust store; apps that call out over TLS need one.
		copyTo(builder.State, "/etc/ssl/certs/ca-certificates.crt", "/etc/ssl/certs/ca-certificates.crt", &llb.ChmodOpt{Mode: 0o644}, false)
	}
	for i, c := range s.Copy {
		switch {
		case c.URL != "":
			dgst := digest.NewDigestFromEncoded(digest.SHA256, c.SHA256)
			if err := dgst.Validate(); err != nil {
				return nil, errors.Wrapf(err, "copy[%d].sha256", i)
			}
			dl := llb.HTTP(c.URL, llb.Checksum(dgst), llb.Filename("download"),
				named(in, "[final] download "+c.URL, spec.Path("copy", i)))
			copyTo(dl, "/download", c.To, &llb.ChmodOpt{Mode: 0o644}, false)
		case c.From != "":
			copyTo(in.Context, path.Join("/", c.From), c.To, nil, strings.HasSuffix(c.From, "/"))
		}
	}
	if fa == nil {
		return nil, errors.Errorf("the %s build produced no artifacts", lang.Name())
	}
	return fa, nil
}

func artifactList(out *BuildOutput, s *spec.Spec) string {
	names := make([]string, 0, len(out.Artifacts)+len(s.Copy))
	for _, a := range out.Artifacts {
		names = append(names, a.Dest)
	}
	for _, c := range s.Copy {
		names = append(names, c.To)
	}
	return strings.Join(names, " ")
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
		name = strings.Replace(name, "[", "["+platformString(in.TargetPlatform)+" ", 1)
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
