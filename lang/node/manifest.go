package node

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/pkg/errors"

	"github.com/org/safe-frontend/lang"
)

// packageJSON is the part of a package.json the conversion reads. The file
// is untrusted: every field is optional and checked where it is used.
type packageJSON struct {
	Name                 string            `json:"name"`
	Main                 string            `json:"main"`
	PackageManager       string            `json:"packageManager"`
	Scripts              map[string]string `json:"scripts"`
	Dependencies         map[string]string `json:"dependencies"`
	DevDependencies      map[string]string `json:"devDependencies"`
	OptionalDependencies map[string]string `json:"optionalDependencies"`
	// Workspaces is a list of globs, or {packages: [...]} (yarn classic).
	Workspaces json.RawMessage `json:"workspaces"`
}

// parsePackageJSON reads a package.json; errors name the file and line.
func parsePackageJSON(name string, data []byte) (*packageJSON, error) {
	var p packageJSON
	if err := decodeJSON(name, data, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// decodeJSON decodes one JSON object; errors carry file and line.
func decodeJSON(name string, data []byte, v any) error {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // npm tolerates a BOM
	if len(bytes.TrimSpace(data)) == 0 {
		return errors.Errorf("%s is empty; it must hold a JSON object", name)
	}
	err := json.Unmarshal(data, v)
	if err == nil {
		return nil
	}
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return errors.Errorf("%s:%d: not valid JSON: %s", name, lineAt(data, syn.Offset), syn.Error())
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "the document"
		}
		return errors.Errorf("%s:%d: %s must be %s, not a JSON %s", name, lineAt(data, typ.Offset), field, jsonKind(typ.Type.Kind().String()), typ.Value)
	}
	return errors.Wrapf(err, "reading %s", name)
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "map", "struct":
		return "an object"
	case "slice":
		return "an array"
	}
	return goKind
}

// lineAt is the 1-based line of a byte offset.
func lineAt(data []byte, off int64) int {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	if off < 0 {
		off = 0
	}
	return bytes.Count(data[:off], []byte("\n")) + 1
}

// workspaceGlobs reads the "workspaces" field: an array of globs or an
// object with a "packages" array.
func (p *packageJSON) workspaceGlobs() []string {
	if len(p.Workspaces) == 0 {
		return nil
	}
	var list []string
	if json.Unmarshal(p.Workspaces, &list) == nil {
		return list
	}
	var obj struct {
		Packages []string `json:"packages"`
	}
	if json.Unmarshal(p.Workspaces, &obj) == nil {
		return obj.Packages
	}
	return nil
}

// Package managers.
const (
	managerNPM  = "npm"
	managerPNPM = "pnpm"
	managerYarn = "yarn"
)

// lockfiles names each manager's lockfiles, the preferred one first.
var lockfiles = map[string][]string{
	managerNPM:  {"npm-shrinkwrap.json", "package-lock.json"},
	managerPNPM: {"pnpm-lock.yaml"},
	managerYarn: {"yarn.lock"},
}

// managerRe is package.json's "packageManager": name@semver[+hash].
var managerRe = regexp.MustCompile(`^(npm|pnpm|yarn)@([0-9]+\.[0-9]+\.[0-9]+(?:-[0-9A-Za-z.-]+)?)(\+[A-Za-z0-9]+\.[0-9a-fA-F]+)?$`)

// packageManagerField splits package.json's "packageManager" into name and
// version (with its hash, if any, as corepack wants it).
func packageManagerField(v string) (name, version string, err error) {
	m := managerRe.FindStringSubmatch(strings.TrimSpace(v))
	if m == nil {
		return "", "", errors.Errorf("package.json: \"packageManager\" is %q; write npm, pnpm or yarn with an exact version, e.g. \"pnpm@%s\"", lang.Truncate(v, 80), DefaultPNPMVersion)
	}
	return m[1], m[2] + m[3], nil
}

// npmLock is the part of package-lock.json (lockfileVersion 2 and 3) the
// conversion reads.
type npmLock struct {
	LockfileVersion int                       `json:"lockfileVersion"`
	Packages        map[string]npmLockPackage `json:"packages"`
}

type npmLockPackage struct {
	Version          string            `json:"version"`
	Dev              bool              `json:"dev"`
	Optional         bool              `json:"optional"`
	DevOptional      bool              `json:"devOptional"`
	HasInstallScript bool              `json:"hasInstallScript"`
	Link             bool              `json:"link"`
	Dependencies     map[string]string `json:"dependencies"`
	DevDependencies  map[string]string `json:"devDependencies"`
	OptionalDeps     map[string]string `json:"optionalDependencies"`
}

// nativeAddons lists the production packages of an npm lockfile that run
// install scripts (node-gyp builds): they compile for the build machine.
func (l *npmLock) nativeAddons() []string {
	var out []string
	for k, p := range l.Packages {
		if k == "" || !p.HasInstallScript || p.Dev || p.Link {
			continue
		}
		name := k
		if i := strings.LastIndex(k, "node_modules/"); i >= 0 {
			name = k[i+len("node_modules/"):]
		}
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}

// lockDrift compares the dependencies a manifest declares with those the
// lockfile recorded for it and describes the first difference in names,
// or "" when they agree. Version ranges are left to the frozen install,
// which knows whether the locked version still satisfies them.
func lockDrift(manifest, locked map[string]string) string {
	for _, k := range slices.Sorted(maps.Keys(manifest)) {
		if _, ok := locked[k]; !ok {
			return fmt.Sprintf("%q is in package.json but not in the lockfile", k)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(locked)) {
		if _, ok := manifest[k]; !ok {
			return fmt.Sprintf("%q is in the lockfile but no longer in package.json", k)
		}
	}
	return ""
}

// allDeps merges the dependency maps the install reads.
func allDeps(maps ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range maps {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}
