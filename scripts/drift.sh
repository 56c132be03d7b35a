#!/usr/bin/env bash
# make drift: does Debian's archive serve a newer release of a base than
# the one the series is recorded on (bases), and does the series follow it?
#
# Asks the archive (fresh package lists) for the newest version of each
# base's package (BASE=NAME: that one only) and prints one line a base:
#   - the recorded version is the newest: passed;
#   - a newer one is served: the series is applied to it (the release
#     imported as a commit on top of the recorded base, in
#     build/NAME/drift)
#     and the UML suites run there; passed if both succeed, otherwise
#     skipped with the reason (Debian publishing a release must not block
#     a landing; 'make rebase' moves the series);
#   - the recorded version is no longer served: failed, since a fresh
#     machine can no longer get the tree the series is tested on.
# DRIFT_KUNIT=0 stops after the apply. Counts: build/results/drift.counts.
given_base=${BASE:-}
. "$(dirname "$0")/lib.sh"

results="$WORK/results"
mkdir -p "$results"
passed=0 failed=0 skipped=0
if [ -n "${DRIFT_BASES:-}" ]; then
	read -r -a bases <<<"$DRIFT_BASES"
elif [ -n "$given_base" ]; then
	bases=("$given_base")
else
	mapfile -t bases < <(base_names)
fi

lines=()
say() { lines+=("$1"); info "$1"; }

# drift_one NAME: one line (say), and the counts.
drift_one() {
	local name=$1 pkg want suite served newest d t base log n
	pkg=$(base_field "$name" package)
	want=$(base_field "$name" version)
	suite=$(base_field "$name" suite)
	if ! served=$(ARCHIVE_REFRESH=1 "$ROOT/scripts/archive.sh" versions "$name"); then
		say "drift $name: cannot ask the archive for $pkg ($suite); skipped"
		skipped=$((skipped + 1))
		return
	fi
	newest=$(head -1 <<<"$served")
	if ! grep -qxF -- "$want" <<<"$served"; then
		say "drift $name: $pkg $want (recorded) is no longer served by $suite (newest: ${newest:-none}): a fresh machine cannot get the tested tree; move the series with 'make rebase BASE=$name'"
		failed=$((failed + 1))
		return
	fi
	if [ "$newest" = "$want" ]; then
		say "drift $name: $pkg $want (recorded) is the newest $suite serves"
		passed=$((passed + 1))
		return
	fi

	# A newer release: the series applied to it in a tree of its own, a
	# shared clone of the main tree so that only the changed files differ.
	d="$BUILD_DIR/$name/drift"
	t="$d/$name/linux"
	mkdir -p "$d/$name"
	main="$BUILD_DIR/$name/linux"
	parent=
	if [ -e "$main/.git" ] && [ ! -e "$t/.git" ]; then
		git clone -q --shared --no-checkout "$main" "$t"
	elif [ ! -e "$t/.git" ]; then
		git init -q "$t"
	fi
	[ -e "$main/.git" ] && parent=$(git -C "$main" rev-parse "$BASE_TAG^{commit}")
	base=$(import_release "$t" "$("$ROOT/scripts/archive.sh" fetch "$name" "$newest")" "$pkg" "$newest" "$parent")
	git -C "$t" tag -f "$BASE_TAG" "$base" >/dev/null
	git -C "$t" config vmascope.package "$pkg"
	git -C "$t" config vmascope.version "$newest"
	git -C "$t" checkout -q -f --detach "$base"
	log="$d/apply.log"
	if ! BUILD_DIR="$d" BASE="$name" "$ROOT/scripts/apply.sh" >"$log" 2>&1; then
		sed 's/^/  /' "$log" >&2
		n=$(sed -n 's/.*patch \([^ ]*\) does not apply.*/\1/p' "$log" | head -1)
		say "drift $name: the archive serves $pkg $newest, newer than $want (recorded); the series does not apply to it (${n:-see above}); skipped: move it with 'make rebase BASE=$name'"
		skipped=$((skipped + 1))
		return
	fi
	if [ "${DRIFT_KUNIT:-1}" = 0 ]; then
		say "drift $name: the archive serves $pkg $newest, newer than $want (recorded); the series applies (suites not run: DRIFT_KUNIT=0); 'make rebase BASE=$name' moves it"
		passed=$((passed + 1))
		return
	fi
	if BUILD_DIR="$d" BASE="$name" CCACHE_DIR="$CCACHE_DIR" ARCH=um KUNIT_CONFIG=default "$ROOT/scripts/kunit.sh" >&2; then
		read -r n _ <"$d/$name/results/kunit-um.counts"
		say "drift $name: the archive serves $pkg $newest, newer than $want (recorded); the series applies and its $n UML cases pass there; 'make rebase BASE=$name' moves it"
		passed=$((passed + 1))
	else
		say "drift $name: the archive serves $pkg $newest, newer than $want (recorded); the series applies but its UML suites fail there (build/$name/drift/$name/results); skipped: move it with 'make rebase BASE=$name' and fix what fails"
		skipped=$((skipped + 1))
	fi
}

# newer_mainline NAME: a line when NAME's suite serves a linux-source-N.N
# newer than NAME's package.
newer_mainline() {
	local name=$1 pkg suite all newer
	pkg=$(base_field "$name" package)
	suite=$(base_field "$name" suite)
	all=$("$ROOT/scripts/archive.sh" packages "$name") || return 0
	newer=$(printf '%s\n%s\n' "$all" "$pkg" | sort -uV | sed -n "\|^$pkg\$|,\$p" | sed 1d | paste -sd' ' -)
	if [ -n "$newer" ]; then
		say "drift $name: $suite serves $newer, a newer mainline release than $pkg: the series should move to it; skipped"
		skipped=$((skipped + 1))
	fi
}

for b in "${bases[@]}"; do
	drift_one "$b"
	[ "$(base_field "$b" series)" != patches ] || newer_mainline "$b"
done
echo
printf '%s\n' "${lines[@]}"
echo "$passed $failed $skipped" >"$results/drift.counts"
[ "$failed" -eq 0 ]
