#!/usr/bin/env bash
# hack/runtime-stage.sh OUT: stages the build context of runtime.Dockerfile,
# the runtime companion image (init + health probe) that safe-frontend copies
# into every image it builds:
#
#   OUT/tini/<arch>/tini-static   from Debian's tini package of that arch
#   OUT/tini/<arch>/copyright     its licence text
#   OUT/tini/<arch>/status        its dpkg control stanza (for SBOMs)
#   OUT/src/                      LICENSE, cmd/safe-probe, internal/probe,
#                                 cmd/safe-static, cmd/safe-precompress,
#                                 staticsite, a go.mod and the vendored
#                                 brotli encoder
#
# Each .deb is checked against the sha256 pinned below before anything is
# taken from it; a mirror serving other bytes stops the build. The packages
# come from the host's Debian mirror through a private apt state (see
# hack/debs.sh), so the host's own apt set-up is left alone.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$repo/hack/debs.sh"

# Debian 13 (trixie) tini, 0.19.0. To move to a new build: fetch it with
# debs_fetch, check its changelog, and pin the new version and digests.
TINI_SUITE=trixie
TINI_VERSION=0.19.0-3+b8
declare -A TINI_SHA256=(
	[amd64]=a443b12107331f67836a64cb6efe1dd92d2765e15568eb4567dccb409a8cd2a0
	[arm64]=442405a197deb2471fc881ef3ee66c399dab2a766280e9b935197f1d18d8d6e8
	[armhf]=69b9aa9cad6e1b476ca5a5018cc0921647044359b350b6d86f7bd23d96ee7539
	[ppc64el]=15209384fc8bbec4d72aa0ed5f29e3d1744ab82ea2dbe59b7fd9c397b5477ce5
	[s390x]=eb3d795cc8f9500702041bfc3bd9fff749e378911fe468d1d575bbe5ccddac53
	[riscv64]=473d435773805f6c341e145ffb647a22e7ffd413ae07430064a2b7f1fd45dffb
)
# Debian's architecture for each OCI platform of hack/platforms; the
# staged directory is named after the OCI architecture (TARGETARCH).
declare -A DEBIAN_ARCH=(
	[linux/amd64]=amd64 [linux/arm64]=arm64 [linux/arm/v7]=armhf
	[linux/ppc64le]=ppc64el [linux/s390x]=s390x [linux/riscv64]=riscv64
)

out=${1:?usage: $0 OUT}
rm -rf "$out/tini" "$out/src"
mkdir -p "$out/src"
while read -r platform; do
	[[ -z $platform || $platform == \#* ]] && continue
	arch=${DEBIAN_ARCH[$platform]:-}
	[[ -n $arch ]] || { echo "runtime-stage: no Debian architecture for $platform (hack/platforms)" >&2; exit 1; }
	deb=$(debs_fetch "$TINI_SUITE" "$arch" "tini=$TINI_VERSION")
	debs_verify "$deb" "${TINI_SHA256[$arch]}"
	tmp=$(mktemp -d)
	dpkg-deb -x "$deb" "$tmp"
	ociarch=${platform#linux/}
	dest=$out/tini/${ociarch%%/*}
	mkdir -p "$dest"
	install -m 0755 "$tmp/usr/bin/tini-static" "$dest/tini-static"
	install -m 0644 "$tmp/usr/share/doc/tini/copyright" "$dest/copyright"
	dpkg-deb -f "$deb" | awk '{ print } $1 == "Package:" { print "Status: install ok installed" }' >"$dest/status"
	rm -rf "$tmp"
done <"$repo/hack/platforms"

[[ -f $repo/LICENSE ]] || { echo "runtime-stage: $repo/LICENSE is missing; the image ships it as safe-probe's licence" >&2; exit 1; }
install -m 0644 "$repo/LICENSE" "$out/src/"
# The probe and the server import the standard library only; the
# precompressor adds brotli, vendored here from the host's module cache
# (checked against go.sum) so the image build downloads nothing. The go.mod
# names that one requirement: other dependency bumps leave the runtime
# image's cache alone.
brotli=$(awk '$1 == "github.com/andybalholm/brotli" { print $2 }' "$repo/go.mod")
[[ -n $brotli ]] || { echo "runtime-stage: github.com/andybalholm/brotli is not in $repo/go.mod" >&2; exit 1; }
{ awk '$1 == "module" || $1 == "go" || $1 == "toolchain"' "$repo/go.mod"; echo "require github.com/andybalholm/brotli $brotli"; } >"$out/src/go.mod"
grep -q '^module ' "$out/src/go.mod" || { echo "runtime-stage: no module line in $repo/go.mod" >&2; exit 1; }
grep -E '^github.com/(andybalholm/brotli|xyproto/randomstring) ' "$repo/go.sum" >"$out/src/go.sum"
for pkg in cmd/safe-probe internal/probe cmd/safe-static cmd/safe-precompress staticsite staticsite/precompress; do
	mkdir -p "$out/src/$pkg"
	for f in "$repo/$pkg"/*.go; do
		[[ $f == *_test.go ]] || install -m 0644 "$f" "$out/src/$pkg/"
	done
done
(cd "$out/src" && GOFLAGS=-mod=mod GOPROXY=off GOWORK=off go mod vendor)
