"""Fire-safety law documents: 隐患整改通知书, 复查意见书 (numbered 代字〔年〕第NNNN号)
and the 移交函 in 信函格式 (a 函: the ordinary 文号 代字〔年〕N号)."""

from __future__ import annotations

from webapp.documents.layout import BODY, FLUSH_LEFT, GbDocument
from webapp.documents.ooxml import CHAR_WIDTH, LINE_PITCH, Border
from webapp.documents.template_builder import (
    NUMBER_LINE,
    attachments,
    banji,
    letter_mark,
    red_header,
    signature_and_date,
    title_and_addressees,
)

HAZARD = BODY.but(left=0)
RECEIPT_RULE = FLUSH_LEFT.but(before=2 * LINE_PITCH, borders=(Border("top", val="dashed", size=6, space=4),))
# Names and 文号 print as runs no line breaks inside (王秀英, not 王 / 秀英; fitting.nobreak).
INSPECTORS = "{{r inspection.inspectors|nobreak }}"
# single spacing: the body's exact line height would clip the picture to one line
LINK_PICTURE = FLUSH_LEFT.but(line=240, line_rule="auto", keep_next=True)
LINK_ADDRESS = FLUSH_LEFT.but(run=FLUSH_LEFT.run.but(size=14))  # 四号: a long address stays on one line
KEEP_SAFE = "整改期间，你单位应当采取措施，确保消防安全；对拒不整改的，将依法移交公安派出所或消防救援机构处理。"


def _to_unit(title: str) -> GbDocument:
    """A red-header document of the town addressed to the inspected unit."""
    doc = GbDocument(title=title)
    red_header(doc)
    title_and_addressees(doc, "{{ unit.name }}：")
    return doc


def _hazard_rows(doc: GbDocument, line: str) -> None:
    """One numbered paragraph per hazard of the case (docxtpl repeats the paragraph)."""
    doc.tag("{%p for hazard in hazards %}")
    doc.para(HAZARD, line)
    doc.tag("{%p endfor %}")


def _receipt(doc: GbDocument) -> None:
    """签收 block of the file copy (存根): blank for a pen, filled once a receipt is recorded."""
    doc.para(RECEIPT_RULE, "被检查单位签收（存档联）")
    doc.para(BODY, "签收人：{% if receipt %}{{ receipt.name }}{% else %}　　　　　　{% endif %}"
             "　　签收日期：{% if receipt %}{{ receipt.date|cn_date }}{% else %}　　年　　月　　日{% endif %}")


def _unit_link(doc: GbDocument) -> None:
    """The unit's own link under the closing lines: its QR code and the address to type, when the town has a
    public address to print (FIREGRID_PUBLIC_URL)."""
    doc.tag("{%p if unit_link %}")
    doc.para(FLUSH_LEFT.but(before=LINE_PITCH, keep_next=True), "扫码上传整改照片、申请复查或延期：")
    doc.para(LINK_PICTURE, "{{r unit_link.qr }}")
    doc.para(LINK_ADDRESS.but(keep_next=True), "{{ unit_link.url }}")
    doc.para(LINK_ADDRESS, "（链接有效期至{{ unit_link.valid_until|cn_date }}）")
    doc.tag("{%p endif %}")


def build_rectification_notice() -> GbDocument:
    doc = _to_unit("火灾隐患整改通知书")
    doc.para(BODY, "{{ inspection.date|cn_date }}，我镇消防安全检查组（检查人员：", INSPECTORS,
             "）依据《中华人民共和国消防法》等规定，对你单位（地址：{{ unit.address }}；消防安全责任人：",
             "{{r unit.responsible_person|nobreak }}", "）进行了消防安全检查，发现存在下列火灾隐患：")
    _hazard_rows(doc, "{{ loop.index }}. {{ hazard.description }}（位置：{{ hazard.location }}）。"
                 "违反{{ hazard.legal_basis }}的规定，责令于{{ hazard.deadline|cn_date }}前改正。")
    doc.para(BODY, KEEP_SAFE)
    doc.para(BODY, "整改完毕或整改期限届满后，请向{{ contact_office }}申请复查。")
    signature_and_date(doc)
    _unit_link(doc)
    _receipt(doc)
    return doc


def build_reinspection_opinion() -> GbDocument:
    doc = _to_unit("复查意见书")
    doc.para(BODY, "根据《火灾隐患整改通知书》（", "{{r original_number|nobreak_numbers }}",
             "），{{ reinspection.date|cn_date }}，我镇消防安全检查组（检查人员：",
             "{{r reinspection.inspectors|nobreak }}", "）对你单位火灾隐患整改情况进行了复查，情况如下：")
    _hazard_rows(doc, "{{ loop.index }}. {{ hazard.description }}（位置：{{ hazard.location }}）："
                 "{% if hazard.corrected %}已整改{% else %}未整改{% endif %}。"
                 "{% if hazard.remark %}{{ hazard.remark }}{% endif %}")
    doc.para(BODY, "复查结论：{{ conclusion }}")
    doc.tag("{%p if next_step %}")
    doc.para(BODY, "{{ next_step }}")
    doc.tag("{%p endif %}")
    signature_and_date(doc)
    _receipt(doc)
    return doc


def build_referral_letter() -> GbDocument:
    """信函格式: red organ name over a red thick-thin double rule, number at the right under
    it, no page number on page 1 and a thin-thick double rule at its bottom (footer)."""
    doc = GbDocument(title="移交函", letter_rule_footer=True)
    letter_mark(doc)
    doc.para(NUMBER_LINE.but(align="right", before=LINE_PITCH // 2, right=CHAR_WIDTH, borders=()),
             "{{ doc_number }}")
    title_and_addressees(doc, "{{ addressee }}：")
    # Several units' hazards in one letter (a bundle, e.g. what villages reported up), or one inspected unit.
    doc.tag("{%p if units %}")
    doc.para(BODY, "我镇在消防安全检查、巡查和村（社区）上报中发现，下列{{ units|length }}家单位存在火灾隐患：")
    doc.tag("{%p for item in units %}")
    doc.para(BODY, "{{ loop.index }}. {{ item.name }}（地址：{{ item.address }}；负责人：",
             "{{r item.responsible_person|nobreak }}", "，联系电话：{{ item.phone }}）：{{ item.hazards }}。")
    doc.tag("{%p endfor %}")
    doc.tag("{%p elif unit and inspection %}")
    doc.para(BODY, "{{ inspection.date|cn_date }}，我镇消防安全检查组（检查人员：", INSPECTORS,
             "）在检查中发现，{{ unit.name }}（地址：{{ unit.address }}；负责人：",
             "{{r unit.responsible_person|nobreak }}", "，联系电话：{{ unit.phone }}）存在下列火灾隐患：")
    doc.tag("{%p else %}")
    doc.para(BODY, "我镇在消防安全检查中发现下列火灾隐患：")
    doc.tag("{%p endif %}")
    _hazard_rows(doc, "{{ loop.index }}. {{ hazard.description }}（位置：{{ hazard.location }}）。")
    doc.para(BODY, "{{r actions_taken|nobreak_numbers }}")
    # one request: the clerk's own words (if any), then the feedback deadline, never twice
    doc.para(BODY, "根据{{ legal_basis|join('、') }}的规定，现将上述火灾隐患移交你单位依法处理。"
             "{% if request %}{{ request }}{% endif %}"
             "请于收到本函之日起{{ feedback_days }}日内将处理情况书面反馈我镇。")
    attachments(doc)
    signature_and_date(doc, note=None)
    doc.para(BODY, "（联系人：", "{{r contact.name|nobreak }}", "，联系电话：{{ contact.phone }}）")
    doc.tag("{%p if cc %}")
    banji(doc, with_issuer=False)
    doc.tag("{%p endif %}")
    return doc


BUILDERS = {
    "rectification_notice": build_rectification_notice,
    "reinspection_opinion": build_reinspection_opinion,
    "referral_letter": build_referral_letter,
}
