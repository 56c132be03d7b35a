#!/usr/bin/env bash
# Prepare the kernel tree the series is applied to.
#
# Default: fetch the source package and version recorded for BASE in 'bases'
# from Debian's archive (scripts/archive.sh: nothing is installed) and
# unpack it into build/BASE/linux as a git tree whose base commit, tagged
# vmascope-base, is the pristine source. A tree of another release moves to
# the recorded one by a commit on top of its base.
# KERNEL_SRC=DIR: add a git worktree of the user's clean tree under build/,
# detached at their HEAD; their own checkout and branches are left alone.
# Its Makefile says which base (and so which series) it is; a release the
# series does not exist for is refused with the names of those it does.
. "$(dirname "$0")/lib.sh"

t=$(tree_dir)
mkdir -p "$WORK"

if [ -n "${KERNEL_SRC:-}" ]; then
	src=$(cd "$KERNEL_SRC" 2>/dev/null && pwd) || die "KERNEL_SRC=$KERNEL_SRC: no such directory"
	top=$(git -C "$src" rev-parse --show-toplevel 2>/dev/null) || top=
	[ "$top" = "$src" ] ||
		die "KERNEL_SRC=$src is not a git tree (its top directory); for a plain source tree, use the default build/BASE/linux"
	[ -f "$top/tools/testing/kunit/kunit.py" ] && [ -f "$top/mm/vma.c" ] ||
		die "KERNEL_SRC=$top does not look like a Linux >= 6.12 tree (no mm/vma.c or kunit.py)"
	v=$(tree_base "$top")
	[ "$v" = "$BASE" ] ||
		die "KERNEL_SRC=$top is Linux $v, but BASE=$BASE: leave BASE unset, or set BASE=$v"
	is_clean "$top" ||
		die "KERNEL_SRC=$top has uncommitted changes; commit or stash them first (nothing was changed)"
	head=$(git -C "$top" rev-parse HEAD)
	if [ -e "$t/.git" ] && [ "$(cat "$t.base" 2>/dev/null)" = "$head" ]; then
		info "worktree $t already at $head"
		exit 0
	fi
	if [ -e "$t/.git" ]; then
		info "KERNEL_SRC HEAD moved; recreating worktree $t"
		git -C "$top" worktree remove --force "$t"
	fi
	rm -rf "$t"
	git -C "$top" worktree prune
	git -C "$top" worktree add -q --detach "$t" "$head"
	printf '%s\n' "$head" >"$t.base"
	info "worktree of $top at $(git -C "$t" log -1 --format='%h %s') in $t"
	exit 0
fi

"$ROOT/scripts/deps.sh" tree
pkg=$(base_field "$BASE" package)
want=$(base_field "$BASE" version)
ver=$want
served=$("$ROOT/scripts/archive.sh" versions "$BASE") || die "cannot ask the archive for $pkg"
if ! grep -qxF -- "$want" <<<"$served"; then
	ver=$(head -1 <<<"$served")
	[ -n "$ver" ] || die "the archive serves no $pkg"
	info "the archive no longer serves $pkg $want (recorded in bases); taking the newest it serves, $ver"
fi

if [ -e "$t/.git" ]; then
	git -C "$t" rev-parse -q --verify "refs/tags/$BASE_TAG" >/dev/null ||
		die "$t exists but has no $BASE_TAG tag; remove it and run 'make tree' again"
	have=$(git -C "$t" config vmascope.version || echo unknown)
	if [ "$have" = "$ver" ]; then
		info "$t ready (base $(git -C "$t" log -1 --format=%s "$BASE_TAG"))"
		exit 0
	fi
	# Another release than the one wanted: import it as a commit on top of
	# the old base (only the files it changes are touched, so builds stay
	# incremental) and move the base tag there; 'make apply' then applies
	# the series onto it.
	is_clean "$t" || die "$t has uncommitted changes; commit or reset them before it moves from $pkg $have to $ver"
	tarball=$("$ROOT/scripts/archive.sh" fetch "$BASE" "$ver")
	old=$(git -C "$t" rev-parse "$BASE_TAG^{commit}")
	new=$(import_release "$t" "$tarball" "$pkg" "$ver" "$old")
	git -C "$t" checkout -q --detach "$new"
	git -C "$t" tag -f "$BASE_TAG" "$new" >/dev/null
	git -C "$t" config vmascope.package "$pkg"
	git -C "$t" config vmascope.version "$ver"
	info "$t moved from $pkg $have to $ver (base $(git -C "$t" log -1 --format='%h %s' "$new"))"
	exit 0
fi

tarball=$("$ROOT/scripts/archive.sh" fetch "$BASE" "$ver")
tmp="$t.tmp"
rm -rf "$tmp"
unpack_release "$tarball" "$tmp"
version=$(tree_version "$tmp")
info "committing the base tree ($version, $pkg $ver)"
git -C "$tmp" init -q -b base
git -C "$tmp" config core.autocrlf false
# The base commit leaves every object loose, and the next commit or git am
# would start an automatic gc that packs ~90000 objects in the background,
# taking a core from the builds and tests that follow.
git -C "$tmp" config gc.auto 0
git -C "$tmp" config maintenance.auto false
git -C "$tmp" check-ignore -q mm/vma.c && die "unpacked tree still ignores mm/vma.c"
# -f: the tarball is pristine source, and upstream tracks files that its
# own .gitignore would skip (every .kunitconfig, for one).
git -C "$tmp" add -A -f
git -C "$tmp" commit -q --no-verify -m "Linux $version (Debian $pkg $ver)"
git -C "$tmp" tag "$BASE_TAG"
git -C "$tmp" config vmascope.package "$pkg"
git -C "$tmp" config vmascope.version "$ver"
mv "$tmp" "$t"
info "$t ready ($pkg $ver)"
