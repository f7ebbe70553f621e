#!/usr/bin/env python3
"""Changes one byte of a file attached to a PDF, the way a forger would: the attachment is
rewritten (recompressed) so the PDF stays well formed.

Usage: tamper_pdf.py IN.pdf OUT.pdf NAME NEEDLE

The first byte of the first occurrence of NEEDLE (a text) in the attached file NAME is changed
to the next letter; everything else stays as it was.
"""
import sys

import pikepdf


def main():
    source, target, name, needle = sys.argv[1:5]
    pdf = pikepdf.open(source)
    spec = pdf.attachments[name]
    data = bytearray(spec.get_file().read_bytes())
    at = data.find(needle.encode())
    if at < 0:
        sys.exit(f"{needle!r} is not in {name}")
    data[at] = data[at] + 1
    stream = spec.obj.EF.F
    stream.write(bytes(data))
    pdf.save(target)


if __name__ == "__main__":
    main()
