#!/usr/bin/env python3
"""Print the URI of the Debian archive that serves SUITE, read from this
machine's apt sources (one-line and deb822 formats), without changing them.

A source that lists SUITE wins; otherwise, for a *-security suite, a source
of another *-security suite; otherwise a source of a release suite (the
main archive, which also serves -updates and -backports suites)."""
import glob
import sys


def sources():
    ents = []
    files = ['/etc/apt/sources.list'] + sorted(glob.glob('/etc/apt/sources.list.d/*.list'))
    for f in files:
        try:
            lines = open(f, encoding='utf-8').read().splitlines()
        except OSError:
            continue
        for line in lines:
            words = line.split('#')[0].split()
            if len(words) < 3 or words[0] != 'deb':
                continue
            words = words[1:]
            if words[0].startswith('['):
                while words and not words[0].endswith(']'):
                    words.pop(0)
                words.pop(0)
            if len(words) >= 2:
                ents.append((words[0], [words[1]]))
    for f in sorted(glob.glob('/etc/apt/sources.list.d/*.sources')):
        try:
            text = open(f, encoding='utf-8').read()
        except OSError:
            continue
        for para in text.split('\n\n'):
            d = {}
            for line in para.splitlines():
                if line.startswith('#') or ':' not in line or line[0].isspace():
                    continue
                k, v = line.split(':', 1)
                d[k.strip().lower()] = v.split()
            if 'deb' in d.get('types', []) and d.get('enabled', ['yes'])[0].lower() != 'no':
                for uri in d.get('uris', []):
                    ents.append((uri, d.get('suites', [])))
    return [(u.rstrip('/'), s) for u, s in ents if u.startswith(('http:', 'https:', 'file:'))]


def pick(suite, ents):
    for u, s in ents:
        if suite in s:
            return u
    if suite.endswith('-security'):
        for u, s in ents:
            if any(x.endswith('-security') for x in s):
                return u
        return None
    for u, s in ents:
        if any('-' not in x and '/' not in x for x in s):
            return u
    return None


def main():
    if len(sys.argv) != 2:
        sys.exit('usage: archive_uri.py SUITE')
    uri = pick(sys.argv[1], sources())
    if not uri:
        sys.exit(f'no apt source of this machine serves {sys.argv[1]} or its archive')
    print(uri)


if __name__ == '__main__':
    main()
