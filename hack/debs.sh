# hack/debs.sh: fetch Debian packages of any suite and architecture without
# touching the host's apt set-up. Sourced by hack/runtime-stage.sh and the
# Debian 13 stand-in recipes.
#
# Each suite gets a private apt state (lists, cache, config) under
# ${SAFE_APT_DIR:-<repo>/_output/apt}/<suite>; hack/stack points SAFE_APT_DIR
# at its state directory. The mirror is the one the host's apt sources name;
# archive signatures are checked against the host's Debian archive keyring.
# Package lists are fetched once and refreshed only when a download fails
# (the mirror moved on), so repeated runs see the same package versions and
# the recipe hashes of what is built from them stay put.

DEBS_KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg

debs_die() {
	echo "debs: $1" >&2
	[[ $# -gt 1 ]] && echo "debs:   fix: $2" >&2
	return 1
}

# debs_mirror [security]: the Debian mirror of the host's apt sources (the
# archive, or with "security" the security archive), as apt itself parses
# them, so one-line and deb822 sources both work. On a host that is not
# Debian (an Ubuntu CI runner), SAFE_DEBIAN_MIRROR names the archive.
debs_mirror() {
	local want=${1:-main} uri release
	if [[ -n ${SAFE_DEBIAN_MIRROR:-} ]]; then
		case $want in
		main) echo "${SAFE_DEBIAN_MIRROR%/}" ;;
		*) echo "${SAFE_DEBIAN_MIRROR%/}-security" ;;
		esac
		return 0
	fi
	while IFS='|' read -r uri release; do
		case $want:$release in
		security:*-security) echo "${uri%/}"; return 0 ;;
		main:*-security | main:*-updates | main:*-backports | main:*-proposed-updates) ;;
		main:?*) echo "${uri%/}"; return 0 ;;
		esac
	done < <(apt-get indextargets --format '$(REPO_URI)|$(RELEASE)' 'Created-By: Packages' 2>/dev/null | sort -u)
	debs_die "the host's apt sources name no Debian ${want/main/archive} mirror" \
		"add one to /etc/apt/sources.list.d/debian.sources (e.g. URIs: http://deb.debian.org/debian), then apt-get update"
}

# debs_state SUITE ARCH: prints the private apt directory for SUITE on ARCH,
# creating its configuration on first use. ARCH is the state's native
# architecture, so plain package names resolve as on a machine of that
# architecture, architecture-independent ones included.
debs_state() {
	local suite=$1 arch=$2 dir mirror security
	dir=${SAFE_APT_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/_output/apt}/$suite-$arch
	if [[ ! -f $dir/apt.conf ]]; then
		command -v apt-get >/dev/null || debs_die "apt-get is needed to fetch Debian packages" "run on Debian or Ubuntu" || return 1
		[[ -r $DEBS_KEYRING ]] || debs_die "missing $DEBS_KEYRING" "apt-get install -y debian-archive-keyring" || return 1
		mirror=$(debs_mirror) || return 1
		security=$(debs_mirror security 2>/dev/null || true)
		mkdir -p "$dir"/{lists/partial,archives/partial,debs,etc/sources.list.d,etc/preferences.d,etc/trusted.gpg.d}
		: >"$dir/status"
		{
			echo "deb [signed-by=$DEBS_KEYRING] $mirror $suite main"
			echo "deb [signed-by=$DEBS_KEYRING] $mirror $suite-updates main"
			[[ -n $security ]] && echo "deb [signed-by=$DEBS_KEYRING] $security $suite-security main"
		} >"$dir/etc/sources.list"
		# The host's apt.conf.d (proxy settings) still applies; state, cache,
		# sources and architecture are this directory's own.
		cat >"$dir/apt.conf.$$" <<EOF
Dir::State "$dir";
Dir::State::Lists "$dir/lists";
Dir::State::status "$dir/status";
Dir::Cache "$dir";
Dir::Cache::Archives "$dir/archives";
Dir::Etc::SourceList "$dir/etc/sources.list";
Dir::Etc::SourceParts "$dir/etc/sources.list.d";
Dir::Etc::Preferences "$dir/etc/preferences";
Dir::Etc::PreferencesParts "$dir/etc/preferences.d";
Dir::Etc::TrustedParts "$dir/etc/trusted.gpg.d";
APT::Architecture "$arch";
APT::Architectures { "$arch"; };
APT::Sandbox::User "root";
Acquire::Languages "none";
EOF
		mv "$dir/apt.conf.$$" "$dir/apt.conf"
	fi
	echo "$dir"
}

# debs_apt DIR apt-get-args...: apt-get on the private state. Options given
# with -o win over the host's apt.conf.d, which may turn the package cache
# off (container images do) and fetch AppStream data nothing here reads.
debs_apt() {
	local dir=$1
	shift
	# One apt at a time per state: hack/stack builds images side by side.
	APT_CONFIG=$dir/apt.conf flock "$dir/.lock" apt-get -q -o Dir::Cache::pkgcache="$dir/pkgcache.bin" \
		-o Dir::Cache::srcpkgcache="$dir/srcpkgcache.bin" \
		-o Acquire::IndexTargets::deb::DEP-11::DefaultEnabled=false "$@"
}

debs_update() { # debs_update DIR
	echo "debs: apt-get update ($(head -1 "$1/etc/sources.list" | awk '{print $3, $4}'), $(basename "$1"))" >&2
	debs_apt "$1" update >"$1/update.log" 2>&1 || {
		tail -n 20 "$1/update.log" >&2
		debs_die "apt-get update of $1 failed" "check the network and the mirror in $1/etc/sources.list"
		return 1
	}
	# Its time tells callers that cache what they built from the lists
	# that the lists changed.
	touch "$1/lists/.updated"
}

# debs_lists_stamp SUITE ARCH: when the lists of SUITE/ARCH were last
# fetched ("none" before the first time).
debs_lists_stamp() {
	local dir
	dir=$(debs_state "$1" "$2") || return 1
	stat -c %Y "$dir/lists/.updated" 2>/dev/null || echo none
}

# debs_files DIR PKG...: "package file" for each package the lists know,
# from one apt-get call.
debs_files() {
	local dir=$1
	shift
	debs_apt "$dir" download --print-uris "$@" 2>"$dir/resolve.err" |
		awk '{ f = $2; p = f; sub(/_.*/, "", p); print p, f }'
}

# debs_fetch SUITE ARCH PKG[=VERSION]...: downloads the packages into the
# state's debs/ (kept between runs) and prints one path per package, in the
# order given. No dependency resolution: the caller names every package.
debs_fetch() {
	local suite=$1 arch=$2 dir pkg name file resolved missing=()
	local -A files=()
	shift 2
	dir=$(debs_state "$suite" "$arch") || return 1
	if [[ ! -f $dir/lists/.updated ]]; then
		debs_update "$dir" || return 1
	fi
	if ! resolved=$(set -o pipefail; debs_files "$dir" "$@") || [[ -z $resolved ]]; then
		# A package or version the cached lists do not know: refresh once.
		debs_update "$dir" || return 1
		resolved=$(set -o pipefail; debs_files "$dir" "$@") || {
			cat "$dir/resolve.err" >&2
			debs_die "$suite ($arch) lacks one of: $*" "APT_CONFIG=$dir/apt.conf apt-cache policy $*"
			return 1
		}
	fi
	while read -r name file; do files[$name]=$file; done <<<"$resolved"
	for pkg in "$@"; do
		name=${pkg%%=*}
		[[ -n ${files[$name]:-} ]] || debs_die "apt-get resolved no file for $pkg in $suite ($arch)" || return 1
		[[ -f $dir/debs/${files[$name]} ]] || missing+=("$pkg")
	done
	if ((${#missing[@]})); then
		echo "debs: downloading ${missing[*]} ($suite, $arch)" >&2
		(cd "$dir/debs" && debs_apt "$dir" download "${missing[@]}" >/dev/null 2>"$dir/download.err") || {
			cat "$dir/download.err" >&2
			debs_die "downloading ${missing[*]} from $suite ($arch) failed" \
				"rm $dir/lists/.updated (to refresh the package lists) and retry"
			return 1
		}
	fi
	for pkg in "$@"; do
		file=$dir/debs/${files[${pkg%%=*}]}
		[[ -f $file ]] || debs_die "apt-get download left no $file" || return 1
		echo "$file"
	done
}

# debs_verify DEB SHA256: refuses a package whose digest is not the pinned one.
debs_verify() {
	local got
	got=$(sha256sum "$1" | cut -d' ' -f1)
	[[ $got == "$2" ]] || debs_die "$(basename "$1") has sha256 $got, the recipe pins $2" \
		"if the new package is wanted, check it and update the pin; else remove $1 and retry"
}

# debs_unpack ROOT DEB...: extracts each package's files into ROOT (no
# maintainer scripts run) and records it the way distroless images do: its
# control stanza, marked installed, in ROOT/var/lib/dpkg/status.d/<package>,
# which is what scanners and SBOM tools read.
debs_unpack() {
	local root=$1 deb pkg
	shift
	mkdir -p "$root/var/lib/dpkg/status.d"
	for deb in "$@"; do
		dpkg-deb -x "$deb" "$root" || debs_die "dpkg-deb -x $deb failed" || return 1
		pkg=$(dpkg-deb -f "$deb" Package)
		dpkg-deb -f "$deb" | awk '{ print } $1 == "Package:" { print "Status: install ok installed" }' \
			>"$root/var/lib/dpkg/status.d/$pkg"
	done
}
