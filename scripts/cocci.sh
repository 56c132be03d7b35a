#!/usr/bin/env bash
# coccicheck (MODE=report) on the C files the series touches, through the
# kernel's own per-file entry point, make C=2 CHECK=scripts/coccicheck:
# every semantic patch of scripts/coccinelle on each touched file that the
# UML KUnit configuration builds (build/BASE/um, from 'make kunit').
# Findings in a file the base has count only if the base's same file lacks
# them. A run takes minutes (each file is parsed once a semantic patch), so
# the findings of a tree state are kept in build/BASE/cocci-findings, keyed
# by the tree (tools/ and Documentation/ aside) and spatch's version. Run
# by make check; make test runs it as a step of its own. Writes 'passed
# failed skipped' to build/BASE/results/cocci.counts.
. "$(dirname "$0")/lib.sh"

"$ROOT/scripts/deps.sh" build check
export PATH="/usr/bin:$PATH"

t=$(tree_dir)
base=$(base_rev)
results="$WORK/results"
mkdir -p "$results"
counts="$results/cocci.counts"
passed=0 failed=0 skipped=0
end() {
	printf '%s %s %s\n' "$passed" "$failed" "$skipped" >"$counts"
	[ "$failed" -eq 0 ]
	exit
}
ok() { passed=$((passed + 1)); printf 'check: ok     %s\n' "$*"; }
bad() { failed=$((failed + 1)); printf 'check: FAILED %s\n' "$*"; }

um="$WORK/um"
[ -n "${KERNEL_SRC:-}" ] && um="$t.um"
mapfile -t added < <(git -C "$t" diff --name-only --diff-filter=A "$base" HEAD -- '*.c')
mapfile -t modified < <(git -C "$t" diff --name-only --diff-filter=M "$base" HEAD -- '*.c')
new_objs=() old_objs=()
if [ -f "$um/.config" ]; then
	mapfile -t new_objs < <(built_objs "$um" "${added[@]}" "${modified[@]}")
	mapfile -t old_objs < <(built_objs "$um" "${modified[@]}")
fi
if [ ${#new_objs[@]} -eq 0 ]; then
	skipped=$((skipped + 1))
	printf 'check: SKIP   coccicheck: no object of the touched files in %s (run make kunit first)\n' "$um"
	end
fi
command -v spatch >/dev/null || { bad "coccicheck: spatch not installed (scripts/deps.sh check installs coccinelle)"; end; }

# cocci_findings DIR OUT LOG OBJ...: the findings of coccicheck on those
# objects of the configured build OUT of tree DIR (its output in LOG),
# relative to DIR, without line and column numbers, sorted; fails if
# coccicheck does.
cocci_findings() {
	local d=$1 o=$2 log=$3
	shift 3
	# An absolute CHECK: make runs it, and first checker-valid.sh, from OUT.
	make -C "$d" ARCH=um O="$o" -j"$(nproc)" C=2 CHECK="$d/scripts/coccicheck" MODE=report \
		"$@" >"$log" 2>&1 || { tail -20 "$log" | sed 's/^/    /' >&2; return 1; }
	# make only warns, and checks nothing, when it finds the checker
	# unusable: every file must have been checked.
	if grep -q 'is not available or not up to date' "$log" ||
	   [ "$(grep -c '^ *CHECK ' "$log")" -lt $# ]; then
		echo "    coccicheck checked $(grep -c '^ *CHECK ' "$log") of $# files:" >&2
		grep -E 'not available|rror' "$log" | head -5 | sed 's/^/    /' >&2
		return 1
	fi
	{ grep -E '^[^ ]+\.[ch]:[0-9]+:' "$log" || true; } |
		sed -E -e "s|$d/||g" -e 's/:[0-9]+:[0-9]+-[0-9]+: /: /' \
			-e 's/(at |on )?line [0-9]+/line N/g' | sort -u
}

cdir="$WORK/cocci-findings"
mkdir -p "$cdir"
ver=$(spatch --version | head -1 | awk '{print $3}')
# The key: every top-level directory of the tree but tools/ and
# Documentation/, which no C file of the kernel includes (a change to the
# kselftest or the docs alone does not rerun it).
key="$ver-$(git -C "$t" ls-tree HEAD | grep -v -P '\t(tools|Documentation)$' | md5sum | cut -c1-16)"
c0=$(date +%s)
if [ ! -f "$cdir/$key" ]; then
	info "coccicheck on ${#new_objs[@]} files (minutes: each semantic patch parses each file)"
	ticker "coccicheck" "$um" \
		"echo \$(grep -c '^ *CHECK ' '$results/check-cocci.log' 2>/dev/null) of ${#new_objs[@]} files checked so far"
	if ! cocci_findings "$t" "$um" "$results/check-cocci.log" "${new_objs[@]}" >"$cdir/$key.tmp"; then
		ticker_stop
		rm -f "$cdir/$key.tmp"
		bad "coccicheck failed (log: $results/check-cocci.log)"
		end
	fi
	ticker_stop
	mv "$cdir/$key.tmp" "$cdir/$key"
fi

# The base's findings, for the touched files that have some and that the
# base has too.
mapfile -t hit < <(sed -E 's/:.*//' "$cdir/$key" | sort -u)
base_objs=()
for f in "${hit[@]}"; do
	for o in "${old_objs[@]}"; do
		[ "$o" = "${f%.c}.o" ] && base_objs+=("$o")
	done
done
: >"$results/check-cocci.base"
if [ ${#base_objs[@]} -gt 0 ]; then
	bkey="$ver-base-$(git -C "$t" rev-parse "$base")-$(printf '%s\n' "${base_objs[@]}" | md5sum | cut -c1-12)"
	if [ ! -f "$cdir/$bkey" ]; then
		bt=$(base_worktree) bo="$WORK/um-base"
		mkdir -p "$bo"
		cp "$um/.config" "$bo/.config"
		make -s -C "$bt" ARCH=um O="$bo" olddefconfig >/dev/null
		ticker "coccicheck: base tree, ${#base_objs[@]} files" "$bo"
		if cocci_findings "$bt" "$bo" "$results/check-cocci-base.log" "${base_objs[@]}" >"$cdir/$bkey.tmp"; then
			mv "$cdir/$bkey.tmp" "$cdir/$bkey"
		else
			rm -f "$cdir/$bkey.tmp"
		fi
		ticker_stop
	fi
	cp "$cdir/$bkey" "$results/check-cocci.base" 2>/dev/null ||
		{ bad "coccicheck failed on the base tree (log: $results/check-cocci-base.log)"; end; }
fi
added_c=$(new_warnings "$cdir/$key" "$results/check-cocci.base")
if [ -z "$added_c" ]; then
	ok "coccicheck (MODE=report) on ${#new_objs[@]} files: no new findings ($(wc -l <"$cdir/$key") as in the base; $(( $(date +%s) - c0 )) s)"
else
	printf '%s\n' "$added_c" | sed 's/^/    /'
	bad "coccicheck (MODE=report): $(printf '%s\n' "$added_c" | wc -l) new findings (log: $results/check-cocci.log)"
fi
end
