package spec

import "strings"

// suggest returns the candidate closest to key by edit distance (adjacent
// swaps count as one edit), or "" when none is close enough to be a likely
// typo.
func suggest(key string, candidates []string) string {
	lk := strings.ToLower(key)
	best, bestDist := "", -1
	for _, c := range candidates {
		d := editDistance(lk, strings.ToLower(c))
		if bestDist < 0 || d < bestDist {
			best, bestDist = c, d
		}
	}
	limit := 1
	if len([]rune(key)) >= 4 {
		limit = 2
	}
	if bestDist < 0 || bestDist > limit {
		return ""
	}
	return best
}

// editDistance is the optimal string alignment distance between a and b.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	// Keys longer than this are not typos of a model key; bound the work.
	if len(ra) > 64 || len(rb) > 64 {
		if a == b {
			return 0
		}
		return max(len(ra), len(rb))
	}
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}

// valueAliases are names people write for an allowed value: another name
// of the language or tool, never a typo an edit distance finds.
var valueAliases = map[string]string{
	"golang": "go", "nodejs": "node", "node.js": "node", "javascript": "node", "js": "node", "typescript": "node", "ts": "node",
	"py": "python", "python3": "python", "cpython": "python", "rs": "rust", "cargo": "rust", "jvm": "java", "maven": "java",
	"distroless-static": "distroless", "static": "distroless", "base": "distroless-base", "none": "scratch", "empty": "scratch",
	"corepack": "npm", "yarnpkg": "yarn", "jdk": "jre",
}

// suggestValue is the allowed value a near miss most likely meant: the
// same word in another case, a known other name, or one a typo away.
func suggestValue(v string, allowed []string) string {
	for _, a := range allowed {
		if strings.EqualFold(v, a) {
			return a
		}
	}
	if a, ok := valueAliases[strings.ToLower(strings.TrimSpace(v))]; ok {
		for _, x := range allowed {
			if x == a {
				return a
			}
		}
	}
	return suggest(strings.TrimSpace(v), allowed)
}
