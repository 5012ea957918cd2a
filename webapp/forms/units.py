from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import DecimalField, IntegerField, SelectField, StringField
from wtforms.validators import NumberRange

from webapp.forms.common import ChineseForm, max_length, optional, phone_number, required
from webapp.models import Unit
from webapp.models.grid import UNIT_CATEGORIES


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
