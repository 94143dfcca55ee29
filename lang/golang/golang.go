// Package golang plans Go builds: a static binary from `go build`, the
// module cache and build cache as cache mounts, go.mod and go.sum copied
// before the sources so a source edit leaves the download step cached.
package golang

import (
	"path"
	"strings"

	"github.com/org/safe-frontend/lang"
	"github.com/org/safe-frontend/plan"
	"github.com/org/safe-frontend/spec"
)

// DefaultVersion is the toolchain used when a spec names none; it moves
// with frontend releases, never with "latest".
const DefaultVersion = "1.26"

type golang struct{}

func init() { lang.Register(golang{}) }

func (golang) Name() string { return "go" }

func (golang) BuilderImage(s *spec.Spec) string {
	v := DefaultVersion
	if s.Go != nil && s.Go.Version != "" {
		v = s.Go.Version
	}
	return "docker.io/library/golang:" + v
}

// Go builds with CGO_ENABLED=0, so the binary needs nothing from the base.
func (golang) Runtime(*spec.Spec) lang.Runtime { return lang.RuntimeStatic }

func (golang) FinalImage(_ *spec.Spec, final string) (string, bool) {
	return lang.CommonFinal(lang.RuntimeStatic, final)
}

// Go reads nothing from the context at planning time: go.mod and go.sum
// are copied into the build as they are.
func (golang) ContextFiles(*spec.Spec) []string { return nil }

const (
	srcDir   = "/src"
	outDir   = "/out"
	modCache = "/go/pkg/mod"
	// The stand-in and the official image both give root HOME=/root.
	buildCache = "/root/.cache/go-build"
)

// Plan: one stage on the golang image, four steps.
func (golang) Plan(in *lang.Input) (*plan.Plan, error) {
	s := in.Spec
	main := mainPackage(s)
	bin := path.Join(outDir, s.Name)
	args := buildArgs(s, bin, main)
	modMount := plan.Mount{Target: modCache, Cache: "go-mod"}
	env := []string{"CGO_ENABLED=0", "GOOS=" + in.Target.OS, "GOARCH=" + in.Target.Architecture}
	if v := strings.TrimPrefix(in.Target.Variant, "v"); in.Target.Architecture == "arm" && v != "" {
		env = append(env, "GOARM="+v)
	}
	dest := "/usr/local/bin/" + s.Name
	return &plan.Plan{
		Language: "go",
		Steps:    4,
		Stages: []plan.Stage{{Name: "go", From: plan.Builder, Steps: []plan.Step{
			{N: 1, Name: "copy go.mod go.sum", SpecPath: "language",
				Why: "the module list alone first: a source edit leaves the download below cached",
				Files: []plan.FileAction{
					{Mkdir: &plan.Mkdir{Path: srcDir, Mode: 0o755, Parents: true}},
					{Copy: &plan.Copy{From: plan.Context, Src: "/go.mod", Dest: srcDir + "/go.mod"}},
					{Copy: &plan.Copy{From: plan.Context, Src: "/go.sum*", Dest: srcDir + "/", Wildcard: true, AllowEmpty: true}},
				}},
			{N: 2, Name: "go mod download", SpecPath: "language",
				Why: "the dependencies, into the module cache mount: never a layer",
				Run: &plan.Run{Args: []string{"go", "mod", "download"}, Dir: srcDir, BuildArgs: true, Mounts: []plan.Mount{modMount}}},
			{N: 3, Name: "copy sources", SpecPath: "language",
				Why:   "the sources after the download: an edit reruns only the build",
				Files: []plan.FileAction{{Copy: &plan.Copy{From: plan.Context, Src: "/", Dest: srcDir + "/", Contents: true}}}},
			{N: 4, Name: strings.Join(args[:2], " ") + " -o " + bin + " " + main, SpecPath: mainPath(s),
				Why: "a static, reproducible binary: no cgo, no paths or build ID in it",
				Run: &plan.Run{Args: args, Dir: srcDir, Env: env, BuildArgs: true,
					Mounts: []plan.Mount{modMount, {Target: buildCache, Cache: "go-build"}}}},
		}}},
		Final: plan.Final{
			Layers:     []plan.Layer{{Name: "app", From: plan.StageRef("go"), Files: []plan.Artifact{{Src: bin, Dest: dest, Mode: 0o755}}}},
			Entrypoint: []string{dest},
			// The binary carries its module list (go version -m).
			SBOM: []plan.SBOMSource{{Kind: "go-binary", Path: dest}},
		},
	}, nil
}

// mainPackage is go.main as go build wants it: "./cmd/x", not "cmd/x".
func mainPackage(s *spec.Spec) string {
	main := "."
	if s.Go != nil && s.Go.Main != "" {
		main = s.Go.Main
	}
	if main != "." && !strings.HasPrefix(main, "./") {
		main = "./" + main
	}
	return main
}

func buildArgs(s *spec.Spec, bin, main string) []string {
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
	return append(args, "-o", bin, main)
}

func mainPath(s *spec.Spec) string {
	return lang.SpecPath(s, "go/main")
}
