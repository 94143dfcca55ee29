package llbgen

import "strings"

// shJoin quotes every word that is not plainly safe.
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

// nestedPatterns matches name in the subdirectories of the context, one
// pattern a level (*/name, */*/name, ...) down to depth levels.
func nestedPatterns(name string, depth int) []string {
	var out []string
	for i := 0; i < depth; i++ {
		name = "*/" + name
		out = append(out, name)
	}
	return out
}
