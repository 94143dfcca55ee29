#!/usr/bin/env bash
# stage.sh OUT: writes OUT/rootfs.tar for the rust stand-in: a Debian trixie
# userland (debootstrap minbase with gcc, libc6-dev and ca-certificates, as
# the real image's buildpack-deps base has) without apt lists, caches and
# docs, and the cargo/rustup directories of the official image with links
# to the toolchain, which the Dockerfile copies from the named context
# "toolchain": OUT/../toolchain, the host's rustup toolchain without its
# docs (800 MB of HTML) and sources, which the real image does not carry
# either. It is hard links where the filesystem allows, so it costs no disk
# and BuildKit transfers only what the image holds.
#
# debootstrap takes minutes and its output differs from run to run (times,
# caches), so the tar is kept next to OUT under a key of what went into it
# and reused: the same key gives the same bytes, which the recipe hash of
# hack/stack relies on.
set -euo pipefail
recipe=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$recipe/../lib.sh"
out=$1
suite=trixie
packages=gcc,libc6-dev,ca-certificates
toolchain=${RUST_TOOLCHAIN_NAME:?RUST_TOOLCHAIN_NAME is set by hack/stack}
from=${RUST_TOOLCHAIN_DIR:?RUST_TOOLCHAIN_DIR is set by hack/stack}
key=$( (echo "$suite $packages $toolchain"; cat "$0") | sha256sum | cut -c1-16)
cache=$(dirname "$out")/rootfs-$key.tar
mkdir -p "$out"
if [[ ! -f $cache ]]; then
	command -v debootstrap >/dev/null || { echo "missing debootstrap: apt-get install -y debootstrap" >&2; exit 1; }
	mirror=$(awk '$1 == "URIs:" {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
	mirror=${mirror:-http://deb.debian.org/debian}
	root=$(dirname "$out")/rootfs
	rm -rf "$root"
	debootstrap --variant=minbase --include="$packages" "$suite" "$root" "$mirror" >"$(dirname "$out")/debootstrap.log" 2>&1 || {
		tail -n 20 "$(dirname "$out")/debootstrap.log" >&2
		echo "debootstrap $suite failed (log $(dirname "$out")/debootstrap.log)" >&2
		exit 1
	}
	# What the official images drop too; apt works again after apt-get update.
	rm -rf "$root"/var/cache/apt/* "$root"/var/lib/apt/lists/* "$root"/var/log/* \
		"$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/* \
		"$root"/var/cache/debconf/*-old "$root"/var/lib/dpkg/*-old "$root"/etc/machine-id
	# The official image's layout: CARGO_HOME with the tools on PATH,
	# RUSTUP_HOME with the toolchain (copied in by the Dockerfile).
	mkdir -p "$root"/usr/local/cargo/bin "$root"/usr/local/rustup/toolchains/"$toolchain"
	for tool in cargo cargo-clippy cargo-fmt clippy-driver rustc rustdoc rustfmt rust-gdb rust-lldb; do
		ln -s ../../rustup/toolchains/"$toolchain"/bin/"$tool" "$root"/usr/local/cargo/bin/"$tool"
	done
	chmod -R a+w "$root"/usr/local/cargo "$root"/usr/local/rustup
	pack_rootfs "$root" "$cache.tmp"
	mv "$cache.tmp" "$cache"
	rm -rf "$root"
	find "$(dirname "$out")" -maxdepth 1 -name 'rootfs-*.tar' ! -name "rootfs-$key.tar" -delete
fi
ln -f "$cache" "$out/rootfs.tar" 2>/dev/null || cp "$cache" "$out/rootfs.tar"

# The toolchain, trimmed. Rebuilt each time: links are cheap, and a stale
# copy of another toolchain must never be sent.
tcdir=$(dirname "$out")/toolchain
rm -rf "$tcdir"
cp -al "$from" "$tcdir" 2>/dev/null || { rm -rf "$tcdir" && cp -a "$from" "$tcdir"; }
rm -rf "$tcdir"/share/doc "$tcdir"/share/man "$tcdir"/share/zsh "$tcdir"/lib/rustlib/src "$tcdir"/lib/rustlib/rustc-src
touch -r "$from/share" "$tcdir/share"
touch -r "$from/lib/rustlib" "$tcdir/lib/rustlib"
