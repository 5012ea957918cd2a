"""Layout verifier: reads the PDF LibreOffice made from a DOCX and checks what a director checks
on paper (GB/T 9704-2012), with the DOCX telling what each block should say.

Rules (each failure names its rule and says in Chinese what is wrong):
- ``signature``: the page holding the 署名 and 成文日期 also holds body text (§7.3.5: tighten
  spacing instead of leaving them alone); the 附件说明 does not count as body text.
- ``sign_rows``: a form's signature row (…（签字）) is not alone on a page and not split; the
  签收 stub of a notice keeps its heading and its 签收人 line on one page.
- ``banji``: every 版记 line (抄送, 印发机关 and 印发日期) is complete on the last page.
- ``banji_page``: the 版记 sits at the foot of the last page, an even page (§7.4: 封四); a page that
  holds only the 版记, and a blank page before it, carry no page number (§7.5). Not for the 信函格式,
  whose 版记 only has to be on the last page.
- ``text``: every character of the DOCX body is in the PDF (the rule of the shared
  pdf_text_integrity tool: whitespace and "— n —" page numbers aside, a multiset comparison).
- ``rules``: red rules and 版记 rules as wide as the 156 mm text block (170 mm double rules of the
  信函格式).
- ``unbroken``: no line break splits a 文号 or a name the document carries (given by the caller: what
  the template's ``nobreak`` tags print, ``DocumentRenderer.unbroken``), e.g. ``第 / 0049号``, ``彭 / 秀兰``.
- ``mark``: the red 发文机关标志 (or 纪要 mark) top edge 35 mm below the text block top, i.e. 72 mm
  from the page top; 30 mm from the page top in the 信函格式.
"""

from __future__ import annotations

import collections
import io
import re
from dataclasses import asdict, dataclass, field
from typing import Any

import docx
import pdfplumber
from docx.oxml.ns import qn
from lxml import etree

from webapp.documents.ooxml import CHAR_WIDTH

PT_PER_MM = 72 / 25.4
TEXT_TOP_MM, TEXT_LEFT_MM, TEXT_WIDTH_MM = 37.0, 28.0, 156.0
LETTER_RULE_MM = 170.0
MARK_FROM_TOP_MM = {"standard": TEXT_TOP_MM + 35, "minutes": TEXT_TOP_MM + 35, "letter": 30.0}
TOLERANCE_MM = 1.5  # the standard's ±1 mm plus the font box LibreOffice reports around a glyph
WIDE_RULE_MM = 100.0  # shorter horizontal lines are table borders or underlines, not rules
PAGE_NUMBER = re.compile(r"—\s*\d+\s*—")
CN_DATE = re.compile(r"^\d{4}年\d{1,2}月\d{1,2}日$")
SPACE = re.compile(r"\s")
ATTACHMENT_INDENT = 5 * CHAR_WIDTH

RULE_LABELS = {
    "signature": "署名页无正文", "sign_rows": "签字栏", "banji": "版记", "text": "文字完整",
    "rules": "分隔线宽度", "mark": "发文机关标志位置", "banji_page": "版记在偶数页末",
    "unbroken": "文号与姓名不拆行",
}
EVEN_PAGE_LAYOUTS = ("standard", "minutes")
TEXT_BOTTOM_MM = TEXT_TOP_MM + 225
FOOT_TOLERANCE_MM = 4.0  # the 版记 box's last rule sits 1-2 mm above the text block's bottom edge


def squeeze(text: str) -> str:
    return SPACE.sub("", text)


@dataclass(frozen=True)
class Failure:
    rule: str
    message: str


@dataclass
class LayoutReport:
    """The verifier's result as stored with the document (``to_json``/``from_json``)."""

    status: str  # passed | failed | not_run
    failures: list[Failure] = field(default_factory=list)
    note: str = ""  # why the check did not run, or what the adjuster did
    conversions: int = 0
    # measured, not stored: the page (1-based) where the body above a 版记 ends, for the adjuster
    body_end_page: int | None = field(default=None, compare=False, repr=False)

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    def failed(self, rule: str) -> bool:
        return any(f.rule == rule for f in self.failures)

    @property
    def label(self) -> str:
        if self.status == "passed":
            return "通过" + (f"（{self.note}）" if self.note else "")
        if self.status == "not_run":
            return f"未检查（{self.note}）" if self.note else "未检查"
        return "未通过：" + "；".join(f.message for f in self.failures)

    def to_json(self) -> dict[str, Any]:
        return {"status": self.status, "label": self.label, "failures": [asdict(f) for f in self.failures],
                "note": self.note, "conversions": self.conversions}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> LayoutReport | None:
        if not data:
            return None
        return cls(data["status"], [Failure(**f) for f in data.get("failures", [])], data.get("note", ""),
                   data.get("conversions", 0))


def not_run(reason: str) -> LayoutReport:
    return LayoutReport("not_run", note=reason)


# --- what the DOCX says ----------------------------------------------------------------------------------

@dataclass
class DocxFacts:
    signature: str | None = None
    date: str | None = None
    attachments: str = ""  # the 附件说明 paragraphs just above the 署名, squeezed
    banji: list[str] = field(default_factory=list)
    sign_groups: list[list[str]] = field(default_factory=list)  # texts that stay on one page
    chars: collections.Counter = field(default_factory=collections.Counter)


def _text(p: etree._Element) -> str:
    return "".join(t.text or "" for t in p.iter(qn("w:t")))


def _ppr_value(p: etree._Element, path: str, attr: str) -> str | None:
    ppr = p.find(qn("w:pPr"))
    found = ppr.find(path) if ppr is not None else None
    return found.get(qn(f"w:{attr}")) if found is not None else None


def _right_aligned(p: etree._Element) -> bool:
    return _ppr_value(p, qn("w:jc"), "val") == "right"


def body_paragraphs(body: etree._Element) -> list[etree._Element]:
    """Top-level paragraphs (not in tables or text boxes) in document order."""
    return [p for p in body if p.tag == qn("w:p")]


def signature_index(paragraphs: list[etree._Element]) -> int | None:
    """Index of the 署名 paragraph: right-aligned, followed by the right-aligned 成文日期."""
    for index in range(len(paragraphs) - 1, 0, -1):
        date = paragraphs[index]
        if _right_aligned(date) and CN_DATE.match(squeeze(_text(date))):
            before = paragraphs[index - 1]
            if _right_aligned(before) and squeeze(_text(before)):
                return index - 1
    return None


def is_attachment(p: etree._Element) -> bool:
    """附件说明 lines hang at five (unnumbered) or seven (numbered) characters; body text at none."""
    left = _ppr_value(p, qn("w:ind"), "left")
    return left is not None and left.isdigit() and int(left) >= ATTACHMENT_INDENT


def read_docx(content: bytes) -> DocxFacts:
    body = docx.Document(io.BytesIO(content)).element.body
    facts = DocxFacts(chars=collections.Counter(squeeze("".join(t.text or "" for t in body.iter(qn("w:t"))))))
    top = body_paragraphs(body)
    index = signature_index(top)
    if index is not None:
        facts.signature, facts.date = squeeze(_text(top[index])), squeeze(_text(top[index + 1]))
        before = []
        for p in reversed(top[:index]):
            if not squeeze(_text(p)):
                continue
            if not is_attachment(p):
                break
            before.insert(0, squeeze(_text(p)))
        facts.attachments = "".join(before)
    every = list(body.iter(qn("w:p")))
    for p in every:
        if p.find(".//" + qn("w:p")) is not None:
            continue  # the paragraph anchoring a text box
        text = squeeze(_text(p))
        if text.startswith("抄送：") or (text.endswith("印发") and len(text) > 2):
            facts.banji.append(text)
    for number, p in enumerate(every):
        if "签收（存档联）" in _text(p):
            following = next((squeeze(_text(q)) for q in every[number + 1:] if squeeze(_text(q))), "")
            facts.sign_groups.append([squeeze(_text(p)), following[:4]])
    for row in body.iter(qn("w:tr")):
        cells = [squeeze(_text(tc)) for tc in row.iter(qn("w:tc"))]
        labels = [c for c in cells if "（签字）" in c or "（签名）" in c]
        if labels:
            facts.sign_groups.append(labels)
    return facts


# --- what the PDF shows ----------------------------------------------------------------------------------

@dataclass
class Line:
    top: float  # mm from the page top
    text: str  # squeezed


@dataclass
class Page:
    lines: list[Line]
    red_marks: list[dict]  # big red characters
    rules: list[dict]  # horizontal lines wider than WIDE_RULE_MM

    @property
    def text(self) -> str:
        return "".join(line.text for line in self.lines)


def _lines(chars: list[dict]) -> list[Line]:
    rows: list[list[dict]] = []
    for char in sorted(chars, key=lambda c: (c["top"], c["x0"])):
        if rows and abs(rows[-1][0]["top"] - char["top"]) < 3:
            rows[-1].append(char)
        else:
            rows.append([char])
    lines = []
    for row in rows:
        text = squeeze("".join(c["text"] for c in sorted(row, key=lambda c: c["x0"])))
        if text:
            lines.append(Line(min(c["top"] for c in row) / PT_PER_MM, text))
    return lines


def _is_red(colour: Any) -> bool:
    return isinstance(colour, tuple | list) and len(colour) == 3 and colour[0] > 0.7 and max(colour[1:]) < 0.3


def read_pdf(content: bytes) -> list[Page]:
    pages = []
    with pdfplumber.open(io.BytesIO(content)) as pdf:
        for page in pdf.pages:
            marks = [c for c in page.chars if c["size"] >= 20 and _is_red(c.get("non_stroking_color"))]
            rules, seen = [], set()
            for edge in page.edges:
                if edge["orientation"] != "h" or edge["width"] < WIDE_RULE_MM * PT_PER_MM:
                    continue
                key = (round(edge["x0"]), round(edge["x1"]), round(edge["top"]))
                if key not in seen:
                    seen.add(key)
                    rules.append({"x0": edge["x0"] / PT_PER_MM, "width": edge["width"] / PT_PER_MM,
                                  "top": edge["top"] / PT_PER_MM, "red": _is_red(edge.get("stroking_color"))})
            pages.append(Page(_lines(page.chars), marks, rules))
    return pages


# --- the rules -------------------------------------------------------------------------------------------

def _find_line(pages: list[Page], text: str) -> tuple[int, int] | None:
    """(page, line) of the last line whose text is ``text``."""
    for page_no in range(len(pages) - 1, -1, -1):
        for line_no in range(len(pages[page_no].lines) - 1, -1, -1):
            if pages[page_no].lines[line_no].text == text:
                return page_no, line_no
    return None


def check_signature(facts: DocxFacts, pages: list[Page]) -> list[Failure]:
    if not facts.signature or not facts.date:
        return []
    date = _find_line(pages, facts.date)
    if date is None:
        return [Failure("signature", f"PDF 中找不到成文日期“{facts.date}”")]
    page_no, line_no = date
    lines = pages[page_no].lines
    signature_no = next((n for n in range(line_no - 1, -1, -1) if lines[n].text == facts.signature), None)
    if signature_no is None:
        return [Failure("signature", "署名与成文日期不在同一页")]
    body = [line for line in lines[:signature_no]
            if not PAGE_NUMBER.fullmatch(line.text) and line.text not in facts.attachments]
    if not body:
        return [Failure("signature", f"第{page_no + 1}页只有署名和成文日期，没有正文（GB/T 9704—2012 第7.3.5条）")]
    return []


def _page_of(pages: list[Page], text: str) -> int | None:
    """The first page whose text holds ``text`` in order (a cell may wrap it over lines)."""
    for page_no, page in enumerate(pages):
        rest = iter(page.text)
        if all(char in rest for char in text):
            return page_no
    return None


def _first_line(page: Page, text: str) -> int:
    head = text[:4]
    return next((n for n, line in enumerate(page.lines) if head in line.text), 0)


def check_sign_rows(facts: DocxFacts, pages: list[Page]) -> list[Failure]:
    failures = []
    for group in facts.sign_groups:
        found = [_page_of(pages, text) for text in group]
        if None in found or len(set(found)) > 1:
            failures.append(Failure("sign_rows", f"“{group[0]}”一栏跨页或不完整"))
            continue
        page_no = found[0]
        if page_no == 0:
            continue
        page, previous = pages[page_no], {line.text for line in pages[page_no - 1].lines}
        above = [line for line in page.lines[:_first_line(page, group[0])]
                 if not PAGE_NUMBER.fullmatch(line.text) and line.text not in previous]
        if not above:
            failures.append(Failure("sign_rows", f"“{group[0]}”一栏单独在第{page_no + 1}页"))
    return failures


def check_banji(facts: DocxFacts, pages: list[Page]) -> list[Failure]:
    if not facts.banji or not pages:
        return []
    last = pages[-1].text
    missing = [line for line in facts.banji if line not in last]
    if missing:
        return [Failure("banji", "版记不完整或不在最后一页：" + "、".join(m[:20] for m in missing))]
    return []


def _banji_start(facts: DocxFacts, pages: list[Page]) -> tuple[int, int] | None:
    """(page, line) of the 版记's first line: the last line holding the start of its first entry."""
    head = facts.banji[0][:6]
    for page_no in range(len(pages) - 1, -1, -1):
        for line_no in range(len(pages[page_no].lines) - 1, -1, -1):
            if head in pages[page_no].lines[line_no].text:
                return page_no, line_no
    return None


def _has_text(lines: list[Line]) -> bool:
    return any(not PAGE_NUMBER.fullmatch(line.text) for line in lines)


def _numbered(page: Page) -> bool:
    return any(PAGE_NUMBER.fullmatch(line.text) for line in page.lines)


def body_end_page(facts: DocxFacts, pages: list[Page]) -> int | None:
    """The page (1-based) holding the last body text above the 版记; None without a 版记 in the PDF."""
    if not facts.banji:
        return None
    start = _banji_start(facts, pages)
    if start is None:
        return None
    page_no, line_no = start
    if _has_text(pages[page_no].lines[:line_no]):
        return page_no + 1
    return next((n + 1 for n in range(page_no - 1, -1, -1) if _has_text(pages[n].lines)), None)


def check_banji_page(facts: DocxFacts, pages: list[Page], layout: str) -> list[Failure]:
    if layout not in EVEN_PAGE_LAYOUTS or not facts.banji:
        return []
    start = _banji_start(facts, pages)
    if start is None:
        return []  # check_banji names the missing lines
    page_no, line_no = start
    page, number = pages[page_no], page_no + 1
    failures = []
    if number != len(pages):
        failures.append(Failure("banji_page", f"版记在第{number}页，其后还有{len(pages) - number}页"))
    if number % 2:
        failures.append(Failure("banji_page", f"版记在第{number}页（单页），应在偶数页末（GB/T 9704—2012 第7.4条）"))
    below = [rule["top"] for rule in page.rules if not rule["red"] and rule["top"] >= page.lines[line_no].top - 5]
    bottom = max(below) if below else page.lines[-1].top
    if bottom < TEXT_BOTTOM_MM - FOOT_TOLERANCE_MM - (0 if below else 10):
        failures.append(Failure("banji_page", f"版记未排在第{number}页末端（末条线距页面上边 {bottom:.0f} mm，"
                                              f"应约 {TEXT_BOTTOM_MM:.0f} mm）"))
    end = body_end_page(facts, pages) or 0
    if end < number:
        if number - end > 2:
            failures.append(Failure("banji_page", f"版记页前有{number - end - 1}个空白页"))
        numbered = [n + 1 for n in range(end, number) if _numbered(pages[n])]
        if numbered:
            failures.append(Failure("banji_page", "、".join(f"第{n}页" for n in numbered)
                                    + "只有版记或空白，不应编排页码（GB/T 9704—2012 第7.5条）"))
    return failures


def check_text(facts: DocxFacts, pages: list[Page]) -> list[Failure]:
    printed = collections.Counter(squeeze(PAGE_NUMBER.sub("", "\n".join(
        line.text for page in pages for line in page.lines))))
    missing = facts.chars - printed
    if missing:
        shown = "".join(sorted(missing))[:20]
        return [Failure("text", f"PDF 缺少 {sum(missing.values())} 个字符：{shown}")]
    return []


def _split_at(term: str, end: str, start: str) -> str | None:
    """``end / start`` when a line ending in ``end`` and the next starting with ``start`` split ``term``."""
    for cut in range(1, len(term)):
        if end.endswith(term[:cut]) and start.startswith(term[cut:]):
            return f"{term[:cut]} / {term[cut:]}"
    return None


def check_unbroken(terms: list[str] | tuple[str, ...], pages: list[Page]) -> list[Failure]:
    """Consecutive printed lines (page numbers aside, across page ends too) must not split a term."""
    lines = [(page_no, line.text) for page_no, page in enumerate(pages) for line in page.lines
             if not PAGE_NUMBER.fullmatch(line.text)]
    failures, seen = [], set()
    for (page_no, end), (_, start) in zip(lines, lines[1:], strict=False):
        for term in terms:
            split = _split_at(term, end, start) if term not in seen else None
            if split:
                seen.add(term)
                failures.append(Failure("unbroken", f"第{page_no + 1}页“{term}”被拆在两行（{split}）"))
    return failures[:3]


def check_rules(pages: list[Page], layout: str) -> list[Failure]:
    failures = []
    for page_no, page in enumerate(pages):
        for rule in page.rules:
            if layout == "form" and not rule["red"]:
                continue  # a form's black lines are its table and signature lines, not a 版记
            expected = LETTER_RULE_MM if layout == "letter" and rule["red"] else TEXT_WIDTH_MM
            if abs(rule["width"] - expected) > TOLERANCE_MM:
                colour = "红色" if rule["red"] else "版记"
                failures.append(Failure("rules", f"第{page_no + 1}页{colour}分隔线宽 {rule['width']:.0f} mm，"
                                                 f"应为 {expected:.0f} mm"))
    return failures[:3]


def check_mark(pages: list[Page], layout: str) -> list[Failure]:
    if not pages or not pages[0].red_marks or layout not in MARK_FROM_TOP_MM:
        return []
    if not any(rule["red"] for rule in pages[0].rules):
        return [Failure("mark", "发文机关标志下没有红色分隔线")]
    top = min(c["top"] for c in pages[0].red_marks) / PT_PER_MM
    expected = MARK_FROM_TOP_MM[layout]
    if abs(top - expected) > TOLERANCE_MM:
        return [Failure("mark", f"发文机关标志上边缘距页面上边 {top:.0f} mm，应为 {expected:.0f} mm")]
    return []


def verify(docx_content: bytes, pdf_content: bytes, *, layout: str = "standard",
           unbroken: list[str] | tuple[str, ...] = ()) -> LayoutReport:
    """Every rule on one DOCX/PDF pair; ``layout`` is the template's format (standard, letter, minutes, form),
    ``unbroken`` the 文号 and names no line may split."""
    facts, pages = read_docx(docx_content), read_pdf(pdf_content)
    failures = [*check_signature(facts, pages), *check_sign_rows(facts, pages), *check_banji(facts, pages),
                *check_banji_page(facts, pages, layout), *check_text(facts, pages), *check_unbroken(unbroken, pages),
                *check_rules(pages, layout), *check_mark(pages, layout)]
    report = LayoutReport("failed" if failures else "passed", failures, conversions=1)
    report.body_end_page = body_end_page(facts, pages) if layout in EVEN_PAGE_LAYOUTS else None
    return report
