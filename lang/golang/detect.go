package golang

import (
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/org/safe-frontend/lang"
	"github.com/org/safe-frontend/spec"
)

// The directives of go.mod that init reads.
var (
	moduleRe    = regexp.MustCompile(`(?m)^module\s+"?([^\s"]+)"?\s*(?://.*)?$`)
	goRe        = regexp.MustCompile(`(?m)^go\s+([0-9]+\.[0-9]+)(?:\.[0-9]+)?\s*(?://.*)?$`)
	toolchainRe = regexp.MustCompile(`(?m)^toolchain\s+go([0-9]+\.[0-9]+)(?:\.[0-9]+)?\s*(?://.*)?$`)
	mainPkgRe   = regexp.MustCompile(`(?m)^package\s+main\s*(?://.*)?$`)
	majorSuffix = regexp.MustCompile(`/v[0-9]+$`)
)

// Detect: a go.mod at the root; one app for each main package.
func (golang) Detect(p *lang.Project) ([]*lang.App, error) {
	mod, ok := p.ReadFile("go.mod")
	if !ok {
		return nil, nil
	}
	module := ""
	if m := moduleRe.FindSubmatch(mod); m != nil {
		module = majorSuffix.ReplaceAllString(string(m[1]), "")
	}
	mains := mainPackages(p)
	if len(mains) == 0 {
		return nil, &lang.NotSupported{Msg: "go.mod: no main package (package main) in the module, so there is no program to run; safe init sets up a module with a command, e.g. in cmd/<name>/main.go"}
	}
	var apps []*lang.App
	for _, dir := range mains {
		name := path.Base(dir)
		if len(mains) == 1 || dir == "." {
			name = path.Base(module)
		}
		a := lang.NewApp(dir, "go", lang.NameFrom(name))
		a.Note("name", "from go.mod's module path")
		a.Spec.Go = &spec.Go{Version: goVersion(a, mod)}
		if dir != "." {
			a.Spec.Go.Main = "./" + dir
		}
		// The main package first, then the module for what it lacks:
		// handlers often live in a package of their own.
		a.ApplyHints(p.Hints(dir, ".go").Or(p.Hints(".", ".go")), "", 0)
		apps = append(apps, a)
	}
	return apps, nil
}

// goVersion is go.mod's toolchain line, else its go line: the release the
// module was written for.
func goVersion(a *lang.App, mod []byte) string {
	if m := toolchainRe.FindSubmatch(mod); m != nil {
		a.Note("go/version", "go.mod's toolchain line")
		return string(m[1])
	}
	if m := goRe.FindSubmatch(mod); m != nil {
		a.Note("go/version", "go.mod's go line")
		return string(m[1])
	}
	a.Guess("go/version", "go.mod names no go release; the frontend's default")
	return DefaultVersion
}

// mainPackages are the directories whose non-test Go files say package
// main, in lexical order.
func mainPackages(p *lang.Project) []string {
	var dirs []string
	p.Sources(".", []string{".go"}, func(name string, data []byte) {
		dir := path.Dir(name)
		if !slices.Contains(dirs, dir) && mainPkgRe.Match(head(data)) {
			dirs = append(dirs, dir)
		}
	})
	slices.Sort(dirs)
	return dirs
}

// head is the part of a Go file before its first declaration, where the
// package clause is.
func head(data []byte) []byte {
	s := string(data)
	if i := strings.Index(s, "\nimport"); i >= 0 {
		s = s[:i]
	}
	if i := strings.Index(s, "\nfunc "); i >= 0 {
		s = s[:i]
	}
	return []byte(s)
}
