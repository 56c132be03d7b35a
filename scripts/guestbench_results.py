#!/usr/bin/env python3
"""Tabulate the guest consoles of scripts/guestbench.sh into
docs/guest-results.md, print the ratio table to stderr, and exit 1 if a
ratio is over its limit (unless --nocheck).

Each console has lines "guestbench: kernel=K mode=M row=R ns=X iters=N
total_ns=T [name=value...]" (scripts/guestbench.c); every figure is guest
ns under QEMU -icount shift=0, i.e. an instruction count."""
import argparse
import os
import platform
import re
import statistics
import subprocess
import sys

ROWS = [
    ("fork_exit", "fork(), child _exit(0), waitpid()"),
    ("fork_exec", "fork(), child execve() of a static program that exits at once, waitpid()"),
    ("fault", "first-touch write fault of an anonymous page (256 a mmap, then munmap), per fault"),
    ("mincore", "mincore() of one page among 10,000 one-page VMAs"),
    ("mprotect", "mprotect() of the 2nd page of a 2-page VMA to read-only (split) and back (merge)"),
    ("mmap_munmap", "mmap() of a page right after a VMA (merge), munmap() of it (split, unmap)"),
]
LIMIT_OFF_STOCK = 1.01
LIMIT_ON_OFF = 1.05
SPREAD = 0.005

ap = argparse.ArgumentParser()
ap.add_argument("--results", required=True)
ap.add_argument("--boots", type=int, required=True)
ap.add_argument("--out", required=True)
ap.add_argument("--times")
ap.add_argument("--tree")
ap.add_argument("--stock-rev", default="?")
ap.add_argument("--series-rev", default="?")
ap.add_argument("--qemu", default="?")
ap.add_argument("--nocheck", action="store_true")
args = ap.parse_args()

line_re = re.compile(r"^guestbench: (kernel=\S+ .*)$")
# raw[(kernel, mode, row)][boot] = {field: value}
raw = {}
info = {}
notes = set()
for kernel in ("stock", "nostats", "stats"):
    for boot in range(1, args.boots + 1):
        path = f"{args.results}/guestbench.{kernel}.{boot}.console.log"
        try:
            text = open(path, errors="replace").read()
        except OSError:
            sys.exit(f"guestbench_results: no {path}")
        for line in text.splitlines():
            line = line.strip("\r\n ")
            if line.startswith("guestbench: note: "):
                notes.add(f"{kernel}: {line[len('guestbench: note: '):]}")
                continue
            if line.startswith("guestbench: info "):
                for k, v in (kv.split("=", 1) for kv in line.split()[2:] if "=" in kv):
                    info.setdefault((kernel, k), set()).add(v)
                continue
            m = line_re.match(line)
            if not m:
                continue
            f = dict(kv.split("=", 1) for kv in m.group(1).split() if "=" in kv)
            if f.get("kernel") != kernel:
                sys.exit(f"guestbench_results: {path}: a line of kernel {f.get('kernel')}")
            key = (kernel, f["mode"], f["row"] + (f":{f['probe']}" if "probe" in f else ""))
            raw.setdefault(key, {})[boot] = f


# GUESTBENCH_ROWS may have left some rows out.
ROWS = [(row, what) for row, what in ROWS if ("stock", "none", row) in raw]
if not ROWS:
    sys.exit("guestbench_results: no results in the consoles")


def vals(kernel, mode, row, field="ns"):
    """The figure of each boot, in boot order; a missing boot fails."""
    got = raw.get((kernel, mode, row), {})
    missing = [b for b in range(1, args.boots + 1) if b not in got]
    if missing:
        sys.exit(f"guestbench_results: no {kernel} mode={mode} row={row} in boot(s) {missing}")
    return [float(got[b][field]) for b in range(1, args.boots + 1)]


def has(kernel, mode, row):
    return bool(raw.get((kernel, mode, row)))


med = statistics.median


def fmt(ns):
    return f"{ns:,.0f}" if ns >= 10000 else f"{ns:,.1f}"


def spread(v):
    return (max(v) - min(v)) / med(v) if med(v) else 0.0


# The main table.
table, stderr_table, over, varying = [], [], [], []
for row, what in ROWS:
    stock, nostats = vals("stock", "none", row), vals("nostats", "none", row)
    off, on = vals("stats", "off", row), vals("stats", "on", row)
    r_off = med(off) / med(stock)
    r_n = med(nostats) / med(stock)
    r_on = med([b / a for a, b in zip(off, on)])
    table.append(f"| {row} | {fmt(med(stock))} | {fmt(med(nostats))} | {fmt(med(off))} | "
                 f"{fmt(med(on))} | {r_off:.3f} | {r_n:.3f} | {r_on:.3f} |")
    stderr_table.append(f"  {row:<12} {r_off:9.3f} {r_n:9.3f} {r_on:9.3f}")
    if r_off > LIMIT_OFF_STOCK:
        over.append(f"{row}: off/stock {r_off:.3f} > {LIMIT_OFF_STOCK}")
    if r_on > LIMIT_ON_OFF:
        over.append(f"{row}: on/off {r_on:.3f} > {LIMIT_ON_OFF}")
    for label, v in (("stock", stock), ("VMA_STATS=n", nostats), ("=y off", off), ("=y on", on)):
        if spread(v) > SPREAD:
            varying.append(f"{row} ({label}): {spread(v) * 100:.2f}% "
                           f"({', '.join(fmt(x) for x in v)})")


# Events per iteration with the counting on, from /proc/self/vma_stats.
def events(row):
    got = raw[("stats", "on", row)]
    if any(got[b].get("events", "-") == "-" for b in got):
        return None
    per = [int(got[b]["events"]) / int(got[b]["iters"]) for b in sorted(got)]
    detail = {}
    for b in sorted(got):
        for k, v in got[b].items():
            if k.startswith("vs_"):
                detail.setdefault(k[3:], []).append(int(v) / int(got[b]["iters"]))
    return per, {k: med(v) for k, v in detail.items()}


counted = []
for row, _ in ROWS:
    e = events(row)
    if e:
        counted.append(f"| {row} | {med(e[0]):.3f} | "
                       + ", ".join(f"{k} {v:.3f}" for k, v in sorted(e[1].items())) + " |")


# The tracing comparison: ns per event, per boot, against the same boot's off.
def per_event(label, row, mode, field, rowkey=None, per_iter=None):
    rowkey = rowkey or row
    if not has("stats", mode, rowkey):
        return f"| {label} | {row} | - | - | not measured (see the notes) |"
    off = vals("stats", "off", row)
    t = vals("stats", mode, rowkey)
    n = vals("stats", mode, rowkey, "iters")
    if per_iter is None:
        ev = [x / i for x, i in zip(vals("stats", mode, rowkey, field), n)]
    else:
        ev = per_iter
    added = [b - a for a, b in zip(off, t)]
    if med(ev) < 0.01:
        return (f"| {label} | {row} | {med(ev):.3f} | {fmt(med(added))} | "
                f"n/a: no event in the loop |")
    cost = [a / e for a, e in zip(added, ev)]
    return (f"| {label} | {row} | {med(ev):.3f} | {fmt(med(added))} | "
            f"**{fmt(med(cost))}** ({', '.join(fmt(c) for c in cost)}) |")


tracing = []
for row, label in (("mincore", "counters on: lookups"),
                   ("mprotect", "counters on: merges and splits")):
    if not has("stats", "on", row):
        continue
    e = events(row)
    if e is None:
        tracing.append(f"| {label} | {row} | - | - | not measured: no /proc/self/vma_stats |")
    else:
        tracing.append(per_event(label, row, "on", None, per_iter=e[0]))
tracing.append(per_event("kprobe on find_vma + hist trigger", "mincore", "kprobe", "hits",
                         "mincore:find_vma"))
tracing.append(per_event("kprobe on mtree_load + hist trigger", "mincore", "kprobe", "hits",
                         "mincore:mtree_load"))
tracing.append(per_event("series tracepoints into the ring buffer", "mprotect", "tracepoints",
                         "events"))
tp_detail = ""
if has("stats", "tracepoints", "mprotect"):
    got = raw[("stats", "tracepoints", "mprotect")]
    tp_detail = "; ".join(
        f"boot {b}: " + ", ".join(f"{k} {int(got[b][k]) / int(got[b]['iters']):.3f}"
                                 for k in ("vma_merge", "vma_merge_refused", "vma_split", "overrun"))
        for b in sorted(got))

# Each boot's raw figures.
rawlines = []
for row, _ in ROWS:
    for kernel, mode in (("stock", "none"), ("nostats", "none"), ("stats", "off"), ("stats", "on")):
        v = vals(kernel, mode, row)
        rawlines.append(f"| {row} | {kernel}{'' if mode == 'none' else ' ' + mode} | "
                        + " | ".join(fmt(x) for x in v) + f" | {spread(v) * 100:.2f}% |")
for key in sorted(k for k in raw if k[1] in ("kprobe", "tracepoints")):
    v = vals(*key)
    rawlines.append(f"| {key[2]} | stats {key[1]} | " + " | ".join(fmt(x) for x in v)
                    + f" | {spread(v) * 100:.2f}% |")

# Host time of each phase.
hostlines = []
if args.times and os.path.exists(args.times):
    for line in open(args.times):
        p = line.split()
        if p[0] == "build":
            hostlines.append(f"| build {p[1]} ({p[3].replace('-', ' ')}) | {p[2]} s |")
        elif p[0] == "boot":
            hostlines.append(f"| boot {p[2]} of {p[1]} | {p[3]} s |")


def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout.strip()
    except OSError:
        return "?"


version = "?"
if args.tree and os.path.exists(f"{args.tree}/Makefile"):
    mk = dict(re.findall(r"^(VERSION|PATCHLEVEL|SUBLEVEL) = (\S+)",
                         open(f"{args.tree}/Makefile").read(), re.M))
    version = ".".join(mk.get(k, "?") for k in ("VERSION", "PATCHLEVEL", "SUBLEVEL"))
clocks = sorted(set().union(*(v for (k, f), v in info.items() if f == "clocksource")) or {"?"})
scale = sorted(set().union(*(v for (k, f), v in info.items() if f == "scale")) or {"?"})
aslr = sorted(set().union(*(v for (k, f), v in info.items() if f == "randomize_va_space")) or {"?"})
layout = ("the same address space layout in every kernel and boot: randomization off "
          "(`kernel.randomize_va_space=0`; `GUESTBENCH_ASLR=1` keeps it)" if aslr == ["0"]
          else f"address space randomization on (`kernel.randomize_va_space` {', '.join(aslr)})")
iters = {row: int(vals("stock", "none", row, "iters")[0]) for row, _ in ROWS}
cpu = sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-").strip()
qemu_v = sh("qemu-system-x86_64 --version | head -1")
gcc = sh("gcc --version | head -1")
b = args.boots
rows_doc = "\n".join(f"| `{row}` | {what} | {iters[row]:,} |" for row, what in ROWS)
nl = "\n"

doc = f"""# vmascope: CONFIG_VMA_STATS in x86_64 guests, in instruction counts

Written by `make guestbench` (scripts/guestbench.sh, scripts/guestbench.c,
scripts/guestbench_results.py); do not edit by hand. `make bench`'s KUnit
figures under UML are in [results.md](results.md).

**Every figure here is an instruction count (ns of guest time under
`-icount shift=0`), not hardware time.** Under QEMU's TCG with
`-icount shift=0,sleep=off` the guest clock advances 1 ns per guest
instruction executed, so what a loop takes by `clock_gettime()` in the
guest is the number of instructions it executed (plus those of the timer
interrupts that fell in it). It does not see caches, branch prediction or
memory latency: an added instruction costs 1 ns whether it hits in the
cache or not.

## How

Three x86_64 kernels, Linux {version}, each `make tinyconfig` +
[kconfig/guestbench.config](../kconfig/guestbench.config) (a serial
console, an initramfs, /proc, sysfs, tmpfs, `-O2`, full SLUB,
`JUMP_LABEL`, `FTRACE` + `KPROBES` + `KPROBE_EVENTS` + `HIST_TRIGGERS`;
no debugging options), built with gcc:

| kernel | tree | CONFIG_VMA_STATS |
| --- | --- | --- |
| stock | the base tree, {args.stock_rev} | (no such symbol) |
| VMA_STATS=n | the series, {args.series_rev} | not set |
| =y | the same | y; counting off ("off") or on ("on", `vm.vma_stats=1`) in the same boot |

The three `.config` files differ in `CONFIG_VMA_STATS` and nothing else
(the script checks). Each boots with

    {args.qemu}

(`-smp 1`: one CPU, no other guest CPU to interleave with), from an
initramfs of busybox-static and scripts/guestbench.c built with
`gcc -static -O2`, with {layout}. The program first maps 48 one-page
VMAs, for an mm of some 60 VMAs like a small dynamically linked process:
the cost of a VMA operation depends on the shape of the maple tree, and in
the dozen VMAs of the static program alone, with the unrandomized layout,
`mprotect` took 15,294 instructions a pair, against about 9,000 with one
VMA more (or with the randomized layout): the split made the tree's one
leaf overflow, and the merge rebalanced it, every time. With the 48 more,
adding 0 to 9 further VMAs moves `mprotect` between 8,520 and 8,930 and
`mmap_munmap` between 9,150 and 9,260. Clocksource in the guest:
{", ".join(clocks)}. The
kernels boot {b} times each, in turn (stock, n, y, stock, ...); every
figure is the median over the {b} boots, and each ratio the ratio of
medians, except on/off, the median of each boot's on/off (both are
measured in the same boot). The program runs each row as a loop of N
iterations timed as a whole (after a warm-up of N/10), and reports ns per
iteration{"" if scale == ["1"] else f" (iterations scaled by {', '.join(scale)})"}:

| row | one iteration | N |
| --- | --- | --- |
{rows_doc}

## What the option costs

Guest ns (= instructions) per iteration:

| row | stock | VMA_STATS=n | =y off | =y on | off/stock | n/stock | on/off |
| --- | --- | --- | --- | --- | --- | --- | --- |
{nl.join(table)}

Limits the script checks: off/stock ≤ {LIMIT_OFF_STOCK}, on/off ≤ {LIMIT_ON_OFF}.
{"" if not over else nl + "**Over:** " + "; ".join(over) + "." + nl}
{"Figures that varied by more than 0.5% between boots (max − min over the median): " + "; ".join(varying) + "." if varying else "No figure varied by more than 0.5% between boots."}

Events the counters counted per iteration with the counting on (deltas of
`/proc/self/vma_stats` around the timed loop; a lookup and each merge,
refusal, split, expand, shrink or unmap is one event; the fork rows' own
children count in their own mm, not here):

| row | events per iteration | of which |
| --- | --- | --- |
{nl.join(counted) if counted else "| - | not measured: no /proc/self/vma_stats | |"}

## The counters against tracing

In the =y kernel, same boots, counting off unless the row says on: what
each way of observing the same events adds per event, i.e. (the row's ns
per iteration with it − without it, in the same boot) / (events per
iteration). The median over the boots, each boot's in brackets.

| mechanism | row | events per iteration | ns added per iteration | ns per event |
| --- | --- | --- | --- | --- |
{nl.join(tracing)}

- The kprobes: `p:vmascope/SYMBOL SYMBOL` in `kprobe_events`, counted by
  `hist:keys=common_pid:vals=hitcount` on the event's `trigger`; the
  event itself is not enabled (a trigger arms the probe and leaves the
  event soft-disabled: nothing goes to the ring buffer). The events per
  iteration are the hist's hitcount for the program's pid over the timed
  loop. `mincore()` makes three VMA lookups: `do_mincore()` calls
  `vma_lookup()`, an inline around `mtree_load()` that a kprobe cannot
  probe, and `walk_page_range()` calls `find_vma()` twice. The kprobe on
  `find_vma` sees those two; the one on `mtree_load` (the call
  `vma_lookup()` makes) the third.
- The tracepoints: `events/mmap/vma_merge`, `vma_merge_refused` and
  `vma_split` enabled, recording into the ring buffer (32 MiB, so nothing
  is overwritten); events per iteration counted in `trace` after the loop
  ({tp_detail or "-"}).
- The counters: with `vm.vma_stats=1`, from the same boot's off and on
  loops; the events from `/proc/self/vma_stats` as above.

## Each boot's figures

Guest ns per iteration; spread = (max − min) / median.

| row | kernel | {" | ".join(f"boot {i}" for i in range(1, b + 1))} | spread |
| --- | --- | {" | ".join("---" for _ in range(b))} | --- |
{nl.join(rawlines)}
{"" if not notes else nl + "Notes printed by the guests:" + nl + nl + nl.join(f"- {n}" for n in sorted(notes)) + nl}
## Host time of the run

Host seconds (not guest time) of each phase of the last `make guestbench`:

| phase | host time |
| --- | --- |
{nl.join(hostlines) if hostlines else "| - | - |"}

Machine: {os.cpu_count()} CPUs ({cpu}), {platform.platform()}, {qemu_v}, {gcc}.
"""
with open(args.out, "w") as f:
    f.write(doc)

print(f"guestbench: ratios (instruction counts, not hardware time; {b} boots, medians):",
      file=sys.stderr)
print(f"  {'row':<12} {'off/stock':>9} {'n/stock':>9} {'on/off':>9}", file=sys.stderr)
print("\n".join(stderr_table), file=sys.stderr)
if varying:
    print("guestbench: varied by more than 0.5% between boots: " + "; ".join(varying), file=sys.stderr)
if over:
    print("guestbench: OVER: " + "; ".join(over)
          + (" (GUESTBENCH_NOCHECK=1: reported only)" if args.nocheck else ""), file=sys.stderr)
    if not args.nocheck:
        sys.exit(1)
