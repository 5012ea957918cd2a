"""No line splits a 文号 or a name (verifier rule ``unbroken``), read on rendered PDFs.

The address before the 责任人 and the 机关代字 of the original notice are padded so that, printed
without fitting's protection (the empty ruby), the line ends inside ``彭秀兰`` and inside
``〔2026〕第0049号``; with the protection the same documents pass."""

from __future__ import annotations

import copy
import io
import re
import zipfile

import pdfplumber
import pytest

from webapp.documents import layout_loop
from webapp.documents.verify_layout import verify

# a protected run: <w:r><w:rPr/><w:ruby>…<w:rubyBase><w:r>text</w:r></w:rubyBase></w:ruby></w:r>
RUBY = re.compile(r"<w:r><w:rPr>(?:(?!</w:rPr>).)*</w:rPr><w:ruby>.*?<w:rubyBase>(<w:r>.*?</w:r>)</w:rubyBase>"
                  r"</w:ruby></w:r>", re.S)


def unprotected(content: bytes) -> bytes:
    """The DOCX with every name and 文号 as a plain run that a line may break inside."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "word/document.xml":
                data = RUBY.sub(r"\1", data.decode()).encode()
            target.writestr(item, data)
    return out.getvalue()


def contexts(library) -> dict[str, tuple[str, dict]]:
    notice = copy.deepcopy(library.spec("rectification_notice").sample)
    notice["unit"].update(responsible_person="彭秀兰", address="东" * 14 + "路1号")
    opinion = copy.deepcopy(library.spec("reinspection_opinion").sample)
    opinion["original_number"] = "消" * 6 + "〔2026〕第0049号"
    return {"notice": ("rectification_notice", notice), "opinion": ("reinspection_opinion", opinion)}


@pytest.fixture(scope="module")
def rendered(converter, renderer, library):
    """name → (DOCX, PDF, terms) for the protected and the unprotected renders, one conversion call."""
    docs, terms = {}, {}
    for name, (key, context) in contexts(library).items():
        docs[name] = renderer.render(key, context)
        docs[f"{name}-bare"] = unprotected(docs[name])
        terms[name] = terms[f"{name}-bare"] = renderer.unbroken(key, context)
    pdfs = dict(zip(docs, converter.convert_many(list(docs.values())), strict=True))
    return {name: (docs[name], pdfs[name], terms[name]) for name in docs}


def lines(pdf: bytes) -> list[str]:
    with pdfplumber.open(io.BytesIO(pdf)) as opened:
        return ["".join(line["text"].split()) for page in opened.pages for line in page.extract_text_lines()]


def test_terms_are_the_names_and_numbers_the_template_keeps_whole(renderer, library):
    key, context = contexts(library)["opinion"]
    terms = renderer.unbroken(key, context)
    assert "〔2026〕第0049号" in terms and context["doc_number"][-12:] in terms
    assert set(context["reinspection"]["inspectors"]) <= set(terms)
    minutes = library.spec("minutes").sample
    attendee = minutes["attendees"][0].rpartition(" ")[2]  # "单位 姓名": the name
    assert attendee in renderer.unbroken("minutes", minutes)


def test_verifier_fails_on_a_name_or_number_split_across_lines(rendered):
    docx, pdf, terms = rendered["notice-bare"]
    printed = lines(pdf)  # read independently of the verifier
    assert any(a.endswith("彭秀") and b.startswith("兰") for a, b in zip(printed, printed[1:], strict=False))
    report = verify(docx, pdf, unbroken=terms)
    assert report.failed("unbroken") and "“彭秀兰”被拆在两行（彭秀 / 兰）" in report.label, report.label
    docx, pdf, terms = rendered["opinion-bare"]
    report = verify(docx, pdf, unbroken=terms)
    assert "“〔2026〕第0049号”被拆在两行（〔2026〕第 / 0049号）" in report.label, report.label


def test_protected_names_and_numbers_stay_on_one_line(rendered):
    for name, term in (("notice", "彭秀兰"), ("opinion", "〔2026〕第0049号")):
        docx, pdf, terms = rendered[name]
        assert any(term in line for line in lines(pdf)), name
        report = verify(docx, pdf, unbroken=terms)
        assert report.passed, (name, report.label)


@pytest.mark.slow
def test_issuing_path_checks_the_terms(rendered, converter):
    docx, _, terms = rendered["opinion"]
    assert layout_loop.produce(docx, converter, layout="standard", unbroken=terms).report.passed
    docx, _, terms = rendered["opinion-bare"]
    report = layout_loop.produce(docx, converter, layout="standard", unbroken=terms).report
    assert report.failed("unbroken") and report.conversions == 1


@pytest.mark.slow
def test_a_wenhao_cited_in_an_attachment_name_never_breaks(library, renderer, converter):
    """The 移交函's 附件 names the 整改通知书 by its 文号 (the demo year's 移交函 once failed on
    ``〔2026〕第 / 0006号``): at every position along the line the 文号 stays whole."""
    variants = []
    for pad in range(28):
        context = copy.deepcopy(library.spec("referral_letter").sample)
        number = "松林消通〔2026〕第0006号"
        context["actions_taken"] = f"我镇已下发《火灾隐患整改通知书》（{number}），该单位仍未整改。"
        context["attachments"] = ["现场照片3张", "东" * pad + f"火灾隐患整改通知书（{number}）"]
        variants.append(context)
    rendered = [renderer.render("referral_letter", context) for context in variants]
    layout = library.spec("referral_letter").format
    terms = tuple(renderer.unbroken("referral_letter", variants[0]))
    assert "〔2026〕第0006号" in terms
    for pad, (docx, pdf) in enumerate(zip(rendered, converter.convert_many(rendered), strict=True)):
        report = verify(docx, pdf, layout=layout, unbroken=terms)
        assert not report.failed("unbroken"), (pad, report.label)
    # the same letters without the protection: somewhere along the line the 文号 breaks (the check can fail)
    bare = [unprotected(docx) for docx in rendered]
    assert any(verify(docx, pdf, layout=layout, unbroken=terms).failed("unbroken")
               for docx, pdf in zip(bare, converter.convert_many(bare), strict=True))
