"""The text preview reads a rendered DOCX in order: headings, paragraphs, tables and the 版记 text box."""

from __future__ import annotations

from webapp.documents.docx_text import docx_blocks


def test_notice_reads_as_headings_paragraphs_and_its_end_block(renderer, library):
    sample = library.spec("notice").sample
    blocks = docx_blocks(renderer.render_sample("notice"))
    headings = [b.text for b in blocks if b.kind == "heading"]
    assert headings == ["示例区松林镇人民政府文件", sample["title"]]  # the organ mark and the title
    texts = [b.text for b in blocks]
    assert texts.index(sample["title"]) < texts.index("一、检查范围") < texts.index("2026年5月8日")
    # The 版记 sits in a text box; its legacy (VML) copy is not read twice.
    assert [t for t in texts if t.endswith("印发")] == ["松林镇党政办公室\t2026年5月8日印发"]
    assert {b.align for b in blocks if b.text == "2026年5月8日"} == {"right"}


def test_bulletin_ranking_is_a_table(renderer):
    tables = [b for b in docx_blocks(renderer.render_sample("bulletin")) if b.kind == "table"]
    assert len(tables) == 1
    assert tables[0].rows[:2] == [["名次", "单位", "得分", "等次"], ["1", "新河社区", "96.5", "优秀"]]
