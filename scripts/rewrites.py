#!/usr/bin/env python3
"""List the patches of a series that rewrite or delete lines an earlier
patch of the same series added (a fix-up that belongs in the patch it fixes).

Usage: rewrites.py TREE BASE [HEAD] [--max N]
For every commit of BASE..HEAD, the lines its diff removes are blamed in its
parent; those that come from a commit of the series count. Prints one line a
patch over --max (default 5) and exits 1 if there is any.
"""
import argparse
import re
import subprocess
import sys


def git(tree, *args):
    return subprocess.run(["git", "-C", tree, *args], check=True,
                          capture_output=True, text=True).stdout


def rewritten(tree, commit, series):
    """{earlier commit: lines of it that @commit removes}"""
    out = {}
    diff = git(tree, "diff", "-U0", "--no-renames", f"{commit}^", commit)
    path = None
    for line in diff.splitlines():
        if line.startswith("--- "):
            path = None if line == "--- /dev/null" else line[6:]
            continue
        m = re.match(r"@@ -(\d+)(?:,(\d+))? \+", line)
        if not m or path is None:
            continue
        start, count = int(m.group(1)), int(m.group(2) or 1)
        if count == 0:
            continue
        blame = git(tree, "blame", "--porcelain", "-L", f"{start},+{count}",
                    f"{commit}^", "--", path)
        for b in blame.splitlines():
            m2 = re.match(r"^([0-9a-f]{40}) \d+ \d+", b)
            if m2 and m2.group(1) in series:
                out[m2.group(1)] = out.get(m2.group(1), 0) + 1
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("tree")
    ap.add_argument("base")
    ap.add_argument("head", nargs="?", default="HEAD")
    ap.add_argument("--max", type=int, default=5)
    a = ap.parse_args()
    commits = git(a.tree, "rev-list", "--reverse", f"{a.base}..{a.head}").split()
    series = set(commits)
    bad = 0
    for i, c in enumerate(commits, 1):
        r = rewritten(a.tree, c, series)
        n = sum(r.values())
        if n > a.max:
            bad += 1
            subj = git(a.tree, "log", "-1", "--format=%s", c).strip()
            which = ", ".join(f"patch {commits.index(e) + 1} ({k})" for e, k in
                              sorted(r.items(), key=lambda x: commits.index(x[0])))
            print(f"patch {i} ({subj}): rewrites or deletes {n} lines of {which}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
