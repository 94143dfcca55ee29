package node

import (
	"bytes"
	"net/url"
	"path"
	"regexp"
	"strings"

	"github.com/org/safe-frontend/lang"
	"github.com/org/safe-frontend/spec"
)

// npmrcFix is how a registry credential reaches the install instead.
const npmrcFix = "pass the .npmrc as a build secret: secrets: [{id: npmrc, target: /root/.npmrc}] and --secret id=npmrc,src=$HOME/.npmrc"

// nodeFormats are the shapes of the files node reads; a workspace's
// package.json is JSON too.
var nodeFormats = map[string]lang.Format{
	"package.json": lang.FormatJSON, "package-lock.json": lang.FormatJSON, "npm-shrinkwrap.json": lang.FormatJSON,
	"pnpm-lock.yaml": lang.FormatYAML, "pnpm-workspace.yaml": lang.FormatYAML, ".yarnrc.yml": lang.FormatYAML,
	"yarn.lock": lang.FormatYAML, ".npmrc": lang.FormatText, ".yarnrc": lang.FormatText,
}

func nodeFormat(name string) lang.Format {
	if f, ok := nodeFormats[path.Base(name)]; ok {
		return f
	}
	return lang.FormatText
}

// CheckProjectFiles refuses the node project files no build should take:
// too large or deep, a credential, a dependency outside the context; and
// shows settings that replace the shell scripts run with.
func (node) CheckProjectFiles(_ *spec.Spec, files map[string][]byte) []lang.ContextFinding {
	return lang.CheckFiles(files, nodeFormat, npmrcFix, func(name string, data []byte) []lang.ContextFinding {
		var out []lang.ContextFinding
		switch path.Base(name) {
		case ".npmrc", ".yarnrc":
			out = npmrcFindings(name, data)
		case ".yarnrc.yml":
			out = yarnrcFindings(name, data)
		}
		return append(out, nodeLocalDeps(name, data)...)
	})
}

// npmrcSecretKeyRe are .npmrc keys that hold a credential, alone or
// scoped to a registry (//registry.example.com/:_authToken).
var npmrcSecretKeyRe = regexp.MustCompile(`(^|:)(_authToken|_auth|_password|password|token|certfile|keyfile)$`)

func npmrcFindings(name string, data []byte) []lang.ContextFinding {
	var out []lang.ContextFinding
	for _, kl := range lang.ScanKeys(data) {
		v := lang.Unquote(kl.Value)
		switch {
		case npmrcSecretKeyRe.MatchString(kl.Key) && v != "" && !placeholder(v):
			out = append(out, lang.CredentialFinding(name, kl.Line, credKey(kl.Key), "it holds a registry credential", npmrcFix))
		case kl.Key == "script-shell" || kl.Key == "shell" || kl.Key == "node-gyp":
			out = append(out, lang.OverrideFinding(name, kl.Line, kl.Key, kl.Key+" "+lang.Truncate(v, 60)))
		}
	}
	return out
}

// credKey is a key path for a message, the registry host left out (it may
// be all a reviewer needs, but the value never is).
func credKey(k string) string {
	if i := strings.LastIndex(k, ":"); i >= 0 {
		return k[i+1:]
	}
	return k
}

// placeholder: npm and yarn expand ${VAR} from the environment, so the
// file only names where the credential comes from.
func placeholder(v string) bool {
	return strings.HasPrefix(v, "${") && strings.HasSuffix(v, "}") && !strings.ContainsAny(v[2:len(v)-1], "${} ")
}

// yarnrcSecretKeys hold a credential in a .yarnrc.yml (also inside
// npmScopes and npmRegistries entries).
var yarnrcSecretKeyRe = regexp.MustCompile(`^\s*(npmAuthToken|npmAuthIdent|npmPassword)\s*:\s*(.*)$`)

var yarnPathRe = regexp.MustCompile(`^\s*yarnPath\s*:\s*(.*)$`)

func yarnrcFindings(name string, data []byte) []lang.ContextFinding {
	var out []lang.ContextFinding
	for n, line := range bytes.Split(data, []byte("\n")) {
		if m := yarnrcSecretKeyRe.FindSubmatch(line); m != nil {
			if v := lang.Unquote(string(m[2])); v != "" && !placeholder(v) {
				out = append(out, lang.CredentialFinding(name, n+1, string(m[1]), "it holds a registry credential", npmrcFix))
			}
		}
		if m := yarnPathRe.FindSubmatch(line); m != nil {
			out = append(out, lang.OverrideFinding(name, n+1, "yarnPath", "yarnPath "+lang.Truncate(lang.Unquote(string(m[1])), 60)))
		}
	}
	return out
}

// localSpecRe is a dependency on a local path: npm's file: and link:,
// pnpm's and yarn's link: and portal:.
var localSpecRe = regexp.MustCompile(`(?:^|[\s"'@=(])((?:file|link|portal):([^"'\s,)]+))`)

// lockPathKeyRe is a package-lock.json "packages" key for a linked
// directory ("../shared": {...}), which npm resolves from the lockfile.
var lockPathKeyRe = regexp.MustCompile(`^\s*"((?:\.\./|/)[^"]*)"\s*:`)

// nodeLocalDeps reports the local dependencies a node project file
// resolves outside the context, in package.json, package-lock.json,
// pnpm-lock.yaml and yarn.lock alike.
func nodeLocalDeps(name string, data []byte) []lang.ContextFinding {
	if b := path.Base(name); b == ".npmrc" || b == ".yarnrc" || b == ".yarnrc.yml" {
		return nil
	}
	dir := path.Dir(name)
	pnpm := path.Base(name) == "pnpm-lock.yaml"
	importer, inImporters := ".", false
	var out []lang.ContextFinding
	for n, line := range bytes.Split(data, []byte("\n")) {
		if pnpm {
			// pnpm writes an importer's links relative to the importer.
			if len(line) > 0 && line[0] != ' ' {
				inImporters = bytes.HasPrefix(line, []byte("importers:"))
			} else if m := pnpmImporterRe.FindSubmatch(line); inImporters && m != nil {
				importer = strings.Trim(string(m[1]), `'"`)
			}
		}
		for _, m := range localSpecRe.FindAllSubmatch(line, -1) {
			p, base := yarnLocator(strings.TrimPrefix(string(m[2]), "//"))
			if base == "" && inImporters {
				base = importer
			}
			if lang.OutsideContext(path.Join(dir, base), p) {
				out = append(out, lang.OutsideFinding(name, n+1, "", string(m[1]), p))
			}
		}
		if m := lockPathKeyRe.FindSubmatch(line); m != nil && strings.HasSuffix(name, ".json") && path.Base(name) != "package.json" {
			if p := string(m[1]); lang.OutsideContext(dir, p) {
				out = append(out, lang.OutsideFinding(name, n+1, "packages", p, p))
			}
		}
	}
	return out
}

// pnpmImporterRe is an importer's key in pnpm-lock.yaml: a workspace
// package's directory, two spaces in.
var pnpmImporterRe = regexp.MustCompile(`^  (\S[^:]*):\s*$`)

// yarnLocator splits yarn Berry's "../lib::locator=app%40workspace%3Aapps%2Fapi"
// into the path and the workspace it is relative to ("" for the root).
func yarnLocator(p string) (rel, base string) {
	rel, loc, ok := strings.Cut(p, "::locator=")
	if !ok {
		return p, ""
	}
	if dec, err := url.QueryUnescape(loc); err == nil {
		loc = dec
	}
	if _, ws, ok := strings.Cut(loc, "@workspace:"); ok {
		return rel, ws
	}
	return rel, ""
}
