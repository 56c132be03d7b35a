#!/usr/bin/env bash
# Write the series on branch vmascope back into patches/ with
# git format-patch: one file a commit, 0000-cover-letter.patch from the
# branch description, and patches/series in apply order.
#
#   export.sh            replace patches/ with the branch's series
#   export.sh --compare  only tell (exit status) whether they are the same
. "$(dirname "$0")/lib.sh"

compare=
[ "${1:-}" = "--compare" ] && compare=1

t=$(tree_dir)
base=$(base_rev)
[ "$(git -C "$t" symbolic-ref -q --short HEAD)" = "$BRANCH" ] ||
	die "$t is not on branch $BRANCH (run 'make apply' first)"
n=$(git -C "$t" rev-list --count "$base..HEAD")
[ "$n" -gt 0 ] || die "branch $BRANCH has no commits above the base"
git -C "$t" config "branch.$BRANCH.description" >/dev/null ||
	die "branch $BRANCH has no description: the cover letter's subject and blurb
  (set it with: git -C $t branch --edit-description)"

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# The subject prefix ("PATCH v3") is the one the series' cover letter had
# when 'make apply' applied it (or has now); SUBJECT_PREFIX=... sets another
# when posting again; a new series gets "PATCH v3".
prefix=${SUBJECT_PREFIX:-$(git -C "$t" config "branch.$BRANCH.vmascope-prefix" || true)}
if [ -z "$prefix" ] && [ -f "$PATCH_DIR/0000-cover-letter.patch" ]; then
	prefix=$(sed -n 's/^Subject: \[\(.*\) 0*\/[0-9]*\].*/\1/p' "$PATCH_DIR/0000-cover-letter.patch")
	prefix=${prefix%%$'\n'*}
fi
prefix=${prefix:-PATCH v3}
# A fixed abbreviation: git's default grows with the repository's size. No --base here: the base of a tree unpacked from Debian's tarball
# is a commit of this machine's making, whose id differs from one tree to
# the next, so patches/ would depend on the tree. The cover letter names
# the release instead; the command that sends the series adds the
# base-commit: trailer (docs/submitting.md).
git -C "$t" -c core.abbrev=12 format-patch -q -o "$out" --cover-letter \
	--cover-from-description=subject --zero-commit --no-signature \
	--subject-prefix="$prefix" "$base..HEAD"
# The cover letter is dated now; date it as the newest patch so that the
# output depends on the series only.
date=$(git -C "$t" log -1 --format=%aD HEAD)
sed -i "0,/^Date: /s/^Date: .*/Date: $date/" "$out/0000-cover-letter.patch"
(cd "$out" && ls [0-9][0-9][0-9][0-9]-*.patch | grep -v '^0000-') >"$out/series"

if [ -n "$compare" ]; then
	for f in "$out"/*; do
		cmp -s "$f" "$PATCH_DIR/${f##*/}" || exit 1
	done
	for f in "$PATCH_DIR"/*.patch "$PATCH_DIR/series"; do
		[ -e "$f" ] || continue
		[ -e "$out/${f##*/}" ] || exit 1
	done
	exit 0
fi

mkdir -p "$PATCH_DIR"
rm -f "$PATCH_DIR"/*.patch
cp "$out"/* "$PATCH_DIR/"
info "exported $n patches and the cover letter to $PATCH_DIR"
