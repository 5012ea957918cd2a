"""Each template's sample renders, opens, carries its fields and follows GB/T 9704."""

from __future__ import annotations

import io

import docx
import pytest
from docx.oxml.ns import qn

from tests.documents.conftest import REPO
from tests.docx_checks import (
    assert_body_font,
    assert_doc_number,
    assert_minutes_format,
    assert_red_mark,
    assert_title_font,
    check_gbt9704,
    checker_flags,
    text_runs,
)
from webapp.documents.manifest import TemplateLibrary

LIBRARY = TemplateLibrary.load(REPO / "doc_templates")
RED_HEADER = sorted(key for key in LIBRARY if LIBRARY.spec(key).red_header)

EXPECTED = {
    "notice": ["示例区松林镇人民政府文件", "松林府发〔2026〕7号", "关于开展2026年夏季消防安全大检查的通知",
               "各村（社区）、镇直各部门、辖区各单位：", "一、检查范围", "（一）加强组织领导",
               "附件：1.夏季消防安全大检查工作方案", "2026年5月8日", "抄送：示例区消防救援大队，松林派出所。"],
    "notice_upward": ["松林府发〔2026〕9号", "签发人：", "周文", "示例区人民政府："],
    "bulletin": ["松林府发〔2026〕12号", "名次", "新河社区", "96.5", "优秀", "一、表扬与批评"],
    "rectification_notice": ["松林消整〔2026〕第0007号", "松林村恒发超市：", "示例区松林镇松林村商业街18号",
                             "赵海",
                             "陈立群、刘静", "《中华人民共和国消防法》第二十八条", "2026年5月13日前改正",
                             "整改期间，你单位应当采取措施，确保消防安全", "签收人：",
                             "扫码上传整改照片、申请复查或延期：", "https://xf.example.gov.cn/n/7-Zb3kQ9xT2mLp"],
    "reinspection_opinion": ["松林消复〔2026〕第0003号", "松林消整〔2026〕第0007号", "已整改", "未整改",
                             "复查结论：部分隐患未整改。", "2026年5月23日"],
    "referral_letter": ["松林府函〔2026〕3号", "示例区公安分局松林派出所：", "13800000000", "15日内",
                        "附件：1.火灾隐患整改通知书", "联系人：陈立群"],
    "responsibility_letter": ["2026年度消防安全目标责任书", "甲方：示例区松林镇人民政府", "乙方：松林村村民委员会",
                              "一式三份", "2026年1月1日起至2026年12月31日止", "甲方（盖章）："],
    "minutes": ["松林镇消防安全委员会会议纪要", "第2期", "一、抓好隐患整改", "出席：", "镇政府 周文，松林村 王建国",
                "请假：", "记录："],
    "inspection_record": ["JC-2026-0031", "松林村恒发超市", "2026年5月6日 09:30", "灭火器配置", "疏散通道堆放货物"],
    "evaluation_sheet": ["2025年度消防安全工作考评表", "柏树村村民委员会", "签订消防安全目标责任书",
                         "合计", "100", "78"],
    "rectification_plan": ["火灾隐患整改计划及延期审批表", "松林消整〔2026〕第0007号", "申请延至", "2026年5月13日",
                           "2026年5月27日", "同意延期", "整改期间仓库停止用电"],
    "interview_record": ["消防安全约谈记录", "约谈后期限", "2026年5月20日", "2026年6月1日", "6月1日前更换灭火器。",
                         "逾期仍未整改的，依法移交"],
    "unit_file": ["单位消防安全档案（一户一档）", "松林村恒发超市", "QS7K2M", "松林消整〔2026〕第0007号",
                  "记录5条，附文件3份、现场照片2张"],
    "campaign_report": ["打通生命通道专项行动总结报告", "2026-11-01 至 2026-11-30", "检查隐患已整改",
                        "1. 疏散通道是否畅通"],
    "ledger_binder_contents": ["松林镇2026年度", "消防安全网格化管理台账", "目　录", "一、责任书", "5"],
}


def all_text(document) -> str:
    return "\n".join("".join(t.text or "" for t in p.iter(qn("w:t"))) for p in document.element.body.iter(qn("w:p")))


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_sample_renders_with_its_fields(renderer, library, key):
    document = docx.Document(io.BytesIO(renderer.render_sample(key)))
    text = all_text(document)
    for expected in EXPECTED[key]:
        assert expected in text, f"{key}: {expected!r} missing"
    assert "None" not in text and "{{" not in text and "{%" not in text


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_page_setup_and_fonts(renderer, key):
    document = docx.Document(io.BytesIO(renderer.render_sample(key)))
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    margins = [section.top_margin, section.bottom_margin, section.left_margin, section.right_margin]
    assert [round(m.mm) for m in margins] == [37, 35, 28, 26]
    styles = document.styles.element
    default_rpr = styles.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    fonts = default_rpr.find(qn("w:rFonts"))
    assert {fonts.get(qn(f"w:{a}")) for a in ("ascii", "hAnsi", "eastAsia")} == {"仿宋_GB2312"}
    assert default_rpr.find(qn("w:sz")).get(qn("w:val")) == "32"
    assert default_rpr.find(qn("w:spacing")).get(qn("w:val")) == "-6"
    assert not any(k.endswith("Theme") or k.endswith("theme") for f in styles.iter(qn("w:rFonts")) for k in f.attrib)
    assert section._sectPr.find(qn("w:docGrid")).get(qn("w:type")) is None  # no linesAndChars grid
    assert document.settings.odd_and_even_pages_header_footer


@pytest.mark.parametrize("key", RED_HEADER)
def test_red_header_runs(renderer, library, key):
    spec = library.spec(key)
    document = docx.Document(io.BytesIO(renderer.render_sample(key)))
    lines = [p for p in document.paragraphs if p.text.strip()]
    if spec.format == "minutes":
        attendance = {"出席": "镇政府 周文，松林村 王建国，柏树村 孙丽，新河社区 何平", "请假": "镇派出所 吴强"}
        assert_minutes_format(document, mark=spec.sample["mark"], issue_no=spec.sample["issue_no"],
                              attendance=attendance)
        assert_body_font(document, lines[3].text[:12])
    else:
        assert_red_mark(document, spec.sample["organ_mark"])
        assert_doc_number(document, spec.sample["doc_number"])
        assert_title_font(document, spec.sample["title"])
        assert_body_font(document, lines[3].text[:12], lines[4].text[:12])
    headings = [p for p in document.paragraphs if p.text.startswith("一、")]
    for heading in headings:
        assert text_runs(heading)[0]._r.rPr.rFonts.get(qn("w:eastAsia")) == "黑体"
        assert heading._p.pPr.find(qn("w:keepNext")) is not None


def test_letter_format_has_no_page_number_on_page_one(renderer):
    document = docx.Document(io.BytesIO(renderer.render_sample("referral_letter")))
    section = document.sections[0]
    assert section.different_first_page_header_footer
    assert "PAGE" not in section.first_page_footer._element.xml


@pytest.mark.parametrize("key", RED_HEADER)
def test_gbt9704_checker_passes(renderer, library, tmp_path, key):
    check_gbt9704(renderer.render_sample(key), *checker_flags(library.spec(key)), tmp_path=tmp_path, name=key,
                  no_warnings=True)


def test_every_red_header_template_is_checked():
    assert set(RED_HEADER) == {"notice", "notice_upward", "bulletin", "rectification_notice", "reinspection_opinion",
                   "referral_letter", "minutes"}


def test_responsibility_letter_defaults_cover_every_kind(library):
    clauses = library.spec("responsibility_letter").defaults["duty_clauses"]
    assert set(clauses) == {"village", "department", "key_unit", "small_venue", "other_unit"}
    assert library.spec("responsibility_letter").copies == 3
