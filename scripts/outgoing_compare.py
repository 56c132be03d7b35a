#!/usr/bin/env python3
"""Check that the mails b4 wrote carry the series' patches unchanged.

Usage: outgoing_compare.py SERIES_DIR OUTGOING_DIR

SERIES_DIR holds the series as 'git format-patch' exported it (a series
file, 0000-cover-letter.patch and the patches); OUTGOING_DIR the mails of
'b4 prep -p', in order. For each patch: the same subject (without the
bracketed prefix), the same commit message, Signed-off-by: lines aside
(the submitter adds one), and the same diff. For the
cover letter: the same subject and the same text up to the shortlog. The
headers, the diffstat and the signature may differ. Prints each
difference and exits 1 if there is one.
"""
import difflib
import email
import email.policy
import os
import re
import sys


def read(path):
    with open(path, 'rb') as f:
        msg = email.message_from_bytes(f.read(), policy=email.policy.default)
    subject = re.sub(r'\s+', ' ', str(msg['Subject'] or ''))
    subject = re.sub(r'^\[[^]]*\]\s*', '', subject)
    return subject, msg.get_content()


def split_patch(body):
    """(message, diff) of a patch mail's body."""
    lines = body.split('\n')
    try:
        sep = lines.index('---')
    except ValueError:
        sep = len(lines)
    # The submitter's sign-off is theirs to add.
    message = '\n'.join(l for l in lines[:sep]
                        if not l.startswith('Signed-off-by: ')).rstrip()
    diff = []
    in_diff = False
    for line in lines[sep:]:
        if line.startswith('diff --git '):
            in_diff = True
        if line == '-- ':
            break
        if in_diff:
            # The blob ids' abbreviation is the tree's core.abbrev.
            m = re.match(r'^index ([0-9a-f]+)\.\.([0-9a-f]+)(.*)$', line)
            if m:
                line = f'index {m[1][:7]}..{m[2][:7]}{m[3]}'
            diff.append(line)
    return message, '\n'.join(diff).rstrip()


def cover_text(body):
    """A cover letter's text, up to its shortlog."""
    out = []
    for line in body.split('\n'):
        if line == '---' or re.match(r'^\S.* \(\d+\):$', line):
            break
        out.append(line)
    return '\n'.join(out).rstrip()


def show(what, a, b, name_a, name_b):
    print(f'{what}:')
    for line in difflib.unified_diff(a.split('\n'), b.split('\n'), name_a, name_b,
                                     lineterm='', n=1):
        print('    ' + line)


def main():
    series_dir, out_dir = sys.argv[1:3]
    with open(os.path.join(series_dir, 'series')) as f:
        series = [l.strip() for l in f if l.strip() and not l.startswith('#')]
    mails = sorted(m for m in os.listdir(out_dir) if m.endswith('.patch'))
    cover = os.path.join(series_dir, '0000-cover-letter.patch')
    want = ([cover] if os.path.exists(cover) else []) + \
        [os.path.join(series_dir, p) for p in series]
    bad = 0
    if len(mails) != len(want):
        print(f'{len(mails)} mails in {out_dir}, {len(want)} in {series_dir}')
        return 1
    for path, mail in zip(want, mails):
        mpath = os.path.join(out_dir, mail)
        (s1, b1), (s2, b2) = read(path), read(mpath)
        name = os.path.basename(path)
        if s1 != s2:
            print(f'{name}: subject "{s1}", b4 wrote "{s2}" ({mail})')
            bad += 1
        if path == cover:
            t1, t2 = cover_text(b1), cover_text(b2)
            if t1 != t2:
                show(f'{name}: cover letter text', t1, t2, name, mail)
                bad += 1
            continue
        (m1, d1), (m2, d2) = split_patch(b1), split_patch(b2)
        if m1 != m2:
            show(f'{name}: commit message', m1, m2, name, mail)
            bad += 1
        if not d1 or d1 != d2:
            show(f'{name}: diff', d1, d2, name, mail)
            bad += 1
    if not bad:
        print(f'{len(mails)} mails: subjects, messages and diffs as in {series_dir}')
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
