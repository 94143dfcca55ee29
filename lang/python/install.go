package python

import (
	"fmt"
	"path"
	"strings"

	"github.com/pkg/errors"

	"github.com/org/safe-frontend/lang"
	"github.com/org/safe-frontend/plan"
	"github.com/org/safe-frontend/spec"
)

// UVVersion is the uv the frontend installs for uv.lock builds: the
// wheel from PyPI, checked against these hashes (manylinux x86_64 and
// aarch64), into the tools venv; it never reaches the image.
const UVVersion = "0.13.9"

var uvWheelHashes = []string{
	"sha256:d7f459fe4fd247d830351c75686d3996ace3c6f3f728eb0e85a30b7ada0cef19", // manylinux_2_17_x86_64
	"sha256:5435c5ce14a56431208ca0996416d310f1598e8c2c8ba707688985a16bb82dbe", // manylinux_2_17_aarch64
	"sha256:ecb6028d79dc96fbeafffe5c8af62a7099487ebc05a701e76714eebcffd06375", // manylinux_2_28_aarch64
}

func uvRequirement() string {
	return "uv==" + UVVersion + " --hash=" + strings.Join(uvWheelHashes, " --hash=") + "\n"
}

// uvEnv makes uv use the venv, the interpreter and the cache the build
// sets up, and never download a Python of its own.
func (p *planner) uvEnv() []string {
	return []string{
		"UV_PROJECT_ENVIRONMENT=" + venvDir,
		"UV_PYTHON=" + p.interp,
		"UV_PYTHON_DOWNLOADS=never",
		"UV_LINK_MODE=copy",
		"UV_CACHE_DIR=" + uvCache,
		"UV_NO_PROGRESS=1",
	}
}

var uvMount = plan.Mount{Target: uvCache, Cache: "uv"}

// installCommand is the install command for the lock and its progress
// name. pip runs from its own venv and installs into /venv (--python), so
// pip never lands in the image; uv likewise lives in the tools venv.
func installCommand(lk *depLock, cross []string) (cmd, name string) {
	pip := toolsDir + "/bin/pip --python " + venvDir + "/bin/python install --no-compile --no-warn-script-location"
	if len(cross) == 0 {
		return nativeInstall(lk, pip)
	}
	// pip installs for another platform only into a directory; the console
	// scripts land in <dir>/bin and move to the venv's bin.
	site := venvSite(lk.version)
	cmd, name = nativeInstall(lk, pip+" "+strings.Join(cross, " ")+" --target "+site)
	return cmd + "\nif [ -d " + site + "/bin ]; then mv " + site + "/bin/* " + venvDir + "/bin/ && rmdir " + site + "/bin; fi",
		name + " (wheels for the target platform)"
}

func nativeInstall(lk *depLock, pip string) (cmd, name string) {
	switch lk.Kind {
	case lockNone:
		return "echo 'no requirements.txt, uv.lock or poetry.lock: nothing to install'", "no dependencies to install"
	case lockPoetry:
		return pip + " --require-hashes --no-deps -r requirements.txt",
			"pip install --require-hashes --no-deps (" + lk.File + ", main group) into " + venvDir
	case lockUV:
		return toolsDir + "/bin/pip install --no-compile --require-hashes --only-binary=:all: -r uv-requirements.txt >/dev/null\n" +
				toolsDir + "/bin/uv sync --locked --no-dev --no-install-project",
			"uv " + UVVersion + " sync --locked --no-dev --no-install-project into " + venvDir
	}
	flags := ""
	if lk.Reqs != nil && lk.Reqs.Hashed {
		flags = " --require-hashes"
	}
	return pip + flags + " -r " + path.Base(lk.File),
		"pip install" + flags + " -r " + path.Base(lk.File) + " into " + venvDir
}

func venvSite(version string) string {
	return venvDir + "/lib/python" + version + "/site-packages"
}

// wheelArch is the wheel platform tag's machine for an OCI architecture.
var wheelArch = map[string]string{"amd64": "x86_64", "arm64": "aarch64"}

// crossWheelOptions are pip's options to install the wheels of the target
// platform: manylinux tags up to the glibc of the final's Debian release,
// the CPython version and ABI. uv.lock cross builds are refused for now.
func crossWheelOptions(rt runtime, version string, lk *depLock, in *lang.Input) ([]string, error) {
	arch, ok := wheelArch[in.Target.Architecture]
	if in.Target.OS != "linux" || !ok || in.Target.Variant != "" && in.Target.Variant != "v8" {
		return nil, errors.Errorf("python: no wheels for %s; build for linux/amd64 or linux/arm64", lang.PlatformString(in.Target))
	}
	if lk.Kind == lockUV {
		return nil, errors.Errorf("python: a uv.lock build for %s on %s is not supported yet; build on a %s machine, or export a hashed requirements.txt (uv export --frozen --no-dev -o requirements.txt)",
			lang.PlatformString(in.Target), lang.PlatformString(in.Build), lang.PlatformString(in.Target))
	}
	cp := "cp" + strings.ReplaceAll(version, ".", "")
	opts := []string{"--only-binary=:all:", "--implementation", "cp", "--python-version", version, "--abi", cp, "--abi", "abi3", "--abi", "none"}
	for minor := rt.Glibc; minor >= 17; minor-- {
		opts = append(opts, "--platform", fmt.Sprintf("manylinux_2_%d_%s", minor, arch))
	}
	return append(opts, "--platform", "manylinux2014_"+arch), nil
}

// caPrelude points pip and Python's ssl at the optional CA secret when it
// was passed; when absent, SSL_CERT_FILE would name a missing file and
// Python would trust nothing, so it is unset and Debian's store is used.
func caPrelude(ca string) string {
	q := lang.ShellQuote(ca)
	return "if [ -s " + q + " ]; then export PIP_CERT=" + q + " SSL_CERT_FILE=" + q + "; else unset SSL_CERT_FILE; fi"
}

// entrypoint is the exec-form entrypoint and the build-time check that
// what it names exists.
func entrypoint(s *spec.Spec) ([]string, string) {
	p := s.Python
	if p == nil {
		p = &spec.Python{}
	}
	py := venvDir + "/bin/python"
	switch {
	case p.Script != "":
		bin := venvDir + "/bin/" + p.Script
		return []string{bin}, "[ -x " + lang.ShellQuote(bin) + " ] || { echo " + lang.ShellQuote("python.script: "+p.Script+" is not a console script of the installed packages; "+venvDir+"/bin has:") + " >&2; ls " + venvDir + "/bin >&2; exit 1; }"
	case p.Module != "":
		return []string{py, "-m", p.Module}, "true"
	default:
		main := p.Main
		if main == "" {
			main = "app.py"
		}
		file := path.Join(appDir, path.Clean("/"+main))
		return []string{py, file}, "[ -f " + lang.ShellQuote(file) + " ] || { echo " + lang.ShellQuote("python.main: "+main+" is not a file in the build context") + " >&2; exit 1; }"
	}
}

// shell runs a script of lines under sh -e; the builder has a shell, the
// final image never does.
func shell(lines ...string) []string {
	return []string{"/bin/sh", "-ec", strings.Join(lines, "\n")}
}
