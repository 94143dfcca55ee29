package rust

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/org/safe-frontend/lang/langtest"
)

// An axum service: the release rust-toolchain.toml pins, the port and
// /health from the sources, the license label from Cargo.toml.
func TestDetectAxum(t *testing.T) {
	langtest.RequireGoldenSpec(t, rust{}, "testdata/init/axum", "testdata/init/axum.yaml", *update)
}

// Binaries: one app each, with rust.bin when the package has several;
// workspace members with rust.package; OpenSSL turns static off.
func TestDetectRustTargets(t *testing.T) {
	fsys := fstest.MapFS{
		"Cargo.toml":                    {Data: []byte("[workspace]\nmembers = [\"crates/*\"]\n")},
		"crates/api/Cargo.toml":         {Data: []byte("[package]\nname = \"api\"\nversion = \"0.1.0\"\n[dependencies]\nreqwest = \"0.12\"\n")},
		"crates/api/src/main.rs":        {Data: []byte("")},
		"crates/api/src/bin/migrate.rs": {Data: []byte("")},
		"crates/core/Cargo.toml":        {Data: []byte("[package]\nname = \"core\"\n[dependencies]\nreqwest = { version = \"0.12\", default-features = false, features = [\"rustls-tls\"] }\n")},
		"crates/core/src/lib.rs":        {Data: []byte("")},
		"crates/cli/Cargo.toml":         {Data: []byte("[package]\nname = \"cli\"\n[[bin]]\nname = \"acme\"\npath = \"src/cli.rs\"\n")},
	}
	apps, err := langtest.Detect(t, rust{}, fsys, "ws")
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		id, name, pkg, bin string
		static             bool
	}
	var got []want
	for _, a := range apps {
		r := a.Spec.Rust
		got = append(got, want{a.ID, a.Spec.Name, r.Package, r.Bin, *r.Static})
	}
	exp := []want{
		{"crates/api/api", "api", "api", "api", false},
		{"crates/api/migrate", "migrate", "api", "migrate", false},
		{"crates/cli", "acme", "cli", "", true},
	}
	if len(got) != len(exp) {
		t.Fatalf("apps %+v, want %+v", got, exp)
	}
	for i := range exp {
		if got[i] != exp[i] {
			t.Errorf("app %d: %+v, want %+v", i, got[i], exp[i])
		}
	}
}

// Without a toolchain file, the default release, marked to check when the
// package's rust-version asks for a newer one.
func TestDetectRustVersion(t *testing.T) {
	for minimum, check := range map[string]bool{"1.80": false, "1.99.1": true, "": true} {
		fsys := fstest.MapFS{"Cargo.toml": {Data: []byte("[package]\nname = \"a\"\nrust-version = \"" + minimum + "\"\n")}, "src/main.rs": {Data: []byte("")}}
		apps, err := langtest.Detect(t, rust{}, fsys, "a")
		if err != nil || len(apps) != 1 {
			t.Fatalf("%v, %v", apps, err)
		}
		note := apps[0].Notes["rust/version"]
		if apps[0].Spec.Rust.Version != DefaultVersion || strings.HasPrefix(note, "check:") != check {
			t.Errorf("rust-version %q: %s (%s)", minimum, apps[0].Spec.Rust.Version, note)
		}
	}
}
