package static

import (
	"github.com/org/safe-frontend/lang"
	"github.com/org/safe-frontend/lang/node"
	"github.com/org/safe-frontend/spec"
)

// siteDirs are where a project keeps a site that needs no build, in the
// order looked at.
var siteDirs = []string{"public", "site", "www", "."}

// Detect: a front-end build (package.json with a front-end tool's build
// script and no server; Node leaves those to this language), else a
// directory with an index.html and no package.json.
func (static) Detect(p *lang.Project) ([]*lang.App, error) {
	a := lang.NewApp(".", "static", "")
	fe, err := node.DetectFrontEnd(p, a, ".")
	if err != nil {
		return nil, err
	}
	if fe != nil {
		a.Spec.Name = lang.NameFrom(orName(fe.Name, p.Name))
		a.Spec.Version = fe.Version
		a.Describe(fe.License, fe.Description, "package.json")
		a.Spec.Static = &spec.Static{SPA: fe.SPA, Build: &spec.StaticBuild{Node: fe.Node, Script: "build", Output: fe.Output}}
		if n, ok := a.Notes["node/version"]; ok {
			delete(a.Notes, "node/version")
			a.Notes["static/build/node"] = n
		}
		a.Note("static/build/script", "package.json's build script (%s)", fe.Tool)
		a.Guess("static/build/output", "%s's default output directory", fe.Tool)
		if fe.SPA {
			a.Guess("static/spa", "%s makes a single-page app: pages it lacks answer index.html", fe.Tool)
		}
		return []*lang.App{site(a)}, nil
	}
	if p.Has("package.json") {
		return nil, nil
	}
	for _, dir := range siteDirs {
		if p.Has(dir + "/index.html") {
			a.Spec.Name = lang.NameFrom(p.Name)
			a.Spec.Static = &spec.Static{Root: dir}
			a.Note("static/root", "the directory with index.html")
			return []*lang.App{site(a)}, nil
		}
	}
	return nil, nil
}

// site sets what every static site runs with: safe-static on 8080, its own
// health path, and the small resources a file server needs.
func site(a *lang.App) *lang.App {
	a.Spec.Run.Port = 8080
	a.Spec.Run.Health = &spec.Health{HTTP: "/healthz"}
	a.Note("run/port", "safe-static's port")
	a.Note("run/health/http", "answered by safe-static without reading the site")
	a.Spec.Run.Resources = &spec.Resources{CPU: "100m", Memory: "32Mi"}
	return a
}

func orName(name, dir string) string {
	if name != "" {
		return name
	}
	return dir
}
