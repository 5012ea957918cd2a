from wtforms import BooleanField, PasswordField, StringField

from webapp.forms.common import ChineseForm, max_length, required


class LoginForm(ChineseForm):
    username = StringField("用户名", validators=[required("请输入用户名。"), max_length(50)])
    password = PasswordField("密码", validators=[required("请输入密码。")])
    remember = BooleanField("保持登录")
