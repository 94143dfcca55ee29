#!/usr/bin/env bash
# stage.sh OUT: writes OUT/rootfs.tar for the debian:$SUITE-slim stand-in:
# `debootstrap --variant=minbase $SUITE` from the host's Debian mirror
# (amd64), slimmed the way the official slim images are: no docs but the
# copyright files, no man pages, info or locales, and a dpkg configuration
# that keeps later installs slim too. hack/stack sets SUITE.
#
# debootstrap takes a minute or two, so the finished tar is kept under
# ${SAFE_APT_DIR}/debootstrap and reused until this script or the mirror
# changes.
set -euo pipefail
recipe=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$recipe/../lib.sh"
source "$recipe/../../debs.sh"
out=$1
suite=${SUITE:?SUITE (the Debian suite) is set by hack/stack} arch=amd64
mkdir -p "$out"

mirror=$(debs_mirror)
security=$(debs_mirror security 2>/dev/null || echo "${mirror%/debian}/debian-security")
cache=${SAFE_APT_DIR:-$(cd "$recipe/../../.." && pwd)/_output/apt}/debootstrap
key=$({ cat "$recipe"/* "$recipe/../lib.sh"; echo "$mirror $security"; } | sha256sum | cut -c1-16)
cached=$cache/$suite-slim-$arch-$key.tar
if [[ -f $cached ]]; then
	cp "$cached" "$out/rootfs.tar"
	exit 0
fi

command -v debootstrap >/dev/null || { echo "missing debootstrap: apt-get install -y debootstrap" >&2; exit 1; }
[[ $(id -u) -eq 0 ]] || { echo "debootstrap needs root: sudo $0 $*" >&2; exit 1; }
root=$(mktemp -d "/tmp/$suite-slim.XXXXXX")
cleanup() {
	# debootstrap mounts /proc and /sys in the target; never delete through them.
	umount -R "$root/proc" "$root/sys" 2>/dev/null || true
	if ! grep -q " $root/" /proc/mounts; then rm -rf "$root"; fi
}
trap cleanup EXIT
echo "stage: debootstrap --variant=minbase $suite ($arch) from $mirror" >&2
debootstrap --variant=minbase --arch="$arch" --keyring="$DEBS_KEYRING" "$suite" "$root" "$mirror" \
	>"$out/../debootstrap.log" 2>&1 || {
	tail -n 30 "$out/../debootstrap.log" >&2
	echo "debootstrap failed (log: $out/../debootstrap.log)" >&2
	exit 1
}
umount -R "$root/proc" "$root/sys" 2>/dev/null || true
if grep -q " $root/" /proc/mounts; then
	echo "something is still mounted under $root; not cleaning it up:" >&2
	grep " $root/" /proc/mounts >&2
	trap - EXIT
	exit 1
fi

# Sources as the official image has them, on the host's mirror.
rm -f "$root/etc/apt/sources.list"
cat >"$root/etc/apt/sources.list.d/debian.sources" <<SOURCES
Types: deb
URIs: $mirror
Suites: $suite $suite-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $security
Suites: $suite-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
install -m 0644 "$recipe/dpkg-slim.cfg" "$root/etc/dpkg/dpkg.cfg.d/slim"
install -m 0644 "$recipe/apt-slim.conf" "$root/etc/apt/apt.conf.d/slim"

# What dpkg-slim.cfg keeps out of later installs, out of this one too.
find "$root/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete
rm -rf "$root"/usr/share/{man,info,groff,linda,lintian}/* "$root"/usr/share/locale/*
# Machine- and run-specific leftovers: logs, caches, the host's resolver
# and name, device nodes (the runtime provides /dev).
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb \
	"$root"/var/cache/ldconfig/aux-cache "$root"/var/lib/dpkg/*-old "$root"/debootstrap "$root"/dev/*
find "$root/var/log" -type f -delete
: >"$root/etc/resolv.conf"
rm -f "$root/etc/hostname" "$root/etc/machine-id"

mkdir -p "$cache"
pack_rootfs "$root" "$cached.tmp"
mv "$cached.tmp" "$cached"
cp "$cached" "$out/rootfs.tar"
