"""A one-paragraph notice whose closing does not fit on page 1: the body starts on page 1 and its last
two lines go with the 署名 onto page 2 (what Word's keep-with-next does), never the whole body moved
off page 1 leaving the header alone (what LibreOffice does with a kept paragraph)."""

from __future__ import annotations

import copy
import io
import re

import docx as python_docx
import pytest

from tests.documents.test_layout_verifier import SENTENCE, pages_text
from webapp.documents import layout_loop


@pytest.mark.parametrize("sentences", [2, 3])
def test_the_body_starts_on_page_one_and_its_last_lines_go_with_the_signature(sentences, library, renderer,
                                                                              converter):
    context = copy.deepcopy(library.spec("notice").sample)
    body = SENTENCE * sentences
    context["body"] = [{"level": 0, "text": body}]
    outcome = layout_loop.produce(renderer.render("notice", context), converter, layout="standard",
                                  unbroken=renderer.unbroken("notice", context))

    assert outcome.report.passed, outcome.report.label
    pages = pages_text(outcome.pdf)
    assert SENTENCE[:12] in pages[0]  # the body begins under the 主送, not on page 2
    signature_page = max(n for n, text in enumerate(pages) if context["signature"] in text)
    assert signature_page == 1 and pages[1].split("附件")[0].endswith(body[-6:])
    printed = "".join(re.sub(r"—\d+—", "", text) for text in pages)
    assert body in printed  # not a character lost at the split

    paragraphs = [p for p in python_docx.Document(io.BytesIO(outcome.docx)).paragraphs if p.text.strip()]
    tail = next(p for p in paragraphs if body.endswith(p.text) and p.text != body)
    head = paragraphs[paragraphs.index(tail) - 1]
    assert head.text + tail.text == body and len(tail.text) < len(body) // 2
    assert tail.paragraph_format.first_line_indent in (None, 0) and tail.paragraph_format.keep_with_next
