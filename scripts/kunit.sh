#!/usr/bin/env bash
# Run the mm/tests KUnit suites with kunit.py on the tree with the series.
#
#   ARCH=um (default) or x86_64 (QEMU, TCG)
#   KUNIT_CONFIG=NAME  adds kunit/NAME.kunitconfig to mm/tests/.kunitconfig
#                      (default: default); the build directory is
#                      build/ARCH, or build/ARCH-NAME for other configs.
#   KUNIT_ARGS="..."   extra kunit.py arguments (e.g. --filter)
#
# Results: build/results/kunit-NAME.{json,log,console.log,counts}.
# Exits non-zero on any failed, crashed or missing case, and on any WARNING,
# BUG, KASAN or lockdep report in the kernel log (kunit/known-reports lists
# the few reports that are not the series' and always appear).
. "$(dirname "$0")/lib.sh"

ARCH=${ARCH:-um}
config=${KUNIT_CONFIG:-default}
case "$ARCH" in
um) "$ROOT/scripts/deps.sh" build ;;
x86_64) "$ROOT/scripts/deps.sh" build qemu ;;
*) die "ARCH=$ARCH: use um or x86_64" ;;
esac
kc="$ROOT/kunit/$config.kunitconfig"
[ -f "$kc" ] || die "no $kc"

"$ROOT/scripts/apply.sh"
t=$(tree_dir)
name=$ARCH
[ "$config" = default ] || name=$ARCH-$config
if [ -n "${KERNEL_SRC:-}" ]; then out="$t.$name"; else out="$BUILD_DIR/$name"; fi
results="$BUILD_DIR/results"
mkdir -p "$results"
rm -f "$results/kunit-$name".*

info "kunit.py run --arch=$ARCH ($config), build dir $out"
start=$(date +%s)
set +e
# shellcheck disable=SC2086
(cd "$t" && python3 tools/testing/kunit/kunit.py run --arch="$ARCH" \
	--build_dir="$out" --kunitconfig=mm/tests --kunitconfig="$kc" \
	--jobs="$(nproc)" --timeout="${KUNIT_TIMEOUT:-900}" \
	--json="$results/kunit-$name.json" ${KUNIT_ARGS:-}) \
	>"$results/kunit-$name.log" 2>&1
rc=$?
set -e
[ -f "$out/test.log" ] && cp "$out/test.log" "$results/kunit-$name.console.log"
grep -E '^\[[0-9:]+\] (Testing complete|Elapsed time|.*(FAILED|CRASHED))' \
	"$results/kunit-$name.log" >&2 || tail -20 "$results/kunit-$name.log" >&2

python3 "$ROOT/scripts/kunit_results.py" --name "kunit-$name" \
	--json "$results/kunit-$name.json" --suites "$t/mm/tests" --config "$out/.config" \
	--console "$results/kunit-$name.console.log" --allow "$ROOT/kunit/known-reports" \
	--counts "$results/kunit-$name.counts" || rc=1
info "kunit-$name: $(( $(date +%s) - start )) s, kunit.py exit $rc; log in $results/kunit-$name.log"
exit $rc
