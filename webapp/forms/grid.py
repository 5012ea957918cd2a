from wtforms import IntegerField, StringField

from webapp.forms.common import ChineseForm, max_length, optional, required


class GridNodeForm(ChineseForm):
    name = StringField("网格名称", validators=[required("请输入网格名称。"), max_length(100)])
    sort_order = IntegerField("排序", default=0, validators=[optional()])
