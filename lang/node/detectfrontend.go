package node

import (
	"errors"
	"fmt"
	"path"
	"slices"

	"github.com/org/safe-frontend/lang"
)

// A front-end build (a Vite or React app with a build script and no
// server) makes files a web server serves, not a program node runs: it is
// a static site, which the Node language does not build. This piece alone
// tells one. Where a language named "static" is registered, it detects
// these itself and Node leaves them to it.

// errLeftToStatic: a front-end build that the static language detects.
var errLeftToStatic = errors.New("a front-end build")

// frontEndTools are the build tools of single-page apps and static sites.
var frontEndTools = []string{"vite", "react-scripts", "@angular/cli", "@vue/cli-service", "parcel", "astro", "@sveltejs/kit", "gatsby"}

// frontEndTool names the front-end tool of a package with a build script that
// runs no server of its own, or "".
func frontEndTool(pkg *detectJSON) string {
	if pkg.Scripts["build"] == "" || pkg.Main != "" || nodeStart.MatchString(pkg.Scripts["start"]) {
		return ""
	}
	for dep := range servers {
		if _, ok := pkg.Dependencies[dep]; ok {
			return ""
		}
	}
	for _, t := range frontEndTools {
		_, dep := pkg.Dependencies[t]
		_, dev := pkg.DevDependencies[t]
		if dep || dev {
			return t
		}
	}
	return ""
}

func frontEndNotSupported(dir, tool string) error {
	if _, ok := lang.Lookup("static"); ok {
		return errLeftToStatic
	}
	where := "package.json"
	if dir != "." {
		where = dir + "/package.json"
	}
	return &lang.NotSupported{Msg: fmt.Sprintf("%s: a front-end build (%s, with a build script and no server): its output is a static site for a web server, not a program node runs; safe init does not write specs for static sites yet", where, tool)}
}

// FrontEndProject is a front-end build found in a project: what the static
// language needs to write its spec. Notes on app are made at node/version.
type FrontEndProject struct {
	Name, Version, Description, License string
	Tool                                string // vite, react-scripts, ...
	Node                                string // the build's Node.js major
	Output                              string // the tool's default output directory
	SPA                                 bool   // the tool makes single-page apps
}

// frontEndOutputs are the tools' default output directories (Angular's is
// dist/<project>/browser, which only angular.json names).
var frontEndOutputs = map[string]string{"react-scripts": "build", "@sveltejs/kit": "build", "gatsby": "public"}

// singlePageTools make client-side-routed apps by default.
var singlePageTools = []string{"vite", "react-scripts", "@angular/cli", "@vue/cli-service"}

// DetectFrontEnd reads dir's package.json: a build script of a
// front-end tool and no server make a front-end build.
func DetectFrontEnd(p *lang.Project, a *lang.App, dir string) (*FrontEndProject, error) {
	raw, ok := p.ReadFile(path.Join(dir, "package.json"))
	if !ok {
		return nil, nil
	}
	var pkg detectJSON
	if err := decodeJSON(path.Join(dir, "package.json"), raw, &pkg); err != nil {
		return nil, err
	}
	tool := frontEndTool(&pkg)
	if tool == "" {
		return nil, nil
	}
	out := frontEndOutputs[tool]
	if out == "" {
		out = "dist"
	}
	return &FrontEndProject{
		Name: pkg.Name, Version: pkg.Version, Description: pkg.Description, License: pkg.License,
		Tool: tool, Node: nodeVersion(p, a, dir, &pkg), Output: path.Join(dir, out),
		SPA: slices.Contains(singlePageTools, tool),
	}, nil
}
