#!/usr/bin/env python3
"""Check the vma_stats kselftest's run in the console log of a QEMU boot.

The guest's /init prints a start marker, runs the kernel's own runner,
tools/testing/selftests/mm/run_vmtests.sh -t vma_stats, and prints an end
marker with the runner's exit code (0 passed, 4 skipped, else failed; see
scripts/selftest.sh). The runner prints each test it runs between a
"running ./TEST" header and a [PASS], [SKIP] or [FAIL] line, every line of
the test's own KTAP prefixed with "# ". That KTAP, the prefix taken off,
is parsed by the tree's kunit.py (kunit.py parse --json), and its cases
are counted as scripts/kunit_results.py counts a KUnit run's.

Fails on a case that did not pass or skip (kunit.py reports a result
missing from the plan as one that crashed), on no case at all, on a runner
that did not run the test or said it failed, on a missing end marker (the
guest hung, crashed or timed out), on a runner exit code the results do
not explain, and on any WARNING, BUG, KASAN, UBSAN, lockdep or Oops report
in the kernel log (scripts/kunit_results.py's rules, with its --allow file
of known reports). Prints the runner's output; writes 'passed failed
skipped' to --counts.
"""
import argparse
import json
import os
import re
import subprocess
import sys

sys.dont_write_bytecode = True  # no __pycache__ in scripts/
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kunit_results import cases, finish  # noqa: E402

START = re.compile(r"vmascope-selftest: start")
END = re.compile(r"vmascope-selftest: end exit=(\d+)")
KERNEL_MSG = re.compile(r"^\[\s*\d+\.\d+\]")
KSFT_SKIP = 4


def test_ktap(runner, test):
    """The runner's lines of TEST's run, its "# " prefix taken off, or None
    if the runner did not run it."""
    out, state = [], None
    for line in runner:
        if state is None:
            if re.match(rf"^# running \./{re.escape(test)}\s*$", line):
                state = "header"
            continue
        if state == "header":  # the separator under the title
            state = "test"
            continue
        if re.match(r"^# \[(PASS|SKIP|FAIL)\]\s*$", line):
            break
        out.append(line[2:] if line.startswith("# ") else line.lstrip("#"))
    return out if state else None


def kunit_parse(kunit_py, ktap_file, json_file, log_file):
    """kunit.py parse --json of a KTAP file: the result's root group."""
    with open(log_file, "w", encoding="utf-8") as log:
        subprocess.run([sys.executable, kunit_py, "parse", f"--json={json_file}", ktap_file],
                       stdout=log, stderr=subprocess.STDOUT, check=False)
    with open(json_file, encoding="utf-8") as f:
        return json.load(f)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--name", required=True)
    ap.add_argument("--console", required=True)
    ap.add_argument("--counts", required=True)
    ap.add_argument("--kunit", required=True, help="the tree's tools/testing/kunit/kunit.py")
    ap.add_argument("--test", default="vma_stats", help="the test the runner runs")
    ap.add_argument("--out", help="where the test's KTAP and kunit.py's JSON go "
                    "(NAME.ktap, NAME.json); default: beside --counts")
    ap.add_argument("--allow", action="append",
                    help="file of regular expressions of known reports (repeatable)")
    ap.add_argument("--qemu-exit", type=int, help="QEMU's exit code (124: timed out)")
    ap.add_argument("--vmastat", action="store_true",
                    help="also check tools/mm/vmastat's run after the test")
    a = ap.parse_args()
    out = a.out or os.path.dirname(os.path.abspath(a.counts))

    passed = failed = skipped = 0
    problems = []
    try:
        with open(a.console, encoding="utf-8", errors="replace") as f:
            lines = [l.rstrip("\r\n").replace("\r", "") for l in f]
    except OSError as e:
        lines = []
        problems.append(f"no console log: {e}")

    started = False
    exit_code = None
    runner = []
    for line in lines:
        if not started:
            started = bool(START.search(line))
            continue
        m = END.search(line)
        if m:
            exit_code = int(m.group(1))
            break
        if KERNEL_MSG.match(line):
            continue  # the kernel's own messages, scanned by finish()
        print(line)
        runner.append(line)

    if not started:
        failed += 1
        why = "timed out before" if a.qemu_exit == 124 else "did not boot as far as"
        problems.append(f"no start marker: the guest {why} running the test")
    elif exit_code is None:
        failed += 1
        why = "timed out" if a.qemu_exit == 124 else "crashed or hung"
        problems.append(f"no end marker: the run {why} before the runner finished")

    ktap = test_ktap(runner, a.test) if started else None
    if started and ktap is None:
        failed += 1
        problems.append(f"the runner did not run ./{a.test}")
    elif ktap is not None:
        ktap_file = os.path.join(out, f"{a.name}.ktap")
        json_file = os.path.join(out, f"{a.name}.json")
        with open(ktap_file, "w", encoding="utf-8") as f:
            f.write("".join(l + "\n" for l in ktap))
        try:
            root = kunit_parse(a.kunit, ktap_file, json_file,
                               os.path.join(out, f"{a.name}.kunit.log"))
        except (OSError, ValueError) as e:
            root = {}
            problems.append(f"kunit.py parse gave no result: {e}")
        n = 0
        for path, status in cases(root):
            n += 1
            name = ".".join(path) or "(unnamed)"
            if status == "PASS":
                passed += 1
            elif status == "SKIP":
                skipped += 1
            else:
                failed += 1
                problems.append(f"{status}: {name}")
        if not n:
            failed += 1
            problems.append(f"no result of ./{a.test} in its KTAP")

    if exit_code not in (None, 0, KSFT_SKIP) and not failed:
        failed += 1
        problems.append(f"run_vmtests.sh exited {exit_code} with no failed result")
    if exit_code == KSFT_SKIP and passed:
        failed += 1
        problems.append("run_vmtests.sh says skipped, but cases passed")

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
        if not section or KERNEL_MSG.match(line):
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
