#!/usr/bin/env bash
# Apply patches/ (in patches/series order) onto the base of the kernel tree,
# on branch vmascope. The cover letter's text becomes the branch description,
# from which 'make export' writes it back.
#
# A branch that already holds exactly the series is left as it is (no file
# is rewritten, so incremental builds stay incremental); FORCE=1 reapplies.
. "$(dirname "$0")/lib.sh"

t=$(tree_dir)
base=$(base_rev)
mapfile -t patches < <(series)
[ ${#patches[@]} -gt 0 ] || die "patches/series lists no patch"
for p in "${patches[@]}"; do
	[ -f "$PATCH_DIR/$p" ] || die "patches/series lists $p, which does not exist"
done

if [ -d "$(git -C "$t" rev-parse --git-path rebase-apply)" ]; then
	die "a 'git am' is in progress in $t: finish it or run 'git -C $t am --abort'"
fi
is_clean "$t" || die "$t has uncommitted changes; commit them (and 'make export') or reset them first"

# Up to date: the branch is checked out and exporting it gives patches/ back.
if [ -z "${FORCE:-}" ] &&
   [ "$(git -C "$t" symbolic-ref -q --short HEAD)" = "$BRANCH" ] &&
   git -C "$t" merge-base --is-ancestor "$base" HEAD &&
   "$ROOT/scripts/export.sh" --compare >/dev/null 2>&1; then
	info "$t: branch $BRANCH already holds the series (${#patches[@]} patches)"
	exit 0
fi

old=$(git -C "$t" rev-parse -q --verify "refs/heads/$BRANCH" || true)
if [ -n "$old" ] && [ "$old" != "$base" ]; then
	git -C "$t" update-ref -m "vmascope: before apply" refs/vmascope/previous "$old"
	info "previous $BRANCH saved as refs/vmascope/previous ($(git -C "$t" rev-parse --short "$old"))"
fi
git -C "$t" checkout -q -B "$BRANCH" "$base"

log=$(mktemp)
trap 'rm -f "$log"' EXIT
for p in "${patches[@]}"; do
	if ! git -C "$t" am -q --no-3way "$PATCH_DIR/$p" >"$log" 2>&1; then
		git -C "$t" am --abort >/dev/null 2>&1 || true
		git -C "$t" reset -q --hard "$base"
		sed 's/^/  /' "$log" >&2
		hunks=$({ grep -E '^(error|fatal): ' "$log" || true; } | sed -n '1,5p' | paste -sd ';' -)
		have=$(git -C "$t" config vmascope.version || true)
		want=$(base_field "$BASE" version)
		moved=
		if [ -z "${KERNEL_SRC:-}" ] && [ -n "$have" ] && [ "$have" != "$want" ]; then
			moved="
  the series is recorded on $(base_field "$BASE" package) $want (bases), this tree is $have:
  'make rebase VERSION=$have' moves the series onto it"
		fi
		die "patch $p does not apply to $(git -C "$t" log -1 --format=%h "$base"): ${hunks:-see above}$moved"
	fi
done

# The cover letter's subject and blurb, kept for 'make export'.
cover="$PATCH_DIR/0000-cover-letter.patch"
if [ -f "$cover" ]; then
	desc=$(python3 "$ROOT/scripts/cover.py" read "$cover") || die "cannot read $cover"
	git -C "$t" config "branch.$BRANCH.description" "$desc"
	# The subject prefix ("PATCH v3"), for the export.
	prefix=$(sed -n 's/^Subject: \[\(.*\) 0*\/[0-9]*\].*/\1/p' "$cover")
	[ -z "$prefix" ] || git -C "$t" config "branch.$BRANCH.vmascope-prefix" "${prefix%%$'\n'*}"
fi
info "applied ${#patches[@]} patches onto $(git -C "$t" log -1 --format='%h (%s)' "$base") in $t, branch $BRANCH"
