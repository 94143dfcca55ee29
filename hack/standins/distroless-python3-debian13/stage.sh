#!/usr/bin/env bash
# stage.sh OUT: writes OUT/rootfs-amd64.tar and OUT/rootfs-arm64.tar for the
# distroless python3-debian13 stand-in: the cc set plus Debian's CPython 3.13
# and what its extension modules link (ssl, sqlite3, ctypes, lzma, bz2,
# decimal, readline, dbm, curses, uuid), from Debian 13 packages (see
# ../debian13.sh). Checked: no shell got in, and on the host's architecture
# the interpreter loads those modules from the tree alone.
set -euo pipefail
recipe=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$recipe/../lib.sh"
source "$recipe/../debian13.sh"
out=$1
distroless13_stage "$recipe" "$out" libc6 libssl3t64 libzstd1 zlib1g libgcc-s1 libstdc++6 libgomp1 gcc-14-base \
	libbz2-1.0 liblzma5 libffi8 libexpat1 libmpdec4 libsqlite3-0 libuuid1 libncursesw6 libtinfo6 \
	libreadline8t64 readline-common libcrypt1 libdb5.3t64 \
	libpython3.13-minimal python3.13-minimal libpython3.13-stdlib python3-minimal
native=$(dpkg --print-architecture)
for arch in "${DISTROLESS13_ARCHES[@]}"; do
	list=$(tar -tf "$out/rootfs-$arch.tar")
	grep -qx './usr/bin/python3.13' <<<"$list" || { echo "rootfs-$arch.tar has no /usr/bin/python3.13" >&2; exit 1; }
	if grep -qxE '\./(usr/)?bin/(sh|bash|dash)' <<<"$list"; then
		echo "a shell got into rootfs-$arch.tar" >&2
		exit 1
	fi
	if [[ $arch == "$native" ]]; then
		check=$(mktemp -d)
		tar -C "$check" -xf "$out/rootfs-$arch.tar"
		chroot "$check" /usr/bin/python3.13 -c 'import ssl, sqlite3, ctypes, zlib, lzma, bz2, json, uuid, decimal, hashlib, zoneinfo, readline, dbm, curses; ssl.create_default_context()' ||
			{ rm -rf "$check"; echo "python3.13 cannot load its standard library from rootfs-$arch.tar" >&2; exit 1; }
		rm -rf "$check"
	fi
done
