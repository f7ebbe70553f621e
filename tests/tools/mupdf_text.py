"""Prints the text of a PDF as MuPDF extracts it (PyMuPDF's page.get_text), page after page:
a second extractor beside poppler's pdftotext, for what a reader copies out of a transcript.

    python3 mupdf_text.py TRANSCRIPT.pdf
"""
import sys

import pymupdf

with pymupdf.open(sys.argv[1]) as document:
    for page in document:
        sys.stdout.write(page.get_text())
