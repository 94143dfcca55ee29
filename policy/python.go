package policy

import (
	"regexp"
	"slices"
	"strings"

	"github.com/org/safe-frontend/lang/python"
	"github.com/org/safe-frontend/llbgen"
	"github.com/org/safe-frontend/rules"
	"github.com/org/safe-frontend/spec"
)

var (
	pyModuleRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$`)
	pyScriptRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)
	pyMinorRe  = regexp.MustCompile(`^3\.\d+$`)
	pyPatchRe  = regexp.MustCompile(`^(3\.\d+)\.\d+`)
)

func (c *checker) checkPython() {
	if c.s.Language != "python" {
		return
	}
	p := c.s.Python
	if p == nil {
		p = &spec.Python{}
	}
	versions := python.Versions()
	if c.present("python/version", p.Version != "") {
		v := p.Version
		switch lv := strings.ToLower(strings.TrimSpace(v)); {
		case lv == "":
			c.add(rules.UnpinnedVersion, "python/version", "python.version is empty; write %s or remove the key for the frontend's default (%s)", quoteList(versions, "or"), python.DefaultVersion)
		case lv == "latest" || lv == "3" || lv == "stable":
			c.add(rules.UnpinnedVersion, "python/version", "python.version %q moves over time; pin a CPython minor: %s", v, quoteList(versions, "or"))
		case slices.Contains(versions, v):
		case pyPatchRe.MatchString(v):
			c.add(rules.InvalidValue, "python/version", "python.version %q names a patch release; write the minor %q: the patch is the one Debian ships in the distroless image", v, pyPatchRe.FindStringSubmatch(v)[1])
		case pyMinorRe.MatchString(v):
			c.add(rules.InvalidValue, "python/version", "python.version %q: no distroless python3 image ships CPython %s; use %s", v, v, quoteList(versions, "or"))
		default:
			c.add(rules.InvalidValue, "python/version", "python.version %q is not a CPython minor version; write %s", v, quoteList(versions, "or"))
		}
	}

	var entries []string
	for _, k := range []struct{ key, val string }{{"main", p.Main}, {"module", p.Module}, {"script", p.Script}} {
		if c.present("python/"+k.key, k.val != "") {
			entries = append(entries, k.key)
		}
	}
	switch len(entries) {
	case 0:
		where := "python"
		if !c.src.Has(where) {
			where = "language"
		}
		c.add(rules.MissingKey, where, "a python app needs exactly one of python.main (a file: python /app/app.py), python.module (python -m shop.server) or python.script (a console script such as gunicorn); none is set, and the image must not start a REPL")
	case 1:
	default:
		c.add(rules.ConflictingKey, "python/"+entries[1], "python.%s and python.%s are both set; keep exactly one of main, module and script", entries[0], entries[1])
	}
	if c.present("python/main", p.Main != "") {
		switch m := p.Main; {
		case m == "":
			c.add(rules.InvalidValue, "python/main", "python.main is empty; write the script's path relative to the context, e.g. app.py")
		case escapes(m):
			c.add(rules.PathEscapes, "python/main", "python.main %q is outside the build context; write a path relative to the context, e.g. app.py", m)
		case strings.HasSuffix(m, "/"):
			c.add(rules.InvalidValue, "python/main", "python.main %q is a directory; name the file to run, or use python.module for a package with __main__.py", m)
		}
	}
	if c.present("python/module", p.Module != "") && !pyModuleRe.MatchString(p.Module) {
		c.add(rules.InvalidValue, "python/module", "python.module %q is not a dotted module name such as shop.server", p.Module)
	}
	if c.present("python/script", p.Script != "") && !pyScriptRe.MatchString(p.Script) {
		c.add(rules.InvalidValue, "python/script", "python.script %q is not the name of a console script in the venv's bin/, such as gunicorn", p.Script)
	}
	if c.present("python/requirements", p.Requirements != "") {
		switch r := p.Requirements; {
		case r == "":
			c.add(rules.InvalidValue, "python/requirements", "python.requirements is empty; name the lock (requirements.txt, uv.lock or poetry.lock) or remove the key to detect it")
		case escapes(r):
			c.add(rules.PathEscapes, "python/requirements", "python.requirements %q is outside the build context; write a path relative to the context", r)
		}
	}
}

// CheckContext checks the context files the spec's language read (its
// lock), adds the findings to r with the spec's exemptions applied, and
// returns the new findings. Exemptions that waived one are added to
// r.Exemptions, so the image label records them.
func CheckContext(r *Report, s *spec.Spec, files map[string][]byte, cross bool) []Finding {
	if s == nil {
		return nil
	}
	return AddFindings(r, s, llbgen.CheckContext(s, files, cross))
}

// AddFindings adds findings made from what the build reads besides the
// spec (the context's files, the base lock) to r, with the spec's
// exemptions applied, and returns them. Exemptions that waived one are
// added to r.Exemptions, so the image label records them.
func AddFindings(r *Report, s *spec.Spec, found []llbgen.ContextFinding) []Finding {
	if r == nil || s == nil || len(found) == 0 {
		return nil
	}
	c := &checker{s: s, src: s.Source}
	for _, f := range found {
		rule, ok := rules.Lookup(f.Rule)
		if !ok {
			// A finding must still refuse, even under an ID this catalog
			// does not know.
			rule = rules.Rule{ID: f.Rule, Name: "UnknownRule", Severity: rules.Error}
		}
		c.findings = append(c.findings, Finding{Rule: rule, Message: f.Message, Path: f.Path, Range: c.src.Range(f.Path), File: f.File, Line: f.Line, Key: f.Key})
	}
	valid := (&checker{s: s, src: s.Source}).checkExemptions()
	exempt(c.findings, valid)
	r.Findings = append(r.Findings, c.findings...)
	sortFindings(r.Findings)
	r.Exemptions = usedExemptions(s, r.Findings)
	return c.findings
}
