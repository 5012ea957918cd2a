import math
from typing import Any

from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import DecimalField, FloatField, IntegerField, SelectField, StringField, ValidationError
from wtforms.validators import NumberRange

from webapp.forms.common import ChineseForm, max_length, optional, phone_number, required
from webapp.models import Unit
from webapp.models.grid import UNIT_CATEGORIES


def finite(form: Any, field: Any) -> None:
    if field.data is not None and not math.isfinite(field.data):  # "nan" parses as a float and passes ranges
        raise ValidationError("请输入有效的数字。")


class UnitForm(ChineseForm):
    model = Unit
    name = StringField("单位名称", validators=[required("请输入单位名称。"), max_length(200)])
    category = SelectField("单位类别", choices=list(UNIT_CATEGORIES.items()), validators=[required()])
    grid_id = SelectField("所属网格", coerce=int, validators=[required("请选择所属网格。")])
    address = StringField("地址", validators=[optional(), max_length(300)])
    responsible_person = StringField("消防安全责任人", validators=[optional(), max_length(50)])
    responsible_phone = StringField("责任人电话", validators=[optional(), phone_number])
    manager = StringField("消防安全管理人", validators=[optional(), max_length(50)])
    manager_phone = StringField("管理人电话", validators=[optional(), phone_number])
    floor_area = DecimalField(
        "建筑面积（平方米）", places=1,
        validators=[optional(), NumberRange(min=0, message="不能为负数。")],
    )
    staff_count = IntegerField("从业人数", validators=[optional(), NumberRange(min=0, message="不能为负数。")])
    # The registered point a check-in is measured against (degrees, as a phone's map app shows them).
    latitude = FloatField("登记位置纬度（如30.2741，可不填）", validators=[
        optional(), finite, NumberRange(min=-90, max=90, message="纬度应在-90到90之间。")])
    longitude = FloatField("登记位置经度（如120.1551，可不填）", validators=[
        optional(), finite, NumberRange(min=-180, max=180, message="经度应在-180到180之间。")])

    def validate(self, extra_validators: Any = None) -> bool:
        """Both coordinates or neither; the message goes beside the empty one (Optional() stops an empty
        field's own validators, so this cannot be a field validator)."""
        valid = super().validate(extra_validators)
        if (self.latitude.data is None) != (self.longitude.data is None):
            empty = self.latitude if self.latitude.data is None else self.longitude
            if not empty.errors:
                empty.errors = [*empty.errors, "纬度和经度须同时填写或同时留空。"]
            valid = False
        return valid


class UnitImportForm(ChineseForm):
    file = FileField("单位台账文件（.xlsx）", validators=[
        FileRequired("请选择要导入的文件。"), FileAllowed(["xlsx"], "只能导入 .xlsx 文件。"),
    ])


class UnitSearchForm(ChineseForm):
    class Meta:
        csrf = False  # a GET search form changes nothing

    q = StringField("关键词", validators=[optional()])
    category = SelectField("类别", choices=[("", "全部类别"), *UNIT_CATEGORIES.items()], validators=[optional()])
    grid = SelectField("网格", coerce=lambda v: int(v) if v else None, validators=[optional()])
