package rust

import (
	"bytes"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/org/safe-frontend/lang"
	"github.com/org/safe-frontend/lang/langtest"
	"github.com/org/safe-frontend/rules"
)

func files(kv ...string) map[string][]byte {
	m := map[string][]byte{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = []byte(kv[i+1])
	}
	return m
}

const lock = "version = 4\n"

func stubList(p *cargoPlan) string {
	var out []string
	for _, s := range p.Stubs {
		kind := "lib"
		if s.Data == stubMain {
			kind = "main"
		}
		out = append(out, s.Path+"="+kind)
	}
	return strings.Join(out, " ")
}

func TestPlanCargo(t *testing.T) {
	for _, tc := range []struct {
		name     string
		files    map[string][]byte
		pkg, bin string
		// want: manifests | stubs | package | bin | source dirs
		want string
	}{
		{
			name:  "one package",
			files: files("Cargo.toml", "[package]\nname = \"edge\"\nversion = \"0.1.0\"\n[dependencies]\nserde = \"1\"\n", "Cargo.lock", lock),
			want:  "Cargo.toml | src/lib.rs=lib | edge | edge | ",
		},
		{
			name: "declared targets and a build script",
			files: files("Cargo.toml", `[package]
name = "edge"
build = "tools/build.rs"
[lib]
path = "src/edge.rs"
[[bin]]
name = "edge"
[[bin]]
name = "edgectl"
path = "src/ctl/main.rs"
[[example]]
name = "demo"
[[test]]
name = "it"
[[bench]]
name = "speed"
harness = false
`, "Cargo.lock", lock),
			bin:  "edgectl",
			want: "Cargo.toml | benches/speed.rs=main examples/demo.rs=main src/ctl/main.rs=main src/edge.rs=lib src/main.rs=main tests/it.rs=lib tools/build.rs=main | edge | edgectl | ",
		},
		{
			name:  "build dependencies imply build.rs; autolib off",
			files: files("Cargo.toml", "[package]\nname = \"x\"\nautolib = false\n[build-dependencies]\ncc = \"1\"\n", "Cargo.lock", lock),
			want:  "Cargo.toml | build.rs=main src/main.rs=main | x | x | ",
		},
		{
			name: "virtual workspace with a glob, an exclude and a path dependency",
			files: files(
				"Cargo.toml", "[workspace]\nmembers = [\"crates/*\"]\nexclude = [\"crates/old\"]\n[workspace.dependencies]\nshared = { path = \"libs/shared\" }\n",
				"Cargo.lock", lock,
				"crates/api/Cargo.toml", "[package]\nname = \"api\"\n[dependencies]\nshared.workspace = true\nutil = { path = \"../util\" }\n",
				"crates/util/Cargo.toml", "[package]\nname = \"util\"\n",
				"crates/old/Cargo.toml", "[package]\nname = \"old\"\n",
				"libs/shared/Cargo.toml", "[package]\nname = \"shared\"\n",
				"vendor/serde/Cargo.toml", "[package]\nname = \"serde\"\n",
				".cargo/config.toml", "[source.crates-io]\nreplace-with = \"v\"\n[source.v]\ndirectory = \"vendor\"\n[source.deb]\ndirectory = \"/usr/share/cargo/registry\"\n",
			),
			pkg:  "api",
			want: "Cargo.toml crates/api/Cargo.toml crates/util/Cargo.toml libs/shared/Cargo.toml | crates/api/src/lib.rs=lib crates/util/src/lib.rs=lib libs/shared/src/lib.rs=lib | api | api | vendor",
		},
		{
			name: "workspace with a root package picks the root",
			files: files("Cargo.toml", "[package]\nname = \"root\"\n[workspace]\nmembers = [\"tool\"]\n", "Cargo.lock", lock,
				"tool/Cargo.toml", "[package]\nname = \"tool\"\n"),
			want: "Cargo.toml tool/Cargo.toml | src/lib.rs=lib tool/src/lib.rs=lib | root | root | ",
		},
		{
			name: "workspace with one member needs no package",
			files: files("Cargo.toml", "[workspace]\nmembers = [\"app\"]\nresolver = \"2\"\n", "Cargo.lock", lock,
				"app/Cargo.toml", "[package]\nname = \"app\"\n[[bin]]\nname = \"srv\"\npath = \"main.rs\"\n"),
			want: "Cargo.toml app/Cargo.toml | app/main.rs=main app/src/lib.rs=lib | app | srv | ",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := planCargo(tc.files, tc.pkg, tc.bin, "language")
			if err != nil {
				t.Fatal(err)
			}
			got := fmt.Sprintf("%s | %s | %s | %s | %s", strings.Join(p.Manifests, " "), stubList(p), p.Package, p.Bin, strings.Join(p.SourceDirs, " "))
			if got != tc.want {
				t.Errorf("plan:\n got %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestPlanCargoRefusals(t *testing.T) {
	pkg := "[package]\nname = \"edge\"\n"
	for _, tc := range []struct {
		name     string
		files    map[string][]byte
		pkg, bin string
		rule     string
		path     string
		msg      string
	}{
		{"no lock", files("Cargo.toml", pkg), "", "", rules.CargoLockMissing, "language", "no Cargo.lock"},
		{"no manifest", files("Cargo.lock", lock), "", "", rules.CargoManifest, "language", "no Cargo.toml"},
		{"syntax error has a line", files("Cargo.toml", "[package]\nname = \"edge\"\nversion = \n", "Cargo.lock", lock), "", "", rules.CargoManifest, "language", "Cargo.toml:3:"},
		{"wrong type has a line", files("Cargo.toml", "[package]\nname = 3\n", "Cargo.lock", lock), "", "", rules.CargoManifest, "language", "Cargo.toml:2:"},
		{"bins need a choice", files("Cargo.toml", pkg+"[[bin]]\nname = \"a\"\n[[bin]]\nname = \"b\"\n", "Cargo.lock", lock), "", "", rules.CargoManifest, "language", "several binaries (a, b); set rust.bin"},
		{"unknown package", files("Cargo.toml", pkg, "Cargo.lock", lock), "nope", "", rules.CargoManifest, "rust/package", `"nope" is not a package of this workspace (packages: edge)`},
		{"members need a choice", files("Cargo.toml", "[workspace]\nmembers = [\"a\", \"b\"]\n", "Cargo.lock", lock,
			"a/Cargo.toml", "[package]\nname = \"a\"\n", "b/Cargo.toml", "[package]\nname = \"b\"\n"), "", "", rules.CargoManifest, "language", "several packages (a, b); set rust.package"},
		{"missing member", files("Cargo.toml", "[workspace]\nmembers = [\"a\"]\n", "Cargo.lock", lock), "", "", rules.CargoManifest, "language", "a/Cargo.toml is not in the build context"},
		{"deep member", files("Cargo.toml", "[workspace]\nmembers = [\"a/b/c/d\"]\n", "Cargo.lock", lock), "", "", rules.CargoManifest, "language", "deeper than the 3 directory levels"},
		{"path dependency outside", files("Cargo.toml", pkg+"[dependencies]\nx = { path = \"../x\" }\n", "Cargo.lock", lock), "", "", rules.CargoManifest, "language", "dependencies.x.path \"../x\" points outside the build context"},
		{"absolute target path", files("Cargo.toml", pkg+"[lib]\npath = \"/etc/passwd.rs\"\n", "Cargo.lock", lock), "", "", rules.CargoManifest, "language", "is absolute"},
		{"target path climbs", files("Cargo.toml", pkg+"[[bin]]\nname = \"x\"\npath = \"../../x.rs\"\n", "Cargo.lock", lock), "", "", rules.CargoManifest, "language", "points outside"},
		{"target not rust", files("Cargo.toml", pkg+"[lib]\npath = \"Cargo.lock\"\n", "Cargo.lock", lock), "", "", rules.CargoManifest, "language", "not a .rs file"},
		{"bad target name", files("Cargo.toml", pkg+"[[bin]]\nname = \"a b\"\n", "Cargo.lock", lock), "", "", rules.CargoManifest, "language", `name "a b" is not a cargo target name`},
		{"bad package name", files("Cargo.toml", "[package]\nname = \"$(reboot)\"\n", "Cargo.lock", lock), "", "", rules.CargoManifest, "language", "not a cargo package name"},
		{"vendor outside", files("Cargo.toml", pkg, "Cargo.lock", lock, ".cargo/config.toml", "[source.v]\ndirectory = \"../v\"\n"), "", "", rules.CargoManifest, "language", "source.v.directory"},
		{"duplicate package", files("Cargo.toml", "[workspace]\nmembers = [\"a\", \"b\"]\n", "Cargo.lock", lock,
			"a/Cargo.toml", "[package]\nname = \"x\"\n", "b/Cargo.toml", "[package]\nname = \"x\"\n"), "", "", rules.CargoManifest, "language", `both name package "x"`},
		{"build is a number", files("Cargo.toml", "[package]\nname = \"x\"\nbuild = 3\n", "Cargo.lock", lock), "", "", rules.CargoManifest, "language", "package.build must be a path or a boolean"},
		{"nothing to build", files("Cargo.toml", "[workspace]\n", "Cargo.lock", lock), "", "", rules.CargoManifest, "language", "nothing to build"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := planCargo(tc.files, tc.pkg, tc.bin, "language")
			var re *lang.RuleError
			if !errors.As(err, &re) {
				t.Fatalf("want a RuleError, got %v", err)
			}
			if re.Rule != tc.rule || re.Path != tc.path || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("got %s at %q: %v\nwant %s at %q containing %q", re.Rule, re.Path, err, tc.rule, tc.path, tc.msg)
			}
			if !strings.HasPrefix(err.Error(), tc.rule+" ") || !strings.Contains(err.Error(), rules.DocBase+tc.rule+".md") {
				t.Errorf("message does not name the rule and its page: %v", err)
			}
		})
	}
}

// FuzzPlanCargo: any manifests, member manifests and cargo configuration
// are planned or refused with a RuleError, never a panic.
func FuzzPlanCargo(f *testing.F) {
	lockSeed := []byte("version = 4\n[[package]]\nname = \"edge\"\nversion = \"0.1.0\"\ndependencies = [\"m\", \"x 1.0.0 (registry+https://github.com/rust-lang/crates.io-index)\"]\n[[package]]\nname = \"m\"\nversion = \"0.1.0\"\n[[package]]\nname = \"x\"\nversion = \"1.0.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\ndependencies = [\"m\"]\n")
	f.Add([]byte("[package]\nname = \"edge\"\n[[bin]]\nname = \"edge\"\n"), []byte("[package]\nname = \"m\"\n"), []byte("[source.v]\ndirectory = \"vendor\"\n"), lockSeed)
	f.Add([]byte("[workspace]\nmembers = [\"*\", \"a/[\"]\n[workspace.dependencies]\nx = { path = \"m\" }\n"), []byte("[package]\nname = \"m\"\nbuild = true\n[target.'cfg(unix)'.dependencies]\ny = { path = \"../m\" }\n"), []byte(""), []byte(lock))
	f.Add([]byte("[package]\nname = \"a\"\n[patch.crates-io]\nserde = { path = \"m\" }\n"), []byte("package = 3"), []byte("[source]\nv = 1"), []byte("[[package]]\nname = \"a\"\nversion = \"1\"\ndependencies = [\"a\"]\n"))
	f.Fuzz(func(t *testing.T, root, member, config, lockData []byte) {
		fs := map[string][]byte{"Cargo.toml": root, "Cargo.lock": []byte(lock), "m/Cargo.toml": member, "a/b/Cargo.toml": member, ".cargo/config.toml": config}
		p, err := planCargo(fs, "", "", "language")
		if err != nil {
			var re *lang.RuleError
			if !errors.As(err, &re) {
				t.Fatalf("error without a rule: %v", err)
			}
			return
		}
		if !cargoNameOK(p.Package) || !cargoNameOK(p.Bin) {
			t.Fatalf("plan names an unsafe package or binary: %q %q", p.Package, p.Bin)
		}
		for _, s := range p.Stubs {
			if _, err := contextPath(".", s.Path); err != nil {
				t.Fatalf("stub %q escapes: %v", s.Path, err)
			}
		}
		dev, build := p.dependencyKinds()
		if _, err := cargoAudit(lockData, p.Package, dev, build); err != nil {
			var re *lang.RuleError
			if !errors.As(err, &re) {
				t.Fatalf("lock error without a rule: %v", err)
			}
		}
	})
}

func TestCargoAudit(t *testing.T) {
	lockData := `version = 4
[[package]]
name = "app"
version = "0.1.0"
dependencies = ["serde", "cc", "proptest", "log 0.4.20"]

[[package]]
name = "serde"
version = "1.0.200"
source = "registry+https://github.com/rust-lang/crates.io-index"
dependencies = ["log 0.4.20 (registry+https://github.com/rust-lang/crates.io-index)"]

[[package]]
name = "log"
version = "0.4.20"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "log"
version = "0.3.9"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "cc"
version = "1.0.0"
source = "git+https://example.com/cc#abc"

[[package]]
name = "proptest"
version = "1.0.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
`
	fs := files("Cargo.toml", "[package]\nname = \"app\"\n[dependencies]\nserde = \"1\"\nlog = \"0.4\"\n[build-dependencies]\ncc = \"1\"\n[dev-dependencies]\nproptest = \"1\"\n", "Cargo.lock", lockData)
	p, err := planCargo(fs, "", "", "language")
	if err != nil {
		t.Fatal(err)
	}
	dev, build := p.dependencyKinds()
	z, err := cargoAudit(fs["Cargo.lock"], p.Package, dev, build)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zlib.NewReader(bytes.NewReader(z))
	if err != nil {
		t.Fatal(err)
	}
	js, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"packages":[` +
		`{"name":"app","version":"0.1.0","source":"local","dependencies":[1,2,3],"root":true},` +
		`{"name":"cc","version":"1.0.0","source":"git","kind":"build"},` +
		`{"name":"log","version":"0.4.20","source":"crates.io"},` +
		`{"name":"serde","version":"1.0.200","source":"crates.io","dependencies":[2]}]}`
	if string(js) != want {
		t.Errorf("dep-v0:\n got %s\nwant %s", js, want)
	}

	for _, tc := range []struct{ lock, msg string }{
		{"version = 4\n[[package]]\nname = \"other\"\nversion = \"1\"\n", `does not list package "app"`},
		{"version = 4\n[[package]]\nname = \"app\"\nversion = \"1\"\ndependencies = [\"ghost\"]\n", `depends on "ghost", which names 0 packages`},
		{"[[package]]\nname = 1\n", "Cargo.lock:2:"},
		{"[[package]]\nversion = \"1\"\n", "has no name or version"},
	} {
		_, err := cargoAudit([]byte(tc.lock), "app", dev, build)
		var re *lang.RuleError
		if !errors.As(err, &re) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("lock %q: %v, want a RuleError with %q", tc.lock, err, tc.msg)
		}
	}
}

// The workspace fixture of the integration tests plans as expected.
func TestPlanCargoWorkspaceFixture(t *testing.T) {
	root := filepath.Join("..", "..", "testdata", "rust", "workspace")
	fs := langtest.ContextFiles(t, root, cargoContextFiles())
	p, err := planCargo(fs, "server", "edge-server", "language")
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprintf("%s | %s | %s", strings.Join(p.Manifests, " "), stubList(p), strings.Join(p.SourceDirs, " "))
	want := "Cargo.toml crates/greet/Cargo.toml crates/server/Cargo.toml | crates/greet/src/lib.rs=lib crates/server/src/lib.rs=lib crates/server/src/main.rs=main | vendor"
	if got != want {
		t.Errorf("plan:\n got %s\nwant %s", got, want)
	}
}
