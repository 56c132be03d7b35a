#!/usr/bin/env bash
# make guestbench: what CONFIG_VMA_STATS costs a whole x86_64 system, timed
# by a userspace program (scripts/guestbench.c) in three kernels booted
# under QEMU with -icount shift=0,sleep=off, where the guest clock advances
# 1 ns per instruction: every figure is an instruction count (ns of guest
# time under -icount shift=0), not hardware time.
#
#   stock    the base tree (tag vmascope-base), without the series
#   nostats  the series, '# CONFIG_VMA_STATS is not set'
#   stats    the series, CONFIG_VMA_STATS=y: every row with the counting off
#            and then on (vm.vma_stats), in the same boot; then the tracing
#            the counters compare with (a kprobe with a hist trigger, the
#            series' tracepoints into the ring buffer)
#
# Each kernel is 'make tinyconfig' + kconfig/guestbench.config (+ the
# CONFIG_VMA_STATS line), built incrementally through ccache in
# build/guestbench-NAME; the three .config files must differ in nothing
# else. The series is built from a worktree of the kernel tree,
# build/guestbench-src, detached at GUESTBENCH_REV (default: the branch
# vmascope); the base from lib.sh's base_worktree.
#
#   GUESTBENCH_REV=REV        the series' commit (default vmascope)
#   GUESTBENCH_BOOTS=N        boots of each kernel, interleaved (default 3);
#                             each figure is the median over the boots
#   GUESTBENCH_TIMEOUT=S      bound on each boot and run (default 900)
#   GUESTBENCH_SCALE=X        multiplies every loop's iterations (default 1)
#   GUESTBENCH_ROWS=R,R...    only these rows (default: all; see guestbench.c)
#   GUESTBENCH_ASLR=1         keep the guest's address space randomization:
#                             off by default, as the cost of a VMA operation
#                             depends on the layout (how full the maple
#                             tree's nodes are), and the kernels must be
#                             compared on the same one
#   GUESTBENCH_NOCHECK=1      report only: do not fail on the limits below
#
# scripts/guestbench.sh build   only builds (and checks) the three kernels.
#
# Writes docs/guest-results.md (docs/results.md is make bench's); consoles
# in build/results/guestbench.KERNEL.BOOT.console.log, build logs in
# build/results/guestbench-build-KERNEL.log. Fails on a build or
# configuration error, a boot that does not reach the end of the run, a
# kernel report, and (unless GUESTBENCH_NOCHECK=1) on a compiled-in-but-off
# to stock ratio above 1.01 or an on/off ratio above 1.05 in any row.
. "$(dirname "$0")/lib.sh"

what=${1:-all}
case "$what" in all | build) ;; *) die "usage: $0 [build]" ;; esac
boots=${GUESTBENCH_BOOTS:-3}
timeout_s=${GUESTBENCH_TIMEOUT:-900}
scale=${GUESTBENCH_SCALE:-1}
rows=${GUESTBENCH_ROWS:-}
aslr=${GUESTBENCH_ASLR:-0}
rev=${GUESTBENCH_REV:-$BRANCH}
frag="$KCONFIG_DIR/guestbench.config"
results="$WORK/results"
initrd_dir="$WORK/guestbench-initramfs"
kernels=(stock nostats stats)
[[ "$boots" =~ ^[1-9][0-9]*$ ]] || die "GUESTBENCH_BOOTS=$boots: not a positive number"
[[ "$scale" =~ ^[0-9]*\.?[0-9]+$ ]] || die "GUESTBENCH_SCALE=$scale: not a number"
[[ "$rows" =~ ^[a-z_,]*$ ]] || die "GUESTBENCH_ROWS=$rows: not a list of rows"
case "$aslr" in 0 | 1) ;; *) die "GUESTBENCH_ASLR=$aslr: 0 or 1" ;; esac
mkdir -p "$results" "$initrd_dir"
times="$results/guestbench.times"
: >"$times"
start=$(date +%s)

"$ROOT/scripts/deps.sh" build ccache selftest

t=$(tree_dir)
[ -e "$t/.git" ] || die "no kernel tree at $t: run 'make tree' first"
# A fresh tree: apply the series first. An existing branch is left as it is
# (apply.sh would leave it alone too, but it may be mid-rebase).
if [ -z "${GUESTBENCH_REV:-}" ] && ! git -C "$t" rev-parse -q --verify "refs/heads/$BRANCH" >/dev/null; then
	"$ROOT/scripts/apply.sh"
fi
commit=$(git -C "$t" rev-parse -q --verify "$rev^{commit}") ||
	die "GUESTBENCH_REV=$rev: no such commit in $t (run 'make apply' for the branch $BRANCH)"

# The series' source: a worktree of its own, never the tree's checkout
# (someone may be rebasing there).
if [ -n "${KERNEL_SRC:-}" ]; then src="$t.guestbench-src"; else src="$WORK/guestbench-src"; fi
if [ ! -e "$src/.git" ]; then
	git -C "$t" worktree prune
	git -C "$t" worktree add -q --detach "$src" "$commit" >&2
fi
[ "$(git -C "$src" rev-parse HEAD)" = "$commit" ] || git -C "$src" checkout -q --detach "$commit"
is_clean "$src" || die "$src has local changes: remove it (git -C $t worktree remove --force $src)"
base_src=$(base_worktree)
info "stock: $(git -C "$base_src" log -1 --format='%h %s' HEAD)"
info "series: $(git -C "$src" log -1 --format='%h %s' HEAD) (GUESTBENCH_REV=$rev)"

# build_kernel NAME TREE LINE: tinyconfig + the fragment (+ LINE, if any) in
# build/guestbench-NAME, configured again only when the fragment, LINE or
# the tree's commit changed; then make bzImage.
build_kernel() {
	local name=$1 tree=$2 line=$3 out log f stamp t0 how=incremental
	out="$WORK/guestbench-$name"
	log="$results/guestbench-build-$name.log"
	local mk=(ARCH=x86_64 CC="ccache gcc")
	mkdir -p "$out"
	f="$out/.guestbench.config"
	{ cat "$frag"; [ -z "$line" ] || printf '%s\n' "$line"; } >"$f.new"
	stamp="$(cat "$f.new")
$(git -C "$tree" rev-parse HEAD)"
	: >"$log"
	kmake() {
		echo "+ make ${mk[*]} O=$out $*" >>"$log"
		nice -n 10 make -C "$tree" "${mk[@]}" O="$out" "$@" >>"$log" 2>&1 ||
			{ tail -30 "$log" >&2; die "$name: make $* failed; log in $log"; }
	}
	t0=$(date +%s)
	if [ ! -f "$out/.config" ] || [ "$stamp" != "$(cat "$out/.guestbench-stamp" 2>/dev/null)" ]; then
		# shellcheck disable=SC2016 # the quotes are text: + '# CONFIG_... is not set'
		info "$name: configuring $out: tinyconfig + kconfig/guestbench.config${line:+ + '$line'}"
		rm -f "$out/.guestbench-stamp"
		kmake tinyconfig
		"$tree/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" "$f.new" >>"$log" 2>&1 ||
			die "$name: merge_config.sh failed; log in $log"
		kmake olddefconfig
	fi
	mv "$f.new" "$f"
	check_config "$f" "$out/.config"
	printf '%s\n' "$stamp" >"$out/.guestbench-stamp"
	[ -f "$out/arch/x86/boot/bzImage" ] || how="from scratch"
	info "$name: make bzImage in $out ($how, 2 jobs, nice 10)"
	ticker "$name: make bzImage" "$out"
	kmake -j2 bzImage
	ticker_stop
	check_config "$f" "$out/.config"
	printf 'build %s %s %s\n' "$name" "$(( $(date +%s) - t0 ))" "${how// /-}" >>"$times"
	info "$name: built ($how) in $(( $(date +%s) - t0 )) s"
}

build_kernel stock "$base_src" ""
build_kernel nostats "$src" "# CONFIG_VMA_STATS is not set"
build_kernel stats "$src" "CONFIG_VMA_STATS=y"

# The three configurations differ in CONFIG_VMA_STATS and nothing else; the
# base tree does not have the symbol.
cfg() { grep -v -e '^#' -e '^$' -e '^CONFIG_VMA_STATS=' "$WORK/guestbench-$1/.config"; }
for k in nostats stats; do
	d=$(diff <(cfg stock) <(cfg "$k")) ||
		die "the .config of $k differs from stock's in more than CONFIG_VMA_STATS:
$d"
done
! grep -q 'VMA_STATS' "$WORK/guestbench-stock/.config" ||
	die "the stock .config has a VMA_STATS symbol: is $base_src the base tree?"
grep -qx 'CONFIG_VMA_STATS=y' "$WORK/guestbench-stats/.config" ||
	die "CONFIG_VMA_STATS=y missing from the stats .config"
grep -qx '# CONFIG_VMA_STATS is not set' "$WORK/guestbench-nostats/.config" ||
	die "'# CONFIG_VMA_STATS is not set' missing from the nostats .config"
info "the three .config files differ only in CONFIG_VMA_STATS"
built=$(date +%s)
[ "$what" = build ] && exit 0

# The benchmark, static, and an initramfs around it: busybox-static and a
# /init that runs it between markers. gen_init_cpio (the kernel's own)
# writes /dev/console without root.
gcc -static -O2 -Wall -Wextra -o "$initrd_dir/guestbench" "$ROOT/scripts/guestbench.c" ||
	die "cannot build scripts/guestbench.c"
cat >"$initrd_dir/init.body" <<'EOF'
# guestbench guest: run the benchmark once, between markers, then leave.
[ -d /sys/kernel/tracing ] && mount -t tracefs tracefs /sys/kernel/tracing
# The same address space layout in every kernel and boot (GUESTBENCH_ASLR).
[ "$guestbench_aslr" = 1 ] || echo 0 >/proc/sys/kernel/randomize_va_space
cd /tmp
echo "guestbench: start kernel=$guestbench_kernel boot=$guestbench_boot release=$(uname -r)"
/bin/guestbench "$guestbench_kernel"
echo "guestbench: end exit=$?"
# Without ACPI, poweroff would hang; QEMU's -no-reboot makes this an exit.
reboot -f
EOF
initramfs "$initrd_dir" "$src" "sh mount echo uname reboot" "$initrd_dir/guestbench"

# One run: NAME BOOT. The guest's speed does not depend on the host's load
# (its clock counts instructions), so QEMU runs niced like the builds.
# shellcheck disable=SC2054 # shift=0,sleep=off is one argument
qemu_cmd=(qemu-system-x86_64 -accel tcg -icount shift=0,sleep=off -smp 1 -m 1G
	-nographic -no-reboot)
boot_kernel() {
	local name=$1 boot=$2 console t0 qrc
	console="$results/guestbench.$name.$boot.console.log"
	info "boot $boot of $boots: $name (at most $timeout_s s)"
	t0=$(date +%s)
	set +e
	timeout -k 10 "$timeout_s" nice -n 10 "${qemu_cmd[@]}" \
		-kernel "$WORK/guestbench-$name/arch/x86/boot/bzImage" \
		-initrd "$initrd_dir/initramfs.cpio" \
		-append "console=ttyS0 panic=-1 guestbench_kernel=$name guestbench_boot=$boot guestbench_scale=$scale guestbench_aslr=$aslr${rows:+ guestbench_rows=$rows}" \
		</dev/null >"$console" 2>&1
	qrc=$?
	set -e
	printf 'boot %s %s %s\n' "$name" "$boot" "$(( $(date +%s) - t0 ))" >>"$times"
	info "$name, boot $boot: QEMU exit $qrc after $(( $(date +%s) - t0 )) s; console in ${console#"$ROOT"/}"
	if ! grep -q '^guestbench: end exit=0' "$console"; then
		tail -25 "$console" >&2
		grep -q '^guestbench: end exit=' "$console" &&
			die "$name, boot $boot: the benchmark failed ($(grep -m1 '^guestbench: end exit=' "$console"))"
		die "$name, boot $boot: no end marker (QEMU exit $qrc; timeout $timeout_s s)"
	fi
	if grep -nE '(WARNING|BUG|Oops|Kernel panic|general protection)' "$console" >&2; then
		die "$name, boot $boot: kernel report in $console"
	fi
}
rm -f "$results"/guestbench.*.console.log
for boot in $(seq 1 "$boots"); do
	for k in "${kernels[@]}"; do boot_kernel "$k" "$boot"; done
done
ran=$(date +%s)

rc=0
python3 "$ROOT/scripts/guestbench_results.py" --results "$results" --boots "$boots" \
	--out "$ROOT/docs/guest-results.md" --times "$times" --tree "$src" \
	--stock-rev "$(git -C "$base_src" log -1 --format='%h (%s)' HEAD)" \
	--series-rev "$(git -C "$src" log -1 --format='%h (%s)' HEAD) = $rev" \
	--qemu "${qemu_cmd[*]} -kernel bzImage -initrd initramfs.cpio -append 'console=ttyS0 panic=-1 ...'" \
	${GUESTBENCH_NOCHECK:+--nocheck} || rc=$?
info "guestbench: $(( $(date +%s) - start )) s (kernels $(( built - start )) s, boots $(( ran - built )) s); docs/guest-results.md written"
exit $rc
