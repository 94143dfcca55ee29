package java

import (
	"path"
	"strings"
)

// The helpers below are small enough to copy: the package stays free of
// the LLB renderer (llbgen), which the languages must not depend on.

// nestedPatterns are name in directories 1..depth below the root, as
// context file patterns: "*/pom.xml", "*/*/pom.xml", ...
func nestedPatterns(name string, depth int) []string {
	var out []string
	for i := 0; i < depth; i++ {
		name = "*/" + name
		out = append(out, name)
	}
	return out
}

// cleanRel cleans a path that must stay inside the build context.
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

func quoteNames(l []string) string {
	if len(l) == 0 {
		return "none"
	}
	return strings.Join(l, ", ")
}

// shJoin quotes the words that need it for sh.
func shJoin(words []string) string {
	out := make([]string, len(words))
	for i, w := range words {
		if w != "" && strings.Trim(w, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.,/=:") == "" {
			out[i] = w
		} else {
			out[i] = shQuote(w)
		}
	}
	return strings.Join(out, " ")
}

// shQuote quotes a word for sh.
func shQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
