"""Joint marks (联合行文, GB/T 9704-2012 §7.2.1) on the rendered page: the organs one under another,
the lead organ first, spread to one width, "文件" to their right and vertically centred across them;
the mark's top edge where a single mark's is, the red rule and the rest of the page unchanged."""

from __future__ import annotations

import copy

import pytest

from tests.documents.test_layout_verifier import char_lines
from tests.docx_checks import check_gbt9704, check_pdf_text
from tests.layout_support import banji_to_even_pages
from webapp.documents.fitting import MARK_MAX_PT, joint_column, joint_fit
from webapp.documents.verify_layout import PT_PER_MM, verify

ORGANS = ["示例镇人民政府", "示例镇消防安全委员会"]
THREE = ["中共示例镇委员会", "示例镇人民政府", "示例镇消防安全委员会"]
LONG = ["示例市示例区示例镇消防安全委员会办公室", "示例镇人民政府"]  # shrinks to 22 pt and narrower characters


def joint(library, key: str, organs: list[str], mark: str | None = None) -> dict:
    context = copy.deepcopy(library.spec(key).sample)
    context["joint_organs"] = organs
    context["organ_mark"] = mark or organs[0] + "文件"
    return context


@pytest.fixture(scope="module")
def rendered(converter, renderer, library):
    cases = {
        "two": ("notice", joint(library, "notice", ORGANS)),
        "three-no-word": ("notice", joint(library, "notice", THREE, mark=THREE[0])),
        "upward": ("notice_upward", joint(library, "notice_upward", ORGANS)),
        "bulletin": ("bulletin", joint(library, "bulletin", THREE)),
        "long": ("bulletin", joint(library, "bulletin", LONG)),
        "long-single": ("notice", {**library.spec("notice").sample, "organ_mark": LONG[0] + "文件"}),
    }
    docx = {name: renderer.render(key, context) for name, (key, context) in cases.items()}
    pdfs = dict(zip(docx, converter.convert_many(list(docx.values())), strict=True))
    docx, pdfs = banji_to_even_pages(docx, pdfs, converter)
    return {name: (docx[name], pdfs[name]) for name in cases}


def mark_lines(pdf: bytes) -> list[dict]:
    """The big red characters of page 1 as lines: text, top, bottom, x0, x1 (mm)."""
    lines = char_lines(pdf, keep=lambda c: c["size"] >= 20 and tuple(c["non_stroking_color"] or (0,))[:1] == (1,))
    return [{"text": "".join(c["text"] for c in line),
             "top": min(c["top"] for c in line) / PT_PER_MM, "bottom": max(c["bottom"] for c in line) / PT_PER_MM,
             "x0": min(c["x0"] for c in line) / PT_PER_MM, "x1": max(c["x1"] for c in line) / PT_PER_MM}
            for line in lines]


def test_joint_organs_stack_with_the_word_centred_on_their_right(rendered):
    lines = mark_lines(rendered["two"][1])
    names = [line for line in lines if line["text"] != "文件"]
    word = next(line for line in lines if line["text"] == "文件")
    assert [line["text"] for line in names] == ORGANS  # the lead organ first
    assert abs(names[0]["top"] - 72) <= 1.5  # 35 mm below the 版心 top, like a single mark
    assert abs((names[0]["x1"] - names[0]["x0"]) - (names[1]["x1"] - names[1]["x0"])) < 2  # spread to one width
    middle = (names[0]["top"] + names[-1]["bottom"]) / 2
    assert abs((word["top"] + word["bottom"]) / 2 - middle) < 2 and word["x0"] > names[0]["x1"]
    assert abs((names[0]["x0"] + word["x1"]) / 2 - (28 + 78)) < 2  # the block centred on the 版心


def test_joint_organs_without_the_word_stand_alone_centred(rendered):
    lines = mark_lines(rendered["three-no-word"][1])
    assert [line["text"] for line in lines] == THREE
    assert all(abs((line["x0"] + line["x1"]) / 2 - (28 + 78)) < 2 for line in lines)


def test_joint_documents_pass_the_verifier_and_the_shared_checkers(rendered, library, tmp_path):
    """The verifier's mark rule included: a shrunk mark (joint or single) keeps its top edge at 72 mm."""
    for name, (docx, pdf) in rendered.items():
        report = verify(docx, pdf)
        assert report.passed, (name, report.label)
        check_gbt9704(docx, tmp_path=tmp_path, name=name)
        check_pdf_text(docx, pdf, tmp_path, name=name)
    upward = mark_lines(rendered["upward"][1])
    assert [line["text"] for line in upward if line["text"] != "文件"] == ORGANS


def test_joint_mark_shrinks_to_fit_the_longest_organ_and_the_word():
    assert joint_fit(ORGANS) == (MARK_MAX_PT * 2, 100)
    long = LONG
    half_points, scale = joint_fit(long)
    assert half_points < MARK_MAX_PT * 2
    assert joint_column(long, "x文件", 0) + joint_column(long, "x文件", 1) <= 156 / 25.4 * 1440
    assert joint_column(long, "示例镇人民政府", 1) == 20  # no 文件: no column for it
