#!/usr/bin/env bash
# make test: everything CI runs, in order, each step named with what it
# runs (and the base, 7.3 or 6.12, it runs on), its output shown as it
# comes, and summarised with its time:
#   both bases' trees with their series applied; the tooling self-tests;
#   KUnit under UML on both, and the mainline kernel booted again with
#   vma_stats=1; whether Debian's archive serves a newer release of a base
#   than the recorded one, or a newer mainline package (scripts/drift.sh);
#   the upstream checks (checkpatch, kernel-doc, sparse, W=1,
#   tools/testing/vma, the ABI checker and the docs build) on the mainline
#   series; the mainline series' build matrix (kconfig/7.3/build-*.config)
#   and every patch of it built on its own;
#   the mainline series in an x86_64 QEMU guest with 4 CPUs; for each
#   series, its vma_stats kselftest and tools/mm/vmastat in an x86_64
#   guest, and its suites in the same kernel with 2 CPUs followed by a
#   kmemleak scan; then, each while
#   the run stays within its time budget (timed_step below): the checks
#   on the 6.12 series (coccicheck aside); the configurations of the
#   mainline build matrix marked '# timed:' (!MMU); coccicheck on the
#   mainline series; the mainline series under UML with the debug
#   configuration (DEBUG_VM, DEBUG_VM_MAPLE_TREE, lockdep, KASAN).
#   Ends with one line
#   'N passed, N failed[, N skipped]' that counts KUnit cases, checks,
#   builds, kselftest cases and tooling tests together.
. "$(dirname "$0")/lib.sh"

results="$WORK/results"
mkdir -p "$results"
total_p=0 total_f=0 total_s=0
summary=()
t0=$(date +%s)

finish() {
	echo
	echo "== summary ($(( $(date +%s) - t0 )) s)"
	printf '%s\n' "${summary[@]}"
	if [ "$total_s" -gt 0 ]; then
		echo "$total_p passed, $total_f failed, $total_s skipped"
	else
		echo "$total_p passed, $total_f failed"
	fi
	[ "$total_f" -eq 0 ]
	exit
}

# step NAME COUNTS-FILE CMD...: run a step, add up what it counted.
step() {
	local name=$1 counts=$2 s rc p=0 f=0 k=0
	shift 2
	echo
	echo "== $name: $(printf '%s ' "$@" | sed "s|$ROOT/||g")"
	rm -f "$counts"
	s=$(date +%s)
	set +e
	"$@"
	rc=$?
	set -e
	[ -f "$counts" ] && read -r p f k <"$counts"
	# A step that failed without counting anything counts as one failure.
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
	total_p=$((total_p + p)) total_f=$((total_f + f)) total_s=$((total_s + k))
	summary+=("$(printf '%-18s %4d passed, %d failed, %d skipped  (%d s)' \
		"$name:" "$p" "$f" "$k" $(( $(date +%s) - s )))")
	echo "== $name: $p passed, $f failed, $k skipped in $(( $(date +%s) - s )) s (total $(( $(date +%s) - t0 )) s)"
}

# The guest and extra-configuration steps after the per-patch builds are
# started only while the run stays within make test's time budget
# (MAKE_TEST_BUDGET minutes, default 75): a step whose expected time (its
# first argument: minutes on a slow 2-core machine, with a margin) would
# take the run past the budget is not started and counts as skipped, with
# the reason. On a machine fast enough for the budget, every step runs.
budget=$(( ${MAKE_TEST_BUDGET:-75} * 60 ))
timed_step() { # timed_step MINUTES NAME COUNTS-FILE CMD...
	local minutes=$1 name=$2 so_far
	shift
	so_far=$(( $(date +%s) - t0 ))
	if [ $(( so_far + minutes * 60 )) -gt "$budget" ]; then
		echo
		echo "== $name: skipped: $(( so_far / 60 )) min so far, and about $minutes more would take make test past its budget of $(( budget / 60 )) min (MAKE_TEST_BUDGET=N raises it)"
		total_s=$((total_s + 1))
		summary+=("$(printf '%-18s %4d passed, %d failed, %d skipped  (over the time budget)' "$name:" 0 0 1)")
		return 0
	fi
	step "$@"
}

# Every base's tree, with its series applied.
# The bases' trees are fetched and their series applied at the same time:
# unpacking and committing a tree is one core's work at a time (xz, then
# git hashing every file) with waits on the disk in between. Each line of
# their output says which base it is from.
setup() {
	local b rc=0
	"$ROOT/scripts/deps.sh" || return
	for b in $(base_names); do
		rm -f "$results/setup-$b.rc"
		{ BASE=$b "$ROOT/scripts/tree.sh" && BASE=$b "$ROOT/scripts/apply.sh"
		  echo $? >"$results/setup-$b.rc"; } 2>&1 | sed -u "s/^/$b: /" &
	done
	wait
	for b in $(base_names); do
		[ "$(cat "$results/setup-$b.rc" 2>/dev/null)" = 0 ] || { echo "setup: $b failed"; rc=1; }
	done
	return "$rc"
}
step setup "$results/none" setup
if [ "$total_f" -ne 0 ]; then
	finish
fi
# r BASE NAME: a base's counts file
r() { printf '%s/%s/results/%s.counts\n' "$BUILD_DIR" "$1" "$2"; }
default=$(default_base)
# The mainline base is the one whose series is patches/; the backport the
# other one (bases has two).
mainline= backport=
for b in $(base_names); do
	if [ "$(base_field "$b" series)" = patches ]; then mainline=$b; else backport=$b; fi
done
[ -n "$mainline" ] && [ -n "$backport" ] || die "bases must name a mainline base (series patches) and a backport"
# The mainline series: UML (also booted with counting on), checks, build
# matrix, per-patch builds, x86_64 SMP, its kselftest and kmemleak, then
# as time allows the debug configuration. The backport: UML, its
# kselftest guest and the suites on x86_64 SMP with kmemleak in the same
# kernel, then as time allows its checks (it does not change while the
# mainline series is ported).
step "tooling" "$(r "$default" tests)" "$ROOT/tests/run.sh"
step "kunit um $mainline" "$(r "$mainline" kunit-um)" env BASE=$mainline ARCH=um KUNIT_CONFIG=default "$ROOT/scripts/kunit.sh"
step "kunit um boot $mainline" "$(r "$mainline" kunit-um-boot)" env BASE=$mainline ARCH=um KUNIT_CONFIG=boot "$ROOT/scripts/kunit.sh"
step "kunit um $backport" "$(r "$backport" kunit-um)" env BASE=$backport ARCH=um KUNIT_CONFIG=default "$ROOT/scripts/kunit.sh"
step "drift" "$(r "$default" drift)" env BASE= "$ROOT/scripts/drift.sh"
step "check $mainline" "$(r "$mainline" check)" env BASE=$mainline CHECK_MATRIX=0 CHECK_COCCI=0 "$ROOT/scripts/check.sh"
# A configuration whose fragment says '# timed: MINUTES' is built at the
# end, while the run stays within its budget.
timed_builds=()
for f in "$ROOT"/kconfig/$mainline/build-*.config; do
	c=${f##*/build-}
	c=${c%.config}
	if [ -n "$(frag_key "$f" timed)" ]; then
		timed_builds+=("$(frag_key "$f" timed) $c")
		continue
	fi
	step "build $c $mainline" "$(r "$mainline" "build-$c")" env BASE=$mainline "$ROOT/scripts/build.sh" "$c"
done
step "bisect $mainline" "$(r "$mainline" bisect)" env BASE=$mainline "$ROOT/scripts/bisect.sh"
step "kunit x86_64 smp $mainline" "$(r "$mainline" kunit-x86_64-smp)" env BASE=$mainline ARCH=x86_64 KUNIT_CONFIG=smp "$ROOT/scripts/kunit.sh"
# The mainline series' kselftest and vmastat in an x86_64 guest, then its
# suites booted in the same kernel (2 CPUs, DEBUG_VM) and a kmemleak scan
# after them: one small kernel build, two boots.
step "selftest $mainline" "$(r "$mainline" selftest)" env BASE=$mainline "$ROOT/scripts/selftest.sh"
step "kmemleak $mainline" "$(r "$mainline" kmemleak)" env BASE=$mainline "$ROOT/scripts/selftest.sh" kmemleak
step "selftest $backport" "$(r "$backport" selftest)" env BASE=$backport "$ROOT/scripts/selftest.sh"
# The backport's suites on x86_64 with 2 CPUs, in the selftest kernel just
# built (SMP, DEBUG_VM, kmemleak), parsed by kunit.py parse: a kunit.py
# build of its own would cost another x86_64 kernel (about 12 minutes
# cold) for the same suites (make kunit BASE=6.12 ARCH=x86_64
# KUNIT_CONFIG=smp runs them so).
step "kunit x86_64 smp $backport" "$(r "$backport" kmemleak)" env BASE=$backport "$ROOT/scripts/selftest.sh" kmemleak
# The backport's checks without coccicheck: its semantic patches take
# minutes a tree state, and the backport's code is the mainline series',
# which the 7.3 check runs them on (make check BASE=6.12 runs them).
timed_step 4 "check $backport" "$(r "$backport" check)" env BASE=$backport CHECK_MATRIX=0 CHECK_COCCI=0 "$ROOT/scripts/check.sh"
for tb in "${timed_builds[@]}"; do
	read -r m c <<<"$tb"
	timed_step "$m" "build $c $mainline" "$(r "$mainline" "build-$c")" env BASE=$mainline "$ROOT/scripts/build.sh" "$c"
done
# coccicheck on the mainline series (scripts/cocci.sh; make check runs it
# in its place): every semantic patch on every touched file, about 10
# minutes the first time a tree state is checked (measured 2026-12-08:
# 8 minutes for 23 files, 1.5 for the base's one file with findings).
timed_step 10 "coccicheck $mainline" "$(r "$mainline" cocci)" env BASE=$mainline "$ROOT/scripts/cocci.sh"
# Measured 449 s from scratch (2026-12-07, 21 patches); 9 minutes, so
# that a run that admits it still ends within the budget.
timed_step 9 "kunit um debug $mainline" "$(r "$mainline" kunit-um-debug)" env BASE=$mainline ARCH=um KUNIT_CONFIG=debug "$ROOT/scripts/kunit.sh"
finish
