#!/usr/bin/env bash
# make rebase [VERSION=V]: move the series onto a newer release of its
# base's package (default: the newest the archive serves).
#
# The new release is imported as a commit on top of the old base, so that
# 'git rebase' merges each patch with three-way context (the old base is
# the merge base), as it would between two upstream commits. On success
# the base tag moves, 'bases' records the new version and patches/ is
# exported again: review 'git diff', then run make test. On a conflict it
# stops and says what to do; 'make rebase' again finishes the move.
. "$(dirname "$0")/lib.sh"

[ -z "${KERNEL_SRC:-}" ] ||
	die "make rebase moves build/BASE/linux, the tree unpacked from Debian's archive; with KERNEL_SRC, rebase your own tree"
t=$(tree_dir)
pkg=$(base_field "$BASE" package)
onto_ref=refs/vmascope/rebase-onto

finish() {
	local new=$1 ver from
	ver=$(git -C "$t" config vmascope.rebase-version)
	from=$(git -C "$t" config vmascope.version)
	git -C "$t" tag -f "$BASE_TAG" "$new" >/dev/null
	git -C "$t" config vmascope.version "$ver"
	git -C "$t" config --unset vmascope.rebase-version
	git -C "$t" update-ref -d "$onto_ref"
	awk -v n="$BASE" -v v="$ver" 'BEGIN { OFS = "\t" }
		!/^#/ && NF >= 4 && $1 == n { $3 = v } { print }' "$BASES_FILE" >"$BASES_FILE.new"
	mv "$BASES_FILE.new" "$BASES_FILE"
	"$ROOT/scripts/export.sh"
	info "the series moved from $pkg $from to $ver: bases and patches/ are rewritten;"
	info "  review 'git diff', fix what the new release changed in the patch that needs it, then run 'make test'"
}

if [ -d "$(git -C "$t" rev-parse --git-path rebase-merge 2>/dev/null)" ] ||
   [ -d "$(git -C "$t" rev-parse --git-path rebase-apply 2>/dev/null)" ]; then
	die "a rebase is in progress in $t: resolve it ('git -C $t status'), 'git -C $t rebase --continue', then 'make rebase' again"
fi
if new=$(git -C "$t" rev-parse -q --verify "$onto_ref"); then
	if [ "$(git -C "$t" symbolic-ref -q --short HEAD)" = "$BRANCH" ] &&
	   git -C "$t" merge-base --is-ancestor "$new" HEAD; then
		finish "$new"
		exit 0
	fi
	die "$onto_ref is set but $BRANCH is not on it: 'git -C $t update-ref -d $onto_ref' and 'make apply FORCE=1' to start again"
fi

"$ROOT/scripts/apply.sh"
from=$(git -C "$t" config vmascope.version)
ver=${VERSION:-$("$ROOT/scripts/archive.sh" newest "$BASE")}
if [ "$ver" = "$from" ]; then
	info "the series is on $pkg $from already, the newest the archive serves"
	exit 0
fi
dpkg --compare-versions "$ver" gt "$from" || die "$pkg $ver is not newer than $from, the series' base"
old=$(base_rev)
tarball=$("$ROOT/scripts/archive.sh" fetch "$BASE" "$ver")
new=$(import_release "$t" "$tarball" "$pkg" "$ver" "$old")
info "imported $pkg $ver as $(git -C "$t" log -1 --format='%h (%s)' "$new") on top of the base"
git -C "$t" update-ref "$onto_ref" "$new"
git -C "$t" config vmascope.rebase-version "$ver"
if ! git -C "$t" rebase -q --onto "$new" "$old" "$BRANCH"; then
	git -C "$t" status --short | grep -E '^(UU|AA|DU|UD) ' | sed 's/^/  conflict: /' >&2 || true
	die "a patch of the series conflicts with $pkg $ver ($(git -C "$t" log -1 --format=%s REBASE_HEAD 2>/dev/null || echo see above)).
  In $t: fix the conflicts (that patch is the one to change), 'git add' them and
  'git -C $t rebase --continue' until the rebase ends; then 'make rebase' again
  to record $ver and export patches/. To give up: 'git -C $t rebase --abort',
  'git -C $t update-ref -d $onto_ref' and 'make apply FORCE=1'."
fi
finish "$new"
