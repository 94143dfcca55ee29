// Package static plans static sites: a directory of the context, or the
// output of a front-end build (Node.js, with the Node app's frozen
// installs and caches), prepared by safe-precompress (gzip and brotli
// variants, a manifest of content hashes) and served by safe-static. Both
// programs come from the frontend's runtime image; the final image, on
// scratch unless the spec names another final, holds tini, the server
// (which is also the health probe) and the site's files, nothing else.
package static

import (
	"path"
	"strconv"
	"strings"

	"github.com/pkg/errors"

	"github.com/org/safe-frontend/lang"
	"github.com/org/safe-frontend/lang/node"
	"github.com/org/safe-frontend/plan"
	"github.com/org/safe-frontend/spec"
)

// Paths in the runtime image, the build and the final image.
const (
	precompressTool = "/sbin/safe-precompress"
	serverInRuntime = "/sbin/safe-static"
	ServerPath      = "/usr/sbin/safe-static"
	SiteDir         = "/srv/www"
	inDir           = "/in"
	outDir          = "/out"
	stageSite       = "static-site"
	defaultPort     = 8080
	defaultHealth   = "/healthz"
)

type static struct{}

func init() { lang.Register(static{}) }

func (static) Name() string { return "static" }

func config(s *spec.Spec) spec.Static {
	if s.Static == nil {
		return spec.Static{}
	}
	return *s.Static
}

// frontEnd is the site's build, nil for a directory of the context.
func frontEnd(s *spec.Spec) *node.FrontEnd {
	b := config(s).Build
	if b == nil {
		return nil
	}
	return &node.FrontEnd{Version: b.Node, PackageManager: b.PackageManager, Script: b.Script,
		ScriptKey: "static.build.script", ScriptPath: lang.SpecPath(s, "static/build/script", "static/build")}
}

// BuilderImage: the node image; a site without a build runs no step in it.
func (static) BuilderImage(s *spec.Spec) string {
	if fe := frontEnd(s); fe != nil {
		return fe.BuilderImage()
	}
	return node.FrontEnd{}.BuilderImage()
}

// The server is a static Go binary.
func (static) Runtime(*spec.Spec) lang.Runtime { return lang.RuntimeStatic }

func (static) FinalImage(_ *spec.Spec, final string) (string, bool) {
	return lang.CommonFinal(lang.RuntimeStatic, final)
}

// ProbeCommand: the server is its own health probe (safe-static -probe),
// so the image holds the server and the site only, on scratch: the server
// runs as a numeric user and reads no trust store, time zones or users.
func (static) ProbeCommand(*spec.Spec) []string { return []string{ServerPath, "-probe"} }

// The server and the precompressor come from the runtime image.
func (static) UsesRuntime(*spec.Spec) bool { return true }

func (static) ContextFiles(s *spec.Spec) []string {
	if fe := frontEnd(s); fe != nil {
		return fe.ContextFiles()
	}
	return nil
}

// CheckContext: a front-end build's lockfile, as a Node app's.
func (static) CheckContext(s *spec.Spec, files map[string][]byte, _ bool) []lang.ContextFinding {
	if fe := frontEnd(s); fe != nil {
		return fe.CheckContext(s, files)
	}
	return nil
}

func (static) ExplainStepFailure(s *spec.Spec, files map[string][]byte, msg string, code int) (string, string, bool) {
	if fe := frontEnd(s); fe != nil {
		return fe.ExplainStepFailure(s, files, msg, code)
	}
	return "", "", false
}

// Plan: the front-end build when there is one, then the precompression of
// the site's directory in the runtime image's tools.
func (static) Plan(in *lang.Input) (*plan.Plan, error) {
	s := in.Spec
	cfg := config(s)
	var stages []plan.Stage
	var site plan.Ref
	var src, shown string
	var exclude []string
	n := 0
	switch fe := frontEnd(s); {
	case fe != nil && cfg.Root != "":
		return nil, &lang.SpecError{Path: "static/root", Err: errors.New("static.root and static.build are both set; keep exactly one: root for files in the context, build for a front-end build's output")}
	case fe != nil:
		out, ok := lang.CleanRel(cfg.Build.Output)
		if !ok || out == "." {
			return nil, &lang.SpecError{Path: lang.SpecPath(s, "static/build/output", "static/build"), Err: errors.Errorf("static.build.output %q must be a directory inside the package, e.g. dist", lang.Truncate(cfg.Build.Output, 120))}
		}
		b, err := fe.Plan(in)
		if err != nil {
			return nil, err
		}
		stages, n = b.Stages, b.Steps
		site, src, shown = plan.StageRef(b.Stage), path.Join(inDir, b.Dir, out), out
	case cfg.Root != "":
		root, ok := lang.CleanRel(cfg.Root)
		if !ok {
			return nil, &lang.SpecError{Path: lang.SpecPath(s, "static/root"), Err: errors.Errorf("static.root %q must be a directory inside the build context, e.g. public", lang.Truncate(cfg.Root, 120))}
		}
		site, src, shown = plan.Context, path.Join(inDir, root), root
		if root == "." {
			exclude = lang.BuildFiles(in.SpecFile)
		}
	default:
		return nil, &lang.SpecError{Path: lang.SpecPath(s, "static"), Err: errors.New("a static site needs static.root (a directory of the context, e.g. public) or static.build (a front-end build: {script: build, output: dist})")}
	}
	args := []string{precompressTool, "-src", src, "-out", outDir}
	if len(exclude) > 0 {
		args = append(args, "-exclude", strings.Join(exclude, ","))
	}
	n++
	stages = append(stages, plan.Stage{Name: stageSite, From: plan.Tools, Output: outDir, Steps: []plan.Step{{
		N: n, Name: "safe-precompress " + shown, SpecPath: lang.SpecPath(s, "static/root", "static/build/output", "static"),
		Why: "the site's files without dotfiles, their brotli and gzip variants, and the manifest of their hashes (the ETags)",
		Run: &plan.Run{Args: args, NoShell: true, Mounts: []plan.Mount{{Target: inDir, From: &site}, {Target: outDir, Output: true}}},
	}}})
	return &plan.Plan{
		Language: "static",
		Steps:    n,
		Stages:   stages,
		Final: plan.Final{
			Layers: []plan.Layer{
				{Name: "server", From: plan.Runtime, Files: []plan.Artifact{{Src: serverInRuntime, Dest: ServerPath, Mode: 0o755}}},
				{Name: "site", From: plan.StageRef(stageSite), Files: []plan.Artifact{{Src: "/", Dest: SiteDir, Dir: true}}},
			},
			Entrypoint: serverArgs(s, cfg),
			// The server carries its module list (go version -m).
			SBOM: []plan.SBOMSource{{Kind: "go-binary", Path: ServerPath}},
		},
	}, nil
}

// serverArgs is the server's command line: the spec's settings as flags.
func serverArgs(s *spec.Spec, cfg spec.Static) []string {
	port := defaultPort
	if s.Run.Port != 0 {
		port = s.Run.Port
	}
	args := []string{ServerPath, "-root=" + SiteDir, "-listen=:" + strconv.Itoa(port)}
	if h := s.Run.Health; h != nil && h.HTTP != "" && h.HTTP != defaultHealth {
		p, _, _ := strings.Cut(h.HTTP, "?")
		args = append(args, "-health="+p)
	}
	if cfg.SPA {
		args = append(args, "-spa")
	}
	if cfg.NotFound != "" {
		args = append(args, "-not-found="+strings.TrimPrefix(path.Clean(cfg.NotFound), "/"))
	}
	if cfg.CSP != "" {
		args = append(args, "-csp="+cfg.CSP)
	}
	return args
}
