package llbgen

import (
	"path"
	"strings"

	"github.com/moby/buildkit/client/llb"

	"github.com/org/safe-frontend/spec"
)

// DefaultGoVersion is the toolchain used when a spec names none; it moves
// with frontend releases, never with "latest".
const DefaultGoVersion = "1.26"

type golang struct{}

func init() { register(golang{}) }

func (golang) Name() string { return "go" }

func (golang) BuilderImage(s *spec.Spec) string {
	v := DefaultGoVersion
	if s.Go != nil && s.Go.Version != "" {
		v = s.Go.Version
	}
	return "docker.io/library/golang:" + v
}

// Go builds with CGO_ENABLED=0, so the binary needs nothing from the base.
func (golang) Runtime(*spec.Spec) Runtime { return RuntimeStatic }

func (golang) FinalImage(_ *spec.Spec, final string) (string, bool) {
	return commonFinal(RuntimeStatic, final)
}

// Go reads nothing from the context at conversion time: go.mod and go.sum
// are copied into the build as they are.
func (golang) ContextFiles(*spec.Spec) []string { return nil }

const (
	goSrc      = "/src"
	goOut      = "/out"
	goModCache = "/go/pkg/mod"
	// The stand-in and the official image both give root HOME=/root.
	goBuildCache = "/root/.cache/go-build"
)

func (golang) Build(in *BuildInput) (*BuildOutput, error) {
	s := in.Spec
	main := "."
	if s.Go != nil && s.Go.Main != "" {
		main = s.Go.Main
	}
	// go build wants a package path: "./cmd/x", not "cmd/x".
	if main != "." && !strings.HasPrefix(main, "./") {
		main = "./" + main
	}
	bin := path.Join(goOut, s.Name)
	const total = 4

	// Dependencies first: a source edit must leave this layer cached.
	deps := in.Builder.File(
		llb.Mkdir(goSrc, 0o755, llb.WithParents(true)).
			Copy(in.Context, "/go.mod", goSrc+"/go.mod").
			Copy(in.Context, "/go.sum*", goSrc+"/", &llb.CopyInfo{AllowWildcard: true, AllowEmptyWildcard: true}),
		in.Step(1, total, "copy go.mod go.sum", "language"),
	)
	env := goEnv(in)
	download := deps.Run(append([]llb.RunOption{
		llb.Args([]string{"go", "mod", "download"}),
		llb.Dir(goSrc),
		in.Cache(goModCache, "go-mod"),
		in.Step(2, total, "go mod download", "language"),
	}, append(env, in.RunOpts...)...)...).Root()

	sources := download.File(
		llb.Copy(in.Context, "/", goSrc+"/", &llb.CopyInfo{CopyDirContentsOnly: true}),
		in.Step(3, total, "copy sources", "language"),
	)

	ldflags := "-s -w -buildid="
	var tags []string
	if s.Go != nil {
		if len(s.Go.Ldflags) > 0 {
			ldflags += " " + strings.Join(s.Go.Ldflags, " ")
		}
		tags = s.Go.Tags
	}
	args := []string{"go", "build", "-trimpath", "-buildvcs=false", "-ldflags=" + ldflags}
	if len(tags) > 0 {
		args = append(args, "-tags="+strings.Join(tags, ","))
	}
	args = append(args, "-o", bin, main)
	buildOpts := []llb.RunOption{
		llb.Args(args),
		llb.Dir(goSrc),
		llb.AddEnv("CGO_ENABLED", "0"),
		llb.AddEnv("GOOS", in.Target.OS),
		llb.AddEnv("GOARCH", in.Target.Architecture),
		in.Cache(goModCache, "go-mod"),
		in.Cache(goBuildCache, "go-build"),
		in.Step(4, total, strings.Join(args[:2], " ")+" -o "+bin+" "+main, mainPath(s)),
	}
	if v := goArm(in.Target.Variant); in.Target.Architecture == "arm" && v != "" {
		buildOpts = append(buildOpts, llb.AddEnv("GOARM", v))
	}
	built := sources.Run(append(buildOpts, append(env, in.RunOpts...)...)...).Root()

	dest := "/usr/local/bin/" + s.Name
	return &BuildOutput{
		Layers:     []Layer{{Name: "app", State: built, Files: []Artifact{{Src: bin, Dest: dest, Mode: 0o755}}}},
		Entrypoint: []string{dest},
		// The binary carries its module list (go version -m).
		SBOM: []SBOMSource{{Kind: "go-binary", Path: dest}},
	}, nil
}

// goEnv passes build args to the toolchain steps; GOFLAGS and GOPROXY from
// build args reach go this way.
func goEnv(in *BuildInput) []llb.RunOption {
	out := make([]llb.RunOption, 0, len(in.Env))
	for _, kv := range in.Env {
		k, v, _ := strings.Cut(kv, "=")
		out = append(out, llb.AddEnv(k, v))
	}
	return out
}

func mainPath(s *spec.Spec) string {
	if s.Source.Has("go/main") {
		return "go/main"
	}
	return "language"
}

// goArm maps an OCI arm variant (v6, v7) to GOARM.
func goArm(variant string) string {
	return strings.TrimPrefix(variant, "v")
}
