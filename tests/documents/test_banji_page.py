"""The 版记 at the foot of an even page (GB/T 9704-2012 §7.4, §7.5), read on the rendered PDF.

Three notices, converted as rendered and then as the layout loop moves them: a body ending on an odd
page (the 版记 goes to the next page), a body filling an even page (the 版记 gets the page after a
blank one) and a one-page 上行文 (the 版记 gets page 2 of its own)."""

from __future__ import annotations

import copy
import io
import json
import re
import zipfile
from pathlib import Path

import pdfplumber
import pytest

from tests.docx_checks import check_gbt9704, check_pdf_text
from tests.layout_support import banji_to_even_pages, page_facts
from webapp.documents import adjust, layout_loop
from webapp.documents.verify_layout import verify

SENTENCE = "各村（社区）要成立检查组，逐户检查出租屋、沿街门店和人员密集场所，建立隐患台账并跟踪整改到位。"


def notice(library, bodies: list[str], cc: int = 1) -> dict:
    sample = copy.deepcopy(library.spec("notice").sample)
    sample["body"] = [{"level": 0, "text": text} for text in bodies]
    sample["cc"] = [f"第{n}消防委员会办公室" for n in range(1, cc + 1)]
    return sample


@pytest.fixture(scope="module")
def inline(converter, renderer, library):
    """As rendered: the 版记 flows after the body (one conversion for the three)."""
    cases = {
        "odd": renderer.render("notice", notice(library, [SENTENCE * 3] * 5)),
        "full": renderer.render("notice", notice(library, [SENTENCE] * 10 + ["短句。"])),
        "single": renderer.render_sample("notice_upward"),
    }
    return cases, dict(zip(cases, converter.convert_many(list(cases.values())), strict=True))


@pytest.fixture(scope="module")
def moved(inline, converter):
    return banji_to_even_pages(*inline, converter)


def test_verifier_fails_when_the_banji_is_on_an_odd_page(inline):
    docx, pdfs = inline
    odd, full = verify(docx["odd"], pdfs["odd"]), verify(docx["full"], pdfs["full"])
    assert odd.failed("banji_page") and "版记在第3页（单页），应在偶数页末" in odd.label, odd.label
    assert odd.body_end_page == 3
    # the body fills page 2: the 版记 fell alone onto page 3, which still shows its number
    assert full.body_end_page == 2 and "第3页只有版记或空白，不应编排页码" in full.label, full.label
    assert verify(docx["single"], pdfs["single"]).failed("banji_page")
    assert not verify(docx["odd"], pdfs["odd"], layout="letter").failed("banji_page")  # 信函格式: last page only


def test_moved_banji_sits_at_the_foot_of_an_even_page_without_a_number(moved, library, tmp_path):
    docx, pdfs = moved
    expected_pages = {"odd": 4, "full": 4, "single": 2}
    for name, pdf in pdfs.items():
        pages = page_facts(pdf)
        assert len(pages) == expected_pages[name], name
        last = pages[-1]
        assert re.fullmatch(r"(抄送：.*。)?\w+\d{4}年\d{1,2}月\d{1,2}日印发", last["text"]), (name, last["text"])
        assert not last["numbered"] and last["lowest_rule"] > 258, (name, last)
        assert all(page["numbered"] for page in pages[:-1] if page["text"]), name
        report = verify(docx[name], pdf)
        assert report.passed, (name, report.label)
        check_gbt9704(docx[name], tmp_path=tmp_path, name=name)
        check_pdf_text(docx[name], pdf, tmp_path, name=name)
    blank = page_facts(pdfs["full"])[2]
    assert blank["text"] == "" and not blank["numbered"]  # the blank page before the 版记 page


def _edit(content: bytes, part: str, change) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            target.writestr(item, change(data.decode()).encode() if item.filename == part else data)
    return out.getvalue()


def test_verifier_fails_on_a_numbered_banji_page_and_a_banji_off_the_foot(moved, converter):
    docx, _ = moved
    numbered = _edit(docx["odd"], adjust.BLANK_FOOTER, lambda xml: xml.replace("<w:vanish/>", ""))
    raised = _edit(docx["odd"], adjust.DOCUMENT_XML,
                   lambda xml: xml.replace("<wp:align>bottom</wp:align>", "<wp:align>top</wp:align>"))
    numbered_pdf, raised_pdf = converter.convert_many([numbered, raised])
    report = verify(numbered, numbered_pdf)
    assert report.failed("banji_page") and "第4页只有版记或空白，不应编排页码" in report.label, report.label
    report = verify(raised, raised_pdf)
    assert report.failed("banji_page") and re.search(r"版记未排在第4页末端", report.label), report.label


def test_banji_moves_only_once_and_keeps_the_text(inline):
    docx, _ = inline
    once = adjust.banji_to_even_page(docx["odd"])
    assert adjust.banji_to_even_page(once) == once
    with zipfile.ZipFile(io.BytesIO(once)) as archive:
        body = archive.read(adjust.DOCUMENT_XML).decode()
        assert adjust.BLANK_FOOTER in archive.namelist()
    assert body.count("<w:sectPr") == 2 and body.count("<w:pageBreakBefore/>") == 0


@pytest.mark.slow
def test_layout_loop_moves_the_banji_with_one_more_conversion(inline, converter):
    outcome = layout_loop.produce(inline[0]["odd"], converter, layout="standard")
    assert outcome.report.conversions == 2 and outcome.report.label == "通过（版记移至偶数页末）"
    assert len(page_facts(outcome.pdf)) == 4
    outcome = layout_loop.produce(inline[0]["odd"], converter, layout="letter")
    assert outcome.report.conversions == 1


@pytest.mark.slow
def test_banji_moved_again_when_taking_it_out_ends_the_body_a_page_earlier(renderer, converter):
    """The demo year's 考评结果通报 (its data kept in tests/documents/data): with the 版记 in the flow the
    body ends on page 3; moved to page 4 the body ends on page 2 and the 版记 would stand on page 3, so
    the loop measures again and puts a blank page 3 before it."""
    context = json.loads((Path(__file__).parent / "data" / "bulletin_banji_reflow.json").read_text(encoding="utf-8"))
    outcome = layout_loop.produce(renderer.render("bulletin", context), converter, layout="standard",
                                  unbroken=renderer.unbroken("bulletin", context))
    assert outcome.report.passed, outcome.report.label
    assert outcome.report.note == "版记移至偶数页末"
    with pdfplumber.open(io.BytesIO(outcome.pdf)) as pdf:
        assert len(pdf.pages) % 2 == 0 and "印发" in (pdf.pages[-1].extract_text() or "")
