package python

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/org/safe-frontend/lang"
	"github.com/org/safe-frontend/rules"
)

// Limits on a requirements file: far above any real lock, low enough that
// hostile input costs little.
const (
	maxRequirementLines = 50000
	maxRequirementLine  = 64 << 10
)

// requirement is one line of a requirements file that names a package.
type requirement struct {
	Line   int    // first physical line, 1-based
	Text   string // the requirement without options and comment
	Name   string // normalized distribution name ("" for a URL or path)
	Pinned bool   // == or === one exact version
	Hashes []string
}

// requirementsFile is a parsed requirements.txt.
type requirementsFile struct {
	Requirements []requirement
	// Hashed is true when any requirement carries --hash: pip then needs
	// every one to (--require-hashes).
	Hashed bool
}

// reqProblem is what is wrong with one line, under a rule.
type reqProblem struct {
	Rule string
	Line int
	Msg  string
}

// pipNameRe is a PEP 508 distribution name at the start of a requirement.
var pipNameRe = regexp.MustCompile(`^([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(\[[^\]]*\])?\s*`)

// exactVersionRe is one exact version after == (no wildcard) or ===.
var exactVersionRe = regexp.MustCompile(`^(===?)\s*([A-Za-z0-9][A-Za-z0-9.+!_-]*)$`)

// pipOptionsAllowed are the global options of a requirements file a locked
// install can honour: where to download from and how, never what.
var pipOptionsAllowed = map[string]bool{
	"-i": true, "--index-url": true, "--extra-index-url": true, "--no-index": true,
	"-f": true, "--find-links": true, "--trusted-host": true,
	"--only-binary": true, "--no-binary": true, "--prefer-binary": true,
	"--require-hashes": true, "--pre": true,
}

// normalizeDist is PEP 503 name normalization.
func normalizeDist(n string) string {
	return distSepRe.ReplaceAllString(strings.ToLower(n), "-")
}

var distSepRe = regexp.MustCompile(`[-_.]+`)

// parseRequirements reads a requirements file and reports every line a
// locked install cannot take: unpinned requirements (rules.UnpinnedRequirement)
// and lines that pull in unlocked or unread input (rules.InvalidLockfile).
func parseRequirements(name string, data []byte) (*requirementsFile, []reqProblem) {
	rf := &requirementsFile{}
	var problems []reqProblem
	bad := func(rule string, line int, format string, args ...any) {
		problems = append(problems, reqProblem{Rule: rule, Line: line, Msg: fmt.Sprintf("%s:%d: ", name, line) + fmt.Sprintf(format, args...)})
	}
	lines := strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n")
	if len(lines) > maxRequirementLines {
		bad(rules.InvalidLockfile, 1, "%d lines, more than the %d a requirements file may have", len(lines), maxRequirementLines)
		return rf, problems
	}
	unhashed := []int{}
	for i := 0; i < len(lines); i++ {
		start := i + 1
		// A trailing backslash continues the line (pip-compile's layout).
		var b strings.Builder
		b.WriteString(lines[i])
		for strings.HasSuffix(lines[i], `\`) && i+1 < len(lines) && b.Len() <= maxRequirementLine {
			i++
			b.WriteString(" ")
			b.WriteString(lines[i])
		}
		logical := strings.ReplaceAll(b.String(), "\\ ", " ")
		if len(logical) > maxRequirementLine {
			bad(rules.InvalidLockfile, start, "the line is longer than %d KiB", maxRequirementLine>>10)
			continue
		}
		logical = stripComment(logical)
		fields := strings.Fields(logical)
		if len(fields) == 0 {
			continue
		}
		if strings.HasPrefix(fields[0], "-") {
			opt, _, _ := strings.Cut(fields[0], "=")
			switch {
			case opt == "-r" || opt == "--requirement" || opt == "-c" || opt == "--constraint":
				bad(rules.InvalidLockfile, start, "%s includes another file, which the build does not read; compile one locked file (pip-compile --generate-hashes or uv pip compile --generate-hashes -o %s)", opt, name)
			case opt == "-e" || opt == "--editable":
				bad(rules.UnpinnedRequirement, start, "an editable requirement installs whatever the path or URL holds at build time; pin the package with == and --hash instead")
			case pipOptionsAllowed[opt]:
			default:
				bad(rules.InvalidLockfile, start, "option %s is not allowed in a locked requirements file; keep only index options (--index-url, --extra-index-url, --find-links) and requirements", opt)
			}
			continue
		}
		req, opts := splitRequirementOptions(fields)
		r := requirement{Line: start, Text: req}
		optErr := false
		for _, o := range opts {
			k, v, _ := strings.Cut(o, "=")
			if k != "--hash" {
				bad(rules.InvalidLockfile, start, "per-requirement option %s is not supported; only --hash=sha256:... may follow a requirement", k)
				optErr = true
				continue
			}
			algo, hex, ok := strings.Cut(v, ":")
			if !ok || hex == "" || (algo != "sha256" && algo != "sha384" && algo != "sha512") {
				bad(rules.InvalidLockfile, start, "--hash=%s is not ALGO:HEX with sha256, sha384 or sha512", v)
				optErr = true
				continue
			}
			r.Hashes = append(r.Hashes, v)
		}
		if optErr {
			continue
		}
		m := pipNameRe.FindStringSubmatch(req)
		if m == nil || strings.Contains(req, "://") && !strings.Contains(req, "@") {
			bad(rules.UnpinnedRequirement, start, "%q is a path or URL, not a pinned requirement; pin it as NAME==VERSION with --hash", lang.Truncate(req, 80))
			continue
		}
		r.Name = normalizeDist(m[1])
		rest := strings.TrimSpace(req[len(m[0]):])
		spec, _, _ := strings.Cut(rest, ";") // environment markers
		spec = strings.TrimSpace(spec)
		switch {
		case strings.HasPrefix(spec, "@"):
			// A direct reference is pinned only by its hash.
			r.Pinned = len(r.Hashes) > 0 || strings.Contains(spec, "#sha256=")
		default:
			spec = strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(spec, "("), ")"))
			vm := exactVersionRe.FindStringSubmatch(spec)
			r.Pinned = vm != nil && !strings.Contains(vm[2], "*")
		}
		if !r.Pinned && len(r.Hashes) == 0 {
			bad(rules.UnpinnedRequirement, start, "%s is not pinned to one version; write %s==VERSION (pip-compile --generate-hashes or uv pip compile --generate-hashes pins every line), or exempt SF120 with a reason", lang.Truncate(req, 80), m[1])
		}
		if len(r.Hashes) > 0 {
			rf.Hashed = true
		} else {
			unhashed = append(unhashed, start)
		}
		rf.Requirements = append(rf.Requirements, r)
	}
	if rf.Hashed {
		// pip's hash-checking mode is all or nothing: say which lines lack one
		// here rather than let pip fail on the first.
		for _, l := range unhashed {
			bad(rules.InvalidLockfile, l, "has no --hash although other requirements do; pip checks hashes on every line or none (regenerate with --generate-hashes)")
		}
	}
	return rf, problems
}

// splitRequirementOptions separates "--hash=..." options from the
// requirement text on a logical line.
func splitRequirementOptions(fields []string) (string, []string) {
	var req, opts []string
	for i := 0; i < len(fields); i++ {
		f := fields[i]
		if strings.HasPrefix(f, "--") {
			// "--hash sha256:..." is also accepted by pip.
			if !strings.Contains(f, "=") && i+1 < len(fields) && !strings.HasPrefix(fields[i+1], "-") {
				f += "=" + fields[i+1]
				i++
			}
			opts = append(opts, f)
			continue
		}
		req = append(req, f)
	}
	return strings.Join(req, " "), opts
}

// stripComment drops a "#" comment: at the start of a line or after
// whitespace (a "#" inside a URL fragment is not a comment).
func stripComment(s string) string {
	if strings.HasPrefix(strings.TrimSpace(s), "#") {
		return ""
	}
	for i := 1; i < len(s); i++ {
		if s[i] == '#' && (s[i-1] == ' ' || s[i-1] == '\t') {
			return s[:i]
		}
	}
	return s
}
