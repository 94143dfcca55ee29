package llbgen

import (
	"path"
	"strings"
)

// cleanRel checks a context-relative path read from the spec or a
// manifest: no absolute paths, no climbing out.
func cleanRel(p string) (string, bool) {
	if p == "" || strings.ContainsRune(p, 0) || strings.Contains(p, `\`) || path.IsAbs(p) {
		return "", false
	}
	c := path.Clean(p)
	if c == ".." || strings.HasPrefix(c, "../") {
		return "", false
	}
	return c, true
}

// truncate shortens untrusted text quoted in a message.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// quoteNames lists names for a message ("none" for none).
func quoteNames(l []string) string {
	if len(l) == 0 {
		return "none"
	}
	return strings.Join(l, ", ")
}
