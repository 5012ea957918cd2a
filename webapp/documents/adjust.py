"""The adjust half of render → measure → adjust (GB/T 9704-2012 §7.3.5): DOCX-to-DOCX changes.

``keep_closing_together`` runs on every issued DOCX before its first PDF: the last body paragraph
and the 附件说明 keep with the 署名 (so the last body lines move with it instead of leaving it alone
on a page), the 签收 stub of a notice keeps its heading with its lines, and a form's signature row
keeps with the row above it.  ``tighten_line_pitch`` is the one further step when the verifier still
finds the 署名 alone: the standard's remedy of a tighter line pitch (23 lines instead of 22 a page).
"""

from __future__ import annotations

import copy
import io
import zipfile

from docx.oxml.ns import qn
from lxml import etree

from webapp.documents.layout import PAGE_NUMBER_RUN
from webapp.documents.ooxml import CHAR_WIDTH, LINE_PITCH, ParaStyle, page_field_runs, paragraph, text_run
from webapp.documents.verify_layout import (
    CN_DATE,
    Page,
    _text,
    body_paragraphs,
    is_attachment,
    signature_index,
    squeeze,
)

DOCUMENT_XML, STYLES_XML = "word/document.xml", "word/styles.xml"
TEXT_HEIGHT_TWIPS = 12756  # 225 mm
TIGHT_PITCH = TEXT_HEIGHT_TWIPS // (TEXT_HEIGHT_TWIPS // LINE_PITCH + 1)  # 23 lines: 554 twips
_PPR_BEFORE_KEEP_NEXT = {qn("w:pStyle")}
DATE_RIGHT_CHARS = 4  # 成文日期 four characters from the right (sealed documents)
KEEP_WHOLE_CHARS = 8 * 28  # a last body paragraph of up to eight lines moves with the 署名 whole


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


def _keep_last_body_with_signature(body: etree._Element, whole: bool) -> None:
    paragraphs = body_paragraphs(body)
    index = signature_index(paragraphs)
    if index is None:
        return
    _keep_next(paragraphs[index])  # the 署名 with its date
    for p in reversed(paragraphs[:index]):
        text = squeeze(_text(p))
        if text and not is_attachment(p):
            # LibreOffice moves a kept paragraph whole, never just its last lines: the body's only paragraph
            # kept with the 署名 would leave page 1 with the header alone, a long one a half-empty page
            # (the layout loop then splits off its last lines instead).
            if whole or len(text) <= KEEP_WHOLE_CHARS and not _opens_body(p):
                _keep_next(p)
            break
        _keep_next(p)


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


def _opens_body(p: etree._Element) -> bool:
    """The paragraph follows the 主送 (or the title) directly: it is the body's first."""
    previous = p.getprevious()
    while previous is not None and previous.tag == qn("w:p") and not squeeze(_text(previous)):
        previous = previous.getprevious()
    return previous is None or previous.tag != qn("w:p") or squeeze(_text(previous)).endswith(("：", ":"))


def _last_body_paragraph(body: etree._Element) -> etree._Element | None:
    paragraphs = body_paragraphs(body)
    index = signature_index(paragraphs)
    for p in reversed(paragraphs[:index] if index is not None else []):
        if squeeze(_text(p)) and not is_attachment(p):
            return p
    return None


def keep_last_lines(content: bytes, pages: list[Page], lines: int = 2) -> bytes:
    """What Word's keep-with-next does and LibreOffice's does not: split the last body paragraph where the
    PDF broke its lines, so that its last ``lines`` lines become a paragraph of their own (no first-line
    indent) kept with the 署名, and the rest stays on its page. Unchanged when the lines are not found
    or the split would fall inside a name kept whole."""
    def change(root: etree._Element) -> None:
        p = _last_body_paragraph(root.find(qn("w:body")))
        if p is None:
            return
        text = squeeze(_text(p))
        tail = _tail_lines(pages, text, lines)
        if not tail or len(tail) >= len(text):
            return
        head, rest = copy.deepcopy(p), copy.deepcopy(p)
        split = len(text) - len(tail)
        if _cut(head, keep=slice(0, split)) and _cut(rest, keep=slice(split, None)):
            _no_first_line_indent(rest)
            _keep_next(rest)
            p.addnext(rest)
            p.getparent().replace(p, head)
    return _rewrite(content, DOCUMENT_XML, change)


def _tail_lines(pages: list[Page], text: str, count: int) -> str:
    """The squeezed text of the last ``count`` PDF lines that end ``text`` (one page), or ""."""
    for page in pages:
        for index, line in enumerate(page.lines):
            if index + 1 >= count and text.endswith(line.text):
                tail = "".join(previous.text for previous in page.lines[index + 1 - count:index + 1])
                if text.endswith(tail) and len(tail) > count * 4:  # whole lines, not a stray short match
                    return tail
    return ""


def _cut(p: etree._Element, keep: slice) -> bool:
    """Keep only the squeezed characters ``keep`` of the paragraph's text (on a copy: False, and the copy
    is spoilt, when the cut falls inside a ruby, a name kept whole)."""
    position, stop = 0, keep.stop if keep.stop is not None else float("inf")
    for t in list(p.iter(qn("w:t"))):
        chars, kept = list(t.text or ""), []
        for char in chars:
            if keep.start <= position < stop:
                kept.append(char)
            position += not char.isspace()
        if 0 < len(kept) < len(chars) and any(a.tag == qn("w:ruby") for a in t.iterancestors()):
            return False
        t.text = "".join(kept)
    for run in list(p.iterchildren(qn("w:r"))):
        if run.find(f".//{qn('w:t')}") is not None and not squeeze(_text(run)):
            p.remove(run)
    return True


def _no_first_line_indent(p: etree._Element) -> None:
    ind = p.find(f"{qn('w:pPr')}/{qn('w:ind')}")
    if ind is not None:
        for attr in ("firstLine", "firstLineChars"):
            if ind.get(qn(f"w:{attr}")) is not None:
                ind.set(qn(f"w:{attr}"), "0")


def keep_closing_together(content: bytes, *, whole: bool = False) -> bytes:
    """keep-with-next from the 附件说明 to the 署名 and from the last body paragraph when it is short (all
    of it when ``whole``: the last resort when the 署名 still stands alone), on the 签收 stub and
    signature rows."""
    def change(root: etree._Element) -> None:
        body = root.find(qn("w:body"))
        _keep_last_body_with_signature(body, whole)
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
    adjusted = finish_document_xml(parts[DOCUMENT_XML])
    if adjusted is None:
        return content
    parts[DOCUMENT_XML] = adjusted
    return _zip(parts, content)


def finish_document_xml(xml: bytes) -> bytes | None:
    """`finish` on document.xml alone (None: nothing to change), for a renderer that has the part before it
    zips the package — unzipping and deflating every part again cost more than the render itself."""
    root = etree.fromstring(xml)
    changed = _place_signature(root)
    if changed:
        _keep_last_body_with_signature(root.find(qn("w:body")), whole=False)
    if "签收（存档联）".encode() in xml or "（签".encode() in xml:
        _keep_sign_stubs(root.find(qn("w:body")))
        changed = True
    if BANJI_BOX.encode() in xml:
        changed = _fit_banji(root) or changed
    if not changed:
        return None
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


# --- the 版记 at the foot of an even page (GB/T 9704-2012 §7.4, §7.5) ------------------------------------
BLANK_FOOTER = "word/footer-banji.xml"
_RELS_XML, _TYPES_XML = "word/_rels/document.xml.rels", "[Content_Types].xml"
_BLANK_FOOTER_ID = "rIdBanjiFooter"
_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_FOOTER_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.footer+xml"
_PPR_AFTER_SECT = {qn("w:pPrChange")}


def _banji_anchor(body: etree._Element) -> etree._Element | None:
    """The top-level paragraph anchoring the 版记 box."""
    for p in body_paragraphs(body):
        for doc_pr in p.iter(f"{_WP}docPr"):
            if doc_pr.get("name") == BANJI_BOX:
                return p
    return None


def _tiny_paragraph(*, page_break_before: bool = False) -> etree._Element:
    p = etree.Element(qn("w:p"))
    ppr = etree.SubElement(p, qn("w:pPr"))
    if page_break_before:
        etree.SubElement(ppr, qn("w:pageBreakBefore"))
    etree.SubElement(ppr, qn("w:spacing"), {qn("w:before"): "0", qn("w:after"): "0", qn("w:line"): "20",
                                            qn("w:lineRule"): "exact"})
    return p


def _end_section_at(previous: etree._Element | None, anchor: etree._Element, sect_pr: etree._Element) -> None:
    """``sect_pr`` (a copy of the body's section) closes the section at the paragraph before the 版记."""
    if previous is None or previous.tag != qn("w:p") or previous.find(f"{qn('w:pPr')}/{qn('w:sectPr')}") is not None:
        previous = _tiny_paragraph()
        anchor.addprevious(previous)
    ppr = previous.find(qn("w:pPr"))
    if ppr is None:
        ppr = etree.Element(qn("w:pPr"))
        previous.insert(0, ppr)
    after = next((child for child in ppr if child.tag in _PPR_AFTER_SECT), None)
    if after is None:
        ppr.append(sect_pr)
    else:
        after.addprevious(sect_pr)


def _banji_section(root: etree._Element, blank_pages: int) -> bool:
    body = root.find(qn("w:body"))
    anchor, sect_pr = _banji_anchor(body), body.find(qn("w:sectPr"))
    if anchor is None or sect_pr is None:
        return False
    _end_section_at(anchor.getprevious(), anchor, etree.fromstring(etree.tostring(sect_pr)))
    # the 版记 section: a new page, every footer blank (no page number on the 版记 page or the page before)
    for reference in sect_pr.findall(qn("w:footerReference")) + sect_pr.findall(qn("w:type")):
        sect_pr.remove(reference)
    for position, kind in enumerate(("default", "even", "first")):
        reference = etree.Element(qn("w:footerReference"), {qn("w:type"): kind, f"{{{_R}}}id": _BLANK_FOOTER_ID})
        sect_pr.insert(position, reference)
    if blank_pages:
        anchor.addprevious(_tiny_paragraph())  # the blank page's only (1 pt) paragraph
        ppr = anchor.find(qn("w:pPr"))
        ppr.insert(sum(1 for child in ppr if child.tag in (qn("w:pStyle"), qn("w:keepNext"), qn("w:keepLines"))),
                   etree.Element(qn("w:pageBreakBefore")))
    return True


_RPR_AFTER_VANISH = {qn(f"w:{name}") for name in ("webHidden", "color", "spacing", "w", "kern", "position", "sz",
                                                 "szCs", "highlight", "u", "effect", "vertAlign", "lang")}


def blank_footer_xml() -> bytes:
    """A footer that prints nothing: its PAGE field is hidden text (w:vanish), so the page shows no
    number while the footer still holds the field every section's footer is checked for."""
    p = paragraph(ParaStyle(line=None, run=PAGE_NUMBER_RUN))
    runs = [text_run("— ", PAGE_NUMBER_RUN), *page_field_runs(PAGE_NUMBER_RUN), text_run(" —", PAGE_NUMBER_RUN)]
    for run in runs:
        rpr = run.find(qn("w:rPr"))
        after = next((child for child in rpr if child.tag in _RPR_AFTER_VANISH), None)
        if after is None:
            rpr.append(etree.Element(qn("w:vanish")))
        else:
            after.addprevious(etree.Element(qn("w:vanish")))
        p.append(run)
    footer = etree.Element(qn("w:ftr"), nsmap={"w": _W})
    footer.append(p)
    return etree.tostring(footer, xml_declaration=True, encoding="UTF-8", standalone=True)


def _add_blank_footer(parts: dict[str, bytes]) -> None:
    parts[BLANK_FOOTER] = blank_footer_xml()
    relation = (f'<Relationship Id="{_BLANK_FOOTER_ID}" Type="{_R}/footer" '
                f'Target="{BLANK_FOOTER.removeprefix("word/")}"/></Relationships>')
    parts[_RELS_XML] = parts[_RELS_XML].replace(b"</Relationships>", relation.encode())
    override = f'<Override PartName="/{BLANK_FOOTER}" ContentType="{_FOOTER_TYPE}"/></Types>'
    parts[_TYPES_XML] = parts[_TYPES_XML].replace(b"</Types>", override.encode())


def banji_to_even_page(content: bytes, blank_pages: int = 0) -> bytes:
    """The 版记 moved from the flow to the foot of the next page (``blank_pages`` = 1: of the page after
    next, with a blank page between), in a section of its own whose pages carry no page number.
    The loop measures where the body ends and asks for the pages that make the 版记 page even."""
    parts = _parts(content)
    if BLANK_FOOTER in parts:
        return content  # moved already
    root = etree.fromstring(parts[DOCUMENT_XML])
    if not _banji_section(root, blank_pages):
        return content
    parts[DOCUMENT_XML] = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    _add_blank_footer(parts)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        with zipfile.ZipFile(io.BytesIO(content)) as source:
            for item in source.infolist():
                target.writestr(item, parts.pop(item.filename))
        for name, data in parts.items():
            target.writestr(name, data)
    return out.getvalue()
