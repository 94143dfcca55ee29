#!/usr/bin/env bash
# stage.sh OUT: builds buildkit's Dockerfile frontend (the version in go.mod)
# as a static binary into OUT.
set -euo pipefail
recipe=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$recipe/../../.." && pwd)
out=$1
mkdir -p "$out"
(cd "$repo" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -buildid=" -tags "netgo static_build osusergo" \
	-o "$out/dockerfile-frontend" github.com/moby/buildkit/frontend/dockerfile/cmd/dockerfile-frontend)
