from flask_wtf.file import FileAllowed, FileField, FileRequired

from webapp.forms.common import ChineseForm


class OrgImportForm(ChineseForm):
    file = FileField("组织架构工作簿（.xlsx）", validators=[
        FileRequired("请选择要导入的文件。"), FileAllowed(["xlsx"], "只能导入 .xlsx 文件。"),
    ])
