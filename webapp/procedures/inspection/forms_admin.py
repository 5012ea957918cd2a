"""Forms of the inspection pages outside the workflow: the monthly plan and the checklist (admin)."""

from __future__ import annotations

from typing import Any

from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    ValidationError,
    widgets,
)
from wtforms.validators import NumberRange

from webapp.forms.common import ChineseForm, max_length, optional, required
from webapp.forms.widgets import CnDateField
from webapp.models.grid import UNIT_CATEGORIES
from webapp.models.users import User
from webapp.procedures.inspection.models import ChecklistItem
from webapp.procedures.inspection.plans import inspectors_for
from webapp.services.grid import nodes_in_scope


class _Checkboxes(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class PlanForm(ChineseForm):
    grid_id = SelectField("网格", coerce=int, validate_choice=False)
    day = CnDateField("检查日", validators=[required("请填写检查日。")])
    group_1 = _Checkboxes("第1检查组（不少于2人）", coerce=int, validate_choice=False)
    group_2 = _Checkboxes("第2检查组（可不编排）", coerce=int, validate_choice=False)

    def setup(self, session: Any, user: User) -> None:
        self.grid_id.choices = [(n.id, n.display_path()) for n in nodes_in_scope(session, user)
                                if n.level in ("town", "village", "area")]
        people = [(u.id, u.display_name) for u in inspectors_for(session, user)]
        self.group_1.choices = self.group_2.choices = people

    def validate_group_1(self, field: Any) -> None:
        if len(set(field.data or [])) < 2:
            raise ValidationError("每个检查组不少于2名检查人员。")

    def validate_group_2(self, field: Any) -> None:
        if field.data and len(set(field.data)) < 2:
            raise ValidationError("每个检查组不少于2名检查人员。")

    def validate_grid_id(self, field: Any) -> None:
        if field.data not in {value for value, _label in field.choices}:
            raise ValidationError("请选择网格。")

    def groups(self) -> list[list[int]]:
        return [list(f.data) for f in (self.group_1, self.group_2) if f.data]


class ChecklistItemForm(ChineseForm):
    model = ChecklistItem
    name = StringField("检查项目", validators=[required("请填写检查项目名称。"), max_length(100)])
    guidance = TextAreaField("检查要点/标准", validators=[optional(), max_length(500)], render_kw={"rows": 2},
                             description="检查人员逐项对照的合格标准，如“疏散通道畅通，未被占用、堵塞”。")
    legal_basis = StringField("法律依据", validators=[optional(), max_length(200)],
                              description="如：《中华人民共和国消防法》第二十八条。不合格时以此写入整改通知书；"
                                          "不填则由文书在拟制通知书时填写。")
    categories = _Checkboxes("适用场所类型（可多选，不选则适用全部）", choices=list(UNIT_CATEGORIES.items()),
                             validate_choice=False)
    sort_order = IntegerField("排序", default=0, validators=[optional()])
    is_active = BooleanField("启用", default=True)


class ChecklistImportForm(ChineseForm):
    file = FileField("检查项目表（.xlsx）", validators=[
        FileRequired("请选择要导入的文件。"), FileAllowed(["xlsx"], "只能导入 .xlsx 文件。"),
    ])


class ReceiverForm(ChineseForm):
    name = StringField("部门名称", validators=[required("请填写部门名称。"), max_length(100)])
    contact_person = StringField("联系人", validators=[optional(), max_length(50)])
    phone = StringField("联系电话", validators=[optional(), max_length(30)])
    feedback_days = IntegerField("反馈期限（日）", default=15,
                                 validators=[NumberRange(min=1, max=90, message="反馈期限应为1至90日。")])
