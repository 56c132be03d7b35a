#!/usr/bin/env python3
"""Check a kunit.py --json result (KernelCI groups) and count its cases.

Every suite defined in the given source directory and built into the kernel
(its object's obj-$(CONFIG_...) line in the directory's Makefile is enabled
in --config) must be present with at least one case, and no case may be anything but PASS or SKIP. With
--console, the kernel log must hold no WARNING, BUG, KASAN, UBSAN, lockdep
or Oops report (each one found counts as a failure), except those that a
regular expression of --allow matches. Writes 'passed failed skipped' to
--counts and prints what failed or is missing.
"""
import argparse
import glob
import json
import os
import re
import sys


def cases(group, path=()):
    """Yield (path, status) for every leaf case under a group."""
    for sub in group.get("sub_groups", []):
        yield from cases(sub, path + (sub["name"],))
    for case in group.get("test_cases", []):
        yield path + (case["name"],), case["status"]


def built_objects(srcdir, config):
    """Map each object of srcdir/Makefile to whether --config builds it."""
    enabled = set()
    if config and not os.path.exists(config):
        config = None  # no kernel configured: every suite is expected
    if config:
        with open(config, encoding="utf-8") as f:
            enabled = {l.split("=")[0] for l in f if re.match(r"CONFIG_\w+=[ym]", l)}
    objs = {}
    try:
        with open(os.path.join(srcdir, "Makefile"), encoding="utf-8") as f:
            for m in re.finditer(r"^obj-\$\((CONFIG_\w+)\)\s*\+=\s*(.*)$", f.read(), re.M):
                for o in m.group(2).split():
                    objs[o] = not config or m.group(1) in enabled
    except OSError:
        pass
    return objs


def expected_suites(srcdir, config=None):
    names = set()
    objs = built_objects(srcdir, config)
    for f in glob.glob(os.path.join(srcdir, "*.c")):
        if not objs.get(os.path.basename(f)[:-2] + ".o", True):
            continue
        with open(f, encoding="utf-8") as fh:
            text = fh.read()
        for m in re.finditer(r"struct kunit_suite\s+\w+\s*=\s*\{(.*?)\n\};", text, re.S):
            n = re.search(r'\.name\s*=\s*"([^"]+)"', m.group(1))
            if n:
                names.add(n.group(1))
    return names


# The first line of a kernel report. Lockdep's reports start "WARNING:".
REPORT = re.compile(r"(WARNING:|BUG:|kernel BUG at|Oops|KASAN:|UBSAN:|"
                    r"Kernel panic|general protection fault|Unable to handle)")


def kernel_reports(console, allow_file):
    allow = []
    if allow_file:
        with open(allow_file, encoding="utf-8") as f:
            allow = [re.compile(l.strip()) for l in f
                     if l.strip() and not l.startswith("#")]
    try:
        with open(console, encoding="utf-8", errors="replace") as f:
            lines = f.read().splitlines()
    except OSError as e:
        return [f"no kernel log {console}: {e}"]
    found = []
    for line in lines:
        if REPORT.search(line) and not any(a.search(line) for a in allow):
            found.append(line.strip())
    return found


def finish(a, passed, failed, skipped, problems):
    """Count the kernel reports of --console as failures, write --counts,
    print the problems and the totals; the exit code."""
    if a.console:
        for report in kernel_reports(a.console, a.allow):
            failed += 1
            problems.append(f"KERNEL LOG: {report}")
    with open(a.counts, "w", encoding="utf-8") as f:
        f.write(f"{passed} {failed} {skipped}\n")
    for p in problems:
        print(f"{a.name}: {p}", file=sys.stderr)
    print(f"{a.name}: {passed} passed, {failed} failed, {skipped} skipped", file=sys.stderr)
    return 1 if failed else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--name", required=True)
    ap.add_argument("--json", required=True)
    ap.add_argument("--suites", help="directory whose *.c suites must all run")
    ap.add_argument("--config", help="the kernel .config: only suites it builds are expected")
    ap.add_argument("--counts", required=True)
    ap.add_argument("--console", help="kernel log to scan for reports")
    ap.add_argument("--allow", help="file of regular expressions of known reports")
    a = ap.parse_args()

    passed = failed = skipped = 0
    problems = []
    try:
        with open(a.json, encoding="utf-8") as f:
            root = json.load(f)
    except (OSError, ValueError) as e:
        root = {}
        failed += 1
        problems.append(f"no usable results in {a.json}: {e}")

    seen = {}
    for path, status in cases(root):
        seen.setdefault(path[0], 0)
        seen[path[0]] += 1
        if status == "PASS":
            passed += 1
        elif status == "SKIP":
            skipped += 1
        else:
            failed += 1
            problems.append(f"{status}: {'.'.join(path)}")

    if a.suites:
        for suite in sorted(expected_suites(a.suites, a.config) - set(seen)):
            failed += 1
            problems.append(f"MISSING: suite {suite} did not run")

    return finish(a, passed, failed, skipped, problems)


if __name__ == "__main__":
    sys.exit(main())
