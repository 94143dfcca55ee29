#!/usr/bin/env bash
# stage.sh OUT: writes OUT/rootfs-amd64.tar and OUT/rootfs-arm64.tar for the
# distroless cc-debian13 stand-in: the base files plus the GCC runtime
# (libgcc_s, libstdc++, libgomp), from Debian 13 packages (see
# ../debian13.sh).
set -euo pipefail
recipe=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$recipe/../lib.sh"
source "$recipe/../debian13.sh"
distroless13_stage "$recipe" "$1" libc6 libssl3t64 libzstd1 zlib1g libgcc-s1 libstdc++6 libgomp1 gcc-14-base
