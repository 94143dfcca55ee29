package node

import (
	"strconv"
	"strings"
)

// npmArch is npm's name (process.arch) for an OCI architecture.
func npmArch(a string) string {
	switch a {
	case "amd64":
		return "x64"
	case "386":
		return "ia32"
	}
	return a
}

// versionAtLeast reports whether a package manager version ("10.14.0",
// "12.4.2+sha512.<hex>") is major.minor or later; an unreadable one is not.
func versionAtLeast(v string, major, minor int) bool {
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 {
		return false
	}
	ma, err1 := strconv.Atoi(parts[0])
	mi, err2 := strconv.Atoi(parts[1])
	if err1 != nil || err2 != nil {
		return false
	}
	return ma > major || ma == major && mi >= minor
}

// managerCmd is the command line that runs the manager: npm directly, pnpm
// and yarn through corepack at the pinned version.
func (d *decision) managerCmd() []string {
	if d.manager == managerNPM {
		return []string{"npm"}
	}
	return []string{"corepack", d.manager + "@" + d.version}
}

// installArgs is the frozen install; prod leaves devDependencies out.
func (d *decision) installArgs(prod bool, target string) []string {
	args := d.managerCmd()
	switch {
	case d.manager == managerNPM:
		args = append(args, "ci", "--no-audit", "--no-fund")
		if prod {
			args = append(args, "--omit=dev")
		}
		if target != "" {
			args = append(args, "--os=linux", "--cpu="+target, "--ignore-scripts")
		}
	case d.manager == managerPNPM:
		args = append(args, "install", "--frozen-lockfile")
		if prod {
			args = append(args, "--prod")
		}
		if target != "" {
			args = append(args, "--ignore-scripts")
			// pnpm 10.14 and later pick optional platform packages
			// (esbuild's, swc's) for the target, as npm's --cpu does.
			if versionAtLeast(d.version, 10, 14) {
				args = append(args, "--os=linux", "--cpu="+target, "--libc=glibc")
			}
		}
	case d.berry:
		if prod {
			// focus never checks the lockfile, even with immutable
			// installs on: a frozen install (fetch and link, no build
			// scripts) refuses a stale one first, then focus keeps the
			// production tree.
			return []string{"/bin/sh", "-c", berryFocus, args[0], args[1]}
		}
		args = append(args, "install", "--immutable")
	default:
		args = append(args, "install", "--frozen-lockfile", "--non-interactive")
		if prod {
			args = append(args, "--production=true")
		}
		if target != "" {
			args = append(args, "--ignore-scripts")
		}
	}
	return args
}

// frozenInstall runs an install and turns the manager's own "lockfile out
// of date" failure into a reserved exit code; the output streams as is.
const frozenInstall = `{ "$@" 2>&1; echo $? >/tmp/install.status; } | tee /tmp/install.log
st=$(cat /tmp/install.status)
if [ "$st" -ne 0 ] && grep -qE 'are in sync|from lock file|lockfile needs to be updated|ERR_PNPM_OUTDATED_LOCKFILE|YN0028|not up to date with' /tmp/install.log; then
  echo "The lockfile does not match package.json: the frozen install refuses to change it." >&2
  exit 111
fi
exit "$st"`

// berryFocus is Berry's production install: $0 $1 is corepack and
// yarn@<version>.
const berryFocus = `"$0" "$1" install --immutable --mode=skip-build && exec "$0" "$1" workspaces focus --all --production`

// nativeCheck fails a cross build whose production tree holds a package
// built by node-gyp (binding.gyp): its install script was not run and
// could only have compiled for the build machine.
const nativeCheck = `const fs = require("fs"), path = require("path");
const found = [];
let seen = 0;
function walk(dir, depth) {
  if (depth > 12 || seen > 200000 || found.length >= 5) return;
  let entries;
  try { entries = fs.readdirSync(dir, { withFileTypes: true }); } catch { return; }
  for (const e of entries) {
    seen++;
    const p = path.join(dir, e.name);
    if (e.isFile() && e.name === "binding.gyp") found.push(path.relative("/app/node_modules", dir));
    else if (e.isDirectory() && !e.isSymbolicLink()) walk(p, depth + 1);
  }
}
walk("/app/node_modules", 0);
if (found.length) {
  console.error("native addons (binding.gyp) in the production dependencies: " + found.join(", ") +
    "; a cross build cannot compile them for the target platform");
  process.exit(113);
}`
