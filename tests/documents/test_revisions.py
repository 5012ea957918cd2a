"""痕迹稿 generation: accepting every revision gives the new text, rejecting every one gives the old; the text
diff marks Chinese by word or character and escapes what it shows."""

from __future__ import annotations

import copy
import io
from datetime import datetime

import docx
import pytest
from docx.oxml import OxmlElement
from docx.oxml.ns import qn

from webapp.clock import TZ
from webapp.documents.revisions import tracked_docx
from webapp.documents.textdiff import diff_html, segments

WHEN = datetime(2026, 3, 2, 10, 30, tzinfo=TZ)


def _docx(paragraphs: list[str], ruby_after: int | None = None) -> bytes:
    document = docx.Document()
    for index, text in enumerate(paragraphs):
        paragraph = document.add_paragraph()
        paragraph.add_run(text).bold = index == 0  # the title run has its own properties
        if index == ruby_after:
            paragraph._p.append(_ruby_run("张三丰"))
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _ruby_run(name: str):  # noqa: ANN202 - a w:r holding a name kept whole (fitting.nobreak's shape)
    run, ruby, base, inner, text = (OxmlElement(tag) for tag in ("w:r", "w:ruby", "w:rubyBase", "w:r", "w:t"))
    text.text = name
    inner.append(text)
    base.append(inner)
    ruby.append(OxmlElement("w:rubyPr"))
    ruby.append(OxmlElement("w:rt"))
    ruby.append(base)
    run.append(ruby)
    return run


def _paragraphs(content: bytes, *, accept: bool) -> list[str]:
    """The text after accepting (or rejecting) every revision."""
    drop, keep_text = ("w:del", "w:t") if accept else ("w:ins", "w:delText")
    result = []
    for p in docx.Document(io.BytesIO(content)).element.body.iter(qn("w:p")):
        mark = p.find(f"{qn('w:pPr')}/{qn('w:rPr')}")
        if mark is not None and mark.find(qn(drop)) is not None:
            continue
        parts = [t.text or "" for t in p.iter(qn("w:t"), qn("w:delText"))
                 if not any(a.tag == qn(drop) for a in t.iterancestors())
                 and (t.tag == qn("w:t") or t.tag == qn(keep_text))]
        result.append("".join(parts))
    return result


CASES = [
    (["关于开展消防检查的通知", "一、逐户检查隐患。", "删掉这一段。", "请遵照执行。"],
     ["关于开展消防排查的通知", "一、逐户排查隐患，建立台账。", "请遵照执行。", "新增一段。"]),
    (["标题", "甲"], ["标题"]),
    (["标题"], ["新标题", "乙", "丙"]),
    (["相同", "A&B<c>"], ["相同", "A&B<d>"]),
]


@pytest.mark.parametrize(("old", "new"), CASES)
def test_accepting_gives_the_new_text_and_rejecting_the_old(old, new):
    content = tracked_docx(_docx(old), _docx(new), author="秦志远", at=WHEN)
    assert _paragraphs(content, accept=True) == new
    assert _paragraphs(content, accept=False) == old
    body = docx.Document(io.BytesIO(content)).element.body
    marks = list(body.iter(qn("w:ins"), qn("w:del")))
    assert marks and {m.get(qn("w:author")) for m in marks} == {"秦志远"}
    assert {m.get(qn("w:date")) for m in marks} == {"2026-03-02T10:30:00"}
    ids = [m.get(qn("w:id")) for m in marks]
    assert len(ids) == len(set(ids))


def test_changed_words_keep_their_run_properties_and_whole_runs_stay_whole():
    old, new = ["关于检查的通知", "联系人："], ["关于排查的通知", "联系人（镇消安办）："]
    content = tracked_docx(_docx(old, ruby_after=1), _docx(new, ruby_after=1), author="秦志远", at=WHEN)
    body = docx.Document(io.BytesIO(content)).element.body
    inserted = next(body.iter(qn("w:ins")))
    assert inserted.find(f"{qn('w:r')}/{qn('w:rPr')}/{qn('w:b')}") is not None  # the title stays bold
    assert len(list(body.iter(qn("w:ruby")))) == 1  # the name moved as it was, not copied or split
    assert _paragraphs(content, accept=True) == ["关于排查的通知", "联系人（镇消安办）：张三丰"]


def test_a_deleted_paragraph_leaves_its_section_break_behind():
    old = docx.Document(io.BytesIO(_docx(["标题", "第二节"])))
    section = copy.deepcopy(old.element.body.find(qn("w:sectPr")))
    old.paragraphs[1]._p.get_or_add_pPr().append(section)
    out = io.BytesIO()
    old.save(out)
    content = tracked_docx(out.getvalue(), _docx(["标题"]), author="秦志远", at=WHEN)
    body = docx.Document(io.BytesIO(content)).element.body
    assert len(list(body.iter(qn("w:sectPr")))) == 1


def test_text_diff_by_word_by_character_and_escaped():
    assert [(s.op, s.text) for s in segments("逐户检查隐患", "逐户排查隐患")] == [
        ("equal", "逐户"), ("delete", "检查"), ("insert", "排查"), ("equal", "隐患")]
    assert [(s.op, s.text) for s in segments("检查", "排查", by="char")] == [
        ("delete", "检"), ("insert", "排"), ("equal", "查")]
    html = str(diff_html("通知&", "<script>通知</script>"))
    assert "<script" not in html and "&lt;script&gt;" in html and '<del class="diff-del">&amp;</del>' in html
