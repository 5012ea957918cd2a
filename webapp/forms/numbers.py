from wtforms import StringField

from webapp.forms.common import ChineseForm, max_length, required


class VoidNumberForm(ChineseForm):
    reason = StringField("作废原因", validators=[required("作废必须填写原因。"), max_length(200)])
