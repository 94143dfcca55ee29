package rust

import (
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/org/safe-frontend/lang"
	"github.com/org/safe-frontend/spec"
)

// detectManifest is what init reads of a Cargo.toml beyond the build's
// part: the words for the labels and the minimum release.
type detectManifest struct {
	cargoManifest
	Package *struct {
		cargoPackage
		Version     any `toml:"version"`
		Description any `toml:"description"`
		License     any `toml:"license"`
		RustVersion any `toml:"rust-version"`
	} `toml:"package"`
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// Detect: a Cargo.toml at the root; one app for each binary of the root
// package, or of each workspace member.
func (rust) Detect(p *lang.Project) ([]*lang.App, error) {
	raw, ok := p.ReadFile("Cargo.toml")
	if !ok {
		return nil, nil
	}
	var root detectManifest
	if err := decodeTOML("Cargo.toml", raw, &root); err != nil {
		return nil, err
	}
	if root.Package != nil {
		return packageApps(p, ".", &root, false), nil
	}
	if root.Workspace == nil {
		return nil, nil
	}
	var apps []*lang.App
	for _, dir := range memberDirs(p, root.Workspace) {
		var m detectManifest
		dt, _ := p.ReadFile(dir + "/Cargo.toml")
		if decodeTOML(dir+"/Cargo.toml", dt, &m) != nil || m.Package == nil {
			continue
		}
		apps = append(apps, packageApps(p, dir, &m, true)...)
	}
	return apps, nil
}

// memberDirs expands the workspace's members to directories with a
// Cargo.toml.
func memberDirs(p *lang.Project, ws *cargoWorkspace) []string {
	var out []string
	for _, g := range ws.Members {
		g, ok := lang.CleanRel(g)
		if !ok {
			continue
		}
		matches, _ := fs.Glob(p.FS, g+"/Cargo.toml")
		for _, m := range matches {
			if d := path.Dir(m); !slices.Contains(out, d) && !slices.Contains(ws.Exclude, d) {
				out = append(out, d)
			}
		}
	}
	slices.Sort(out)
	return out
}

// packageApps are the apps of one package: one for each binary.
func packageApps(p *lang.Project, dir string, m *detectManifest, member bool) []*lang.App {
	bins := binaries(p, dir, m)
	var apps []*lang.App
	for _, bin := range bins {
		id := dir
		if len(bins) > 1 {
			id = path.Join(dir, bin)
		}
		a := lang.NewApp(id, "rust", lang.NameFrom(bin))
		a.Note("name", "the binary's name")
		a.Spec.Version = str(m.Package.Version)
		a.Spec.Rust = &spec.Rust{Version: rustVersion(p, a, str(m.Package.RustVersion))}
		if member {
			a.Spec.Rust.Package = m.Package.Name
		}
		if len(bins) > 1 {
			a.Spec.Rust.Bin = bin
		}
		static := true
		if c := needsLibc(m); c != "" {
			static = false
			a.Note("rust/static", "%s links a C library dynamically (OpenSSL): the binary runs on distroless cc", c)
		}
		a.Spec.Rust.Static = &static
		a.Describe(str(m.Package.License), str(m.Package.Description), "Cargo.toml")
		a.ApplyHints(p.Hints(dir, ".rs"), "", 0)
		apps = append(apps, a)
	}
	return apps
}

// binaries are the package's binary targets: [[bin]], src/main.rs,
// src/bin/*.rs and src/bin/*/main.rs, as cargo finds them.
func binaries(p *lang.Project, dir string, m *detectManifest) []string {
	var out []string
	add := func(n string) {
		if cargoNameOK(n) && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	for _, b := range m.Bin {
		add(b.Name)
	}
	if p.Has(path.Join(dir, "src/main.rs")) {
		add(m.Package.Name)
	}
	files, _ := fs.Glob(p.FS, path.Join(dir, "src/bin/*.rs"))
	for _, f := range files {
		add(strings.TrimSuffix(path.Base(f), ".rs"))
	}
	mains, _ := fs.Glob(p.FS, path.Join(dir, "src/bin/*/main.rs"))
	for _, f := range mains {
		add(path.Base(path.Dir(f)))
	}
	return out
}

// rustVersion: the toolchain file's release, else the default when it
// meets the package's rust-version.
func rustVersion(p *lang.Project, a *lang.App, minimum string) string {
	tc, err := readRustToolchain(p.Files(rustToolchainToml, rustToolchainLegacy))
	switch {
	case err != nil:
		a.Guess("rust/version", "%s", lang.Truncate(err.Error(), 200))
	case tc != nil:
		a.Note("rust/version", "from %s", tc.File)
		return tc.Release
	case minimum != "" && rustMinor(minimum) > rustMinor(DefaultVersion):
		a.Guess("rust/version", "Cargo.toml's rust-version %s is newer than the frontend's default release: pin it in rust-toolchain.toml", lang.Truncate(minimum, 20))
	case minimum != "":
		a.Note("rust/version", "Cargo.toml's rust-version is %s: the frontend's default release meets it", lang.Truncate(minimum, 20))
	default:
		a.Guess("rust/version", "no rust-toolchain.toml: the frontend's default release")
	}
	return DefaultVersion
}

// libcCrates link OpenSSL, which a static build cannot carry.
var libcCrates = []string{"openssl", "openssl-sys", "native-tls", "postgres-openssl"}

// needsLibc names a dependency that needs a shared C library, or "".
func needsLibc(m *detectManifest) string {
	for _, c := range slices.Sorted(mapsKeys(m.Dependencies)) {
		if slices.Contains(libcCrates, c) {
			return c
		}
		// reqwest's default TLS is native-tls.
		if c == "reqwest" {
			if t, ok := m.Dependencies[c].(map[string]any); !ok || t["default-features"] != false {
				return c
			}
		}
	}
	return ""
}

// rustMinor is the 95 of "1.95" or "1.95.0", 0 when it is no release.
func rustMinor(v string) int {
	_, rest, _ := strings.Cut(v, ".")
	minor, _, _ := strings.Cut(rest, ".")
	n, _ := strconv.Atoi(minor)
	return n
}
