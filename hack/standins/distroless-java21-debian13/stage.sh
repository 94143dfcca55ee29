#!/usr/bin/env bash
# stage.sh OUT: writes OUT/rootfs-amd64.tar and OUT/rootfs-arm64.tar for the
# distroless java21-debian13 stand-in: the cc set plus Debian's OpenJDK 21
# JRE (openjdk-21-jre-headless, unpacked, no maintainer scripts) and the
# libraries its native parts link (lcms2, libjpeg), from Debian 13 packages
# (see ../debian13.sh). What the package's scripts would have made is made
# here: /usr/bin/java, and the JRE's truststore /etc/ssl/certs/java/cacerts
# built from the pristine Mozilla set by Debian's own ca-certificates-java
# tool, run once with the amd64 JRE under chroot (in a private mount
# namespace, so the /proc it needs is never left mounted). Checked: no
# shell got in, and on the host's architecture java runs from the tree
# alone and reads the truststore.
set -euo pipefail
recipe=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$recipe/../lib.sh"
source "$recipe/../debian13.sh"
out=$1
jre=/usr/lib/jvm/java-21-openjdk
distroless13_stage "$recipe" "$out" libc6 libssl3t64 libzstd1 zlib1g libgcc-s1 libstdc++6 libgomp1 gcc-14-base \
	openjdk-21-jre-headless liblcms2-2 libjpeg62-turbo

# in_chroot ROOT CMD...: CMD inside ROOT with /proc mounted (java finds
# libjli.so through /proc/self/exe), in a mount namespace of its own.
in_chroot() {
	local root=$1
	shift
	unshare --mount --propagation private -- sh -c 'mount -t proc proc "$0/proc" && exec chroot "$0" "$@"' "$root" "$@"
}

# cacerts: made once per amd64 rootfs (the file is the same on every
# architecture) and kept next to OUT, as the JKS store holds creation times.
cacerts=$out/../cacerts
native=$(dpkg --print-architecture)
for arch in "${DISTROLESS13_ARCHES[@]}"; do # amd64 first: it makes cacerts
	tar=$out/rootfs-$arch.tar
	if tar -tf "$tar" | grep -x './usr/bin/java' >/dev/null; then
		continue # finished on an earlier run
	fi
	root=$(mktemp -d)
	tar -C "$root" -xf "$tar"
	mkdir -p "$root/proc"
	[[ -x $root$jre-$arch/bin/java ]] || { rm -rf "$root"; echo "rootfs-$arch.tar has no $jre-$arch/bin/java" >&2; exit 1; }
	if [[ $arch == amd64 ]]; then
		mapfile -t debs < <(debs_fetch trixie amd64 ca-certificates ca-certificates-java)
		tools=$(mktemp -d)
		dpkg-deb -x "${debs[0]}" "$tools"
		dpkg-deb -x "${debs[1]}" "$tools"
		mkdir -p "$root/tmp/cacerts/certs" "$root/etc/ssl/certs/java"
		cp "$tools"/usr/share/ca-certificates/mozilla/*.crt "$root/tmp/cacerts/certs/"
		cp "$tools/usr/share/ca-certificates-java/ca-certificates-java.jar" "$root/tmp/cacerts/"
		rm -rf "$tools"
		# Debian's aliases: debian:<name>.pem.
		(cd "$root/tmp/cacerts/certs" && for f in *.crt; do mv "$f" "${f%.crt}.pem"; done)
		(cd "$root" && LC_ALL=C find tmp/cacerts/certs -name '*.pem' | sort | sed 's|^|+/|') >"$root/tmp/cacerts/list"
		in_chroot "$root" "$jre-amd64/bin/java" -Xmx64m -jar /tmp/cacerts/ca-certificates-java.jar -storepass changeit \
			<"$root/tmp/cacerts/list" >"$out/../cacerts.log" 2>&1 || {
			tail -n 20 "$out/../cacerts.log" >&2
			rm -rf "$root"
			echo "making cacerts with the amd64 JRE failed (log $out/../cacerts.log)" >&2
			exit 1
		}
		rm -rf "$root/tmp/cacerts"
		n=$(grep -c '^Adding' "$out/../cacerts.log" || true)
		((n > 100)) || { rm -rf "$root"; echo "cacerts holds only $n certificates (log $out/../cacerts.log)" >&2; exit 1; }
		mv "$root/etc/ssl/certs/java/cacerts" "$cacerts"
	fi
	[[ -s $cacerts ]] || { rm -rf "$root"; echo "no $cacerts: stage amd64 first" >&2; exit 1; }
	install -D -m 0644 "$cacerts" "$root/etc/ssl/certs/java/cacerts"
	ln -sf "../lib/jvm/java-21-openjdk-$arch/bin/java" "$root/usr/bin/java"
	if [[ $arch == "$native" ]]; then
		in_chroot "$root" /usr/bin/java -XshowSettings:properties -version 2>&1 | grep 'java.home = ' >/dev/null ||
			{ rm -rf "$root"; echo "java does not run from rootfs-$arch" >&2; exit 1; }
		in_chroot "$root" "$jre-$arch/bin/keytool" -list -cacerts -storepass changeit | grep -i 'debian:isrg_root_x1.pem' >/dev/null ||
			{ rm -rf "$root"; echo "the JRE of rootfs-$arch does not read /etc/ssl/certs/java/cacerts" >&2; exit 1; }
	fi
	rmdir "$root/proc"
	if find "$root" \( -name sh -o -name bash -o -name dash \) -print | grep -q .; then
		rm -rf "$root"
		echo "a shell got into rootfs-$arch" >&2
		exit 1
	fi
	pack_rootfs "$root" "$tar.tmp"
	mv "$tar.tmp" "$tar"
	rm -rf "$root"
done
