package plan

import (
	"fmt"
	"strings"
)

// Text is the plan in words, stage by stage: what `safe plan` prints and
// the golden files hold. It is stable: the same plan, the same text.
func (p *Plan) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d steps\n", p.Language, p.Steps)
	for _, st := range p.Stages {
		fmt.Fprintf(&b, "\nstage %s from %s", st.Name, st.From)
		if st.Output != "" {
			fmt.Fprintf(&b, " (its result: what the last step writes to %s)", st.Output)
		}
		b.WriteString("\n")
		for _, s := range st.Steps {
			p.writeStep(&b, s)
		}
	}
	b.WriteString("\nfinal\n")
	for _, l := range p.Final.Layers {
		fmt.Fprintf(&b, "  layer %s from %s\n", l.Name, l.From)
		for _, a := range l.Files {
			fmt.Fprintf(&b, "    %s\n", a)
		}
	}
	fmt.Fprintf(&b, "  entrypoint %q\n", p.Final.Entrypoint)
	if p.Final.WorkingDir != "" {
		fmt.Fprintf(&b, "  workdir %s\n", p.Final.WorkingDir)
	}
	if len(p.Final.Env) > 0 {
		fmt.Fprintf(&b, "  env %s\n", strings.Join(p.Final.Env, " "))
	}
	if p.Final.StopStatus != 0 {
		fmt.Fprintf(&b, "  a clean stop exits %d\n", p.Final.StopStatus)
	}
	for _, s := range p.Final.SBOM {
		fmt.Fprintf(&b, "  sbom %s %s\n", s.Kind, s.Path)
	}
	return b.String()
}

func (p *Plan) writeStep(b *strings.Builder, s Step) {
	num := "-"
	if s.N > 0 {
		num = fmt.Sprintf("%d/%d", s.N, p.Steps)
	}
	fmt.Fprintf(b, "  [%s %s] %s", p.Language, num, s.Name)
	if s.SpecPath != "" {
		fmt.Fprintf(b, " (spec: %s)", s.SpecPath)
	}
	b.WriteString("\n")
	if s.Why != "" {
		fmt.Fprintf(b, "    # %s\n", s.Why)
	}
	for _, f := range s.Files {
		fmt.Fprintf(b, "    %s\n", f)
	}
	if r := s.Run; r != nil {
		fmt.Fprintf(b, "    run %q", r.Args)
		if r.Dir != "" {
			fmt.Fprintf(b, " in %s", r.Dir)
		}
		b.WriteString("\n")
		if len(r.Env) > 0 || r.BuildArgs {
			env := strings.Join(r.Env, " ")
			switch {
			case r.BuildArgs && r.ArgsFirst:
				env = strings.TrimSpace("+build args, then " + env)
			case r.BuildArgs:
				env = strings.TrimSpace(env + " +build args")
			}
			fmt.Fprintf(b, "      env %s\n", env)
		}
		for _, m := range r.Mounts {
			fmt.Fprintf(b, "      mount %s\n", m)
		}
	}
}

func (f FileAction) String() string {
	switch {
	case f.Mkdir != nil:
		s := fmt.Sprintf("mkdir %s %04o", f.Mkdir.Path, f.Mkdir.Mode)
		if f.Mkdir.Parents {
			s += " with parents"
		}
		return s
	case f.Mkfile != nil:
		return fmt.Sprintf("write %s %04o (%d bytes)", f.Mkfile.Path, f.Mkfile.Mode, len(f.Mkfile.Data))
	case f.Rm != nil:
		return "rm " + f.Rm.Path
	case f.Copy != nil:
		return f.Copy.String()
	}
	return "nothing"
}

func (c *Copy) String() string {
	src := c.Src
	if c.Contents {
		src = strings.TrimSuffix(src, "/") + "/*"
	}
	s := fmt.Sprintf("copy %s:%s -> %s", c.From, src, c.Dest)
	var opts []string
	if c.Mode != 0 {
		opts = append(opts, fmt.Sprintf("mode %04o", c.Mode))
	}
	if c.AllowEmpty {
		opts = append(opts, "may match nothing")
	}
	if len(c.Include) > 0 {
		opts = append(opts, "only "+strings.Join(c.Include, " "))
	}
	if len(c.Exclude) > 0 {
		opts = append(opts, "not "+strings.Join(c.Exclude, " "))
	}
	if len(opts) > 0 {
		s += " (" + strings.Join(opts, "; ") + ")"
	}
	return s
}

func (m Mount) String() string {
	switch {
	case m.Cache != "" && m.Locked:
		return fmt.Sprintf("%s: cache %s, one build at a time", m.Target, m.Cache)
	case m.Cache != "":
		return fmt.Sprintf("%s: cache %s", m.Target, m.Cache)
	case m.Tmpfs:
		return m.Target + ": tmpfs"
	case m.From != nil:
		return fmt.Sprintf("%s: %s, read-only", m.Target, *m.From)
	case m.Output:
		return m.Target + ": output"
	}
	return m.Target
}

func (a Artifact) String() string {
	src := a.Src
	if a.Dir {
		src = strings.TrimSuffix(src, "/") + "/*"
	}
	s := fmt.Sprintf("%s -> %s", src, a.Dest)
	if a.From != nil {
		s = fmt.Sprintf("%s:%s -> %s", *a.From, src, a.Dest)
	}
	if a.Mode != 0 {
		s += fmt.Sprintf(" (mode %04o)", a.Mode)
	}
	if len(a.Include) > 0 {
		s += " (only " + strings.Join(a.Include, " ") + ")"
	}
	if len(a.Exclude) > 0 {
		s += " (not " + strings.Join(a.Exclude, " ") + ")"
	}
	return s
}
