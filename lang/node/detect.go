package node

import (
	"errors"
	"io/fs"
	"maps"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/org/safe-frontend/lang"
	"github.com/org/safe-frontend/spec"
)

// detectJSON is what init reads of a package.json beyond what the build
// reads: the pins and the words for the labels.
type detectJSON struct {
	packageJSON
	Version     string            `json:"version"`
	Description string            `json:"description"`
	License     string            `json:"license"`
	Engines     map[string]string `json:"engines"`
}

// servers are the HTTP frameworks init knows, with the port their guides
// use when the app names none.
var servers = map[string]int{"express": 3000, "fastify": 3000, "koa": 3000, "@hapi/hapi": 3000, "@nestjs/core": 3000, "hono": 3000}

// Detect: a package.json at the root; in a workspace, one app for each
// package that runs a server.
func (node) Detect(p *lang.Project) ([]*lang.App, error) {
	raw, ok := p.ReadFile("package.json")
	if !ok {
		return nil, nil
	}
	var root detectJSON
	if err := decodeJSON("package.json", raw, &root); err != nil {
		return nil, err
	}
	globs := root.workspaceGlobs()
	if len(globs) == 0 {
		globs = pnpmWorkspace(p)
	}
	if len(globs) == 0 {
		a, err := detectPackage(p, ".", &root)
		if errors.Is(err, errLeftToStatic) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		return []*lang.App{a}, nil
	}
	return workspaceApps(p, &root, workspaceDirs(p, globs)), nil
}

// workspaceApps are the packages of a workspace that run: those with a
// file to run that no other package of the workspace depends on.
func workspaceApps(p *lang.Project, root *detectJSON, dirs []string) []*lang.App {
	pkgs := map[string]*detectJSON{}
	used := map[string]bool{}
	for _, dir := range dirs {
		var pkg detectJSON
		raw, _ := p.ReadFile(dir + "/package.json")
		if decodeJSON(dir+"/package.json", raw, &pkg) != nil {
			continue
		}
		pkgs[dir] = &pkg
		for dep := range allDeps(pkg.Dependencies, pkg.DevDependencies) {
			used[dep] = true
		}
	}
	var apps []*lang.App
	for _, dir := range dirs {
		pkg := pkgs[dir]
		if pkg == nil || used[pkg.Name] {
			continue // a library of the workspace
		}
		if pkg.Engines == nil {
			pkg.Engines = root.Engines
		}
		a, err := detectPackage(p, dir, pkg)
		if err != nil {
			continue // nothing to run, or a front-end
		}
		a.Spec.Node.Workspace = dir
		apps = append(apps, a)
	}
	return apps
}

// pnpmWorkspace reads the package globs of a pnpm-workspace.yaml.
func pnpmWorkspace(p *lang.Project) []string {
	dt, ok := p.ReadFile("pnpm-workspace.yaml")
	if !ok {
		return nil
	}
	var ws struct {
		Packages []string `yaml:"packages"`
	}
	if yaml.Unmarshal(dt, &ws) != nil {
		return nil
	}
	var out []string
	for _, g := range ws.Packages {
		if !strings.HasPrefix(g, "!") {
			out = append(out, g)
		}
	}
	return out
}

// workspaceDirs expands the workspace globs to the packages' directories.
func workspaceDirs(p *lang.Project, globs []string) []string {
	var out []string
	for _, g := range globs {
		g, ok := lang.CleanRel(strings.TrimSuffix(g, "/"))
		if !ok || strings.Contains(g, "**") {
			continue
		}
		matches, _ := fs.Glob(p.FS, g+"/package.json")
		for _, m := range matches {
			if d := path.Dir(m); !slices.Contains(out, d) && !strings.Contains(d, "node_modules") {
				out = append(out, d)
			}
		}
	}
	slices.Sort(out)
	return out
}

// detectPackage proposes the spec of the package in dir.
func detectPackage(p *lang.Project, dir string, pkg *detectJSON) (*lang.App, error) {
	if fe := frontEndTool(pkg); fe != "" {
		return nil, frontEndNotSupported(dir, fe)
	}
	name := pkg.Name
	if name == "" {
		name = path.Base(dir)
	}
	a := lang.NewApp(dir, "node", lang.NameFrom(name))
	a.Spec.Version = pkg.Version
	a.Spec.Node = &spec.Node{Version: nodeVersion(p, a, dir, pkg)}
	a.Describe(pkg.License, pkg.Description, "package.json")
	main, build := entry(p, dir, pkg)
	if main == "" {
		return nil, &lang.NotSupported{Msg: path.Join(dir, "package.json") + `: no file to run: neither "main" nor a start script that runs node on a file (e.g. "start": "node server.js"), nor a server.js or index.js`}
	}
	a.Spec.Node.Main, a.Spec.Node.Build = main, build
	if pkg.Main == "" {
		a.Guess("node/main", "the start script's file")
	}
	framework, port := "", 0
	for _, dep := range slices.Sorted(maps.Keys(pkg.Dependencies)) {
		if n, ok := servers[dep]; ok {
			framework, port = dep, n
			break
		}
	}
	a.ApplyHints(p.Hints(dir, ".js", ".mjs", ".cjs", ".ts", ".mts"), framework, port)
	return a, nil
}

// nodeStart is a start script that runs a file with node.
var nodeStart = regexp.MustCompile(`^(?:node|nodemon)\s+(?:--[a-z-]+(?:=\S+)?\s+)*([A-Za-z0-9_./-]+\.(?:c|m)?js)\b`)

// entry is the file node runs: package.json "main", else the file the
// start script runs (built by the build script when it is in its output).
func entry(p *lang.Project, dir string, pkg *detectJSON) (main, build string) {
	if pkg.Main != "" {
		main = pkg.Main
	} else if m := nodeStart.FindStringSubmatch(strings.TrimSpace(pkg.Scripts["start"])); m != nil {
		main = strings.TrimPrefix(m[1], "./")
	}
	if main == "" {
		for _, f := range []string{"server.js", "index.js", "app.js", "main.js", "src/server.js", "src/index.js"} {
			if p.Has(path.Join(dir, f)) {
				main = f
				break
			}
		}
	}
	if main != "" && !p.Has(path.Join(dir, main)) && pkg.Scripts["build"] != "" {
		build = "build" // the file is the build's output (dist/index.js)
	}
	return main, build
}

// nodeVersion: .nvmrc or .node-version, else engines.node, else the
// default.
func nodeVersion(p *lang.Project, a *lang.App, dir string, pkg *detectJSON) string {
	for _, f := range []string{".nvmrc", ".node-version"} {
		for _, at := range []string{path.Join(dir, f), f} {
			if dt, ok := p.ReadFile(at); ok {
				if v := majorIn(string(dt)); v != "" {
					a.Note("node/version", "from %s", at)
					return v
				}
			}
		}
	}
	if e := pkg.Engines["node"]; e != "" {
		if v := majorIn(e); v != "" {
			if n, _ := strconv.Atoi(v); strings.Contains(e, ">") && n < mustAtoi(DefaultVersion) {
				a.Note("node/version", "package.json engines.node is %q: the frontend's default satisfies it", e)
				return DefaultVersion
			}
			a.Note("node/version", "from package.json engines.node %q", e)
			return v
		}
	}
	a.Guess("node/version", "no .nvmrc or engines.node: the frontend's default")
	return DefaultVersion
}

var majorRe = regexp.MustCompile(`[0-9]{1,3}`)

// majorIn is the first major a version or range names ("22" of ">=22.1").
func majorIn(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 100 {
		return ""
	}
	return majorRe.FindString(s)
}

func mustAtoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
