"""Forms that print right: 考评表 totals, merged 类别 cells, repeated header rows, labels that keep
their words, signature lines, the 移交函 wording, rare characters in the PDF (issue 16)."""

from __future__ import annotations

import copy
import io

import docx
import pdfplumber
from docx.oxml.ns import qn

from tests.docx_checks import check_gbt9704, check_pdf_text

# Ten 0.1-step scores whose float sum is 83.39999999999999.
SCORES = [9.5, 8.3, 7.2, 9.1, 8.7, 9.8, 6.4, 9.9, 7.6, 6.9]
CATEGORIES = ("消防安全责任", "火灾预防", "消防安全基础")
RULE = "按期完成的议定事项占到期事项的比例计分；无到期事项的得满分"


def sheet(library, scores: list[float], count: int | None = None) -> dict:
    context = copy.deepcopy(library.spec("evaluation_sheet").sample)
    count = count or len(scores)
    context["items"] = [
        {"category": CATEGORIES[index * len(CATEGORIES) // count], "content": f"考评内容第{index + 1}项",
         "points": 10, "rule": RULE, "self_score": scores[index % len(scores)],
         "score": scores[index % len(scores)], "deduction_reason": "少检查2次"}
        for index in range(count)]
    return context


def open_docx(content: bytes) -> docx.document.Document:
    return docx.Document(io.BytesIO(content))


def pdf_pages(pdf: bytes) -> list[str]:
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        return [page.extract_text() or "" for page in document.pages]


def test_score_totals_are_exact_decimals(renderer, library):
    assert repr(sum(SCORES)) == "83.39999999999999"  # what the template used to print
    table = open_docx(renderer.render("evaluation_sheet", sheet(library, SCORES))).tables[0]
    total_row = next(row for row in table.rows if row.cells[0].text == "合计")
    cells = [c.text for c in total_row.cells]
    assert "83.4" in cells and "100" in cells
    assert not any("83.3999" in text for row in table.rows for text in (c.text for c in row.cells))


def _column_cells(row, index: int):
    return row._tr.findall(qn("w:tc"))[index]


def test_evaluation_sheet_merges_categories_and_repeats_its_header(renderer, library):
    table = open_docx(renderer.render("evaluation_sheet", sheet(library, SCORES, count=9))).tables[0]
    rows = table.rows
    assert rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None
    assert all(r._tr.trPr.find(qn("w:tblHeader")) is None for r in rows[1:])
    merges = [_column_cells(r, 0).tcPr.find(qn("w:vMerge")).get(qn("w:val")) for r in rows[1:10]]
    assert merges == ["restart", "continue", "continue"] * 3
    first_cells = ["".join(t.text or "" for t in _column_cells(r, 0).iter(qn("w:t"))) for r in rows[1:10]]
    assert first_cells == ["消防安全责任", "", "", "火灾预防", "", "", "消防安全基础", "", ""]
    header_cells = rows[0]._tr.findall(qn("w:tc"))
    assert all(tc.tcPr.find(qn("w:noWrap")) is not None for tc in header_cells)
    # 考评得分 is printed in two lines broken between the words, never 考评得/分
    assert [p.text for p in rows[0].cells[5].paragraphs] == ["考评", "得分"]


def test_evaluation_sheet_has_signature_lines_for_both_sides(renderer, library):
    document = open_docx(renderer.render("evaluation_sheet", sheet(library, SCORES)))
    signatures = document.tables[1]
    text = "\n".join(cell.text for row in signatures.rows for cell in row.cells)
    assert "考评组（签字）" in text and "被考评单位（盖章）" in text and "负责人（签字）" in text
    assert text.count("日期：") == 2 and "年　　月　　日" in text


def test_inspection_record_checklist_header_repeats(renderer, library):
    context = copy.deepcopy(library.spec("inspection_record").sample)
    document = open_docx(renderer.render("inspection_record", context))
    checklist = next(t for t in document.tables if t.rows[0].cells[0].text == "序号")
    assert checklist.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None
    closing = document.tables[-1]
    assert [p.text for p in closing.rows[-1].cells[0].paragraphs] == ["被检查单位代表", "（签字）"]


def test_forty_items_print_on_few_pages_with_header_and_whole_labels(converter, renderer, library, tmp_path):
    evaluation = renderer.render("evaluation_sheet", sheet(library, SCORES, count=40))
    record_context = copy.deepcopy(library.spec("inspection_record").sample)
    record_context["items"] = record_context["items"] * 15
    record = renderer.render("inspection_record", record_context)
    evaluation_pdf, record_pdf = converter.convert_many([evaluation, record])
    pages = pdf_pages(evaluation_pdf)
    assert len(pages) <= 4, len(pages)  # was 10 pages
    assert all("评分标准" in page and "扣分原因" in page for page in pages)  # header row on every page
    assert "考评组（签字）" in pages[-1]
    record_pages = pdf_pages(record_pdf)
    assert len(record_pages) >= 2 and all("检查项目" in page for page in record_pages)
    lines = [line.replace(" ", "") for page in record_pages for line in page.splitlines()]
    assert any("消防安全责任人" in line for line in lines)  # not 消防安全责 / 任人
    assert not any(line.endswith("消防安全责") for line in lines)
    check_pdf_text(evaluation, evaluation_pdf, tmp_path, name="evaluation_sheet")
    check_pdf_text(record, record_pdf, tmp_path, name="inspection_record")
    # Forms print at 14/10.5 pt in their tables: the shared checker's 3号 body rule is for 公文 (see
    # CHECKER_FLAGS in tests/docx_checks.py), so forms are held to the PDF text check only.


def test_rare_characters_reach_the_pdf(converter, renderer, library, tmp_path):
    context = copy.deepcopy(library.spec("notice").sample)
    context["body"] = [{"level": 0, "text": "请𠀀𪚥同志于本周内签收。"}]
    content = renderer.render("notice", context)
    pdf = converter.convert(content)
    text = "".join(pdf_pages(pdf))
    assert "𠀀" in text and "𪚥" in text
    check_pdf_text(content, pdf, tmp_path, name="rare")


def test_referral_letter_asks_once_and_takes_the_ordinary_number(renderer, library, tmp_path):
    context = copy.deepcopy(library.spec("referral_letter").sample)
    context["doc_number"] = "示例府函〔2026〕14号"
    content = renderer.render("referral_letter", context)
    text = "\n".join(p.text for p in open_docx(content).paragraphs)
    assert text.count("反馈") == 1 and text.count(context["request"]) == 1
    assert "示例府函〔2026〕14号" in text
    check_gbt9704(content, tmp_path=tmp_path, name="referral_letter")  # no --allow-di
    context["request"] = ""
    text = "\n".join(p.text for p in open_docx(renderer.render("referral_letter", context)).paragraphs)
    assert "依法处理。请于收到本函之日起15日内将处理情况书面反馈我镇。" in text
