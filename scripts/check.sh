#!/usr/bin/env bash
# Check the series the way upstream reviewers will:
#  - checkpatch.pl --strict on every patch: no error, no warning;
#  - kernel-doc -Wall on every C file and header the series touches;
#  - sparse (C=2) and W=1 on every object the series touches, built in
#    build/um (the UML KUnit configuration, series options on); for files
#    that exist before the series, the same objects are built from the base
#    tree and only warnings the series adds fail;
#  - coccicheck (MODE=report) on the same objects, findings compared with the
#    base's the same way;
#  - tools/testing/vma, mm/vma.c's userspace tests, built and run;
#  - the ABI checker on Documentation/ABI and the docs build of the books
#    holding the .rst files the series touches, warnings compared with the
#    base's;
#  - the build matrix: each kconfig/build-*.config built by scripts/build.sh
#    (modules, i386, no procfs/sysctl/tracing, options off, clang + W=1),
#    and every patch on its own, options on and off (scripts/bisect.sh).
# Writes 'passed failed skipped' to build/results/check.counts.
. "$(dirname "$0")/lib.sh"

"$ROOT/scripts/deps.sh" build check
# checkpatch's SPDX check needs python3-ply, which Debian installs for its
# own python3: prefer that one over any other python3 on PATH.
export PATH="/usr/bin:$PATH"

t=$(tree_dir)
base=$(base_rev)
results="$WORK/results"
mkdir -p "$results"
passed=0 failed=0 skipped=0
ok() { passed=$((passed + 1)); printf 'check: ok     %s\n' "$*"; }
bad() { failed=$((failed + 1)); printf 'check: FAILED %s\n' "$*"; }

# 1. checkpatch --strict on each patch.
# checkpatch looks up the commits that Fixes: tags and "commit <id>"
# references name in the tree's history. Debian's tarballs, committed as
# the base (one commit a release, on top of each other after a rebase),
# have none of upstream's: there (and only there) that one check is
# skipped.
ignore=FILE_PATH_CHANGES
if { [ -z "${KERNEL_SRC:-}" ] && git -C "$t" config vmascope.version >/dev/null; } ||
   ! git -C "$t" rev-parse -q --verify "$(base_rev)^" >/dev/null; then
	ignore=$ignore,UNKNOWN_COMMIT_ID
	info "the base $(git -C "$t" log -1 --format=%h "$(base_rev)") has no upstream history: checkpatch cannot look up the commits Fixes: tags name"
fi
# One checkpatch a core (a run is one perl process, a second or more on a
# large patch), each into a file of its own; the results are then read in
# the series' order.
cpdir=$(mktemp -d)
# "does MAINTAINERS need updating?" is answered below, file by file.
series | (cd "$t" && xargs -P "$(nproc)" -I{} sh -c \
	'perl scripts/checkpatch.pl --strict --ignore "$1" "$2/$3" >"$4/$3.out" 2>&1 || true' \
	checkpatch "$ignore" "$PATCH_DIR" {} "$cpdir")
while read -r p; do
	out=$(cat "$cpdir/$p.out" 2>/dev/null)
	total=$(printf '%s\n' "$out" | grep -E '^total: ' | tail -1)
	e=$(printf '%s' "$total" | sed -n 's/^total: \([0-9]*\) errors, \([0-9]*\) warnings, \([0-9]*\) checks.*/\1 \2 \3/p')
	read -r ne nw nc <<<"${e:-x x x}"
	if [ "$ne" = 0 ] && [ "$nw" = 0 ]; then
		ok "checkpatch --strict $p ($nc checks)"
	else
		{ printf '%s\n' "$out" | grep -E -A3 '^(ERROR|WARNING)' || true; } | sed 's/^/    /'
		bad "checkpatch --strict $p: ${total:-no result}"
	fi
done < <(series)
rm -rf "$cpdir"

# No patch over 40 KB: a reviewer reads a patch whole, and mm's maintainers
# ask for larger ones to be split.
max_bytes=$((40 * 1024))
big=""
largest=0 largest_name=""
while read -r p; do
	n=$(wc -c <"$PATCH_DIR/$p")
	[ "$n" -gt "$largest" ] && largest=$n largest_name=$p
	[ "$n" -gt "$max_bytes" ] && big="$big $p ($n bytes)"
done < <(series)
if [ -z "$big" ]; then
	ok "no patch over 40 KB (largest: $largest_name, $largest bytes)"
else
	bad "patches over 40 KB ($max_bytes bytes), to be split:$big"
fi

# No patch rewrites or deletes more than a handful of lines an earlier patch
# of the series added: a fix is folded into the patch it fixes.
if out=$(python3 "$ROOT/scripts/rewrites.py" "$t" "$base" HEAD --max 5 2>&1); then
	ok "no patch rewrites what an earlier patch of the series added (at most 5 lines)"
else
	printf '%s\n' "$out" | sed 's/^/    /'
	bad "patches rewrite what earlier patches of the series added: fold each fix into the patch it fixes"
fi

# Files the series touches.
mapfile -t added < <(git -C "$t" diff --name-only --diff-filter=A "$base" HEAD -- '*.c' '*.h')
mapfile -t modified < <(git -C "$t" diff --name-only --diff-filter=M "$base" HEAD -- '*.c' '*.h')

# Every file the series adds has a maintainer in MAINTAINERS.
mapfile -t new_files < <(git -C "$t" diff --name-only --diff-filter=A "$base" HEAD)
orphans=()
for f in "${new_files[@]}"; do
	(cd "$t" && perl scripts/get_maintainer.pl --no-git --no-tree -f "$f" 2>/dev/null) |
		grep -q '(maintainer:' || orphans+=("$f")
done
if [ ${#orphans[@]} -eq 0 ]; then
	ok "MAINTAINERS covers the ${#new_files[@]} files the series adds"
else
	bad "no maintainer in MAINTAINERS for: ${orphans[*]}"
fi

# 2. kernel-doc -Wall on every touched C file and header; for files that
# exist before the series, only warnings it adds count.
kdoc() { # kdoc DIR FILE...: kernel-doc warnings, without line numbers
	local d=$1
	shift
	[ $# -gt 0 ] || return 0
	(cd "$d" && perl "$t/scripts/kernel-doc" -none -Wall "$@" 2>&1) |
		sed -E 's/:[0-9]+:? /: /' | sort
}
if [ $(( ${#added[@]} + ${#modified[@]} )) -gt 0 ]; then
	kbase=$(mktemp -d)
	for f in "${modified[@]}"; do
		mkdir -p "$kbase/$(dirname "$f")"
		git -C "$t" show "$base:$f" >"$kbase/$f"
	done
	new_kdoc=$(comm -23 <(kdoc "$t" "${added[@]}" "${modified[@]}") \
		<(kdoc "$kbase" "${modified[@]}"))
	rm -rf "$kbase"
	if [ -z "$new_kdoc" ]; then
		ok "kernel-doc -Wall on ${#added[@]} added and ${#modified[@]} modified files: no new warnings"
	else
		printf '%s\n' "$new_kdoc" | sed 's/^/    /'
		bad "kernel-doc -Wall: $(printf '%s\n' "$new_kdoc" | wc -l) new warnings"
	fi
fi

# 3. sparse and W=1 on the touched objects of the UML KUnit build.
new_objs=() old_objs=()
um="$WORK/um"
[ -n "${KERNEL_SRC:-}" ] && um="$t.um"
if [ ! -f "$um/.config" ]; then
	skipped=$((skipped + 1))
	printf 'check: SKIP   sparse/W=1: no UML build in %s yet (run make kunit first)\n' "$um"
else
	mapfile -t new_objs < <(built_objs "$um" "${added[@]}" "${modified[@]}")
	mapfile -t old_objs < <(built_objs "$um" "${modified[@]}")
	if [ ${#new_objs[@]} -eq 0 ]; then
		skipped=$((skipped + 1))
		printf 'check: SKIP   sparse/W=1: the UML KUnit configuration builds none of the touched files\n'
	else
		# Objects built by an earlier run would not be compiled again, and
		# their warnings would go unseen: remove them first.
		(cd "$um" && rm -f "${new_objs[@]}")
		make -s -C "$t" ARCH=um O="$um" -j"$(nproc)" C=2 W=1 "${new_objs[@]}" \
			>"$results/check-sparse.log" 2>&1 || true
		build_warnings "$results/check-sparse.log" "$t" >"$results/check-sparse.new"
		: >"$results/check-sparse.base"
		if [ ${#old_objs[@]} -gt 0 ]; then
			# The same objects from the base tree, in a worktree of its own.
			bt=$(base_worktree) bo="$WORK/um-base"
			mkdir -p "$bo"
			cp "$um/.config" "$bo/.config"
			make -s -C "$bt" ARCH=um O="$bo" olddefconfig >/dev/null
			(cd "$bo" && rm -f "${old_objs[@]}")
			ticker "sparse/W=1: base tree, ${#old_objs[@]} objects" "$bo"
			make -s -C "$bt" ARCH=um O="$bo" -j"$(nproc)" C=2 W=1 "${old_objs[@]}" \
				>"$results/check-sparse-base.log" 2>&1 || true
			ticker_stop
			build_warnings "$results/check-sparse-base.log" "$bt" >"$results/check-sparse.base"
		fi
		added_w=$(new_warnings "$results/check-sparse.new" "$results/check-sparse.base")
		# The tree's Makefile tries sparse on a snippet first
		# (scripts/checker-valid.sh) and, when it fails, only warns and
		# checks nothing: 7.3's snippet uses __typeof_unqual__, which
		# Debian's sparse (0.6.4, the last release) does not parse.
		what="sparse (C=2) and W=1"
		if grep -q 'sparse is not available or not up to date' "$results/check-sparse.log"; then
			what="W=1"
			skipped=$((skipped + 1))
			printf 'check: SKIP   sparse: the tree rejects this sparse (%s) as too old (scripts/checker-valid.sh); only W=1 ran\n' \
				"$(sparse --version 2>/dev/null || echo unknown)"
		fi
		if [ -z "$added_w" ]; then
			ok "$what on ${#new_objs[@]} objects: no new warnings"
		else
			printf '%s\n' "$added_w" | sed 's/^/    /'
			bad "$what: $(printf '%s\n' "$added_w" | wc -l) new warnings"
		fi
	fi
fi

# 3b. coccicheck on the same objects (scripts/cocci.sh), unless
# CHECK_COCCI=0 (make test runs it as a step of its own).
if [ "${CHECK_COCCI:-1}" = 0 ]; then
	skipped=$((skipped + 1))
	printf 'check: SKIP   coccicheck: CHECK_COCCI=0 (scripts/cocci.sh, or make check, runs it)\n'
else
	"$ROOT/scripts/cocci.sh" || true
	read -r p f s <"$results/cocci.counts" || { p=0 f=1 s=0; }
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
fi

# 4. The userspace tests of mm/vma.c (tools/testing/vma), when the series
# touches what they compile.
if git -C "$t" diff --quiet "$base" HEAD -- mm/vma.c mm/vma.h mm/vma_internal.h tools/testing/vma; then
	skipped=$((skipped + 1))
	printf 'check: SKIP   tools/testing/vma: the series does not touch mm/vma.c\n'
else
	vt="$t/tools/testing/vma"
	if make -s -C "$vt" -j"$(nproc)" >"$results/check-vma-harness.log" 2>&1 &&
	   (cd "$vt" && ./vma) >>"$results/check-vma-harness.log" 2>&1; then
		ok "tools/testing/vma: $(grep -E 'tests run' "$results/check-vma-harness.log" | tail -1)"
	else
		tail -20 "$results/check-vma-harness.log" | sed 's/^/    /'
		bad "tools/testing/vma does not build or pass (log: $results/check-vma-harness.log)"
	fi
	make -s -C "$vt" clean >/dev/null 2>&1 || true
fi

# 4b. The documentation the series touches, with the tree's own tools: the
# ABI files with the ABI checker (tools/docs/get_abi.py on 7.x,
# scripts/get_abi.pl before), the .rst files with the docs build limited to
# the books that hold them (make htmldocs SPHINXDIRS=...). Only warnings the
# base's same run lacks count; the base's are kept in $WORK/docs-base.
# doc_warnings LOG TREE: the warnings of a docs run, relative to TREE,
# without line numbers, sorted and unique
doc_warnings() {
	{ grep -E 'WARNING|ERROR|CRITICAL|SEVERE' "$1" || true; } |
		sed -E -e "s|$2/||g" -e 's/:[0-9]+:/:/g' -e 's/:[0-9]+: /: /' | sort -u
}
# abi_check TREE: the ABI checker's report on TREE's Documentation/ABI
abi_check() {
	if [ -f "$1/tools/docs/get_abi.py" ]; then
		(cd "$1" && python3 tools/docs/get_abi.py --dir Documentation/ABI validate 2>&1)
	else
		(cd "$1" && perl scripts/get_abi.pl --dir Documentation/ABI validate 2>&1)
	fi
}
mapfile -t abi_files < <(git -C "$t" diff --name-only "$base" HEAD -- Documentation/ABI)
mapfile -t rst_files < <(git -C "$t" diff --name-only "$base" HEAD -- 'Documentation/*.rst')
docbase="$WORK/docs-base"
mkdir -p "$docbase"
if [ ${#abi_files[@]} -eq 0 ]; then
	skipped=$((skipped + 1))
	printf 'check: SKIP   ABI checker: the series touches no file in Documentation/ABI\n'
else
	abi_check "$t" >"$results/check-abi.log" || true
	doc_warnings "$results/check-abi.log" "$t" >"$results/check-abi.new"
	bkey="$docbase/abi-$(git -C "$t" rev-parse "$base")"
	if [ ! -f "$bkey" ]; then
		bt=$(base_worktree)
		abi_check "$bt" >"$results/check-abi-base.log" || true
		doc_warnings "$results/check-abi-base.log" "$bt" >"$bkey"
	fi
	added_d=$(new_warnings "$results/check-abi.new" "$bkey")
	# The checker must have read the series' files: ask it for one of them.
	if [ -f "$t/tools/docs/get_abi.py" ]; then
		what=$(sed -n 's/^What:[[:space:]]*//p' "$t/${abi_files[0]}" | head -1)
		found=$(cd "$t" && python3 tools/docs/get_abi.py --dir Documentation/ABI search "$what" 2>&1 |
			grep -c "Defined on file(s):.*${abi_files[0]}" || true)
	else
		found=1
	fi
	if [ -n "$added_d" ]; then
		printf '%s\n' "$added_d" | sed 's/^/    /'
		bad "ABI checker: $(printf '%s\n' "$added_d" | wc -l) new warnings on ${abi_files[*]}"
	elif [ "${found:-0}" -eq 0 ]; then
		bad "ABI checker: it does not find the series' ${abi_files[0]} when searching for '$what'"
	else
		ok "ABI checker (validate) with ${abi_files[*]}: no new warnings"
	fi
fi
if [ ${#rst_files[@]} -eq 0 ]; then
	skipped=$((skipped + 1))
	printf 'check: SKIP   docs build: the series touches no .rst file\n'
elif ! command -v sphinx-build >/dev/null; then
	bad "docs build: sphinx-build not installed (scripts/deps.sh check installs python3-sphinx)"
else
	# Each file's book: the nearest directory above it with an index.rst.
	books=()
	for f in "${rst_files[@]}"; do
		d=$(dirname "$f")
		while [ "$d" != Documentation ] && [ ! -f "$t/$d/index.rst" ]; do d=$(dirname "$d"); done
		books+=("${d#Documentation/}")
	done
	mapfile -t books < <(printf '%s\n' "${books[@]}" | sort -u)
	dirs="${books[*]}"
	d0=$(date +%s)
	info "docs build of ${dirs} (make htmldocs SPHINXDIRS=...)"
	drc=0
	ticker "docs build" "$WORK/docs" "echo \$(find '$WORK/docs' -name '*.html' 2>/dev/null | wc -l) pages written"
	# The docs build is the host's: an ARCH set empty (make test's
	# Makefile exports the variable) would make it look for arch//Makefile.
	env -u ARCH make -C "$t" O="$WORK/docs" SPHINXDIRS="$dirs" htmldocs \
		>"$results/check-docs.log" 2>&1 || drc=$?
	ticker_stop
	doc_warnings "$results/check-docs.log" "$t" >"$results/check-docs.new"
	bkey="$docbase/htmldocs-$(git -C "$t" rev-parse "$base")-$(printf '%s' "$dirs" | tr ' /' '+_')"
	if [ ! -f "$bkey" ]; then
		bt=$(base_worktree)
		ticker "docs build: base tree" "$WORK/docs-base-out" \
			"echo \$(find '$WORK/docs-base-out' -name '*.html' 2>/dev/null | wc -l) pages written"
		# Kept only from a build that went through.
		if env -u ARCH make -C "$bt" O="$WORK/docs-base-out" SPHINXDIRS="$dirs" htmldocs \
			>"$results/check-docs-base.log" 2>&1; then
			doc_warnings "$results/check-docs-base.log" "$bt" >"$bkey"
		fi
		ticker_stop
	fi
	added_d=$(new_warnings "$results/check-docs.new" "$bkey" 2>/dev/null || true)
	if [ "$drc" -ne 0 ]; then
		tail -20 "$results/check-docs.log" | sed 's/^/    /'
		bad "docs build of ${dirs} failed (log: $results/check-docs.log)"
	elif [ ! -f "$bkey" ]; then
		tail -20 "$results/check-docs-base.log" | sed 's/^/    /'
		bad "docs build of ${dirs} failed on the base tree (log: $results/check-docs-base.log)"
	elif [ -n "$added_d" ]; then
		printf '%s\n' "$added_d" | sed 's/^/    /'
		bad "docs build of ${dirs}: $(printf '%s\n' "$added_d" | wc -l) new warnings"
	else
		ok "docs build (make htmldocs SPHINXDIRS=\"${dirs}\") of ${#rst_files[@]} touched .rst files: no new warnings ($(( $(date +%s) - d0 )) s)"
	fi
fi

# 5. The build matrix (scripts/build.sh, one configuration a fragment
# kconfig/build-*.config) and the build of every patch on its own
# (scripts/bisect.sh), unless CHECK_MATRIX=0 (make test runs each of them as
# a step of its own).
if [ "${CHECK_MATRIX:-1}" != 0 ]; then
	for frag in "$KCONFIG_DIR"/build-*.config; do
		c=${frag##*/build-}
		c=${c%.config}
		"$ROOT/scripts/build.sh" "$c" || true
		read -r p f _ <"$results/build-$c.counts" || { p=0 f=1; }
		passed=$((passed + p)) failed=$((failed + f))
	done
	"$ROOT/scripts/bisect.sh" || true
	read -r p f _ <"$results/bisect.counts" || { p=0 f=1; }
	passed=$((passed + p)) failed=$((failed + f))
fi

printf '%s %s %s\n' "$passed" "$failed" "$skipped" >"$results/check.counts"
printf 'check: %s passed, %s failed, %s skipped\n' "$passed" "$failed" "$skipped"
[ "$failed" -eq 0 ]
