package lang

import (
	"path"
	"strings"

	"github.com/containerd/platforms"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// Text and shell helpers the languages share. They sit here, not in the
// LLB renderer (llbgen), which the languages must not depend on.

// ShellQuote quotes a word for sh.
func ShellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// shellSafe are the characters a word may hold and stay unquoted.
const shellSafe = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.,/=:"

// ShellJoin joins words for sh, quoting each that is not plainly safe.
func ShellJoin(words []string) string {
	out := make([]string, len(words))
	for i, w := range words {
		if w != "" && strings.Trim(w, shellSafe) == "" {
			out[i] = w
		} else {
			out[i] = ShellQuote(w)
		}
	}
	return strings.Join(out, " ")
}

// NestedPatterns matches name in the subdirectories of the context, one
// pattern a level (*/name, */*/name, ...) down to depth levels.
func NestedPatterns(name string, depth int) []string {
	var out []string
	for i := 0; i < depth; i++ {
		name = "*/" + name
		out = append(out, name)
	}
	return out
}

// CleanRel cleans a context-relative path read from the spec or a
// manifest; ok is false for absolute paths and paths that climb out.
func CleanRel(p string) (clean string, ok bool) {
	if p == "" || strings.ContainsRune(p, 0) || strings.Contains(p, `\`) || path.IsAbs(p) {
		return "", false
	}
	c := path.Clean(p)
	if c == ".." || strings.HasPrefix(c, "../") {
		return "", false
	}
	return c, true
}

// Truncate shortens untrusted text a message quotes to n bytes and "...".
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// QuoteNames lists names for a message, "none" when there are none.
func QuoteNames(l []string) string {
	if len(l) == 0 {
		return "none"
	}
	return strings.Join(l, ", ")
}

// PlatformString is the normalized os/arch[/variant] form of p.
func PlatformString(p ocispecs.Platform) string {
	return platforms.FormatAll(platforms.Normalize(p))
}
