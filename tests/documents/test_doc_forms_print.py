"""Forms that print right: 考评表 totals, merged 类别 cells, repeated header rows, labels that keep
their words, signature lines, the 移交函 wording, rare characters in the PDF (issue 16)."""

from __future__ import annotations

import copy
import io
import json
import re

import docx
import pdfplumber
import pytest
from docx.oxml.ns import qn

from tests.docx_checks import BODY_FONT, BODY_PT, MARK_FONT, check_gbt9704, check_pdf_text, checker_flags
from webapp.documents.verify_layout import verify
from webapp.procedures.evaluation.scheme import DEFAULTS_FILE

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


def realistic_sheet(library, count: int) -> dict:
    """``count`` items of the village scheme (its own contents and rules, categories adjacent), scored with
    two decimals as the measured items are: what a town prints at the year end."""
    scheme = json.loads(DEFAULTS_FILE.read_text(encoding="utf-8"))["village"]["items"]
    scores = [2.5, 2.13, 1.88, 2.5, 2.25]
    context = copy.deepcopy(library.spec("evaluation_sheet").sample)
    context["items"] = []
    for index in range(count):
        item = scheme[index * len(scheme) // count]
        score = scores[index % len(scores)]
        context["items"].append({
            "category": item["category"], "content": item["content"], "rule": item["rule"], "points": 2.5,
            "self_score": 2.5, "score": score, "deduction_reason": "" if score == 2.5 else "台账记录不全"})
    return context


def record(library, count: int) -> dict:
    context = copy.deepcopy(library.spec("inspection_record").sample)
    context["items"] = [dict(context["items"][index % len(context["items"])]) for index in range(count)]
    context["inspection"]["date"] = "2026-12-31"  # the longest date a signature cell holds
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


def cell_text(tc) -> str:  # noqa: ANN001
    return "".join(t.text or "" for t in tc.iter(qn("w:t")))


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
    table = open_docx(renderer.render("evaluation_sheet", sheet(library, SCORES))).tables[0]
    assessors, group, assessed = table.rows[-3:]  # rows of the table: kept with 合计 on one page
    assert [cell_text(tc) for tc in assessors._tr.findall(qn("w:tc"))] == ["考评人员", "周文、陈立群"]
    assert [cell_text(tc) for tc in group._tr.findall(qn("w:tc"))] == ["考评组（签字）", "日期：　　年　　月　　日"]
    assert [cell_text(tc) for tc in assessed._tr.findall(qn("w:tc"))] == ["被考评单位（盖章）",
                                                                          "负责人（签字）：日期：　　年　　月　　日"]


def test_inspection_record_checklist_header_repeats(renderer, library):
    context = copy.deepcopy(library.spec("inspection_record").sample)
    document = open_docx(renderer.render("inspection_record", context))
    checklist = next(t for t in document.tables if t.rows[0].cells[0].text == "序号")
    assert checklist.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None
    closing = document.tables[-1]
    signatures = closing.rows[-1].cells
    assert [p.text for p in signatures[0].paragraphs] == ["被检查单位", "代表", "（签字）"]
    assert [p.text for p in signatures[2].paragraphs] == ["检查人员", "（签字）"]
    assert signatures[1].paragraphs[-1].text == signatures[3].paragraphs[-1].text == "2026年5月6日"


CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def run_format(run, defaults) -> tuple[str | None, float | None]:  # noqa: ANN001
    """East Asian font and size of a w:r: its own rPr, else the document defaults (all our builder sets)."""
    found = {}
    for rpr in (run.find(qn("w:rPr")), defaults):
        if rpr is None:
            continue
        fonts, size = rpr.find(qn("w:rFonts")), rpr.find(qn("w:sz"))
        if fonts is not None and fonts.get(qn("w:eastAsia")):
            found.setdefault("font", fonts.get(qn("w:eastAsia")))
        if size is not None:
            found.setdefault("size", int(size.get(qn("w:val"))) / 2)
    return found.get("font"), found.get("size")


def assert_form_type(content: bytes, title: str) -> None:
    """Our own form rule (the shared checker's, without ../shared): the title 22 pt 方正小标宋简体, every
    other CJK run of the form, labels and values in its tables included, 16 pt 仿宋_GB2312."""
    document = open_docx(content)
    defaults = document.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    runs = [r for r in document.element.body.iter(qn("w:r"))
            if CJK.search("".join(t.text or "" for t in r.iter(qn("w:t"))))]
    title_runs = [r for r in runs if "".join(t.text or "" for t in r.iter(qn("w:t"))) == title]
    assert title_runs and run_format(title_runs[0], defaults) == (MARK_FONT, 22)
    body = [r for r in runs if r is not title_runs[0]]
    assert len(body) > 20
    for run in body:
        text = "".join(t.text or "" for t in run.iter(qn("w:t")))
        assert run_format(run, defaults) == (BODY_FONT, BODY_PT), text


def test_forms_print_at_16_pt_and_pass_the_shared_checker(renderer, library, tmp_path):
    forms = {
        "evaluation_sheet": (realistic_sheet(library, 40), "2025年度消防安全工作考评表"),
        "inspection_record": (record(library, 45), "消防安全检查记录"),
    }
    for key, (context, title) in forms.items():
        for name, content in ((f"{key}-sample", renderer.render_sample(key)), (key, renderer.render(key, context))):
            assert_form_type(content, title)
            flags = checker_flags(library.spec(key))
            assert flags == ["--no-header"]
            check_gbt9704(content, *flags, tmp_path=tmp_path, name=name, no_warnings=True)


def page_texts(pdf: bytes) -> list[str]:
    return [re.sub(r"\s", "", page) for page in pdf_pages(pdf)]


def test_forty_items_print_on_few_pages_with_header_and_whole_labels(converter, renderer, library, tmp_path):
    evaluation = renderer.render("evaluation_sheet", realistic_sheet(library, 40))
    inspection = renderer.render("inspection_record", record(library, 45))
    evaluation_pdf, record_pdf = converter.convert_many([evaluation, inspection])
    pages = page_texts(evaluation_pdf)
    # 16 pt on the portrait GB/T 9704 page: 6 pages (was 10 at 10.5 pt before issue 16, 3 at 10.5 pt)
    assert len(pages) <= 6, len(pages)
    assert all("评分标准" in page and "考评内容" in page for page in pages)  # header row on every page
    assert all(word in pages[-1] for word in ("合计", "等次", "考评人员", "考评组（签字）", "负责人（签字）"))
    record_pages = page_texts(record_pdf)
    checklist = [page for page in record_pages if "灭火器配置" in page]
    assert len(checklist) >= 2 and all("检查项目" in page for page in checklist)  # header row repeated
    assert "消防安全责任人" in record_pages[0]  # not 消防安全责 / 任人
    assert all(word in record_pages[-1] for word in ("发现的问题", "处理措施", "代表（签字）"))
    assert "2026年12月31日2026年12月31日" in record_pages[-1]  # each date on one line of its cell
    for name, (content, pdf) in {"evaluation_sheet": (evaluation, evaluation_pdf),
                                 "inspection_record": (inspection, record_pdf)}.items():
        report = verify(content, pdf, layout="form")
        assert report.passed, (name, report.label)
        check_pdf_text(content, pdf, tmp_path, name=name)


@pytest.mark.slow
def test_signature_rows_never_start_a_page_alone(converter, renderer, library):
    """Around every page break: the 检查记录 signature row stays with 发现的问题 and 处理措施, the 考评表
    signatures with 合计 and 等次 (rows of one table kept together; LibreOffice ignores keep-with-next
    from a table to the paragraph after it)."""
    records = {n: renderer.render("inspection_record", record(library, n)) for n in range(8, 15)}
    sheets = {n: renderer.render("evaluation_sheet", realistic_sheet(library, n)) for n in range(28, 37)}
    documents = [*records.values(), *sheets.values()]
    pdfs = converter.convert_many(documents)
    closing = {"inspection_record": ("发现的问题", "处理措施", "代表（签字）"),
               "evaluation_sheet": ("合计", "等次", "考评组（签字）")}
    page_counts = {key: set() for key in closing}
    for content, pdf, key in zip(documents, pdfs, ["inspection_record"] * len(records) + ["evaluation_sheet"] * len(
            sheets), strict=True):
        pages = page_texts(pdf)
        page_counts[key].add(len(pages))
        assert all(word in pages[-1] for word in closing[key]), (key, len(pages))
        report = verify(content, pdf, layout="form")
        assert report.passed, (key, report.label)
    # the counts cross a page break of each form: the closing rows met the bottom of a page
    assert all(len(counts) > 1 for counts in page_counts.values()), page_counts


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
