from __future__ import annotations

from wtforms import PasswordField, StringField
from wtforms.validators import EqualTo, Length

from webapp.forms.common import ChineseForm, max_length, optional, required
from webapp.services.accounts import MIN_PASSWORD_LENGTH


class TownSetupForm(ChineseForm):
    """首次启动: the town's names as printed, and its first admin account."""

    region = StringField("区（县）名称", validators=[required("请填写区（县）名称。"), max_length(50)])
    town = StringField("镇（街道）名称", validators=[required("请填写镇（街道）名称。"), max_length(50)])
    government = StringField("发文机关（镇政府）", validators=[optional(), max_length(100)],
                             description="默认为“镇（街道）名称＋人民政府”")
    committee = StringField("消防安全委员会", validators=[optional(), max_length(100)],
                            description="默认为“镇（街道）名称＋消防安全委员会”")
    username = StringField("管理员用户名", validators=[required("请填写管理员用户名。"), max_length(50)])
    display_name = StringField("管理员姓名", validators=[optional(), max_length(50)])
    password = PasswordField(f"管理员密码（至少{MIN_PASSWORD_LENGTH}位）", validators=[
        required("请设置管理员密码。"),
        Length(min=MIN_PASSWORD_LENGTH, message=f"密码至少需要{MIN_PASSWORD_LENGTH}位。")])
    confirm = PasswordField("再次输入密码", validators=[
        required("请再次输入密码。"), EqualTo("password", message="两次输入的密码不一致。")])


class AddTownForm(ChineseForm):
    """A county's next town (its admin scoped at the region): the names as printed, each 机关代字 where
    the suggested one will not do, and optionally the town's own admin. The service checks what is
    required, so every problem of one submit shows at once."""

    town = StringField("镇（街道）名称", validators=[max_length(50)])
    government = StringField("发文机关（镇政府）", validators=[optional(), max_length(100)],
                             description="默认为“镇（街道）名称＋人民政府”")
    committee = StringField("消防安全委员会", validators=[optional(), max_length(100)],
                            description="默认为“镇（街道）名称＋消防安全委员会”")
    username = StringField("本镇管理员用户名（可不填）", validators=[optional(), max_length(50)],
                           description="不填则由区（县）管理员导入本镇组织架构工作簿（含账号）")
    display_name = StringField("管理员姓名", validators=[optional(), max_length(50)])
    password = PasswordField(f"管理员密码（至少{MIN_PASSWORD_LENGTH}位）", validators=[optional()])
    confirm = PasswordField("再次输入密码", validators=[EqualTo("password", message="两次输入的密码不一致。")])

    PREFIX_FIELD = "prefix_"

    @classmethod
    def for_prefixes(cls, uses: list[tuple[str, str]]) -> type[AddTownForm]:
        """The form with one optional 机关代字 field per (number prefix key, description)."""
        fields = {f"{cls.PREFIX_FIELD}{key}": StringField(
            f"机关代字：{description}", validators=[optional(), max_length(50)],
            description="不填则按镇名生成") for key, description in uses}
        return type("AddTownFormWithPrefixes", (cls,), fields)

    def prefix_fields(self) -> list:
        return [f for f in self if f.name.startswith(self.PREFIX_FIELD)]

    def prefixes(self) -> dict[str, str]:
        return {f.name.removeprefix(self.PREFIX_FIELD): f.data.strip() for f in self.prefix_fields() if f.data}
