package python

import (
	"fmt"
	"path"
	"strings"

	toml "github.com/pelletier/go-toml/v2"
	"github.com/pkg/errors"

	"github.com/org/safe-frontend/lang"
	"github.com/org/safe-frontend/rules"
	"github.com/org/safe-frontend/spec"
)

// depLock is what the build installs from.
type depLock struct {
	Kind    string // lockRequirements, lockUV, lockPoetry or lockNone
	File    string // context path of the lock
	Reqs    *requirementsFile
	version string // CPython minor the lock is installed for
	// Generated is the hashed requirements file made from poetry.lock.
	Generated string
	// Project is the pyproject.toml next to uv.lock.
	Project string
	// Packaged: the uv project declares a build system, so it is installed
	// into /venv itself after its sources.
	Packaged bool
}

// lockPath is the spec path findings about the lock point at.
func lockPath(s *spec.Spec) string {
	return lang.SpecPath(s, "python/requirements", "python")
}

// lockName names the lock in progress output.
func lockName(lk *depLock) string {
	if lk.File == "" {
		return "(no dependencies)"
	}
	return lk.File
}

// findLock decides which lock to install from and checks it; the problems
// are findings under their rules (nil lock when it cannot be used).
func findLock(s *spec.Spec, files map[string][]byte) (*depLock, []lang.ContextFinding) {
	where := lockPath(s)
	finding := func(rule, format string, args ...any) []lang.ContextFinding {
		return []lang.ContextFinding{{Rule: rule, Path: where, Message: fmt.Sprintf(format, args...)}}
	}
	lk := &depLock{}
	if s.Python != nil && s.Python.Requirements != "" {
		lk.File = cleanContextPath(s.Python.Requirements)
		if lk.File == "" {
			return nil, finding(rules.InvalidLockfile, "python.requirements %q is not a path inside the build context", s.Python.Requirements)
		}
		if _, ok := files[lk.File]; !ok {
			return nil, finding(rules.MissingLockfile, "python.requirements names %s, which is not in the build context (or is excluded by .dockerignore)", lk.File)
		}
	} else {
		for _, f := range []string{uvLock, poetryLock, requirementsTxt} {
			if _, ok := files[f]; ok {
				lk.File = f
				break
			}
		}
	}
	switch base := path.Base(lk.File); {
	case lk.File == "":
		if _, ok := files[pyprojectToml]; ok {
			return nil, finding(rules.MissingLockfile, "pyproject.toml has no lock next to it, so dependency versions would float; commit uv.lock (uv lock), poetry.lock (poetry lock) or a hashed requirements.txt (uv pip compile --generate-hashes pyproject.toml -o requirements.txt)")
		}
		lk.Kind = lockNone
		return lk, nil
	case base == uvLock:
		return uvProject(lk, files, where)
	case base == poetryLock:
		lk.Kind = lockPoetry
		gen, problems := poetryRequirements(lk.File, files[lk.File])
		lk.Generated = gen
		return lk, problemFindings(where, problems)
	}
	lk.Kind = lockRequirements
	reqs, problems := parseRequirements(lk.File, files[lk.File])
	lk.Reqs = reqs
	return lk, problemFindings(where, problems)
}

// uvProject checks uv.lock and reads the pyproject.toml it locks.
func uvProject(lk *depLock, files map[string][]byte, where string) (*depLock, []lang.ContextFinding) {
	lk.Kind = lockUV
	lk.Project = path.Join(path.Dir(lk.File), pyprojectToml)
	project, ok := files[lk.Project]
	if !ok {
		return nil, []lang.ContextFinding{{Rule: rules.MissingLockfile, Path: where,
			Message: fmt.Sprintf("%s needs the pyproject.toml it locks (%s) in the build context", lk.File, lk.Project)}}
	}
	packaged, err := pyprojectPackaged(project)
	if err != nil {
		return nil, []lang.ContextFinding{{Rule: rules.InvalidLockfile, Path: where, Message: tomlProblem(lk.Project, err).Msg}}
	}
	lk.Packaged = packaged
	return lk, problemFindings(where, checkUVLock(lk.File, files[lk.File]))
}

func problemFindings(where string, problems []reqProblem) []lang.ContextFinding {
	var out []lang.ContextFinding
	for _, p := range problems {
		out = append(out, lang.ContextFinding{Rule: p.Rule, Path: where, Message: p.Msg})
	}
	return out
}

// pyprojectPackaged reports whether a uv project is a package uv installs
// into the venv (a [build-system], and tool.uv.package not false), rather
// than an app whose sources run from /app.
func pyprojectPackaged(data []byte) (bool, error) {
	var p struct {
		BuildSystem map[string]any `toml:"build-system"`
		Tool        struct {
			UV struct {
				Package *bool `toml:"package"`
			} `toml:"uv"`
		} `toml:"tool"`
	}
	if err := toml.Unmarshal(data, &p); err != nil {
		return false, err
	}
	if p.Tool.UV.Package != nil {
		return *p.Tool.UV.Package, nil
	}
	return p.BuildSystem != nil, nil
}

// usableLock is the lock to install from, or the first finding the spec
// does not waive: Plan refuses what the context check reports, for callers
// that skipped it.
func usableLock(s *spec.Spec, files map[string][]byte) (*depLock, error) {
	lk, findings := findLock(s, files)
	for _, f := range findings {
		if r, ok := rules.Lookup(f.Rule); ok && r.Exemptible && exempted(s, f.Rule) {
			continue
		}
		return nil, errors.Errorf("%s %s", f.Rule, f.Message)
	}
	if lk == nil {
		return nil, errors.New("python: no usable lock")
	}
	return lk, nil
}

// exempted reports whether the spec waives a rule (with a reason); the
// policy has the final word, this keeps an unchecked spec from building
// what a checked one could not.
func exempted(s *spec.Spec, rule string) bool {
	for _, a := range s.Allow {
		if strings.TrimSpace(a.Rule) == rule && strings.TrimSpace(a.Reason) != "" {
			return true
		}
	}
	return false
}
