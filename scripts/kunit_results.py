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
import fnmatch
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
    # The directory's own Makefile, and its parent's lines that build an
    # object of it ("obj-$(CONFIG_X) += tests/x.o" in mm/Makefile).
    sub = os.path.basename(os.path.normpath(srcdir)) + "/"
    for makefile, prefix in ((os.path.join(srcdir, "Makefile"), ""),
                             (os.path.join(srcdir, "..", "Makefile"), sub)):
        try:
            with open(makefile, encoding="utf-8") as f:
                text = f.read()
        except OSError:
            continue
        for m in re.finditer(r"^obj-\$\((CONFIG_\w+)\)\s*\+=\s*(.*)$", text, re.M):
            for o in m.group(2).split():
                if o.startswith(prefix) and "/" not in o[len(prefix):]:
                    objs[o[len(prefix):]] = not config or m.group(1) in enabled
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


def kernel_reports(console, allow_files):
    allow = []
    for allow_file in allow_files or []:
        with open(allow_file, encoding="utf-8") as f:
            allow += [re.compile(l.strip()) for l in f
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


def cpus_brought_up(console):
    """The number of CPUs the kernel says it brought up, or None."""
    try:
        with open(console, encoding="utf-8", errors="replace") as f:
            text = f.read()
    except OSError:
        return None
    m = re.search(r"smp: Brought up \d+ nodes?, (\d+) CPUs?", text)
    return int(m.group(1)) if m else None


def kmemleak_leaks(console):
    """The kmemleak reports between the guest's kmemleak markers: None if
    the markers are missing, else a list of (summary, report text)."""
    try:
        with open(console, encoding="utf-8", errors="replace") as f:
            text = f.read().replace("\r", "")
    except OSError:
        return None
    m = re.search(r"vmascope-kmemleak: start\n(.*?)vmascope-kmemleak: end", text, re.S)
    if not m:
        return None
    leaks = []
    for block in re.split(r"(?=^unreferenced object )", m.group(1), flags=re.M):
        if not block.startswith("unreferenced object"):
            continue
        # The first frames below the allocator say who allocated it.
        frames = re.findall(r"\[<[0-9a-fx]+>\] (\S+)", block)
        own = [f for f in frames if not re.match(
            r"(kmemleak_|__kmalloc|kmalloc|kmem_cache_|__kmem_cache|slab_|__alloc|"
            r"alloc_pages|__vmalloc|vmalloc|pcpu_|__do_kmalloc|kmalloc_trace|"
            r"kvmalloc|__kvmalloc|kzalloc|kmemdup|krealloc|__krealloc)", f)]
        first = block.splitlines()[0]
        leaks.append((f"{first} from {' < '.join(own[:3]) or '?'}", block))
    return leaks


def build_errors(log):
    """The compiler's and make's error lines in kunit.py's output, if the
    kernel did not build (kunit.py logs the build's stderr), else []."""
    try:
        with open(log, encoding="utf-8", errors="replace") as f:
            text = f.read()
    except OSError:
        return []
    if not re.search(r"ERROR:root:|Error: |BUILD_FAILURE|failed to build", text):
        return []
    errs = [l.strip() for l in text.splitlines()
            if re.search(r"(: (fatal )?error: |\*\*\* \[|^make.*Error \d|undefined reference)", l)]
    return errs or [l.strip() for l in text.splitlines() if "ERROR:root:" in l][:1]


def finish(a, passed, failed, skipped, problems):
    """Count the kernel reports of --console as failures, check the CPUs
    brought up (--cpus), write --counts, print the problems and the totals;
    the exit code."""
    if a.console:
        allow = [x for x in (a.allow or []) if x and os.path.exists(x)]
        for report in kernel_reports(a.console, allow):
            failed += 1
            problems.append(f"KERNEL LOG: {report}")
    if getattr(a, "kmemleak", False):
        leaks = kmemleak_leaks(a.console) if a.console else None
        allow = []
        for allow_file in [x for x in (a.allow or []) if x and os.path.exists(x)]:
            with open(allow_file, encoding="utf-8") as f:
                allow += [re.compile(l.strip()) for l in f
                          if l.strip() and not l.startswith("#")]
        if leaks is None:
            failed += 1
            problems.append("KMEMLEAK: no kmemleak scan in the log (markers missing)")
        else:
            leaks = [(s, b) for s, b in leaks if not any(x.search(b) for x in allow)]
            if leaks:
                failed += len(leaks)
                problems += [f"KMEMLEAK: {s}" for s, _ in leaks]
            else:
                passed += 1
                print(f"{a.name}: kmemleak found no unreferenced object", file=sys.stderr)
    if getattr(a, "cpus", None):
        n = cpus_brought_up(a.console) if a.console else None
        if n == a.cpus:
            passed += 1
            print(f"{a.name}: the kernel brought up {n} CPUs", file=sys.stderr)
        else:
            failed += 1
            problems.append(f"CPUS: expected {a.cpus} CPUs brought up, the log says {n}")
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
    ap.add_argument("--filter", help="kunit.py's filter_glob: only the suites it matches are expected")
    ap.add_argument("--counts", required=True)
    ap.add_argument("--console", help="kernel log to scan for reports")
    ap.add_argument("--allow", action="append",
                    help="file of regular expressions of known reports (repeatable)")
    ap.add_argument("--kmemleak", action="store_true",
                    help="the log must hold a kmemleak scan that found nothing")
    ap.add_argument("--log", help="kunit.py's own output: a build failure there is "
                    "one failure that quotes the build's errors, not one per suite")
    ap.add_argument("--require", action="append", default=[],
                    help="a glob of case paths (suite.case[.param]) that must run and pass: "
                         "a skip counts as a failure")
    ap.add_argument("--cpus", type=int,
                    help="the number of CPUs the kernel must say it brought up")
    a = ap.parse_args()

    passed = failed = skipped = 0
    problems = []
    try:
        with open(a.json, encoding="utf-8") as f:
            root = json.load(f)
    except (OSError, ValueError) as e:
        errs = build_errors(a.log) if a.log else []
        if errs:
            # The kernel did not build: nothing ran, and nothing else in
            # this run (suites, console, CPUs) means anything.
            with open(a.counts, "w", encoding="utf-8") as f:
                f.write("0 1 0\n")
            print(f"{a.name}: BUILD FAILED: the kernel did not build; its errors:", file=sys.stderr)
            for l in errs[:10]:
                print(f"{a.name}:   {l}", file=sys.stderr)
            if len(errs) > 10:
                print(f"{a.name}:   ... and {len(errs) - 10} more (see {a.log})", file=sys.stderr)
            print(f"{a.name}: 0 passed, 1 failed, 0 skipped", file=sys.stderr)
            return 1
        root = {}
        failed += 1
        problems.append(f"no usable results in {a.json}: {e}")

    seen = {}
    required = {g: 0 for g in a.require}
    for path, status in cases(root):
        seen.setdefault(path[0], 0)
        seen[path[0]] += 1
        name = '.'.join(path)
        must = [g for g in required if fnmatch.fnmatchcase(name, g)]
        for g in must:
            required[g] += 1
        if status == "PASS":
            passed += 1
        elif status == "SKIP" and not must:
            skipped += 1
        else:
            failed += 1
            problems.append(f"{status}: {name}" + (" (required to pass)" if status == "SKIP" else ""))
    for g, n in required.items():
        if not n:
            failed += 1
            problems.append(f"MISSING: no case matching {g} ran (required to pass)")

    if a.suites:
        expected = expected_suites(a.suites, a.config)
        if a.filter:
            glob_ = a.filter.split(".")[0]
            expected = {s for s in expected if fnmatch.fnmatchcase(s, glob_)}
        for suite in sorted(expected - set(seen)):
            failed += 1
            problems.append(f"MISSING: suite {suite} did not run")

    return finish(a, passed, failed, skipped, problems)


if __name__ == "__main__":
    sys.exit(main())
