// Package dockerfile renders a plan as a plain Dockerfile and .dockerignore
// (`safe eject`, the frontend's `dockerfile` target): the same stages,
// steps, cache and secret mounts and final layers the frontend solves, in
// the instructions a reviewer expects of a hand-written best-practice
// Dockerfile, with a comment per step saying why.
package dockerfile

import (
	"encoding/base64"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"
	"unicode/utf8"

	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"

	"github.com/org/safe-frontend/plan"
	"github.com/org/safe-frontend/spec"
)

// Input is what a Dockerfile is rendered from.
type Input struct {
	// Plan is the complete plan: the frame's layers included.
	Plan *plan.Plan
	// Bases are the pinned base references by role (builder, runtime,
	// final: "name@sha256:..."); no final means scratch.
	Bases map[string]string
	// Image is the config the frontend gives the image; BaseEnv is the
	// final base's environment, which FROM already brings.
	Image   *dockerspec.DockerOCIImage
	BaseEnv []string
	Spec    *spec.Spec
	// SpecFile names the spec in the header comment.
	SpecFile string
	// CA is where build steps find the optional CA bundle secret.
	CA string
	// Excludes are the context's ignore patterns (.dockerignore and the
	// frontend's own secret excludes).
	Excludes []string
}

// Render writes the Dockerfile and the .dockerignore.
func Render(in *Input) (dockerfile, dockerignore []byte, err error) {
	w := &writer{in: in, stages: map[string]plan.Stage{}, roots: map[string]string{}}
	w.header()
	w.aliases()
	w.collectScripts()
	w.scriptFiles()
	for _, st := range in.Plan.Stages {
		if err := w.stage(st); err != nil {
			return nil, nil, err
		}
		w.stages[st.Name] = st
	}
	if err := w.final(); err != nil {
		return nil, nil, err
	}
	var ig strings.Builder
	ig.WriteString("# The build context the frontend sends: its ignore patterns and the files\n# that never belong in an image (keys, .env, VCS state).\n")
	for _, e := range in.Excludes {
		ig.WriteString(e + "\n")
	}
	return []byte(w.b.String()), []byte(ig.String()), nil
}

type writer struct {
	in     *Input
	b      strings.Builder
	stages map[string]plan.Stage
	// roots is where a stage's result lies in its Dockerfile stage when
	// not at / (an output directory, decoded files).
	roots map[string]string
	dir   string // the current stage's working directory
	// scripts are where each command's generated script lies in the
	// scripts stage, in the order they are written.
	scripts     map[*plan.Run]string
	scriptOrder []*plan.Run
}

func (w *writer) line(format string, args ...any) { fmt.Fprintf(&w.b, format+"\n", args...) }

func (w *writer) header() {
	w.line("# syntax=docker/dockerfile:1")
	w.line("# %s, ejected from %s by safe-frontend: the image the frontend builds from", w.in.Spec.Name, w.in.SpecFile)
	w.line("# the spec, written out. Build it as the frontend would:")
	w.line("#   docker buildx build --build-arg SOURCE_DATE_EPOCH=$(git log -1 --format=%%ct) \\")
	w.line("#     --secret id=ca,src=/path/to/extra-ca.pem .   # the CA secret only where downloads need it")
}

// stage writes FROM and the steps of one build stage.
func (w *writer) stage(st plan.Stage) error {
	w.line("")
	if st.Output != "" {
		w.roots[st.Name] = st.Output
	}
	if binaryFiles(st) {
		return w.decodedStage(st)
	}
	from, err := w.fromRef(st.From)
	if err != nil {
		return err
	}
	w.line("FROM %s AS %s", from, st.Name)
	w.dir = ""
	if w.runs(st) {
		w.stageEnv()
	}
	for _, s := range st.Steps {
		if err := w.step(s); err != nil {
			return fmt.Errorf("stage %s, step %q: %w", st.Name, s.Name, err)
		}
	}
	return nil
}

func (w *writer) runs(st plan.Stage) bool {
	return slices.ContainsFunc(st.Steps, func(s plan.Step) bool { return s.Run != nil })
}

// stageEnv declares the build's arguments and points TLS clients at the
// optional CA secret, as the frontend does for every command.
func (w *writer) stageEnv() {
	for _, k := range slices.Sorted(maps.Keys(w.in.Spec.Build.Args)) {
		w.line("ARG %s=%s", k, quoteValue(w.in.Spec.Build.Args[k]))
	}
	w.line("# The extra CA bundle for downloads, when the build passes one (--secret id=ca).")
	w.line("ENV SSL_CERT_FILE=%s", w.in.CA)
}

func (w *writer) step(s plan.Step) error {
	w.line("# [%s %d/%d] %s", w.in.Plan.Language, s.N, w.in.Plan.Steps, s.Name)
	if s.Why != "" {
		w.line("# %s", s.Why)
	}
	if s.Run != nil {
		return w.run(s.Run)
	}
	return w.files(s.Files)
}

// aliases names, as stages, the bases the final layers copy from and the
// stages start from (the runtime image), so each says safe-runtime, not
// the digest.
func (w *writer) aliases() {
	roles := map[string]bool{}
	add := func(r plan.Ref) {
		if r.Base != "" && r.Base != "builder" && r.Base != "final" {
			roles[r.Base] = true
		}
	}
	for _, l := range w.in.Plan.Final.Layers {
		add(l.From)
	}
	// Stages may start from one too (the runtime image's tools).
	for _, st := range w.in.Plan.Stages {
		add(st.From)
	}
	for _, r := range slices.Sorted(maps.Keys(roles)) {
		if ref, ok := w.in.Bases[r]; ok {
			w.line("")
			w.line("# The %s image, pinned by digest.", r)
			w.line("FROM %s AS safe-%s", ref, r)
		}
	}
}

// fromRef is what FROM or --from names for a filesystem.
func (w *writer) fromRef(r plan.Ref) (string, error) {
	switch {
	case r.Base != "" && r.Base != "builder" && r.Base != "final":
		if _, ok := w.in.Bases[r.Base]; ok {
			return "safe-" + r.Base, nil
		}
		return "", fmt.Errorf("no %s base was resolved", r.Base)
	case r.Base != "":
		ref, ok := w.in.Bases[r.Base]
		if !ok {
			return "", fmt.Errorf("no %s base was resolved", r.Base)
		}
		return ref, nil
	case r.Stage != "":
		return r.Stage, nil
	case r.Context:
		return "", fmt.Errorf("the build context is not a stage")
	case r.URL != "":
		return "", fmt.Errorf("a download is not a stage")
	}
	return "scratch", nil
}

// filesRoot is where a decoded stage keeps its files.
const filesRoot = "/safe-files"

// binaryFiles: a stage that only writes files the plan holds, one of them
// not text a here-document can carry as is (binary, or without a final
// newline).
func binaryFiles(st plan.Stage) bool {
	if st.From != plan.Scratch || len(st.Steps) == 0 {
		return false
	}
	binary := false
	for _, s := range st.Steps {
		for _, f := range s.Files {
			if f.Mkfile == nil {
				return false
			}
			d := f.Mkfile.Data
			binary = binary || !utf8.ValidString(d) || strings.ContainsRune(d, 0) || !strings.HasSuffix(d, "\n")
		}
	}
	return binary
}

// decodedStage writes a stage of plan-held files that are not text as
// base64, decoded on the builder image into /safe-files, which is what
// later steps take from it.
func (w *writer) decodedStage(st plan.Stage) error {
	ref, ok := w.in.Bases["builder"]
	if !ok {
		return fmt.Errorf("stage %s: no builder base to decode its files on", st.Name)
	}
	w.roots[st.Name] = filesRoot
	w.line("# %s: files the build writes, in base64 (a Dockerfile holds text only), decoded", st.Name)
	w.line("# into %s on the builder image.", filesRoot)
	w.line("FROM %s AS %s", ref, st.Name)
	for _, s := range st.Steps {
		w.line("# [%s %d/%d] %s", w.in.Plan.Language, s.N, w.in.Plan.Steps, s.Name)
		for _, f := range s.Files {
			dest := path.Join(filesRoot, f.Mkfile.Path)
			w.line("RUN <<'EOF'")
			w.line("mkdir -p %s", shellQuote(path.Dir(dest)))
			w.line("base64 -d >%s <<'DATA'", shellQuote(dest))
			w.b.WriteString(wrap(base64.StdEncoding.EncodeToString([]byte(f.Mkfile.Data)), 76))
			w.line("DATA")
			w.line("chmod %04o %s", f.Mkfile.Mode, shellQuote(dest))
			w.line("EOF")
		}
	}
	return nil
}

func wrap(s string, n int) string {
	var b strings.Builder
	for len(s) > n {
		b.WriteString(s[:n] + "\n")
		s = s[n:]
	}
	b.WriteString(s + "\n")
	return b.String()
}
