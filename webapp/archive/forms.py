"""The archivist's export form and the admin's archive settings."""

from wtforms import BooleanField, IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange

from webapp.archive.models import RETENTIONS
from webapp.forms.common import CheckboxList, ChineseForm


class ExportForm(ChineseForm):
    year = IntegerField("年度", validators=[DataRequired("请填写年度。"), NumberRange(2000, 2100, "年度无效。")])
    organ_codes = CheckboxList("机构（问题）", choices=[], validate_choice=False)
    retentions = CheckboxList("保管期限", choices=list(RETENTIONS.items()))
    pdf = BooleanField("同时生成 PDF/A（需服务器支持 PDF 转换）", default=True)


class SettingsForm(ChineseForm):
    fonds = StringField("全宗号", validators=[DataRequired("请填写全宗号。"), Length(max=10)])
    source_organization = StringField("立档单位", validators=[Length(max=100)])
    pattern = StringField("档号格式", validators=[DataRequired("请填写档号格式。"), Length(max=100)])
    default_organ = StringField("默认机构（问题）代码", validators=[DataRequired("请填写默认代码。"), Length(max=10)])
    organ_codes = TextAreaField("机构（问题）代码（每行“责任者=代码”）")
    retention_rules = TextAreaField("保管期限规则（每行“模板或文种=Y/D30/D10”）")
    item_groups = TextAreaField("组件规则（每行一组模板，逗号分隔，首个为主件）")
