#!/usr/bin/env python3
"""Checks what PDF/A-3b and PDF/UA-1 ask of a mastery transcript that a PDF library can see.

Usage: check_pdf.py FILE.pdf [--expect-lang LANG] [--school-profile]

With --school-profile, the document is a school profile, which has no links to require.

The pdfua checker covers the machine-checkable part of PDF/UA-1; this covers the rest a reader
relies on: the claims in the XMP metadata, document metadata, the tagged structure (headings,
table headers, figure alt text), embedded fonts and the attached transcript data. Prints one
line per problem and exits 1 if there is any.
"""
import sys

import pikepdf


def main():
    path = sys.argv[1]
    lang = sys.argv[sys.argv.index("--expect-lang") + 1] if "--expect-lang" in sys.argv else "en"
    problems = []
    pdf = pikepdf.open(path)
    root = pdf.Root

    with pdf.open_metadata() as xmp:
        expect = {"pdfaid:part": "3", "pdfaid:conformance": "B", "pdfuaid:part": "1"}
        for key, value in expect.items():
            if str(xmp.get(key)) != value:
                problems.append(f"XMP {key} is {xmp.get(key)!r}, expected {value!r}")
        if not xmp.get("dc:title"):
            problems.append("XMP has no dc:title")

    info = pdf.docinfo
    for key in ("/Title", "/Author", "/Subject", "/CreationDate"):
        if key not in info or not str(info[key]).strip():
            problems.append(f"document info has no {key}")
    if str(root.get("/Lang", "")) != lang:
        problems.append(f"document language is {root.get('/Lang')!r}, expected {lang!r}")
    if not bool(root.get("/MarkInfo", {}).get("/Marked", False)):
        problems.append("the document is not marked as tagged (/MarkInfo /Marked)")
    if not bool(root.get("/ViewerPreferences", {}).get("/DisplayDocTitle", False)):
        problems.append("viewers are not told to show the title (/DisplayDocTitle)")
    if "/StructTreeRoot" not in root:
        problems.append("no structure tree")
    else:
        roles, figures_without_alt = set(), 0
        stack = [root.StructTreeRoot]
        seen = set()
        while stack:
            node = stack.pop()
            if not isinstance(node, pikepdf.Dictionary) or node.objgen in seen and node.objgen != (0, 0):
                continue
            seen.add(node.objgen)
            role = node.get("/S")
            if role is not None:
                roles.add(str(role))
                if str(role) == "/Figure" and "/Alt" not in node:
                    figures_without_alt += 1
            kids = node.get("/K")
            if isinstance(kids, pikepdf.Array):
                stack.extend(kids)
            elif isinstance(kids, pikepdf.Dictionary):
                stack.append(kids)
        required = ["/H1", "/H2", "/Table", "/TH", "/TD", "/Figure"]
        if "--school-profile" not in sys.argv:
            required.append("/Link")
        for role in required:
            if role not in roles:
                problems.append(f"the structure tree has no {role}")
        if figures_without_alt:
            problems.append(f"{figures_without_alt} figure(s) without alt text")

    for page_number, page in enumerate(pdf.pages, 1):
        for name, font in (page.Resources.get("/Font") or {}).items():
            fonts = [font] + list(font.get("/DescendantFonts", []))
            descriptors = [f.get("/FontDescriptor") for f in fonts if "/FontDescriptor" in f]
            if not any(any(k in d for k in ("/FontFile", "/FontFile2", "/FontFile3")) for d in descriptors):
                problems.append(f"page {page_number}: font {name} is not embedded")

    attachments = pdf.attachments
    if "transcript.json" not in attachments:
        problems.append("the transcript data (transcript.json) is not attached")
    else:
        spec = attachments["transcript.json"].obj
        if str(spec.get("/AFRelationship")) != "/Data":
            problems.append("transcript.json is not attached with /AFRelationship /Data")
        if "/AF" not in root:
            problems.append("the catalog lists no associated files (/AF)")

    for problem in problems:
        print(f"{path}: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
