#!/usr/bin/env bash
# Kernel source from Debian's archive, without installing a package or
# changing the machine's apt configuration: apt-get runs with a sources
# list, package lists and cache of its own under build/apt/SUITE, made from
# the archive URI this machine's apt sources use for that suite.
#
#   archive.sh versions BASE    every version the archive serves, newest first
#   archive.sh newest BASE      the newest one
#   archive.sh fetch BASE [VER] download VER (default: the recorded one), print
#                               the path of the kernel tarball it holds,
#                               unpacked under build/apt/src/VER
#   archive.sh packages BASE    every linux-source-N.N package the base's
#                               suite serves
#
# BASE is a name from the 'bases' file. The package lists are refreshed
# when older than an hour (ARCHIVE_REFRESH=1: now).
. "$(dirname "$0")/lib.sh"

APT_ROOT="$ROOT/build/apt"

# apt_private SUITE: set APT to apt-get/apt-cache options for SUITE's
# private state, making it if needed.
apt_private() {
	local suite=$1 a uri lock
	a="$APT_ROOT/$suite"
	mkdir -p "$a/lists/partial" "$a/cache/archives/partial" "$a/parts" "$a/prefs"
	uri=$(python3 "$ROOT/scripts/archive_uri.py" "$suite") || die "cannot find an archive for $suite in this machine's apt sources"
	printf 'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s %s main\n' \
		"$uri" "$suite" >"$a/sources.list.new"
	cmp -s "$a/sources.list.new" "$a/sources.list" 2>/dev/null || mv "$a/sources.list.new" "$a/sources.list"
	rm -f "$a/sources.list.new"
	APT=(-o "Dir::Etc::sourcelist=$a/sources.list" -o "Dir::Etc::sourceparts=$a/parts"
		-o "Dir::Etc::preferences=$a/prefs/none" -o "Dir::Etc::preferencesparts=$a/prefs"
		-o "Dir::State::Lists=$a/lists" -o "Dir::Cache=$a/cache"
		-o "Dir::State::status=/dev/null" -o "APT::Sandbox::User=root"
		-o "Debug::NoLocking=1" -o "Acquire::Languages=none")
	# apt's own locks are off (they are the system's); one refresh of a
	# suite's lists at a time, as two runs of the tooling may need them
	# together (make test fetches both bases' trees at once).
	exec {lock}>"$a/lock"
	flock "$lock"
	if [ -n "${ARCHIVE_REFRESH:-}" ] || [ -z "$(find "$a/lists" -maxdepth 1 -name '*Packages*' -mmin -60 2>/dev/null)" ]; then
		info "asking $uri for $suite's package lists"
		apt-get -qq "${APT[@]}" update >"$a/update.log" 2>&1 ||
			{ sed 's/^/  /' "$a/update.log" >&2; die "apt-get update of $uri $suite failed"; }
	fi
	exec {lock}>&-
}

# versions PACKAGE SUITE: newest first.
versions() {
	local v out=() i
	for v in $(apt-cache "${APT[@]}" madison "$1" | awk -F'|' '{gsub(/ /,"",$2); print $2}' | sort -u); do
		i=${#out[@]}
		out+=("$v")
		# insertion sort with dpkg's ordering (~ sorts before anything)
		while [ "$i" -gt 0 ] && dpkg --compare-versions "${out[$((i - 1))]}" lt "${out[$i]}"; do
			v=${out[$((i - 1))]}
			out[$((i - 1))]=${out[$i]}
			out[$i]=$v
			i=$((i - 1))
		done
	done
	[ ${#out[@]} -eq 0 ] || printf '%s\n' "${out[@]}"
}

cmd=${1:-}
base=${2:-${BASE:-$(default_base)}}
pkg=$(base_field "$base" package)
suite=$(base_field "$base" suite)
case "$cmd" in
versions | newest | fetch | packages) ;;
*) die "usage: archive.sh versions|newest|fetch|packages BASE [VERSION]" ;;
esac
apt_private "$suite"

case "$cmd" in
versions)
	versions "$pkg" ;;
newest)
	# Not a pipe into head: with pipefail, its early exit is a SIGPIPE.
	v=$(versions "$pkg")
	v=${v%%$'\n'*}
	[ -n "$v" ] || die "the archive serves no $pkg in $suite"
	echo "$v" ;;
packages)
	apt-cache "${APT[@]}" pkgnames linux-source- | grep -E '^linux-source-[0-9]+\.[0-9]+$' | sort -V ;;
fetch)
	ver=${3:-$(base_field "$base" version)}
	src="$APT_ROOT/src/$pkg-$ver"
	tarball="$src/usr/src/$pkg.tar.xz"
	if [ ! -f "$tarball" ]; then
		debs="$APT_ROOT/debs"
		mkdir -p "$debs"
		deb=$(ls "$debs/${pkg}_${ver/:/%3a}_"*.deb 2>/dev/null | head -1 || true)
		if [ -z "$deb" ]; then
			info "downloading $pkg $ver from $suite"
			(cd "$debs" && apt-get -q "${APT[@]}" download "$pkg=$ver") >"$debs/$pkg.log" 2>&1 ||
				{ sed 's/^/  /' "$debs/$pkg.log" >&2; die "apt-get download $pkg=$ver failed"; }
			deb=$(ls "$debs/${pkg}_${ver/:/%3a}_"*.deb 2>/dev/null | head -1) ||
				die "apt-get download $pkg=$ver wrote no .deb"
		fi
		rm -rf "$src.tmp"
		mkdir -p "$src.tmp"
		dpkg-deb -x "$deb" "$src.tmp" || die "dpkg-deb -x $deb failed"
		[ -f "$src.tmp/usr/src/$pkg.tar.xz" ] || die "$deb holds no usr/src/$pkg.tar.xz"
		rm -rf "$src"
		mv "$src.tmp" "$src"
		# The .deb is only a wrapper of the tarball: keep one copy.
		rm -f "$deb"
	fi
	echo "$tarball" ;;
esac
