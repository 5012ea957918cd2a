"""User text renders verbatim; the prepared renderer matches bare docxtpl; filters."""

from __future__ import annotations

import copy
import datetime as dt
import io
import threading
import zipfile

import docx
import pytest
from docx.oxml.ns import qn

from tests.documents.test_doc_templates import all_text
from webapp.documents.filters import amount, cn_date, cn_number, num

NASTY = ["张三&李四<加油站>", 'He said "快跑" & \'走\'', "火🔥情", "𠮷野家", "a < b > c && d", "{{ not_a_tag }}"]


def notice_with(library, **changes):
    context = copy.deepcopy(library.spec("notice").sample)
    context.update(changes)
    return context


def test_user_text_is_escaped_and_kept(renderer, library):
    body = [{"level": 0, "text": text} for text in NASTY]
    context = notice_with(library, title=NASTY[0], body=body, cc=["张三&李四<加油站>"])
    text = all_text(docx.Document(io.BytesIO(renderer.render("notice", context))))
    for value in NASTY:
        assert value in text


def test_body_newlines_become_paragraphs_and_long_paragraphs_survive(renderer, library):
    long_text = "消防安全" * 1250
    context = notice_with(library, body=[{"level": 0, "text": "第一行\n第二行"}, {"level": 1, "text": "标题\r\n正文"},
                                         {"level": 0, "text": long_text}])
    document = docx.Document(io.BytesIO(renderer.render("notice", context)))
    texts = [p.text for p in document.paragraphs]
    assert "第一行" in texts and "第二行" in texts and "一、标题" in texts and "正文" in texts
    assert not any(p._p.find(f".//{qn('w:br')}") is not None for p in document.paragraphs if "第" in p.text)
    assert long_text in all_text(document)


def test_newlines_in_other_fields_are_line_breaks_that_are_not_stretched(renderer, library):
    context = copy.deepcopy(library.spec("referral_letter").sample)
    context["actions_taken"] = "已下发整改通知书。\n已复查，仍未整改。"
    document = docx.Document(io.BytesIO(renderer.render("referral_letter", context)))
    broken = [p for p in document.paragraphs if "已下发整改通知书。" in p.text]
    assert broken and broken[0]._p.find(f".//{qn('w:br')}") is not None
    compat = document.settings.element.find(qn("w:compat"))
    assert compat[0].tag == qn("w:doNotExpandShiftReturn")


def test_empty_optional_fields_leave_nothing(renderer, library):
    context = notice_with(library, note=None, cc=[], attachments=[])
    text = all_text(docx.Document(io.BytesIO(renderer.render("notice", context))))
    assert "None" not in text and "抄送" not in text and "附件" not in text and "（）" not in text


def test_missing_required_variable_is_an_error(renderer, library):
    context = notice_with(library)
    del context["title"]
    with pytest.raises(Exception, match="title"):
        renderer.render("notice", context)


def document_texts(data: bytes) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = [n for n in archive.namelist() if n.startswith("word/") and n.endswith(".xml")
                 and n.split("/")[-1].startswith(("document", "header", "footer"))]
        return {n: docx.oxml.parse_xml(archive.read(n)).xpath("string(.)") for n in names}


def test_prepared_output_text_equals_bare_docxtpl(renderer, library):
    for key in library:
        sample = library.spec(key).sample
        prepared, bare = renderer.render(key, sample), renderer.render_unprepared(key, sample)
        assert document_texts(prepared) == document_texts(bare), key
        docx.Document(io.BytesIO(prepared))  # opens


def test_prepared_rendering_is_thread_safe(renderer, library):
    expected = document_texts(renderer.render_sample("responsibility_letter"))
    results, errors = [], []

    def work():
        try:
            results.append(document_texts(renderer.render_sample("responsibility_letter")))
        except Exception as exc:  # noqa: BLE001 - collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors and all(r == expected for r in results)


def test_filters():
    assert cn_date("2026-05-08") == "2026年5月8日"
    assert cn_date(dt.date(2026, 11, 23)) == "2026年11月23日"
    assert cn_date(None) == ""
    assert [cn_number(n) for n in (1, 3, 10, 12, 20, 21, 105, 110)] == [
        "一", "三", "十", "十二", "二十", "二十一", "一百零五", "一百一十"]
    assert amount(12345.5) == "12,345.50"
    assert (num(18.0), num(96.5), num(None)) == ("18", "96.5", "")


DOCXTPL_ESCAPES = ["{_{7*7}_}", "{_% if x %_}", "下划线_", "_开头", "snake_case 保留", "50%_}"]


@pytest.mark.parametrize("path", ["prepared", "unprepared"])
def test_docxtpl_escape_sequences_typed_by_users_print_as_typed(renderer, library, path):
    """Issue 17, item 14: docxtpl's `{_{` → `{{` rewrite is for template authors, not for user text."""
    body = [{"level": 0, "text": text} for text in DOCXTPL_ESCAPES]
    context = notice_with(library, title="{_{7*7}_}", body=body)
    render = renderer.render if path == "prepared" else renderer.render_unprepared
    document = docx.Document(io.BytesIO(render("notice", context)))
    paragraphs = [p.text for p in document.paragraphs]
    for text in DOCXTPL_ESCAPES:
        assert text in paragraphs, (text, paragraphs)
    assert "{_{7*7}_}" in all_text(document) and "{{7*7}}" not in all_text(document)
