#!/usr/bin/env bash
# stage.sh OUT: writes OUT/rootfs.tar for the distroless static stand-in.
set -euo pipefail
recipe=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$recipe/../lib.sh"
out=$1
rm -rf "$out/rootfs" && mkdir -p "$out/rootfs"
distroless_rootfs "$recipe" "$out/rootfs"
pack_rootfs "$out/rootfs" "$out/rootfs.tar"
rm -rf "$out/rootfs"
