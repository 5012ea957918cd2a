"""The adjust half of render → measure → adjust (GB/T 9704-2012 §7.3.5): DOCX-to-DOCX changes.

``keep_closing_together`` runs on every issued DOCX before its first PDF: the last body paragraph
and the 附件说明 keep with the 署名 (so the last body lines move with it instead of leaving it alone
on a page), the 签收 stub of a notice keeps its heading with its lines, and a form's signature row
keeps with the row above it.  ``tighten_line_pitch`` is the one further step when the verifier still
finds the 署名 alone: the standard's remedy of a tighter line pitch (23 lines instead of 22 a page).
"""

from __future__ import annotations

import io
import zipfile

from docx.oxml.ns import qn
from lxml import etree

from webapp.documents.ooxml import CHAR_WIDTH, LINE_PITCH
from webapp.documents.verify_layout import CN_DATE, _text, body_paragraphs, is_attachment, signature_index, squeeze

DOCUMENT_XML, STYLES_XML = "word/document.xml", "word/styles.xml"
TEXT_HEIGHT_TWIPS = 12756  # 225 mm
TIGHT_PITCH = TEXT_HEIGHT_TWIPS // (TEXT_HEIGHT_TWIPS // LINE_PITCH + 1)  # 23 lines: 554 twips
_PPR_BEFORE_KEEP_NEXT = {qn("w:pStyle")}
DATE_RIGHT_CHARS = 4  # 成文日期 four characters from the right (sealed documents)


def _parts(content: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {item.filename: archive.read(item.filename) for item in archive.infolist()}


def _zip(parts: dict[str, bytes], original: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(original)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item, parts[item.filename])
    return out.getvalue()


def _keep_next(p: etree._Element) -> None:
    ppr = p.find(qn("w:pPr"))
    if ppr is None:
        ppr = etree.SubElement(p, qn("w:pPr"))
        p.insert(0, ppr)
    if ppr.find(qn("w:keepNext")) is not None:
        return
    position = sum(1 for child in ppr if child.tag in _PPR_BEFORE_KEEP_NEXT)
    ppr.insert(position, etree.Element(qn("w:keepNext")))


def _keep_last_body_with_signature(body: etree._Element) -> None:
    paragraphs = body_paragraphs(body)
    index = signature_index(paragraphs)
    if index is None:
        return
    _keep_next(paragraphs[index])  # the 署名 with its date
    for p in reversed(paragraphs[:index]):
        _keep_next(p)
        if squeeze(_text(p)) and not is_attachment(p):
            break  # the last body paragraph: its last lines go with the 署名


def _keep_sign_stubs(body: etree._Element) -> None:
    for p in body.iter(qn("w:p")):
        if "签收（存档联）" in _text(p):
            _keep_next(p)
            # the stub travels with the 成文日期 above it: it never stands alone on a last page
            previous = p.getprevious()
            while previous is not None and previous.tag == qn("w:p") and not CN_DATE.match(squeeze(_text(previous))):
                _keep_next(previous)
                previous = previous.getprevious()
            if previous is not None and previous.tag == qn("w:p"):
                _keep_next(previous)
    for row in body.iter(qn("w:tr")):
        if "（签字）" in _text(row) or "（签名）" in _text(row):
            previous = row.getprevious()
            if previous is not None and previous.tag == qn("w:tr"):
                for p in previous.iter(qn("w:p")):
                    _keep_next(p)


def _rewrite(content: bytes, part: str, change) -> bytes:
    parts = _parts(content)
    root = etree.fromstring(parts[part])
    change(root)
    parts[part] = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    return _zip(parts, content)


def keep_closing_together(content: bytes) -> bytes:
    """keep-with-next from the last body paragraph to the 署名, on the 签收 stub and signature rows."""
    def change(root: etree._Element) -> None:
        body = root.find(qn("w:body"))
        _keep_last_body_with_signature(body)
        _keep_sign_stubs(body)
    return _rewrite(content, DOCUMENT_XML, change)


def tighten_line_pitch(content: bytes, pitch: int = TIGHT_PITCH) -> bytes:
    """Every exact 22-lines-a-page pitch becomes ``pitch`` (document defaults and paragraphs)."""
    def change(root: etree._Element) -> None:
        for spacing in root.iter(qn("w:spacing")):
            if spacing.get(qn("w:line")) == str(LINE_PITCH) and spacing.get(qn("w:lineRule")) == "exact":
                spacing.set(qn("w:line"), str(pitch))
    return _rewrite(_rewrite(content, STYLES_XML, change), DOCUMENT_XML, change)


# --- the 版记 box sized from its text ------------------------------------------------------------------
BANJI_BOX = "版记"
BANJI_CHARS_PER_LINE = 28  # 4号 characters between the one-character indents (146 mm), rounded down
BANJI_LINE_MM = 500 / 56.7  # BANJI_LINE pitch: 500 twips
RULE_MM = 1.2  # a 1 pt rule paragraph with its border
EMU_PER_MM = 36000
_WP = "{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}"
_A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"


def banji_height_mm(box: etree._Element) -> float:
    """Height the 版记 text needs, counting every character as a full-width one (never too small)."""
    lines, rules = 0, 0
    for p in box.iter(qn("w:p")):
        text = _text(p)
        if p.find(f"{qn('w:pPr')}/{qn('w:pBdr')}") is not None and not text.strip():
            rules += 1
        elif text.strip():
            for part in text.split("\n"):
                width = len(part.replace("\t", "　　"))
                lines += max(1, -(-width // BANJI_CHARS_PER_LINE))
    return lines * BANJI_LINE_MM + rules * RULE_MM + 1


def _fit_banji(root: etree._Element) -> bool:
    changed = False
    for anchor in root.iter(f"{_WP}anchor"):
        doc_pr = anchor.find(f"{_WP}docPr")
        if doc_pr is None or doc_pr.get("name") != BANJI_BOX:
            continue
        height = str(round(banji_height_mm(anchor) * EMU_PER_MM))
        anchor.find(f"{_WP}extent").set("cy", height)
        for ext in anchor.iter(f"{_A}ext"):
            ext.set("cy", height)
        changed = True
    return changed


def _width_in_chars(text: str) -> float:
    """Width in 3号 characters: ASCII digits and letters are half as wide as a Chinese character, and
    readers add about a fifth of a character where Chinese meets Latin text (autospace)."""
    squeezed = squeeze(text)
    half = [ord(char) < 0x2E80 for char in squeezed]
    switches = sum(1 for a, b in zip(half, half[1:], strict=False) if a != b)
    return sum(0.5 if h else 1.0 for h in half) + 0.2 * switches


def _place_signature(root: etree._Element) -> bool:
    """GB/T 9704-2012 §7.3.5.1: the 成文日期 four characters from the right, the 署名 centred over
    it (by the date's and the name's widths), never beyond the right edge of the 版心."""
    paragraphs = body_paragraphs(root.find(qn("w:body")))
    index = signature_index(paragraphs)
    if index is None:
        return False
    signature, date = paragraphs[index], paragraphs[index + 1]
    shift = (_width_in_chars(_text(date)) - _width_in_chars(_text(signature))) / 2
    indent = max(0, round((DATE_RIGHT_CHARS + shift) * CHAR_WIDTH))
    for p, right in ((signature, indent), (date, DATE_RIGHT_CHARS * CHAR_WIDTH)):
        ind = p.find(f"{qn('w:pPr')}/{qn('w:ind')}")
        if ind is not None:
            ind.set(qn("w:right"), str(right))
    return True


def finish(content: bytes) -> bytes:
    """After every render: the closing kept together (``keep_closing_together``), the 署名 placed
    over the date and the 版记 box sized from its text — one parse of the body."""
    parts = _parts(content)
    root = etree.fromstring(parts[DOCUMENT_XML])
    changed = _place_signature(root)
    if changed:
        _keep_last_body_with_signature(root.find(qn("w:body")))
    if "签收（存档联）".encode() in parts[DOCUMENT_XML] or "（签".encode() in parts[DOCUMENT_XML]:
        _keep_sign_stubs(root.find(qn("w:body")))
        changed = True
    if BANJI_BOX.encode() in parts[DOCUMENT_XML]:
        changed = _fit_banji(root) or changed
    if not changed:
        return content
    parts[DOCUMENT_XML] = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    return _zip(parts, content)
