package node

import (
	"errors"
	"fmt"

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
