// Package lang is what every language shares: the interface a language
// implements, the registry, and the errors a language's planning reports.
// Each language is a package of its own below this one (lang/golang, ...)
// that reads its project files, checks them, and plans the build as data
// (package plan); nothing outside it switches on the language.
package lang

import (
	"fmt"
	"maps"
	"path"
	"slices"
	"time"

	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/org/safe-frontend/plan"
	"github.com/org/safe-frontend/spec"
)

// Language builds one kind of app.
type Language interface {
	// Name is the spec's `language` value.
	Name() string
	// BuilderImage is the image the build stage starts from, by name.
	BuilderImage(s *spec.Spec) string
	// Runtime is what the artifacts need from the final base.
	Runtime(s *spec.Spec) Runtime
	// FinalImage maps the spec's `final` (never "scratch") to the runtime
	// base; ok is false when that final cannot run this language.
	FinalImage(s *spec.Spec, final string) (ref string, ok bool)
	// ContextFiles names the files of the build context the planning
	// reads (package manifests, lockfiles), relative to the context; the
	// caller reads them and passes what exists in Input.Files. Nil for
	// languages that read nothing.
	ContextFiles(s *spec.Spec) []string
}

// Planner is a language that plans its build as data.
type Planner interface {
	Language
	Plan(in *Input) (*plan.Plan, error)
}

// Input is what a language plans from.
type Input struct {
	Spec *spec.Spec
	// Files are the context files the language asked for (ContextFiles)
	// that exist, by the name it asked for. Their content is untrusted.
	Files map[string][]byte
	// Target is the platform the artifacts must run on; Build is the
	// platform the build steps run on.
	Target, Build ocispecs.Platform
	// BuildArgs are the build's arguments ("K=V", in a stable order), the
	// ones Run.BuildArgs passes: for a language whose own settings take
	// from them (RUSTFLAGS).
	BuildArgs []string
	// CA is the path of the optional CA bundle secret in build steps.
	CA string
	// Epoch is SOURCE_DATE_EPOCH, for tools that stamp times into what
	// they build (jar entries).
	Epoch time.Time
	// SpecFile is the spec's file name ("Dockerfile" unless -f chose
	// another); a language leaves it, like .dockerignore, out of the app.
	SpecFile string
}

// Runtime is what a language's artifacts need at run time.
type Runtime int

const (
	// RuntimeStatic artifacts need no libc: scratch or distroless/static.
	RuntimeStatic Runtime = iota
	// RuntimeGlibc artifacts link against glibc: distroless/base at least.
	RuntimeGlibc
	// RuntimeCC artifacts also need libgcc_s and libstdc++: distroless/cc.
	RuntimeCC
	// RuntimeOwn artifacts need the language's own runtime image
	// (distroless nodejs, python3, java).
	RuntimeOwn
)

// commonFinals maps a spec's `final` value and the runtime an app needs
// to the distroless base; scratch is absent, and languages with their own
// runtime image map `final` themselves.
var commonFinals = map[string]map[Runtime]string{
	"distroless": {
		RuntimeStatic: "gcr.io/distroless/static-debian13:nonroot",
		RuntimeGlibc:  "gcr.io/distroless/base-debian13:nonroot",
		RuntimeCC:     "gcr.io/distroless/cc-debian13:nonroot",
	},
	"distroless-base": {
		RuntimeStatic: "gcr.io/distroless/base-debian13:nonroot",
		RuntimeGlibc:  "gcr.io/distroless/base-debian13:nonroot",
		RuntimeCC:     "gcr.io/distroless/cc-debian13:nonroot",
	},
}

// CommonFinal is FinalImage for languages whose apps need only what the
// distroless static, base or cc images carry.
func CommonFinal(rt Runtime, final string) (string, bool) {
	ref, ok := commonFinals[final][rt]
	return ref, ok
}

var languages = map[string]Language{}

// Register adds a language; each language's package registers itself.
func Register(l Language) {
	if _, dup := languages[l.Name()]; dup {
		panic(fmt.Sprintf("language %q registered twice", l.Name()))
	}
	languages[l.Name()] = l
}

// Lookup returns the implementation of a language.
func Lookup(name string) (Language, bool) {
	l, ok := languages[name]
	return l, ok
}

// Languages lists the supported language names, sorted.
func Languages() []string {
	return slices.Sorted(maps.Keys(languages))
}

// ContextChecker is implemented by languages that check the files they
// read (ContextFiles) before anything is built; the findings go through
// the policy like the spec's own, exemptions included, so the build and
// --check report them alike, with the rule and the spec line. cross says
// whether some target platform differs from the build platform. A
// language's Plan refuses the same files again (a RuleError), for callers
// that skip the check.
type ContextChecker interface {
	CheckContext(s *spec.Spec, files map[string][]byte, cross bool) []ContextFinding
}

// ContextApplier is implemented by languages that take settings from the
// files they read (a toolchain file's release) when the spec leaves them
// open. It runs after the context checks passed.
type ContextApplier interface {
	ApplyContext(s *spec.Spec, files map[string][]byte)
}

// RuntimeUser is implemented by languages whose plan takes files from the
// frontend's runtime image (plan.Runtime) or runs its programs in build
// steps (plan.Tools): the static site server and its precompressor.
type RuntimeUser interface {
	UsesRuntime(s *spec.Spec) bool
}

// SelfProber is implemented by languages whose final image needs nothing
// of a base: a static server that runs as a numeric user, reads no trust
// store, time zones or /etc/passwd, and answers its own health check. Its
// final is scratch unless the spec names another, without the CA bundle a
// scratch final otherwise gets, and the health check runs ProbeCommand
// (followed by -timeout=D and the URL, as the runtime's probe takes them)
// instead of copying the runtime's probe into the image.
type SelfProber interface {
	ProbeCommand(s *spec.Spec) []string
}

// StepExplainer is implemented by languages whose build steps exit with
// codes reserved for rules (a lockfile the frozen install refuses): it
// turns the failure into the rule's message and the spec path to show.
type StepExplainer interface {
	ExplainStepFailure(s *spec.Spec, files map[string][]byte, msg string, code int) (message, path string, ok bool)
}

// BuildFiles are the build's own files at the context's root: the spec
// (named as the build named it) and the ignore files. An app that copies
// its sources leaves them out: they are not the app's.
func BuildFiles(specFile string) []string {
	out := []string{".dockerignore"}
	if name := path.Base(specFile); name != "." && name != "/" && name != "" {
		out = append(out, name, name+".dockerignore")
	}
	return out
}
