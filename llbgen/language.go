// Package llbgen converts a validated spec into LLB and an image config.
//
// Conversion is a pure function: every input that needs I/O (base images,
// the build context, options) is resolved by the caller and passed in, so the
// same Input always yields the same definition bytes.
package llbgen

import (
	"os"
	"regexp"
	"strconv"
	"time"

	"github.com/moby/buildkit/client/llb"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/pkg/errors"

	"github.com/org/safe-frontend/lang"
	"github.com/org/safe-frontend/spec"
)

// Language is a language's interface (see lang); every language plans
// its build (lang.Planner), and this package renders the plan.
type Language = lang.Language

// Runtime is what a language's artifacts need at run time (see lang).
type Runtime = lang.Runtime

// The runtimes, as lang names them.
const (
	RuntimeStatic = lang.RuntimeStatic
	RuntimeGlibc  = lang.RuntimeGlibc
	RuntimeCC     = lang.RuntimeCC
	RuntimeOwn    = lang.RuntimeOwn
)

// BuildInput is what a language gets to build with.
type BuildInput struct {
	Spec *spec.Spec
	// Builder is the resolved builder image, on the build platform.
	Builder llb.State
	// Context is the build context with the ignore patterns applied.
	Context llb.State
	// Files are the context files the language asked for (ContextFiles)
	// that exist, by the name it asked for. Their content is untrusted.
	Files map[string][]byte
	// Target is the platform the artifacts must run on.
	Target ocispecs.Platform
	// Build is the platform the build steps run on.
	Build ocispecs.Platform
	// Env is the build-step environment: build args, in a stable order.
	Env []string
	// Run options every build step gets: secret mounts, network mode.
	RunOpts []llb.RunOption
	// Cache returns a persistent cache mount for a package manager.
	Cache func(dest, id string) llb.RunOption
	// LockedCache is Cache for tools that cannot share a cache with a
	// concurrent build (apt): one build at a time uses it.
	LockedCache func(dest, id string) llb.RunOption
	// Step names progress vertex n of total ("[go 2/4] go mod download")
	// and points it at a spec path, so a failing step shows its spec line.
	Step func(n, total int, name, path string) llb.ConstraintsOpt
	// Runtime and Tools are the runtime image for the target and for the
	// build platform (plan.Runtime, plan.Tools), when the language uses it.
	Runtime, Tools llb.State
	// CA is the path of the optional CA bundle secret in build steps.
	CA string
	// Epoch is SOURCE_DATE_EPOCH, for tools that stamp times into what
	// they build (archive entries).
	Epoch time.Time
	// SpecFile is the spec's file name ("Dockerfile" unless -f chose
	// another); a language leaves it, like .dockerignore, out of the app.
	SpecFile string
}

// BuildOutput is what the final stage takes from the build stage.
type BuildOutput struct {
	// Layers are the app's layers of the final image, bottom first: what
	// changes least goes first (dependencies, then the app's own code).
	Layers []Layer
	// Entrypoint is the app's exec-form entrypoint (the init is added
	// in front of it by the final assembly).
	Entrypoint []string
	// WorkingDir of the final image; "/" when empty.
	WorkingDir string
	// Env is added to the final image's environment, before run.env.
	Env []string
	// SBOM says where in the final image the packages it carries are
	// described.
	SBOM []SBOMSource
	// StopStatus is the status the app exits with after a clean shutdown
	// on SIGTERM when that is not 0 (a JVM runs its shutdown hooks and
	// exits 143): the init reports it as 0, so a stopped container or pod
	// reads as completed, not failed.
	StopStatus int
}

// Layer is one layer of the final image: files taken from a build state.
type Layer struct {
	// Name describes the layer in progress output and history.
	Name  string
	State llb.State
	Files []Artifact
}

// Artifact is a file or directory the build stage produced.
type Artifact struct {
	Src  string      // path in the build stage
	Dest string      // path in the final image
	Mode os.FileMode // file mode in the final image; 0 keeps the source's
	// Dir copies the contents of the directory Src into Dest.
	Dir bool
	// From is the state to copy from when it is not the layer's.
	From *llb.State
	// Exclude are patterns (relative to Src) left out of a directory copy.
	Exclude []string
	// Include, when set, are the only patterns (relative to Src) a
	// directory copy takes.
	Include []string
}

// SBOMSource names a place in the final image that describes packages,
// and how to read it.
type SBOMSource struct {
	Kind string // a kind package sbom reads: "go-binary", ...
	Path string
}

// ContextChecker is lang.ContextChecker.
type ContextChecker = lang.ContextChecker

// CheckContext runs the spec's language's context checks (nil when it has
// none): the project files' own first; when they refuse a file outright,
// the language's checks, which parse it, do not run.
func CheckContext(s *spec.Spec, files map[string][]byte, cross bool) []ContextFinding {
	l, ok := Lookup(s.Language)
	if !ok {
		return nil
	}
	found := checkProjectFiles(l, s, files)
	if lang.Refusal(found) != nil {
		return found
	}
	if cc, ok := l.(ContextChecker); ok {
		found = append(found, cc.CheckContext(s, files, cross)...)
	}
	return found
}

// checkProjectFiles runs the language's project-file checks, if it has any.
func checkProjectFiles(l Language, s *spec.Spec, files map[string][]byte) []ContextFinding {
	if pc, ok := l.(lang.ProjectFileChecker); ok {
		return pc.CheckProjectFiles(s, files)
	}
	return nil
}

// ContextApplier is lang.ContextApplier.
type ContextApplier = lang.ContextApplier

// ContextDecides says whether the spec's language may fill in from the
// context what the spec leaves open (ApplyContext), so that the bases the
// spec alone names may not be the ones the build uses.
func ContextDecides(s *spec.Spec) bool {
	l, ok := Lookup(s.Language)
	if !ok {
		return false
	}
	_, ok = l.(ContextApplier)
	return ok
}

// ApplyContext lets the spec's language fill in what the context decides.
func ApplyContext(s *spec.Spec, files map[string][]byte) {
	if l, ok := Lookup(s.Language); ok {
		if a, ok := l.(ContextApplier); ok {
			a.ApplyContext(s, files)
		}
	}
}

// Lookup returns the implementation of a language.
func Lookup(name string) (Language, bool) { return lang.Lookup(name) }

// Languages lists the supported language names, sorted.
func Languages() []string { return lang.Languages() }

// ContextFiles is what the spec's language reads from the build context
// at conversion time (nil for an unknown language).
func ContextFiles(s *spec.Spec) []string {
	if l, ok := Lookup(s.Language); ok {
		return l.ContextFiles(s)
	}
	return nil
}

// runtimeFinals says, per runtime, which finals carry everything the
// artifacts need (smallest first; any other final is fatter than needed)
// and why, in words for messages.
var runtimeFinals = map[Runtime]struct {
	finals []string
	why    string
}{
	RuntimeStatic: {[]string{"scratch", "distroless"}, "its build is static and needs no C library"},
	// For glibc apps "distroless" already means distroless/base.
	RuntimeGlibc: {[]string{"distroless", "distroless-base"}, "it needs glibc and nothing more"},
	RuntimeCC:    {[]string{"distroless"}, "it needs glibc and the C++ runtime"},
	RuntimeOwn:   {[]string{"distroless"}, "it runs on its language's distroless runtime"},
}

// SufficientFinals lists the finals that are enough for a spec's language,
// smallest first, with the reason in words; ok is false for an unknown
// language.
func SufficientFinals(s *spec.Spec) (finals []string, why string, ok bool) {
	l, ok := Lookup(s.Language)
	if !ok {
		return nil, "", false
	}
	rf := runtimeFinals[l.Runtime(s)]
	return rf.finals, rf.why, true
}

// ErrorPath is the spec path a conversion error belongs to, or def.
func ErrorPath(err error, def string) string {
	var se *SpecError
	if errors.As(err, &se) && se.Path != "" {
		return se.Path
	}
	var re *RuleError
	if errors.As(err, &re) && re.Path != "" {
		return re.Path
	}
	return def
}

var exitCodeRe = regexp.MustCompile(`exit code: ([0-9]+)`)

// ExplainStepFailure turns a failed solve into the rule it breaks, when a
// language recognises the failure: the message names the file and the
// fix, path is the spec key to point at.
func ExplainStepFailure(s *spec.Spec, files map[string][]byte, msg string) (message, path string, ok bool) {
	l, found := Lookup(s.Language)
	if !found {
		return "", "", false
	}
	ex, isExplainer := l.(lang.StepExplainer)
	m := exitCodeRe.FindStringSubmatch(msg)
	if !isExplainer || m == nil {
		return "", "", false
	}
	code, err := strconv.Atoi(m[1])
	if err != nil {
		return "", "", false
	}
	return ex.ExplainStepFailure(s, files, msg, code)
}
