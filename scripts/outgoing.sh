#!/usr/bin/env bash
# The series as it is posted, through b4 (Debian's b4 0.12): 'b4 prep'
# tracks the applied branch with the cover letter in the branch description
# (b4's branch-description cover strategy: the description apply.sh writes
# from the cover letter), takes its revision from the cover letter's
# subject prefix ("PATCH v3" is revision 3; other words, RFC say, become
# b4's extra prefixes), and writes the mails into build/BASE/outgoing with
# 'b4 prep -p'. Each mail must carry the subject, message (sign-offs
# aside: the submitter adds theirs) and diff of its patch in the series
# directory, which stays the byte-stable export.
#
# b4 keeps what it tracks (the change-id, the revision) in the branch's git
# configuration, which reapplying the series drops: a copy is kept in
# build/BASE/b4-tracking and put back. After 'b4 send' of a revision, 'b4
# prep --compare-to vN' in the tree gives the range-diff for the changelog.
#
# b4 0.12 with this cover strategy names the parent of the base as
# base-commit (it takes the fork point for the series' first commit): the
# line is set to the base itself here (with KERNEL_SRC, the commit the
# user's tree was at), or, for a tree unpacked from Debian's tarball, whose
# base is a commit of this machine's making, removed (the cover letter
# names the release).
. "$(dirname "$0")/lib.sh"

"$ROOT/scripts/deps.sh" send
t=$(tree_dir)
[ -e "$t/.git" ] || "$ROOT/scripts/tree.sh"
base=$(base_rev)
# The branch as it is: after 'git rebase --signoff' (docs/submitting.md) it
# differs from the series directory by the sign-offs, and applying again
# would drop them. Applied only if no branch holds commits on the base yet.
if ! git -C "$t" rev-parse -q --verify "refs/heads/$BRANCH" >/dev/null ||
   ! git -C "$t" merge-base --is-ancestor "$base" "$BRANCH" ||
   [ "$(git -C "$t" rev-list --count "$base..$BRANCH")" = 0 ]; then
	"$ROOT/scripts/apply.sh" >/dev/null
elif [ "$(git -C "$t" symbolic-ref -q --short HEAD)" != "$BRANCH" ]; then
	is_clean "$t" || die "$t has uncommitted changes"
	git -C "$t" checkout -q "$BRANCH"
fi
is_clean "$t" || die "$t has uncommitted changes"
out="$WORK/outgoing"
saved="$WORK/b4-tracking"
[ "$(git -C "$t" symbolic-ref -q --short HEAD)" = "$BRANCH" ] ||
	die "$t: branch $BRANCH is not checked out"

# b4 wants a branch other than the series' that holds the fork point.
git -C "$t" branch -q -f "$BRANCH-b4-base" "$base"
# For this run of b4 only, whatever the user's configuration says: the
# cover strategy, and blob ids abbreviated as the export does. An identity
# only where git has none (b4 wants one to run).
export GIT_CONFIG_COUNT=2 GIT_CONFIG_KEY_0=b4.prep-cover-strategy GIT_CONFIG_VALUE_0=branch-description
export GIT_CONFIG_KEY_1=core.abbrev GIT_CONFIG_VALUE_1=12
if ! git -C "$t" config user.email >/dev/null; then
	export GIT_CONFIG_COUNT=4 GIT_CONFIG_KEY_2=user.name GIT_CONFIG_VALUE_2="$IDENT_NAME"
	export GIT_CONFIG_KEY_3=user.email GIT_CONFIG_VALUE_3="$IDENT_EMAIL"
fi
b4q() { (cd "$t" && b4 -q "$@"); }

if ! git -C "$t" config "branch.$BRANCH.b4-tracking" >/dev/null; then
	if [ -s "$saved" ]; then
		git -C "$t" config "branch.$BRANCH.b4-tracking" "$(cat "$saved")"
		git -C "$t" config "branch.$BRANCH.b4-prep-cover-strategy" branch-description
	else
		b4q prep -e "$BRANCH-b4-base" || die "b4 prep -e failed"
	fi
fi
# The tracked series must start at the base, whatever branch the copy named.
tracking=$(git -C "$t" config "branch.$BRANCH.b4-tracking")
tracking=$(python3 -c 'import json, sys
j = json.loads(sys.argv[1]); j["series"]["base-branch"] = sys.argv[2]; print(json.dumps(j))' \
	"$tracking" "$BRANCH-b4-base")
git -C "$t" config "branch.$BRANCH.b4-tracking" "$tracking"

prefix=$(git -C "$t" config "branch.$BRANCH.vmascope-prefix" || echo "PATCH v3")
rev=$(printf '%s\n' "$prefix" | tr ' ' '\n' | sed -n 's/^v\([0-9][0-9]*\)$/\1/p' | head -1)
read -r -a extra <<<"$(printf '%s\n' "$prefix" | tr ' ' '\n' | grep -v -E '^(PATCH|v[0-9]+)$' | paste -sd' ' -)"
b4q prep --force-revision "${rev:-1}" >/dev/null || die "b4 prep --force-revision failed"
if [ ${#extra[@]} -gt 0 ]; then
	b4q prep --set-prefixes "${extra[@]}" >/dev/null || die "b4 prep --set-prefixes failed"
fi
git -C "$t" config "branch.$BRANCH.b4-tracking" >"$saved"

rm -rf "$out"
b4q prep -p "$out" >/dev/null || die "b4 prep -p $out failed"
cover=$(ls "$out"/0000-*.patch 2>/dev/null | head -1)
[ -n "$cover" ] || die "b4 wrote no cover letter in $out"
if [ -n "${KERNEL_SRC:-}" ]; then
	sed -i "s/^base-commit: .*/base-commit: $(git -C "$t" rev-parse "$base")/" "$cover"
else
	sed -i '/^base-commit: /d' "$cover"
fi

python3 "$ROOT/scripts/outgoing_compare.py" "$PATCH_DIR" "$out" ||
	die "the mails in $out differ from $PATCH_DIR (above)"
info "b4: $(grep -m1 '^Subject:' "$cover" | cut -c10-80)..."
info "$(ls "$out" | wc -l) mails in $out, the same patches as ${PATCH_DIR#"$ROOT"/}/; send them with 'b4 send' from $t (docs/submitting.md)"
