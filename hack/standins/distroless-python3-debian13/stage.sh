#!/usr/bin/env bash
# stage.sh OUT: writes OUT/rootfs.tar, the files of every distroless image
# that are not Debian packages: users and groups (nonroot 65532), homes,
# /tmp, nsswitch.conf and an os-release that says Debian 13. The packages
# themselves are fetched by the Dockerfile, per target architecture.
set -euo pipefail
recipe=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=$1
root=$out/rootfs
rm -rf "$root" && mkdir -p "$root"/etc "$root"/home/nonroot "$root"/root "$root"/tmp
static=$recipe/../distroless-static
install -m 0644 "$static/passwd" "$root/etc/passwd"
install -m 0644 "$static/group" "$root/etc/group"
install -m 0644 "$static/nsswitch.conf" "$root/etc/nsswitch.conf"
install -m 0644 "$recipe/os-release" "$root/etc/os-release"
chown 65532:65532 "$root/home/nonroot"
chmod 0700 "$root/home/nonroot" "$root/root"
chmod 1777 "$root/tmp"
tar --sort=name --mtime=@0 --numeric-owner --format=gnu -C "$root" -cf "$out/rootfs.tar" .
rm -rf "$root"
