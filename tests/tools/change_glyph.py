#!/usr/bin/env python3
"""Changes one glyph of a PDF's printed page, the way a forger would with a text editor: the
PDF opened with `qpdf --qdf` (content streams uncompressed), one hex digit of the first
hex string shown with `TJ` changed, and `fix-qdf` run to make the file whole again.

Usage: change_glyph.py IN.pdf OUT.pdf
"""
import re
import subprocess
import sys


def main():
    source, target = sys.argv[1:3]
    qdf = subprocess.run(["qpdf", "--qdf", source, "-"], check=True, capture_output=True).stdout
    found = re.search(rb"\[<([0-9A-Fa-f]{4,})>", qdf)
    if not found:
        sys.exit("no hex string shown with TJ")
    at = found.start(1) + 1
    digit = qdf[at:at + 1]
    qdf = qdf[:at] + (b"1" if digit != b"1" else b"2") + qdf[at + 1:]
    fixed = subprocess.run(["fix-qdf"], input=qdf, check=True, capture_output=True).stdout
    with open(target, "wb") as out:
        out.write(fixed)


if __name__ == "__main__":
    main()
