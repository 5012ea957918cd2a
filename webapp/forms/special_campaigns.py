"""专项行动 forms: the admin's campaign form, and the campaign choice on the inspection and patrol forms."""

from __future__ import annotations

from datetime import date
from typing import Any

from wtforms import HiddenField, SelectField, StringField, TextAreaField, ValidationError

from webapp.cases import special_campaigns
from webapp.forms.common import CheckboxList, ChineseForm, max_length, optional, required
from webapp.forms.widgets import CnDateField
from webapp.models import GridNode, Unit, User
from webapp.models.grid import UNIT_CATEGORIES

NO_CAMPAIGN = (0, "（不属于专项行动）")


class SpecialCampaignForm(ChineseForm):
    name = StringField("行动名称", validators=[required("请填写专项行动名称。"), max_length(100)],
                       render_kw={"placeholder": "如：打通生命通道专项行动"})
    starts_on = CnDateField("开始日期", validators=[required("请填写开始日期。")])
    ends_on = CnDateField("结束日期", validators=[required("请填写结束日期。")])
    categories = CheckboxList("对象场所类别（不选为全部）", choices=list(UNIT_CATEGORIES.items()),
                              validate_choice=False)
    area_ids = CheckboxList("行动范围（不选为全镇）", coerce=int, validate_choice=False)
    basis = StringField("依据", validators=[optional(), max_length(300)],
                        render_kw={"placeholder": "如：县消安委办《关于开展打通生命通道专项行动的通知》"})
    basis_case = HiddenField()  # the 收文 case it is set up from, given by that case's page
    checklist = TextAreaField("专项检查内容", validators=[optional(), max_length(6000)], render_kw={"rows": 6},
                              description="每行一项，“｜”后写依据（检查不合格时作为整改通知书的依据），如"
                                          "“疏散通道是否畅通｜《中华人民共和国消防法》第二十八条”。")

    def setup(self, nodes: list[GridNode]) -> None:
        self.area_ids.choices = [(n.id, n.display_path()) for n in nodes if n.level in ("village", "area")]

    def validate_categories(self, field: Any) -> None:
        if set(field.data or []) - set(UNIT_CATEGORIES):
            raise ValidationError("请从列表中选择场所类别。")

    def validate_area_ids(self, field: Any) -> None:
        if set(field.data or []) - {value for value, _label in field.choices}:
            raise ValidationError("只能选择本镇的网格。")

    def validate_checklist(self, field: Any) -> None:
        problem = special_campaigns.checklist_problem(special_campaigns.parse_items((field.data or "").splitlines()))
        if problem:
            raise ValidationError(problem)

    def validate_ends_on(self, field: Any) -> None:
        if field.data and self.starts_on.data and field.data < self.starts_on.data:
            raise ValidationError("结束日期不能早于开始日期。")

    def values(self) -> special_campaigns.CampaignInput:
        return special_campaigns.CampaignInput(
            name=self.name.data or "", starts_on=self.starts_on.data, ends_on=self.ends_on.data,
            categories=list(self.categories.data or []), area_ids=list(self.area_ids.data or []),
            checklist=(self.checklist.data or "").splitlines(), basis=self.basis.data or "",
            basis_instance_id=int(self.basis_case.data) if _is_id(self.basis_case.data) else None)

    def prefill_from(self, args: Any) -> None:
        """A new campaign set up from a 收文 (its 承办): name, 依据 and the case as that page passes them."""
        self.name.data = (args.get("name") or "")[:100]
        self.basis.data = (args.get("basis") or "")[:300]
        self.basis_case.data = args.get("basis_case") or ""


def _is_id(text: str | None) -> bool:
    return bool(text) and text.isascii() and text.isdigit()


def campaign_field() -> SelectField:
    """The `special_campaign_id` field of a visit form, declared where it should show among its fields."""
    return SelectField("专项行动", coerce=int, validate_choice=False, default=0)


class CampaignChoice:
    """Mixin of a visit form (inspection, patrol) with a `special_campaign_id = campaign_field()`: which open
    campaign that covers the unit the visit belongs to."""

    def setup_campaigns(self, session: Any, user: User, day: date, unit: Unit | None) -> None:
        found = special_campaigns.choices(session, user, day, unit)
        self.special_campaign_id.choices = [NO_CAMPAIGN] + [(c.id, c.name) for c in found]

    def validate_special_campaign_id(self, field: Any) -> None:
        if field.data and field.data not in {value for value, _label in field.choices}:
            raise ValidationError("请选择在该日期开展、且覆盖该单位的专项行动。")
