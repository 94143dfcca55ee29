#!/usr/bin/env bash
# stage.sh OUT: writes OUT/rootfs-amd64.tar and OUT/rootfs-arm64.tar for the
# distroless static-debian13 stand-in: base-files, netbase, tzdata,
# media-types, the CA bundle and the users, from Debian 13 packages (see
# ../debian13.sh).
set -euo pipefail
recipe=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$recipe/../lib.sh"
source "$recipe/../debian13.sh"
distroless13_stage "$recipe" "$1" 
