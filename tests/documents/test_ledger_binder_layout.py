"""The binder's layout without LibreOffice: contents rows name the page each section and document starts on
(for a given contents length), and the bound PDF's bookmarks point at those pages."""

from __future__ import annotations

import io

from pypdf import PdfReader, PdfWriter

from webapp.documents import ledger_binder as layout


def blank(pages: int) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


SECTIONS = [layout.Section("组织机构与网格", (layout.Part("网格图", blank(1)),)),
            layout.Section("责任书", (layout.Part("责任书甲", blank(3)), layout.Part("责任书乙", blank(2)))),
            layout.Section("宣传培训", ()),
            layout.Section("考评", (layout.Part("考评表", blank(6)),))]


def test_contents_rows_follow_the_contents_length():
    rows = layout.contents_entries(SECTIONS, contents_pages=2)
    assert [(r["label"], r["page"]) for r in rows] == [
        ("一、组织机构与网格", "3"), ("\u3000\u3000网格图", "3"), ("二、责任书", "4"), ("\u3000\u3000责任书甲", "4"),
        ("\u3000\u3000责任书乙", "7"), ("三、宣传培训（本年度无已印发文件）", "—"), ("四、考评", "9"),
        ("\u3000\u3000考评表", "9")]
    assert layout.contents_entries(SECTIONS, contents_pages=3)[0]["page"] == "4"


def test_bookmarks_point_at_the_pages_the_contents_name():
    reader = PdfReader(io.BytesIO(layout.bind(blank(2), SECTIONS)))
    assert len(reader.pages) == 2 + 1 + 5 + 6
    pages = {}
    for item in reader.outline:
        for entry in item if isinstance(item, list) else [item]:
            pages[entry.title] = str(reader.get_destination_page_number(entry) + 1)
    rows = {r["label"].strip("\u3000"): r["page"] for r in layout.contents_entries(SECTIONS, contents_pages=2)}
    assert pages.pop("封面与目录") == "1"
    assert pages == {label: page for label, page in rows.items() if page != "—"}
