#!/usr/bin/env python3
"""Read the subject and blurb of a cover letter written by git format-patch.

    cover.py read patches/0000-cover-letter.patch

prints the text git format-patch --cover-from-description=subject turns back
into the same cover letter: the subject (without its [PATCH n/m] prefix),
a blank line, then the blurb up to the shortlog.
"""
import re
import sys


def read(path):
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    # Headers end at the first empty line; folded ones continue with a blank.
    headers, i = [], 0
    while i < len(lines) and lines[i] != "":
        if lines[i][:1] in (" ", "\t") and headers:
            headers[-1] += " " + lines[i].strip()
        else:
            headers.append(lines[i])
        i += 1
    subject = next((h[len("Subject:"):].strip() for h in headers
                    if h.lower().startswith("subject:")), None)
    if subject is None:
        sys.exit(f"{path}: no Subject header")
    subject = re.sub(r"^\[[^]]*\]\s*", "", subject)
    body = []
    for line in lines[i + 1:]:
        # The shortlog: "Author Name (N):"
        if re.match(r"^\S.* \(\d+\):$", line):
            break
        body.append(line)
    while body and body[-1].strip() == "":
        body.pop()
    if "*** BLURB HERE ***" in "\n".join(body) or "SUBJECT HERE" in subject:
        sys.exit(f"{path}: the cover letter is still git's template")
    sys.stdout.write(subject + "\n\n" + "\n".join(body) + "\n")


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "read":
        sys.exit(__doc__)
    read(sys.argv[2])
