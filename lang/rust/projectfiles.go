package rust

import (
	"path"
	"regexp"
	"strings"

	"github.com/org/safe-frontend/lang"
	"github.com/org/safe-frontend/spec"
)

// registryFix is how a registry token reaches cargo instead.
const registryFix = "pass it as a build secret: secrets: [{id: cargo-token, env: CARGO_REGISTRIES_<NAME>_TOKEN}] and --secret id=cargo-token,env=TOKEN"

// CheckProjectFiles refuses the rust project files no build should take:
// too large or deep, a registry token or a credential in a URL, a path
// outside the context; and shows cargo settings that replace the
// compiler, linker or runner.
func (rust) CheckProjectFiles(_ *spec.Spec, files map[string][]byte) []lang.ContextFinding {
	toml := func(string) lang.Format { return lang.FormatTOML }
	return lang.CheckFiles(files, toml, registryFix, func(name string, data []byte) []lang.ContextFinding {
		out := lang.TOMLPathsOutside(name, cargoPathDir(name), data)
		if isCargoConfig(name) {
			out = append(out, cargoConfigFindings(name, data)...)
		}
		return out
	})
}

func isCargoConfig(name string) bool {
	return name == ".cargo/config.toml" || name == ".cargo/config"
}

// cargoPathDir is the directory paths in name are relative to: cargo
// reads a config's relative to the directory holding .cargo/, a
// manifest's relative to the manifest.
func cargoPathDir(name string) string {
	if isCargoConfig(name) {
		return path.Dir(path.Dir(name))
	}
	return path.Dir(name)
}

// cargoOverrideRe are config keys whose value is a program cargo runs in
// place of (or around) rustc, the linker or the built binary.
var cargoOverrideRe = regexp.MustCompile(`^(build\.(rustc|rustc-wrapper|rustc-workspace-wrapper|rustdoc)|target\..+\.(linker|runner|rustc-wrapper)|target\.(linker|runner)|host\.linker|host\..+\.linker)$`)

// cargoTokenRe are config keys that hold a registry token.
var cargoTokenRe = regexp.MustCompile(`^(registry\.token|registries\.[^.]+\.token|registry\.secret-key|registries\.[^.]+\.secret-key)$`)

func cargoConfigFindings(name string, data []byte) []lang.ContextFinding {
	var out []lang.ContextFinding
	for _, kl := range lang.ScanKeys(data) {
		key := kl.Path()
		v := lang.Unquote(kl.Value)
		switch {
		case cargoTokenRe.MatchString(key) && v != "":
			out = append(out, lang.CredentialFinding(name, kl.Line, key, "it holds a registry token", registryFix))
		case cargoOverrideRe.MatchString(key):
			out = append(out, lang.OverrideFinding(name, kl.Line, key, key+" = "+lang.Truncate(strings.TrimSpace(kl.Value), 60)))
		case key == "paths" || strings.HasSuffix(key, ".paths"):
			for _, p := range regexp.MustCompile(`"([^"]*)"`).FindAllStringSubmatch(kl.Value, -1) {
				if lang.OutsideContext(".", p[1]) {
					out = append(out, lang.OutsideFinding(name, kl.Line, key, "a path override", p[1]))
				}
			}
		}
	}
	return out
}
