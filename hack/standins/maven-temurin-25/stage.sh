#!/usr/bin/env bash
# stage.sh OUT: writes OUT/apt-pins for the maven:3-eclipse-temurin-25
# stand-in: the exact Debian trixie versions of OpenJDK 25 and Maven, read
# from the private trixie package lists (hack/debs.sh) that the distroless
# stand-ins are pinned by. The Dockerfile installs those versions, so the
# recipe hash (which covers this file) changes when Debian ships a new JDK,
# and not otherwise.
set -euo pipefail
recipe=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$recipe/../lib.sh"
source "$recipe/../../debs.sh"
out=$1
mkdir -p "$out"
dir=$(debs_state trixie amd64)
[[ -f $dir/lists/.updated ]] || debs_update "$dir"
pins=()
for pkg in openjdk-25-jdk-headless maven binutils; do
	version=$(debs_apt "$dir" -qq install --print-uris --no-install-recommends -s "$pkg" 2>/dev/null |
		awk -v p="$pkg" '$1 == "Inst" && $2 == p { gsub(/[()]/, "", $3); print $3; exit }')
	[[ -n $version ]] || { echo "trixie (amd64) has no $pkg: APT_CONFIG=$dir/apt.conf apt-cache policy $pkg" >&2; exit 1; }
	pins+=("$pkg=$version")
done
printf '%s\n' "${pins[@]}" >"$out/apt-pins"
