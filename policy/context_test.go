package policy

import (
	"strings"
	"testing"

	"github.com/org/safe-frontend/rules"
)

// TestContextFindingsEveryLanguage: a language's refusal of the files it
// reads (node's lockfile and main, rust's Cargo.lock) is a finding at the
// spec line, through the same route as Python's, so the build and --check
// report it alike.
func TestContextFindingsEveryLanguage(t *testing.T) {
	const pkg = `{"name":"app","version":"1.0.0","main":"server.js","dependencies":{"bcrypt":"5.1.1"}}`
	const lock = `{"name":"app","version":"1.0.0","lockfileVersion":3,"packages":{"":{"name":"app","version":"1.0.0","dependencies":{"bcrypt":"5.1.1"}},` +
		`"node_modules/bcrypt":{"version":"5.1.1","hasInstallScript":true}}}`
	for _, tc := range []struct {
		name, spec string
		files      map[string][]byte
		cross      bool
		rule, line string
		msg        string
	}{
		{"node no lockfile", "name: app\nlanguage: node\n", map[string][]byte{"package.json": []byte(pkg)}, false,
			rules.NoLockfile, "2", "no lockfile"},
		{"node no main", "name: app\nlanguage: node\n", map[string][]byte{"package.json": []byte(`{"name":"app"}`), "package-lock.json": []byte(`{"lockfileVersion":3,"packages":{"":{"name":"app"}}}`)}, false,
			rules.NoMain, "2", "node.main"},
		{"node native addon cross", "name: app\nlanguage: node\n", map[string][]byte{"package.json": []byte(pkg), "package-lock.json": []byte(lock)}, true,
			rules.NativeAddonCrossBuild, "2", "bcrypt"},
		{"rust no lock", "name: app\nlanguage: rust\n", map[string][]byte{"Cargo.toml": []byte("[package]\nname = \"app\"\nversion = \"0.1.0\"\n")}, false,
			rules.CargoLockMissing, "2", "Cargo.lock"},
		{"rust manifest", "name: app\nlanguage: rust\n", map[string][]byte{"Cargo.toml": []byte("[package]\nname = 3\n"), "Cargo.lock": []byte("version = 3\n")}, false,
			rules.CargoManifest, "2", "Cargo.toml:2:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, r := Lint("app.yaml", []byte(tc.spec))
			if s == nil {
				t.Fatalf("spec refused: %v", r.Err())
			}
			found := CheckContext(r, s, tc.files, tc.cross)
			if len(found) != 1 || found[0].Rule.ID != tc.rule || !strings.Contains(found[0].Message, tc.msg) {
				t.Fatalf("findings %+v, want one %s saying %q", found, tc.rule, tc.msg)
			}
			if got := found[0].Range.Start.Line; got != 2 {
				t.Errorf("%s at line %d, want the language: line 2", tc.rule, got)
			}
			if r.Err() == nil {
				t.Errorf("the report does not refuse the build after %s", tc.rule)
			}
		})
	}
	// Native addons are fine when the build runs on the target platform.
	s, r := Lint("app.yaml", []byte("name: app\nlanguage: node\n"))
	if found := CheckContext(r, s, map[string][]byte{"package.json": []byte(pkg), "package-lock.json": []byte(lock)}, false); len(found) != 0 {
		t.Errorf("a native addon built natively: %+v", found)
	}
}
