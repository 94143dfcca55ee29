package policy

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/org/safe-frontend/rules"
)

// nodeVersionRe is a node image tag's version: a major, or major.minor[.patch].
var nodeVersionRe = regexp.MustCompile(`^[1-9][0-9]{0,2}(\.[0-9]{1,4}){0,2}$`)

// nodeEndOfLife says whether a Node.js major gets no more security fixes,
// as of this frontend's release: every major before 22, and the odd
// (never long-term) 23 and 25. Updated with frontend releases, not with
// the clock, so a spec's findings do not change from one day to the next.
func nodeEndOfLife(major int) bool {
	return major < 22 || major == 23 || major == 25
}

func (c *checker) checkNode() {
	n := c.s.Node
	if n == nil {
		return
	}
	if c.present("node/version", n.Version != "") {
		c.checkNodeVersion("node/version", "node.version", n.Version)
	}
	for _, k := range []struct{ key, val, example string }{
		{"main", n.Main, "server.js"},
		{"workspace", n.Workspace, "apps/api"},
	} {
		if !c.present("node/"+k.key, k.val != "") {
			continue
		}
		switch {
		case strings.TrimSpace(k.val) == "":
			c.add(rules.InvalidValue, "node/"+k.key, "node.%s is empty; write a path such as %q or remove the key", k.key, k.example)
		case escapes(k.val):
			c.add(rules.PathEscapes, "node/"+k.key, "node.%s %q points outside the build context; write a relative path such as %q", k.key, k.val, k.example)
		}
	}
	if c.present("node/build", n.Build != "") && strings.TrimSpace(n.Build) == "" {
		c.add(rules.InvalidValue, "node/build", "node.build is empty; name a package.json script such as \"build\" or remove the key")
	}
}

// checkNodeVersion checks a Node.js version written at p (key in messages).
func (c *checker) checkNodeVersion(p, key, version string) {
	v := strings.TrimSpace(version)
	lv := strings.ToLower(v)
	switch {
	case v == "":
		c.add(rules.UnpinnedVersion, p, "%s is empty; write a major such as \"22\" or remove the key to use the frontend's pinned default", key)
	case lv == "latest" || lv == "current" || lv == "lts" || strings.HasPrefix(lv, "lts-") || lv == "node":
		c.add(rules.UnpinnedVersion, p, "%s %q moves over time; pin a major such as \"22\"", key, version)
	case !nodeVersionRe.MatchString(strings.TrimPrefix(lv, "v")):
		c.add(rules.UnpinnedVersion, p, "%s %q is not a node image version; write a major such as \"22\" (or a release such as \"22.23.3\")", key, version)
	case strings.HasPrefix(lv, "v"):
		c.add(rules.UnpinnedVersion, p, "%s %q is not an image tag; write %q", key, version, v[1:])
	default:
		major, _ := strconv.Atoi(strings.SplitN(v, ".", 2)[0])
		if nodeEndOfLife(major) {
			c.add(rules.EndOfLifeNode, p, "%s %q: Node.js %d is past its end of life and gets no security fixes; move to 22 or 24", key, version, major)
		}
	}
}
