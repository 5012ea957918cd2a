"""A copy of a DOCX for LibreOffice without the styles nothing uses (conversion only; the DOCX itself,
stored and issued, is never changed).

Our templates carry python-docx's default style sheet: 164 styles, 342 kB of ``styles.xml``, of which a
notice uses 10. LibreOffice builds every one of them when it loads the file: without the unused ones a
notice loads in ~60 instead of ~115 ms and its PDF is the same, pixel for pixel (bench/pdf.py, README).
Kept: every style a part refers to (paragraph, run, table and numbering style links), the default styles,
and the styles those are based on, linked to or followed by; the document defaults and latent styles stay.
"""

from __future__ import annotations

import functools
import io
import re
import zipfile

from lxml import etree

STYLES = "word/styles.xml"
_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_REFERENCE = re.compile(rb'<(?:\w+:)?(?:pStyle|rStyle|tblStyle|numStyleLink|styleLink)\b[^>]*?\bw:val="([^"]+)"')
_CHAINS = ("basedOn", "link", "next")


def _referenced(parts: dict[str, bytes]) -> set[str]:
    """Style ids the document's XML parts (body, headers, footers, numbering, notes) refer to."""
    found: set[bytes] = set()
    for name, data in parts.items():
        if name.startswith("word/") and name.endswith(".xml") and "styles" not in name.rsplit("/", 1)[-1].lower():
            found.update(_REFERENCE.findall(data))
    return {value.decode() for value in found}


def _kept(styles: list[etree._Element], referenced: set[str]) -> set[str]:
    """The referenced and default styles and everything they are based on, linked to or followed by."""
    by_id = {style.get(f"{{{_W}}}styleId"): style for style in styles}
    kept = referenced | {sid for sid, style in by_id.items() if style.get(f"{{{_W}}}default") in ("1", "true")}
    waiting = list(kept)
    while waiting:
        style = by_id.get(waiting.pop())
        for chain in () if style is None else _CHAINS:
            target = style.find(f"{{{_W}}}{chain}")
            value = None if target is None else target.get(f"{{{_W}}}val")
            if value and value not in kept:
                kept.add(value)
                waiting.append(value)
    return kept


@functools.lru_cache(maxsize=16)
def _lean_sheet(sheet_xml: bytes, referenced: frozenset[str]) -> bytes:
    """styles.xml without the unused styles; cached: every document of a template has the same sheet."""
    sheet = etree.fromstring(sheet_xml)
    styles = sheet.findall(f"{{{_W}}}style")
    kept = _kept(styles, set(referenced))
    for style in styles:
        if style.get(f"{{{_W}}}styleId") not in kept:
            sheet.remove(style)
    return etree.tostring(sheet, xml_declaration=True, encoding="UTF-8", standalone=True)


def without_unused_styles(docx: bytes) -> bytes:
    """The DOCX with the unused styles left out of styles.xml; the DOCX as it was when it is not one we
    can read (LibreOffice then says what is wrong with it)."""
    try:
        with zipfile.ZipFile(io.BytesIO(docx)) as source:
            items = source.infolist()
            parts = {item.filename: source.read(item) for item in items}
        parts[STYLES] = _lean_sheet(parts[STYLES], frozenset(_referenced(parts)))
    except (zipfile.BadZipFile, KeyError, etree.XMLSyntaxError):
        return docx
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as copy:  # a temporary file: no time spent deflating
        for item in items:
            copy.writestr(item.filename, parts[item.filename])
    return out.getvalue()
