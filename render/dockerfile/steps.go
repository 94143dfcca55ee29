package dockerfile

import (
	"encoding/json"
	"fmt"
	"path"
	"regexp"
	"strings"

	"github.com/org/safe-frontend/plan"
)

// files writes a file step: COPY for copies, a heredoc COPY for files the
// plan holds, RUN for mkdir and rm. A mkdir that the next COPY makes anyway
// is left out.
func (w *writer) files(actions []plan.FileAction) error {
	for i := 0; i < len(actions); i++ {
		a := actions[i]
		switch {
		case a.Mkdir != nil:
			if i+1 < len(actions) && actions[i+1].Copy != nil && within(actions[i+1].Copy.Dest, a.Mkdir.Path) {
				continue
			}
			w.line("RUN %s", execForm([]string{"mkdir", "-p", "-m", fmt.Sprintf("%04o", a.Mkdir.Mode), a.Mkdir.Path}))
		case a.Rm != nil:
			w.line("RUN %s", execForm([]string{"rm", "-rf", a.Rm.Path}))
		case a.Mkfile != nil:
			w.heredoc(a.Mkfile)
		case a.Copy != nil:
			n, err := w.copies(actions[i:])
			if err != nil {
				return err
			}
			i += n - 1
		}
	}
	return nil
}

// within: dest is dir or lies below it.
func within(dest, dir string) bool {
	dest, dir = path.Clean(dest), path.Clean(dir)
	return dest == dir || strings.HasPrefix(dest, dir+"/")
}

// copies writes one COPY for the copies at the start of actions that share
// their source, options and destination directory; it returns how many it
// took.
func (w *writer) copies(actions []plan.FileAction) (int, error) {
	first := actions[0].Copy
	if len(first.Include) > 0 {
		return 1, w.copyIncluded(first)
	}
	srcs := []string{w.copySource(first)}
	dest := first.Dest
	n := 1
	for ; n < len(actions); n++ {
		c := actions[n].Copy
		dir := path.Dir(first.Dest) + "/"
		if c == nil || !sameCopy(first, c) || !intoDir(first, dir) || !intoDir(c, dir) {
			break
		}
		srcs = append(srcs, w.copySource(c))
		dest = path.Dir(first.Dest) + "/"
	}
	flags, err := w.copyFlags(first, false)
	if err != nil {
		return 0, err
	}
	w.line("COPY %s%s %s", flags, strings.Join(srcs, " "), dest)
	return n, nil
}

// copyIncluded writes a copy of only some patterns of a directory as
// COPY --parents of each pattern, kept at its path. A pattern that names
// one file or directory gets its last letter in brackets: a wildcard that
// matches nothing is skipped, as the include pattern is.
func (w *writer) copyIncluded(c *plan.Copy) error {
	if !c.Contents {
		return fmt.Errorf("a copy of patterns %s that is not of a directory's contents has no Dockerfile form", strings.Join(c.Include, " "))
	}
	flags, err := w.copyFlags(c, false)
	if err != nil {
		return err
	}
	base := strings.TrimPrefix(w.copySource(&plan.Copy{From: c.From, Src: c.Src}), ".")
	var srcs []string
	for _, p := range c.Include {
		p = strings.TrimSuffix(p, "/**")
		if strings.Contains(p, "**") {
			return fmt.Errorf("the include pattern %s has no COPY --parents form", p)
		}
		if !strings.ContainsAny(p, "*?[") {
			p = p[:len(p)-1] + "[" + p[len(p)-1:] + "]"
		}
		srcs = append(srcs, path.Join(base, p))
	}
	w.line("# A name with its last letter in brackets may be missing: COPY skips it.")
	w.line("COPY --parents %s%s %s", flags, strings.Join(srcs, " "), c.Dest)
	return nil
}

// intoDir: the copy lands in dir under its own name, so it can share a
// COPY whose destination is dir.
func intoDir(c *plan.Copy, dir string) bool {
	if strings.HasSuffix(c.Dest, "/") {
		return true
	}
	return path.Dir(c.Dest)+"/" == dir && path.Base(c.Dest) == strings.TrimSuffix(path.Base(c.Src), "*")
}

func sameCopy(a, b *plan.Copy) bool {
	return a.From == b.From && a.Mode == b.Mode && a.Contents == b.Contents && len(a.Exclude) == 0 && len(b.Exclude) == 0 && len(b.Include) == 0
}

// copySource is the source as COPY names it: relative to the context, or
// absolute in a stage (below the stage's output directory, for a stage
// whose result is one).
func (w *writer) copySource(c *plan.Copy) string {
	src := c.Src
	switch {
	case c.From.Context:
		src = strings.TrimPrefix(src, "/")
		if c.Contents && src != "" {
			src = strings.TrimSuffix(src, "/") + "/"
		}
		if src == "" {
			src = "."
		}
	case c.From.Stage != "":
		src = path.Join("/", w.roots[c.From.Stage], src)
	}
	return src
}

func (w *writer) copyFlags(c *plan.Copy, link bool) (string, error) {
	var f []string
	if link {
		f = append(f, "--link")
	}
	if !c.From.Context {
		from, err := w.fromRef(c.From)
		if err != nil {
			return "", err
		}
		f = append(f, "--from="+from)
	}
	if c.Mode != 0 {
		f = append(f, fmt.Sprintf("--chmod=%04o", c.Mode))
	}
	for _, e := range c.Exclude {
		f = append(f, "--exclude="+e)
	}
	if len(f) == 0 {
		return "", nil
	}
	return strings.Join(f, " ") + " ", nil
}

// heredoc writes a file the plan holds with COPY's here-document form.
func (w *writer) heredoc(f *plan.Mkfile) {
	delim := "EOF"
	for i := 0; strings.Contains(f.Data, delim); i++ {
		delim = fmt.Sprintf("EOF%d", i)
	}
	data := f.Data
	if !strings.HasSuffix(data, "\n") {
		data += "\n"
	}
	w.line("COPY --chmod=%04o <<'%s' %s", f.Mode, delim, f.Path)
	w.b.WriteString(data)
	w.line("%s", delim)
}

// run writes RUN with its mounts (the step's own, then the build's
// secrets) and the command: exec form, or shell form when the step sets
// environment variables for the command alone.
func (w *writer) run(r *plan.Run) error {
	if r.Dir != "" && r.Dir != w.dir {
		w.line("WORKDIR %s", r.Dir)
		w.dir = r.Dir
	}
	var mounts []string
	for _, m := range r.Mounts {
		s, err := w.mount(m)
		if err != nil {
			return err
		}
		if s != "" {
			mounts = append(mounts, s)
		}
	}
	mounts = append(mounts, w.secretMounts()...)
	run := r
	if m := w.scriptMount(r); m != "" {
		mounts = append(mounts, m)
		short := *r
		short.Args, short.Env = r.Script().Argv(), nil // the script exports them
		run = &short
	}
	cmd, script := command(run)
	if len(mounts) == 0 {
		w.line("RUN %s", cmd)
	} else {
		w.line("RUN %s \\", strings.Join(mounts, " \\\n    "))
		w.line("    %s", cmd)
	}
	if script != "" {
		w.b.WriteString(script)
	}
	return nil
}

// command is how RUN says the command: a shell script as a here-document
// (with the body to write after the RUN line), otherwise the exec form, or
// the shell form when the command gets variables of its own.
func command(r *plan.Run) (cmd, body string) {
	if script, ok := shellScript(r); ok {
		delim := "EOF"
		for i := 0; strings.Contains(script, delim); i++ {
			delim = fmt.Sprintf("EOF%d", i)
		}
		return "<<'" + delim + "'", script + delim + "\n"
	}
	if len(r.Env) == 0 {
		return execForm(r.Args), ""
	}
	words := append([]string{}, r.Env...)
	for _, a := range r.Args {
		words = append(words, shellQuote(a))
	}
	return strings.Join(words, " "), ""
}

// shellScript turns `sh -c SCRIPT [$0 [ARG...]]` into the script a RUN
// here-document runs (with /bin/sh, as the shell form does): -e becomes
// set -e, the arguments set --, the variables export. A script that reads
// $0 stays in the exec form.
func shellScript(r *plan.Run) (string, bool) {
	a := r.Args
	if len(a) < 3 || (a[0] != "/bin/sh" && a[0] != "sh") || (a[1] != "-c" && a[1] != "-ec") || strings.Contains(a[2], "$0") {
		return "", false
	}
	var b strings.Builder
	if a[1] == "-ec" {
		b.WriteString("set -e\n")
	}
	if len(a) > 4 {
		words := make([]string, len(a)-4)
		for i, w := range a[4:] {
			words[i] = shellQuote(w)
		}
		fmt.Fprintf(&b, "set -- %s\n", strings.Join(words, " "))
	}
	for _, kv := range r.Env {
		k, v, _ := strings.Cut(kv, "=")
		fmt.Fprintf(&b, "export %s=%s\n", k, shellQuote(v))
	}
	b.WriteString(strings.TrimSuffix(a[2], "\n") + "\n")
	return b.String(), true
}

func (w *writer) mount(m plan.Mount) (string, error) {
	switch {
	case m.Cache != "":
		sharing := "shared"
		if m.Locked {
			sharing = "locked"
		}
		return fmt.Sprintf("--mount=type=cache,id=%s,target=%s,sharing=%s", m.Cache, m.Target, sharing), nil
	case m.Tmpfs:
		return "--mount=type=tmpfs,target=" + m.Target, nil
	case m.From != nil && m.From.Context:
		return "--mount=type=bind,target=" + m.Target, nil
	case m.From != nil:
		from, err := w.fromRef(*m.From)
		if err != nil {
			return "", err
		}
		src := "/"
		if r := w.roots[m.From.Stage]; m.From.Stage != "" && r != "" {
			src = r
		}
		return fmt.Sprintf("--mount=type=bind,from=%s,source=%s,target=%s", from, src, m.Target), nil
	}
	// An output mount: the command writes into the directory in the
	// stage's own filesystem, which later steps take from.
	return "", nil
}

// secretMounts are every command's: the CA bundle (optional) and the
// spec's secrets, as files or variables.
func (w *writer) secretMounts() []string {
	var out []string
	ca := false
	for _, s := range w.in.Spec.Secrets {
		ca = ca || s.ID == "ca"
		m := "--mount=type=secret,id=" + s.ID
		switch {
		case s.Env != "":
			m += ",env=" + s.Env
		case s.Target != "":
			m += ",target=" + s.Target
		case s.ID == "ca":
			m += ",target=" + w.in.CA
		}
		if s.Required {
			m += ",required=true"
		}
		out = append(out, m)
	}
	if !ca {
		out = append(out, "--mount=type=secret,id=ca,target="+w.in.CA)
	}
	return out
}

func execForm(args []string) string {
	dt, _ := json.Marshal(args)
	return strings.ReplaceAll(string(dt), `","`, `", "`)
}

var plainWord = regexp.MustCompile(`^[A-Za-z0-9_@%+=:,./-]+$`)

// shellQuote quotes a word for /bin/sh when it needs it.
func shellQuote(s string) string {
	if plainWord.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// quoteValue quotes an ARG or ENV value with spaces or quotes in it.
func quoteValue(s string) string {
	if s != "" && plainWord.MatchString(s) {
		return s
	}
	dt, _ := json.Marshal(s)
	return string(dt)
}
