#!/usr/bin/env python3
"""Check a kselftest's KTAP output in the console log of a QEMU boot.

The guest's /init prints a start marker before it runs the test and an end
marker with the test's exit code after it (see scripts/selftest.sh). Counts
each top-level KTAP result between them ('ok', 'ok ... # SKIP', 'not ok').
Fails on a 'not ok', on a missing '1..N' plan or results missing from it,
on a missing end marker (the guest hung, crashed or timed out), on a
non-zero exit the results do not explain, and on any WARNING, BUG, KASAN,
UBSAN, lockdep or Oops report in the kernel log (scripts/kunit_results.py's
rules, with its --allow file of known reports). Prints the test's output;
writes 'passed failed skipped' to --counts.
"""
import argparse
import json
import os
import re
import sys

sys.dont_write_bytecode = True  # no __pycache__ in scripts/
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kunit_results import finish  # noqa: E402

START = re.compile(r"vmascope-selftest: start")
END = re.compile(r"vmascope-selftest: end exit=(\d+)")
PLAN = re.compile(r"^1\.\.(\d+)")
# A top-level result: 'ok 3 name', 'not ok 4 name # reason', 'ok 5 name # SKIP why'.
RESULT = re.compile(r"^(not ok|ok) (\d+)\b[^#]*(?:#\s*(\S+))?")
KSFT_SKIP = 4


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--name", required=True)
    ap.add_argument("--console", required=True)
    ap.add_argument("--counts", required=True)
    ap.add_argument("--allow", action="append",
                    help="file of regular expressions of known reports (repeatable)")
    ap.add_argument("--qemu-exit", type=int, help="QEMU's exit code (124: timed out)")
    ap.add_argument("--vmastat", action="store_true",
                    help="also check tools/mm/vmastat's run after the test")
    a = ap.parse_args()

    passed = failed = skipped = 0
    problems = []
    try:
        with open(a.console, encoding="utf-8", errors="replace") as f:
            lines = [l.rstrip("\r\n").replace("\r", "") for l in f]
    except OSError as e:
        lines = []
        problems.append(f"no console log: {e}")

    started = False
    plan = exit_code = None
    seen = set()
    for line in lines:
        if not started:
            started = bool(START.search(line))
            continue
        m = END.search(line)
        if m:
            exit_code = int(m.group(1))
            break
        if re.match(r"^\[\s*\d+\.\d+\]", line):
            continue  # the kernel's own messages, scanned below
        print(line)
        m = PLAN.match(line)
        if m and plan is None:
            plan = int(m.group(1))
            continue
        m = RESULT.match(line)
        if not m:
            continue
        seen.add(int(m.group(2)))
        directive = (m.group(3) or "").upper()
        if directive == "SKIP":
            skipped += 1
        elif m.group(1) == "ok":
            passed += 1
        else:
            failed += 1
            problems.append(f"FAILED: {line.strip()}")

    if not started:
        failed += 1
        why = "timed out before" if a.qemu_exit == 124 else "did not boot as far as"
        problems.append(f"no start marker: the guest {why} running the test")
    elif exit_code is None:
        failed += 1
        why = "timed out" if a.qemu_exit == 124 else "crashed or hung"
        problems.append(f"no end marker: the run {why} before the test finished")
    if started and plan is None:
        failed += 1
        problems.append("no KTAP plan line (1..N)")
    elif plan is not None:
        missing = sorted(set(range(1, plan + 1)) - seen)
        if missing:
            failed += len(missing)
            problems.append(f"MISSING: results of tests {missing} of 1..{plan}")
    if exit_code not in (None, 0, KSFT_SKIP) and not failed:
        failed += 1
        problems.append(f"the test exited {exit_code} with no failed result")

    if a.vmastat:
        p, f, why = check_vmastat(lines)
        passed += p
        failed += f
        problems += why
    return finish(a, passed, failed, skipped, problems)


def check_vmastat(lines):
    """tools/mm/vmastat in the guest, between its markers: its table
    (exit 0, the max_map_count header, a PID column, a line for /init,
    pid 1) and its JSON for -p 1 (exit 0, one object whose process 1 has
    every line of the file, map_count among them). Two results."""
    out, table_exit, end_exit, section = [], None, None, False
    for line in lines:
        if line.startswith("vmascope-vmastat: start"):
            section = True
            continue
        if not section or re.match(r"^\[\s*\d+\.\d+\]", line):
            continue
        m = re.match(r"vmascope-vmastat: (table|end) exit=(\d+)", line)
        if m and m.group(1) == "table":
            table_exit, table, out = int(m.group(2)), out, []
            continue
        if m:
            end_exit = int(m.group(2))
            break
        out.append(line)
        print(line)
    if table_exit is None or end_exit is None:
        return 0, 2, ["vmastat: its run in the guest did not finish"]
    problems = []
    rows = [l.split() for l in table]
    if (table_exit != 0 or not table or not table[0].startswith("max_map_count ")
            or not any(r[:1] == ["PID"] for r in rows) or not any(r[:1] == ["1"] for r in rows)):
        problems.append(f"vmastat table (exit {table_exit}) lacks its header or pid 1")
    try:
        doc = json.loads(out[0]) if out else None
        procs = doc["processes"] if doc else []
        ok = (end_exit == 0 and len(procs) == 1 and procs[0]["pid"] == 1
              and "map_count" in procs[0]["counters"]
              and "unmerged_mergeable" in procs[0]["counters"])
    except (ValueError, KeyError, TypeError, IndexError):
        ok = False
    if not ok:
        problems.append(f"vmastat --json -p 1 (exit {end_exit}): not one object for pid 1")
    return 2 - len(problems), len(problems), problems


if __name__ == "__main__":
    sys.exit(main())
