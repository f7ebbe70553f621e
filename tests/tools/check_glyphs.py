"""Fails when a PDF draws a missing glyph anywhere on its pages.

A font that lacks a character draws its glyph 0, .notdef (an empty box, or nothing): on the
page the character is missing. This walks every text-showing operator of every page (and of
every form XObject a page uses), follows the font each one is set in, and reports each glyph 0
it draws, with its page and font. It also fails when a page uses a font that is not embedded.

    check_glyphs.py FILE.pdf
"""

import sys

import pikepdf


def codes(font, data):
    """The glyph codes of a shown string: two bytes each in a composite (Type0) font."""
    if font.get("/Subtype") == "/Type0":
        return [int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data) - 1, 2)]
    return list(data)


def is_embedded(font):
    if font.get("/Subtype") == "/Type3":
        return True
    descriptor = None
    if font.get("/Subtype") == "/Type0":
        descriptor = font["/DescendantFonts"][0].get("/FontDescriptor")
    else:
        descriptor = font.get("/FontDescriptor")
    if descriptor is None:
        return False
    return any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))


def walk(stream_owner, resources, page_number, problems, seen):
    fonts = resources.get("/Font", {}) if resources is not None else {}
    xobjects = resources.get("/XObject", {}) if resources is not None else {}
    font = None
    font_name = None
    for operands, operator in pikepdf.parse_content_stream(stream_owner):
        op = str(operator)
        if op == "Tf":
            font_name = str(operands[0])
            font = fonts.get(font_name)
            if font is None:
                problems.append(f"page {page_number}: font {font_name} is not in the resources")
            elif not is_embedded(font):
                problems.append(f"page {page_number}: font {font.get('/BaseFont')} is not embedded")
        elif op in ("Tj", "'", '"', "TJ"):
            strings = []
            if op == "TJ":
                strings = [item for item in operands[0] if isinstance(item, pikepdf.String)]
            else:
                strings = [operands[-1]]
            if font is None:
                continue
            subtype = font.get("/Subtype")
            if subtype == "/Type3":
                continue
            for string in strings:
                for code in codes(font, bytes(string)):
                    if code == 0:
                        problems.append(
                            f"page {page_number}: a missing glyph (.notdef) drawn in {font.get('/BaseFont')}"
                        )
        elif op == "Do":
            name = str(operands[0])
            xobject = xobjects.get(name)
            if xobject is not None and xobject.get("/Subtype") == "/Form" and xobject.objgen not in seen:
                seen.add(xobject.objgen)
                walk(xobject, xobject.get("/Resources", resources), page_number, problems, seen)


def main():
    pdf = pikepdf.open(sys.argv[1])
    problems = []
    for number, page in enumerate(pdf.pages, start=1):
        walk(page, page.obj.get("/Resources"), number, problems, set())
    if problems:
        print("\n".join(sorted(set(problems))))
        sys.exit(1)


if __name__ == "__main__":
    main()
