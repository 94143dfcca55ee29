package node

import (
	"slices"
	"strings"
	"testing"

	"github.com/org/safe-frontend/sbom"
)

func TestYarnBerry(t *testing.T) {
	files := map[string][]byte{"package.json": []byte(`{"main":"a.js","packageManager":"yarn@4.5.0"}`), "yarn.lock": []byte(""),
		".yarnrc.yml": []byte("enableTelemetry: false\nnodeLinker: node-modules # no PnP\n")}
	d := mustPlan(t, helloSpec(), files, amd64).Text()
	for _, want := range []string{`"\"$0\" \"$1\" install --immutable --mode=skip-build && exec \"$0\" \"$1\" workspaces focus --all --production" "corepack" "yarn@4.5.0"]`, "production install: corepack yarn@4.5.0 install --immutable --mode=skip-build && corepack yarn@4.5.0 workspaces focus --all --production", "YARN_ENABLE_IMMUTABLE_INSTALLS=true"} {
		if !strings.Contains(d, want) {
			t.Errorf("plan lacks %s:\n%s", want, d)
		}
	}
}

// Corepack's signature check stays on: no node plan sets
// COREPACK_INTEGRITY_KEYS; Berry comes from the npm registry.
func TestCorepackChecksStayOn(t *testing.T) {
	for name, files := range map[string]map[string][]byte{
		"npm":   helloFiles(),
		"pnpm":  {"package.json": []byte(`{"main":"a.js","packageManager":"pnpm@12.4.2"}`), "pnpm-lock.yaml": []byte("")},
		"yarn":  {"package.json": []byte(`{"main":"a.js","packageManager":"yarn@1.22.22"}`), "yarn.lock": []byte("")},
		"berry": {"package.json": []byte(`{"main":"a.js","packageManager":"yarn@4.18.1"}`), "yarn.lock": []byte(""), ".yarnrc.yml": []byte("nodeLinker: node-modules\n")},
	} {
		p := mustPlan(t, helloSpec(), files, amd64)
		d := p.Text()
		if strings.Contains(d, "COREPACK_INTEGRITY_KEYS") {
			t.Errorf("%s: a step sets COREPACK_INTEGRITY_KEYS", name)
		}
		if berry := strings.Contains(d, "COREPACK_NPM_REGISTRY=https://registry.npmjs.org"); berry != (name == "berry") {
			t.Errorf("%s: COREPACK_NPM_REGISTRY set = %v", name, berry)
		}
		if len(p.Final.SBOM) == 0 {
			t.Errorf("%s: no SBOM source", name)
		}
		for _, src := range p.Final.SBOM {
			if !slices.Contains(sbom.Kinds(), src.Kind) {
				t.Errorf("%s: no SBOM reader for kind %q", name, src.Kind)
			}
		}
	}
}

// A cross build installs pnpm's production tree for the target where the
// pinned pnpm can (10.14 and later), and runs no install scripts.
func TestPnpmCross(t *testing.T) {
	for _, c := range []struct {
		version string
		want    string
	}{
		{"12.4.2+sha512.08adc661", `"--ignore-scripts" "--os=linux" "--cpu=arm64" "--libc=glibc"`},
		{"10.14.0", `"--cpu=arm64"`},
		{"10.13.1", `"--ignore-scripts"]`},
	} {
		files := map[string][]byte{"package.json": []byte(`{"main":"a.js","packageManager":"pnpm@` + c.version + `"}`), "pnpm-lock.yaml": []byte("")}
		d := mustPlan(t, helloSpec(), files, arm64).Text()
		if !strings.Contains(d, c.want) {
			t.Errorf("pnpm %s: plan lacks %s:\n%s", c.version, c.want, d)
		}
		if strings.Contains(c.version, "10.13") && strings.Contains(d, "--cpu=") {
			t.Errorf("pnpm %s does not know --cpu", c.version)
		}
	}
	for v, want := range map[string]bool{"10.14.0": true, "12.4.2+sha512.ab": true, "9.15.0": false, "10.2": false, "x.y": false, "11.0.0-rc.1": true} {
		if got := versionAtLeast(v, 10, 14); got != want {
			t.Errorf("versionAtLeast(%q, 10, 14) = %v", v, got)
		}
	}
}
