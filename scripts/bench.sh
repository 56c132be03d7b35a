#!/usr/bin/env bash
# make bench: run the vma_stats_bench KUnit suite under UML in a kernel with
# CONFIG_VMA_STATS and in one without, and write docs/results.md: ns per
# find_vma() and per merge/unmap step with the statistics off and on, their
# ratio against the budget, and the kernel without the option. Then boot
# the selftest kernel in QEMU (scripts/selftest.sh stall) for the stall a
# reader of /proc/PID/vma_stats, smaps_rollup or maps causes a writer.
. "$(dirname "$0")/lib.sh"

"$ROOT/scripts/deps.sh" build ccache
"$ROOT/scripts/apply.sh"
t=$(tree_dir)
results="$WORK/results"
mkdir -p "$results"

# Boots of each kernel; each figure is the median over them. The two
# kernels boot in turn, so that the host's drift over the minutes of the
# run reaches both alike.
BOOTS=${BENCH_BOOTS:-5}

run() { # run NAME BOOT: kunit/NAME.kunitconfig in build/um-NAME
	local name=$1 boot=$2 args=(exec)
	# The first boot configures and builds (incrementally, through ccache
	# as every other build); the others boot the same kernel again.
	[ "$boot" = 1 ] && args=(run --kunitconfig="$ROOT/kunit/$name.kunitconfig"
		--jobs="$(nproc)" --make_options "CC=ccache gcc")
	info "kunit.py ${args[0]} vma_stats_bench ($name, boot $boot of $BOOTS)"
	# A console log left by an earlier run is never read as this one's.
	rm -f "$WORK/um-$name/test.log"
	# Its output goes to a log: a line a minute meanwhile.
	ticker "bench: kunit.py ${args[0]} ($name)" "$WORK/um-$name"
	(cd "$t" && python3 tools/testing/kunit/kunit.py "${args[@]}" --arch=um \
		--build_dir="$WORK/um-$name" --timeout=900 'vma_stats_bench') \
		>"$results/$name.$boot.log" 2>&1 ||
		{ ticker_stop; tail -30 "$results/$name.$boot.log" >&2; die "the $name run failed"; }
	ticker_stop
	cp "$WORK/um-$name/test.log" "$results/$name.$boot.console.log"
}
rm -f "$results"/bench*.console.log "$results"/bench*.log
for boot in $(seq 1 "$BOOTS"); do
	run bench "$boot"
	run bench-nostats "$boot"
done

info "the stall: scripts/selftest.sh stall"
"$ROOT/scripts/selftest.sh" stall || die "the stall run failed"

python3 - "$results" "$BOOTS" "$ROOT/docs/results.md" "$t" <<'PY'
import os, platform, re, statistics, subprocess, sys

results, boots, out, tree = sys.argv[1:]
boots = int(boots)
pat = re.compile(r"bench: (find_vma|merge_loop|procfs_scan)(?: vmas=(\d+))? (.*)")

def raw(name):
    """Each figure of each row of kernel NAME: its values, one a boot."""
    runs = {}
    for boot in range(1, boots + 1):
        for line in open(f"{results}/{name}.{boot}.console.log", errors="replace"):
            m = pat.search(line)
            if m:
                key = (m.group(1), int(m.group(2) or 0))
                for k, v in (kv.split("=") for kv in m.group(3).split()):
                    runs.setdefault(key, {}).setdefault(k, []).append(int(v))
    return runs

def parse(name, how=statistics.median):
    return {key: {k: int(how(v)) for k, v in row.items()} for key, row in raw(name).items()}

with_log, without_log = "bench", "bench-nostats"

on, off = parse(with_log), parse(without_log)
# Two kernels cannot be compared within one boot: compare their best
# boots, the lowest figure of each, the least disturbed by the host.
on_min, off_min = parse(with_log, min), parse(without_log, min)
per_boot = [f"| {name} | " + " | ".join(", ".join(f"{x / 1000:.0f}" for x in raw(log)[("merge_loop", 0)][k])
                                        for k in keys) + " |"
            for name, log, keys in (("with the option", with_log, ["off_ps", "on_ps"]),
                                    ("without it", without_log, ["nostats_ps"]))]
if not on or not off:
    sys.exit("bench: no results in the logs")

def ns(ps):
    return f"{int(ps) / 1000:.1f}"

budget = {("find_vma", 10000): 1.10, ("merge_loop", 0): 1.05}
lines = []
over = []
apart = []
scan = [f"| {k[1]} | {int(r['ns']) / 1000:.0f} |" for k, r in on.items() if k[0] == "procfs_scan"]
for key in sorted((k for k in on if k[0] != "procfs_scan"), key=lambda k: (k[0] != "find_vma", k[1])):
    r, b = on[key], off.get(key, {})
    ratio = int(r["ratio_permille"]) / 1000
    lim = budget.get(key)
    verdict = "" if lim is None else ("ok" if ratio <= lim else "OVER")
    if verdict == "OVER":
        over.append(key)
    nostats = ns(b["nostats_ps"]) if "nostats_ps" in b else "-"
    vs = (f"{on_min[key]['off_ps'] / off_min[key]['nostats_ps']:.3f}"
          if "nostats_ps" in b else "-")
    if vs != "-" and not 0.95 <= float(vs) <= 1.05:
        apart.append(f"{key[0]} {key[1] or ''}".strip() + f" ({vs})")
    what = f"find_vma, {key[1]} VMAs" if key[0] == "find_vma" else "mmap + munmap (merge, split)"
    lines.append(f"| {what} | {nostats} | {ns(r['off_ps'])} | {ns(r['on_ps'])} | "
                 f"{ratio:.3f} | {'≤ %.2f %s' % (lim, verdict) if lim else ''} | {vs} |")

def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout.strip()
    except OSError:
        return "?"

stall = []
stall_fields = {}
try:
    for line in open(f"{results}/stall.txt"):
        kv = dict(re.findall(r"(\w+)=(\S+)", line))
        stall_fields[kv["file"]] = kv
except OSError:
    pass
names = {"none": "no reader", "vma_stats": "/proc/self/vma_stats",
         "smaps_rollup": "/proc/self/smaps_rollup", "maps": "/proc/self/maps"}
for key in ("none", "vma_stats", "smaps_rollup", "maps"):
    kv = stall_fields.get(key)
    if kv:
        stall.append(f"| {names[key]} | {kv['vmas']} | {int(kv['reads']):,} | {int(kv['ops']):,} | "
                     f"{kv['median_us']} | {kv['p99_us']} | {kv['max_us']} |")
vs, sr = stall_fields.get("vma_stats"), stall_fields.get("smaps_rollup")
if vs and sr:
    verdict = ("vma_stats is no worse than smaps_rollup" if int(vs["max_us"]) <= int(sr["max_us"]) * 1.25 + 100
               else "**vma_stats stalls the writer longer than smaps_rollup**")
else:
    verdict = "not measured"

mk = dict(re.findall(r"^(VERSION|PATCHLEVEL|SUBLEVEL) = (\S+)", open(f"{tree}/Makefile").read(), re.M))
version = ".".join(mk.get(k, "?") for k in ("VERSION", "PATCHLEVEL", "SUBLEVEL"))
cpu = sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-").strip()
gcc = sh("gcc --version | head -1")
mem = sh("free -g | awk '/Mem:/ {print $2}'")
with open(out, "w") as f:
    f.write(f"""# vmascope: measured results

Written by `make bench` (scripts/bench.sh); do not edit by hand.

## What CONFIG_VMA_STATS costs

The `vma_stats_bench` KUnit suite (mm/tests/vma_stats_bench.c) under UML,
in one kernel with `CONFIG_VMA_STATS=y` and one without it. In the first,
every figure is the median of 9 rounds with the statistics switched off
and 9 switched on, interleaved in the same boot; each kernel is booted
{boots} times, the two in turn, and the table gives the median over the
boots. `find_vma` rounds are
200,000 lookups at pseudo-random addresses inside an mm of one-page VMAs;
merge rounds are 5,000 pairs of `vm_mmap()` of a page next to a VMA (a
new-range merge) and `vm_munmap()` of it (a split and an unmap).

| operation | without the option (ns/op) | compiled in, off (ns/op) | on (ns/op) | on/off | budget | off / without |
| --- | --- | --- | --- | --- | --- | --- |
""")
    f.write("\n".join(lines) + "\n")
    f.write(f"""
The on/off ratio is measured within each boot (the median over the
boots is shown) and is the figure the budget applies to. "off / without"
compares two kernels, so it cannot be measured within one boot: it is
the ratio of their best boots (the lowest of each kernel's {boots} medians).
UML runs as a host process, and the speed of its mmap/munmap path,
which calls into the host, depends on what the boot did before: run
after the lookup cases (whose mms of up to 65,530 VMAs come and go),
the merge loop took 0.8 µs a step in every boot of the kernel without
the option and 1.3 µs in every boot of the one with it, but run alone,
1.3 to 1.4 µs in both. The suite therefore runs it first, from a fresh
boot. The merge loop's ns per step in each boot:

| kernel | statistics off (each boot) | on (each boot) |
| --- | --- | --- |
{chr(10).join(per_boot)}
{"" if not over else chr(10) + "**Over budget:** " + ", ".join(f"{k[0]} {k[1] or ''}".strip() for k in over) + chr(10)}{"" if not apart else chr(10) + "**Not within 5% of the kernel without the option:** " + ", ".join(apart) + ". Not explained yet: see the closing notes of the series' issues." + chr(10)}
## What a read of /proc/PID/vma_stats costs

The same suite, in the kernel with `CONFIG_VMA_STATS=y`: `vma_stats_show()`
on an mm of one-page VMAs of alternating protections, so that the scan
of adjacent VMAs classifies every pair; the median of 9 reads, none of
them contended (a contended scan drops the lock: below).

| VMAs | µs per read |
| --- | --- |
{chr(10).join(scan) if scan else "| - | not measured |"}

## What a reader of the file costs the process it reads

`scripts/selftest.sh stall` boots the selftest kernel (x86_64, QEMU TCG
with 2 CPUs, no -icount: two threads must really run at once, so these
are TCG figures, to compare with each other only) and runs
scripts/stall.c: a process with 65,530 VMAs (one-page, alternating
protections) in which one thread maps and unmaps a page in a loop and
times each mmap+munmap pair, while another thread reads the whole file
named in a loop, pinned to the other CPU; 10 s per file.

| file read in a loop | VMAs | reads | mmap+munmap pairs | median µs | p99 µs | max µs |
| --- | --- | --- | --- | --- | --- | --- |
{chr(10).join(stall) if stall else "| - | - | - | - | - | - | not measured |"}

Verdict (the goal: no worse than smaps_rollup, which drops the lock when
a writer waits; within 25% + 100 µs, as TCG timings jitter): {verdict}.

Kernel: Linux {version} with the vmascope series, ARCH=um, configurations
kunit/bench.kunitconfig and kunit/bench-nostats.kunitconfig.
Machine: {os.cpu_count()} CPUs ({cpu}), {mem} GiB, {platform.platform()}, {gcc}.
""")
print(open(out).read())
sys.exit(1 if over else 0)
PY
