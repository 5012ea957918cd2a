"""The patrol form, made for a phone: one tap for 未发现问题, or a hazard (category, a sentence, photos,
当场整改) in under a minute; up to HAZARD_SLOTS hazards, the later ones folded away until needed."""

from __future__ import annotations

from typing import Any

from flask import request
from wtforms import FormField, HiddenField, RadioField, SelectField, StringField, ValidationError

from webapp.forms.checkin import CheckinFields
from webapp.forms.common import ChineseForm, max_length, today
from webapp.forms.registry import register_form
from webapp.forms.sanitise import SafeForm
from webapp.forms.special_campaigns import CampaignChoice, campaign_field
from webapp.forms.task_data import EvidencePhotosField
from webapp.forms.widgets import EntryList
from webapp.models import Unit, User
from webapp.procedures.patrol.models import CATEGORIES
from webapp.services import units
from webapp.web.converters import db_int

HAZARD_SLOTS = 3
OUTCOMES = [("none", "未发现问题"), ("hazard", "发现隐患")]


class PatrolHazardForm(SafeForm):
    category = SelectField("隐患类别", choices=[("", "请选择")] + [(c, c) for c in CATEGORIES],
                           validate_choice=False)
    description = StringField("一句话描述", validators=[max_length(200)],
                              render_kw={"placeholder": "如：后门通道堆放纸箱", "autocomplete": "off"})
    photos = EvidencePhotosField("现场照片（可多张）", render_kw={"accept": "image/*", "capture": "environment"})
    fixed_on_spot = RadioField("当场整改", choices=[("no", "未整改"), ("yes", "已当场整改")], default="no")

    def legend(self) -> str:
        return self.category.data or "隐患"

    def filled(self) -> bool:
        """Whether the worker put anything in this slot (an untouched slot is ignored)."""
        photos = [f for f in self.photos.data or [] if getattr(f, "filename", None)]
        return bool(self.category.data or (self.description.data or "").strip() or photos)

    def validate_category(self, field: Any) -> None:
        if self.filled() and not field.data:
            raise ValidationError("请选择隐患类别。")
        if field.data and field.data not in CATEGORIES:
            raise ValidationError("请从列表中选择隐患类别。")

    def validate_description(self, field: Any) -> None:
        if self.filled() and not (field.data or "").strip():
            raise ValidationError("请用一句话描述隐患。")


@register_form("patrol_form")
class PatrolForm(CampaignChoice, CheckinFields, ChineseForm):
    unit_id = SelectField("巡查单位", coerce=int, validate_choice=False)
    unit_name = HiddenField()
    special_campaign_id = campaign_field()
    # The page's two buttons post this (未发现问题 / 提交隐患); the generic start page shows it as a choice.
    outcome = RadioField("巡查结果", choices=OUTCOMES, default="none")
    hazards = EntryList(FormField(PatrolHazardForm), label="发现的隐患", min_entries=HAZARD_SLOTS,
                        max_entries=HAZARD_SLOTS)

    def setup(self, session: Any, user: User, instance: Any) -> None:
        wanted = self.unit_id.data or request.args.get("unit_id", type=db_int)
        if wanted:  # from the unit page or its QR code: that unit only, not every unit in the scope
            unit = session.get(Unit, wanted)
            found = [unit] if unit is not None and user.scope.contains(unit.grid) else []
        else:
            found = units.units_for_labels(session, user, user.scope)
        self.unit_id.choices = [(0, "请选择单位")] + [(u.id, f"{u.name}（{u.grid.display_path()}）") for u in found]
        if not self.unit_id.data and request.args.get("unit_id", type=db_int):
            self.unit_id.data = request.args.get("unit_id", type=db_int)
        unit = next((u for u in found if u.id == self.unit_id.data), None)
        self.unit_name.data = unit.name if unit else ""
        self.setup_campaigns(session, user, today(), unit)

    def filled_hazards(self) -> list[PatrolHazardForm]:
        return [entry.form for entry in self.hazards.entries if entry.form.filled()]

    def validate_unit_id(self, field: Any) -> None:
        if field.data not in {value for value, _label in field.choices if value}:
            raise ValidationError("请选择巡查单位（只能选择您辖区内的单位）。")

    def validate_outcome(self, field: Any) -> None:
        filled = self.filled_hazards()
        if field.data == "none" and filled:
            raise ValidationError("已填写了隐患：请点“提交隐患”；如未发现问题，请先清空隐患内容。")
        if field.data == "hazard" and not filled:
            raise ValidationError("请至少填写一项隐患（类别和一句话描述），或点“未发现问题”。")
