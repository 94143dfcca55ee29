#!/usr/bin/env bash
# stage.sh OUT: writes OUT/rootfs.tar (as the static stand-in) and
# OUT/glibc.tar (the host's loader, libc and the libraries glibc programs
# commonly dlopen or link: NSS, resolver, math, threads).
set -euo pipefail
recipe=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$recipe/../lib.sh"
out=$1
rm -rf "$out/rootfs" "$out/glibc" && mkdir -p "$out/rootfs" "$out/glibc"
distroless_rootfs "$recipe" "$out/rootfs"
pack_rootfs "$out/rootfs" "$out/rootfs.tar"

# Ask the dynamic linker where libc and the loader live instead of
# hard-coding an architecture triplet.
ldd_out=$(ldd /bin/true)
libc=$(awk '$1 == "libc.so.6" { print $3 }' <<<"$ldd_out")
loader=$(awk '$1 ~ /^\/.*ld-linux/ { print $1 }' <<<"$ldd_out")
[[ -n $libc && -n $loader ]] || { echo "cannot locate libc/loader from: $ldd_out" >&2; exit 1; }
libdir=$(dirname "$(readlink -f "$libc")")
# Keep the path the host uses (e.g. lib/x86_64-linux-gnu), not the
# usr-merged real one, as the real image does.
dest=$out/glibc/lib/$(basename "$(dirname "$libc")")
mkdir -p "$dest" "$out/glibc$(dirname "$loader")"
for lib in "$(basename "$loader")" libc.so.6 libm.so.6 libpthread.so.0 libdl.so.2 librt.so.1 \
	libresolv.so.2 libnss_files.so.2 libnss_dns.so.2 libutil.so.1 libanl.so.1; do
	if [[ -e $libdir/$lib ]]; then
		cp -L "$libdir/$lib" "$dest/$lib"
	fi
done
[[ -e $dest/libc.so.6 ]] || { echo "libc.so.6 not found in $libdir" >&2; exit 1; }
ln -sf "/lib/$(basename "$(dirname "$libc")")/$(basename "$loader")" "$out/glibc$loader"
pack_rootfs "$out/glibc" "$out/glibc.tar"
rm -rf "$out/rootfs" "$out/glibc"
