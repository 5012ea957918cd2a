"""The 器材存放点 (equipment point) form."""

from typing import Any

from wtforms import SelectField, StringField, TextAreaField, ValidationError

from webapp.forms.common import ChineseForm, max_length, not_in_future, optional, phone_number, required
from webapp.forms.widgets import CnDateField


class EquipmentPointForm(ChineseForm):
    name = StringField("存放点名称", validators=[required("请填写存放点名称。"), max_length(100)])
    grid_id = SelectField("所属网格", coerce=int, validate_choice=False)
    address = StringField("地址/位置", validators=[optional(), max_length(200)])
    equipment = TextAreaField("存放器材", validators=[optional(), max_length(1000)], render_kw={"rows": 4},
                              description="每行一种，如“灭火器 10具”“水带 4盘”“消防桶 6只”。")
    keeper = StringField("保管人", validators=[optional(), max_length(50)])
    keeper_phone = StringField("保管人电话", validators=[optional(), phone_number])
    last_checked_on = CnDateField("最近检查日期", validators=[optional(), not_in_future])

    def validate_grid_id(self, field: Any) -> None:
        if field.data not in {value for value, _label in field.choices}:
            raise ValidationError("请选择所属网格。")
