#!/usr/bin/env bash
# stage.sh OUT: writes OUT/rootfs.tar (users with nonroot 65532, CA bundle,
# nsswitch.conf, /tmp, a Debian 13 os-release) and links the node packages
# the node stand-in staged (run its stage.sh first). The C and C++ runtime
# come from trixie's packages, fetched by the Dockerfile per platform.
set -euo pipefail
recipe=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$recipe/../lib.sh"
out=$1
root=$out/rootfs
rm -rf "$root" && mkdir -p "$root"
distroless_rootfs "$recipe" "$root"
# zoneinfo comes from trixie's tzdata package, recorded in status.d.
rm -rf "$root/usr/share/zoneinfo"
install -m 0644 "$recipe/os-release" "$root/etc/os-release"
pack_rootfs "$root" "$out/rootfs.tar"
rm -rf "$root"
node_ctx=$(dirname "$out")/../node/ctx
for arch in amd64 arm64; do
	[[ -f $node_ctx/node-$arch.tgz ]] || { echo "missing $node_ctx/node-$arch.tgz: stage the node stand-in first" >&2; exit 1; }
	ln -f "$node_ctx/node-$arch.tgz" "$out/node-$arch.tgz"
done
