#!/usr/bin/env bash
# stage.sh OUT: writes OUT/apt-pins for a maven:3-eclipse-temurin-$JAVA
# stand-in: the exact versions of OpenJDK $JAVA, Maven and binutils in
# Debian $SUITE, read from the private package lists of hack/debs.sh (the
# ones the distroless stand-ins are pinned by). The Dockerfile installs
# those versions, so the recipe hash (which covers OUT) changes when Debian
# ships a new JDK, and not otherwise. hack/stack sets JAVA and SUITE.
set -euo pipefail
recipe=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$recipe/../lib.sh"
source "$recipe/../../debs.sh"
out=$1
java=${JAVA:?JAVA (the JDK feature version) is set by hack/stack}
suite=${SUITE:?SUITE (the Debian suite) is set by hack/stack}
mkdir -p "$out"
dir=$(debs_state "$suite" amd64)
[[ -f $dir/lists/.updated ]] || debs_update "$dir"
pins=()
for pkg in "openjdk-$java-jdk-headless" maven binutils; do
	version=$(debs_apt "$dir" -qq install --print-uris --no-install-recommends -s "$pkg" 2>/dev/null |
		awk -v p="$pkg" '$1 == "Inst" && $2 == p { gsub(/[()]/, "", $3); print $3; exit }')
	[[ -n $version ]] || { echo "$suite (amd64) has no $pkg: APT_CONFIG=$dir/apt.conf apt-cache policy $pkg" >&2; exit 1; }
	pins+=("$pkg=$version")
done
printf '%s\n' "${pins[@]}" >"$out/apt-pins"
