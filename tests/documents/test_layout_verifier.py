"""The layout verifier and the adjuster on rendered PDFs (the LibreOffice tests skip without soffice).

Edge renders are read back with pdfplumber here, independently of the verifier: the page that holds
the 成文日期 must also hold the end of the body text."""

from __future__ import annotations

import copy
import io
import re
import zipfile

import docx as python_docx
import pdfplumber
import pytest
from docx.oxml.ns import qn

from tests.docx_checks import check_gbt9704, check_pdf_text, checker_flags
from tests.layout_support import banji_to_even_pages
from webapp.documents import adjust, layout_loop
from webapp.documents.filters import cn_date
from webapp.documents.ooxml import LINE_PITCH
from webapp.documents.pdf import PdfConverter
from webapp.documents.verify_layout import LayoutReport, verify

SENTENCE = "各村（社区）要成立检查组，逐户检查出租屋、沿街门店和人员密集场所，建立隐患台账并跟踪整改到位。"


def pages_text(pdf: bytes) -> list[str]:
    with pdfplumber.open(io.BytesIO(pdf)) as opened:
        return [re.sub(r"\s", "", page.extract_text() or "") for page in opened.pages]


def assert_signature_page_has_body(pdf: bytes, sample: dict, body_end: str) -> None:
    """The last page naming the 成文日期 also shows the last characters of the body, before the 署名."""
    texts = pages_text(pdf)
    closing = sample["signature"] + cn_date(sample["date"])
    page = max(n for n, text in enumerate(texts) if closing in text)
    before_signature = texts[page].split(sample["signature"])[0]
    assert body_end in before_signature, (page + 1, texts[page][:200])


def notice_with_body(library, paragraphs: int, **changes) -> dict:
    sample = copy.deepcopy(library.spec("notice").sample)
    sample["body"] = [{"level": 0, "text": f"{n + 1}. {SENTENCE * 3}"} for n in range(paragraphs)]
    return {**sample, **changes}


def opinion_with_hazards(library, count: int) -> dict:
    sample = copy.deepcopy(library.spec("reinspection_opinion").sample)
    hazard = {"description": "疏散通道堆放货物，影响人员安全疏散", "location": "仓库后门", "corrected": False,
              "remark": "尚未清理。"}
    return {**sample, "hazards": [hazard] * count}


def strip_keep_next(content: bytes, signature: str) -> bytes:
    """The DOCX as it was before the adjuster kept the closing together (the template's own
    keep-with-next from the 署名 to its date stays)."""
    document = python_docx.Document(io.BytesIO(content))
    for paragraph in document.paragraphs:
        if paragraph.text != signature:
            for keep in paragraph._p.iter(qn("w:keepNext")):
                keep.getparent().remove(keep)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


@pytest.fixture(scope="module")
def edge_renders(converter, renderer, library):
    """Long bodies, a 20-page body, 15 抄送 and long 复查意见书: rendered and converted in one call."""
    cases = {
        "notice-20-pages": ("notice", notice_with_body(library, 70)),
        "notice-15-cc": ("notice", notice_with_body(library, 9, cc=[f"第{n}消防委员会办公室" for n in range(1, 16)])),
        **{f"notice-{n}": ("notice", notice_with_body(library, n)) for n in (5, 6, 7)},
        **{f"opinion-{n}": ("reinspection_opinion", opinion_with_hazards(library, n)) for n in range(8, 12)},
    }
    docx = {name: renderer.render(key, context) for name, (key, context) in cases.items()}
    pdfs = dict(zip(docx, converter.convert_many(list(docx.values())), strict=True))
    docx, pdfs = banji_to_even_pages(docx, pdfs, converter)
    return {name: (cases[name][0], cases[name][1], docx[name], pdfs[name]) for name in cases}



def test_edge_renders_keep_body_text_on_the_signature_page(edge_renders, library, tmp_path):
    assert len(pages_text(edge_renders["notice-20-pages"][3])) >= 20
    for name, (key, context, docx, pdf) in edge_renders.items():
        last = context["next_step"] if key == "reinspection_opinion" else context["body"][-1]["text"]
        assert_signature_page_has_body(pdf, context, re.sub(r"\s", "", last)[-6:])
        report = verify(docx, pdf, layout=library.spec(key).format)
        assert report.passed, (name, report.label)
        check_gbt9704(docx, *checker_flags(library.spec(key)), tmp_path=tmp_path, name=name)
        check_pdf_text(docx, pdf, tmp_path, name=name)


def test_fifteen_cc_entries_are_all_printed_on_the_last_page(edge_renders):
    _, context, _, pdf = edge_renders["notice-15-cc"]
    last = pages_text(pdf)[-1]
    assert "抄送：" + "，".join(context["cc"]) + "。" in last
    assert context["issuer"] + cn_date(context["issue_date"]) + "印发" in last


@pytest.fixture(scope="module")
def unkept_opinions(edge_renders, converter):
    """The long 复查意见书 without the adjuster's keep-with-next, converted, with their reports."""
    bare = [strip_keep_next(docx, context["signature"])
            for name, (_, context, docx, _) in edge_renders.items() if name.startswith("opinion")]
    return [(d, verify(d, p)) for d, p in zip(bare, converter.convert_many(bare), strict=True)]


def test_verifier_fails_when_the_signature_stands_alone(unkept_opinions):
    """Without the adjuster's keep-with-next one of these lengths leaves 署名 and date alone on a page."""
    alone = [report for _, report in unkept_opinions if report.failed("signature")]
    assert alone, [report.label for _, report in unkept_opinions]
    assert "只有署名和成文日期，没有正文" in alone[0].label and alone[0].label.startswith("未通过：")


def test_verifier_fails_on_a_pdf_that_lacks_text_of_the_docx(edge_renders):
    _, _, long_docx, _ = edge_renders["notice-15-cc"]
    _, _, _, short_pdf = edge_renders["notice-5"]
    report = verify(long_docx, short_pdf)
    assert report.failed("text") and report.failed("banji"), report.label
    assert "PDF 缺少" in report.label and "版记不完整" in report.label


def edit_body(content: bytes, change) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            target.writestr(item, change(data.decode()) if item.filename == "word/document.xml" else data)
    return out.getvalue()


def misplace(xml: str) -> str:
    """The red rule indented 10 mm on each side (136 mm) and the mark 8 mm lower (80 mm from the top)."""
    mark = re.search(r'w:before="(\d+)"', xml)  # the first paragraph: the 发文机关标志
    xml = xml[:mark.start(1)] + str(int(mark.group(1)) + 454) + xml[mark.end(1):]
    rule = xml.index('w:color="FF0000"/></w:pBdr>')
    indent = '<w:ind w:left="0" w:right="0"/>'
    at = xml.index(indent, rule)
    return xml[:at] + '<w:ind w:left="567" w:right="567"/>' + xml[at + len(indent):]


def test_verifier_fails_on_an_indented_rule_and_a_misplaced_mark(converter, renderer):
    crafted = edit_body(renderer.render_sample("notice"), misplace)
    report = verify(crafted, converter.convert(crafted))
    assert report.failed("rules") and report.failed("mark"), report.label
    assert "红色分隔线宽 136 mm，应为 156 mm" in report.label and "应为 72 mm" in report.label


@pytest.mark.slow
def test_every_sample_passes_the_verifier(converter, renderer, library):
    keys = library.keys()
    layouts = {key: library.spec(key).format for key in keys}
    documents = {key: renderer.render_sample(key) for key in layouts}
    pdfs = dict(zip(documents, converter.convert_many(list(documents.values())), strict=True))
    documents, pdfs = banji_to_even_pages(documents, pdfs, converter, layouts)
    for key, docx in documents.items():
        report = verify(docx, pdfs[key], layout=layouts[key])
        assert report.passed, (key, report.label)


@pytest.mark.slow
def test_adjust_loop_fixes_a_signature_left_alone_with_one_more_conversion(unkept_opinions, converter):
    """A DOCX whose first PDF leaves the 署名 alone: the loop keeps the closing together, sets 23 lines
    a page and converts once more, and that PDF passes."""
    failing = [docx for docx, report in unkept_opinions if report.failed("signature")]
    assert failing
    outcome = layout_loop.produce(failing[0], converter, layout="standard")
    assert outcome.report.conversions == 2
    assert outcome.report.passed and outcome.report.label == "通过（已收紧行距）", outcome.report.label
    styles = zipfile.ZipFile(io.BytesIO(outcome.docx)).read("word/styles.xml")
    assert f'w:line="{adjust.TIGHT_PITCH}"'.encode() in styles
    assert verify(outcome.docx, outcome.pdf).passed


def test_adjust_loop_without_libreoffice_says_the_check_did_not_run(renderer, tmp_path):
    missing = PdfConverter(tmp_path, soffice="/nonexistent/soffice")
    outcome = layout_loop.produce(renderer.render_sample("notice"), missing, layout="standard")
    assert outcome.pdf is None and outcome.report.status == "not_run"
    assert outcome.report.label == "未检查（服务器未安装 LibreOffice，未生成 PDF）"


def test_tighter_pitch_is_23_lines_a_page_in_styles_and_paragraphs(renderer):
    tight = adjust.tighten_line_pitch(renderer.render_sample("notice"))
    with zipfile.ZipFile(io.BytesIO(tight)) as archive:
        styles, body = archive.read("word/styles.xml"), archive.read("word/document.xml")
    assert adjust.TIGHT_PITCH * 23 <= 12756 < adjust.TIGHT_PITCH * 24
    assert f'w:line="{LINE_PITCH}"'.encode() not in styles + body
    assert f'w:line="{adjust.TIGHT_PITCH}"'.encode() in styles and f'w:line="{adjust.TIGHT_PITCH}"'.encode() in body


def test_report_round_trips_through_json():
    report = LayoutReport("failed", [], note="x")
    assert LayoutReport.from_json(report.to_json()) == report
    assert LayoutReport.from_json(None) is None


def char_lines(pdf: bytes, page_no: int = 0, keep=lambda char: True) -> list[list[dict]]:  # noqa: ANN001
    """The characters of a page (those ``keep`` accepts) grouped into lines (top within 3 pt), left to right."""
    with pdfplumber.open(io.BytesIO(pdf)) as opened:
        chars = [c for c in opened.pages[page_no].chars if c["text"].strip() and keep(c)]
    lines: list[list[dict]] = []
    for char in sorted(chars, key=lambda c: (round(c["top"]), c["x0"])):
        if lines and abs(lines[-1][0]["top"] - char["top"]) < 3:
            lines[-1].append(char)
        else:
            lines.append([char])
    return [sorted(line, key=lambda c: c["x0"]) for line in lines]


def line_starting(lines: list[list[dict]], text: str) -> list[dict]:
    return next(line for line in lines if "".join(c["text"] for c in line).startswith(text))


def x_of(line: list[dict], text: str) -> float:
    joined = "".join(c["text"] for c in line)
    return line[joined.index(text)]["x0"]


def test_signers_attachments_and_signature_are_placed_per_the_standard(converter, renderer, library):
    """Three 签发人 two a line, the last beside the 发文字号 and aligned under the first name; a long
    附件说明 name wraps under its own first character; the 署名 centred over the date."""
    sample = library.spec("notice_upward").sample
    long_name = "关于进一步加强全镇人员密集场所和九小场所消防安全隐患排查整治工作的实施方案（试行）"
    context = {**sample, "signer": ["周文", "欧阳明远", "李强"], "attachments": [long_name, "检查记录表"]}
    pdf = converter.convert(renderer.render("notice_upward", context))
    first = char_lines(pdf)
    row_one = line_starting(first, "签发人：")
    row_two = line_starting(first, sample["doc_number"])
    assert "".join(c["text"] for c in row_one).endswith("周文欧阳明远")
    assert abs(x_of(row_two, "李强") - x_of(row_one, "周文")) < 1
    assert row_two[0]["x0"] == pytest.approx(72 / 25.4 * 28 + 16 - 0.3, abs=2)  # one character in
    page = len(pages_text(pdf)) - 1
    lines = char_lines(pdf, page) if "附件：" in pages_text(pdf)[page] else char_lines(pdf, page - 1)
    attachment = line_starting(lines, "附件：")
    wrapped = lines[lines.index(attachment) + 1]
    second = lines[lines.index(attachment) + 2]
    assert abs(wrapped[0]["x0"] - x_of(attachment, "关于")) < 1
    assert abs(second[0]["x0"] - x_of(attachment, "1.")) < 1 and "".join(c["text"] for c in second).startswith("2.")
    closing = char_lines(pdf, len(pages_text(pdf)) - 1)
    signature = line_starting(closing, sample["signature"])
    date = line_starting(closing, cn_date(sample["date"]))

    def centre(line: list[dict]) -> float:
        return (line[0]["x0"] + line[-1]["x1"]) / 2

    assert abs(centre(signature) - centre(date)) < 8  # within half a character
    assert date[-1]["x1"] == pytest.approx(72 / 25.4 * (28 + 156) - 4 * 16, abs=4)  # four characters in
