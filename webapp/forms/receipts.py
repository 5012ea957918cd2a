"""The recipient's 落实情况 reply to a delivered document (签收回执)."""

from __future__ import annotations

from wtforms import FileField, TextAreaField

from webapp.forms.common import ChineseForm, max_length, required


class ReceiptReplyForm(ChineseForm):
    reply = TextAreaField("落实情况", validators=[required("请填写落实情况。"), max_length(2000)],
                          description="做了什么、结果如何；提交即视为已签收", render_kw={"rows": 5})
    attachment = FileField("附件（可不传）", description="如落实情况报告、照片：图片、PDF、DOCX 或 XLSX")
