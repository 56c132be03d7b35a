# shellcheck shell=bash
# Common settings for the vmascope scripts. Sourced, never run.
#
# Environment understood by every script:
#   KERNEL_SRC  a git kernel tree of the user's; the series is applied in a
#               git worktree of it under build/, on a new branch, so the
#               user's own checkout is never touched.  Unset: build/linux,
#               unpacked from Debian's linux-source-6.12.
#   BUILD_DIR   where all output goes (default: <repo>/build)

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
PATCH_DIR=${PATCH_DIR:-$ROOT/patches}
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
		printf '%s/src-%s\n' "$BUILD_DIR" "$(printf '%s' "$src" | cksum | cut -d' ' -f1)"
	else
		printf '%s/linux\n' "$BUILD_DIR"
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

is_clean() { [ -z "$(git -C "$1" status --porcelain --untracked-files=no)" ]; }
