// Package version says which safe-frontend a binary is. A release build sets
// Version and Revision with -ldflags "-X ..." (hack/release); any other build
// says "dev" and takes the revision from the Go build information when the go
// command recorded one.
package version

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Set by the release build: the release's semantic version (1.4.2) and the
// commit it was built from.
var (
	Version  = "dev"
	Revision = ""
)

// Short is the program and version as progress lines show it:
// "safe-frontend 1.4.2".
func Short() string { return "safe-frontend " + Version }

// Line is what --version prints: program, version, revision, Go version and
// platform, e.g. "safe-frontend 1.4.2 (revision 3f2a..., go1.26.8, linux/arm64)".
func Line(prog string) string {
	rev := revision()
	if rev == "" {
		rev = "unknown"
	}
	return fmt.Sprintf("%s %s (revision %s, %s, %s/%s%s)", prog, Version, rev,
		runtime.Version(), runtime.GOOS, runtime.GOARCH, armVariant())
}

func revision() string {
	if Revision != "" {
		return Revision
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	var rev, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "-dirty"
			}
		}
	}
	if rev == "" {
		return ""
	}
	return rev + dirty
}

// armVariant names the ARM revision the binary was built for (GOARM), the
// way OCI platforms do: linux/arm/v7.
func armVariant() string {
	if runtime.GOARCH != "arm" {
		return ""
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	for _, s := range bi.Settings {
		if s.Key == "GOARM" {
			return "/v" + s.Value
		}
	}
	return ""
}
