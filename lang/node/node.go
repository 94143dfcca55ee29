// Package node plans Node.js builds: the manifests and the lockfile copied
// first, a frozen install of the production dependencies (npm, or pnpm and
// yarn through corepack) as its own layer, and the app's files, built by
// its build script when it names one, as another.
package node

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/org/safe-frontend/lang"
	"github.com/org/safe-frontend/rules"
	"github.com/org/safe-frontend/spec"
)

// Defaults of the Node builder; they move with frontend releases, never
// with "latest".
const (
	DefaultVersion = "22"
	// DefaultPNPMVersion and DefaultYarnVersion are what corepack runs when
	// package.json pins no "packageManager".
	DefaultPNPMVersion = "12.4.2"
	DefaultYarnVersion = "1.22.22"
)

// Paths in the Node build stage and the final image.
const (
	appDir       = "/app"
	nodeBin      = "/nodejs/bin/node" // the distroless nodejs images' node
	npmCache     = "/root/.npm"
	pnpmStore    = "/root/.local/share/pnpm/store"
	yarnCache    = "/root/.cache/yarn"
	corepackHome = "/root/.cache/node/corepack"
)

// Exit codes the Node install steps reserve for failures a rule explains;
// ExplainStepFailure turns them back into the rule.
const (
	exitLockfileOutOfSync = 111
	exitNativeAddon       = 113
	// Markers in the step's arguments, so an app's own exit code 111 is
	// never mistaken for ours.
	installMarker     = "safe-frontend-frozen-install"
	nativeCheckMarker = "safe-frontend-native-check"
)

// nodeModulesLinker finds `nodeLinker: node-modules` in a .yarnrc.yml.
var nodeModulesLinker = regexp.MustCompile(`(?m)^nodeLinker:\s*["']?node-modules["']?\s*(#.*)?$`)

type node struct{}

func init() { lang.Register(node{}) }

func (node) Name() string { return "node" }

func version(s *spec.Spec) string {
	if s.Node != nil && s.Node.Version != "" {
		return s.Node.Version
	}
	return DefaultVersion
}

// Major is the major of the spec's node version ("22" of "22.23.3").
func Major(s *spec.Spec) string {
	v, _, _ := strings.Cut(version(s), ".")
	return v
}

func (node) BuilderImage(s *spec.Spec) string {
	// Same Debian release as the final, so addons built by node-gyp load.
	return "docker.io/library/node:" + version(s) + "-trixie"
}

func (node) Runtime(*spec.Spec) lang.Runtime { return lang.RuntimeOwn }

func (node) FinalImage(s *spec.Spec, final string) (string, bool) {
	if final != "distroless" {
		return "", false
	}
	return "gcr.io/distroless/nodejs" + Major(s) + "-debian13:nonroot", true
}

// ContextFiles: the manifests and lockfiles that decide the package
// manager, the entry point and whether the install can be frozen.
func (node) ContextFiles(s *spec.Spec) []string {
	files := manifestFiles()
	if s.Node != nil && s.Node.Workspace != "" {
		if ws, ok := lang.CleanRel(s.Node.Workspace); ok && ws != "." {
			files = append(files, ws+"/package.json")
		}
	}
	return files
}

func manifestFiles() []string {
	return []string{"package.json", "package-lock.json", "npm-shrinkwrap.json", "pnpm-lock.yaml",
		"yarn.lock", ".yarnrc.yml", "pnpm-workspace.yaml", ".npmrc", ".yarnrc"}
}

// CheckContext decides the build from package.json and the lockfile: a
// missing or stale lockfile, no main file, native addons in a cross build.
func (node) CheckContext(s *spec.Spec, files map[string][]byte, cross bool) []lang.ContextFinding {
	_, err := decide(s, files, cross)
	return lang.FindingsOf(err)
}

// ExplainStepFailure maps the reserved exit codes of the Node steps back
// to their rules, naming the lockfile and the fix.
func (node) ExplainStepFailure(s *spec.Spec, files map[string][]byte, msg string, code int) (string, string, bool) {
	return explain(s, msg, code, func() (*decision, error) { return decide(s, files, false) })
}

// explain is ExplainStepFailure once the manifests are decided (by
// decide, called only when a reserved code needs it).
func explain(s *spec.Spec, msg string, code int, decide func() (*decision, error)) (string, string, bool) {
	switch {
	case code == exitLockfileOutOfSync && strings.Contains(msg, installMarker):
		d, err := decide()
		lf, mgr := "the lockfile", "npm"
		if err == nil {
			lf, mgr = d.lockfile, d.manager
		}
		r := rules.MustLookup(rules.LockfileOutOfSync)
		return fmt.Sprintf("%s %s: %s does not match package.json and the frozen install refuses to update it; run `%s install` and commit %s (%s)",
			r.ID, r.Name, lf, mgr, lf, r.URL()), specPath(s, "packageManager"), true
	case code == exitNativeAddon && strings.Contains(msg, nativeCheckMarker):
		r := rules.MustLookup(rules.NativeAddonCrossBuild)
		return fmt.Sprintf("%s %s: the production dependencies hold native addons (binding.gyp), which a cross build compiles for the build machine, not the target; build on the target platform, or drop the addon (%s)",
			r.ID, r.Name, r.URL()), "language", true
	}
	return "", "", false
}
