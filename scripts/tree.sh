#!/usr/bin/env bash
# Prepare the kernel tree the series is applied to.
#
# Default: unpack Debian's linux-source-6.12 into build/linux as a git tree
# whose first commit, tagged vmascope-base, is the pristine source.
# KERNEL_SRC=DIR: add a git worktree of the user's clean tree under build/,
# detached at their HEAD; their own checkout and branches are left alone.
. "$(dirname "$0")/lib.sh"

TARBALL=/usr/src/linux-source-6.12.tar.xz
t=$(tree_dir)
mkdir -p "$BUILD_DIR"

if [ -n "${KERNEL_SRC:-}" ]; then
	src=$(cd "$KERNEL_SRC" 2>/dev/null && pwd) || die "KERNEL_SRC=$KERNEL_SRC: no such directory"
	top=$(git -C "$src" rev-parse --show-toplevel 2>/dev/null) || top=
	[ "$top" = "$src" ] ||
		die "KERNEL_SRC=$src is not a git tree (its top directory); for a plain source tree, use the default build/linux"
	[ -f "$top/tools/testing/kunit/kunit.py" ] && [ -f "$top/mm/vma.c" ] ||
		die "KERNEL_SRC=$top does not look like a Linux >= 6.12 tree (no mm/vma.c or kunit.py)"
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

if [ -e "$t/.git" ]; then
	git -C "$t" rev-parse -q --verify "refs/tags/$BASE_TAG" >/dev/null ||
		die "$t exists but has no $BASE_TAG tag; remove it and run 'make tree' again"
	info "$t ready (base $(git -C "$t" describe --tags --always "$BASE_TAG"))"
	exit 0
fi

[ -f "$TARBALL" ] || "$ROOT/scripts/deps.sh" tree
[ -f "$TARBALL" ] || die "$TARBALL missing after installing linux-source-6.12"
"$ROOT/scripts/deps.sh" tree

tmp="$t.tmp"
rm -rf "$tmp"
mkdir -p "$tmp"
info "unpacking $TARBALL"
tar -xJf "$TARBALL" -C "$tmp" --strip-components=1
# Debian's tarball keeps a packaging block at the end of .gitignore that
# ignores the whole top level ('/*', '!/debian/'): drop it, or git add
# finds nothing to add.
sed -i '/^# Debian packaging:/,$d' "$tmp/.gitignore"
sed -i -e :a -e '/^#\?$/{$d;N;ba' -e '}' "$tmp/.gitignore"
version=$(sed -n -e 's/^VERSION = //p' -e 's/^PATCHLEVEL = //p' -e 's/^SUBLEVEL = //p' \
	"$tmp/Makefile" | head -3 | paste -sd. -)
pkgver=$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null || echo unknown)
info "committing the base tree ($version, linux-source-6.12 $pkgver)"
git -C "$tmp" init -q -b base
git -C "$tmp" config core.autocrlf false
git -C "$tmp" check-ignore -q mm/vma.c && die "unpacked tree still ignores mm/vma.c"
# -f: the tarball is pristine source, and upstream tracks files that its
# own .gitignore would skip (every .kunitconfig, for one).
git -C "$tmp" add -A -f
git -C "$tmp" commit -q --no-verify -m "Linux $version (Debian linux-source-6.12 $pkgver)"
git -C "$tmp" tag "$BASE_TAG"
# Commits made by hand in the tree carry the project identity too.
git -C "$tmp" config user.name "$IDENT_NAME"
git -C "$tmp" config user.email "$IDENT_EMAIL"
mv "$tmp" "$t"
info "$t ready"
