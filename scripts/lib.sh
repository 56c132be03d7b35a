# shellcheck shell=bash
# Common settings for the vmascope scripts. Sourced, never run.
#
# Environment understood by every script:
#   BASE        the kernel the series is for: a name from the 'bases' file
#               (default: its first line; with KERNEL_SRC, the one that
#               matches the tree's Makefile)
#   KERNEL_SRC  a git kernel tree of the user's; the series is applied in a
#               git worktree of it under build/, on a new branch, so the
#               user's own checkout is never touched.  Unset: build/BASE/linux,
#               unpacked from the Debian linux-source package of the base.
#   BUILD_DIR   where all output goes (default: <repo>/build); each base
#               has its tree, build directories and results in BUILD_DIR/BASE

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
BRANCH=${VMASCOPE_BRANCH:-vmascope}
BASE_TAG=vmascope-base
IDENT_NAME="vmascope developers"
IDENT_EMAIL="vmascope@lists.invalid"
export GIT_AUTHOR_NAME="$IDENT_NAME" GIT_AUTHOR_EMAIL="$IDENT_EMAIL"
export GIT_COMMITTER_NAME="$IDENT_NAME" GIT_COMMITTER_EMAIL="$IDENT_EMAIL"
# Fixed dates keep `git am` + `git format-patch` byte-for-byte stable.
export GIT_COMMITTER_DATE="${GIT_COMMITTER_DATE:-2025-01-01T00:00:00Z}"

die() { printf '%s: error: %s\n' "${0##*/}" "$*" >&2; exit 1; }
info() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }

# tree_dir: the kernel work tree the series is applied in.
tree_dir() {
	if [ -n "${KERNEL_SRC:-}" ]; then
		local src
		src=$(cd "$KERNEL_SRC" 2>/dev/null && pwd) ||
			die "KERNEL_SRC=$KERNEL_SRC: no such directory"
		printf '%s/src-%s\n' "$WORK" "$(printf '%s' "$src" | cksum | cut -d' ' -f1)"
	else
		printf '%s/linux\n' "$WORK"
	fi
}

# base_rev: the commit the series applies on, in the work tree.
base_rev() {
	local t
	t=$(tree_dir)
	[ -e "$t/.git" ] || die "no kernel tree at $t: run 'make tree' first"
	if [ -n "${KERNEL_SRC:-}" ]; then
		cat "$t.base" 2>/dev/null || die "$t.base missing: run 'make tree KERNEL_SRC=...' again"
	else
		git -C "$t" rev-parse -q --verify "refs/tags/$BASE_TAG^{commit}" ||
			die "tag $BASE_TAG missing in $t: remove it and run 'make tree'"
	fi
}

# series: the patch file names, in apply order.
series() {
	[ -f "$PATCH_DIR/series" ] || die "$PATCH_DIR/series missing"
	sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e '/^$/d' "$PATCH_DIR/series"
}

# The bases (the 'bases' file; VMASCOPE_BASES=FILE reads another: the
# tooling's tests do, and so does a KERNEL_SRC of a newer release, see
# docs/submitting.md): base_field NAME FIELD prints a base's package,
# version (the exact Debian version the series is tested on), suite or
# series (the directory of its patches, relative to the repository);
# default_base the first one; base_names all of them.
BASES_FILE=${VMASCOPE_BASES:-$ROOT/bases}
base_names() {
	awk '!/^#/ && NF >= 5 { print $1 }' "$BASES_FILE"
}
base_field() {
	local col
	case "$2" in package) col=2 ;; version) col=3 ;; suite) col=4 ;; series) col=5 ;; *) die "base_field: no field $2" ;; esac
	awk -v n="$1" -v c="$col" '!/^#/ && NF >= 5 && $1 == n { print $c; f = 1 } END { exit !f }' "$BASES_FILE" ||
		die "no base '$1' in bases (known: $(base_names | tr '\n' ' '))"
}
default_base() {
	base_names | head -1
}

# tree_version DIR: the kernel release of a source tree's Makefile (6.12.118).
tree_version() {
	awk '/^VERSION = / { v = $3 } /^PATCHLEVEL = / { p = $3 }
	     /^SUBLEVEL = / { print v "." p "." $3; exit }' "$1/Makefile"
}

# tree_base DIR: the base whose name is the tree's VERSION.PATCHLEVEL, or an
# error that names the supported ones.
tree_base() {
	local v
	v=$(tree_version "$1")
	v=${v%.*}
	base_names | grep -qxF -- "$v" ||
		die "$1 is Linux $v; the series exists for $(base_names | sed 's/^/Linux /' | paste -sd, - | sed 's/,/, /g') only"
	printf '%s\n' "$v"
}

if [ -z "${BASE:-}" ] && [ -n "${KERNEL_SRC:-}" ] && grep -qs '^PATCHLEVEL = ' "$KERNEL_SRC/Makefile"; then
	BASE=$(tree_base "$KERNEL_SRC")
fi
BASE=${BASE:-$(default_base)}
base_field "$BASE" version >/dev/null
# WORK: this base's tree, build directories and results.
WORK=$BUILD_DIR/$BASE
PATCH_DIR=${PATCH_DIR:-$ROOT/$(base_field "$BASE" series)}
# KCONFIG_DIR: the config fragments for this base: kconfig/BASE if there is
# one (its series has other options), else kconfig.
KCONFIG_DIR=$ROOT/kconfig
[ ! -d "$ROOT/kconfig/$BASE" ] || KCONFIG_DIR=$ROOT/kconfig/$BASE

# unpack_release TARBALL DIR: unpack a linux-source tarball into DIR, ready
# for 'git add -A -f'. Debian's tarball keeps a packaging block at the end
# of .gitignore that ignores the whole top level ('/*', '!/debian/'): it
# is dropped, or git would find nothing to add.
unpack_release() {
	mkdir -p "$2"
	info "unpacking ${1#"$ROOT"/}"
	tar -xJf "$1" -C "$2" --strip-components=1 || die "cannot unpack $1"
	sed -i '/^# Debian packaging:/,$d' "$2/.gitignore"
	sed -i -e :a -e '/^#\?$/{$d;N;ba' -e '}' "$2/.gitignore"
}

# import_release TREE TARBALL PACKAGE VERSION PARENT: commit the release in
# TARBALL into the git tree TREE as a child of PARENT, without touching
# TREE's work tree or index (PARENT empty: a root commit); prints the new
# commit. On top of the old base,
# 'git rebase' can then move a series with three-way context.
import_release() {
	local tree=$1 tarball=$2 pkg=$3 ver=$4 parent=$5 tmp idx commit
	tmp=$(mktemp -d "$WORK/import.XXXXXX")
	idx="$tmp.index"
	unpack_release "$tarball" "$tmp"
	GIT_INDEX_FILE=$idx git -C "$tree" --work-tree="$tmp" add -A -f >&2 || die "git add of $tarball failed"
	commit=$(GIT_INDEX_FILE=$idx git -C "$tree" commit-tree ${parent:+-p "$parent"} \
		-m "Linux $(tree_version "$tmp") (Debian $pkg $ver)" "$(GIT_INDEX_FILE=$idx git -C "$tree" write-tree)")
	rm -rf "$tmp" "$idx"
	printf '%s\n' "$commit"
}

is_clean() { [ -z "$(git -C "$1" status --porcelain --untracked-files=no)" ]; }

# check_config FRAGMENT CONFIG: every CONFIG_ line of the fragment holds in
# the .config CONFIG (merge_config.sh drops what it cannot set silently).
check_config() {
	local line sym bad=()
	while IFS= read -r line; do
		case "$line" in
		CONFIG_*=n)
			sym=${line%%=*}
			! grep -q "^$sym=" "$2" || bad+=("$line") ;;
		CONFIG_*=*)
			grep -qxF -- "$line" "$2" || bad+=("$line") ;;
		"# CONFIG_"*" is not set")
			sym=${line#\# }
			sym=${sym%% *}
			! grep -q "^$sym=" "$2" || bad+=("$line") ;;
		esac
	done <"$1"
	[ ${#bad[@]} -eq 0 ] ||
		die "${1#"$ROOT"/}: not so in $2 (an unmet dependency, or no such option in this tree): ${bad[*]}"
}

# frag_key FRAGMENT KEY: the value of a '# KEY: value' line of a fragment.
frag_key() {
	sed -n "s/^# $2: *//p" "$1" | head -1
}

# ccache, with its cache under build/ so that reruns (and the per-patch
# builds, which check out every patch in turn) compile each file once.
export CCACHE_DIR=${CCACHE_DIR:-$BUILD_DIR/ccache}
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-5G}

# base_worktree: a worktree of the base commit (for the base tree's
# warnings), under build/, made once and reused; prints its path.
base_worktree() {
	local t bt base
	t=$(tree_dir)
	base=$(base_rev)
	bt="$WORK/base-src"
	[ -n "${KERNEL_SRC:-}" ] && bt="$t.base-src"
	if [ ! -e "$bt/.git" ]; then
		git -C "$t" worktree prune
		git -C "$t" worktree add -q --detach "$bt" "$base" >&2
	fi
	[ "$(git -C "$bt" rev-parse HEAD)" = "$base" ] || git -C "$bt" checkout -q --detach "$base"
	printf '%s\n' "$bt"
}

# built_objs OUT FILE...: the objects of those C files (other names are
# passed over) that the build in OUT has, one a line.
built_objs() {
	local out=$1 f
	shift
	for f in "$@"; do
		case "$f" in *.c) [ -f "$out/${f%.c}.o" ] && echo "${f%.c}.o" ;; esac
	done
	return 0
}

# build_warnings LOG TREE: the compiler and modpost warnings and errors of a
# build log, relative to TREE, without line and column numbers (they move),
# sorted and unique.
build_warnings() {
	{ grep -E '^[^ ]+:[0-9]+:([0-9]+:)? (warning|error):|^(WARNING|ERROR): modpost:|^ld(\.lld)?: (warning|error):' "$1" || true; } |
		sed -E -e "s|$2/||g" -e 's/:[0-9]+:([0-9]+:)? /: /' | sort -u
}

# new_warnings NEW BASE: the lines of the sorted warnings file NEW that the
# sorted warnings file BASE does not have.
new_warnings() {
	comm -23 "$1" "$2"
}

# ticker LABEL DIR [PROGRESS]: in the background, a line a minute while a
# long build runs silently: the time so far and the objects built in DIR,
# or what the shell command PROGRESS prints. Stopped by ticker_stop (and at
# exit).
ticker() {
	local label=$1 dir=$2 progress=${3:-} t0
	t0=$(date +%s)
	(
		while sleep 60; do
			if [ -n "$progress" ]; then
				info "$label: $(( $(date +%s) - t0 )) s, $(eval "$progress")"
			else
				info "$label: $(( $(date +%s) - t0 )) s, $(find "$dir" -name '*.o' 2>/dev/null | wc -l) objects built so far"
			fi
		done
	) &
	TICKER_PID=$!
	trap ticker_stop EXIT
}
ticker_stop() {
	[ -z "${TICKER_PID:-}" ] || kill "$TICKER_PID" 2>/dev/null || true
	TICKER_PID=
}

# initramfs DIR TREE "APPLET..." PROGRAM...: write DIR/initramfs.cpio for a
# QEMU guest: busybox-static as /bin/busybox with the APPLETS linked to it,
# each PROGRAM (a file) as /bin/its-name, and as /init a shell script that
# mounts proc, sysfs, devtmpfs and a tmpfs on /tmp, then runs DIR/init.body.
# The tree's own gen_init_cpio writes it, /dev/console included, without
# root.
initramfs() {
	local dir=$1 tree=$2 applets=$3 a d p
	shift 3
	{
		printf '#!/bin/sh\nexport PATH=/bin\n'
		printf 'mount -t %s %s %s\n' proc proc /proc sysfs sysfs /sys \
			devtmpfs devtmpfs /dev tmpfs tmpfs /tmp
		cat "$dir/init.body"
	} >"$dir/init"
	gcc -O2 -o "$dir/gen_init_cpio" "$tree/usr/gen_init_cpio.c" ||
		die "cannot build $tree/usr/gen_init_cpio.c"
	[ -x /bin/busybox ] || die "no /bin/busybox: install busybox-static"
	{
		echo "dir /dev 0755 0 0"
		echo "nod /dev/console 0600 0 0 c 5 1"
		for d in proc sys tmp bin; do echo "dir /$d 0755 0 0"; done
		echo "file /bin/busybox /bin/busybox 0755 0 0"
		for a in $applets; do echo "slink /bin/$a busybox 0777 0 0"; done
		for p in "$@"; do echo "file /bin/${p##*/} $p 0755 0 0"; done
		echo "file /init $dir/init 0755 0 0"
	} >"$dir/initramfs.list"
	"$dir/gen_init_cpio" "$dir/initramfs.list" >"$dir/initramfs.cpio" ||
		die "gen_init_cpio failed"
}

# build_vmastat TREE DIR [LDFLAGS]: tools/mm/vmastat of the series in TREE,
# built by tools/mm's own Makefile (make -C tools/mm vmastat, so that the
# series' Makefile hunk is what builds it) in a copy, under DIR, of the
# tools directories it needs: TREE is left as it was. -Werror, and LDFLAGS
# (-static for a guest) added to the Makefile's own. Prints the binary.
build_vmastat() {
	local t=$1 d=$2 ld=${3:-} sub
	[ -f "$t/tools/mm/vmastat.c" ] || { echo "no $t/tools/mm/vmastat.c: the series is not applied" >&2; return 1; }
	rm -rf "$d/tools"
	mkdir -p "$d/tools"
	for sub in mm lib scripts include build; do
		cp -r "$t/tools/$sub" "$d/tools/" || return 1
	done
	CFLAGS="-O2 -Werror" LDFLAGS="$ld" make -s -C "$d/tools/mm" vmastat >&2 || return 1
	echo "$d/tools/mm/vmastat"
}

# build_kselftest TREE DIR HEADERS TEST [SRC]: the mm kselftest TEST of
# TREE, built static by tools/testing/selftests/mm's own Makefile against
# the UAPI headers in HEADERS (make headers' usr/include), in a copy under
# DIR of the files that Makefile reads (it writes its local_config files
# beside itself): TREE is left as it was. SRC replaces the test's source.
# Prints the binary.
build_kselftest() {
	local t=$1 d=$2 hdr=$3 test=$4 src=${5:-} sel=tools/testing/selftests
	[ -f "$t/$sel/mm/$test.c" ] || [ -n "$src" ] ||
		{ echo "no $t/$sel/mm/$test.c: the series is not applied" >&2; return 1; }
	rm -rf "$d"
	mkdir -p "$d/$sel/x86" "$d/mm" "$d/out" || return 1
	cp "$t/$sel/lib.mk" "$t/$sel"/*.h "$d/$sel/" &&
		cp -r "$t/$sel/mm" "$d/$sel/" &&
		cp "$t/$sel/x86/check_cc.sh" "$d/$sel/x86/" &&
		cp -r "$t/tools/include" "$t/tools/scripts" "$d/tools/" &&
		cp "$t/mm/gup_test.h" "$d/mm/" || return 1
	[ -z "$src" ] || cp "$src" "$d/$sel/mm/$test.c" || return 1
	make -s -C "$d/$sel/mm" OUTPUT="$d/out" KHDR_INCLUDES="-isystem $hdr" \
		LDFLAGS=-static "$d/out/$test" >&2 || return 1
	echo "$d/out/$test"
}
