"""The admin's form for a report layout (统计表样式)."""

from __future__ import annotations

from wtforms import StringField, TextAreaField

from webapp.forms.common import ChineseForm, max_length, optional, required


class LayoutForm(ChineseForm):
    name = StringField("统计表名称", validators=[required("请填写统计表名称。"), max_length(100)])
    first_heading = StringField("第一列表头（网格）", validators=[optional(), max_length(50)], default="单位")
    mapping = TextAreaField("各列（一行一列：表头=指标）", validators=[required("至少要有一列。"), max_length(4000)])
