package policy

import (
	"strings"

	"github.com/org/safe-frontend/rules"
	"github.com/org/safe-frontend/spec"
)

// checkStatic: exactly one of static.root and static.build, paths inside
// the context, a pinned Node.js for the build, a header-safe CSP.
func (c *checker) checkStatic() {
	if c.s.Language != "static" {
		return
	}
	st := c.s.Static
	if st == nil {
		st = &spec.Static{}
	}
	hasRoot := c.present("static/root", st.Root != "")
	switch {
	case hasRoot && st.Build != nil:
		c.add(rules.ConflictingKey, "static/build", "static.root and static.build are both set; keep exactly one: root for a directory of files in the context, build for a front-end build's output")
	case !hasRoot && st.Build == nil:
		where := "static"
		if !c.src.Has(where) {
			where = "language"
		}
		c.add(rules.MissingKey, where, "a static site needs static.root (a directory of the context, e.g. public) or static.build ({script: build, output: dist} for a front-end build)")
	}
	if hasRoot {
		c.staticPath("static/root", "static.root", st.Root, "public")
	}
	if b := st.Build; b != nil {
		if c.present("static/build/node", b.Node != "") {
			c.checkNodeVersion("static/build/node", "static.build.node", b.Node)
		}
		if strings.TrimSpace(b.Script) == "" {
			c.add(rules.InvalidValue, c.at("static/build/script", "static/build"), "static.build.script is empty; name the package.json script that builds the site, such as \"build\"")
		}
		c.staticPath(c.at("static/build/output", "static/build"), "static.build.output", b.Output, "dist")
		if strings.Trim(b.Output, "./") == "" && strings.TrimSpace(b.Output) != "" {
			c.add(rules.InvalidValue, "static/build/output", "static.build.output %q is the package itself, sources and node_modules included; name the directory the script writes, such as dist", b.Output)
		}
	}
	if c.present("static/notFound", st.NotFound != "") {
		c.staticPath("static/notFound", "static.notFound", strings.TrimPrefix(st.NotFound, "/"), "404.html")
		if strings.Contains("/"+st.NotFound, "/.") {
			c.add(rules.InvalidValue, "static/notFound", "static.notFound %q is a dotfile or under a dot directory, which the server never serves; name a page such as 404.html", st.NotFound)
		}
	}
	if strings.ContainsFunc(st.CSP, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		c.add(rules.InvalidValue, "static/csp", "static.csp holds a line break or control character, which no HTTP header may carry; write the policy on one line")
	}
}

// staticPath checks a path inside the context (or the site).
func (c *checker) staticPath(p, key, v, example string) {
	switch {
	case strings.TrimSpace(v) == "":
		c.add(rules.InvalidValue, p, "%s is empty; write a relative path such as %q", key, example)
	case escapes(v) || strings.ContainsRune(v, 0):
		c.add(rules.PathEscapes, p, "%s %q points outside the build context; write a relative path such as %q", key, v, example)
	}
}

// at is the first path the spec wrote, else the last (a parent block).
func (c *checker) at(paths ...string) string {
	for _, p := range paths {
		if c.src.Has(p) {
			return p
		}
	}
	return paths[len(paths)-1]
}
