# Shared staging for the Debian 13 (trixie) distroless stand-ins, sourced by
# their stage.sh after lib.sh.
#
# Unlike the Debian 12 stand-ins (host files), these are made of the very
# trixie packages the real images are: each .deb is fetched for the target
# architecture (hack/debs.sh: private apt state, the host's mirror),
# unpacked with dpkg-deb -x (no maintainer scripts run) and recorded in
# /var/lib/dpkg/status.d/<package>, as the real images do, so scanners and
# our SBOM list the same Debian packages.

# shellcheck source=../debs.sh
source "$(dirname "${BASH_SOURCE[0]}")/../debs.sh"

DISTROLESS13_ARCHES=(amd64 arm64)
# What every variant has (distroless static-debian13).
DISTROLESS13_STATIC=(base-files netbase tzdata tzdata-legacy media-types)

# distroless13_stage RECIPE OUT PKG...: writes OUT/rootfs-<arch>.tar for
# every architecture: the static files plus PKG.... A tar is rebuilt only
# when the recipe, these scripts or the package lists changed, so a stack
# that is already up pays for the apt look-up only.
distroless13_stage() {
	local recipe=$1 out=$2 arch key keyfile root list debs
	shift 2
	local here
	here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
	mkdir -p "$out"
	for arch in "${DISTROLESS13_ARCHES[@]}"; do
		key=$({
			echo "$arch ${DISTROLESS13_STATIC[*]} $*"
			debs_lists_stamp trixie "$arch"
			cat "$here/lib.sh" "$here/debian13.sh" "$here/../debs.sh" "$here"/distroless-static/{passwd,group,nsswitch.conf} \
				"$here/distroless-static-debian13/os-release"
			find "$recipe" -type f -print0 | sort -z | xargs -0 cat
		} | sha256sum | cut -c1-32)
		keyfile=$out/../rootfs-$arch.key
		if [[ -f $out/rootfs-$arch.tar && -f $keyfile && $(<"$keyfile") == "$key" ]]; then
			continue
		fi
		list=$(debs_fetch trixie "$arch" ca-certificates "${DISTROLESS13_STATIC[@]}" "$@") || return 1
		mapfile -t debs <<<"$list"
		root=$(mktemp -d)
		distroless13_rootfs "$here" "$root" "${debs[@]}" || { rm -rf "$root"; return 1; }
		pack_rootfs "$root" "$out/rootfs-$arch.tar"
		rm -rf "$root"
		echo "$key" >"$keyfile"
	done
}

# distroless13_rootfs STANDINS ROOT CA_DEB DEB...: the distroless layout:
# packages, users root/nobody/nonroot, the CA bundle, /tmp, os-release.
distroless13_rootfs() {
	local here=$1 root=$2 ca=$3 tmp
	shift 3
	debs_unpack "$root" "$@" || return 1
	# As the real images: the bundle made from the package's Mozilla set,
	# its copyright and status stanza, not the package's scripts.
	tmp=$(mktemp -d)
	dpkg-deb -x "$ca" "$tmp"
	mkdir -p "$root/etc/ssl/certs" "$root/usr/share/doc/ca-certificates"
	LC_ALL=C cat "$tmp"/usr/share/ca-certificates/mozilla/*.crt >"$root/etc/ssl/certs/ca-certificates.crt"
	install -m 0644 "$tmp/usr/share/doc/ca-certificates/copyright" "$root/usr/share/doc/ca-certificates/copyright"
	rm -rf "$tmp"
	dpkg-deb -f "$ca" | awk '{ print } $1 == "Package:" { print "Status: install ok installed" }' \
		>"$root/var/lib/dpkg/status.d/ca-certificates"
	[[ -s $root/etc/ssl/certs/ca-certificates.crt ]] || { echo "no certificates in $ca" >&2; return 1; }
	# base-files makes /etc/os-release a symlink to /usr/lib/os-release;
	# distroless replaces it with its own file.
	rm -f "$root/etc/os-release"
	install -m 0644 "$here/distroless-static-debian13/os-release" "$root/etc/os-release"
	install -m 0644 "$here/distroless-static/passwd" "$root/etc/passwd"
	install -m 0644 "$here/distroless-static/group" "$root/etc/group"
	install -m 0644 "$here/distroless-static/nsswitch.conf" "$root/etc/nsswitch.conf"
	mkdir -p "$root/home/nonroot" "$root/root" "$root/tmp"
	chown 0:0 "$root"
	chmod 0755 "$root"
	chown 65532:65532 "$root/home/nonroot"
	chmod 0700 "$root/home/nonroot" "$root/root"
	chmod 1777 "$root/tmp"
}
