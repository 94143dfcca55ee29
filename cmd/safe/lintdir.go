package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"

	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"

	"github.com/org/safe-frontend/llbgen"
	"github.com/org/safe-frontend/policy"
	"github.com/org/safe-frontend/spec"
)

// projectSpec is the spec a project directory is built from, as
// `docker buildx build DIR` reads it.
const projectSpec = "Dockerfile"

// lintProject lints a project directory: its spec, then, when the spec
// is sound, the project files its language reads, as the build would see
// them (.dockerignore and the secret excludes applied, include: honoured).
func lintProject(dir string) (name string, data []byte, r *policy.Report, err error) {
	name = filepath.Join(dir, projectSpec)
	if data, err = readSpec(name, nil); err != nil {
		return name, nil, nil, err
	}
	if len(data) > spec.MaxSize {
		return name, data, tooLarge(name), nil
	}
	sp, r := policy.Lint(name, data)
	if sp == nil || len(r.Errors()) > 0 {
		return name, data, r, nil
	}
	files, err := projectFiles(dir, llbgen.ContextFiles(sp), sp.Include)
	if err != nil {
		return name, data, nil, err
	}
	policy.CheckContext(r, sp, files, false)
	return name, data, r, nil
}

// projectFiles reads the files a language names (patterns too) from dir,
// leaving out what the build context would not hold.
func projectFiles(dir string, names, include []string) (map[string][]byte, error) {
	excludes := policy.ContextExcludes(include)
	if dt, err := os.ReadFile(filepath.Join(dir, ".dockerignore")); err == nil {
		ignored, err := ignorefile.ReadAll(bytes.NewReader(dt))
		if err != nil {
			return nil, err
		}
		excludes = append(ignored, excludes...)
	}
	pm, err := patternmatcher.New(excludes)
	if err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	for _, n := range names {
		matches, _ := filepath.Glob(filepath.Join(dir, filepath.FromSlash(n)))
		for _, m := range matches {
			rel, err := filepath.Rel(dir, m)
			if err != nil || strings.HasPrefix(rel, "..") {
				continue
			}
			rel = filepath.ToSlash(rel)
			if skip, err := pm.MatchesOrParentMatches(rel); err != nil || skip {
				continue
			}
			if st, err := os.Lstat(m); err != nil || !st.Mode().IsRegular() {
				continue // the build never follows a link
			}
			dt, err := os.ReadFile(m)
			if err != nil {
				return nil, err
			}
			out[rel] = dt
		}
	}
	return out, nil
}
