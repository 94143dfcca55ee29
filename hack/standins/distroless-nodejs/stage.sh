#!/usr/bin/env bash
# stage.sh OUT: links the node packages the node stand-in staged (its
# stage.sh runs first) into OUT; the rest of the image is the cc-debian13
# stand-in, as the real nodejs images are distroless cc plus node.
set -euo pipefail
out=$1
mkdir -p "$out"
rm -f "$out/rootfs.tar" # from recipes that staged their own rootfs
node_ctx=$(dirname "$out")/../node/ctx
for arch in amd64 arm64; do
	[[ -f $node_ctx/node-$arch.tgz ]] || { echo "missing $node_ctx/node-$arch.tgz: stage the node stand-in first" >&2; exit 1; }
	ln -f "$node_ctx/node-$arch.tgz" "$out/node-$arch.tgz"
done
