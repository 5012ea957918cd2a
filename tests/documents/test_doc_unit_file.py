"""The 一户一档 summary form: a long file stays a GB/T 9704 form, user text is escaped, and the PDF keeps
every character; the photo appendix and the merge keep their parts in order."""

from __future__ import annotations

import copy
import io

import pytest
from pypdf import PdfReader

from tests.documents.test_doc_forms_print import assert_form_type, open_docx
from tests.docx_checks import check_gbt9704, check_pdf_text, checker_flags
from webapp.demo.scans import photo_png
from webapp.documents import unit_file

TITLE = "单位消防安全档案（一户一档）"


def long_file(library, count: int) -> dict:
    context = copy.deepcopy(library.spec("unit_file").sample)
    entries = context["entries"]
    context["entries"] = [{**entry, "summary": f"{entry['summary']}（第{i + 1}次）"}
                          for i, entry in ((i, entries[i % len(entries)]) for i in range(count))]
    context["entries"][0]["summary"] = "店主称<b>已清理</b> & “下周复查”"  # typed text, not markup
    return context


def cells(content: bytes) -> list[str]:
    return [c.text for t in open_docx(content).tables for r in t.rows for c in r.cells]


def test_a_long_file_is_a_form_that_passes_the_shared_checker(renderer, library, tmp_path):
    for name, content in (("sample", renderer.render_sample("unit_file")),
                          ("long", renderer.render("unit_file", long_file(library, 40)))):
        assert_form_type(content, TITLE)
        assert checker_flags(library.spec("unit_file")) == ["--no-header"]
        check_gbt9704(content, "--no-header", tmp_path=tmp_path, name=f"unit_file-{name}", no_warnings=True)
    long = cells(renderer.render("unit_file", long_file(library, 40)))
    assert "店主称<b>已清理</b> & “下周复查”" in long and "40" in long
    assert "记录40条，附文件3份、现场照片2张" in long


def test_an_empty_file_says_so(renderer, library):
    context = {**library.spec("unit_file").sample, "entries": [], "document_count": 0, "photo_count": 0}
    content = renderer.render("unit_file", context)
    text = "\n".join(p.text for p in open_docx(content).paragraphs)
    assert "该单位暂无档案记录。" in text and "记录0条，附文件0份、现场照片0张" in cells(content)


@pytest.mark.slow
def test_photo_appendix_and_merge(converter, renderer, library, tmp_path):
    photos = [unit_file.Photo(f"第{i}条 2026-09-28 消防安全检查", photo_png(i)) for i in range(1, 4)]
    appendix = unit_file.photo_appendix("顺发便利店", photos)
    assert len(open_docx(appendix).inline_shapes) == 3
    summary = renderer.render("unit_file", long_file(library, 40))
    summary_pdf, appendix_pdf = converter.convert_many([summary, appendix])
    check_pdf_text(summary, summary_pdf, tmp_path=tmp_path, name="unit_file")
    assert len(PdfReader(io.BytesIO(appendix_pdf)).pages) == 2  # two photos a page
    merged = PdfReader(io.BytesIO(unit_file.merged([unit_file.Part("一户一档", summary_pdf),
                                                     unit_file.Part("现场照片", appendix_pdf)])))
    summary_pages = len(PdfReader(io.BytesIO(summary_pdf)).pages)
    assert [item.title for item in merged.outline] == ["一户一档", "现场照片"]
    assert merged.get_destination_page_number(merged.outline[1]) == summary_pages
    last = merged.pages[-1].extract_text().replace(" ", "")
    assert "照片3" in last and "第3条2026-09-28消防安全检查" in last


@pytest.mark.parametrize("size", [(4000, 3000), (300, 900)])
def test_thumbnails_are_small_jpegs(size):
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, "red").save(out, "PNG")
    with Image.open(io.BytesIO(unit_file.thumbnail(out.getvalue()))) as thumb:
        assert thumb.format == "JPEG" and max(thumb.size) == 240
        assert abs(thumb.width / thumb.height - size[0] / size[1]) < 0.02
