#!/usr/bin/env bash
# stage.sh OUT: writes OUT/rootfs.tar for the golang stand-in: busybox as the
# shell and coreutils, users with a real home for root (BuildKit takes HOME
# from /etc/passwd; without it the Go build cache in /root/.cache is never
# reused), the CA bundle, /tmp and GOPATH. The toolchain itself is copied by
# the Dockerfile from the named context "goroot".
set -euo pipefail
recipe=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$recipe/../lib.sh"
out=$1
root=$out/rootfs
rm -rf "$root" && mkdir -p "$root"/{bin,etc/ssl/certs,root,tmp,home/nonroot,usr/bin,go/bin,go/src}
[[ -x /bin/busybox ]] || { echo "missing /bin/busybox: apt-get install -y busybox-static" >&2; exit 1; }
install -m 0755 /bin/busybox "$root/bin/busybox"
for applet in $(/bin/busybox --list); do
	[[ $applet == busybox ]] || ln -s busybox "$root/bin/$applet"
done
# Scripts say #!/usr/bin/env; the real image has it there too.
ln -s ../../bin/busybox "$root/usr/bin/env"
install -m 0644 "$recipe/passwd" "$root/etc/passwd"
install -m 0644 "$recipe/group" "$root/etc/group"
install -m 0644 "$recipe/../distroless-static/nsswitch.conf" "$root/etc/nsswitch.conf"
mozilla_ca_bundle "$root/etc/ssl/certs/ca-certificates.crt"
chown 65532:65532 "$root/home/nonroot"
chmod 0700 "$root/root"
chmod 1777 "$root/tmp"
# As in the real image: any user may populate GOPATH.
chmod -R 1777 "$root/go"
pack_rootfs "$root" "$out/rootfs.tar"
rm -rf "$root"
