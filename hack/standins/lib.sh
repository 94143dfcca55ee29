# Shared staging helpers for the stand-in base images, sourced by hack/stack.
#
# Each recipe directory holds a Dockerfile and the small text files of the
# image; its stage.sh turns host files (busybox, the Mozilla CA set, tzdata,
# glibc) into a rootfs.tar in a staging directory. The tar is written with
# fixed times, sorted names and numeric owners so the same host produces the
# same bytes, which is what the recipe cache hash relies on.

# pack_rootfs DIR TAR: archive DIR deterministically, keeping owners and modes
# (ADD extracts a local tar with the ownership it records, unlike COPY).
pack_rootfs() {
	tar --sort=name --mtime=@0 --numeric-owner --format=gnu -C "$1" -cf "$2" .
}

# mozilla_ca_bundle FILE: the CA bundle a Debian image would have. Built from
# the pristine Mozilla set, not the host's /etc/ssl/certs bundle, which also
# trusts the local TLS-intercepting proxy: a build that needs that proxy CA
# must ask for it as a secret, as it would with the real image.
mozilla_ca_bundle() {
	local dir=/usr/share/ca-certificates/mozilla
	[[ -d $dir ]] || { echo "missing $dir: apt-get install -y ca-certificates" >&2; return 1; }
	LC_ALL=C cat "$dir"/*.crt >"$1"
}
