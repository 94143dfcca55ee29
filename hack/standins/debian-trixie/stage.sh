#!/usr/bin/env bash
# stage.sh OUT: writes OUT/rootfs.tar, a Debian 13 (trixie) minbase made by
# debootstrap from the mirror of the host's apt sources. debootstrap's output
# is not byte-stable, so the tar is kept and only remade when this recipe
# changes (OUT/recipe records the recipe's hash); the stand-in's cache key
# then stays put between runs.
set -euo pipefail
recipe=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$recipe/../lib.sh"
out=$1
mkdir -p "$out"
want=$(cd "$recipe/.." && cat lib.sh debian-trixie/Dockerfile debian-trixie/stage.sh | sha256sum | cut -c1-16)
if [[ -f $out/rootfs.tar && -f $out/recipe && $(cat "$out/recipe") == "$want" ]]; then
	exit 0
fi
command -v debootstrap >/dev/null || { echo "missing debootstrap: apt-get install -y debootstrap" >&2; exit 1; }
[[ -f /usr/share/debootstrap/scripts/trixie ]] || { echo "debootstrap does not know trixie: apt-get install -y debootstrap (from bookworm-updates or newer)" >&2; exit 1; }
# The Debian archive the host's apt uses (one-line or deb822 sources, as apt
# parses them); never a hard-coded host.
mirror=$(apt-get indextargets --format '$(REPO_URI)|$(RELEASE)' 'Created-By: Packages' 2>/dev/null |
	awk -F'|' '$2 !~ /-(security|updates|backports)$/ { sub(/\/$/, "", $1); print $1; exit }')
[[ -n $mirror ]] || { echo "the host's apt sources name no Debian mirror: add one (e.g. http://deb.debian.org/debian) and apt-get update" >&2; exit 1; }
root=$out/rootfs
rm -rf "$root" "$out/rootfs.tar"
debootstrap --variant=minbase trixie "$root" "$mirror" >"$out/debootstrap.log" 2>&1 || {
	tail -n 20 "$out/debootstrap.log" >&2
	echo "debootstrap trixie from $mirror failed (log $out/debootstrap.log)" >&2
	exit 1
}
# As in the real slim image: the official mirror, no downloaded lists or
# packages, and apt told to drop what it downloads.
cat >"$root/etc/apt/sources.list.d/debian.sources" <<SOURCES
Types: deb
URIs: http://deb.debian.org/debian
Suites: trixie trixie-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: trixie-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
rm -f "$root/etc/apt/sources.list"
cat >"$root/etc/apt/apt.conf.d/docker-clean" <<'CLEAN'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
CLEAN
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb \
	"$root"/var/log/* "$root"/debootstrap "$root"/etc/machine-id
: >"$root/etc/hostname"
pack_rootfs "$root" "$out/rootfs.tar"
rm -rf "$root"
echo "$want" >"$out/recipe"
