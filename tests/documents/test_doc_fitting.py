"""Titles broken between words into 梯形/菱形, organ marks shrunk to one line (issue 16 item 6)."""

from __future__ import annotations

import copy
import io

import docx
import jieba
import pdfplumber
import pytest
from docx.oxml.ns import qn

from tests.docx_checks import check_gbt9704, check_pdf_text
from webapp.documents.fitting import TITLE_CHARS, mark_fit, strip_breaks, title_lines, width

LONG_TITLE = "关于印发《松林镇消防安全网格化管理工作实施方案》的通知"
SIXTY = ("关于表彰2025年度消防安全工作先进集体和先进个人的决定暨召开全镇消防安全工作推进会议"
         "并部署2026年冬春火灾防控工作的通知")
LONG_MARK = "松林镇消防安全委员会办公室文件"  # 15 characters: wrapped "…办 / 公室文件" at 30 pt


def word_ends(text: str) -> set[int]:
    ends, position = set(), 0
    for token in jieba.lcut(text):
        position += len(token)
        ends.add(position)
    return ends


@pytest.mark.parametrize("title", [LONG_TITLE, SIXTY, "关于开展2026年夏季消防安全大检查工作的通知"])
def test_titles_break_between_words_into_balanced_lines(title):
    lines = title_lines(title)
    assert "".join(lines) == title
    assert all(width(line) <= TITLE_CHARS for line in lines)
    ends, position = word_ends(title), 0
    for line in lines[:-1]:
        position += len(line)
        assert position in ends, (title, lines)  # never 实施方 / 案
    widths = [width(line) for line in lines]
    assert max(widths) - min(widths) <= 5, lines
    if len(lines) == 3:
        assert widths[1] >= min(widths[0], widths[2])  # 菱形 or 梯形, not an hourglass


def test_short_title_stays_on_one_line_and_the_clerk_places_breaks():
    assert title_lines("关于开展消防安全检查的通知") == ["关于开展消防安全检查的通知"]
    marked = title_lines("关于印发|《消防安全网格化管理实施方案》的通知")
    assert marked == ["关于印发", "《消防安全网格化管理实施方案》的通知"]
    assert strip_breaks("关于印发｜《方案》的通知") == "关于印发《方案》的通知"


def test_organ_mark_shrinks_within_the_limits():
    assert mark_fit("示例区松林镇人民政府文件") == (60, 100)  # 12 characters: the full 30 pt
    size, scale = mark_fit(LONG_MARK)
    assert 44 <= size < 60 and scale == 100 and size / 2 * 15 <= 156 / 25.4 * 72
    size, scale = mark_fit("示例区松林镇人民政府示例区松林镇消防安全委员会文件")
    assert size == 44 and 60 <= scale < 100  # never below 2号 (the title's size): narrower characters instead


def render(renderer, library, **changes) -> bytes:
    context = copy.deepcopy(library.spec("notice").sample)
    context.update(changes)
    return renderer.render("notice", context)


def test_rendered_title_and_mark_runs(renderer, library):
    document = docx.Document(io.BytesIO(render(renderer, library, title=SIXTY, organ_mark=LONG_MARK)))
    title = next(p for p in document.paragraphs if p.text.replace("\n", "") == SIXTY)
    assert len(title._p.findall(f".//{qn('w:br')}")) == len(title_lines(SIXTY)) - 1
    assert title.text.split("\n") == title_lines(SIXTY)
    mark = next(p for p in document.paragraphs if p.text == LONG_MARK)
    sizes = {r._r.rPr.find(qn("w:sz")).get(qn("w:val")) for r in mark.runs}
    assert sizes == {str(mark_fit(LONG_MARK)[0])}


def test_pdf_keeps_mark_on_one_line_and_title_lines_as_fitted(converter, renderer, library, tmp_path):
    content = render(renderer, library, title=LONG_TITLE, organ_mark=LONG_MARK)
    pdf = converter.convert(content)
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        lines = [line.replace(" ", "") for line in document.pages[0].extract_text().splitlines()]
    assert LONG_MARK in lines  # one line, no 公室文件 alone
    for line in title_lines(LONG_TITLE):
        assert line in lines
    check_gbt9704(content, tmp_path=tmp_path, name="fitted")
    check_pdf_text(content, pdf, tmp_path, name="fitted")


def test_names_and_numbers_never_split_across_lines(converter, renderer, library, tmp_path):
    """At four offsets one of the names (and one 文号) straddles a line end without the unbreakable runs."""
    contents = []
    for lead in ("", "林", "林晓", "林晓雯"):
        context = copy.deepcopy(library.spec("referral_letter").sample)
        context["inspection"]["inspectors"] = [name for name in (lead, "欧阳明远") if name]
        context["actions_taken"] = "已" * (16 + len(lead)) + "（示例消整〔2026〕第0049号）。"
        contents.append(renderer.render("referral_letter", context))
    for content, pdf in zip(contents, converter.convert_many(contents), strict=True):
        with pdfplumber.open(io.BytesIO(pdf)) as document:
            lines = [line.replace(" ", "") for page in document.pages for line in page.extract_text().splitlines()]
        assert any("欧阳明远" in line for line in lines), lines[:12]
        assert any("〔2026〕第0049号" in line for line in lines), lines[:12]
        check_pdf_text(content, pdf, tmp_path, name="nobreak")
    check_gbt9704(contents[0], tmp_path=tmp_path, name="nobreak")


def test_unbroken_names_are_read_back_by_the_text_preview(renderer, library):
    from webapp.documents.docx_text import docx_blocks

    context = copy.deepcopy(library.spec("referral_letter").sample)
    context["inspection"]["inspectors"] = ["彭秀兰", "欧阳明远"]
    texts = [b.text for b in docx_blocks(renderer.render("referral_letter", context))]
    assert any("（检查人员：彭秀兰、欧阳明远）" in text for text in texts)
    assert any("（松林消整〔2026〕第0007号）" in text for text in texts)
