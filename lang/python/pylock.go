package python

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	toml "github.com/pelletier/go-toml/v2"

	"github.com/org/safe-frontend/lang"
	"github.com/org/safe-frontend/rules"
)

// maxLockPackages bounds what a lock (uv, poetry) may list; real
// ones list hundreds.
const maxLockPackages = 20000

// poetryLockFile is the part of poetry.lock a hash-checked install needs.
// Lock format 1.x marks dev packages with category; 2.x lists groups and
// may key markers by group.
type poetryLockFile struct {
	Package []struct {
		Name     string   `toml:"name"`
		Version  string   `toml:"version"`
		Optional bool     `toml:"optional"`
		Category string   `toml:"category"`
		Groups   []string `toml:"groups"`
		Markers  any      `toml:"markers"`
		Files    []struct {
			File string `toml:"file"`
			Hash string `toml:"hash"`
		} `toml:"files"`
		Source *struct {
			Type string `toml:"type"`
			URL  string `toml:"url"`
		} `toml:"source"`
	} `toml:"package"`
}

var (
	lockNameRe    = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9._-]{0,200}[A-Za-z0-9])?$`)
	lockVersionRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9.+!_-]{0,100}$`)
	lockHashRe    = regexp.MustCompile(`^sha(256|384|512):[0-9a-f]{64,128}$`)
)

// tomlProblem turns a TOML decode error into a finding with its line.
func tomlProblem(name string, err error) reqProblem {
	line := 1
	var de *toml.DecodeError
	if errors.As(err, &de) {
		line, _ = de.Position()
	}
	msg := strings.ReplaceAll(err.Error(), "\n", " ")
	return reqProblem{Rule: rules.InvalidLockfile, Line: line, Msg: fmt.Sprintf("%s:%d: not valid TOML: %s", name, line, lang.Truncate(msg, 200))}
}

// poetryRequirements turns poetry.lock into a pip requirements file: the
// main group's exact versions, markers and file hashes, so pip installs
// them with --require-hashes --no-deps and no poetry is fetched.
func poetryRequirements(name string, data []byte) (string, []reqProblem) {
	var lock poetryLockFile
	if err := toml.Unmarshal(data, &lock); err != nil {
		return "", []reqProblem{tomlProblem(name, err)}
	}
	if len(lock.Package) > maxLockPackages {
		return "", []reqProblem{{Rule: rules.InvalidLockfile, Line: 1, Msg: fmt.Sprintf("%s: %d packages, more than the %d a lock may list", name, len(lock.Package), maxLockPackages)}}
	}
	var problems []reqProblem
	bad := func(format string, args ...any) {
		problems = append(problems, reqProblem{Rule: rules.InvalidLockfile, Line: 1, Msg: name + ": " + fmt.Sprintf(format, args...)})
	}
	var lines []string
	for _, p := range lock.Package {
		if !inMainGroup(p.Category, p.Groups) || p.Optional {
			continue
		}
		if !lockNameRe.MatchString(p.Name) || !lockVersionRe.MatchString(p.Version) {
			bad("package %q version %q is not a valid name and version", lang.Truncate(p.Name, 80), lang.Truncate(p.Version, 80))
			continue
		}
		if p.Source != nil && p.Source.Type != "" && p.Source.Type != "legacy" {
			bad("%s comes from a %s source (%s), which pip cannot check by hash; publish it to an index or vendor it as a wheel", p.Name, p.Source.Type, lang.Truncate(p.Source.URL, 80))
			continue
		}
		if len(p.Files) == 0 {
			bad("%s %s lists no files and hashes; regenerate the lock with a current poetry (poetry lock)", p.Name, p.Version)
			continue
		}
		marker, err := poetryMarker(p.Markers)
		if err != nil {
			bad("%s: %v", p.Name, err)
			continue
		}
		var b strings.Builder
		b.WriteString(p.Name + "==" + p.Version)
		if marker != "" {
			b.WriteString(" ; " + marker)
		}
		hashes := map[string]bool{}
		for _, f := range p.Files {
			if !lockHashRe.MatchString(f.Hash) {
				bad("%s %s: file %s has hash %q, not sha256:<hex>", p.Name, p.Version, lang.Truncate(f.File, 80), lang.Truncate(f.Hash, 80))
				continue
			}
			hashes[f.Hash] = true
		}
		sorted := make([]string, 0, len(hashes))
		for h := range hashes {
			sorted = append(sorted, h)
		}
		sort.Strings(sorted)
		for _, h := range sorted {
			b.WriteString(" \\\n    --hash=" + h)
		}
		lines = append(lines, b.String())
	}
	if len(problems) > 0 {
		return "", problems
	}
	sort.Strings(lines)
	return "# generated from " + name + " by safe-frontend: the main group, exact versions, file hashes\n" + strings.Join(lines, "\n") + "\n", nil
}

// inMainGroup: lock 2.x lists groups, 1.x a category; neither means main.
func inMainGroup(category string, groups []string) bool {
	if len(groups) > 0 {
		for _, g := range groups {
			if g == "main" {
				return true
			}
		}
		return false
	}
	return category == "" || category == "main"
}

// markerRe keeps PEP 508 markers to their own alphabet, so a marker cannot
// break out of its requirement line.
var markerRe = regexp.MustCompile(`^[A-Za-z0-9_.<>=!~ "'()*+,-]{0,1000}$`)

// poetryMarker reads markers: a string, or a table keyed by group.
func poetryMarker(m any) (string, error) {
	var s string
	switch v := m.(type) {
	case nil:
		return "", nil
	case string:
		s = v
	case map[string]any:
		main, ok := v["main"]
		if !ok {
			return "", nil
		}
		s, ok = main.(string)
		if !ok {
			return "", fmt.Errorf("markers.main is not a string")
		}
	default:
		return "", fmt.Errorf("markers is neither a string nor a table")
	}
	if !markerRe.MatchString(s) {
		return "", fmt.Errorf("markers %q hold characters a PEP 508 marker does not", lang.Truncate(s, 80))
	}
	return strings.TrimSpace(s), nil
}

// uvLockFile is the part of uv.lock the frontend checks before uv runs.
type uvLockFile struct {
	Version int `toml:"version"`
	Package []struct {
		Name    string         `toml:"name"`
		Version string         `toml:"version"`
		Source  map[string]any `toml:"source"`
	} `toml:"package"`
}

// checkUVLock reads uv.lock with a TOML parser: a file uv would reject is
// refused here with its line, and so are sources uv cannot verify by hash.
func checkUVLock(name string, data []byte) []reqProblem {
	var lock uvLockFile
	if err := toml.Unmarshal(data, &lock); err != nil {
		return []reqProblem{tomlProblem(name, err)}
	}
	var problems []reqProblem
	if lock.Version != 1 {
		problems = append(problems, reqProblem{Rule: rules.InvalidLockfile, Line: 1, Msg: fmt.Sprintf("%s: lock version %d; this frontend reads uv.lock version 1 (uv 0.4 and later)", name, lock.Version)})
	}
	if len(lock.Package) > maxLockPackages {
		problems = append(problems, reqProblem{Rule: rules.InvalidLockfile, Line: 1, Msg: fmt.Sprintf("%s: %d packages, more than the %d a lock may list", name, len(lock.Package), maxLockPackages)})
		return problems
	}
	for _, p := range lock.Package {
		if _, ok := p.Source["git"]; ok {
			problems = append(problems, reqProblem{Rule: rules.InvalidLockfile, Line: 1, Msg: fmt.Sprintf("%s: %s comes from a git source, which cannot be checked by hash; publish it to an index", name, lang.Truncate(p.Name, 80))})
		}
	}
	return problems
}
