package python

import (
	"bytes"
	"path"
	"regexp"
	"strings"

	"github.com/org/safe-frontend/lang"
	"github.com/org/safe-frontend/spec"
)

// indexFix is how an index credential reaches pip and uv instead.
const indexFix = "pass it as a build secret: a netrc file, secrets: [{id: netrc, target: /root/.netrc}] and --secret id=netrc,src=$HOME/.netrc (pip and uv read it for the index's host)"

// CheckProjectFiles refuses the python project files no build should
// take: too large or deep, a credential in an index URL, a path
// dependency outside the context.
func (python) CheckProjectFiles(_ *spec.Spec, files map[string][]byte) []lang.ContextFinding {
	return lang.CheckFiles(files, pythonFormat, indexFix, func(name string, data []byte) []lang.ContextFinding {
		if pythonFormat(name) == lang.FormatTOML {
			return append(lang.TOMLPathsOutside(name, path.Dir(name), data), poetryLockPaths(name, data)...)
		}
		return requirementPaths(name, data)
	})
}

func pythonFormat(name string) lang.Format {
	if strings.HasSuffix(name, ".toml") || path.Base(name) == uvLock || path.Base(name) == poetryLock {
		return lang.FormatTOML
	}
	return lang.FormatText
}

// poetryLockPaths: poetry.lock records a path dependency as a [package.source]
// of type directory or file with its path in url.
func poetryLockPaths(name string, data []byte) []lang.ContextFinding {
	var out []lang.ContextFinding
	dir := path.Dir(name)
	local := false
	for _, kl := range lang.ScanKeys(data) {
		switch {
		case kl.Table != "package.source":
			local = false
		case kl.Key == "type":
			t := lang.Unquote(kl.Value)
			local = t == "directory" || t == "file"
		case kl.Key == "url" && local:
			if p := lang.Unquote(kl.Value); lang.OutsideContext(dir, p) {
				out = append(out, lang.OutsideFinding(name, kl.Line, "package.source.url", "a "+kl.Table, p))
			}
		}
	}
	return out
}

// reqPathRe is a requirement line naming a local path: an editable or
// plain path, or a direct reference to a file: URL.
var reqPathRe = regexp.MustCompile(`^\s*(?:(?:-e|--editable)\s+)?((?:\.\.?/|/|~)\S*)|@\s*file:(?://)?(\S+)`)

// requirementPaths reports local requirements outside the context.
func requirementPaths(name string, data []byte) []lang.ContextFinding {
	var out []lang.ContextFinding
	dir := path.Dir(name)
	for n, line := range bytes.Split(data, []byte("\n")) {
		m := reqPathRe.FindSubmatch(line)
		if m == nil {
			continue
		}
		p := string(m[1])
		if p == "" {
			p = string(m[2])
		}
		if lang.OutsideContext(dir, p) {
			out = append(out, lang.OutsideFinding(name, n+1, "", strings.TrimSpace(string(line[:min(len(line), 80)])), p))
		}
	}
	return out
}
