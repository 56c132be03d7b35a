#!/usr/bin/env bash
# make selftest: run the vma_stats kselftest (tools/testing/selftests/mm/
# vma_stats.c of the series) in an x86_64 kernel with the series, booted
# under QEMU (TCG) from an initramfs of busybox-static and bash-static, the
# way reviewers are told to run it: the kernel's own runner,
# run_vmtests.sh -t vma_stats. The test is built statically by the mm
# selftests' own Makefile, against the tree's UAPI headers (make headers),
# in a copy of the directories it needs, so that the tree stays as it was.
#
#   SELFTEST_KERNEL=BZIMAGE   boot this kernel instead of building one (e.g.
#                             Debian's, to try the tooling: without
#                             /proc/PID/vma_stats every test skips)
#   SELFTEST_SRC=FILE         the test's source (default: the tree's)
#   SELFTEST_TIMEOUT=SECONDS  bound on the boot and run (default 600)
#
# The kernel is 'make tinyconfig' + kconfig/BASE/selftest.config (or
# kconfig/selftest.config), built incrementally in build/BASE/selftest-kernel
# (or KERNEL_SRC's tree.selftest); the headers, the test and the initramfs
# are built in build/BASE/selftest-initramfs. The runner's output is parsed
# by scripts/selftest_results.py, the test's KTAP by the tree's kunit.py.
# Results: build/BASE/results/selftest.{log,console.log,ktap,json,counts}.
# Exits non-zero on any failed or missing test, on a boot or run that did
# not finish, and on any WARNING, BUG, KASAN, lockdep or Oops report in the
# kernel log (kunit/known-reports lists the few that are tolerated).
#
# scripts/selftest.sh kmemleak: boot the same kernel (2 CPUs) with its KUnit
# suites on (they run at boot, before /init), then have /init scan for leaks with
# kmemleak (DEBUG_KMEMLEAK, in the fragment) once the suites are done: the
# suites' KTAP is checked as scripts/kunit.sh checks it, and any
# unreferenced object fails the run. Results: build/results/kmemleak.*.
#
# The selftest boot also runs tools/mm/vmastat of the series in the guest
# (its table and its JSON, checked by selftest_results.py --vmastat).
#
# scripts/selftest.sh stall: boot the same kernel and run scripts/stall.c in
# it: the worst mmap+munmap latency of a thread while another reads
# /proc/self/vma_stats, smaps_rollup or maps in a loop, at 65,530 VMAs
# (plain TCG with 2 CPUs: two threads must really run at once, so these
# are not -icount figures; compare them only with each other). For
# 'make bench'. Results: build/results/stall.{log,console.log}.
. "$(dirname "$0")/lib.sh"

mode=${1:-selftest}
case "$mode" in selftest | kmemleak | stall) ;; *) die "usage: $0 [kmemleak|stall]" ;; esac
results="$WORK/results"
initrd_dir="$WORK/selftest-initramfs"
frag="$KCONFIG_DIR/selftest.config"
timeout_s=${SELFTEST_TIMEOUT:-600}
mkdir -p "$results" "$initrd_dir"
rm -f "$results/$mode".*
log="$results/$mode.log"
: >"$log"
start=$(date +%s)

"$ROOT/scripts/deps.sh" build selftest

kmake() {
	make -C "$t" ARCH=x86_64 O="$out" "$@" >>"$log" 2>&1 ||
		{ tail -30 "$log" >&2; die "make $* failed; log in $log"; }
}

if [ -n "${SELFTEST_KERNEL:-}" ]; then
	kernel=$(realpath -e "$SELFTEST_KERNEL" 2>/dev/null) ||
		die "SELFTEST_KERNEL=$SELFTEST_KERNEL: no such file"
	t=$(tree_dir)	# only for the test's source and the kselftest headers
	[ -d "$t/tools/testing/selftests" ] || die "no kernel tree at $t: run 'make tree' first"
	info "booting $kernel (SELFTEST_KERNEL), not building one"
else
	"$ROOT/scripts/apply.sh"
	t=$(tree_dir)
	if [ -n "${KERNEL_SRC:-}" ]; then out="$t.selftest"; else out="$WORK/selftest-kernel"; fi
	mkdir -p "$out"
	# Configure from scratch only when the fragment changed: a new .config
	# would not rebuild much, but this keeps the build dir's state plain.
	if [ ! -f "$out/.config" ] || ! cmp -s "$frag" "$out/.vmascope-fragment"; then
		info "configuring $out: tinyconfig + kconfig/selftest.config"
		rm -f "$out/.vmascope-fragment"
		kmake tinyconfig
		"$t/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" "$frag" >>"$log" 2>&1 ||
			die "merge_config.sh failed; log in $log"
		kmake olddefconfig
	fi
	check_config "$frag" "$out/.config"
	cp "$frag" "$out/.vmascope-fragment"
	info "make bzImage in $out ($(nproc) jobs)"
	ticker "$mode: make bzImage" "$out"
	kmake -j"$(nproc)" bzImage
	ticker_stop
	check_config "$frag" "$out/.config"
	kernel="$out/arch/x86/boot/bzImage"
fi
built=$(date +%s)

# The test, built static by the selftests' Makefile, its runner, and an
# initramfs around them. gen_init_cpio (the kernel's own, built from its
# single source file) writes /dev/console without root.
src=${SELFTEST_SRC:-$t/tools/testing/selftests/mm/vma_stats.c}
[ -f "$src" ] || die "no $src (SELFTEST_SRC=FILE names another)"
info "make headers, and the kselftest with tools/testing/selftests/mm's Makefile"
make -s -C "$t" ARCH=x86_64 O="$initrd_dir/headers" headers >>"$log" 2>&1 ||
	{ tail -20 "$log" >&2; die "make headers failed; log in $log"; }
kselftest=$(build_kselftest "$t" "$initrd_dir/kselftest" "$initrd_dir/headers/usr/include" \
	vma_stats "$src" 2>>"$log") ||
	{ tail -20 "$log" >&2; die "cannot build the vma_stats kselftest; log in $log"; }
cp "$kselftest" "$initrd_dir/vma_stats"
cp "$t/tools/testing/selftests/mm/run_vmtests.sh" "$initrd_dir/run_vmtests.sh"
[ -x /bin/bash-static ] || die "no /bin/bash-static for run_vmtests.sh in the guest: install bash-static"
# tools/mm/vmastat of the series, and the stall measurement of make bench.
vmastat_bin=$(build_vmastat "$t" "$WORK/selftest-tools" -static 2>>"$log") ||
	{ tail -20 "$log" >&2; die "cannot build tools/mm/vmastat with make -C tools/mm; log in $log"; }
cp "$vmastat_bin" "$initrd_dir/vmastat"
gcc -static -O2 -Wall -o "$initrd_dir/stall" "$ROOT/scripts/stall.c" -lpthread >>"$log" 2>&1 ||
	{ tail -20 "$log" >&2; die "cannot build scripts/stall.c; log in $log"; }
cat >"$initrd_dir/init.body" <<'EOF'
# vmascope selftest guest: run the test once, between markers, then leave.
if [ "$vmascope_mode" = kmemleak ]; then
	# The KUnit suites ran at boot. kmemleak leaves out objects younger
	# than 5 s: scan, wait, scan again, and list what is unreferenced.
	mount -t debugfs debugfs /sys/kernel/debug
	echo "vmascope-kmemleak: start"
	echo scan >/sys/kernel/debug/kmemleak
	sleep 6
	echo scan >/sys/kernel/debug/kmemleak
	cat /sys/kernel/debug/kmemleak
	echo "vmascope-kmemleak: end"
	reboot -f
fi
cd /tmp
if [ "$vmascope_mode" = stall ]; then
	[ -e /proc/sys/vm/vma_stats ] && echo 1 >/proc/sys/vm/vma_stats
	echo "vmascope-stall: start ($(uname -r))"
	/bin/stall 65530 10 none vma_stats smaps_rollup maps 2>&1
	echo "vmascope-stall: end exit=$?"
	reboot -f
fi
# Counting is off, as after boot: the test switches it on for each case.
echo "vmascope-selftest: start ($(uname -r))"
(cd /bin && /bin/bash-static ./run_vmtests.sh -t vma_stats 2>&1)
echo "vmascope-selftest: end exit=$?"
echo "vmascope-vmastat: start"
/bin/vmastat 2>&1
echo "vmascope-vmastat: table exit=$?"
/bin/vmastat --json -p 1 2>&1
echo "vmascope-vmastat: end exit=$?"
# Without ACPI, poweroff would hang; QEMU's -no-reboot makes this an exit.
reboot -f
EOF
initramfs "$initrd_dir" "$t" "sh mount mkdir cat echo uname reboot poweroff sleep sed grep tr nproc" \
	"$initrd_dir/vma_stats" "$initrd_dir/run_vmtests.sh" /bin/bash-static \
	"$initrd_dir/vmastat" "$initrd_dir/stall"

console="$results/$mode.console.log"
# Two CPUs (the fragment has SMP): the kmemleak boot's KTAP check also
# checks that both were brought up, the suites running on an SMP kernel.
cpus=2
if [ "$mode" != selftest ]; then
	append="kunit.enable=0 vmascope_mode=$mode"
	[ "$mode" = kmemleak ] && append="vmascope_mode=kmemleak"
else
	append="kunit.enable=0"
fi
info "booting under QEMU (TCG, at most $timeout_s s); console in $console"
boot=$(date +%s)
# The console goes to a file: a line a minute meanwhile, with the results
# it holds so far (KTAP 'ok' and 'not ok' lines, the kselftest's included).
ticker "$mode: QEMU" "$initrd_dir" \
	"echo \$(grep -c -E '^(# )*ok ' '$console' 2>/dev/null) ok and \$(grep -c -E '^(# )*not ok ' '$console' 2>/dev/null) not ok results so far"
set +e
timeout -k 10 "$timeout_s" qemu-system-x86_64 -accel tcg -m 1G -smp "$cpus" \
	-nographic -no-reboot -kernel "$kernel" -initrd "$initrd_dir/initramfs.cpio" \
	-append "console=ttyS0 panic=-1 oops=panic $append" </dev/null >"$console" 2>&1
qrc=$?
set -e
ticker_stop
info "QEMU exit $qrc after $(( $(date +%s) - boot )) s"

rc=0
if [ "$mode" = kmemleak ]; then
	# The suites' KTAP, parsed by kunit.py as in a kunit.py run.
	(cd "$t" && python3 tools/testing/kunit/kunit.py parse --json="$results/kmemleak.json" \
		"$console") >"$results/kmemleak.kunit.log" 2>&1 || true
	grep -E '(Testing complete|FAILED|CRASHED)' "$results/kmemleak.kunit.log" >&2 || true
	python3 "$ROOT/scripts/kunit_results.py" --name kmemleak --json "$results/kmemleak.json" \
		--suites "$t/mm/tests" --config "${out:-/nonexistent}/.config" --console "$console" \
		--allow "$ROOT/kunit/known-reports" --kmemleak --cpus "$cpus" --counts "$results/kmemleak.counts" || rc=1
elif [ "$mode" = stall ]; then
	grep -q '^vmascope-stall: end exit=0' "$console" ||
		{ tail -20 "$console" >&2; die "the stall run did not finish; console in $console"; }
	grep '^stall ' "$console" | tr -d '\r' >"$results/stall.txt"
	cat "$results/stall.txt"
else
	python3 "$ROOT/scripts/selftest_results.py" --name selftest --console "$console" \
		--kunit "$t/tools/testing/kunit/kunit.py" --allow "$ROOT/kunit/known-reports" \
		--counts "$results/selftest.counts" --qemu-exit "$qrc" --vmastat || rc=1
fi
info "$mode: $(( $(date +%s) - start )) s (kernel $(( built - start )) s, boot and run $(( $(date +%s) - boot )) s)"
exit $rc
