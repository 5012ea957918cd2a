from wtforms import IntegerField, SelectField, StringField

from webapp.forms.common import ChineseForm, max_length, optional, phone_number, required
from webapp.models import GridNode, GridPost
from webapp.models.grid import GRID_POSTS


class GridNodeForm(ChineseForm):
    model = GridNode
    name = StringField("网格名称", validators=[required("请输入网格名称。"), max_length(100)])
    sort_order = IntegerField("排序", default=0, validators=[optional()])


class GridPostForm(ChineseForm):
    """A person on a post of the grid node (lengths from the grid_post columns)."""

    model = GridPost
    post = SelectField("岗位", choices=list(GRID_POSTS.items()), validators=[required("请选择岗位。")])
    person_name = StringField("姓名", validators=[required("请填写姓名。")])
    phone = StringField("电话", validators=[optional(), phone_number])
