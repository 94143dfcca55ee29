package dockerfile

import (
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/org/safe-frontend/plan"
)

// final writes the final stage: the base by digest, each layer's files
// copied with --link (each a layer of its own, independent of the ones
// below), then the image config the frontend sets.
func (w *writer) final() error {
	w.line("")
	w.line("# The final image: the runtime base pinned by digest, only what runs copied in,")
	w.line("# owned by root and not writable by the app's user.")
	from := "scratch"
	if ref, ok := w.in.Bases["final"]; ok {
		from = ref
	}
	w.line("FROM %s AS final", from)
	for _, l := range w.in.Plan.Final.Layers {
		w.line("# %s", layerWhy(l))
		for _, a := range l.Files {
			if err := w.artifact(l, a); err != nil {
				return fmt.Errorf("layer %s: %w", l.Name, err)
			}
		}
	}
	w.config()
	return nil
}

func layerWhy(l plan.Layer) string {
	switch l.Name {
	case "runtime":
		if len(l.Files) > 0 && !slices.ContainsFunc(l.Files, func(a plan.Artifact) bool { return path.Base(a.Dest) == "safe-probe" }) {
			return "runtime: tini as PID 1, from the runtime image"
		}
		return "runtime: tini as PID 1 and the shell-less health probe, from the runtime image"
	case "ca-certificates":
		return "ca-certificates: scratch has no trust store"
	case "copy":
		return "copy: the spec's extra files"
	}
	return l.Name
}

func (w *writer) artifact(l plan.Layer, a plan.Artifact) error {
	from := l.From
	if a.From != nil {
		from = *a.From
	}
	if from.URL != "" {
		w.line("ADD --link --checksum=sha256:%s --chmod=%04o %s %s", from.SHA256, a.Mode, from.URL, a.Dest)
		return nil
	}
	c := &plan.Copy{From: from, Src: a.Src, Dest: a.Dest, Contents: a.Dir, Exclude: a.Exclude, Include: a.Include, Mode: a.Mode}
	if len(c.Include) > 0 {
		return fmt.Errorf("a copy that takes only some patterns (%s) has no Dockerfile form yet", strings.Join(c.Include, " "))
	}
	flags, err := w.copyFlags(c, true)
	if err != nil {
		return err
	}
	src, dest := w.copySource(c), a.Dest
	if a.Dir {
		src, dest = strings.TrimSuffix(src, "/")+"/", strings.TrimSuffix(dest, "/")+"/"
	}
	w.line("COPY %s%s %s", flags, src, dest)
	return nil
}

// config writes what the image runs with: the instructions in the order
// a reader looks for them.
func (w *writer) config() {
	c := w.in.Image.Config
	w.line("")
	w.line("# A numeric non-root user: Kubernetes' runAsNonRoot can check it.")
	w.line("USER %s", c.User)
	for _, kv := range c.Env {
		if !slices.Contains(w.in.BaseEnv, kv) {
			k, v, _ := strings.Cut(kv, "=")
			w.line("ENV %s=%s", k, quoteValue(v))
		}
	}
	w.line("WORKDIR %s", c.WorkingDir)
	for _, p := range slices.Sorted(maps.Keys(c.ExposedPorts)) {
		w.line("EXPOSE %s", strings.TrimSuffix(p, "/tcp"))
	}
	for _, k := range slices.Sorted(maps.Keys(c.Labels)) {
		if !buildLabels[k] {
			w.line("LABEL %s=%s", quoteValue(k), quoteValue(c.Labels[k]))
		}
	}
	w.line("# Where the code comes from: the build args the frontend reads too. The image's")
	w.line("# created time is SOURCE_DATE_EPOCH's (a Dockerfile cannot write it as a label).")
	w.line("ARG VCS_REVISION VCS_SOURCE")
	w.line("LABEL org.opencontainers.image.revision=$VCS_REVISION org.opencontainers.image.source=$VCS_SOURCE")
	if hc := c.Healthcheck; hc != nil && len(hc.Test) > 1 && hc.Test[0] == "CMD" {
		w.line("# The health check runs the static probe: no shell, no curl in the image.")
		w.line("HEALTHCHECK --interval=%s --timeout=%s --start-period=%s --start-interval=%s --retries=%d \\",
			dur(hc.Interval), dur(hc.Timeout), dur(hc.StartPeriod), dur(hc.StartInterval), hc.Retries)
		w.line("    CMD %s", execForm(hc.Test[1:]))
	}
	w.line("STOPSIGNAL %s", c.StopSignal)
	w.line("ENTRYPOINT %s", execForm(c.Entrypoint))
	if len(c.Cmd) > 0 {
		w.line("CMD %s", execForm(c.Cmd))
	}
}

func dur(d time.Duration) string { return d.String() }

// buildLabels are the labels that describe one build, not the spec: the
// Dockerfile takes them from its build, not from the build it was ejected
// from.
var buildLabels = map[string]bool{
	"org.opencontainers.image.created":  true,
	"org.opencontainers.image.revision": true,
	"org.opencontainers.image.source":   true,
}
