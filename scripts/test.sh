#!/usr/bin/env bash
# make test: everything CI runs, in order, each step named with what it
# runs, its output shown as it comes, and summarised with its time:
#   tooling self-tests; KUnit under UML; whether Debian's archive serves a
#   newer release of the base than the recorded one (and if so, the series
#   applied and run there: scripts/drift.sh); the upstream checks (checkpatch,
#   kernel-doc, sparse, W=1, tools/testing/vma); the build matrix of the
#   build bots, one step a configuration (modules, i386, VMA_STATS without
#   procfs/sysctl/tracing, every option off, clang + W=1) and every patch
#   built on its own; KUnit in an x86_64 QEMU guest with 4 CPUs; the
#   vma_stats kselftest in an x86_64 guest, and the suites again in that
#   kernel followed by a kmemleak scan; KUnit with KCSAN in an SMP x86_64
#   guest; KUnit on arm64 with 2 CPUs; KUnit under UML with the debug
#   configuration (DEBUG_VM, DEBUG_VM_MAPLE_TREE, lockdep, KASAN); the
#   kernel's default KUnit run (KUNIT_ALL_TESTS under UML) with DEBUG_VM.
#   Ends with one line
#   'N passed, N failed[, N skipped]' that counts KUnit cases, checks,
#   builds, kselftest cases and tooling tests together.
. "$(dirname "$0")/lib.sh"

results="$BUILD_DIR/results"
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

setup() {
	"$ROOT/scripts/deps.sh" && "$ROOT/scripts/tree.sh" && "$ROOT/scripts/apply.sh"
}
step setup "$results/none" setup
if [ "$total_f" -ne 0 ]; then
	finish
fi
step "tooling" "$results/tests.counts" "$ROOT/tests/run.sh"
step "kunit um" "$results/kunit-um.counts" env ARCH=um KUNIT_CONFIG=default "$ROOT/scripts/kunit.sh"
step "drift" "$results/drift.counts" "$ROOT/scripts/drift.sh"
step "check" "$results/check.counts" env CHECK_MATRIX=0 "$ROOT/scripts/check.sh"
for c in modules i386 noproc off clang; do
	step "build $c" "$results/build-$c.counts" "$ROOT/scripts/build.sh" "$c"
done
step "bisect" "$results/bisect.counts" "$ROOT/scripts/bisect.sh"
step "kunit x86_64 smp" "$results/kunit-x86_64-smp.counts" env ARCH=x86_64 KUNIT_CONFIG=smp "$ROOT/scripts/kunit.sh"
step "selftest" "$results/selftest.counts" "$ROOT/scripts/selftest.sh"
step "kmemleak x86_64" "$results/kmemleak.counts" "$ROOT/scripts/selftest.sh" kmemleak
step "kunit x86_64 kcsan" "$results/kunit-x86_64-kcsan.counts" env ARCH=x86_64 KUNIT_CONFIG=kcsan "$ROOT/scripts/kunit.sh"
step "kunit arm64 smp" "$results/kunit-arm64-smp.counts" env ARCH=arm64 KUNIT_CONFIG=smp KUNIT_CPUS=2 "$ROOT/scripts/kunit.sh"
step "kunit um debug" "$results/kunit-um-debug.counts" env ARCH=um KUNIT_CONFIG=debug "$ROOT/scripts/kunit.sh"
step "kunit um all" "$results/kunit-um-alltests.counts" env ARCH=um KUNIT_CONFIG=alltests "$ROOT/scripts/kunit.sh"
finish
