"""The WeasyPrint anchor: one Python process turning each HTML transcript into a PDF.

    python weasyprint-pdf.py OUT_DIR TRANSCRIPT.html...
"""
import os
import sys

from weasyprint import HTML

out, files = sys.argv[1], sys.argv[2:]
for file in files:
    name = os.path.splitext(os.path.basename(file))[0]
    HTML(filename=file).write_pdf(os.path.join(out, name + ".pdf"), pdf_variant="pdf/ua-1")
