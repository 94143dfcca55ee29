package sbom

import (
	"os"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

func testFile(t testing.TB, name string) []byte {
	t.Helper()
	dt, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return dt
}

func TestPNPMLock(t *testing.T) {
	const lock = "app/node_modules/.pnpm/lock.yaml"
	for _, c := range []struct {
		file string
		want []string
	}{
		// What a production install keeps: ms only.
		{"testdata/pnpm/hidden-lock.yaml", []string{"pkg:npm/ms@2.1.3"}},
		// pnpm 12's project lockfile: the document pinning pnpm itself is
		// not the app's; the project's lists its devDependency too.
		{"testdata/pnpm/project-lock.yaml", []string{"pkg:npm/ms@2.1.3", "pkg:npm/prettier@3.10.1"}},
	} {
		t.Run(c.file, func(t *testing.T) {
			fsys := fstest.MapFS{lock: {Data: testFile(t, c.file)}}
			pkgs, err := Read(fsys, []Source{{Kind: KindPNPMLock, Path: "/" + lock, App: "node-pnpm", AppVersion: "1.0.0"}})
			if err != nil {
				t.Fatal(err)
			}
			if len(pkgs) != 1 || pkgs[0].PURL != "pkg:generic/node-pnpm@1.0.0" {
				t.Fatalf("want the app owning the packages, got %+v", pkgs)
			}
			deps := pkgs[0].DependsOn
			if got := purls(deps); !slices.Equal(got, c.want) {
				t.Fatalf("purls:\n got %q\nwant %q", got, c.want)
			}
			if cs := deps[0].Checksums; len(cs) != 1 || cs[0].Algorithm != "SHA512" || len(cs[0].Value) != 128 {
				t.Errorf("ms checksums %+v", cs)
			}
		})
	}
	t.Run("scoped-and-peers", func(t *testing.T) {
		fsys := fstest.MapFS{lock: meta("lockfileVersion: '9.0'\npackages:\n  '@types/node@22.10.2':\n    resolution: {integrity: sha1-AAAAAAAAAAAAAAAAAAAAAAAAAAA=}\n  react-dom@18.3.1(react@18.3.1):\n    resolution: {integrity: x}\n")}
		pkgs, err := Read(fsys, []Source{{Kind: KindPNPMLock, Path: "/" + lock}})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := purls(pkgs), []string{"pkg:npm/%40types/node@22.10.2", "pkg:npm/react-dom@18.3.1"}; !slices.Equal(got, want) {
			t.Fatalf("purls:\n got %q\nwant %q", got, want)
		}
	})
}

func TestYarnLock(t *testing.T) {
	// node_modules as a production install leaves it: ms, not prettier;
	// a workspace package is a link, and a nested copy is found.
	modules := fstest.MapFS{
		"app/node_modules/ms/package.json":                         meta(`{"name":"ms","version":"2.1.3"}`),
		"app/node_modules/@demo/greet":                             {Mode: os.ModeSymlink, Data: []byte("../../packages/greet")},
		"app/node_modules/.bin/x":                                  meta(""),
		"app/node_modules/debug/package.json":                      meta(`{"name":"debug","version":"4.4.0"}`),
		"app/node_modules/debug/node_modules/ms/package.json":      meta(`{"name":"ms","version":"2.0.0"}`),
		"app/node_modules/@types/node/package.json":                meta(`{"name":"@types/node","version":"22.10.2"}`),
		"app/node_modules/not-a-package/lib/index.js":              meta(""),
		"app/node_modules/debug/node_modules/.yarn-state.yml":      meta(""),
		"app/node_modules/prettier-plugin-missing-json/README.txt": meta(""),
	}
	v1 := string(testFile(t, "testdata/yarn/v1.lock")) + `
"@types/node@^22":
  version "22.10.2"
  resolved "https://registry.yarnpkg.com/@types/node/-/node-22.10.2.tgz"
  integrity sha512-Xxr6BBRCAOQixvonOye19wnzyDiUtTeqldOOmj3CkeblonbccA12PFwlufvRdrpjXxqnmUaeiU5EOA+7s5diUQ==

debug@^4.4.0:
  version "4.4.0"
  dependencies:
    ms "^2.0.0"

ms@2.0.0, "ms@^2.0.0":
  version "2.0.0"
`
	for _, c := range []struct {
		name, lock string
		want       []string
	}{
		{"v1", v1, []string{"pkg:npm/%40types/node@22.10.2", "pkg:npm/debug@4.4.0", "pkg:npm/ms@2.0.0", "pkg:npm/ms@2.1.3"}},
		{"berry", string(testFile(t, "testdata/yarn/berry.lock")), []string{"pkg:npm/ms@2.1.3"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			fsys := fstest.MapFS{"app/yarn.lock": meta(c.lock)}
			for k, v := range modules {
				fsys[k] = v
			}
			pkgs, err := Read(fsys, []Source{{Kind: KindYarnLock, Path: "/app/yarn.lock", App: "api", AppVersion: "1.0.0"}})
			if err != nil {
				t.Fatal(err)
			}
			if len(pkgs) != 1 || pkgs[0].Name != "api" {
				t.Fatalf("want the app owning the packages, got %+v", pkgs)
			}
			deps := pkgs[0].DependsOn
			if got := purls(deps); !slices.Equal(got, c.want) {
				t.Fatalf("purls:\n got %q\nwant %q", got, c.want)
			}
			if c.name == "v1" {
				ms := deps[len(deps)-1]
				if cs := ms.Checksums; len(cs) != 1 || cs[0].Algorithm != "SHA512" {
					t.Errorf("ms checksums %+v", cs)
				}
			}
		})
	}
	t.Run("no-node_modules", func(t *testing.T) {
		pkgs, err := Read(fstest.MapFS{"app/yarn.lock": meta(v1)}, []Source{{Kind: KindYarnLock, Path: "/app/yarn.lock"}})
		if err != nil || len(pkgs) != 0 {
			t.Fatalf("nothing installed: got %v, %v", pkgs, err)
		}
	})
}

func meta(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }

// Hostile lockfiles: every case fails with an error naming the file, and
// none panics.
func TestNodeLocksHostile(t *testing.T) {
	const pnpm, yarn = "app/node_modules/.pnpm/lock.yaml", "app/yarn.lock"
	cases := []struct {
		name, kind, file, data, want string
	}{
		{"pnpm not yaml", KindPNPMLock, pnpm, "packages: [", "yaml"},
		{"pnpm old version", KindPNPMLock, pnpm, "lockfileVersion: '6.0'\npackages: {}\n", "version 9"},
		{"pnpm packages a list", KindPNPMLock, pnpm, "lockfileVersion: '9.0'\npackages: []\n", pnpm},
		{"pnpm bad key", KindPNPMLock, pnpm, "lockfileVersion: '9.0'\npackages:\n  nover: {}\n", "not name@version"},
		{"pnpm bad name", KindPNPMLock, pnpm, "lockfileVersion: '9.0'\npackages:\n  ../../etc@1: {}\n", "not an npm package name"},
		{"pnpm no version", KindPNPMLock, pnpm, "lockfileVersion: '9.0'\npackages:\n  ab@: {}\n", "has no version"},
		{"pnpm alias bomb", KindPNPMLock, pnpm, "a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\nlockfileVersion: [*g]\n", pnpm},
		{"pnpm many documents", KindPNPMLock, pnpm, strings.Repeat("---\nlockfileVersion: '9.0'\n", 6), "YAML documents"},
		{"yarn v1 no colon", KindYarnLock, yarn, "ms@^2\n  version \"1\"\n", yarn + ":1"},
		{"yarn v1 no version", KindYarnLock, yarn, "ms@^2:\n  resolved \"x\"\n", "has no version"},
		{"yarn v1 bad name", KindYarnLock, yarn, "\"../x@1\":\n  version \"1\"\n", "npm package name"},
		{"yarn v1 long line", KindYarnLock, yarn, "ms@^2:\n  version \"" + strings.Repeat("1", 2<<20) + "\"\n", yarn},
		{"yarn berry list", KindYarnLock, yarn, "__metadata: []\nms@npm:1: [1]\n", yarn},
		{"yarn berry bad resolution", KindYarnLock, yarn, "__metadata: {version: 8}\n\"ms@npm:1\": {version: 1, resolution: \"nope\"}\n", "npm package name"},
		{"yarn berry no version", KindYarnLock, yarn, "__metadata: {version: 8}\n\"ms@npm:1\": {resolution: \"ms@npm:1.0.0\"}\n", "not a version"},
		{"missing", KindYarnLock, yarn, "", "not exist"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fsys := fstest.MapFS{}
			if c.want != "not exist" {
				fsys[c.file] = meta(c.data)
			}
			_, err := Read(fsys, []Source{{Kind: c.kind, Path: "/" + c.file}})
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), c.file) || strings.Contains(err.Error(), "internal error") {
				t.Errorf("error %q, want one naming %s and saying %q", err, c.file, c.want)
			}
		})
	}
	t.Run("bad package.json in node_modules", func(t *testing.T) {
		fsys := fstest.MapFS{yarn: meta("ms@^2:\n  version \"2.1.3\"\n"), "app/node_modules/ms/package.json": meta("{")}
		_, err := Read(fsys, []Source{{Kind: KindYarnLock, Path: "/" + yarn}})
		if err == nil || !strings.Contains(err.Error(), "app/node_modules/ms/package.json") {
			t.Fatalf("err = %v, want one naming the package.json", err)
		}
	})
}

func FuzzPNPMLock(f *testing.F) {
	f.Add(testFile(f, "testdata/pnpm/hidden-lock.yaml"))
	f.Add(testFile(f, "testdata/pnpm/project-lock.yaml"))
	f.Fuzz(func(t *testing.T, lock []byte) {
		fsys := fstest.MapFS{"l.yaml": {Data: lock}}
		_, err := Read(fsys, []Source{{Kind: KindPNPMLock, Path: "/l.yaml"}})
		if err != nil && strings.Contains(err.Error(), "internal error") {
			t.Fatal(err)
		}
	})
}

func FuzzYarnLock(f *testing.F) {
	f.Add(testFile(f, "testdata/yarn/v1.lock"), []byte(`{"name":"ms","version":"2.1.3"}`))
	f.Add(testFile(f, "testdata/yarn/berry.lock"), []byte(`{"name":"ms","version":"2.1.3"}`))
	f.Fuzz(func(t *testing.T, lock, pkgJSON []byte) {
		fsys := fstest.MapFS{"yarn.lock": {Data: lock}, "node_modules/ms/package.json": {Data: pkgJSON}}
		_, err := Read(fsys, []Source{{Kind: KindYarnLock, Path: "/yarn.lock"}})
		if err != nil && strings.Contains(err.Error(), "internal error") {
			t.Fatal(err)
		}
	})
}
