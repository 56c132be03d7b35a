#!/usr/bin/env bash
# Self-tests of the vmascope tooling. Each test_* function is one test.
# They work on a throwaway clone of the default base's build/BASE/linux
# (kept in build/selftest and reused), never on it or on the series.
# Writes 'passed failed skipped' to build/results/tests.counts.
# tests/run.sh NAME... runs only those (names without test_).
. "$(dirname "$0")/../scripts/lib.sh"

S="$BUILD_DIR/selftest"
USER_TREE="$S/user-linux"	# stands for a user's own kernel git tree
results="$WORK/results"
mkdir -p "$S" "$results"
passed=0 failed=0
LOG="$S/last.log"

# Run the tooling as a user with their tree would, with its own build dir.
tool() {
	env BUILD_DIR="$S/build" "$@"
}

expect_fail() { # expect_fail PATTERN CMD...: fails, and says PATTERN
	local pat=$1
	shift
	if "$@" >"$LOG" 2>&1; then
		echo "    expected a failure: $*"
		return 1
	fi
	grep -q -E -- "$pat" "$LOG" || { echo "    output lacks /$pat/:"; sed 's/^/    | /' "$LOG"; return 1; }
}

# A user's git tree: a clone of build/linux at the base, on their own branch.
setup_user_tree() {
	local base
	[ -e "$WORK/linux/.git" ] || "$ROOT/scripts/tree.sh" >/dev/null
	base=$(git -C "$WORK/linux" rev-parse "$BASE_TAG^{commit}")
	if [ ! -e "$USER_TREE/.git" ]; then
		git clone -q --shared --no-checkout "$WORK/linux" "$USER_TREE"
		git -C "$USER_TREE" checkout -q -b user-work "$base"
	fi
	git -C "$USER_TREE" checkout -q user-work
	git -C "$USER_TREE" reset -q --hard "$base"
	tool KERNEL_SRC="$USER_TREE" "$ROOT/scripts/tree.sh" >"$LOG" 2>&1 || { cat "$LOG"; exit 1; }
}

test_missing_kernel_src_refused() {
	expect_fail "no such directory" tool KERNEL_SRC="$S/does-not-exist" "$ROOT/scripts/tree.sh" &&
		[ ! -e "$S/does-not-exist" ]
}

test_plain_directory_refused() {
	local d
	d=$(mktemp -d)
	mkdir -p "$d/mm"
	expect_fail "not a git tree" tool KERNEL_SRC="$d" "$ROOT/scripts/tree.sh"
	rm -rf "$d"
	expect_fail "not a git tree" tool KERNEL_SRC="$USER_TREE/mm" "$ROOT/scripts/tree.sh"
}

# A tree of a release the series does not exist for is refused, naming
# the ones it exists for; one of another base than BASE= says so.
test_kernel_src_of_another_release_refused() {
	local d names
	d=$(mktemp -d)
	printf 'VERSION = 5\nPATCHLEVEL = 10\nSUBLEVEL = 0\n' >"$d/Makefile"
	mkdir -p "$d/mm" "$d/tools/testing/kunit"
	: >"$d/mm/vma.c"
	: >"$d/tools/testing/kunit/kunit.py"
	git -C "$d" init -q && git -C "$d" add -A && git -C "$d" commit -q -m old
	names=$(base_names | sed 's/^/Linux /' | paste -sd, - | sed 's/,/, /g')
	expect_fail "is Linux 5\.10; the series exists for ${names//./\\.} only" \
		tool KERNEL_SRC="$d" "$ROOT/scripts/tree.sh" || { rm -rf "$d"; return 1; }
	rm -rf "$d"
	local v other
	v=$(tree_version "$USER_TREE")
	v=${v%.*}
	other=$(base_names | grep -vxF "$v" | head -1)
	[ -n "$other" ] || return 0
	expect_fail "is Linux ${v//./\\.}, but BASE=${other//./\\.}" \
		tool KERNEL_SRC="$USER_TREE" BASE="$other" "$ROOT/scripts/tree.sh"
}

# The per-patch builds take the objects to build from the matrix's final
# builds: without them they fail, rather than pass having built nothing.
test_bisect_needs_final_builds() {
	tool KERNEL_SRC="$USER_TREE" "$ROOT/scripts/tree.sh" >"$LOG" 2>&1 || { cat "$LOG"; return 1; }
	expect_fail "no final build of configuration modules" \
		tool KERNEL_SRC="$USER_TREE" "$ROOT/scripts/bisect.sh"
}

test_dirty_kernel_src_refused_untouched() {
	local before after head
	echo "/* local change */" >>"$USER_TREE/mm/vma.c"
	before=$(git -C "$USER_TREE" status --porcelain; git -C "$USER_TREE" diff | sha1sum)
	head=$(git -C "$USER_TREE" rev-parse HEAD)
	expect_fail "uncommitted changes" tool KERNEL_SRC="$USER_TREE" "$ROOT/scripts/tree.sh" || return 1
	after=$(git -C "$USER_TREE" status --porcelain; git -C "$USER_TREE" diff | sha1sum)
	[ "$before" = "$after" ] || { echo "    the dirty tree changed"; return 1; }
	[ "$(git -C "$USER_TREE" rev-parse HEAD)" = "$head" ] &&
		[ "$(git -C "$USER_TREE" symbolic-ref --short HEAD)" = user-work ] || return 1
	git -C "$USER_TREE" checkout -q -- mm/vma.c
}

test_roundtrip_on_user_tree() {
	local copy="$S/patches" wt head
	head=$(git -C "$USER_TREE" rev-parse HEAD)
	rm -rf "$copy"
	cp -r "$PATCH_DIR" "$copy"
	tool KERNEL_SRC="$USER_TREE" "$ROOT/scripts/tree.sh" >"$LOG" 2>&1 || { cat "$LOG"; return 1; }
	tool KERNEL_SRC="$USER_TREE" PATCH_DIR="$copy" FORCE=1 "$ROOT/scripts/apply.sh" >"$LOG" 2>&1 ||
		{ cat "$LOG"; return 1; }
	wt=$(KERNEL_SRC="$USER_TREE" BUILD_DIR="$S/build" bash -c ". '$ROOT/scripts/lib.sh'; tree_dir")
	[ "$(git -C "$wt" rev-list --count "$head..HEAD")" = "$(series | wc -l)" ] ||
		{ echo "    $wt does not hold the series"; return 1; }
	rm -f "$copy"/*
	tool KERNEL_SRC="$USER_TREE" PATCH_DIR="$copy" "$ROOT/scripts/export.sh" >"$LOG" 2>&1 ||
		{ cat "$LOG"; return 1; }
	diff -r "$PATCH_DIR" "$copy" >"$LOG" || { echo "    export differs:"; head -40 "$LOG"; return 1; }
	# The user's own checkout was never moved.
	[ "$(git -C "$USER_TREE" symbolic-ref --short HEAD)" = user-work ] &&
		[ "$(git -C "$USER_TREE" rev-parse HEAD)" = "$head" ] && is_clean "$USER_TREE"
}

test_corrupted_patch_rejected_with_name() {
	local copy="$S/corrupt" wt first
	rm -rf "$copy"
	cp -r "$PATCH_DIR" "$copy"
	first=$(series | head -1)
	# Damage a context line of the first hunk: it can no longer apply.
	awk '!done && hunk && /^ / { sub(/^ /, " XX"); done = 1 } /^@@ / { hunk = 1 } 1' \
		"$PATCH_DIR/$first" >"$copy/$first"
	cmp -s "$PATCH_DIR/$first" "$copy/$first" && { echo "    could not corrupt $first"; return 1; }
	expect_fail "patch $first does not apply" \
		tool KERNEL_SRC="$USER_TREE" PATCH_DIR="$copy" FORCE=1 "$ROOT/scripts/apply.sh" || return 1
	wt=$(KERNEL_SRC="$USER_TREE" BUILD_DIR="$S/build" bash -c ". '$ROOT/scripts/lib.sh'; tree_dir")
	# No am left in progress, nothing half applied.
	[ ! -d "$(git -C "$wt" rev-parse --git-path rebase-apply)" ] && is_clean "$wt"
}

test_truncated_patch_rejected() {
	local copy="$S/truncated" first
	rm -rf "$copy"
	cp -r "$PATCH_DIR" "$copy"
	first=$(series | head -1)
	# Cut in the middle of its diff, whatever its size.
	head -c $(($(wc -c <"$PATCH_DIR/$first") * 2 / 3)) "$PATCH_DIR/$first" >"$copy/$first"
	expect_fail "patch $first does not apply" \
		tool KERNEL_SRC="$USER_TREE" PATCH_DIR="$copy" FORCE=1 "$ROOT/scripts/apply.sh"
}

test_series_lists_missing_patch() {
	local copy="$S/missing"
	rm -rf "$copy"
	cp -r "$PATCH_DIR" "$copy"
	echo "9999-no-such.patch" >>"$copy/series"
	expect_fail "9999-no-such.patch" tool KERNEL_SRC="$USER_TREE" PATCH_DIR="$copy" "$ROOT/scripts/apply.sh"
}

test_kunit_results_catch_failures() {
	local d="$S/json"
	mkdir -p "$d/src"
	printf 'static struct kunit_suite s = {\n\t.name = "wanted",\n};\n' >"$d/src/a_kunit.c"
	printf 'static struct kunit_suite t = {\n\t.name = "absent",\n};\n' >"$d/src/b_kunit.c"
	cat >"$d/r.json" <<'JSON'
{"name": "KUnit Test Group", "sub_groups": [{"name": "wanted", "sub_groups": [
 {"name": "param", "sub_groups": [], "test_cases": [{"name": "a", "status": "PASS"},
  {"name": "b", "status": "ERROR"}]}],
 "test_cases": [{"name": "c", "status": "FAIL"}, {"name": "d", "status": "SKIP"}]}], "test_cases": []}
JSON
	expect_fail "MISSING: suite absent" python3 "$ROOT/scripts/kunit_results.py" --name t \
		--json "$d/r.json" --suites "$d/src" --counts "$d/counts" || return 1
	[ "$(cat "$d/counts")" = "1 3 1" ] || { echo "    counts: $(cat "$d/counts")"; return 1; }
	expect_fail "no usable results" python3 "$ROOT/scripts/kunit_results.py" --name t \
		--json "$d/none.json" --counts "$d/counts"
}

test_kunit_results_unbuilt_suite_not_expected() {
	local d="$S/unbuilt"
	mkdir -p "$d/src"
	printf 'static struct kunit_suite s = {\n\t.name = "wanted",\n};\n' >"$d/src/a_kunit.c"
	printf 'static struct kunit_suite t = {\n\t.name = "optional",\n};\n' >"$d/src/b_kunit.c"
	printf 'obj-$(CONFIG_A)\t+= a_kunit.o\nobj-$(CONFIG_B)\t+= b_kunit.o\n' >"$d/src/Makefile"
	printf 'CONFIG_A=y\n# CONFIG_B is not set\n' >"$d/config"
	printf '{"name": "g", "sub_groups": [{"name": "wanted", "sub_groups": [], "test_cases": [{"name": "a", "status": "PASS"}]}], "test_cases": []}\n' >"$d/r.json"
	# b_kunit.o is not built: its suite is not missing.
	python3 "$ROOT/scripts/kunit_results.py" --name t --json "$d/r.json" \
		--suites "$d/src" --config "$d/config" --counts "$d/counts" || return 1
	# Once CONFIG_B is on, it must run.
	printf 'CONFIG_A=y\nCONFIG_B=y\n' >"$d/config"
	expect_fail "MISSING: suite optional" python3 "$ROOT/scripts/kunit_results.py" --name t \
		--json "$d/r.json" --suites "$d/src" --config "$d/config" --counts "$d/counts"
}

test_kunit_results_filter() {
	local d="$S/filter"
	mkdir -p "$d/src"
	printf 'static struct kunit_suite s = {\n\t.name = "vma_walk",\n};\n' >"$d/src/a_kunit.c"
	printf 'static struct kunit_suite t = {\n\t.name = "vma_merge",\n};\n' >"$d/src/b_kunit.c"
	printf '{"name": "g", "sub_groups": [{"name": "vma_walk", "sub_groups": [], "test_cases": [{"name": "a", "status": "PASS"}]}], "test_cases": []}\n' >"$d/r.json"
	# make walk runs one suite (KUNIT_FILTER): the others are not missing.
	python3 "$ROOT/scripts/kunit_results.py" --name t --json "$d/r.json" --filter vma_walk \
		--suites "$d/src" --counts "$d/counts" || return 1
	[ "$(cat "$d/counts")" = "1 0 0" ] || { echo "    counts: $(cat "$d/counts")"; return 1; }
	# The filter does not excuse the suite it names.
	expect_fail "MISSING: suite vma_merge" python3 "$ROOT/scripts/kunit_results.py" --name t \
		--json "$d/r.json" --filter 'vma_m*' --suites "$d/src" --counts "$d/counts"
}

test_kunit_results_build_failure_is_one_failure() {
	local d="$S/buildfail"
	mkdir -p "$d/src"
	printf 'static struct kunit_suite s = {\n\t.name = "one",\n};\n' >"$d/src/a_kunit.c"
	printf 'static struct kunit_suite t = {\n\t.name = "two",\n};\n' >"$d/src/b_kunit.c"
	# What kunit.py prints when the kernel does not build: no JSON results.
	cat >"$d/kunit.log" <<'LOG'
[10:00:00] Building KUnit Kernel ...
ERROR:root:../mm/vma_stats.c: In function 'vma_stats_init':
../mm/vma_stats.c:42:9: error: 'nope' undeclared (first use in this function)
make[4]: *** [../scripts/Makefile.build:287: mm/vma_stats.o] Error 1
LOG
	expect_fail "BUILD FAILED" python3 "$ROOT/scripts/kunit_results.py" --name t \
		--json "$d/none.json" --suites "$d/src" --log "$d/kunit.log" --counts "$d/counts" || return 1
	# One failure, quoting the compiler, and no suite reported missing.
	grep -q "vma_stats.c:42:9: error: 'nope' undeclared" "$LOG" || { echo "    the error is not quoted"; return 1; }
	! grep -q MISSING "$LOG" || { echo "    suites reported missing after a failed build"; return 1; }
	[ "$(cat "$d/counts")" = "0 1 0" ] || { echo "    counts: $(cat "$d/counts")"; return 1; }
}

test_kunit_results_required_case() {
	local d="$S/require"
	mkdir -p "$d"
	printf '{"name": "g", "sub_groups": [{"name": "vma_stats", "sub_groups": [], "test_cases": [{"name": "boot", "status": "SKIP"}, {"name": "other", "status": "SKIP"}]}], "test_cases": []}\n' >"$d/r.json"
	# A required case that skipped is a failure; a skip elsewhere is not.
	expect_fail "SKIP: vma_stats.boot \\(required to pass\\)" python3 "$ROOT/scripts/kunit_results.py" \
		--name t --json "$d/r.json" --require 'vma_stats.boot' --counts "$d/counts" || return 1
	[ "$(cat "$d/counts")" = "0 1 1" ] || { echo "    counts: $(cat "$d/counts")"; return 1; }
	# A required case that did not run at all is one too.
	expect_fail "MISSING: no case matching vma_stats.absent" python3 "$ROOT/scripts/kunit_results.py" \
		--name t --json "$d/r.json" --require 'vma_stats.absent' --counts "$d/counts" || return 1
	sed -i 's/"boot", "status": "SKIP"/"boot", "status": "PASS"/' "$d/r.json"
	python3 "$ROOT/scripts/kunit_results.py" --name t --json "$d/r.json" \
		--require 'vma_stats.boot' --counts "$d/counts" || return 1
	[ "$(cat "$d/counts")" = "1 0 1" ] || { echo "    counts: $(cat "$d/counts")"; return 1; }
}

test_kernel_log_reports_fail() {
	local d="$S/log"
	mkdir -p "$d"
	printf '{"name": "g", "sub_groups": [{"name": "s", "sub_groups": [], "test_cases": [{"name": "a", "status": "PASS"}]}], "test_cases": []}\n' >"$d/r.json"
	cat >"$d/console" <<'LOG'
WARNING: CPU: 0 PID: 1 at arch/um/drivers/virt-pci.c:1005 um_pci_init+0xc7/0xd4
    ok 1 a
BUG: KASAN: slab-use-after-free in __mmdrop+0x10/0x20
LOG
	expect_fail "KERNEL LOG: BUG: KASAN" python3 "$ROOT/scripts/kunit_results.py" --name t \
		--json "$d/r.json" --console "$d/console" --allow "$ROOT/kunit/known-reports" \
		--counts "$d/counts" || return 1
	[ "$(cat "$d/counts")" = "1 1 0" ] || { echo "    counts: $(cat "$d/counts")"; return 1; }
	grep -q "virt-pci" "$LOG" && { echo "    a known report was counted"; return 1; }
	return 0
}

# selftest_results.py on consoles of run_vmtests.sh -t vma_stats: the
# test's own KTAP, between the runner's header and verdict, parsed by the
# tree's kunit.py.
selftest_console() { # selftest_console FILE EXIT LINE...: a guest's console
	local f=$1 rc=$2 l
	shift 2
	{
		echo "vmascope-selftest: start (test)"
		echo "TAP version 13"
		printf '%s\n' "# -----------------" "# running ./vma_stats" "# -----------------"
		for l in "$@"; do echo "# $l"; done
		[ "$rc" = 0 ] && printf '%s\n' "# [PASS]" "ok 1 vma_stats" ||
			printf '%s\n' "# [FAIL]" "not ok 1 vma_stats # exit=$rc"
		printf '%s\n' "# SUMMARY: PASS=0 SKIP=0 FAIL=0" "1..1"
		echo "vmascope-selftest: end exit=$rc"
	} >"$f"
}

test_selftest_results_catch_failures() {
	local d="$S/ktap" k
	k="$WORK/linux/tools/testing/kunit/kunit.py"
	[ -f "$k" ] || "$ROOT/scripts/tree.sh" >/dev/null || return 1
	mkdir -p "$d"
	sr() { python3 "$ROOT/scripts/selftest_results.py" --name t --kunit "$k" --counts "$d/counts" "$@"; }
	selftest_console "$d/fail" 1 "TAP version 13" "1..3" "ok 1 vma_stats.format" \
		"not ok 2 vma_stats.access" "ok 3 vma_stats.hammer # SKIP no"
	expect_fail "FAIL: vma_stats.access" sr --console "$d/fail" || return 1
	[ "$(cat "$d/counts")" = "1 1 1" ] || { echo "    counts: $(cat "$d/counts")"; return 1; }
	# A result missing from the plan, and no end marker: the guest hung.
	selftest_console "$d/hung" 0 "TAP version 13" "1..2" "ok 1 vma_stats.format"
	sed -i '/\[PASS\]/,$d' "$d/hung"
	expect_fail "no end marker" sr --console "$d/hung" || return 1
	[ "$(cat "$d/counts")" = "1 2 0" ] || { echo "    counts: $(cat "$d/counts")"; return 1; }
	# The runner stopped before the test (6.12's without hugetlbfs does).
	printf '%s\n' "vmascope-selftest: start (test)" "no hugetlbfs support in kernel?" \
		"vmascope-selftest: end exit=1" >"$d/norun"
	expect_fail "did not run ./vma_stats" sr --console "$d/norun" || return 1
	# The runner failed, though every case passed.
	selftest_console "$d/exit" 1 "TAP version 13" "1..1" "ok 1 vma_stats.format"
	expect_fail "exited 1 with no failed result" sr --console "$d/exit" || return 1
	# A clean run passes, a kernel report in it fails.
	selftest_console "$d/ok" 0 "TAP version 13" "1..1" "ok 1 vma_stats.format"
	sr --console "$d/ok" >"$LOG" 2>&1 || { sed 's/^/    | /' "$LOG"; return 1; }
	[ "$(cat "$d/counts")" = "1 0 0" ] || { echo "    counts: $(cat "$d/counts")"; return 1; }
	grep -qx "ok 1 vma_stats.format" "$S/ktap/t.ktap" ||
		{ echo "    t.ktap is not the test's KTAP"; return 1; }
	sed -i '2i BUG: KASAN: use-after-free in mmput+0x1/0x2' "$d/ok"
	expect_fail "KASAN" sr --console "$d/ok" || return 1
	# --vmastat: vmastat's table and JSON after the test, two results.
	selftest_console "$d/vmastat" 0 "TAP version 13" "1..1" "ok 1 vma_stats.format"
	printf '%s\n' "vmascope-vmastat: start" \
		"max_map_count 65530  vma_map_count_refused 0" \
		"    PID    MAPS    PEAK %MAX REFUSED   SPLIT  MERGES UNMERGED TOP   COMM" \
		"      1      10      10    0      0       0       0        6 -     init" \
		"vmascope-vmastat: table exit=0" \
		'{"max_map_count":65530,"processes":[{"pid":1,"comm":"init","counters":{"map_count":10,"unmerged_mergeable":0}}]}' \
		"vmascope-vmastat: end exit=0" >>"$d/vmastat"
	sr --console "$d/vmastat" --vmastat >"$LOG" 2>&1 || { sed 's/^/    | /' "$LOG"; return 1; }
	[ "$(cat "$d/counts")" = "3 0 0" ] || { echo "    counts: $(cat "$d/counts")"; return 1; }
	# No line for pid 1 in the table, and JSON that does not parse.
	sed -i -e '/^      1 /d' -e 's/^{"max/{max/' "$d/vmastat"
	expect_fail "vmastat table.*pid 1" sr --console "$d/vmastat" --vmastat || return 1
	[ "$(cat "$d/counts")" = "1 2 0" ] || { echo "    counts: $(cat "$d/counts")"; return 1; }
	# No vmastat section at all: the guest did not run it.
	expect_fail "did not finish" sr --console "$d/exit" --vmastat
}

test_kunit_results_cpus_and_kmemleak() {
	local d="$S/smp" r="$ROOT/scripts/kunit_results.py"
	mkdir -p "$d"
	printf '{"name": "g", "sub_groups": [{"name": "s", "sub_groups": [], "test_cases": [{"name": "a", "status": "PASS"}]}], "test_cases": []}\n' >"$d/r.json"
	# kunit.py's x86_64 kernel without CONFIG_SMP boots one CPU of -smp 4.
	printf '%s\n' "[    0.1] smp: Brought up 1 node, 1 CPU" "    ok 1 a" >"$d/one"
	expect_fail "expected 4 CPUs" python3 "$r" --name t --json "$d/r.json" --console "$d/one" \
		--cpus 4 --counts "$d/counts" || return 1
	printf '%s\n' "[    0.1] smp: Brought up 1 node, 4 CPUs" "    ok 1 a" >"$d/four"
	python3 "$r" --name t --json "$d/r.json" --console "$d/four" --cpus 4 \
		--counts "$d/counts" >"$LOG" 2>&1 || return 1
	[ "$(cat "$d/counts")" = "2 0 0" ] || { echo "    counts: $(cat "$d/counts")"; return 1; }
	# kmemleak: a missing scan fails, a leak fails and names its allocator.
	expect_fail "KMEMLEAK: no kmemleak scan" python3 "$r" --name t --json "$d/r.json" \
		--console "$d/four" --kmemleak --counts "$d/counts" || return 1
	cat >"$d/leak" <<'LOG'
vmascope-kmemleak: start
unreferenced object 0xffff888003f8c000 (size 64):
  comm "kunit_try_catch", pid 90, jiffies 4294892296
  backtrace (crc 0):
    [<ffffffff8113c1b2>] kmemleak_alloc+0x42/0x90
    [<ffffffff8113c1b3>] __kmalloc_cache_noprof+0x100/0x200
    [<ffffffff8113c1b4>] vma_stats_mm_init+0x12/0x40
    [<ffffffff8113c1b5>] mm_init+0x200/0x300
vmascope-kmemleak: end
LOG
	expect_fail "KMEMLEAK: unreferenced object .* from vma_stats_mm_init" python3 "$r" --name t \
		--json "$d/r.json" --console "$d/leak" --kmemleak --counts "$d/counts" || return 1
	printf '%s\n' "vmascope-kmemleak: start" "vmascope-kmemleak: end" >"$d/clean"
	python3 "$r" --name t --json "$d/r.json" --console "$d/clean" --kmemleak \
		--counts "$d/counts" >"$LOG" 2>&1 || return 1
	[ "$(cat "$d/counts")" = "2 0 0" ] || { echo "    counts: $(cat "$d/counts")"; return 1; }
}

test_build_fragments_hold() {
	# Every build-matrix fragment names a known arch and no option twice.
	local f a
	for f in "$ROOT"/kconfig/build-*.config; do
		a=$(sed -n 's/^# arch: *//p' "$f")
		case "$a" in x86_64 | i386 | arm64 | um) ;; *) echo "    $f: arch '$a'"; return 1 ;; esac
		if grep -oE '^(# )?CONFIG_[A-Z0-9_]+' "$f" | sed 's/^# //' | sort | uniq -d | grep -q .; then
			echo "    $f sets an option twice"
			return 1
		fi
	done
}

test_rewrites_caught() {
	# A patch that rewrites lines an earlier patch of the series added is
	# caught; one that only adds is not.
	local d="$S/rewrites" r="$ROOT/scripts/rewrites.py"
	rm -rf "$d"
	git init -q "$d"
	printf 'a\n' >"$d/f"
	git -C "$d" add f && git -C "$d" commit -qm base && git -C "$d" tag base
	printf 'a\n1\n2\n3\n4\n5\n6\n7\n' >"$d/f"
	git -C "$d" commit -qam "feature"
	printf 'a\n1\n2\n3\n4\n5\n6\n7\n8\n' >"$d/f"
	git -C "$d" commit -qam "addition"
	python3 "$r" "$d" base HEAD --max 0 >"$LOG" 2>&1 || { cat "$LOG"; return 1; }
	printf 'a\nx\ny\nz\nw\nv\nu\n7\n8\n' >"$d/f"
	git -C "$d" commit -qam "fixup of the feature"
	expect_fail "patch 3 \(fixup of the feature\): rewrites or deletes 6 lines of patch 1" \
		python3 "$r" "$d" base HEAD --max 5
}

test_guestbench_results_check() {
	# make guestbench's tables from the guests' consoles: within the
	# limits it passes; an off/stock ratio over 1.01 fails, naming the row,
	# unless --nocheck; a boot without its figures fails.
	local d="$S/guestbench" r="$ROOT/scripts/guestbench_results.py" row
	rm -rf "$d"
	mkdir -p "$d"
	gb_consoles() { # gb_consoles OFF_NS: consoles of one boot of each kernel
		for row in fork_exit fork_exec fault mincore mprotect mmap_munmap; do
			echo "guestbench: kernel=stock mode=none row=$row ns=1000.00 iters=10 total_ns=10000" >>"$d/guestbench.stock.1.console.log"
			echo "guestbench: kernel=nostats mode=none row=$row ns=1000.00 iters=10 total_ns=10000" >>"$d/guestbench.nostats.1.console.log"
			printf '%s\r\n' "guestbench: kernel=stats mode=off row=$row ns=$1 iters=10 total_ns=10000" \
				"guestbench: kernel=stats mode=on row=$row ns=1030.00 iters=10 total_ns=10300 events=30 vs_lookup=30" \
				>>"$d/guestbench.stats.1.console.log"
		done
	}
	gb_consoles 1005.00
	python3 "$r" --results "$d" --boots 1 --out "$d/out.md" >"$LOG" 2>&1 || { cat "$LOG"; return 1; }
	grep -q '^| mincore | 1,000.0 | 1,000.0 | 1,005.0 | 1,030.0 | 1.005 | 1.000 | 1.025 |$' "$d/out.md" ||
		{ echo "    no mincore row as expected in:"; sed 's/^/    | /' "$d/out.md"; return 1; }
	grep -q '^| counters on: lookups | mincore | 3.000 | 25.0 | \*\*8.3\*\*' "$d/out.md" ||
		{ echo "    no per-lookup cost as expected"; return 1; }
	rm -f "$d"/*.console.log
	gb_consoles 1020.00
	expect_fail "OVER: fork_exit: off/stock 1.020 > 1.01" \
		python3 "$r" --results "$d" --boots 1 --out "$d/out.md" || return 1
	python3 "$r" --results "$d" --boots 1 --out "$d/out.md" --nocheck >"$LOG" 2>&1 || { cat "$LOG"; return 1; }
	expect_fail "no .*/guestbench.stock.2.console.log" \
		python3 "$r" --results "$d" --boots 2 --out "$d/out.md" || return 1
	cp "$d/guestbench.stock.1.console.log" "$d/guestbench.stock.2.console.log"
	cp "$d/guestbench.nostats.1.console.log" "$d/guestbench.nostats.2.console.log"
	grep -v 'row=mprotect' "$d/guestbench.stats.1.console.log" >"$d/guestbench.stats.2.console.log"
	expect_fail "no stats mode=off row=mprotect in boot\(s\) \[2\]" \
		python3 "$r" --results "$d" --boots 2 --out "$d/out.md"
}

# vmastat (tools/mm/vmastat.c, added by each series) on a recorded /proc
# tree in its base's format, tests/vmastat/BASE/proc; expected output in
# tests/vmastat/BASE/expected (VMASTAT_UPDATE=1 rewrites it from the tool's
# output instead of comparing). Each test runs once for each base
# (vmastat_each), on the tool of that base's series, built by tools/mm's
# own Makefile (build_vmastat) from build/BASE/linux into $VD.
VMASTAT_RUN=()	# a command prefix to run the tool with (setpriv)

vmastat_each() { # vmastat_each FUNC: FUNC once for each base, named on failure
	local b rc=0
	for b in $(base_names); do
		[ -e "$BUILD_DIR/$b/linux/.git" ] ||
			{ echo "    no build/$b/linux: make tree BASE=$b first"; rc=1; continue; }
		VMASTAT_TREE="$BUILD_DIR/$b/linux" VMASTAT_T="$ROOT/tests/vmastat/$b" \
			VD="$S/vmastat/$b" "$1" || { echo "    (the $b series' vmastat)"; rc=1; }
	done
	return "$rc"
}

vmastat_build() { # into $VD/vmastat; again only when the source changed
	local d="$VD" src="$VMASTAT_TREE/tools/mm/vmastat.c" bin
	[ -f "$src" ] ||
		{ echo "    $src missing: the series in the tree lacks tools/mm/vmastat.c"; return 1; }
	mkdir -p "$d"
	cmp -s "$src" "$d/vmastat.c" && [ -x "$d/vmastat" ] && return 0
	rm -f "$d/vmastat" "$d/vmastat.c"
	bin=$(build_vmastat "$VMASTAT_TREE" "$d/build" 2>"$LOG") ||
		{ echo "    make -C tools/mm vmastat failed:"; sed 's/^/    | /' "$LOG"; return 1; }
	cp "$bin" "$d/vmastat"
	cp "$src" "$d/vmastat.c"
}

vmastat_tree() { # vmastat_tree DIR: a fresh copy of the recorded tree
	rm -rf "$1"
	cp -r "$VMASTAT_T/proc" "$1"
}

# vmastat_check NAME BIN TREE ARGS...: exits as expected/NAME.exit says
# (0 if there is none), and its stdout and stderr are expected/NAME.out and
# expected/NAME.err
vmastat_check() {
	local name=$1 bin=$2 tree=$3 out="$VD/$1" rc=0 want=0
	shift 3
	[ ! -f "$VMASTAT_T/expected/$name.exit" ] || want=$(cat "$VMASTAT_T/expected/$name.exit")
	"${VMASTAT_RUN[@]}" "$bin" --proc "$tree" "$@" >"$out.out" 2>"$out.err" || rc=$?
	[ "$rc" = "$want" ] ||
		{ echo "    vmastat $* ($name): exit $rc, not $want"; sed 's/^/    | /' "$out.err"; return 1; }
	vmastat_compare "$name"
}

vmastat_compare() { # vmastat_compare NAME: $VD/NAME.{out,err} against expected/
	local f
	for f in out err; do
		if [ -n "${VMASTAT_UPDATE:-}" ]; then
			cp "$VD/$1.$f" "$VMASTAT_T/expected/$1.$f"
		elif ! diff -u "$VMASTAT_T/expected/$1.$f" "$VD/$1.$f" >"$LOG"; then
			echo "    $1: std$f differs from tests/vmastat/${VMASTAT_T##*/}/expected/$1.$f:"
			sed 's/^/    | /' "$LOG"
			return 1
		fi
	done
}

vmastat_table() {
	local d="$VD" tree="$VD/proc"
	vmastat_build && vmastat_tree "$tree" || return 1
	vmastat_check default "$d/vmastat" "$tree" || return 1
	vmastat_check pids "$d/vmastat" "$tree" -p 5001 -p 2 -p 4242 -p 1204 -p 99999 -p 1204 ||
		return 1
	vmastat_check first3 "$d/vmastat" "$tree" -n 3 || return 1
	vmastat_check json "$d/vmastat" "$tree" --json || return 1
	python3 -c 'import json, sys; [json.loads(l) for l in sys.stdin]' <"$d/json.out" ||
		{ echo "    --json: not JSON"; return 1; }
}

vmastat_interval() {
	vmastat_build && vmastat_samples interval || return 1
	# In JSON, where the base's data has it: the lines the table does not
	# show, a state line unknown to the tool as it is, an event's change.
	[ ! -f "$VMASTAT_T/expected/interval-json.out" ] || vmastat_samples interval-json --json
}

vmastat_samples() { # vmastat_samples NAME ARGS...
	# Two samples two seconds apart; the tree changes once the first table is
	# out: 412 exits, 6000 starts, 873 is a new process with the same pid
	# (its counters go backwards), 1204 and 2231 count on (and, in the 7.3
	# data, 1 and 5001 start again: another start time or stack).
	local d="$VD" tree="$VD/interval-proc" out="$VD/$1" name=$1 pid rc=0 i n
	shift
	vmastat_tree "$tree" || return 1
	n=$("$d/vmastat" --proc "$tree" "$@" 2>/dev/null | wc -l)	# lines of the first sample
	: >"$out.out"
	"$d/vmastat" --proc "$tree" "$@" -i 2 -c 2 >>"$out.out" 2>"$out.err" &
	pid=$!
	for ((i = 0; i < 150; i++)); do
		[ "$(wc -l <"$out.out")" -ge "$n" ] && break
		sleep 0.02
	done
	if [ "$i" = 150 ]; then
		kill "$pid" 2>/dev/null
		wait "$pid"
		echo "    no first table after 3 s:"
		sed 's/^/    | /' "$out.out" "$out.err"
		return 1
	fi
	cp -r "$VMASTAT_T/interval/." "$tree/" && rm -r "$tree/412" || return 1
	wait "$pid" || rc=$?
	[ "$rc" = 0 ] || { echo "    vmastat $* -i 2 -c 2: exit $rc"; sed 's/^/    | /' "$out.err"; return 1; }
	vmastat_compare "$name"
}

vmastat_permission_denied() {
	# A vma_stats file its reader may not open: a note, the others listed.
	local d="$VD" tmp="" tree bin rc=0
	vmastat_build || return 1
	tree="$d/denied-proc" bin="$d/vmastat"
	vmastat_tree "$tree" && chmod -R a+rX "$tree" || return 1
	if [ "$(id -u)" = 0 ]; then
		# As root, every file opens: run it as nobody, who must reach the
		# tool and the tree ($S may sit in /root).
		VMASTAT_RUN=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
		if ! "${VMASTAT_RUN[@]}" test -x "$bin" -a -r "$tree/1/vma_stats" 2>/dev/null; then
			tmp=$(mktemp -d) && cp "$bin" "$tmp/" && vmastat_tree "$tmp/proc" &&
				chmod -R a+rX "$tmp" || return 1
			tree="$tmp/proc" bin="$tmp/vmastat"
		fi
	fi
	chmod 000 "$tree/873/vma_stats" || return 1
	vmastat_check denied "$bin" "$tree" || rc=1
	# Asked for with -p: the same note, and an empty table.
	[ "$rc" = 1 ] || vmastat_check denied-pid "$bin" "$tree" -p 873 || rc=1
	[ -z "$tmp" ] || rm -rf "$tmp"
	return "$rc"
}

vmastat_without_config_vma_stats() {
	local d="$VD" tree="$VD/noconfig-proc" rc=0
	vmastat_build && vmastat_tree "$tree" || return 1
	rm "$tree"/*/vma_stats
	"$d/vmastat" --proc "$tree" >"$LOG" 2>&1 || rc=$?
	[ "$rc" = 1 ] || { echo "    exit $rc, not 1"; sed 's/^/    | /' "$LOG"; return 1; }
	grep -q "without CONFIG_VMA_STATS" "$LOG" ||
		{ echo "    no word of CONFIG_VMA_STATS:"; sed 's/^/    | /' "$LOG"; return 1; }
}

test_vmastat_table() { vmastat_each vmastat_table; }
test_vmastat_interval() { vmastat_each vmastat_interval; }
test_vmastat_permission_denied() { vmastat_each vmastat_permission_denied; }
test_vmastat_without_config_vma_stats() { vmastat_each vmastat_without_config_vma_stats; }

# Where the base's data has them: files of other shapes than the kernel's
# (edge-proc: lines missing, no map_count, the 6.12 format, another limit,
# lines of a later kernel, control characters in comm), looked up by name;
# counts above 2^32 and a wide TOP column (big-proc); -p of pids none of
# which it can read (exit 1); -i below 0.1 s refused.
vmastat_shapes() {
	local d="$VD" rc=0
	[ -d "$VMASTAT_T/edge-proc" ] || return 0
	vmastat_build || return 1
	rm -rf "$d/edge-proc" "$d/big-proc"
	cp -r "$VMASTAT_T/edge-proc" "$VMASTAT_T/big-proc" "$d/" && vmastat_tree "$d/proc" || return 1
	vmastat_check edge "$d/vmastat" "$d/edge-proc" &&
		vmastat_check edge-json "$d/vmastat" "$d/edge-proc" --json &&
		vmastat_check big "$d/vmastat" "$d/big-proc" &&
		vmastat_check big-json "$d/vmastat" "$d/big-proc" --json &&
		vmastat_check missing-pids "$d/vmastat" "$d/proc" -p 99999 -p 4242 -p 2 || return 1
	"$d/vmastat" --proc "$d/proc" -i 0.05 -c 1 >"$LOG" 2>&1 || rc=$?
	{ [ "$rc" = 1 ] && grep -q "below 0.1 s" "$LOG"; } ||
		{ echo "    -i 0.05: exit $rc, not 1 with a word of 0.1 s:"; sed 's/^/    | /' "$LOG"; return 1; }
	"$d/vmastat" --proc "$d/proc" -i 0.1 -c 2 >"$LOG" 2>&1 ||
		{ echo "    -i 0.1 -c 2: exit $?"; sed 's/^/    | /' "$LOG"; return 1; }
}
test_vmastat_shapes() { vmastat_each vmastat_shapes; }

# The state of the machine that fetching a kernel must not change: the apt
# configuration and the linux-source packages installed.
machine_state() {
	{
		find /etc/apt -type f -exec md5sum {} + 2>/dev/null | sort
		dpkg-query -W -f='${Package} ${Version} ${Status}\n' 'linux-source-*' 2>/dev/null | sort
	} | md5sum
}

test_fresh_machine_tree() {
	local d="$S/fresh" want pkg up before got v t
	pkg=$(base_field "$BASE" package)
	want=$(base_field "$BASE" version)
	up=${want%%-*}
	# A fresh machine: no package of the base's source installed, or another
	# version of it. The one recorded would hide what this test is for.
	v=$(dpkg-query -W -f='${Version} ${Status}' "$pkg" 2>/dev/null || true)
	case "$v" in
	"$want "*" installed")
		echo "    $pkg $want is installed here: purge it ('apt-get purge $pkg') to test the fresh-machine path"
		return 1 ;;
	esac
	before=$(machine_state)
	rm -rf "$d"
	env BUILD_DIR="$d" "$ROOT/scripts/tree.sh" >"$LOG" 2>&1 || { sed 's/^/    | /' "$LOG"; return 1; }
	t="$d/$BASE/linux"
	got=$(tree_version "$t")
	[ "$got" = "$up" ] || { echo "    build/$BASE/linux is Linux $got, not $up"; return 1; }
	[ "$(git -C "$t" config vmascope.version)" = "$want" ] ||
		{ echo "    the tree records $(git -C "$t" config vmascope.version), not $want"; return 1; }
	git -C "$t" log -1 --format=%s "$BASE_TAG" | grep -qF "$pkg $want" ||
		{ echo "    the base commit does not name $pkg $want"; return 1; }
	is_clean "$t" || { echo "    the new tree is not clean"; return 1; }
	[ "$(machine_state)" = "$before" ] ||
		{ echo "    fetching the tree changed /etc/apt or the installed linux-source packages"; return 1; }
	# Tell the archive a recorded version it does not serve: the newest is
	# taken, on one line that says so (the tree is that one already).
	printf '%s\t%s\t%s\t%s\t%s\n' "$BASE" "$pkg" "$up.0-1~gone1" "$(base_field "$BASE" suite)" \
		"$(base_field "$BASE" series)" >"$S/fresh-bases.gone"
	env BUILD_DIR="$d" VMASCOPE_BASES="$S/fresh-bases.gone" "$ROOT/scripts/tree.sh" >"$LOG" 2>&1 ||
		{ sed 's/^/    | /' "$LOG"; return 1; }
	grep -q "no longer serves $pkg $up.0-1~gone1 .*taking the newest it serves" "$LOG" ||
		{ echo "    no line about the version the archive no longer serves:"; sed 's/^/    | /' "$LOG"; return 1; }
	# A tree of another release than the recorded one, where the series
	# does not apply: the error names both and the command that moves it.
	git -C "$t" config vmascope.version "$up.0-1~other1"
	rm -rf "$S/fresh-patches"
	cp -r "$PATCH_DIR" "$S/fresh-patches"
	printf 'garbage\n' >"$S/fresh-patches/$(series | sed -n 1p)"
	expect_fail "this tree is $up.0-1~other1" \
		env BUILD_DIR="$d" PATCH_DIR="$S/fresh-patches" "$ROOT/scripts/apply.sh" || return 1
	grep -q "recorded on $pkg $want .*" "$LOG" && grep -q "make rebase VERSION=$up.0-1~other1" "$LOG" ||
		{ echo "    the error does not name both versions and make rebase:"; sed 's/^/    | /' "$LOG"; return 1; }
	rm -rf "$d" "$S/fresh-patches"
}

test_drift_fails_on_an_unserved_record() {
	local pkg suite
	pkg=$(base_field "$BASE" package)
	suite=$(base_field "$BASE" suite)
	printf '%s\t%s\t%s\t%s\t%s\n' "$BASE" "$pkg" "1.0-1~gone1" "$suite" \
		"$(base_field "$BASE" series)" >"$S/bases.gone"
	expect_fail "1.0-1~gone1 \(recorded\) is no longer served" \
		env BUILD_DIR="$S/build" VMASCOPE_BASES="$S/bases.gone" "$ROOT/scripts/drift.sh" &&
		[ "$(cat "$S/build/$BASE/results/drift.counts")" = "0 1 0" ]
}

# Every version of a base named in README, docs/, the cover letters and
# kunit/ is the recorded one, README names each, each series' cover letter
# names its own, and README and docs/design.md agree on how long make test
# takes.
re() { printf '%s' "$1" | sed 's/[.+^$*]/\\&/g'; }
test_docs_name_the_recorded_base() {
	local b want up rc=0 f n times cover
	for b in $(base_names); do
		want=$(base_field "$b" version)
		up=${want%%-*}
		cover="$ROOT/$(base_field "$b" series)/0000-cover-letter.patch"
		for f in "$ROOT"/README.md "$ROOT"/docs/*.md "$ROOT"/*/0000-cover-letter.patch \
			 "$ROOT"/backports/*/0000-cover-letter.patch "$ROOT"/kunit/*; do
			[ -f "$f" ] || continue
			n=$(grep -noE "\b${b//./\\.}\.[0-9]+(-[0-9]+~[a-z0-9+.]+)?" "$f" |
				grep -vE ":($(re "$up")|$(re "$want"))\$" || true)
			[ -z "$n" ] || { echo "    ${f#"$ROOT"/} names another release than $up ($want):"; sed 's/^/      /' <<<"$n"; rc=1; }
		done
		[ ! -f "$cover" ] || grep -qF "$want" "$cover" ||
			{ echo "    ${cover#"$ROOT"/} does not name $want"; rc=1; }
		grep -qF "$want" "$ROOT/README.md" || { echo "    README.md does not name $want"; rc=1; }
	done
	times=$(cat "$ROOT/README.md" "$ROOT/docs/design.md" | tr '\n' ' ' |
		grep -oE "make test\`? from a clean clone[^.(]*about [0-9]+ minutes" | grep -oE "[0-9]+ minutes" | sort -u)
	[ "$(wc -l <<<"$times")" = 1 ] && [ -n "$times" ] ||
		{ echo "    README.md and docs/design.md give make test's time as: $(echo $times)"; rc=1; }
	return "$rc"
}

# b4 writes the mails of the series from a user's tree: the same patches as
# the series directory, the revision of the cover letter's prefix, the base
# named as base-commit:, and the user's checkout left as it was.
test_outgoing_on_user_tree() {
	local head out wt n cover
	head=$(git -C "$USER_TREE" rev-parse HEAD)
	tool KERNEL_SRC="$USER_TREE" "$ROOT/scripts/outgoing.sh" >"$LOG" 2>&1 || { cat "$LOG"; return 1; }
	grep -q 'mails: subjects, messages and diffs as in' "$LOG" || { cat "$LOG"; return 1; }
	wt=$(KERNEL_SRC="$USER_TREE" BUILD_DIR="$S/build" bash -c ". '$ROOT/scripts/lib.sh'; tree_dir")
	out="$wt/../outgoing"
	n=$(series | wc -l)
	cover=$(ls "$out"/0000-*.patch)
	grep -q "^Subject: \[$(sed -n 's/^Subject: \[\(.*\) 0*\/[0-9]*\].*/\1/p' "$PATCH_DIR/0000-cover-letter.patch") 00/$n\]" "$cover" ||
		{ echo "    cover letter subject: $(grep -m1 '^Subject:' "$cover")"; return 1; }
	grep -qx "base-commit: $head" "$cover" ||
		{ echo "    cover letter base: $(grep '^base-commit:' "$cover" || echo none), want $head"; return 1; }
	[ "$(ls "$out" | wc -l)" = $((n + 1)) ] || { echo "    $(ls "$out" | wc -l) mails"; return 1; }
	# Again, from the kept tracking data after the series was reapplied.
	tool KERNEL_SRC="$USER_TREE" FORCE=1 "$ROOT/scripts/apply.sh" >"$LOG" 2>&1 || { cat "$LOG"; return 1; }
	tool KERNEL_SRC="$USER_TREE" "$ROOT/scripts/outgoing.sh" >"$LOG" 2>&1 || { cat "$LOG"; return 1; }
	[ "$(git -C "$USER_TREE" symbolic-ref --short HEAD)" = user-work ] &&
		[ "$(git -C "$USER_TREE" rev-parse HEAD)" = "$head" ] && is_clean "$USER_TREE"
}

test_make_help_lists_targets() {
	local out t
	out=$(make -s -C "$ROOT" help) || return 1
	for t in tree apply export outgoing rebase drift kunit check test selftest tooltests bench; do
		# Not a pipe: with pipefail, grep -q quitting early can SIGPIPE printf.
		grep -q "^  $t " <<<"$out" || { echo "    make help lacks $t"; return 1; }
	done
}

# tests/run.sh [NAME...]: only those tests (NAME without test_).
if [ $# -gt 0 ]; then
	tests=("${@/#/test_}")
else
	mapfile -t tests < <(declare -F | awk '$3 ~ /^test_/ {print $3}')
fi
ts=$(date +%s)
setup_user_tree
echo "tests: a user's tree to work on in $(( $(date +%s) - ts )) s"
# report NAME STATUS SECONDS [NOTE]
report() {
	if [ "$2" -eq 0 ]; then
		passed=$((passed + 1))
		echo "tests: ok     ${1#test_} ($3 s${4:-})"
	else
		failed=$((failed + 1))
		echo "tests: FAILED ${1#test_} ($3 s${4:-})"
		sed 's/^/  /' "$S/$1.out"
	fi
}
# The fresh-machine tree runs alongside the others: unpacking and
# committing a kernel tree takes a minute or two of one core and the disk,
# and shares no file with the other tests (its own build dir, log and
# bases file; the archive's package lists it reads are refreshed under a
# lock, scripts/archive.sh).
bg= bg_ts=
for i in "${!tests[@]}"; do
	[ "${tests[$i]}" = test_fresh_machine_tree ] || continue
	bg=${tests[$i]}
	unset 'tests[i]'
	bg_ts=$(date +%s)
	(LOG="$S/$bg.log"; set +e; "$bg") >"$S/$bg.out" 2>&1 &
	bg_pid=$!
done
for t in "${tests[@]}"; do
	ts=$(date +%s)
	rc=0
	(set +e; "$t") >"$S/$t.out" 2>&1 || rc=$?
	report "$t" "$rc" $(( $(date +%s) - ts ))
done
if [ -n "$bg" ]; then
	rc=0
	wait "$bg_pid" || rc=$?
	report "$bg" "$rc" $(( $(date +%s) - bg_ts )) ", alongside the others"
fi
printf '%s %s 0\n' "$passed" "$failed" >"$results/tests.counts"
echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
