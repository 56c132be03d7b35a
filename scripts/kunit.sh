#!/usr/bin/env bash
# Run the mm/tests KUnit suites with kunit.py on the tree with the series.
#
#   ARCH=um (default), x86_64 (QEMU, TCG) or arm64 (QEMU, TCG, built with
#                      Debian's aarch64-linux-gnu- cross compiler)
#   KUNIT_CONFIG=NAME  adds kunit/NAME.kunitconfig to mm/tests/.kunitconfig
#                      (default: default); the build directory is
#                      build/ARCH, or build/ARCH-NAME for other configs.
#                      A '# cpus: N' line in it boots the QEMU guest with N
#                      CPUs and checks that the kernel brought up N;
#                      kunit/NAME.known-reports, if any, adds to the reports
#                      tolerated in the log (kunit/known-reports).
#                      A '# kernel_args: ARGS' line boots the kernel with
#                      ARGS; '# build: OTHER' boots the kernel OTHER builds,
#                      in OTHER's build directory and from its kunitconfig
#                      (nothing is rebuilt when OTHER ran before);
#                      '# filter: GLOB' is the default KUNIT_FILTER;
#                      '# require: GLOB' names cases (suite.case) that must
#                      run and pass: their skip fails the run.
#   KUNIT_CPUS=N       overrides the config's CPU count (QEMU only)
#   KUNIT_ARGS="..."   extra kunit.py arguments (e.g. --filter)
#   KUNIT_FILTER=GLOB  run only the suites GLOB matches (kunit.py's
#                      filter_glob); without it every suite of mm/tests
#                      the config builds must run
#
# kunit.py's own lines (configuring, building, each result) are shown as they
# come, with a line a minute while the kernel builds. Results:
# build/results/kunit-NAME.{json,log,console.log,counts}.
# Exits non-zero on any failed, crashed or missing case, on fewer CPUs than
# asked for, and on any WARNING, BUG, KASAN, KCSAN or lockdep report in the
# kernel log (kunit/known-reports lists the few reports that are not the
# series' and always appear).
. "$(dirname "$0")/lib.sh"

ARCH=${ARCH:-um}
config=${KUNIT_CONFIG:-default}
kc="$ROOT/kunit/$config.kunitconfig"
[ -f "$kc" ] || die "no $kc"
cpus=${KUNIT_CPUS:-$(frag_key "$kc" cpus)}
kargs=$(frag_key "$kc" kernel_args)
build=$(frag_key "$kc" build)
build=${build:-$config}
[ -f "$ROOT/kunit/$build.kunitconfig" ] || die "kunit/$config.kunitconfig: no kunit/$build.kunitconfig to build in"
KUNIT_FILTER=${KUNIT_FILTER:-$(frag_key "$kc" filter)}
require=$(frag_key "$kc" require)
args=()
[ -z "$kargs" ] || args+=("--kernel_args=$kargs")
# Through ccache (its cache under build/), as the matrix builds: a rerun
# compiles nothing it compiled before.
cc="ccache gcc"
case "$ARCH" in
um)
	"$ROOT/scripts/deps.sh" build ccache
	[ -z "$cpus" ] || die "kunit/$config.kunitconfig asks for $cpus CPUs: UML has one; use ARCH=x86_64 or arm64" ;;
x86_64) "$ROOT/scripts/deps.sh" build ccache qemu ;;
arm64)
	"$ROOT/scripts/deps.sh" build ccache arm64
	cc="ccache aarch64-linux-gnu-gcc"
	args+=(--cross_compile=aarch64-linux-gnu-) ;;
*) die "ARCH=$ARCH: use um, x86_64 or arm64" ;;
esac
[ -z "$cpus" ] || args+=("--qemu_args=-smp $cpus")

"$ROOT/scripts/apply.sh"
t=$(tree_dir)

# kunit.py (since 6.15) starts QEMU with "-accel kvm -accel hvf -accel tcg",
# and QEMU takes the first that opens. Where /dev/kvm opens but its guests
# hang at boot (nested virtualisation here), the run would wait out its
# timeout: the guests run under TCG, through a qemu-system-* first on PATH
# that drops every -accel other than tcg and passes the rest on.
if [ "$ARCH" != um ]; then
	qdir="$BUILD_DIR/qemu-tcg"
	mkdir -p "$qdir"
	for q in qemu-system-x86_64 qemu-system-aarch64; do
		real=$(PATH=${PATH//"$qdir:"/} command -v "$q" || true)
		[ -n "$real" ] || continue
		cat >"$qdir/$q.new" <<WRAP
#!/bin/sh
# Written by scripts/kunit.sh: $real, with TCG only.
n=\$#
while [ "\$n" -gt 0 ]; do
	a=\$1; shift; n=\$((n - 1))
	if [ "\$a" = -accel ] && [ "\$n" -gt 0 ]; then
		acc=\$1; shift; n=\$((n - 1))
		[ "\$acc" = tcg ] || continue
		set -- "\$@" -accel tcg
		continue
	fi
	set -- "\$@" "\$a"
done
exec $real "\$@"
WRAP
		chmod +x "$qdir/$q.new"
		mv "$qdir/$q.new" "$qdir/$q"
	done
	export PATH="$qdir:$PATH"
fi
name=$ARCH
[ "$config" = default ] || name=$ARCH-$config
bname=$ARCH
[ "$build" = default ] || bname=$ARCH-$build
if [ -n "${KERNEL_SRC:-}" ]; then out="$t.$bname"; else out="$WORK/$bname"; fi
results="$WORK/results"
mkdir -p "$results"
rm -f "$results/kunit-$name".*
log="$results/kunit-$name.log"
: >"$log"

info "kunit.py run --arch=$ARCH ($config${cpus:+, $cpus CPUs}${kargs:+, booted with $kargs}), build dir $out"
start=$(date +%s)
# The console log of this run only, never an earlier one's.
rm -f "$out/test.log"
# While kunit.py builds (it prints nothing for minutes), say how far it got.
ticker "$name: kunit.py building or running" "$out"
set +e
# shellcheck disable=SC2086
(cd "$t" && python3 tools/testing/kunit/kunit.py run --arch="$ARCH" \
	--build_dir="$out" --kunitconfig=mm/tests --kunitconfig="$ROOT/kunit/$build.kunitconfig" \
	--jobs="$(nproc)" --timeout="${KUNIT_TIMEOUT:-1500}" "${args[@]}" --make_options="CC=$cc" \
	--json="$results/kunit-$name.json" ${KUNIT_ARGS:-} ${KUNIT_FILTER:+"$KUNIT_FILTER"}) 2>&1 |
	tee "$log"
rc=${PIPESTATUS[0]}
set -e
ticker_stop
[ -f "$out/test.log" ] && cp "$out/test.log" "$results/kunit-$name.console.log"

allow=(--allow "$ROOT/kunit/known-reports")
[ -f "$ROOT/kunit/$config.known-reports" ] && allow+=(--allow "$ROOT/kunit/$config.known-reports")
python3 "$ROOT/scripts/kunit_results.py" --name "kunit-$name" \
	--json "$results/kunit-$name.json" ${KUNIT_FILTER:+--filter "$KUNIT_FILTER"} \
	${require:+--require "$require"} --log "$log" \
	--suites "$t/mm/tests" --config "$out/.config" \
	--console "$results/kunit-$name.console.log" "${allow[@]}" ${cpus:+--cpus "$cpus"} \
	--counts "$results/kunit-$name.counts" || rc=1
info "kunit-$name: $(( $(date +%s) - start )) s, exit $rc; log in $log"
exit $rc
